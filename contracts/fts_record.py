"""The FTS record as the API sends it: the 14 documented fields, in documented order, and ``last_updated_epoch``, which
the live API sends too, with their warehouse types, the hard rules, and the coercions that load a value of another
kind losslessly (``COERCIONS``). A record that breaks a hard rule is quarantined in ``fts_records_rejected``, one
reason per broken rule.

Fields beyond these are typed by the destination from their values (``fivetran_connector_sdk_core/cells.py``: text
shaped like a number, a date or a boolean gets that type, and a column widens along boolean < integer < float < double,
else to text). Two kinds of value would not load as sent, so they break a hard rule: an integer beyond 64 bits (the
SDK would send it as a 32-bit float and turn the column into one, rounding every row before it) and NaN or ±Infinity.
A finite float loads as its shortest round-trip text, which the destination types as a 64-bit double
(``fts_connector.validation.EXTRA_DOUBLE``; a Python float would make a 32-bit FLOAT column).

The model validates a batch as one DataFrame (``fts_connector.validation.wire_frame``): ``item`` (the item as sent),
then one column per field holding the value as sent: ``ABSENT`` when the key is missing, ``None`` for null. Booleans
are not numbers; a value breaks at most one hard rule; nulls break none (only ``record_id`` is required).
"""

import datetime
import decimal
import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.config import ValidationDepth, config_context
from pandera.typing import Series

STRINGS = ("record_id", "technician_id", "log_description", "equipment_id", "maintenance_type", "maintenance_status",
           "erp_order_id", "customer_id", "summarized_log")
DOUBLES, INTS = ("failure_rate", "maintenance_cost"), ("downtime_hours", "summarization_time_saved")
LONGS = ("last_updated_epoch",)  # not documented, but sent by the live API
INT32, INT64 = (-(2**31), 2**31 - 1), (-(2**63), 2**63 - 1)
UNICODE = ("text that is not valid Unicode (a lone surrogate such as \\ud800), also nested in a field beyond the "
           "contract")
INT64_MEANING = ("an integer outside the 64-bit signed range, also in a field beyond the contract (no column would "
                 "hold it exactly)")
FINITE_MEANING = "NaN or ±Infinity (or a number too large for a double), also in a field beyond the contract"
DECIMAL_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")  # 12.5, -3, 1e3, .5
INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+(?:\.0*)?\s*")  # 4, -4, 4.0
ISO_DATE = re.compile(r"\s*(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}\s*")  # surrounding whitespace is trimmed on load


def typed(warehouse_type: str) -> Any:
    return pa.Field(nullable=True, metadata={"warehouse_type": warehouse_type})


def rule(*fields: str, name: str, meaning: str):
    """A hard rule: a pandera check named by its rule id, on ``fields``, that sees nulls too."""
    return pa.check(*fields, name=name, description=meaning, ignore_na=False)


