"""Three-valued logic over conditions: True, False, or None when a fact cannot be known.

`and`, `or` and `not` follow Kleene's rules (false and unknown is false; true or unknown is true), so a
clause is undecidable only when what is unknown could change its outcome. Every evaluator of conditions
(RAG clauses, theme ratings, the band analysis) shares this one walk and supplies only its leaves.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprules.lang import nodes

Truth = bool | None


def decide(expr: nodes.Expr, leaf: Callable[[nodes.Expr], Truth]) -> Truth:
    """The truth of a condition; `leaf` judges everything that is not `and`, `or` or `not`."""
    if isinstance(expr, nodes.And):
        left = decide(expr.left, leaf)
        if left is False:
            return False
        right = decide(expr.right, leaf)
        return False if right is False else (None if None in (left, right) else True)
    if isinstance(expr, nodes.Or):
        left = decide(expr.left, leaf)
        if left is True:
            return True
        right = decide(expr.right, leaf)
        return True if right is True else (None if None in (left, right) else False)
    if isinstance(expr, nodes.Not):
        inner = decide(expr.operand, leaf)
        return None if inner is None else not inner
    return leaf(expr)
