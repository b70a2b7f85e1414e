"""Provenance: which engine, which rule files and which datasets produced a result."""

from __future__ import annotations

from dataclasses import dataclass

from . import __version__


@dataclass(frozen=True)
class InputFile:
    """One file read: its role (rules or dataset), its name as given, and the sha256 of its bytes."""

    role: str
    path: str
    sha256: str


@dataclass(frozen=True)
class Provenance:
    """The engine version and every input file, in the order they were given."""

    engine: str
    inputs: tuple[InputFile, ...]

    def to_dict(self) -> dict:
        """A JSON-ready form."""
        return {"engine": self.engine,
                "inputs": [{"role": f.role, "path": f.path, "sha256": f.sha256} for f in self.inputs]}


def provenance_for(rules, datasets) -> Provenance:
    """Provenance of one evaluation from its rule set and datasets."""
    files = [InputFile("rules", rules.file, rules.sha256)]
    files += [InputFile("dataset", d.path, d.sha256) for d in datasets]
    return Provenance(f"lsprules {__version__}", tuple(files))
