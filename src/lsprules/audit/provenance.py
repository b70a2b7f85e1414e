"""Provenance: which engine, which rule files and which datasets produced a result, and where they stand in git.

Deterministic by design: no timestamps, no host names; the same inputs in the same repository state give
the same provenance, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprules import __version__
from lsprules.audit.git import GitState, file_state

if TYPE_CHECKING:
    from lsprules.data.model import Dataset
    from lsprules.lang.resolve import RuleSet

SHORT_COMMIT = 12  # characters of a commit id shown in text footers (JSON carries all 40)


@dataclass(frozen=True)
class InputFile:
    """One file read: its role (rules or dataset), its name as given, the sha256 of its bytes, its git state."""

    role: str
    path: str
    sha256: str
    git: GitState | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"role": self.role, "path": self.path, "sha256": self.sha256,
                "git": self.git.to_dict() if self.git else None}

    def line(self) -> str:
        """One line of text: role, name, full sha256 and git state."""
        return f"{self.role} {self.path} sha256 {self.sha256}" + git_words(self.git)


@dataclass(frozen=True)
class Provenance:
    """The engine version and every input file, in the order they were given."""

    engine: str
    inputs: tuple[InputFile, ...]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"engine": self.engine, "inputs": [f.to_dict() for f in self.inputs]}

    def lines(self) -> list[str]:
        """Text lines for footers: the engine, then one line per input file."""
        return [f"provenance: {self.engine}"] + ["  " + f.line() for f in self.inputs]


def git_words(state: GitState | None) -> str:
    """' · git <commit> <status>' for a file in git; '' for a file outside git."""
    if state is None:
        return ""
    if state.commit is None:
        return f" · git {state.status}"
    return f" · git {state.commit[:SHORT_COMMIT]} {state.status}"


def input_file(role: str, path: str, sha256: str, git: GitState | None = None) -> InputFile:
    """An input file on disk (its git state looked up), or read from git (`git` given)."""
    return InputFile(role, path, sha256, git if git is not None else file_state(path))


def provenance_of(files: Iterable[InputFile]) -> Provenance:
    """Provenance of any run from the input files it read."""
    return Provenance(f"lsprules {__version__}", tuple(files))


def provenance_for(rules: RuleSet, datasets: Iterable[Dataset]) -> Provenance:
    """Provenance of one evaluation from its rule set and datasets."""
    files = [input_file("rules", rules.file, rules.sha256)]
    files += [input_file("dataset", d.path, d.sha256) for d in datasets]
    return provenance_of(files)
