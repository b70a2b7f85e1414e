"""The shared ground every layer stands on: source text and positions, diagnostics, exact numbers, periods,
polarity, files in and out, CSV cells and exit codes. Imports nothing else of lsprules.
"""
