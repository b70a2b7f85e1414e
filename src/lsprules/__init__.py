"""lsprules: a rules-as-configuration engine for public-sector performance management."""

__version__ = "0.1.0"
