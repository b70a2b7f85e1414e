"""Reports written an area at a time (Markdown, HTML, the table) as three kinds of text: what comes before the
areas, each area's text, and what comes after them. Each area's text depends on that area and its context only,
so the areas can be written in other processes and joined in order (jobs/report_workers.py); what the text after
the areas needs to know of them (beside the run's key and sources, which the context gathers) a writer keeps as
what it has `seen`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from lsprules.audit.provenance import Provenance
from lsprules.engine.interpreter import Evaluation
from lsprules.render.context import ReportContext, ReportStream


class AreaWriter(Protocol):
    """A report format written an area at a time."""

    def head(self, report: ReportStream) -> str:
        """The text before the areas (it may read the report's `before` and `period`, never its parts)."""

    def areas(self, evaluation: Evaluation, context: ReportContext) -> Iterator[str]:
        """The text of each area of one part of the stream, in the report's order."""

    def tail(self, after: ReportContext, provenance: Provenance) -> str:
        """The text after the areas, from the run's context and what this writer has seen of the areas."""

    def seen(self) -> frozenset[str]:
        """What the text after the areas needs to know of those written so far (empty for most formats)."""

    def take(self, seen: frozenset[str]) -> None:
        """Take in what another writer has seen of the areas it wrote."""


def written(writer: AreaWriter, report: ReportStream, provenance: Provenance) -> Iterator[str]:
    """The report in pieces: the text before the areas, a piece per area, then the text after them."""
    yield writer.head(report)
    for evaluation, context in report.parts:
        yield from writer.areas(evaluation, context)
    yield writer.tail(report.after(), provenance)
