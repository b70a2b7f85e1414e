"""Datasets: the model (exact series by period, per area), collecting observations, merging files, and the
readers in `data/readers/` (YAML, JSON, CSV, xlsx).
"""
