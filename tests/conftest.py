"""Fixtures shared by the test modules."""

from chromium_helpers import chromium
from office_helpers import office

__all__ = ["chromium", "office"]
