"""Diagnostics as text for people, JSON for editors and CI, and GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable

from lsprules.core.diagnostics import Diagnostic, Severity, render


def as_text(diagnostics: Iterable[Diagnostic], files: int) -> str:
    """Each diagnostic rendered with its source line and caret, then a one-line summary."""
    diagnostics = list(diagnostics)
    blocks = [render(d) + "\n" for d in diagnostics]
    return "\n".join(blocks + [summary(diagnostics, files)]) + "\n"


def summary(diagnostics: list[Diagnostic], files: int) -> str:
    """'2 errors and 1 warning in 3 files', or 'no problems found in 3 files'."""
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    where = f"in {files} file{'s' if files != 1 else ''}"
    if not diagnostics:
        return f"no problems found {where}"
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n]
    return " and ".join(parts) + f" {where}"


def as_json(diagnostics: Iterable[tuple[str, Diagnostic]]) -> str:
    """A JSON list: code, severity, message, file, line, column, end_line, end_column, hint."""
    return json.dumps([_record(file, d) for file, d in diagnostics], indent=2, ensure_ascii=False) + "\n"


def _record(file: str, d: Diagnostic) -> dict[str, object]:
    span = d.span
    return {
        "code": d.code, "severity": d.severity.value, "message": d.message,
        "file": span.file if span else file,
        "line": span.line if span else None, "column": span.column if span else None,
        "end_line": span.end_line if span else None, "end_column": span.end_column if span else None,
        "hint": d.hint,
    }


def as_github(diagnostics: Iterable[tuple[str, Diagnostic]]) -> str:
    """GitHub Actions workflow commands: `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=E123::message`."""
    lines = []
    for file, d in diagnostics:
        level = "error" if d.severity is Severity.ERROR else "warning"
        props = [f"file={_property(d.span.file if d.span else file)}"]
        if d.span is not None:
            props += [f"line={d.span.line}", f"col={d.span.column}", f"endLine={d.span.end_line}",
                      f"endColumn={d.span.end_column}"]
        props.append(f"title={d.code}")
        message = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
        lines.append(f"::{level} {','.join(props)}::{_data(message)}")
    return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a workflow command's property value."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def as_sarif(diagnostics: Iterable[tuple[str, Diagnostic]]) -> str:
    """A SARIF 2.1.0 log (for code scanning): one run of lsprules, a rule per code found, a result per finding,
    columns counted in characters (Unicode code points) as lsprules counts them."""
    from lsprules import __version__
    from lsprules.core.diagnostics import CODES

    found = list(diagnostics)
    codes = sorted({d.code for _, d in found})
    results = [_sarif_result(file, d, codes.index(d.code)) for file, d in found]
    rules = [{"id": code, "shortDescription": {"text": CODES.get(code, code)}} for code in codes]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "lsprules", "version": __version__, "rules": rules}},
        "columnKind": "unicodeCodePoints", "results": results}]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _sarif_result(file: str, d: Diagnostic, rule_index: int) -> dict[str, object]:
    name = d.span.file if d.span else file
    location: dict[str, object] = {"artifactLocation": {"uri": _sarif_uri(name)}}
    if d.span is not None:
        location["region"] = {"startLine": d.span.line, "startColumn": d.span.column,
                              "endLine": d.span.end_line, "endColumn": d.span.end_column}
    text = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
    return {"ruleId": d.code, "ruleIndex": rule_index, "level": "error" if d.severity is Severity.ERROR else "warning",
            "message": {"text": text}, "locations": [{"physicalLocation": location}] if name else []}


def _sarif_uri(name: str) -> str:
    """A file's name as a relative URI reference (percent-encoded), as code scanning matches it to the tree."""
    from urllib.parse import quote

    return quote(name.replace("\\", "/"), safe="/")
