"""Fixtures shared by the test modules."""

from chromium_helpers import chromium

__all__ = ["chromium"]
