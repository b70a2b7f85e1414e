"""The DuckDB engine is held to a memory limit and spills to a private folder that is gone after the run."""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path

import pytest

from lsprules.engine.columnar import duck
from lsprules.engine.columnar.duck import evaluate_csv
from lsprules.lang.resolve import load_rules

ROOT = Path(__file__).resolve().parents[1]
DATA = "area,indicator,period,value\n" + "".join(
    f"E{a:02d},{name},{year}/{(year + 1) % 100:02d},{a + year % 7}\n"
    for year in range(2003, 2008) for a in range(5) for name in ("burglary_dwelling", "detection_rate_pct"))


def test_duckdb_is_held_to_the_memory_limit_and_spills_to_its_own_folder(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    connection = duck.connect()
    limit, spill, progress_bar = connection.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
        "current_setting('enable_progress_bar')").fetchone() or ("", "", True)
    connection.close()
    assert progress_bar is False  # DuckDB's default draws a bar on stderr for a query over two seconds
    number, unit = limit.split()
    assert unit in ("MiB", "MB") and float(number) <= 1000, limit  # DuckDB's default is 80 % of the machine
    assert Path(spill).parent == tmp_path and Path(spill).name.startswith("lsprules-duckdb-")
    del connection
    gc.collect()
    assert not Path(spill).exists()


def test_a_run_leaves_no_spill_folder_behind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spills))
    data = tmp_path / "national.csv"
    data.write_text(DATA)
    found = evaluate_csv(load_rules(ROOT / "rules/national.rules"), data)
    assert not isinstance(found, duck.Fallback), found
    text = "".join(found)
    assert text.startswith("area,indicator,") and text.count("\n") == 1 + 5 * 12  # every rule-file indicator
    del found
    gc.collect()
    assert list(spills.iterdir()) == []
