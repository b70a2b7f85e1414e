"""The area writer (render/streamed.py) of each report format written an area at a time, by name."""

from __future__ import annotations

from lsprules.render.streamed import AreaWriter


def area_writer(output_format: str, *, color: bool = False, width: int = 80, wide: bool = False) -> AreaWriter:
    """The writer of a format written an area at a time ("markdown", "html" or "table")."""
    if output_format == "markdown":
        from lsprules.render.markdown import MarkdownWriter

        return MarkdownWriter()
    if output_format == "html":
        from lsprules.render.html import HtmlWriter

        return HtmlWriter()
    from lsprules.render.table import TableWriter

    return TableWriter(color=color, width=width, wide=wide)
