"""Renderers: the same evaluation as a terminal table, JSON, and (later) other report formats."""
