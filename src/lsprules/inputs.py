"""Chooses the dataset reader by file extension."""

from __future__ import annotations

from pathlib import Path

from .data import Dataset
from .diagnostics import InputError, error
from .source import display_name

READERS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}


def load_any(path: str | Path) -> Dataset:
    """Load a dataset in any supported format, chosen by its extension."""
    kind = READERS.get(Path(path).suffix.lower())
    if kind == "csv":
        from .csv_input import load_csv

        return load_csv(path)
    if kind == "yaml":
        from .datasets import load_dataset

        return load_dataset(path)
    raise InputError([error("E001", f"cannot read dataset {display_name(path)}: unknown file type "
                            f"'{Path(path).suffix or '(none)'}'",
                            hint=f"datasets are {', '.join(sorted(READERS))} files")])