class FtsRecord(pa.DataFrameModel):
    item: Series[Any] = pa.Field(nullable=True)  # the whole item, for the rules on the item itself
    record_id: Series[Any] = typed("STRING")  # the primary key
    log_date: Series[Any] = typed("NAIVE_DATE")
    technician_id: Series[Any] = typed("STRING")
    log_description: Series[Any] = typed("STRING")
    equipment_id: Series[Any] = typed("STRING")
    maintenance_type: Series[Any] = typed("STRING")
    maintenance_status: Series[Any] = typed("STRING")
    erp_order_id: Series[Any] = typed("STRING")
    customer_id: Series[Any] = typed("STRING")
    summarized_log: Series[Any] = typed("STRING")
    failure_rate: Series[Any] = typed("DOUBLE")
    maintenance_cost: Series[Any] = typed("DOUBLE")
    downtime_hours: Series[Any] = typed("INT")
    summarization_time_saved: Series[Any] = typed("INT")
    last_updated_epoch: Series[Any] = typed("LONG")

    class Config:
        name, strict, ordered = "fts_record", True, True

    @rule("item", name="not_an_object", meaning="the item is not a JSON object (a string, number, list or null)")
    def _object(cls, item: Series) -> Series:
        return _ok(item, _objects(item))

    @rule("item", name="bad_field_name", meaning="a field name the warehouse cannot take: empty, not valid Unicode, "
          "a documented field's name in other case, a _fivetran_ system column")
    def _field_names(cls, item: Series) -> Series:
        dicts = item[_objects(item)]
        bad = {name for name in set().union(*dicts) if not good_field_name(name)}
        ok = pd.Series(True, index=item.index)
        if bad:
            ok[dicts.index] = [bad.isdisjoint(d) for d in dicts]
        return ok

    @rule("item", name="not_unicode", meaning=UNICODE)
    def _extras_unicode(cls, item: Series) -> Series:
        return _extras_ok(item, loadable, whole_list_first=True)

    @rule("item", name="out_of_int64_range", meaning=INT64_MEANING)
    def _extras_int64(cls, item: Series) -> Series:
        return _extras_ok(item, lambda value: not beyond_int64(value))

    @rule("item", name="not_finite", meaning=FINITE_MEANING)
    def _extras_finite(cls, item: Series) -> Series:
        return _extras_ok(item, lambda value: not isinstance(value, float) or math.isfinite(value))

    @rule("record_id", name="required", meaning="record_id is missing, null or empty")
    def _required(cls, value: Series) -> Series:
        return _ok(value, (kinds(value) != NOTHING) & (value != "").to_numpy())

    @rule(*STRINGS, "log_date", *DOUBLES, *INTS, *LONGS, name="nested_value",
          meaning="an object or array, not a scalar")
    def _scalar(cls, value: Series) -> Series:
        return _ok(value, kinds(value) != NESTED)

    @rule(*STRINGS, name="not_a_string", meaning="record_id: not a string; others: neither text nor a finite number")
    def _text(cls, value: Series) -> Series:
        kind = kinds(value)
        ok = np.isin(kind, [TEXT, NOTHING, NESTED])
        if value.name != "record_id":
            is_number, x = numbers_in(value, None, kind)
            ok |= is_number & np.isfinite(x)
            big = is_number & (kind == INTEGER) & ~np.isfinite(x)  # an integer beyond a double is still text
            ok[big] = [abs(v) < 10**1000 for v in value.to_numpy()[big]]
        return _ok(value, ok)

    @rule(*STRINGS, name="not_unicode", meaning=UNICODE)
    def _unicode(cls, value: Series) -> Series:
        text, ok = kinds(value) == TEXT, np.ones(len(value), dtype=bool)
        ok[text] = valid_unicode(value.to_numpy()[text])
        return _ok(value, ok)

    @rule("log_date", name="not_a_date", meaning="not an ISO date YYYY-MM-DD (a real calendar day, year 0001-9999)")
    def _date(cls, value: Series) -> Series:
        kind = kinds(value)
        ok, text = np.isin(kind, [NOTHING, NESTED]), kind == TEXT
        ok[text] = iso_dates(value.to_numpy()[text])
        return _ok(value, ok)

    @rule(*DOUBLES, name="not_a_number", meaning="not a number nor decimal text (booleans are not numbers)")
    def _number(cls, value: Series) -> Series:
        kind = kinds(value)
        return _ok(value, numbers_in(value, DECIMAL_TEXT, kind)[0] | np.isin(kind, [NOTHING, NESTED]))

    @rule(*DOUBLES, name="not_finite", meaning=FINITE_MEANING)
    def _finite(cls, value: Series) -> Series:
        is_number, x = numbers_in(value, DECIMAL_TEXT, kinds(value))
        return _ok(value, ~is_number | np.isfinite(x))

    @rule(*INTS, *LONGS, name="not_an_integer",
          meaning="not an integer (2.5, 'x', true, NaN); 4.0 and '4' are integers")
    def _integer(cls, value: Series) -> Series:
        kind = kinds(value)
        return _ok(value, integers_in(value, kind)[0] | np.isin(kind, [NOTHING, NESTED]))

    @rule(*INTS, name="out_of_int32_range", meaning="an integer outside the 32-bit signed range")
    def _int32(cls, value: Series) -> Series:
        integral, x = integers_in(value, kinds(value))
        return _ok(value, ~integral | ((x >= INT32[0]) & (x <= INT32[1])))


    @rule(*LONGS, name="out_of_int64_range", meaning=INT64_MEANING)
    def _int64(cls, value: Series) -> Series:
        integral, x = integers_in(value, kinds(value))
        ok = ~integral | ((x > -(2.0**63)) & (x < 2.0**63))  # within, by far: the exact test only near the ends
        near = integral & ~ok & (np.abs(x) <= 2.0**63)
        ok[near] = [INT64[0] <= exact_integer(v) <= INT64[1] for v in value.to_numpy()[near]]
        return _ok(value, ok)


