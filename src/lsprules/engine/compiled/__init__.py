"""The fast path of `evaluate --format csv`: plain long-form CSV in, rules compiled once per indicator, CSV out.

It gives output byte-identical to the reference interpreter (engine/interpreter.py + render/csv_out.py), and steps
aside (returns None) whenever the input or the rules use something it does not handle, so that the reference
path runs instead and reports any problem in the data by row and column.
"""

from __future__ import annotations

from lsprules.engine.compiled.run import fast_csv

__all__ = ["fast_csv"]
