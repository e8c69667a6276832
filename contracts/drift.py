"""Drift: the soft rules (loadable but unexpected values, counted among loaded records, never rejected).

``FtsRecordDrift`` reads the loaded values of the valid records of a batch (nulls and absent fields are skipped);
``extra_field`` and ``missing_field`` are counted from the keys each record sends. ``Drift`` holds bounded, mergeable
counters of the findings.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .fts_record import ABSENT, FIELD_SET, FIELD_TYPES, enforced

__all__ = ["Drift", "FtsRecordDrift", "drift_of", "MAX_VALUES", "MAX_FIELDS", "OTHER"]

ID_PREFIXES = {"technician_id": "TECH", "equipment_id": "EQUIP", "erp_order_id": "ORDER", "customer_id": "CUST"}


class FtsRecordDrift(pa.DataFrameModel):
    """The loaded values of valid records; a failing check is a soft finding (rule id: ``SOFT_RULE_OF_CHECK``)."""

    technician_id: Series[Any] = pa.Field(nullable=True, str_matches=r"TECH_[0-9]{6}\Z")
    equipment_id: Series[Any] = pa.Field(nullable=True, str_matches=r"EQUIP_[0-9]{6}\Z")
    maintenance_type: Series[Any] = pa.Field(nullable=True, isin=["Predictive", "Corrective", "Condition-Based"])
    maintenance_status: Series[Any] = pa.Field(
        nullable=True, isin=["Completed", "Delayed", "In Progress", "Cancelled"])
    erp_order_id: Series[Any] = pa.Field(nullable=True, str_matches=r"ORDER_[0-9]{6}\Z")
    customer_id: Series[Any] = pa.Field(nullable=True, str_matches=r"CUST_[0-9]{6}\Z")
    failure_rate: Series[float] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})
    maintenance_cost: Series[float] = pa.Field(nullable=True, ge=0)
    downtime_hours: Series[float] = pa.Field(nullable=True, ge=0)
    summarization_time_saved: Series[float] = pa.Field(nullable=True, ge=0)

    class Config:
        name = "fts_record_drift"


#: pandera's check name -> the soft rule id; then the two rules counted from the keys sent.
SOFT_RULE_OF_CHECK = {"isin": "undocumented_value", "in_range": "out_of_range", "greater_than_or_equal_to": "negative",
                      "str_matches": "id_shape"}
KEY_RULES = {"extra_field": "a field the contract does not document (loaded as sent)",
             "missing_field": "a documented field absent from the record (loaded as NULL)"}
SOFT_RULE_NAMES = (*SOFT_RULE_OF_CHECK.values(), *KEY_RULES)
VALUE_RULES = ("undocumented_value", "id_shape")  # counted per offending value too
MAX_VALUES = 50  # distinct values kept per (rule, field); the rest are counted in OTHER
MAX_FIELDS = 50  # distinct undocumented field names kept per rule; the rest are counted under OTHER
MAX_VALUE_CHARS = 80
OTHER = "(other)"
_LABELS = {"extra_field": "fields beyond the contract", "undocumented_value": "outside documented values",
           "out_of_range": "outside 0–1", "negative": "negative values", "id_shape": "not shaped like PREFIX_000123",
           "missing_field": "documented fields missing"}
_FIELD_ORDER = {f: i for i, f in enumerate(FIELD_TYPES)}
_SHOWN_VALUES = 10  # values listed per line in summary(); as_dict() has all kept values


def drift_of(valid: pd.DataFrame, changes: dict) -> Drift:
    """The soft findings among the valid records of a wire frame (``changes``: their coerced values by field)."""
    drift = Drift()
    if valid.empty:
        return drift
    frame = {}
    for name, column in FtsRecordDrift.to_schema().columns.items():
        values = valid[name].copy()
        if name in changes:
            values[changes[name].index] = changes[name]
        values = values.mask(values.map(type) == type(ABSENT), None)
        frame[name] = values.astype(float) if column.dtype and "float" in str(column.dtype) else values
    try:
        with enforced():
            FtsRecordDrift.validate(pd.DataFrame(frame), lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        for (column, check), found in cases.groupby(["column", "check"], sort=False):
            rule = SOFT_RULE_OF_CHECK[check.split("(")[0]]
            values = dict(Counter(found["failure_case"].astype(str))) if rule in VALUE_RULES else None
            drift.add(rule, column, len(found), values)
    items = valid["item"]
    if set().union(*items) - FIELD_SET:
        for name, n in Counter(k for d in items for k in d.keys() - FIELD_SET).items():
            drift.add("extra_field", name, n)
    for name in list(FIELD_TYPES)[1:]:
        drift.add("missing_field", name, int((valid[name].map(type) == type(ABSENT)).sum()))
    return drift


def _field_sort_key(field: str):
    return (field == OTHER, _FIELD_ORDER.get(field, len(_FIELD_ORDER)), field)


def _value_sort_key(item):
    value, count = item
    return (value == OTHER, -count, value)


class Drift:
    """Soft-rule counters: per rule, per field, a count and (for value rules) counts per distinct value.

    Bounded: at most MAX_VALUES distinct values per (rule, field) and MAX_FIELDS distinct undocumented field names,
    overflow goes to an ``(other)`` bucket. ``merge`` is associative and commutative as long as no cap is hit.
    """

    __slots__ = ("_counts",)

    def __init__(self):
        # rule -> field -> [count, {value: count} or None, other_count]
        self._counts: dict[str, dict[str, list]] = {}

    # -- building --------------------------------------------------------------------------------------------------

    def _slot(self, rule: str, field: str) -> list:
        fields = self._counts.setdefault(rule, {})
        slot = fields.get(field)
        if slot is None:
            if rule == "extra_field" and len(fields) >= MAX_FIELDS + (OTHER in fields) and field != OTHER:
                return self._slot(rule, OTHER)
            slot = fields[field] = [0, {} if rule in VALUE_RULES else None, 0]
        return slot

    def add(self, rule: str, field: str, count: int, values: dict[str, int] | None = None, other: int = 0) -> None:
        """Count ``count`` findings of ``rule`` on ``field`` (with their per-value counts for value rules)."""
        if rule not in _LABELS:
            raise ValueError(f"not a soft rule: {rule!r}")
        if count <= 0:
            return
        slot = self._slot(rule, field)
        slot[0] += count
        if slot[1] is None:
            return
        kept = slot[1]
        slot[2] += other
        for value, n in (values or {}).items():
            value = value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"
            if value in kept or len(kept) < MAX_VALUES:
                kept[value] = kept.get(value, 0) + n
            else:
                slot[2] += n

    def merge(self, other: Drift) -> None:
        """Add ``other``'s counts to this one (``other`` is left unchanged)."""
        for rule, fields in other._counts.items():
            for field, (count, values, rest) in fields.items():
                self.add(rule, field, count, dict(values) if values is not None else None, rest)

    # -- reading ---------------------------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self._counts

    def count(self, rule: str, field: str | None = None) -> int:
        fields = self._counts.get(rule, {})
        if field is not None:
            return fields[field][0] if field in fields else 0
        return sum(slot[0] for slot in fields.values())

    def as_dict(self) -> dict:
        """``{rule: {field: {"count": n[, "values": {value: n}, "other": n]}}}``, rules and fields in a fixed order."""
        out: dict = {}
        for rule in SOFT_RULE_NAMES:
            fields = self._counts.get(rule)
            if not fields:
                continue
            out[rule] = {}
            for field in sorted(fields, key=_field_sort_key):
                count, values, rest = fields[field]
                entry: dict = {"count": count}
                if values is not None:
                    entry["values"] = dict(sorted(values.items(), key=_value_sort_key))
                    entry["other"] = rest
                out[rule][field] = entry
        return out

    def summary(self) -> str:
        """One human summary (one line per finding type), deterministic; ``contract drift: none`` when empty."""
        data = self.as_dict()
        if not data:
            return "contract drift: none"
        total = sum(e["count"] for fields in data.values() for e in fields.values())
        lines = [f"contract drift: {total} soft finding(s) in loaded records"]
        for rule, fields in data.items():
            label = _LABELS[rule]
            if rule in VALUE_RULES:
                for field, entry in fields.items():
                    shown = list(entry["values"].items())
                    parts = [f"{v} ({n})" for v, n in shown[:_SHOWN_VALUES]]
                    hidden = sum(n for _, n in shown[_SHOWN_VALUES:]) + entry["other"]
                    if hidden:
                        parts.append(f"{OTHER} ({hidden})")
                    if rule == "id_shape":
                        label = f"not shaped like {ID_PREFIXES.get(field, 'PREFIX')}_000123"
                    lines.append(f"  {field} {label} [{entry['count']}]: {', '.join(parts)}")
            else:
                parts = [f"{field} ({entry['count']})" for field, entry in fields.items()]
                lines.append(f"  {label}: {', '.join(parts)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Drift({self.as_dict()!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Drift) and self.as_dict() == other.as_dict()
