"""Diagnostics: one shape for every problem found in rule files, datasets and options."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from lsprules.core.source import Source, Span
from lsprules.core.visible import visible_lines


class Severity(str, Enum):
    """How bad a problem is: errors stop the run, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


# Stable codes. Never renumber: editors, CI and docs/errors.md refer to them.
CODES: dict[str, str] = {
    "E001": "file cannot be read",
    "E002": "file is not valid UTF-8",
    "E003": "bad command-line option value",
    "E101": "syntax error",
    "E102": "unknown indicator",
    "E103": "unknown profile",
    "E104": "duplicate name",
    "E105": "cycle among derived indicators",
    "E106": "unknown name in a value expression",
    "E107": "unknown rating or band",
    "E108": "setting given twice",
    "E109": "invalid period",
    "E110": "invalid number or quantity",
    "E111": "missing setting",
    "E112": "construct used where it does not belong",
    "E114": "reserved word used as an id",
    "E301": "dataset is not valid YAML",
    "E302": "dataset does not match the schema",
    "E303": "unknown period in dataset",
    "E304": "dataset has no such period",
    "E305": "CSV dataset has a bad header or row",
    "E306": "text where a number is expected",
    "E307": "conflicting values for one observation",
    "E131": "unknown comparator",
    "E132": "unknown reference level",
    "E133": "invalid confidence level",
    "E134": "invalid annual target or profile",
    "E310": "spreadsheet has a bad header, row or cell",
    "E311": "file is not a readable .xlsx workbook",
    "E312": "dataset is not valid JSON",
    "E313": "datasets give different values for one observation",
    "E330": "reference level that neither the rules nor the data give",
    "E314": "datasets use different kinds of period",
    "E315": "comparator area is not in the data",
    "E316": "file is not a Parquet file",
    "E317": "Parquet file cannot be read",
    "E318": "Parquet dataset has a bad column or row",
    "E319": "Parquet column of a type lsprules does not read",
    # Appended for `lsprules check` and `lsprules fmt` (issue 3).
    "E113": "expression nested too deeply",
    "E201": "values that match no RAG clause",
    "E202": "clause that can never fire",
    "E203": "bands that overlap",
    "E204": "no `otherwise` clause",
    "E205": "clause after `otherwise`",
    "E206": "clause that can never be decided",
    "E207": "bands that run against the polarity",
    "E208": "target that contradicts the polarity",
    "E209": "target outside the best band",
    "E210": "baseline not before the target period",
    "E211": "percentages on mixed 0–1 and 0–100 scales",
    "E212": "percentage points on an indicator that is not a percentage",
    "E213": "profile that no indicator uses",
    "E320": "indicator with no data",
    "E321": "data with no rules",
    "E322": "period the data lacks",
    "E401": "file is not formatted",
    "E402": "formatting would change the rules",
    # Appended for safety on untrusted files (issue 14).
    "E004": "output is a folder",
    "E005": "output is not a regular file",
    "E006": "output is a symbolic link",
    "E007": "test file names a file outside the project",
    "E008": "test file names a file of the wrong kind",
    "E009": "alias in a test file",
    # Appended for suppression comments, configuration, standard input and the CLI (issue 13).
    "E230": "suppression comment without a reason",
    "E231": "suppression comment that cannot be read",
    "E232": "suppression comment that silences nothing",
    "E600": "configuration file is not valid TOML",
    "E601": "unknown setting in the configuration file",
    "E602": "setting of the wrong kind in the configuration file",
    "E603": "dataset on standard input of unknown kind",
    "E604": "no rule files to check",
    "E010": "rule file with nothing to assess",
    "E350": "text that is not valid Unicode",
    "E351": "digits that are not ASCII",
    "E352": "dataset with no observations",
    "E700": "number beyond the digits limit",
    "E701": "number beyond the magnitude limit",
    "E702": "decimals beyond the limit",
    "E703": "line beyond the length limit",
    "E704": "name or title beyond the length limit",
    "E705": "unknown limit or bad limit value",
    "E706": "derived indicators chained beyond the limit",
    "E707": "columns beyond the limit",
    "E708": "field beyond the size limit",
    "E709": "xlsx beyond the decompressed size limit",
    "E711": "rule file beyond the size limit",
    # Appended for rule language v2 (issue 10, part A).
    "E115": "number where a condition is needed",
    "E116": "invalid share or count of assessed members",
    "E214": "mixes of members that no theme rating clause rates",
    "E215": "theme rating clause that can never fire",
    "E520": "binary output without an output file",
    "E521": "a view that has no form in the format asked for",
    "E522": "a worker process writing the report stopped",
    "E500": "rules the SQL plan cannot express yet",
}


