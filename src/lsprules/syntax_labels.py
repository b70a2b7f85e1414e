"""Known-bad examples that label syntax errors in words (after Lark's `match_examples`)."""

from __future__ import annotations

from functools import lru_cache

from lark import UnexpectedInput, UnexpectedToken

# Each label is matched when the parser fails in the same state as on one of its examples.
EXAMPLES: dict[str, list[str]] = {
    "missing closing brace '}'": [
        "profile p {", "indicator a {", "indicator a { unit count", "profile p { arrow {",
        "profile p { rag { red otherwise", "group g {", "theme t {", "profile p { target {",
        "theme t { rating { A otherwise",
    ],
    "`when` needs a condition": [
        "profile p { rag { green when } }", "profile p { rag { green when red otherwise } }",
        "theme t { rating { A when } }",
    ],
    "a clause needs `when CONDITION` or `otherwise` after its band": [
        "profile p { rag { green } }", "profile p { rag { green value > 1 } }",
        "theme t { rating { A } }",
    ],
    "an indicator needs an id before its title": [
        'indicator "Theft of Vehicle"', 'indicator { unit count }',
    ],
    "a profile needs a name": ["profile {", 'profile "crime" {'],
    "`uses` needs the name of a profile": ["indicator a uses {", 'indicator a uses "p"'],
    "`compare latest with` needs previous, same period last year, or mean of previous N": [
        "profile p { arrow { compare latest with } }", "profile p { arrow { compare latest with last } }",
        "profile p { arrow { compare with previous } }",
    ],
    "`static` needs `within` or `below` and a tolerance, e.g. `static within 1.5 %`": [
        "profile p { arrow { static 1.5 % } }", "profile p { arrow { static within } }",
    ],
    "a period is needed here, e.g. 2003/04": [
        "profile p { target { baseline } }", "profile p { target { baseline x } }",
        "profile p { target { reduce by 10 % by } }", "profile p { target { reduce by 10 % by x } }",
    ],
    "`value =` needs an expression": ["indicator a { value = }", "indicator a { value = + }"],
    "an expression is incomplete": ["indicator a { value = a + }", "indicator a { value = (a }",
                                    "indicator a { value = sum(a, }"],
    "a setting was expected: unit, polarity, value, fields, decimals, arrow, target or rag": [
        "profile p { colour red }", "indicator a { polarity }", "indicator a { unit }",
    ],
}


@lru_cache(maxsize=1)
def _examples() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((label, tuple(snippets)) for label, snippets in EXAMPLES.items())


def label_for(text: str, exc: UnexpectedInput) -> str | None:
    """The label of the known-bad example that fails like this text does, or None."""
    if not isinstance(exc, UnexpectedToken):
        return None
    from .parser import _lark

    try:
        return exc.match_examples(_lark().parse, dict(_examples()), use_accepts=True)
    except Exception:  # a labelling failure must never hide the real error
        return None
