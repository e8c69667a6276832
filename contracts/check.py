"""A batch of API items through the contract: one DataFrame, one lazy ``FtsRecord`` validation, failure cases
mapped back to items by index; the valid records are coerced losslessly and their drift counted."""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .drift import Drift, drift_of
from .fts_record import ABSENT, FIELD_TYPES, NOTHING, TEXT, FtsRecord, enforced, good_field_name, kinds, loadable

#: Columns of ``fts_records_rejected``; ``reasons``: a JSON list of ``{"field", "rule", "value"}``, ``raw_record``: the
#: item as canonical JSON, lone surrogates escaped.
REJECTED_TABLE_COLUMNS = {"rejection_key": "STRING", "record_id": "STRING", "reasons": "JSON", "raw_record": "STRING",
                          "rejected_at": "UTC_DATETIME"}
#: (warehouse type, kind of value sent) -> what loading does with it; anything else loads as sent.
COERCIONS = {
    ("STRING", "integer"): "decimal text: 123 -> '123' (not for record_id, which must be a string)",
    ("STRING", "number"): "shortest round-trip text: 12.5 -> '12.5' (finite numbers only)",
    ("NAIVE_DATE", "string"): "surrounding whitespace trimmed: ' 2024-01-05 ' -> '2024-01-05'",
    ("DOUBLE", "integer"): "float: 3 -> 3.0",
    ("DOUBLE", "string"): "decimal text parsed: '12.5' -> 12.5, ' -3 ' -> -3.0",
    ("INT", "number"): "integral float: 4.0 -> 4",
    ("INT", "string"): "integer text parsed: '4' -> 4, ' 4.0 ' -> 4",
}
_PLAIN = {"STRING": str, "NAIVE_DATE": str, "DOUBLE": float, "INT": int}


@dataclass(frozen=True)
class Rejection:
    """A record that breaks at least one hard rule; ``key``: sha256 of ``raw`` (the same bad record, the same key)."""

    key: str
    record_id: str | None  # the item's record_id when it is a non-empty string
    reasons: tuple  # ({"field", "rule", "value"}, ...): one per broken rule, fields in documented order
    raw: str  # canonical JSON of the item

    def row(self, rejected_at: str) -> dict:
        return {"rejection_key": self.key, "record_id": self.record_id, "reasons": [dict(r) for r in self.reasons],
                "raw_record": self.raw, "rejected_at": rejected_at}

    @classmethod
    def of(cls, item, reasons) -> Rejection:
        raw = canonical_json(item)
        record_id = item.get("record_id") if isinstance(item, dict) else None
        record_id = json_safe(record_id) if isinstance(record_id, str) and record_id else None
        return cls(hashlib.sha256(raw.encode()).hexdigest()[:32], record_id, tuple(reasons), raw)


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
    """Check several pages in one validation: one Verdict per page, the batch's drift on the first."""
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
    loaded = {name: _coerced(valid[name], ftype) for name, ftype in FIELD_TYPES.items()}
    updates: dict[int, dict] = {}
    for name, values in loaded.items():
        for pos, value in values.items():
            updates.setdefault(pos, {})[name] = value
    for pos, item in zip(valid.index.tolist(), valid["item"].tolist(), strict=True):
        verdicts[page_of[pos]].valid.append({**item, **updates[pos]} if pos in updates else item)
    verdicts[0].drift = drift_of(valid, loaded)
    return verdicts


def wire_frame(items: list) -> pd.DataFrame:
    """One row per item (index: its position): the item, then one object column per documented field."""
    dicts = items if all(type(i) is dict for i in items) else [i if isinstance(i, dict) else {} for i in items]
    columns = {"item": items}
    for name in FIELD_TYPES:
        try:  # the usual case, at C speed: every item sends the field
            columns[name] = list(map(itemgetter(name), dicts))
        except KeyError:
            columns[name] = [d.get(name, ABSENT) for d in dicts]
    return pd.DataFrame(columns, dtype=object)


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


def _reasons(item, column: str, rule: str) -> list:
    """The reasons of one failure case; the rules on the whole item name the fields at fault."""
    if rule == "not_an_object":
        return [{"field": None, "rule": rule, "value": json_safe(item)}]
    if column != "item":
        return [{"field": column, "rule": rule, "value": json_safe(item.get(column))}]
    return [{"field": json_safe(k) if isinstance(k, str) else repr(k), "rule": rule, "value": json_safe(v)}
            for k, v in item.items() if (not good_field_name(k) if rule == "bad_field_name" else
                                         k not in FIELD_TYPES and good_field_name(k) and not loadable(v))]


def _coerced(column: pd.Series, ftype: str) -> pd.Series:
    """The loaded values of the cells not already in their loaded form (see COERCIONS)."""
    plain = _PLAIN[ftype]
    if ftype != "NAIVE_DATE" and set(map(type, column.tolist())) == {plain}:
        return column[:0]
    kind = kinds(column)
    todo = (kind != NOTHING) & np.fromiter((type(v) is not plain for v in column.tolist()), bool, len(column))
    if ftype == "NAIVE_DATE":  # dates with surrounding whitespace
        text = ~todo & (kind == TEXT)
        todo[text] = [len(v) != 10 for v in column.to_numpy()[text]]
    if ftype == "STRING":
        load = lambda v: str.__str__(v) if isinstance(v, str) else (  # noqa: E731
            str(int(v)) if isinstance(v, numbers.Integral) else repr(float(v)))
    else:
        load = {"NAIVE_DATE": lambda v: str.__str__(v).strip(), "DOUBLE": float,
                "INT": lambda v: int(float(v)) if isinstance(v, str) else int(v)}[ftype]
    return column[todo].map(load)


def canonical_json(item) -> str:
    """Sorted keys, compact, non-ASCII kept, lone surrogates escaped (``\\ud800``) so that the text loads."""
    try:
        text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = json.dumps(json_safe(item), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text if loadable(text) else _escape(text)


def _escape(text: str) -> str:
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def json_safe(value, depth: int = 0):
    """Strict JSON: NaN/±Infinity as text, keys as text, tuples and sets as lists, lone surrogates escaped, other
    objects as ``str()``, nesting cut at depth 100."""
    if value is None or value is ABSENT or isinstance(value, (bool, np.bool_)):
        return None if value is None or value is ABSENT else bool(value)
    if isinstance(value, str):
        return str.__str__(value) if loadable(value) else _escape(value)
    if isinstance(value, numbers.Integral):
        return int(value) if abs(int(value)) < 10**1000 else f"<integer of {int(value).bit_length()} bits>"
    if isinstance(value, numbers.Real):
        x = float(value)
        return x if math.isfinite(x) else "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    if depth >= 100:
        return "…"
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(json_safe(k)): json_safe(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v, depth + 1) for v in value]
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a value whose __str__ fails still gets a reason
        return f"<{type(value).__name__}>"
