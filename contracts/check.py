"""Checking a batch of API items: one DataFrame, one lazy validation of ``FtsRecord``, failures mapped back to items.

``check_pages(pages)`` gives one ``Verdict`` per page: the records to upsert (lossless coercions applied, fields beyond
the 14 passed through), the rejected ones with their reasons (for ``fts_records_rejected``) and the drift.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .drift import Drift, drift_of
from .fts_record import (
    ABSENT,
    FIELD_SET,
    FIELD_TYPES,
    INTEGER,
    NESTED,
    NOTHING,
    NUMBER,
    TEXT,
    FtsRecord,
    enforced,
    is_text_field_name,
    kinds,
    valid_unicode,
)

__all__ = ["REJECTED_TABLE_COLUMNS", "Rejection", "Verdict", "check_pages", "check_records", "canonical_json",
           "json_safe"]

#: Columns of ``fts_records_rejected`` (primary key ``rejection_key``); ``reasons`` is a JSON list of
#: ``{"field", "rule", "value"}`` objects, ``raw_record`` the item as canonical JSON (lone surrogates escaped).
REJECTED_TABLE_COLUMNS = {"rejection_key": "STRING", "record_id": "STRING", "reasons": "JSON", "raw_record": "STRING",
                          "rejected_at": "UTC_DATETIME"}
HARD_RULES = tuple(dict.fromkeys(c.name for col in FtsRecord.to_schema().columns.values() for c in col.checks))
_RULE_ORDER = {name: i for i, name in enumerate(("not_an_object", "bad_field_name", "required", "nested_value",
                                                 "not_a_string", "not_unicode", "not_a_date", "not_a_number",
                                                 "not_finite", "not_an_integer", "out_of_int32_range"))}
_FIELD_ORDER = {name: i for i, name in enumerate(FIELD_TYPES)}


@dataclass(frozen=True)
class Rejection:
    """A record that breaks at least one hard rule."""

    key: str  # sha256 (first 32 hex digits) of ``raw``: the same bad record always gets the same key
    record_id: str | None  # the item's record_id when it is a non-empty string (lone surrogates escaped)
    reasons: tuple  # ({"field", "rule", "value"}, ...): one per broken rule, fields in documented order
    raw: str  # canonical JSON of the item

    def row(self, rejected_at: str) -> dict:
        """The ``fts_records_rejected`` row."""
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
    """The outcome for one page; ``len(valid) + len(rejected) == received``. A valid record that needed no coercion
    is the item itself; one that did is a new dict (same key order). The drift counts the valid records only."""

    valid: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    drift: Drift = field(default_factory=Drift)
    received: int = 0


def canonical_json(item) -> str:
    """Sorted keys, compact, non-ASCII kept; lone surrogates escaped (``\\ud800``) so that the text can be loaded."""
    try:
        text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = json.dumps(json_safe(item), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text if valid_unicode([text])[0] else _escape(text)


def _escape(text: str) -> str:
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def json_safe(value, _depth: int = 0):
    """A strict-JSON version of a value: NaN/±Infinity as text, keys as text, tuples and sets as lists, lone
    surrogates escaped, other objects as ``str()``; nesting is cut at depth 100."""
    if value is None or value is ABSENT or isinstance(value, (bool, np.bool_)):
        return None if value is None or value is ABSENT else bool(value)
    if isinstance(value, str):
        return str.__str__(value) if valid_unicode([value])[0] else _escape(value)
    if isinstance(value, numbers.Integral):
        return int(value) if abs(int(value)) < 10**1000 else f"<integer of {int(value).bit_length()} bits>"
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if _depth >= 100:
        return "…"
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(json_safe(k)): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v, _depth + 1) for v in value]
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a value whose __str__ fails still gets a reason
        return f"<{type(value).__name__}>"


def wire_frame(items: list) -> pd.DataFrame:
    """One row per item (index: its position): the item itself, then one object column per documented field."""
    dicts = items if all(type(i) is dict for i in items) else [i if isinstance(i, dict) else {} for i in items]
    columns = {"item": items, **{name: [d.get(name, ABSENT) for d in dicts] for name in FIELD_TYPES}}
    return pd.DataFrame(columns, dtype=object)


def check_records(records) -> Verdict:
    """Check one page (any iterable of items) against the contract."""
    items = list(records)
    return check_pages([items])[0]


def check_pages(pages: list) -> list[Verdict]:
    """Check several pages in one validation; one Verdict per page, the batch's drift on the first one."""
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
    loaded = _coerced(valid)
    for pos, record in zip(valid.index.tolist(), _records(valid, loaded), strict=True):
        verdicts[page_of[pos]].valid.append(record)
    verdicts[0].drift = drift_of(valid, loaded)
    return verdicts


