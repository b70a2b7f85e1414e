"""Visible text: control and invisible format characters written out as escapes (`\\x1b`, `\\u202e`), so that
a name or title read from an untrusted file can never drive a terminal, reorder a line or hide text."""

from __future__ import annotations

import re

# C0 and C1 controls (tab and newline too: names and titles are one line), DEL, soft hyphen, zero-width and
# bidirectional formatting characters, line and paragraph separators, the BOM, and lone surrogates.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029"
                        "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]")
SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """The text with every control or invisible character written as an escape; other text unchanged."""
    return _INVISIBLE.sub(_escape, text) if _INVISIBLE.search(text) else text


def visible_lines(text: str) -> str:
    """Like visible(), keeping the line breaks of a multi-line message."""
    return "\n".join(visible(line) for line in text.split("\n"))


def has_surrogate(text: str) -> bool:
    """Whether the text holds half of a UTF-16 surrogate pair (which no file can encode)."""
    return SURROGATE.search(text) is not None
