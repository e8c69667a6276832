"""The FTS record contract: the fields, every rule and every coercion. This is the only place they are defined.

How a batch is checked
----------------------
``check_records`` turns a page (or a batch of pages) of API items into one *cells frame*, a long pandas DataFrame
with one row per (item, field) cell. Each rule below is a single DataFrame-level ``pa.Check`` (``name`` = the rule id,
``error`` = what it means) whose predicate is vectorised over every cell it applies to, so one check covers all the
fields of its scope. The hard rules form :data:`HARD_SCHEMA`, validated once per call (``lazy=True``); the soft rules
form :data:`SOFT_SCHEMA`, whose checks are called directly (see there why). ``validate_table`` turns a table read back
from the warehouse into the same frame and validates it with :data:`HARD_SCHEMA`.

Columns of the cells frame (index: a RangeIndex, one number per cell):

``record``  position of the item in the input list (or of the row in the table)
``field``   categorical: the 14 documented fields first, then fields beyond the contract; null for the *item cell*
            (one per item, holding the item itself, checked by ``not_an_object``)
``kind``    categorical, the JSON type of the value: absent (key not sent), null, boolean, integer, number, string,
            object, array or other (not a JSON type: only possible from Python callers)
``value``   the raw value, untouched (object dtype)

Hard rules reject the record (it goes to ``fts_records_rejected`` with one reason per broken rule); a cell breaks at
most one hard rule. Soft rules never reject: their findings among the *loaded* records are counted in ``Drift``.

Decisions (beyond the issue text)
---------------------------------
* Only ``record_id`` is required; ``""`` counts as missing, a whitespace-only id is kept as is.
* A number in a STRING field other than ``record_id`` is coerced to text (lossless); ``record_id`` must be a string.
  Booleans are never coerced: they are not numbers, not strings and not dates.
* ``log_date`` must be ``YYYY-MM-DD`` with ASCII digits, a real calendar day, year 0001-9999; surrounding whitespace is
  trimmed. A datetime string (``2024-01-05T00:00:00``) is *not* a date.
* Numeric text: DOUBLE accepts decimal notation (``12.5``, ``-3``, ``1e3``, ``.5``); INT accepts integer text
  (``4``, ``-4``, ``4.0``). ``NaN``/``inf``/hex/``1_000`` text is not a number. Surrounding whitespace is allowed.
* An integer becomes the nearest double in a DOUBLE field (as any JSON parser does; exact up to 2**53); one too large
  for a double is ``not_finite``.
* Soft findings are counted only for records that are loaded; "missing" means the key is absent (null is not counted).
* Values only Python callers can send: numpy scalars and str/int/float subclasses are classified by what they are and
  loaded as plain ``int``/``float``/``str``; ``Decimal``, ``bytes``, dates and other objects are ``other`` (rejected by
  the field's type rule); tuples/sets count as arrays.
"""

from __future__ import annotations

import math
import numbers
import re
import threading
import weakref

import numpy as np
import pandas as pd
import pandera.pandas as pa

__all__ = [
    "FIELD_TYPES", "FIELDS", "PRIMARY_KEY", "DOCUMENTED_VALUES", "ID_PREFIXES", "NON_NEGATIVE", "UNIT_INTERVAL",
    "INT32_MIN", "INT32_MAX", "KINDS", "ABSENT", "COERCIONS", "HARD_RULES", "SOFT_RULES", "RULES",
    "HARD_SCHEMA", "SOFT_SCHEMA", "LOADED_TYPES", "kind_codes", "needs_coercion", "coerce", "rules_markdown",
]

# --------------------------------------------------------------------------------------------------------------------
# The fields
# --------------------------------------------------------------------------------------------------------------------

#: The 14 documented fields, in the documented order, with their Fivetran (warehouse) types.
FIELD_TYPES: dict[str, str] = {
    "record_id": "STRING",
    "log_date": "NAIVE_DATE",
    "technician_id": "STRING",
    "log_description": "STRING",
    "equipment_id": "STRING",
    "maintenance_type": "STRING",
    "maintenance_status": "STRING",
    "erp_order_id": "STRING",
    "customer_id": "STRING",
    "summarized_log": "STRING",
    "failure_rate": "DOUBLE",
    "maintenance_cost": "DOUBLE",
    "downtime_hours": "INT",
    "summarization_time_saved": "INT",
}
FIELDS: tuple[str, ...] = tuple(FIELD_TYPES)
PRIMARY_KEY = "record_id"

