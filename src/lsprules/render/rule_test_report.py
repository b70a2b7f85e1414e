"""Rule-test results, coverage and boundaries as plain text or JSON; each with provenance."""

from __future__ import annotations

import json

from lsprules.audit.boundaries import BoundaryReport
from lsprules.audit.coverage import Coverage
from lsprules.audit.indicator_whatif import Outcome
from lsprules.audit.provenance import Provenance
from lsprules.audit.rule_tests import CaseResult, Check, FileResult
from lsprules.audit.wording import arrow_text, band_text, count_words, exact_text


def summary(results: list[FileResult]) -> tuple[int, int]:
    """(passed, failed) cases over all files."""
    cases = [c for r in results for c in r.cases]
    passed = sum(1 for c in cases if c.passed)
    return passed, len(cases) - passed


# --- text -------------------------------------------------------------------------------------


def render_tests_text(results: list[FileResult], coverages: list[Coverage] | None, provenance: Provenance) -> str:
    """Each file's cases (failures with expected, actual and the values involved), a summary, coverage."""
    out: list[str] = []
    for result in results:
        out.append(f"{result.path} → {result.rules.file}")
        for case in result.cases:
            out.extend(_case_lines(result.path, case))
        out.append("")
    passed, failed = summary(results)
    out.append(f"{count_words(passed + failed, 'case')}: {passed} passed, {failed} failed")
    for cov in coverages or ():
        out += [""] + coverage_lines(cov)
    out += [""] + provenance.lines()
    return "\n".join(out) + "\n"


def _case_lines(path: str, case: CaseResult) -> list[str]:
    where = f"{path}:{case.line}"
    if case.error is not None:
        return [f"  ✗ {case.name} ({where})", f"      error: {case.error}"]
    if case.passed:
        return [f"  ✓ {case.name}"]
    failed = [c for c in case.checks if not c.passed]
    subjects = dict.fromkeys(c.subject for c in failed)
    return [f"  ✗ {case.name} ({where})"] + [f"      {_failure([c for c in failed if c.subject == s])}"
                                            for s in subjects]


def _failure(checks: list[Check]) -> str:
    """One subject's failed checks, then (once) the values involved."""
    text = f"{checks[0].subject}: " + "; ".join(
        "no such indicator or theme in the rules" if c.kind == "unknown" else
        f"expected {c.field} {c.expected}, got {c.actual}" for c in checks)
    detail = next((c.detail for c in checks if c.detail), "")
    return text + (f" — {detail}" if detail else "")


def coverage_lines(cov: Coverage) -> list[str]:
    """Which clauses were exercised and how often; bands, arrows and ratings never produced."""
    done = sum(1 for c in cov.clauses if c.decided)
    lines = [f"coverage of {cov.rules_file} by {count_words(cov.cases, 'case')}: {done} of "
             f"{count_words(len(cov.clauses), 'clause')} exercised" + (" — every clause" if cov.complete else "")]
    for c in cov.clauses:
        mark = "✓" if c.decided else "✗ never exercised"
        helped = f", {c.assisted} with `with` settings" if c.assisted else ""
        uses = f" ({count_words(c.decided, 'result')}{helped})" if c.decided else ""
        lines.append(f"  {mark} line {c.line} {c.owner}: {c.text}{uses}")
    lines.append("  bands never produced: " + (", ".join(cov.bands_missing) or "none"))
    lines.append("  arrows never produced: " + (", ".join(arrow_text(a) for a in cov.arrows_missing) or "none"))
    lines.append("  theme ratings never produced: " + (", ".join(cov.ratings_missing) or "none"))
    return lines


def render_boundaries_text(reports: list[BoundaryReport], provenance: Provenance) -> str:
    """For each indicator, each threshold with the results at and beside it."""
    out: list[str] = []
    for report in reports:
        period = report.period.label if report.period else "–"
        out += [f"boundaries of {report.rules_file} on {report.dataset} at {period}", ""]
        for ind in report.indicators:
            out.append(f"{ind.indicator} “{ind.title}” — {ind.area}, {ind.period}: {exact_text(ind.current.value)}, "
                       f"{arrow_text(ind.current.arrow)}, RAG {band_text(ind.current.rag)}")
            for edge in ind.edges:
                out.append(f"  {edge.threshold.what} = {exact_text(edge.threshold.value)}")
                out.extend(_probe_line(p, p.value == edge.threshold.value) for p in edge.probes)
            out.append("")
    out += provenance.lines()
    return "\n".join(out) + "\n"


def _probe_line(p: Outcome, at: bool) -> str:
    where = "  ← at the threshold" if at else ""
    return f"    {exact_text(p.value):>14}  {arrow_text(p.arrow):<16} RAG {band_text(p.rag):<8}{where}".rstrip()


# --- JSON -------------------------------------------------------------------------------------


def render_tests_json(results: list[FileResult], coverages: list[Coverage] | None, provenance: Provenance) -> str:
    """Cases, checks, summary, coverage (when asked) and provenance."""
    passed, failed = summary(results)
    document: dict[str, object] = {"passed": passed, "failed": failed,
                "files": [{"file": r.path, "rules": r.rules.file, "cases": [_case(c) for c in r.cases]}
                          for r in results]}
    if coverages is not None:
        document["coverage"] = [_coverage(c) for c in coverages]
    document["provenance"] = provenance.to_dict()
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _case(c: CaseResult) -> dict[str, object]:
    return {"name": c.name, "line": c.line, "passed": c.passed, "error": c.error,
            "checks": [{"subject": k.subject, "field": k.field, "expected": k.expected, "actual": k.actual,
                        "passed": k.passed, "detail": k.detail, "rule_line": k.rule_line,
                        "with_settings": k.assisted} for k in c.checks]}


def _coverage(c: Coverage) -> dict[str, object]:
    return {"rules": c.rules_file, "cases": c.cases, "complete": c.complete,
            "clauses": [{"owner": u.owner, "line": u.line, "clause": u.text, "decided": u.decided,
                         "with_settings": u.assisted} for u in c.clauses],
            "bands_never_produced": list(c.bands_missing), "arrows_never_produced": list(c.arrows_missing),
            "ratings_never_produced": list(c.ratings_missing)}


def render_boundaries_json(reports: list[BoundaryReport], provenance: Provenance) -> str:
    """Every threshold with its probes, per indicator; provenance."""
    from lsprules.core.numbers import json_number

    def outcome(o: Outcome) -> dict[str, object]:
        return {"value": json_number(o.value), "exact": exact_text(o.value), "arrow": o.arrow, "rag": o.rag}

    document = {"boundaries": [{"rules": r.rules_file, "dataset": r.dataset,
                                "period": r.period.label if r.period else None,
                                "indicators": [{"area": i.area, "indicator": i.indicator,
                                                "period": i.period.label, "current": outcome(i.current),
                                                "thresholds": [{"what": e.threshold.what,
                                                                "value": json_number(e.threshold.value),
                                                                "exact": exact_text(e.threshold.value),
                                                                "probes": [outcome(p) for p in e.probes]}
                                                               for e in i.edges]} for i in r.indicators]}
                               for r in reports],
                "provenance": provenance.to_dict()}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
