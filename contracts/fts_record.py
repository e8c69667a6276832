"""The FTS record as the API sends it: the 14 documented fields, their warehouse types and the hard rules.

A batch of API items becomes one DataFrame (see ``contracts.check``): one object column per documented field holding
the value as sent (``ABSENT`` when the key is missing, ``None`` for null), plus ``item``, the item itself. A record
that breaks a hard rule is quarantined in ``fts_records_rejected`` with one reason per broken rule; a value breaks at
most one hard rule. JSON semantics: booleans are not numbers, absent is not null, numbers are not text (but a number
in a STRING field other than ``record_id`` is loaded as its text).
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.config import ValidationDepth, config_context
from pandera.typing import Series

__all__ = ["ABSENT", "FtsRecord", "FIELD_TYPES", "kinds", "is_text_field_name"]


class _Absent:
    """The value of a documented field the item does not send."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()
INT32 = (-(2**31), 2**31 - 1)
DECIMAL_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")  # 12.5, -3, 1e3, .5
INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+(?:\.0*)?\s*")  # 4, -4, 4.0
ISO_DATE = re.compile(r"\s*(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}\s*")  # a real calendar day, surrounding space trimmed

# ---- what a value is, in JSON terms: one code per cell, computed per column by each check that needs it ------------
NOTHING, TEXT, INTEGER, NUMBER, BOOLEAN, NESTED, OTHER = range(7)  # NOTHING: null or absent
_KIND = {_Absent: NOTHING, type(None): NOTHING, str: TEXT, int: INTEGER, float: NUMBER, bool: BOOLEAN,
         dict: NESTED, list: NESTED, tuple: NESTED, set: NESTED, frozenset: NESTED}


_UNIFORM = {"string": TEXT, "integer": INTEGER, "floating": NUMBER}


def _kind_of(value) -> int:
    """Kind of a value of no plain JSON type: numpy scalars and subclasses by what they are, the rest OTHER."""
    for types, kind in (((bool, np.bool_), BOOLEAN), ((int, np.integer), INTEGER), ((float, np.floating), NUMBER),
                        (str, TEXT), ((dict, list, tuple, set, frozenset), NESTED)):
        if isinstance(value, types):
            return kind
    return OTHER


def kinds(column: pd.Series) -> np.ndarray:
    """The kind of each cell of a column (codes above)."""
    uniform = _UNIFORM.get(pd.api.types.infer_dtype(column, skipna=False))  # C speed: the usual case
    if uniform is not None:
        return np.full(len(column), uniform, dtype=np.int8)
    get = _KIND.get
    values = column.tolist()
    codes = [get(type(v), -1) for v in values]
    if -1 in codes:
        codes = [c if c >= 0 else _kind_of(v) for c, v in zip(codes, values, strict=True)]
    return np.array(codes, dtype=np.int8)


def _texts_match(values, pattern: re.Pattern) -> np.ndarray:
    return np.fromiter((pattern.fullmatch(v) is not None for v in values), dtype=bool, count=len(values))


def _as_float(values) -> np.ndarray:
    """float() of numbers and numeric text; an integer too large for a double becomes ±inf."""
    out = []
    for v in values:
        try:
            out.append(float(v))
        except OverflowError:
            out.append(float("inf") if v > 0 else float("-inf"))
    return np.array(out, dtype=float)


def numbers_in(column: pd.Series, text: re.Pattern) -> tuple[np.ndarray, np.ndarray]:
    """Which cells hold a number (integer, number or text matching ``text``) and its float value (NaN elsewhere)."""
    kind = kinds(column)
    values = column.to_numpy(dtype=object)
    is_number = (kind == INTEGER) | (kind == NUMBER)
    is_text = kind == TEXT
    is_number[is_text] = _texts_match(values[is_text], text)
    x = np.full(len(values), np.nan)
    x[is_number] = _as_float(values[is_number])
    return is_number, x


def valid_unicode(values) -> np.ndarray:
    """Which strings encode as UTF-8 (a lone surrogate such as '\\ud800' does not); one encode when all do."""
    try:
        "".join(values).encode("utf-8")
        return np.ones(len(values), dtype=bool)
    except UnicodeEncodeError:
        return np.array([not re.search("[\ud800-\udfff]", v) for v in values], dtype=bool)