DOCUMENTED_VALUES: dict[str, tuple[str, ...]] = {
    "maintenance_type": ("Predictive", "Corrective", "Condition-Based"),
    "maintenance_status": ("Completed", "Delayed", "In Progress", "Cancelled"),
}
#: id fields and the prefix of their documented shape ``PREFIX_`` + 6 digits, e.g. ``TECH_000123``.
ID_PREFIXES: dict[str, str] = {
    "technician_id": "TECH",
    "equipment_id": "EQUIP",
    "erp_order_id": "ORDER",
    "customer_id": "CUST",
}
UNIT_INTERVAL: tuple[str, ...] = ("failure_rate",)  # expected 0–1
NON_NEGATIVE: tuple[str, ...] = ("maintenance_cost", "downtime_hours", "summarization_time_saved")
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_DOUBLES = tuple(f for f, t in FIELD_TYPES.items() if t == "DOUBLE")
_INTS = tuple(f for f, t in FIELD_TYPES.items() if t == "INT")

_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DECIMAL_TEXT = r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*"
_INTEGER_TEXT = r"\s*[+-]?[0-9]+(?:\.0*)?\s*"
_ID_SHAPE = {f: re.compile(rf"{p}_[0-9]{{6}}") for f, p in ID_PREFIXES.items()}
_DECIMAL_RX = re.compile(_DECIMAL_TEXT)
_INTEGER_RX = re.compile(_INTEGER_TEXT)
_ISO_DATE_RX = re.compile(rf"\s*(?!0000){_ISO_DATE}\s*")  # year 0000 does not exist
_MAX_STR_INT = 10**1000  # integers with more digits are not turned into text (Python refuses above 4300 digits)

# --------------------------------------------------------------------------------------------------------------------
# Kinds: the JSON type of each cell
# --------------------------------------------------------------------------------------------------------------------


