"""Semantic diff of two rule sets: what changed in meaning, in domain words, and which indicators it touches.

Computed on aspects of the AST and the resolved rule sets, never on text: a change of layout or comments
gives no change at all. A profile's change is reported once, with the indicators it affects (those that do
not override it); an indicator's own changes are reported under the indicator.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from lsprules.audit.aspects import (
    NBSP,
    Aspect,
    aspect_clauses,
    clause_words,
    comparator_aspects,
    indicator_aspects,
    setting_aspects,
    theme_aspects,
)
from lsprules.audit.wording import count_words
from lsprules.lang import nodes
from lsprules.lang.resolve import ComparatorSpec, IndicatorSpec, RuleSet, ThemeSpec, walk

ARROW = "→"


@dataclass(frozen=True)
class Change:
    """One change in meaning: of which profile, indicator, group or theme, what, and what it affects."""

    kind: str
    subject: str
    aspect: str
    what: str
    before: str | None = None
    after: str | None = None
    line: int | None = None
    affects: tuple[str, ...] = ()

    def words(self) -> str:
        """The change in one line: 'profile crime_count: static tolerance within 1.5 % → 2 % (affects …)'."""
        text = f"{self.kind} {self.subject}: {self.what}"
        if self.affects:
            text += f" (affects {count_words(len(self.affects), 'indicator')}: {', '.join(self.affects)})"
        elif self.kind == "profile" and self.aspect not in ("added", "removed"):
            text += " (affects no indicator: every user overrides it)"
        elif self.kind == "comparator" and self.aspect not in ("added", "removed"):
            text += " (no indicator reads it)"
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"kind": self.kind, "subject": self.subject, "aspect": self.aspect, "what": self.what,
                "before": self.before, "after": self.after, "line": self.line, "affects": list(self.affects)}


@dataclass(frozen=True)
class RuleDiff:
    """Every change in meaning from one rule set to another."""

    old: str
    new: str
    changes: tuple[Change, ...]

    @property
    def meaning_changed(self) -> bool:
        """Whether anything but layout and comments changed."""
        return bool(self.changes)


def diff_rule_sets(old: RuleSet, new: RuleSet) -> RuleDiff:
    """The changes in meaning from `old` to `new`, profiles first, then indicators, groups and themes."""
    changes = [*_comparator_changes(old, new), *_profile_changes(old, new), *_indicator_changes(old, new),
               *_group_changes(old, new), *_theme_changes(old, new)]
    return RuleDiff(old.file, new.file, tuple(changes))


# --- comparing two sets of aspects ------------------------------------------------------------


def aspect_changes(kind: str, subject: str, old: dict[str, Aspect], new: dict[str, Aspect],
                   keys: Iterable[str] | None = None) -> list[Change]:
    """Changes between two sets of aspects of one subject (only `keys`, when given)."""
    out: list[Change] = []
    for key in keys if keys is not None else list(dict.fromkeys([*new, *old])):
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None and before.value == after.value:
            continue
        if key.endswith("clauses") and before is not None and after is not None:
            out.extend(_clause_changes(kind, subject, before, after))
        elif before is None and after is not None:
            out.append(Change(kind, subject, key, f"{after.text()} (added)", None, after.text(), after.line))
        elif after is None and before is not None:
            out.append(Change(kind, subject, key, f"{before.text()} (removed)", before.text(), None, before.line))
        elif before is not None and after is not None:  # the branches above leave both or neither
            out.append(Change(kind, subject, key, changed_words(before, after), before.text(), after.text(),
                              after.line))
    return out


def changed_words(before: Aspect, after: Aspect) -> str:
    """'static tolerance within 1.5 % → 2 %': the label, the words in common, and the words that differ."""
    old, new = before.words.split(" "), after.words.split(" ")
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    middle_old, middle_new = old[head:len(old) - tail], new[head:len(new) - tail]
    # Only a number (or period) that moved is worth pulling out of its phrase; otherwise say both in full.
    if len(middle_old) != 1 or len(middle_new) != 1 or not _numeric(middle_old[0]) or not _numeric(middle_new[0]):
        return f"{before.text()} {ARROW} {after.words}".replace(NBSP, " ")
    parts = [before.label, *old[:head], f"{middle_old[0]} {ARROW} {middle_new[0]}", *old[len(old) - tail:]]
    return " ".join(p for p in parts if p).replace(NBSP, " ")


def _numeric(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


def _clause_changes(kind: str, subject: str, before: Aspect, after: Aspect) -> list[Change]:
    """First-match clauses compared as a sequence: changed in place, added, removed, or moved."""
    noun = before.label[:-1]  # "RAG clause", "rating clause"
    old_clauses, new_clauses = aspect_clauses(before), aspect_clauses(after)
    old, new = [clause_words(c) for c in old_clauses], [clause_words(c) for c in new_clauses]
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []
    out: list[Change] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "replace":
            # Pair clauses up to the shorter run; the rest of the longer one are removed or added below.
            pairs = list(zip(range(i1, i2), range(j1, j2), strict=False))
            for i, j in pairs:
                if old_clauses[i].label == new_clauses[j].label:
                    out.append(Change(kind, subject, before.key, f"{noun} {j + 1} changed: `{old[i]}` {ARROW} "
                                      f"`{new[j]}`", old[i], new[j], _clause_line(after, j)))
                else:
                    removed.append((i, old[i]))
                    added.append((j, new[j]))
            removed += [(i, old[i]) for i in range(i1 + len(pairs), i2)]
            added += [(j, new[j]) for j in range(j1 + len(pairs), j2)]
        elif op == "delete":
            removed += [(i, old[i]) for i in range(i1, i2)]
        elif op == "insert":
            added += [(j, new[j]) for j in range(j1, j2)]
    return out + _moves_and_rest(kind, subject, before, after, noun, removed, added)


def _moves_and_rest(kind: str, subject: str, before: Aspect, after: Aspect, noun: str,
                    removed: list[tuple[int, str]], added: list[tuple[int, str]]) -> list[Change]:
    old_clauses, new_clauses = aspect_clauses(before), aspect_clauses(after)
    out: list[Change] = []
    for i, text in list(removed):
        match = next(((j, t) for j, t in added if t == text), None)
        if match is not None:
            removed.remove((i, text))
            added.remove(match)
            out.append(Change(kind, subject, before.key, f"{noun} moved from position {i + 1} to {match[0] + 1} "
                              f"(first match wins, so order matters): `{text}`", text, text,
                              _clause_line(after, match[0])))
    for i, text in list(removed):
        label = old_clauses[i].label
        match = next(((j, t) for j, t in added if new_clauses[j].label == label), None)
        if match is not None:
            removed.remove((i, text))
            added.remove(match)
            out.append(Change(kind, subject, before.key, f"{noun} {label} changed and moved from position {i + 1} "
                              f"to {match[0] + 1}: `{text}` {ARROW} `{match[1]}`", text, match[1],
                              _clause_line(after, match[0])))
    out += [Change(kind, subject, before.key, f"{noun} removed (was {i + 1}): `{t}`", t, None,
                   _clause_line(before, i)) for i, t in removed]
    out += [Change(kind, subject, before.key, f"{noun} added at position {j + 1}: `{t}`", None, t,
                   _clause_line(after, j)) for j, t in added]
    return out


def _clause_line(aspect: Aspect, index: int) -> int | None:
    span = aspect_clauses(aspect)[index].span
    return span.line if span is not None else None


# --- comparators -----------------------------------------------------------------------------


def _comparator_changes(old: RuleSet, new: RuleSet) -> list[Change]:
    before, after = old.comparators, new.comparators
    out: list[Change] = []
    for name in list(dict.fromkeys([*after, *before])):
        if name not in before:
            out.append(Change("comparator", name, "added", f"added: {comparator_aspects(after[name])['areas'].text()}",
                              line=_span_line(after[name])))
        elif name not in after:
            out.append(Change("comparator", name, "removed", "removed", line=_span_line(before[name])))
        else:
            users = tuple(i for i, spec in new.indicators.items() if spec.value and _reads(spec.value.expr, name))
            out += [Change(**{**c.__dict__, "affects": users}) for c in aspect_changes(
                "comparator", name, comparator_aspects(before[name]), comparator_aspects(after[name]))]
    return out


def _reads(expr: nodes.Expr, comparator: str) -> bool:
    """Whether a value expression reads a comparator (`x at c`, gap(x, c), ratio(x, c))."""
    for node in walk(expr):
        if isinstance(node, nodes.AtComparator) and node.comparator == comparator:
            return True
        if isinstance(node, nodes.Name) and node.id == comparator:
            return True
    return False


# --- profiles ---------------------------------------------------------------------------------


def _profiles(rules: RuleSet) -> dict[str, nodes.Profile]:
    return {p.name: p for p in rules.ast.items if isinstance(p, nodes.Profile)}


def _profile_changes(old: RuleSet, new: RuleSet) -> list[Change]:
    before, after = _profiles(old), _profiles(new)
    out: list[Change] = []
    for name in list(dict.fromkeys([*after, *before])):
        if name not in before:
            out.append(Change("profile", name, "added", "added", line=_span_line(after[name])))
        elif name not in after:
            out.append(Change("profile", name, "removed", "removed", line=_span_line(before[name])))
        else:
            for change in aspect_changes("profile", name, setting_aspects(before[name].settings),
                                         setting_aspects(after[name].settings)):
                out.append(_with_affects(change, name, old, new))
    return out


def _with_affects(change: Change, profile: str, old: RuleSet, new: RuleSet) -> Change:
    """The indicators using the profile whose resolved meaning changed in this aspect."""
    affected = []
    for ind, spec in new.indicators.items():
        was = old.indicators.get(ind)
        if spec.profile != profile or was is None or was.profile != profile:
            continue
        if indicator_aspects(was).get(change.aspect) != indicator_aspects(spec).get(change.aspect):
            affected.append(ind)
    return Change(**{**change.__dict__, "affects": tuple(affected)})


def _span_line(node: nodes.Node | IndicatorSpec | ComparatorSpec | ThemeSpec) -> int | None:
    return node.span.line if node.span is not None else None


# --- indicators -------------------------------------------------------------------------------


def _own_settings(rules: RuleSet) -> dict[str, tuple[nodes.Setting, ...]]:
    out: dict[str, tuple[nodes.Setting, ...]] = {}
    for item in rules.ast.items:
        for ind in item.indicators if isinstance(item, nodes.Group) else (item,):
            if isinstance(ind, nodes.Indicator):
                out[ind.name] = ind.settings or ()
    return out


def _indicator_changes(old: RuleSet, new: RuleSet) -> list[Change]:
    out: list[Change] = []
    profiles_before, profiles_after = _profiles(old), _profiles(new)
    own_before, own_after = _own_settings(old), _own_settings(new)
    for ind in list(dict.fromkeys([*new.indicators, *old.indicators])):
        was, now = old.indicators.get(ind), new.indicators.get(ind)
        if was is None:
            assert now is not None  # `ind` is an indicator of one rule set or the other
            out.append(Change("indicator", ind, "added", _added_words(now), line=_span_line(now)))
            continue
        if now is None:
            out.append(Change("indicator", ind, "removed", "removed", line=_span_line(was)))
            continue
        changes = aspect_changes("indicator", ind, indicator_aspects(was), indicator_aspects(now))
        from_profile = _profile_keys(was, now, profiles_before, profiles_after, own_before[ind], own_after[ind])
        out.extend(c for c in changes if c.aspect not in from_profile)
    return out


def _added_words(spec: IndicatorSpec) -> str:
    where = f" in group {spec.group.id}" if spec.group else ""
    uses = f", uses {spec.profile}" if spec.profile else ""
    return f"added: “{spec.title}”{where}{uses}"


def _profile_keys(was: IndicatorSpec, now: IndicatorSpec, profiles_before: dict[str, nodes.Profile],
                  profiles_after: dict[str, nodes.Profile], own_before: tuple[nodes.Setting, ...],
                  own_after: tuple[nodes.Setting, ...]) -> set[str]:
    """Aspects whose change comes from the shared profile (reported there), not from the indicator itself."""
    profile = now.profile  # the same as was.profile past the check below
    if profile is None or was.profile != profile or profile not in profiles_after or profile not in profiles_before:
        return set()
    before = setting_aspects(profiles_before[profile].settings)
    after = setting_aspects(profiles_after[profile].settings)
    mine_before, mine_after = setting_aspects(own_before), setting_aspects(own_after)
    return {key for key in {*before, *after}
            if before.get(key) != after.get(key) and mine_before.get(key) == mine_after.get(key)}


# --- groups and themes ------------------------------------------------------------------------


def _group_changes(old: RuleSet, new: RuleSet) -> list[Change]:
    before, after = {g.id: g for g in old.groups}, {g.id: g for g in new.groups}
    out = []
    for gid in list(dict.fromkeys([*after, *before])):
        if gid not in before:
            out.append(Change("group", gid, "added", f"added: “{after[gid].title or gid}”"))
        elif gid not in after:
            out.append(Change("group", gid, "removed", "removed"))
        elif before[gid].title != after[gid].title:
            out.append(Change("group", gid, "title", f"title “{before[gid].title}” {ARROW} “{after[gid].title}”",
                              before[gid].title, after[gid].title))
    return out


def _theme_changes(old: RuleSet, new: RuleSet) -> list[Change]:
    before, after = {t.id: t for t in old.themes}, {t.id: t for t in new.themes}
    out = []
    for tid in list(dict.fromkeys([*after, *before])):
        if tid not in before:
            out.append(Change("theme", tid, "added", f"added: “{after[tid].title}”", line=_span_line(after[tid])))
        elif tid not in after:
            out.append(Change("theme", tid, "removed", "removed", line=_span_line(before[tid])))
        else:
            out.extend(_member_changes(before[tid], after[tid], old, new))
            out.extend(aspect_changes("theme", tid, theme_aspects(before[tid]), theme_aspects(after[tid]),
                                      keys=("title", "scale", "rating.clauses", "coverage")))
    return out


def _written_members(rules: RuleSet, theme_id: str) -> list[str]:
    theme = next(t for t in rules.ast.items if isinstance(t, nodes.Theme) and t.name == theme_id)
    return [n for s in theme.settings if isinstance(s, nodes.Members) for n in s.names]


def _member_changes(before: ThemeSpec, after: ThemeSpec, old: RuleSet, new: RuleSet) -> list[Change]:
    """Members as written (groups or indicators), then indicators that join or leave through a group."""
    written_before, written_after = _written_members(old, before.id), _written_members(new, after.id)
    groups = {g.id for g in new.groups} | {g.id for g in old.groups}
    out = []
    for name in written_after:
        if name not in written_before:
            out.append(Change("theme", after.id, "members", f"member {_member_kind(name, groups)} {name} added",
                              None, name))
    for name in written_before:
        if name not in written_after:
            out.append(Change("theme", after.id, "members", f"member {_member_kind(name, groups)} {name} removed",
                              name, None))
    joined = [m for m in after.members if m not in before.members and m not in written_after]
    left = [m for m in before.members if m not in after.members and m not in written_before]
    if joined:
        out.append(Change("theme", after.id, "members", f"indicators joining through their group: "
                          f"{', '.join(joined)}", None, ", ".join(joined)))
    if left:
        out.append(Change("theme", after.id, "members", f"indicators leaving with their group: {', '.join(left)}",
                          ", ".join(left), None))
    return out


def _member_kind(name: str, groups: set[str]) -> str:
    return "group" if name in groups else "indicator"
