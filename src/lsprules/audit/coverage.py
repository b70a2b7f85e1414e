"""Coverage of rule files by rule tests: which clauses decided an asserted result, which bands and arrows occurred.

A clause counts as exercised when it decided a result that a case asserted (a RAG band, or a theme rating):
a clause that only ran, untested, proves nothing. Bands, ratings and arrows count when asserted and produced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lsprules.audit.aspects import clause_words
from lsprules.audit.rule_tests import Check, FileResult
from lsprules.lang import nodes
from lsprules.lang.resolve import RuleSet

ARROWS = ("up", "static", "down", "peak", "na")


@dataclass(frozen=True)
class ClauseUse:
    """One clause of a rule file and how many asserted results it decided (with `with` help, how many)."""

    owner: str  # "profile crime_count", "indicator drug_treatment_total", "theme crime"
    line: int
    text: str
    decided: int
    assisted: int


@dataclass(frozen=True)
class Coverage:
    """Coverage of one rule file by the test files that name it."""

    rules_file: str
    cases: int
    clauses: tuple[ClauseUse, ...]
    bands_missing: tuple[str, ...]
    arrows_missing: tuple[str, ...]
    ratings_missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Every clause exercised."""
        return all(c.decided for c in self.clauses)


def rule_clauses(rules: RuleSet) -> list[tuple[str, nodes.Clause]]:
    """Every first-match clause written in a rule file, with its owner, in file order."""
    found: list[tuple[str, nodes.Clause]] = []
    for item in rules.ast.items:
        for owner, clauses in _clause_lists(item):
            found += [(owner, c) for c in clauses]
    return found


def _clause_lists(item: nodes.Item) -> Iterator[tuple[str, tuple[nodes.Clause, ...]]]:
    if isinstance(item, nodes.Group):
        for ind in item.indicators:
            yield from _clause_lists(ind)
    elif isinstance(item, (nodes.Profile, nodes.Indicator)):
        for setting in item.settings or ():
            if isinstance(setting, nodes.RagBlock):
                yield f"{type(item).__name__.lower()} {item.name}", setting.clauses
    elif isinstance(item, nodes.Theme):
        for part in item.settings:
            if isinstance(part, nodes.Rating):
                yield f"theme {item.name}", part.clauses


def coverage(results: list[FileResult]) -> list[Coverage]:
    """Coverage per rule file, over every test file that names it."""
    by_rules: dict[str, list[FileResult]] = {}
    for result in results:
        by_rules.setdefault(result.rules.file, []).append(result)
    return [_coverage(files) for files in by_rules.values()]


def _coverage(files: list[FileResult]) -> Coverage:
    rules = files[0].rules
    checks = [c for f in files for case in f.cases for c in case.checks]
    decided: dict[int, list[Check]] = {}
    for check in checks:
        if check.field in ("rag", "rating") and check.covers and check.rule_line is not None \
                and check.actual != "n/a":
            decided.setdefault(check.rule_line, []).append(check)
    clauses = tuple(ClauseUse(owner, c.span.line, clause_words(c), len(decided.get(c.span.line, [])),
                              sum(1 for x in decided.get(c.span.line, []) if x.assisted))
                    for owner, c in rule_clauses(rules) if c.span is not None)
    return Coverage(rules.file, sum(len(f.cases) for f in files), clauses, _bands_missing(rules, checks),
                    _arrows_missing(rules, checks), _ratings_missing(rules, checks))


def _produced(checks: list[Check], field: str) -> set[str]:
    return {c.actual for c in checks if c.field == field}


def _bands_missing(rules: RuleSet, checks: list[Check]) -> tuple[str, ...]:
    bands = dict.fromkeys(b for spec in rules.indicators.values() if spec.rag for b in spec.rag_scale)
    return tuple(b for b in bands if b not in _produced(checks, "rag"))


def _ratings_missing(rules: RuleSet, checks: list[Check]) -> tuple[str, ...]:
    produced = {(c.subject, c.actual) for c in checks if c.field == "rating"}
    return tuple(f"{t.id} {level}" for t in rules.themes for level in t.scale if (t.id, level) not in produced)


def _arrows_missing(rules: RuleSet, checks: list[Check]) -> tuple[str, ...]:
    from lsprules.audit.wording import arrow_text

    produced = _produced(checks, "arrow")
    # ★ can only occur where some indicator declares `peak at`: not a gap in the tests otherwise.
    possible = [a for a in ARROWS if a != "peak" or any(s.arrow.peak for s in rules.indicators.values())]
    return tuple(a for a in possible if arrow_text(a) not in produced)
