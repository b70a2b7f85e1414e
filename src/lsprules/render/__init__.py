"""Renderers: an evaluation as a terminal table, JSON, CSV, Markdown or HTML; diagnostics, diffs, explanations
and rule-test results as text, JSON or Markdown; and the progress bar of long runs."""