@dataclass(frozen=True)
class Diagnostic:
    """One problem: a stable code, a severity, a message, where it is, and how to fix it."""

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    hint: str | None = None
    line_text: str = ""

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by file, then position, then code."""
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)


class InputError(Exception):
    """Raised when input cannot be used; carries the diagnostics that explain why."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(sorted(diagnostics, key=lambda d: d.sort_key))
        super().__init__("; ".join(d.message for d in self.diagnostics))


def error(code: str, message: str, source: Source | None = None, start: int = 0, end: int | None = None,
          hint: str | None = None, severity: Severity = Severity.ERROR) -> Diagnostic:
    """Build a diagnostic at character offsets of a source (or with no position)."""
    if source is None:
        return Diagnostic(code, severity, message, None, hint)
    span = source.span(start, start + 1 if end is None else end)
    return Diagnostic(code, severity, message, span, hint, source.line_text(span.line))


def at_span(code: str, message: str, span: Span | None, line_text: str = "", hint: str | None = None,
            severity: Severity = Severity.ERROR) -> Diagnostic:
    """Build a diagnostic at an existing span."""
    return Diagnostic(code, severity, message, span, hint, line_text)


def listed(names: Sequence[str], limit: int = 12) -> str:
    """Names for a hint, at most `limit` of them and how many more: a national dataset has 35,000 areas, and a hint
    that lists them all buries the error."""
    if not names:
        return "none"
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,} more"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


# A source line longer than this is shown as a window around the caret (binary junk can be one huge line).
SHOWN_WIDTH = 100
# Columns a tab takes when a source line is shown.
TAB_WIDTH = 4


def render(diagnostic: Diagnostic) -> str:
    """Render as `file:line:col: severity[CODE]: message`, the source line, a caret underline and help."""
    d = diagnostic
    head = f"{d.severity.value}[{d.code}]: {visible_lines(d.message)}"
    if d.span is None:
        lines = [head]
    else:
        lines = [f"{d.span}: {head}"]
        if d.line_text:
            number = str(d.span.line)
            pad = " " * len(number)
            text, start, width = _shown_line(d.line_text, d.span)
            lines += [f"{pad} |", f"{number} | {text}", f"{pad} | {' ' * start}{'^' * width}"]
    if d.hint:
        lines.append(f"{' ' * (len(str(d.span.line)) if d.span else 0)} = help: {visible_lines(d.hint)}")
    return "\n".join(lines)


def _shown_line(line_text: str, span: Span) -> tuple[str, int, int]:
    """The line as shown (printable, at most about SHOWN_WIDTH wide), the caret's start and its width, in
    screen columns: a tab shows as TAB_WIDTH spaces, a wide (East Asian) character takes two columns, and a
    control character (binary junk) shows as one replacement character."""
    start = min(span.column - 1, len(line_text))
    end = span.end_column - 1 if span.end_line == span.line else len(line_text)
    end = max(start + 1, min(end, len(line_text)))
    left = max(0, start - SHOWN_WIDTH // 3) if len(line_text) > SHOWN_WIDTH else 0
    right = min(len(line_text), left + SHOWN_WIDTH)
    shown = [_shown_char(ch) for ch in line_text[left:right]]
    prefix, suffix = ("…" if left else ""), ("…" if right < len(line_text) else "")
    caret = len(prefix) + sum(len(c) + _extra_width(c) for c in shown[:start - left])
    width = sum(len(c) + _extra_width(c) for c in shown[start - left:end - left]) or 1
    return prefix + "".join(shown) + suffix, caret, width


def _shown_char(ch: str) -> str:
    if ch == "\t":
        return " " * TAB_WIDTH
    return ch if ch.isprintable() else "\ufffd"


def _extra_width(shown: str) -> int:
    """Columns beyond one that a shown character takes on screen."""
    return 1 if len(shown) == 1 and unicodedata.east_asian_width(shown) in ("W", "F") else 0