#: The 14 documented fields and last_updated_epoch, in the documented order, with their Fivetran (warehouse) types.
FIELD_TYPES = {name: column.metadata["warehouse_type"]
               for name, column in FtsRecord.to_schema().columns.items() if column.metadata}
#: (warehouse type, kind of value sent) -> what loading does with it; anything else loads as sent.
COERCIONS = {
    ("STRING", "integer"): "decimal text: 123 -> '123' (not for record_id, which must be a string)",
    ("STRING", "number"): "shortest round-trip text: 12.5 -> '12.5' (finite numbers only)",
    ("NAIVE_DATE", "string"): "surrounding whitespace trimmed: ' 2024-01-05 ' -> '2024-01-05'",
    ("DOUBLE", "integer"): "float: 3 -> 3.0",
    ("DOUBLE", "string"): "decimal text parsed: '12.5' -> 12.5, ' -3 ' -> -3.0",
    ("INT", "number"): "integral float: 4.0 -> 4",
    ("INT", "string"): "integer text parsed: '4' -> 4, ' 4.0 ' -> 4",
    ("LONG", "number"): "integral float: 1704067260.0 -> 1704067260",
    ("LONG", "string"): "integer text parsed exactly: '1704067260' -> 1704067260",
    ("beyond the contract", "number"): "shortest round-trip text, typed DOUBLE by the destination: 29.760431789",
}
#: The 14 documented fields (the rest of FIELD_TYPES is what the live API is known to send besides).
DOCUMENTED = tuple(FIELD_TYPES)[:14]


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()  # the value of a documented field the item does not send

# ---- what a value is, in JSON terms (one code per cell; numpy scalars and subclasses by what they are) --------------
NOTHING, TEXT, INTEGER, NUMBER, BOOLEAN, NESTED, OTHER = range(1, 8)  # NOTHING: null or absent
_KIND = {_Absent: NOTHING, type(None): NOTHING, str: TEXT, int: INTEGER, float: NUMBER, bool: BOOLEAN,
         dict: NESTED, list: NESTED, tuple: NESTED, set: NESTED, frozenset: NESTED}
UNIFORM = {"string": TEXT, "integer": INTEGER, "floating": NUMBER}  # pandas' own inference, at C speed
_BY_CLASS = (((bool, np.bool_), BOOLEAN), ((int, np.integer), INTEGER), ((float, np.floating), NUMBER), (str, TEXT),
             ((dict, list, tuple, set, frozenset), NESTED), (object, OTHER))


def kinds(column: pd.Series) -> np.ndarray:
    uniform = UNIFORM.get(pd.api.types.infer_dtype(column, skipna=False))
    if uniform is not None:
        return np.full(len(column), uniform, dtype=np.int8)
    return np.array([_KIND.get(type(v)) or _kind_of(v) for v in column.tolist()], dtype=np.int8)


