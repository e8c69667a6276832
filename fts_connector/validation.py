"""Pages of API items through the data contract (`contracts/`): one DataFrame per batch, one lazy `FtsRecord`
validation, failure cases mapped back to items by index; the valid records get the contract's `COERCIONS` and their
soft findings are counted with `FtsRecordDrift`."""

import math
import numbers
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from contracts import FIELD_TYPES, FtsRecord, FtsRecordDrift
from contracts.drift import RULE_OF_CHECK
from contracts.fts_record import (
    ABSENT,
    DOCUMENTED,
    UNIFORM,
    beyond_int64,
    enforced,
    exact_integer,
    good_field_name,
    loadable,
)
from fts_connector.drift import VALUE_RULES, Drift
from fts_connector.quarantine import Rejection, json_safe


@dataclass
class Verdict:
    """One page's outcome: ``valid`` (input order; an item that needed no coercion is passed as is), ``rejected``,
    and the soft findings among the valid ones; ``len(valid) + len(rejected) == received``."""

    valid: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    drift: Drift = field(default_factory=Drift)
    received: int = 0


def check_records(records) -> Verdict:
    """Check one page (any iterable of items)."""
    return check_pages([list(records)])[0]


def check_pages(pages: list) -> list[Verdict]:
    """Check several pages in one validation: one Verdict per page."""
    verdicts = [Verdict(received=len(page)) for page in pages]
    items = [item for page in pages for item in page]
    if not items:
        return verdicts
    page_of = np.repeat(np.arange(len(pages)), [len(page) for page in pages])
    frame = wire_frame(items)
    broken = _broken(frame)
    for pos, reasons in sorted(broken.items()):
        verdicts[page_of[pos]].rejected.append(Rejection.of(items[pos], reasons))
    valid = frame.drop(index=list(broken)) if broken else frame
    coerced = {name: _coerced(valid[name], ftype) for name, ftype in FIELD_TYPES.items()}
    changes: dict[int, dict] = {}
    for name, values in coerced.items():
        for pos, value in values.items():
            changes.setdefault(pos, {})[name] = value
    extra_fields = set().union(*valid["item"].tolist()) - FIELD_TYPES.keys()  # fields beyond the contract
    for pos, values in _extra_doubles(valid["item"], extra_fields).items():
        changes.setdefault(pos, {}).update(values)
    for pos, item in zip(valid.index.tolist(), valid["item"].tolist(), strict=True):
        verdicts[page_of[pos]].valid.append({**item, **changes[pos]} if pos in changes else item)
    drifts = _drift(valid, coerced, extra_fields, page_of[valid.index], len(pages))
    for verdict, drift in zip(verdicts, drifts, strict=True):
        verdict.drift = drift
    return verdicts


def wire_frame(items: list) -> pd.DataFrame:
    """One row per item (index: its position): the item, then one object column per documented field."""
    dicts = [item if isinstance(item, dict) else {} for item in items]
    columns = {name: [d.get(name, ABSENT) for d in dicts] for name in FIELD_TYPES}
    return pd.DataFrame({"item": items, **columns}, dtype=object)


def _broken(frame: pd.DataFrame) -> dict[int, list]:
    """item position -> its reasons, for the items that break a hard rule."""
    try:
        with enforced():
            FtsRecord.validate(frame, lazy=True)
        return {}
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    if cases["index"].isna().any():  # a schema-level failure or a check that raised: a bug, not a bad record
        raise RuntimeError(f"a contract rule could not run:\n{cases.to_string()}")
    broken: dict[int, list] = {}
    for column, rule, pos in cases[["column", "check", "index"]].itertuples(index=False):
        item = frame.at[pos, "item"]
        if isinstance(item, dict) or rule == "not_an_object":  # what is not an object breaks that rule only
            broken.setdefault(int(pos), []).extend(_reasons(item, column, rule))
    order = {name: i for i, name in enumerate(FIELD_TYPES)}
    for reasons in broken.values():  # documented fields first; a stable sort keeps the rules in the model's order
        reasons.sort(key=lambda r: order.get(r["field"], 99))
    return broken


#: rule on the whole item -> which of its fields beyond the contract break it (their values as sent)
EXTRA_FIELD_BREAKS = {"not_unicode": lambda value: not loadable(value), "out_of_int64_range": beyond_int64,
                      "not_finite": lambda value: isinstance(value, float) and not math.isfinite(value)}


def _reasons(item, column: str, rule: str) -> list:
    """The reasons of one failure case; the rules on the whole item name the fields at fault."""
    if rule == "not_an_object":
        return [{"field": None, "rule": rule, "value": json_safe(item)}]
    if column != "item":
        return [{"field": column, "rule": rule, "value": json_safe(item.get(column))}]
    if rule == "bad_field_name":
        at_fault = [(k, v) for k, v in item.items() if not good_field_name(k)]
    else:
        breaks = EXTRA_FIELD_BREAKS[rule]
        at_fault = [(k, v) for k, v in item.items() if k not in FIELD_TYPES and good_field_name(k) and breaks(v)]
    return [{"field": json_safe(k) if isinstance(k, str) else repr(k), "rule": rule, "value": json_safe(v)}
            for k, v in at_fault]