class _Absent:
    """The value of a documented field whose key the record does not have."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"

    def __reduce__(self):
        return "ABSENT"


ABSENT = _Absent()

KINDS: tuple[str, ...] = ("absent", "null", "boolean", "integer", "number", "string", "object", "array", "other")
K_ABSENT, K_NULL, K_BOOLEAN, K_INTEGER, K_NUMBER, K_STRING, K_OBJECT, K_ARRAY, K_OTHER = range(len(KINDS))
KIND_DTYPE = pd.CategoricalDtype(list(KINDS))
_NOTHING = (K_ABSENT, K_NULL)
_NESTED = (K_OBJECT, K_ARRAY)
_NUMERIC = (K_INTEGER, K_NUMBER)
_KIND_BY_TYPE = {
    _Absent: K_ABSENT, type(None): K_NULL, bool: K_BOOLEAN, int: K_INTEGER, float: K_NUMBER, str: K_STRING,
    dict: K_OBJECT, list: K_ARRAY, tuple: K_ARRAY,
}


def _kind_of(value) -> int:
    """Kind of a value whose exact type is not a plain JSON type (subclasses, numpy scalars, anything else)."""
    if isinstance(value, (bool, np.bool_)):
        return K_BOOLEAN
    if isinstance(value, numbers.Integral):
        return K_INTEGER
    if isinstance(value, numbers.Real):
        return K_NUMBER
    if isinstance(value, str):
        return K_STRING
    if isinstance(value, dict):
        return K_OBJECT
    if isinstance(value, (list, tuple, set, frozenset)):
        return K_ARRAY
    return K_OTHER


def kind_codes(values: list) -> tuple[np.ndarray, np.ndarray | None]:
    """The kind code of each value, and a mask of values that are not of the plain Python type of their kind
    (e.g. numpy scalars, str subclasses), which loading normalises; ``None`` when there are none."""
    get = _KIND_BY_TYPE.get
    codes = [get(type(v), -1) for v in values]
    exotic = None
    if -1 in codes:
        exotic = np.array([c == -1 for c in codes])
        codes = [c if c >= 0 else _kind_of(v) for c, v in zip(codes, values, strict=True)]
    return np.array(codes, dtype=np.int8), exotic


# --------------------------------------------------------------------------------------------------------------------
# Vectorised helpers for the rule predicates
# --------------------------------------------------------------------------------------------------------------------


class Cells:
    """Numpy view of a cells frame for the predicates. One view is shared by all the checks of one validation (see
    ``Cells.of_frame``), and what several rules need (field masks, parsed numbers) is computed once per view."""

    __slots__ = ("index", "field", "labels", "kind", "value", "_codes", "_memo")


    def __init__(self, frame: pd.DataFrame):
        self.index = frame.index
        field = frame["field"]
        self.field = field.cat.codes.to_numpy()
        self.labels = field.cat.categories
        self._codes = {label: code for code, label in enumerate(self.labels)}
        self.kind = frame["kind"].cat.codes.to_numpy()
        self.value = frame["value"].to_numpy()
        self._memo: dict = {}

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> Cells:
        """The view of ``frame``: the one made for the previous check (in this thread) when it was on the same frame
        object."""
        last = getattr(_LAST_VIEW, "last", None)
        if last is not None and last[0]() is frame:
            return last[1]
        view = cls(frame)
        _LAST_VIEW.last = (weakref.ref(frame), view)
        return view

    @staticmethod
    def release() -> None:
        """Drop this thread's cached view (it holds the batch's values) once a validation is over."""
        _LAST_VIEW.last = None

    def memo(self, key, compute):
        """``compute()``, once per view and key. Results are shared: callers must not modify them."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def of(self, *names: str) -> np.ndarray:
        """Cells of the named fields (a new array)."""
        return self.memo(("of", names), lambda: _lookup(self.field, [self._codes.get(n) for n in names],
                                                        len(self.labels))).copy()

    def of_type(self, ftype: str) -> np.ndarray:
        return self.of(*(f for f, t in FIELD_TYPES.items() if t == ftype))

    def documented(self) -> np.ndarray:
        return self.of(*FIELDS)

    def kind_in(self, *kinds: int) -> np.ndarray:
        return _lookup(self.kind, kinds, len(KINDS))

    def result(self, ok: np.ndarray) -> pd.Series:
        return pd.Series(ok, index=self.index, copy=False)


_LAST_VIEW = threading.local()  # .last = (weakref to the last frame seen, its view)


def _lookup(codes: np.ndarray, wanted, n_codes: int) -> np.ndarray:
    """codes ∈ wanted, by a lookup table (code -1, i.e. null, is never wanted)."""
    key = (tuple(wanted), n_codes)
    table = _TABLES.get(key)
    if table is None:
        table = np.zeros(n_codes + 1, dtype=bool)
        table[[w for w in wanted if w is not None]] = True
        if len(_TABLES) < 1024:
            _TABLES[key] = table
    return table[codes]


_TABLES: dict = {}


def _text_matches(values: np.ndarray, pattern: re.Pattern) -> np.ndarray:
    """``pattern.fullmatch`` of each string in ``values`` (what pandas' ``.str.fullmatch`` does on object data, without
    its per-call overhead, which dominates on pages of 100)."""
    match = pattern.fullmatch
    return np.fromiter((match(v) is not None for v in values), dtype=bool, count=len(values))


def _floats(values: np.ndarray) -> np.ndarray:
    """float() of each value (ints, floats, numeric text); an integer too large for a double becomes ±inf."""
    try:
        return values.astype(np.float64)
    except (OverflowError, ValueError, TypeError):
        return np.array([_float_or_inf(v) for v in values], dtype=np.float64)


def _float_or_inf(v) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _numeric(c: Cells, fields: tuple, text_pattern: re.Pattern) -> tuple[np.ndarray, np.ndarray]:
    """For the cells of ``fields``: which hold a number (integer, number, or text matching ``text_pattern``) and its
    float value (NaN elsewhere). Computed once per view; the arrays are shared (read only)."""
    return c.memo(("numeric", fields, text_pattern), lambda: _parse_numeric(c, c.of(*fields), text_pattern))


