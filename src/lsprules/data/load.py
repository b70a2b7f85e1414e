"""Chooses the dataset reader by file extension, and reads several datasets into one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsprules.core.diagnostics import Diagnostic, InputError, error
from lsprules.core.periods import PeriodKind
from lsprules.core.source import display_name
from lsprules.data.model import Dataset

READERS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".parquet": "parquet"}
# Formats people try that lsprules cannot read, and what to do instead.
_CONVERT = {".xls": "save it as an Excel Workbook (.xlsx)", ".ods": "save it as an Excel Workbook (.xlsx)",
            ".xlsm": "save it as an Excel Workbook (.xlsx): lsprules never reads macros",
            ".tsv": "save it as CSV (comma-separated)", ".txt": "save it as CSV (comma-separated)"}


def load_any(path: str | Path) -> Dataset:
    """Load a dataset in any supported format, chosen by its extension."""
    from lsprules.core.files import STDIN, stdin_name

    reading_stdin = str(path) == STDIN
    suffix = Path(stdin_name() if reading_stdin else path).suffix.lower()
    kind = READERS.get(suffix)
    if kind == "csv":
        from lsprules.data.readers.csv_reader import load_csv

        return load_csv(path)
    if kind == "xlsx":
        from lsprules.data.readers.xlsx_reader import load_xlsx

        return load_xlsx(path)
    if kind == "parquet":
        from lsprules.data.readers.parquet_reader import load_parquet

        return load_parquet(path)
    if kind == "json":
        from lsprules.data.readers.json_reader import load_json

        return load_json(path)
    if kind == "yaml":
        from lsprules.data.readers.yaml_reader import load_dataset

        return load_dataset(path)
    if reading_stdin:
        raise InputError([error("E603", f"cannot tell what kind of dataset {stdin_name()} holds",
                                hint="name it with --stdin-filename, e.g. --stdin-filename data.csv (the extension "
                                     "says how to read it)")])
    raise InputError([error("E001", f"cannot read dataset {display_name(path)}: unknown file type "
                            f"'{suffix or '(none)'}'",
                            hint=_CONVERT.get(suffix) or f"datasets are {', '.join(sorted(READERS))} files")])


def load_all(paths: Sequence[str | Path], years: PeriodKind | None = None) -> tuple[Dataset, list[Dataset]]:
    """Load every dataset and merge them; return the merged dataset and the files as read (for provenance).

    Every file is read before any error is raised, so one run reports the problems of all of them.
    """
    from lsprules.data.merge import merge_datasets

    loaded: list[Dataset] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            loaded.append(load_any(path))
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    return merge_datasets(loaded, years), loaded
