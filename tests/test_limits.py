"""Limits: built from a mapping (a `[limits]` table), NAME=VALUE options and the environment, with clear errors."""

from __future__ import annotations

import pytest

from lsprules.core.diagnostics import InputError
from lsprules.core.limits import Limits, from_environment


def test_a_mapping_changes_only_what_it_names():
    limits = Limits.from_mapping({"number_digits": 100, "csv-columns": "5000"})
    assert (limits.number_digits, limits.csv_columns, limits.decimals) == (100, 5000, Limits().decimals)


@pytest.mark.parametrize("mapping, words", [({"colour": 3}, "unknown limit 'colour'"),
                                            ({"decimals": 0}, "not a positive whole number"),
                                            ({"decimals": "ten"}, "not a positive whole number"),
                                            ({"decimals": True}, "not a positive whole number"),
                                            ({"decimals": "１０"}, "not a positive whole number")])
def test_a_bad_name_or_value_is_e705(mapping, words):
    with pytest.raises(InputError) as caught:
        Limits.from_mapping(mapping, "[limits]")
    (problem,) = caught.value.diagnostics
    assert problem.code == "E705" and words in problem.message and "[limits]" in problem.message


def test_options_win_over_the_environment_even_when_they_give_the_default(monkeypatch):
    monkeypatch.setenv("LSPRULES_LIMITS", "decimals=30, csv_columns=7")
    limits = from_environment(["decimals=20"])
    assert (limits.decimals, limits.csv_columns) == (20, 7)
    monkeypatch.setenv("LSPRULES_LIMITS", "decimals")
    with pytest.raises(InputError):
        from_environment()