def _broken(frame: pd.DataFrame) -> dict[int, list]:
    """item position -> its reasons, for the items that break a hard rule."""
    try:
        with enforced():
            FtsRecord.validate(frame, lazy=True)
        return {}
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    if cases["index"].isna().any():  # a schema-level failure or a check that raised: a bug, not a bad record
        raise RuntimeError(f"a contract rule could not run:\n{cases}")
    broken: dict[int, list] = {}
    for column, check, pos in cases[["column", "check", "index"]].itertuples(index=False):
        broken.setdefault(int(pos), []).extend(_reasons(frame, column, check, int(pos)))
    for pos, reasons in broken.items():
        if any(r["rule"] == "not_an_object" for r in reasons):
            reasons[:] = [r for r in reasons if r["rule"] == "not_an_object"]
        reasons.sort(key=lambda r: (_FIELD_ORDER.get(r["field"], -1 if r["field"] is None else 99),
                                    _RULE_ORDER[r["rule"]]))
    return broken


def _reasons(frame: pd.DataFrame, column: str, rule: str, pos: int) -> list:
    """The reasons one failure case stands for; rules on the whole item name the fields beyond the 14 at fault."""
    item = frame.at[pos, "item"]
    if column != "item":
        return [{"field": column, "rule": rule, "value": json_safe(frame.at[pos, column])}]
    if rule == "not_an_object":
        return [{"field": None, "rule": rule, "value": json_safe(item)}]
    if rule == "bad_field_name":
        return [{"field": json_safe(k) if isinstance(k, str) else repr(k), "rule": rule, "value": json_safe(v)}
                for k, v in item.items() if not is_text_field_name(k)]
    return [{"field": json_safe(k), "rule": "not_unicode", "value": json_safe(v)} for k, v in item.items()
            if k not in FIELD_SET and is_text_field_name(k) and not _loadable(v)]


def _loadable(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except (ValueError, TypeError, RecursionError):
        pass
    return True


# ---- lossless coercions: the loaded form of each valid value -------------------------------------------------------

#: (warehouse type, kind of the value sent) -> what loading does with it. Anything not listed loads unchanged.
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


def _load(ftype: str, value):
    if ftype == "STRING":
        return str.__str__(value) if isinstance(value, str) else (
            str(int(value)) if isinstance(value, numbers.Integral) else repr(float(value)))
    if ftype == "NAIVE_DATE":
        return str.__str__(value).strip()
    if ftype == "DOUBLE":
        return float(value)
    return int(float(value)) if isinstance(value, str) else int(value)


def _coerced(valid: pd.DataFrame) -> dict[str, pd.Series]:
    """field -> the loaded values of the cells of valid records that are not already in their loaded form."""
    changes = {}
    for name, ftype in FIELD_TYPES.items():
        column = valid[name]
        kind = kinds(column)
        todo = (kind != NOTHING) & (column.map(type) != _PLAIN[ftype]).to_numpy()
        if ftype == "NAIVE_DATE":  # dates with surrounding whitespace
            text = ~todo & (kind == TEXT)
            todo[text] = [len(v) != 10 for v in column.to_numpy()[text]]
        if todo.any():
            changes[name] = column[todo].map(lambda v, t=ftype: _load(t, v))
    return changes


def _records(valid: pd.DataFrame, changes: dict[str, pd.Series]) -> list:
    items = valid["item"].tolist()
    if not changes:
        return items
    updates: dict[int, dict] = {}
    for name, values in changes.items():
        for pos, value in values.items():
            updates.setdefault(pos, {})[name] = value
    return [{**item, **updates[pos]} if pos in updates else item for pos, item in zip(valid.index, items, strict=True)]


__all__ += ["COERCIONS", "HARD_RULES", "INTEGER", "NUMBER", "NESTED", "TEXT"]
