"""Rule files named on the command line: files as given, folders searched for `*.rules`, and `REV:PATH` in
git; each loaded with its provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lsprules.audit.git import GitState, looks_like_revision, read_revision
from lsprules.audit.provenance import InputFile, input_file
from lsprules.core.diagnostics import Diagnostic, error
from lsprules.core.files import decode_source
from lsprules.core.source import Source, display_name
from lsprules.lang import nodes
from lsprules.lang.resolve import RuleSet, load_rules, resolve


def expand(paths: list[Path]) -> tuple[list[Path], list[tuple[str, Diagnostic]]]:
    """The rule files named or found under folders (sorted, hidden folders skipped), and an E001 for each
    path that is neither (with the path, for machine-readable output)."""
    found: list[Path] = []
    problems: list[tuple[str, Diagnostic]] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.rules") if p.is_file() and not _hidden(p.relative_to(path)))
            if not inside:
                problems.append((display_name(path), error(
                    "E001", f"no rule files (*.rules) in folder '{display_name(path)}'",
                    hint="name a rule file, or a folder that holds some")))
            found.extend(inside)
        elif path.exists() or str(path) == "-":
            found.append(path)
        else:
            problems.append((display_name(path), error(
                "E001", f"cannot read '{display_name(path)}': no such file or folder", hint="check the path")))
    return list(dict.fromkeys(found)), problems


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts[:-1])


@dataclass(frozen=True)
class RuleInput:
    """A resolved rule set and the provenance of the bytes it was read from."""

    rules: RuleSet
    file: InputFile


def load_rule_input(name: str, cwd: str | Path = ".") -> RuleInput:
    """Load a rule file from disk, or from git when named `REV:PATH` and no such file exists."""
    if looks_like_revision(name):
        found = read_revision(name, cwd)
        rules = rules_from_bytes(name, found.data)
        return RuleInput(rules, input_file("rules", name, rules.sha256, GitState(found.commit, "revision")))
    rules = load_rules(name)
    return RuleInput(rules, input_file("rules", rules.file, rules.sha256))


def rules_from_bytes(name: str, data: bytes) -> RuleSet:
    """Parse and resolve rule-file bytes read from anywhere; InputError on any problem."""
    from lsprules.lang.parser import parse_source

    source = decode_source(name, data)
    return resolve(parse_source(source), source, hashlib.sha256(data).hexdigest())


def absent_rules(name: str) -> RuleInput:
    """An empty rule set standing for a file that does not exist on one side of a comparison."""
    empty = hashlib.sha256(b"").hexdigest()
    rules = resolve(nodes.RuleFile(()), Source(f"{name} (absent)", ""), empty)
    return RuleInput(rules, InputFile("rules", rules.file, empty, None))
