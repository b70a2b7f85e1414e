"""Rule files named on the command line: a path on disk, or `REV:PATH` in git; each with its provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from . import nodes
from .gitfiles import GitState, looks_like_revision, read_revision
from .provenance import InputFile, input_file
from .resolve import RuleSet, decode_source, load_rules, resolve
from .source import Source


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
    from .parser import parse_source

    source = decode_source(name, data)
    return resolve(parse_source(source), source, hashlib.sha256(data).hexdigest())


def absent_rules(name: str) -> RuleInput:
    """An empty rule set standing for a file that does not exist on one side of a comparison."""
    empty = hashlib.sha256(b"").hexdigest()
    rules = resolve(nodes.RuleFile(()), Source(f"{name} (absent)", ""), empty)
    return RuleInput(rules, InputFile("rules", rules.file, empty, None))