def is_text_field_name(name) -> bool:
    """A field name the warehouse can take as its own column: text, not empty, valid Unicode, not a documented field
    in other letter case (``RECORD_ID`` would land in ``record_id``), not a ``_fivetran_`` system column."""
    if not isinstance(name, str) or name == "" or not valid_unicode([name])[0]:
        return False
    folded = name.casefold()
    return not folded.startswith("_fivetran") and (name in FIELD_SET or folded not in FIELD_SET)


def _objects(item: pd.Series) -> np.ndarray:
    return np.fromiter((isinstance(v, dict) for v in item.tolist()), dtype=bool, count=len(item))


def _ok(column: pd.Series, mask) -> pd.Series:
    return pd.Series(mask, index=column.index)


def _field(warehouse_type: str) -> pa.Field:
    return pa.Field(nullable=True, metadata={"warehouse_type": warehouse_type})


STRING_FIELDS = ("record_id", "technician_id", "log_description", "equipment_id", "maintenance_type",
                 "maintenance_status", "erp_order_id", "customer_id", "summarized_log")
DOCUMENTED = ("record_id", "log_date", *STRING_FIELDS[1:], "failure_rate", "maintenance_cost", "downtime_hours",
              "summarization_time_saved")


class FtsRecord(pa.DataFrameModel):
    """One row per API item; every rule below is a hard rule (the record is quarantined)."""

    item: Series[Any] = pa.Field(nullable=True)  # the item as sent, for the rules on the whole item
    record_id: Series[Any] = _field("STRING")  # the primary key, the only required field
    log_date: Series[Any] = _field("NAIVE_DATE")
    technician_id: Series[Any] = _field("STRING")
    log_description: Series[Any] = _field("STRING")
    equipment_id: Series[Any] = _field("STRING")
    maintenance_type: Series[Any] = _field("STRING")
    maintenance_status: Series[Any] = _field("STRING")
    erp_order_id: Series[Any] = _field("STRING")
    customer_id: Series[Any] = _field("STRING")
    summarized_log: Series[Any] = _field("STRING")
    failure_rate: Series[Any] = _field("DOUBLE")
    maintenance_cost: Series[Any] = _field("DOUBLE")
    downtime_hours: Series[Any] = _field("INT")
    summarization_time_saved: Series[Any] = _field("INT")

    class Config:
        name = "fts_record"
        strict = True
        ordered = True

    @pa.check("item", name="not_an_object", ignore_na=False,
              description="the item is not a JSON object (a string, number, list or null was sent)")
    def _object(cls, item: Series) -> Series:
        return _ok(item, _objects(item))

    @pa.check("item", name="bad_field_name", ignore_na=False,
              description="a field name the warehouse cannot take: empty, not valid Unicode, a documented field's "
                          "name in other case, or a _fivetran_ system column")
    def _field_names(cls, item: Series) -> Series:
        dicts = item[_objects(item)]
        names = set().union(*dicts) if len(dicts) else set()
        bad = {name for name in names if not is_text_field_name(name)}
        ok = pd.Series(True, index=item.index)
        if bad:
            ok[dicts.index] = [bad.isdisjoint(d) for d in dicts]
        return ok

    @pa.check("item", name="not_unicode", ignore_na=False,
              description="text that is not valid Unicode (a lone surrogate) in a field beyond the 14")
    def _extras_unicode(cls, item: Series) -> Series:
        extras = item.map(lambda d: [d[k] for k in d.keys() - FIELD_SET] if isinstance(d, dict) and len(d) > 0 else [])
        try:
            json.dumps(extras.tolist(), ensure_ascii=False, default=str).encode("utf-8")
            return pd.Series(True, index=item.index)
        except (UnicodeEncodeError, ValueError, TypeError, RecursionError):
            return extras.map(_loadable_json)

    @pa.check("record_id", name="required", ignore_na=False, description="record_id is missing, null or empty")
    def _required(cls, record_id: Series) -> Series:
        return _ok(record_id, (kinds(record_id) != NOTHING) & (record_id != "").to_numpy())

    @pa.check(*DOCUMENTED, name="nested_value", ignore_na=False,
              description="an object or array where the contract has a scalar")
    def _scalar(cls, value: Series) -> Series:
        return _ok(value, kinds(value) != NESTED)

    @pa.check(*STRING_FIELDS, name="not_a_string", ignore_na=False,
              description="not text (record_id: not a string; others: not text nor a finite number)")
    def _text(cls, value: Series) -> Series:
        kind = kinds(value)
        ok = np.isin(kind, [TEXT, NOTHING, NESTED])
        if value.name != "record_id":
            numbers = (kind == INTEGER) | (kind == NUMBER)
            ok[numbers] = [abs(v) < 10**1000 if k == INTEGER else np.isfinite(float(v))
                           for k, v in zip(kind[numbers], value.to_numpy()[numbers], strict=True)]
        return _ok(value, ok)

    @pa.check(*STRING_FIELDS, name="not_unicode", ignore_na=False,
              description="text that is not valid Unicode (a lone surrogate such as '\\ud800')")
    def _unicode(cls, value: Series) -> Series:
        text = kinds(value) == TEXT
        ok = np.ones(len(value), dtype=bool)
        ok[text] = valid_unicode(value.to_numpy()[text])
        return _ok(value, ok)

    @pa.check("log_date", name="not_a_date", ignore_na=False,
              description="not an ISO date YYYY-MM-DD (a real calendar day, year 0001-9999)")
    def _date(cls, value: Series) -> Series:
        kind = kinds(value)
        ok = np.isin(kind, [NOTHING, NESTED])
        text = kind == TEXT
        ok[text] = [ISO_DATE.fullmatch(v) is not None and _is_day(v.strip()) for v in value.to_numpy()[text]]
        return _ok(value, ok)

    @pa.check("failure_rate", "maintenance_cost", name="not_a_number", ignore_na=False,
              description="not a number nor decimal text (booleans are not numbers)")
    def _number(cls, value: Series) -> Series:
        is_number, _ = numbers_in(value, DECIMAL_TEXT)
        return _ok(value, is_number | np.isin(kinds(value), [NOTHING, NESTED]))

    @pa.check("failure_rate", "maintenance_cost", name="not_finite", ignore_na=False,
              description="NaN or ±Infinity (or a number too large for a double)")
    def _finite(cls, value: Series) -> Series:
        is_number, x = numbers_in(value, DECIMAL_TEXT)
        return _ok(value, ~is_number | np.isfinite(x))

    @pa.check("downtime_hours", "summarization_time_saved", name="not_an_integer", ignore_na=False,
              description="not an integer (2.5, 'x', true, NaN); 4.0 and '4' are integers")
    def _integer(cls, value: Series) -> Series:
        return _ok(value, integers_in(value)[0] | np.isin(kinds(value), [NOTHING, NESTED]))

    @pa.check("downtime_hours", "summarization_time_saved", name="out_of_int32_range", ignore_na=False,
              description="an integer outside the 32-bit signed range")
    def _int32(cls, value: Series) -> Series:
        integral, x = integers_in(value)
        return _ok(value, ~integral | ((x >= INT32[0]) & (x <= INT32[1])))


def integers_in(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Which cells hold an integer (integer, integral number, integer text) and its value as a float."""
    is_number, x = numbers_in(column, INTEGER_TEXT)
    with np.errstate(invalid="ignore"):
        return is_number & ((kinds(column) == INTEGER) | (np.isfinite(x) & (np.floor(x) == x))), x


def _is_day(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
        return True
    except ValueError:
        return False


def _loadable_json(values: list) -> bool:
    try:
        json.dumps(values, ensure_ascii=False, default=str).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False
    except (ValueError, TypeError, RecursionError):  # cycles and the like: passed through as today
        return True


#: The 14 documented fields, in the documented order, with their Fivetran (warehouse) types.
FIELD_TYPES: dict[str, str] = {name: column.metadata["warehouse_type"]
                               for name, column in FtsRecord.to_schema().columns.items() if column.metadata}
FIELD_SET = frozenset(FIELD_TYPES)


def enforced():
    """The contract holds whatever pandera's global settings (PANDERA_VALIDATION_ENABLED/_DEPTH) say."""
    return config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA)
