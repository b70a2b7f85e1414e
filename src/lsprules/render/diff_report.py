"""A diff report as plain text, Markdown (for a pull-request comment) or JSON; each with provenance."""

from __future__ import annotations

import json

from lsprules.audit.impact import DiffReport, FileDiff, Impact, ResultChange
from lsprules.audit.semantic_diff import Change
from lsprules.audit.wording import count_words

NO_CHANGE = "no change in meaning (layout and comments only, or identical)"


def _title(f: FileDiff) -> str:
    return f"{f.diff.old} → {f.diff.new}"


def _period(i: Impact) -> str:
    return i.period.label if i.period else "–"


def _field(name: str) -> str:
    return "RAG" if name == "rag" else name


def _result_words(c: ResultChange) -> str:
    fields = ", ".join(f"{_field(f.field)} {f.before} → {f.after}" for f in c.fields)
    return f"{c.kind} {c.subject} “{c.title}”: {fields}"


# --- text -------------------------------------------------------------------------------------


def render_diff_text(report: DiffReport) -> str:
    """Plain text: per file, the changes in meaning and their impact on each dataset."""
    out: list[str] = [] if report.files else [f"lsprules diff: no rule file differs: {NO_CHANGE}", ""]
    for f in report.files:
        out.append(f"lsprules diff: {_title(f)}")
        if not f.diff.meaning_changed:
            out.append(f"  {NO_CHANGE}")
        else:
            out.append(f"  {count_words(len(f.diff.changes), 'change')} in meaning:")
            out.extend(f"  - {c.words()}" + (f" [line {c.line}]" if c.line else "") for c in f.diff.changes)
        for i in f.impacts:
            out.append(f"  impact on {i.dataset} at {_period(i)}: {i.summary()}")
            out.extend(_text_impact_lines(i))
        out.append("")
    out.extend(report.provenance.lines())
    return "\n".join(out) + "\n"


def _text_impact_lines(i: Impact) -> list[str]:
    out = []
    areas = list(dict.fromkeys(c.area for c in i.changes))
    for area in areas:
        if len(areas) > 1:
            out.append(f"    {area}:")
        out.extend(f"    - {_result_words(c)}" for c in i.changes if c.area == area)
    return out


# --- Markdown ---------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def render_diff_markdown(report: DiffReport) -> str:
    """Markdown for a pull-request comment: headings, a list of changes, a table of changed results."""
    out: list[str] = [] if report.files else ["### lsprules diff: no rule file differs", "", f"✅ {NO_CHANGE}", ""]
    for f in report.files:
        out += [f"### lsprules diff: `{f.diff.old}` → `{f.diff.new}`", ""]
        if not f.diff.meaning_changed:
            out += [f"✅ {NO_CHANGE}", ""]
        else:
            out += [f"**{count_words(len(f.diff.changes), 'change')} in meaning**", ""]
            out += [_md_change(c) for c in f.diff.changes] + [""]
        for i in f.impacts:
            out += _md_impact(i)
    out += ["<details><summary>Provenance</summary>", ""]
    out += [f"- {_md(line.strip())}" for line in report.provenance.lines()]
    out += ["", "</details>"]
    return "\n".join(out) + "\n"


def _md_change(c: Change) -> str:
    text = f"- **{c.kind} `{c.subject}`**: {_md(c.what)}"
    if c.affects:
        text += f" — affects {count_words(len(c.affects), 'indicator')}: " + ", ".join(f"`{a}`" for a in c.affects)
    return text + (f" (line {c.line})" if c.line else "")


def _md_impact(i: Impact) -> list[str]:
    out = [f"#### Impact on `{i.dataset}` at {_period(i)}", "", _md(i.summary()), ""]
    if not i.changes:
        return out
    out += ["| area | result | field | before | after |", "| --- | --- | --- | --- | --- |"]
    for c in i.changes:
        for f in c.fields:
            out.append(f"| {_md(c.area)} | {c.kind} `{c.subject}` | {_field(f.field)} | {_md(f.before)} | "
                       f"{_md(f.after)} |")
    return out + [""]


# --- JSON -------------------------------------------------------------------------------------


def diff_dict(report: DiffReport) -> dict[str, object]:
    """The report as plain JSON-ready data."""
    return {"meaning_changed": report.meaning_changed,
            "files": [{"old": f.diff.old, "new": f.diff.new, "meaning_changed": f.diff.meaning_changed,
                       "changes": [c.to_dict() for c in f.diff.changes],
                       "impact": [_impact_dict(i) for i in f.impacts]} for f in report.files],
            "provenance": report.provenance.to_dict()}


def _impact_dict(i: Impact) -> dict[str, object]:
    return {"dataset": i.dataset, "period": i.period.label if i.period else None, "summary": i.summary(),
            "counts": i.counts(), "assessed": i.assessed,
            "changes": [{"area": c.area, "kind": c.kind, "subject": c.subject, "title": c.title,
                         "fields": [{"field": f.field, "before": f.before, "after": f.after} for f in c.fields]}
                        for c in i.changes]}


def render_diff_json(report: DiffReport) -> str:
    """Deterministic JSON text."""
    return json.dumps(diff_dict(report), ensure_ascii=False, indent=2) + "\n"
