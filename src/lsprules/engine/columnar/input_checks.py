"""What every columnar engine checks of a long-form CSV file before its plan runs, as the reference reader would.

An engine reads the file its own way and works out, in bulk, whether every value is a number or a missing word,
the most decimal places and digits a value has, whether a row is repeated, and the distinct area, indicator and
period cells; the checks of those cells are here, once. Anything the reference reader would read differently or
report (quotes, other columns, a bad cell, two kinds of period, an unknown --period or --area) is a Fallback: the
reference path runs instead and reports it by row and column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprules.core.periods import Period, PeriodError, PeriodKind, parse_period
from lsprules.data.model import DATA_LEVELS
from lsprules.data.readers.long_form import INDICATOR_ID, REQUIRED
from lsprules.engine.columnar.derived import FIELD_MARK, LEVEL_MARK
from lsprules.lang.resolve import RuleSet, comparator_areas

# The reference reader's NUMBER (^[+-]?\d+(\.\d+)?$) with ASCII digits: any other digit goes to the reference.
NUMBER_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"
MISSING_WORDS = ("", "na", "n/a", "suppressed")  # as data/readers/long_form.MISSING_WORDS, lower case
MISSING_PATTERN = r"^(|na|n/a|suppressed)$"
REFUSED = "a value that is not a number, or two rows for one area, indicator and period"
MAX_SCALE = 18  # decimal places a value may have: beyond, the exact scaled integers could overflow
FIELD_ROWS = ("fields (such as numerators) of an indicator that is not a derived one, which the one-area read "
              "(explain --area) does not hand over yet")
FIELD = "field"  # the optional column naming a field of the row's indicator (a numerator, a count), read as its key
LEVEL = "level"  # the optional column naming the reference level (or the target) a row gives, read as its key
# The periods of a file's values (its rows giving no level), in the engines' SQL (the table `observations`).
VALUE_PERIODS_SQL = f"SELECT DISTINCT period FROM observations WHERE indicator NOT LIKE '%{LEVEL_MARK}%'"


def key_sql(names: Iterable[str], level_name: str = LEVEL) -> str:
    """A row's indicator as the plan reads it, in SQL, given the file's columns. A row naming a field holds that
    field (derived.field_key); one naming a level gives it (derived.level_key), and only as a number: a level row
    without one (which the reference reports), or naming a field too, is read as no indicator, which the checks
    refuse (an empty cell). An indicator cell holding the mark of a key (never an identifier) is read as none too:
    a key is never a cell's own text. `level_name`: the SQL of the level's name in the key (the cell as it is); a
    row whose name is empty is no level row."""
    columns = set(names)
    field, level = "field IS NOT NULL AND field <> ''", f"level IS NOT NULL AND {level_name} <> ''"
    whens = [f"WHEN indicator LIKE '%{FIELD_MARK}%' OR indicator LIKE '%{LEVEL_MARK}%' THEN NULL"]
    if LEVEL in columns:
        missing = ", ".join(f"'{word}'" for word in MISSING_WORDS)
        whens += [f"WHEN {level} AND {field} THEN NULL"] if FIELD in columns else []
        whens += [f"WHEN {level} AND (value IS NULL OR lower(value) IN ({missing})) THEN NULL",
                  f"WHEN {level} THEN indicator || '{LEVEL_MARK}' || {level_name}"]
    if FIELD in columns:
        whens.append(f"WHEN {field} THEN indicator || '{FIELD_MARK}' || field")
    return f"CASE {' '.join(whens)} ELSE indicator END"


@dataclass(frozen=True)
class Fallback:
    """Why the columnar engine steps aside for this run: the reference path runs instead."""

    reason: str
    note: bool = False  # whether a user should be told even when they did not ask for this engine


@dataclass(frozen=True)
class Checked:
    """What the checks found out about a file: its kind of period, the most places and digits of a value
    (integer and fraction), its periods by label and its areas."""

    kind: PeriodKind
    scale: int
    digits: int
    periods: dict[str, Period]
    areas: set[str]
    indicators: frozenset[str] = frozenset()


def header_columns(path: Path) -> list[str] | Fallback:
    """The file's column names, when they are exactly the four required ones (and perhaps `field` and `level`), plainly
    written, and no cell is beyond the size limit (an engine reading without quotes would otherwise load every row
    after an unclosed one)."""
    from lsprules.core.diagnostics import InputError
    from lsprules.data.readers.csv_guard import read_guarded

    try:
        if not read_guarded(path, keep=False).complete:
            return Fallback("a field beyond the size limit (csv_field_size)")
    except InputError:
        return Fallback("the file cannot be read here")
    try:
        with path.open("rb") as stream:
            header = stream.readline()
    except OSError:
        return Fallback("the file cannot be read here")
    names = header.decode("utf-8", "replace").rstrip("\n").split(",")
    if sorted(set(names) - {FIELD, LEVEL}) != sorted(REQUIRED) or len(set(names)) != len(names) or b'"' in header \
            or b"\r" in header:
        return Fallback("not exactly the columns area, indicator, period, value (and perhaps field and level)")
    return names


def read_as_pattern(path: Path) -> bool:
    """Whether an engine would read `path` as a pattern of files: DuckDB expands *, ? and [ (and Spark also {) in a
    file name, to several files or another one, where the reference reader opens the file it names."""
    return any(ch in str(path) for ch in "*?[{")


def checked(bad: int, duplicates: int, scale: int, digits: int, cells: Mapping[str, Iterable[str | None]],
            of_values: Callable[[], Iterable[str]] = lambda: ()) -> Checked | Fallback:
    """The verdict on a file from what an engine counted (values that are neither numbers nor missing words,
    repeated rows, the most decimal places and integer digits) and its distinct area, indicator (or a field's key,
    key_sql) and period cells; with level rows, its periods are those of its values, `of_values()` (the reference
    knows a dataset's periods by its values: a level row may give another)."""
    if bad or duplicates:
        return Fallback(REFUSED)
    if scale > MAX_SCALE:
        return Fallback(f"a value with more than {MAX_SCALE} decimal places", note=True)
    found = {column: list(values) for column, values in cells.items()}
    if any(c is None or c != c.strip() or not c for column in found.values() for c in column):
        return Fallback("an empty cell, or one with spaces around it")
    # A cell that starts with a quote: the reference's csv module reads it as quoted, the engines read it as text.
    if any(c.startswith('"') for column in found.values() for c in column if c is not None):
        return Fallback("a quoted cell")
    if not all(c is not None and _indicator_key(c) for c in found["indicator"]):
        return Fallback("an indicator cell that is not an identifier, a field cell with spaces around it, or a level "
                        "row the reference must read or report")
    periods: dict[str, Period] = {}
    for label in found["period"]:
        assert label is not None  # refused above
        try:
            periods[label] = parse_period(label)
        except PeriodError:
            return Fallback("a period the reference reader must report")
    kinds = {p.kind for p in periods.values()}
    if len(kinds) > 1 or any(p.label != label for label, p in periods.items()):
        return Fallback("periods of two kinds, or written unusually")
    kind = kinds.pop() if kinds else PeriodKind.FINANCIAL_YEAR  # no rows: any kind gives no assessment
    indicators = frozenset(c for c in found["indicator"] if c is not None)
    if any(LEVEL_MARK in key for key in indicators):
        valued = set(of_values())
        periods = {label: period for label, period in periods.items() if label in valued}
    return Checked(kind, scale, digits + scale, periods, {c for c in found["area"] if c is not None}, indicators)


def fields_of_raw(found: Checked, rules: RuleSet | None) -> Fallback | None:
    """Why not, when the data has rows naming a field of an indicator that is not a derived one of the rules (of
    any, without them), for a caller that does not read them (requested)."""
    owners = {key.partition(FIELD_MARK)[0] for key in found.indicators if FIELD_MARK in key}
    if rules is not None:
        owners = {owner for owner in owners if owner in rules.indicators and rules.indicators[owner].value is None}
    return Fallback(FIELD_ROWS, note=True) if owners else None


def field_keys(found: Checked) -> frozenset[str]:
    """The keys of the rows giving fields (derived.field_key) in a checked file."""
    return frozenset(key for key in found.indicators if FIELD_MARK in key)


def level_keys(found: Checked) -> frozenset[str]:
    """The keys of the rows giving reference levels (derived.level_key) in a checked file."""
    return frozenset(key for key in found.indicators if LEVEL_MARK in key)


def _indicator_key(key: str) -> bool:
    """Whether an indicator cell, or the key of a field's or a level's row (key_sql), is one the reference reads
    alike: an identifier, a field named without spaces around it (which the reference would strip) or a quote, and
    a level by its own name (the reference also reads `Target` or ` target ` as one)."""
    indicator, level_marked, level = key.partition(LEVEL_MARK)
    if level_marked:
        return bool(INDICATOR_ID.match(indicator)) and level in DATA_LEVELS
    indicator, marked, field = key.partition(FIELD_MARK)  # (an empty field is no field: key_sql)
    return bool(INDICATOR_ID.match(indicator)) and (not marked or (field == field.strip()
                                                                    and not field.startswith('"')))


def period_at(text: str | None, periods: dict[str, Period]) -> Period | None | Fallback:
    """The --period asked for, when the data has it (None: the latest of each series)."""
    if text is None:
        return None
    try:
        wanted = parse_period(text)
    except PeriodError:
        return Fallback("a --period the reference reports")
    if wanted not in periods.values():
        return Fallback("a --period the data does not have")
    return wanted


def requested(found: Checked, period: str | None, areas: Sequence[str] | None,
              rules: RuleSet | None = None, fields: bool = False) -> Period | None | Fallback:
    """The --period asked for (period_at), when the data has it and every --area asked for; and, given the rules,
    when the data has no rows of a derived indicator (the interpreter checks them as printed figures). Rows naming
    a field of an indicator the rules assess from its values (without the rules: of any) only when the caller reads
    them (`fields`: the plans; area_rows, which hands one area's rows to the reference reader, does not)."""
    at = period_at(period, found.periods)
    if isinstance(at, Fallback):
        return at
    refused = None if fields else fields_of_raw(found, rules)
    if refused is not None:
        return refused
    if areas is not None and not set(areas) <= found.areas:
        return Fallback("an --area the data does not have")
    if rules is not None and not set(comparator_areas(rules)) <= found.areas:
        return Fallback("a comparator's area the data does not have")  # (the reference run says so: E315)
    printed = sorted(s.id for s in rules.indicators.values() if s.value is not None and s.id in found.indicators) \
        if rules is not None else []
    if printed:
        return Fallback(f"the data has figures of the derived indicator {printed[0]}, which the reference interpreter "
                        "checks against the computed ones", note=True)
    return at