def _kind_of(value) -> int:
    return next(kind for classes, kind in _BY_CLASS if isinstance(value, classes))


def numbers_in(column: pd.Series, text: re.Pattern | None, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which cells (of the given kinds) hold a number (integer, number, or text matching ``text``) and its float value
    (NaN elsewhere; an integer too large for a double is ±inf)."""
    values = column.to_numpy(dtype=object)
    is_number = (kind == INTEGER) | (kind == NUMBER)
    if text is not None:
        is_text = kind == TEXT
        is_number[is_text] = [text.fullmatch(v) is not None for v in values[is_text]]
    x = np.full(len(values), np.nan)
    try:
        x[is_number] = values[is_number].astype(float)
    except (OverflowError, ValueError):
        x[is_number] = [_float(v) for v in values[is_number]]
    return is_number, x


def _float(value) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer too large for a double
        return np.inf if value > 0 else -np.inf


def integers_in(column: pd.Series, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which cells hold an integer (integer, integral number, integer text) and its value as a float."""
    is_number, x = numbers_in(column, INTEGER_TEXT, kind)
    with np.errstate(invalid="ignore"):
        return is_number & ((kind == INTEGER) | (np.isfinite(x) & (np.floor(x) == x))), x


def valid_unicode(texts) -> np.ndarray:
    """Which strings encode as UTF-8 (one with a lone surrogate such as '\\ud800' does not)."""
    try:
        "".join(texts).encode("utf-8")
        return np.ones(len(texts), dtype=bool)
    except UnicodeEncodeError:
        return np.array([loadable(t) for t in texts], dtype=bool)


def loadable(value) -> bool:
    """Whether ``value`` serialises as UTF-8 JSON (what the SDK sends); values JSON cannot take are not our concern."""
    try:
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except (ValueError, TypeError, RecursionError):
        pass
    return True


def good_field_name(name) -> bool:
    """A field name the warehouse can take as a column of its own (``RECORD_ID`` would land in ``record_id``)."""
    if not isinstance(name, str) or name == "" or not loadable(name):
        return False
    return not name.casefold().startswith("_fivetran") and (name in FIELD_TYPES or name.casefold() not in FIELD_TYPES)


def iso_dates(texts: np.ndarray) -> np.ndarray:
    """Which texts are ISO dates of real calendar days."""
    return np.array([ISO_DATE.fullmatch(v) is not None and is_day(v.strip()) for v in texts], dtype=bool)


def is_day(text: str) -> bool:
    try:
        return datetime.date.fromisoformat(text) is not None
    except ValueError:
        return False


def exact_integer(value) -> int:
    """The integer an integral value (an int, an integral float, integer text such as ' 4.0 ') stands for, exactly."""
    if isinstance(value, str):
        return int(decimal.Decimal(value.strip()))
    return int(value)


def beyond_int64(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]


def _extras_ok(item: pd.Series, good, whole_list_first: bool = False) -> pd.Series:
    """Which items hold only `good` values in their fields beyond the contract (usually there are none)."""
    dicts = item[_objects(item)]
    ok = pd.Series(True, index=item.index)
    for name in set().union(*dicts) - FIELD_TYPES.keys():
        values = [d.get(name) for d in dicts.tolist()]
        if not (whole_list_first and good(values)):
            ok[dicts.index] &= np.array([good(v) for v in values], dtype=bool)
    return ok


def _objects(item: pd.Series) -> np.ndarray:
    return np.array([isinstance(v, dict) for v in item.tolist()], dtype=bool)


def _ok(column: pd.Series, mask) -> pd.Series:
    return pd.Series(mask, index=column.index)


def enforced():
    """The contract holds whatever pandera's global settings (PANDERA_VALIDATION_ENABLED/_DEPTH) say."""
    return config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA)
