"""md_text's shortcut for text it leaves unchanged gives what the escaping itself gives."""

from __future__ import annotations

import random
import re

from lsprules.render.markdown import md_text

_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _escaped(text: object) -> str:
    """The escaping, written out without the shortcut."""
    flat = " ".join(str(text).split())
    escaped = _ENTITY.sub("&amp;", flat).replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", escaped)


ALPHABET = "ab1.,-%/: \t\n\u00a0\u2003\x1c&;#<>\\`*_[]|~é→●"


def test_every_text_is_escaped_as_without_the_shortcut() -> None:
    rng = random.Random(7)
    texts = ["", " ", "12.5", "12.5%", "2005/06", "Burglary dwelling", "a  b", " a", "a ", "&lt;", "a & b"]
    texts += ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    for text in texts:
        assert md_text(text) == _escaped(text), repr(text)


def test_a_str_enum_prints_as_str_does() -> None:
    from lsprules.data.model import Missing

    assert md_text(Missing.NA) == _escaped(Missing.NA)
    assert md_text(3) == "3"
