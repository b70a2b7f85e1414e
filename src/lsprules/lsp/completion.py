"""What to offer where the cursor is: keywords of the block it sits in, and the names defined in the file."""

from __future__ import annotations

from dataclasses import dataclass

from lsprules.lang import nodes
from lsprules.lsp.document import Document

# The words each kind of block begins its statements with, following lang/grammar.lark.
TOP_LEVEL = ("profile", "indicator", "group", "theme", "comparator")
SETTINGS = ("unit", "polarity", "value", "fields", "decimals", "arrow", "target", "rag", "levels", "count",
            "percent", "rate", "per", "ratio", "higher_is_better", "lower_is_better", "closer_to")
BLOCK_WORDS: dict[str, tuple[str, ...]] = {
    "": (*TOP_LEVEL, "area", "areas"),  # a comparator's one line: `comparator c "Title" areas "A", "B"`
    "profile": SETTINGS,
    "indicator": SETTINGS,
    "group": ("indicator",),
    "theme": ("scale", "indicators", "rating", "require", "at", "least", "assessed"),
    "arrow": ("compare", "latest", "with", "previous", "same", "period", "last", "year", "mean", "of", "static",
              "within", "below", "peak", "at", "recent", "trend"),
    "target": ("baseline", "reduce", "increase", "by", "reach", "in", "trajectory", "linear", "flat", "from", "data",
               "annual", "profiled", "evenly", "cumulative"),
    "levels": ("trigger", "floor", "stretch", "ceiling", "benchmark"),
}
# Inside `rag {}` and `rating {}`: a clause is `BAND when CONDITION` or `BAND otherwise`.
CONDITION_WORDS = ("when", "otherwise", "scale", "and", "or", "not", "arrow", "is", "up", "static", "down", "peak",
                   "na", "rag", "on", "trajectory", "target", "met", "exceeded", "by", "within", "of", "gap",
                   "closed", "narrowed", "widened", "value", "previous", "baseline", "change", "as",
                   # rule language v2: missing things, margins, reference levels, significance
                   "no", "has", "data", "more", "less", "than", "at", "least", "up", "to", "short", "better",
                   "reaches", "trigger", "floor", "stretch", "ceiling", "benchmark", "significantly", "worse",
                   "different", "from")
DEFAULT_BANDS = ("red", "amber", "green")
# After these words a name of one kind follows.
NAME_AFTER = {"uses": "profile", "indicators": "indicator"}


@dataclass(frozen=True)
class Offer:
    """One completion: the word, what it is (keyword, band, indicator, profile, group, theme) and a detail."""

    label: str
    kind: str
    detail: str = ""


def offers(document: Document, offset: int) -> list[Offer]:
    """The completions at a character offset: by the word before the cursor, else by the enclosing block."""
    blocks = document.enclosing(offset)
    before = [w for w in document.words if w.end < offset]
    previous = before[-1].text if before else ""
    if previous in NAME_AFTER:
        return _names(document, NAME_AFTER[previous])
    innermost = blocks[-1] if blocks else ""
    if innermost in ("rag", "rating"):
        return ([Offer(b, "band", "band") for b in _bands(document, blocks, offset)]
                + [Offer(w, "keyword") for w in CONDITION_WORDS] + _names(document, "indicator"))
    words = [Offer(w, "keyword") for w in BLOCK_WORDS.get(innermost, ())]
    if innermost in ("profile", "indicator"):  # a value expression may name other indicators
        words += _names(document, "indicator")
    return words


def _names(document: Document, kind: str) -> list[Offer]:
    return [Offer(d.name.text, kind, getattr(d.item, "title", None) or kind)
            for d in document.all_definitions() if d.kind == kind]


def _bands(document: Document, blocks: list[str], offset: int) -> tuple[str, ...]:
    """The bands a clause here may name: the scale of the indicator or theme around the cursor, else the
    default red < amber < green."""
    rules = document.checked.rules
    line, _ = document.position(offset)
    if rules is not None:
        for definition in document.all_definitions():
            span = definition.item.span if definition.item is not None else None
            if span is None or not span.line <= line <= span.end_line:
                continue
            if definition.kind == "indicator" and definition.name.text in rules.indicators:
                return rules.indicators[definition.name.text].rag_scale
            if definition.kind == "theme":
                theme = next((t for t in rules.themes if t.id == definition.name.text), None)
                if theme is not None:
                    return theme.scale
            if isinstance(definition.item, nodes.Profile):
                scale = next((s.scale for s in definition.item.settings if isinstance(s, nodes.RagBlock)), None)
                if scale is not None:
                    return scale.levels
    return DEFAULT_BANDS