def extra_double(value: float) -> str:
    """A finite float of a field beyond the contract as the text it loads as: its shortest round-trip digits, with a
    decimal point (1e+20 -> '1.0e+20'), which the destination types as a 64-bit DOUBLE (`cells._text_type`), as
    opposed to the 32-bit FLOAT it gives a Python float."""
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return text if "." in mantissa or not e else f"{mantissa}.0e{exponent}"


def _extra_doubles(items: pd.Series, extra_fields: set) -> dict:
    """position -> {field: text} for the floats in `extra_fields`, the fields beyond the contract (none, usually)."""
    dicts = items.tolist()
    changes: dict[int, dict] = {}
    for name in extra_fields:
        for pos, item in zip(items.index.tolist(), dicts, strict=True):
            value = item.get(name)
            if isinstance(value, float):
                changes.setdefault(pos, {})[name] = extra_double(value)
    return changes


def _as_text(value) -> str:
    if isinstance(value, str):
        return str.__str__(value)  # a str subclass loads as plain text
    return str(int(value)) if isinstance(value, numbers.Integral) else repr(float(value))


LOADED_TYPE = {"STRING": str, "NAIVE_DATE": str, "DOUBLE": float, "INT": int, "LONG": int}
LOAD = {"STRING": _as_text, "NAIVE_DATE": lambda v: str.__str__(v).strip(), "DOUBLE": float,
        "INT": lambda v: int(float(v)) if isinstance(v, str) else int(v), "LONG": exact_integer}


def _coerced(column: pd.Series, ftype: str) -> pd.Series:
    """The loaded values of the cells not already in their loaded form (see COERCIONS)."""
    plain, values = LOADED_TYPE[ftype], column.tolist()
    if ftype == "NAIVE_DATE":  # dates with surrounding whitespace
        todo = [v is not None and v is not ABSENT and (type(v) is not str or len(v) != 10) for v in values]
    elif set(map(type, values)) == {plain}:
        return column[:0]
    else:
        todo = [v is not None and v is not ABSENT and type(v) is not plain for v in values]
    return column[todo].map(LOAD[ftype])


DRIFT_COLUMNS = FtsRecordDrift.to_schema().columns


def _drift(valid: pd.DataFrame, coerced: dict, extra_fields: set, page_of: np.ndarray, pages: int) -> list[Drift]:
    """Each page's soft findings among the valid records of a wire frame (``coerced``: the values coercion changed;
    ``extra_fields``: the fields beyond the contract; ``page_of``: the page of each valid record).

    The soft rules are `FtsRecordDrift`'s checks, each run on its column's loaded values (nulls skipped, as the model
    says): calling the checks themselves, rather than validating the model, skips pandera's failure reports, which
    cost most of the contract's time on a page that holds any finding."""
    drifts = [Drift() for _ in range(pages)]
    absent = {name: _absent(valid[name]) for name in FIELD_TYPES}
    for name, column in DRIFT_COLUMNS.items():
        values = valid[name].where(~absent[name], None)
        if len(coerced[name]):
            values[coerced[name].index] = coerced[name]
        values = values.reset_index(drop=True)
        if column.dtype is not None:
            values = values.astype(str(column.dtype))
        for check in column.checks:
            passed = check(values).check_output
            failed = passed.index[~passed.to_numpy(dtype=bool)]
            if len(failed):
                rule = RULE_OF_CHECK[check.name]
                for page in np.unique(page_of[failed]):
                    found = failed[page_of[failed] == page]
                    counted = Counter(values[found].astype(str)) if rule in VALUE_RULES else None
                    drifts[page].add(rule, name, len(found), counted)
    items = valid["item"].tolist()
    for name in extra_fields:
        for page, count in enumerate(np.bincount(page_of, [name in d for d in items], minlength=pages)):
            drifts[page].add("extra_field", name, int(count))
    for name in DOCUMENTED[1:]:  # last_updated_epoch is not documented: its absence is no finding
        if absent[name].any():
            for page, count in enumerate(np.bincount(page_of, absent[name], minlength=pages)):
                drifts[page].add("missing_field", name, int(count))
    return drifts


def _absent(column: pd.Series) -> np.ndarray:
    """Which cells are ABSENT (none, at C speed, when pandas infers one type for the column)."""
    if pd.api.types.infer_dtype(column, skipna=False) in UNIFORM:
        return np.zeros(len(column), dtype=bool)
    return np.array([v is ABSENT for v in column.tolist()], dtype=bool)
