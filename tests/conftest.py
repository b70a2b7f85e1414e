"""Fixtures shared by the test modules."""

import pytest

from chromium_helpers import chromium
from lsprules.core import limits
from office_helpers import office

__all__ = ["chromium", "office"]


@pytest.fixture(autouse=True)
def limits_of_the_test_alone():
    """The CLI puts its --limit options in force for the rest of the process: a test that invokes it in-process
    (CliRunner) must not leave them for the next test, which calls the library with the defaults in mind."""
    yield
    limits._current = None