def _parse_numeric(c: Cells, scope: np.ndarray, text_pattern: re.Pattern) -> tuple[np.ndarray, np.ndarray]:
    is_num = scope & c.kind_in(*_NUMERIC)
    is_text = scope & (c.kind == K_STRING)
    if is_text.any():
        is_text[is_text] = _text_matches(c.value[is_text], text_pattern)
        is_num |= is_text
    out = np.full(len(c.kind), np.nan)
    if is_num.any():
        out[is_num] = _floats(c.value[is_num])
    return is_num, out


def _iso_dates(values: np.ndarray) -> np.ndarray:
    """Which strings are ISO calendar dates ``YYYY-MM-DD`` (surrounding whitespace allowed), years 0001-9999."""
    shaped = _text_matches(values, _ISO_DATE_RX)
    if shaped.any():
        texts = values[shaped]
        padded = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) != 10
        if padded.any():
            texts = texts.copy()
            texts[padded] = [t.strip() for t in texts[padded]]
        try:  # numpy parses the whole array at C speed but refuses it all if one day does not exist (2023-02-29)
            texts.astype("datetime64[D]")
        except ValueError:
            shaped[shaped] = ~np.isnat(pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce").to_numpy())
    return shaped


# --------------------------------------------------------------------------------------------------------------------
# The rules. Each predicate returns True for the cells that keep the rule (cells outside its scope keep it).
# --------------------------------------------------------------------------------------------------------------------

HARD_RULES: list[pa.Check] = []
SOFT_RULES: list[pa.Check] = []
RULE_SCOPE: dict[str, str] = {}


def _rule(registry: list, name: str, scope: str, meaning: str):
    def register(predicate):
        def check(frame: pd.DataFrame) -> pd.Series:
            c = Cells.of_frame(frame)
            return c.result(predicate(c))

        check.__name__ = check.__qualname__ = name
        registry.append(pa.Check(check, name=name, error=f"{name}: {meaning}", ignore_na=False))
        RULE_SCOPE[name] = scope
        return predicate

    return register


def hard_rule(name: str, scope: str, meaning: str):
    return _rule(HARD_RULES, name, scope, meaning)


def soft_rule(name: str, scope: str, meaning: str):
    return _rule(SOFT_RULES, name, scope, meaning)


# ---- hard: the record cannot be loaded faithfully ------------------------------------------------------------------


@hard_rule("not_an_object", "the item", "the item is not a JSON object (a string, number, list or null was sent)")
def _item_is_object(c: Cells) -> np.ndarray:
    return (c.field >= 0) | (c.kind == K_OBJECT)


@hard_rule("required", "record_id", "record_id is missing, null or empty")
def _record_id_present(c: Cells) -> np.ndarray:
    pk = c.of(PRIMARY_KEY)
    missing = pk & c.kind_in(*_NOTHING)
    text = pk & (c.kind == K_STRING)
    missing[text] = c.value[text] == ""
    return ~missing


@hard_rule("nested_value", "the 14 fields", "an object or array where the contract has a scalar")
def _not_nested(c: Cells) -> np.ndarray:
    return ~(c.documented() & c.kind_in(*_NESTED))


@hard_rule("not_a_string", "STRING fields", "not text (record_id: not a string; others: not text nor a finite number)")
def _is_string(c: Cells) -> np.ndarray:
    scope = c.of_type("STRING")
    ok = c.kind_in(K_STRING, *_NOTHING, *_NESTED)
    coercible = scope & ~c.of(PRIMARY_KEY) & c.kind_in(*_NUMERIC)
    if coercible.any():
        nums = c.value[coercible]
        is_int = c.kind[coercible] == K_INTEGER
        good = np.zeros(len(nums), dtype=bool)
        good[is_int] = [abs(v) < _MAX_STR_INT for v in nums[is_int]]
        good[~is_int] = np.isfinite(_floats(nums[~is_int]))
        ok[coercible] = good
    return ~scope | ok


@hard_rule("not_a_date", "log_date", "not an ISO date YYYY-MM-DD (a real calendar day, year 0001-9999)")
def _is_date(c: Cells) -> np.ndarray:
    scope = c.of_type("NAIVE_DATE")
    ok = c.kind_in(*_NOTHING, *_NESTED)
    text = scope & (c.kind == K_STRING)
    if text.any():
        ok[text] = _iso_dates(c.value[text])
    return ~scope | ok


@hard_rule("not_a_number", "DOUBLE fields", "not a number nor decimal text (booleans are not numbers)")
def _is_number(c: Cells) -> np.ndarray:
    is_num, _ = _numeric(c, _DOUBLES, _DECIMAL_RX)
    return ~c.of_type("DOUBLE") | is_num | c.kind_in(*_NOTHING, *_NESTED)


@hard_rule("not_finite", "DOUBLE fields", "NaN or ±Infinity (or a number too large for a double)")
def _is_finite(c: Cells) -> np.ndarray:
    is_num, x = _numeric(c, _DOUBLES, _DECIMAL_RX)
    return ~is_num | np.isfinite(x)


def _integral(c: Cells) -> tuple[np.ndarray, np.ndarray]:
    """INT cells holding an integer value (integer, integral finite number, integer text) and that value as float."""
    def compute():
        is_num, x = _numeric(c, _INTS, _INTEGER_RX)
        with np.errstate(invalid="ignore"):
            return is_num & ((c.kind == K_INTEGER) | (np.isfinite(x) & (np.floor(x) == x))), x

    return c.memo("integral", compute)


@hard_rule("not_an_integer", "INT fields", "not an integer (2.5, 'x', true, NaN); 4.0 and '4' are integers")
def _is_integer(c: Cells) -> np.ndarray:
    integral, _ = _integral(c)
    return ~c.of_type("INT") | integral | c.kind_in(*_NOTHING, *_NESTED)


@hard_rule("out_of_int32_range", "INT fields", "an integer outside the 32-bit signed range")
def _in_int32(c: Cells) -> np.ndarray:
    integral, x = _integral(c)
    return ~integral | ((x >= INT32_MIN) & (x <= INT32_MAX))


# ---- soft: loadable but unexpected ---------------------------------------------------------------------------------


@soft_rule("undocumented_value", "maintenance_type, maintenance_status", "a value outside the documented values")
def _documented_value(c: Cells) -> np.ndarray:
    bad = np.zeros(len(c.kind), dtype=bool)
    for field, allowed in DOCUMENTED_VALUES.items():
        scope = c.of(field) & c.kind_in(K_STRING, *_NUMERIC)
        if scope.any():
            documented = frozenset(allowed)
            bad[scope] = ~np.fromiter((v in documented for v in c.value[scope]), dtype=bool, count=int(scope.sum()))
    return ~bad


@soft_rule("out_of_range", "failure_rate", "a rate outside 0–1")
def _in_unit_interval(c: Cells) -> np.ndarray:
    is_num, x = _numeric(c, UNIT_INTERVAL, _DECIMAL_RX)
    with np.errstate(invalid="ignore"):
        return ~(is_num & ((x < 0) | (x > 1)))


@soft_rule("negative", "maintenance_cost, downtime_hours, summarization_time_saved", "a negative cost or duration")
def _not_negative(c: Cells) -> np.ndarray:
    is_num, x = _numeric(c, NON_NEGATIVE, _DECIMAL_RX)
    with np.errstate(invalid="ignore"):
        return ~(is_num & (x < 0))


@soft_rule("id_shape", "technician_id, equipment_id, erp_order_id, customer_id", "an id not shaped like TECH_000123")
def _id_shaped(c: Cells) -> np.ndarray:
    bad = np.zeros(len(c.kind), dtype=bool)
    for field, rx in _ID_SHAPE.items():
        scope = c.of(field)
        bad |= scope & c.kind_in(*_NUMERIC)
        text = scope & (c.kind == K_STRING)
        if text.any():
            bad[text] = ~_text_matches(c.value[text], rx)
    return ~bad


@soft_rule("extra_field", "fields beyond the 14", "a field the contract does not document (passed through)")
def _documented_field(c: Cells) -> np.ndarray:
    return (c.field < 0) | c.documented()


@soft_rule("missing_field", "the 13 optional fields", "a documented field absent from the record (loaded as NULL)")
def _field_present(c: Cells) -> np.ndarray:
    return ~(c.documented() & (c.kind == K_ABSENT))


RULES: dict[str, pa.Check] = {check.name: check for check in (*HARD_RULES, *SOFT_RULES)}
HARD_RULE_NAMES: tuple[str, ...] = tuple(check.name for check in HARD_RULES)
SOFT_RULE_NAMES: tuple[str, ...] = tuple(check.name for check in SOFT_RULES)

#: The hard rules. check_records validates every batch's cells with it (``lazy=True``, once per call); so does
#: validate_table for the warehouse table.
HARD_SCHEMA = pa.DataFrameSchema(checks=list(HARD_RULES), name="fts_record hard rules")
#: The soft rules. ``SOFT_SCHEMA.validate(cells, lazy=True)`` reports them as SchemaErrors; check_records instead calls
#: each of these Check objects on the cells (``Check.__call__`` -> per-cell ``check_output``), because the live API
#: always breaks some soft rule (``extra_field``) and pandera's error reporting costs ~3 ms per failing check.
SOFT_SCHEMA = pa.DataFrameSchema(checks=list(SOFT_RULES), name="fts_record soft rules")

# --------------------------------------------------------------------------------------------------------------------
# Coercions: lossless, applied to every loaded record (rejected records are kept raw)
# --------------------------------------------------------------------------------------------------------------------

#: (warehouse type, kind of the sent value) -> what loading does with it. Anything not listed is loaded unchanged.
COERCIONS: dict[tuple[str, str], str] = {
    ("STRING", "integer"): "decimal text: 123 -> '123' (not for record_id, which must be a string)",
    ("STRING", "number"): "shortest round-trip text: 12.5 -> '12.5' (finite numbers only)",
    ("NAIVE_DATE", "string"): "surrounding whitespace trimmed: ' 2024-01-05 ' -> '2024-01-05'",
    ("DOUBLE", "integer"): "float: 3 -> 3.0",
    ("DOUBLE", "string"): "decimal text parsed: '12.5' -> 12.5, ' -3 ' -> -3.0",
    ("INT", "number"): "integral float: 4.0 -> 4",
    ("INT", "string"): "integer text parsed: '4' -> 4, ' 4.0 ' -> 4",
}
#: Python type of a loaded value per warehouse type (None stays None; absent fields stay absent).
LOADED_TYPES = {"STRING": str, "NAIVE_DATE": str, "DOUBLE": float, "INT": int}
_COERCED_KINDS = {
    "STRING": _NUMERIC, "NAIVE_DATE": (K_STRING,), "DOUBLE": (K_INTEGER, K_STRING), "INT": (K_NUMBER, K_STRING),
}


def needs_coercion(ftype: str, kind: np.ndarray, value: np.ndarray, exotic: np.ndarray | None) -> np.ndarray:
    """Which cells of one field (all loadable) are not already in their loaded form."""
    todo = _lookup(kind, _COERCED_KINDS[ftype], len(KINDS))
    if ftype == "NAIVE_DATE" and todo.any():  # only dates with surrounding whitespace
        todo[todo] = np.fromiter(map(len, value[todo]), dtype=np.int64, count=int(todo.sum())) != 10
    if exotic is not None:
        todo |= exotic & ~_lookup(kind, _NOTHING, len(KINDS))
    return todo


def coerce(ftype: str, value):
    """The loaded form of one loadable value of a field of type ``ftype`` (see COERCIONS)."""
    if ftype == "STRING":
        if isinstance(value, str):
            return str.__str__(value)  # a plain str, also for str subclasses
        return str(int(value)) if isinstance(value, numbers.Integral) else repr(float(value))
    if ftype == "NAIVE_DATE":
        return str.__str__(value).strip()
    if ftype == "DOUBLE":
        return float(value)
    if isinstance(value, str):
        return int(float(value))
    return int(value)


# --------------------------------------------------------------------------------------------------------------------


def rules_markdown() -> str:
    """The rules as a Markdown table (for the README's "Data contract" section)."""
    lines = ["| rule | severity | applies to | meaning |", "|---|---|---|---|"]
    for severity, checks in (("hard: record rejected", HARD_RULES), ("soft: loaded, counted in drift", SOFT_RULES)):
        for check in checks:
            meaning = check.error.split(": ", 1)[1]
            lines.append(f"| `{check.name}` | {severity} | {RULE_SCOPE[check.name]} | {meaning} |")
    return "\n".join(lines)
