"""The soft rules: loadable but unexpected, counted among the loaded records (``Drift``), never rejected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .fts_record import FIELD_TYPES, absent, enforced


class FtsRecordDrift(pa.DataFrameModel):
    """The loaded values of a batch's valid records; nulls and absent fields are skipped."""

    technician_id: Series[Any] = pa.Field(nullable=True, str_matches=r"TECH_[0-9]{6}\Z")
    equipment_id: Series[Any] = pa.Field(nullable=True, str_matches=r"EQUIP_[0-9]{6}\Z")
    maintenance_type: Series[Any] = pa.Field(nullable=True, isin=["Predictive", "Corrective", "Condition-Based"])
    maintenance_status: Series[Any] = pa.Field(nullable=True, isin=["Completed", "Delayed", "In Progress", "Cancelled"])
    erp_order_id: Series[Any] = pa.Field(nullable=True, str_matches=r"ORDER_[0-9]{6}\Z")
    customer_id: Series[Any] = pa.Field(nullable=True, str_matches=r"CUST_[0-9]{6}\Z")
    failure_rate: Series[float] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})
    maintenance_cost: Series[float] = pa.Field(nullable=True, ge=0)
    downtime_hours: Series[float] = pa.Field(nullable=True, ge=0)
    summarization_time_saved: Series[float] = pa.Field(nullable=True, ge=0)

    class Config:
        coerce = True  # the numbers; text columns have no dtype (cheaper): loaded values are text or None


#: soft rule -> (the pandera check that finds it, or None for a rule on the keys sent; the drift summary's label)
SOFT_RULES = {"undocumented_value": ("isin", "outside documented values"), "out_of_range": ("in_range", "outside 0–1"),
              "negative": ("greater_than_or_equal_to", "negative values"),
              "id_shape": ("str_matches", "not shaped like PREFIX_000123"),
              "extra_field": (None, "fields beyond the contract"), "missing_field": (None, "documented fields missing")}
RULE_OF_CHECK = {check: rule for rule, (check, _) in SOFT_RULES.items() if check}
VALUE_RULES = ("undocumented_value", "id_shape")  # also counted per offending value
MAX_VALUES, MAX_FIELDS, MAX_VALUE_CHARS, SHOWN_VALUES, OTHER = 50, 50, 80, 10, "(other)"


def drift_of(valid: pd.DataFrame, loaded: dict) -> Drift:
    """The soft findings among the valid records of a wire frame (``loaded``: their coerced values by field)."""
    drift = Drift()
    if valid.empty:
        return drift
    frame = {}
    for name in FtsRecordDrift.to_schema().columns:
        frame[name] = valid[name].where(~absent(valid[name]), None)
        if len(loaded[name]):  # the values coercion changed, if any
            frame[name][loaded[name].index] = loaded[name]
    try:
        with enforced():
            FtsRecordDrift.validate(pd.DataFrame(frame), lazy=True)
    except pa.errors.SchemaErrors as errors:
        for (name, check), found in errors.failure_cases.groupby(["column", "check"], sort=False):
            rule = RULE_OF_CHECK[check.split("(")[0]]
            values = Counter(found["failure_case"].astype(str)) if rule in VALUE_RULES else None
            drift.add(rule, name, len(found), values)
    items = valid["item"].tolist()
    for name in set().union(*items) - FIELD_TYPES.keys():
        drift.add("extra_field", name, sum(name in d for d in items))
    for name in list(FIELD_TYPES)[1:]:
        drift.add("missing_field", name, int(absent(valid[name]).sum()))
    return drift


@dataclass
class Drift:
    """Soft-finding counters: rule -> field -> [count, {value: count} (value rules) or None, count beyond the cap].
    Bounded: MAX_VALUES values per (rule, field), MAX_FIELDS extra fields; the rest go to OTHER."""

    counts: dict = field(default_factory=dict)

    def add(self, rule: str, name: str, count: int, values: dict | None = None, other: int = 0) -> None:
        if rule not in SOFT_RULES:
            raise ValueError(f"not a soft rule: {rule!r}")
        if count <= 0:
            return
        fields = self.counts.setdefault(rule, {})
        if rule == "extra_field" and name not in fields and len(fields) >= MAX_FIELDS + (OTHER in fields):
            name = OTHER
        slot = fields.setdefault(name, [0, {} if rule in VALUE_RULES else None, 0])
        slot[0] += count
        if slot[1] is not None:
            slot[2] += other
            for value, n in (values or {}).items():
                value = value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"
                if value in slot[1] or len(slot[1]) < MAX_VALUES:
                    slot[1][value] = slot[1].get(value, 0) + n
                else:
                    slot[2] += n

    def merge(self, other: Drift) -> None:
        for rule, fields in other.counts.items():
            for name, (count, values, rest) in fields.items():
                self.add(rule, name, count, values, rest)

    def is_empty(self) -> bool:
        return not self.counts

    def count(self, rule: str, name: str | None = None) -> int:
        return sum(slot[0] for f, slot in self.counts.get(rule, {}).items() if name is None or f == name)

    def as_dict(self) -> dict:
        """``{rule: {field: {"count": n[, "values": {value: n}, "other": n]}}}`` in a fixed order."""
        order = {name: i for i, name in enumerate(FIELD_TYPES)}
        out: dict = {}
        for rule in (r for r in SOFT_RULES if r in self.counts):
            out[rule] = {}
            for name in sorted(self.counts[rule], key=lambda f: (f == OTHER, order.get(f, 99), f)):
                count, values, rest = self.counts[rule][name]
                out[rule][name] = {"count": count} if values is None else {
                    "count": count, "values": dict(sorted(values.items(), key=lambda v: (-v[1], v[0]))), "other": rest}
        return out

    def summary(self) -> str:
        """One line per finding type, deterministic; ``contract drift: none`` when empty."""
        data = self.as_dict()
        total = sum(e["count"] for fields in data.values() for e in fields.values())
        lines = [f"contract drift: {total} soft finding(s) in loaded records" if data else "contract drift: none"]
        for rule, fields in data.items():
            label = SOFT_RULES[rule][1]
            if rule not in VALUE_RULES:
                lines.append(f"  {label}: " + ", ".join(f"{f} ({e['count']})" for f, e in fields.items()))
                continue
            for name, entry in fields.items():
                shown = list(entry["values"].items())
                parts = [f"{v} ({n})" for v, n in shown[:SHOWN_VALUES]]
                hidden = sum(n for _, n in shown[SHOWN_VALUES:]) + entry["other"]
                parts += [f"{OTHER} ({hidden})"] if hidden else []
                prefix = {"technician_id": "TECH", "equipment_id": "EQUIP", "erp_order_id": "ORDER",
                          "customer_id": "CUST"}.get(name, "PREFIX")
                lines.append(f"  {name} {label.replace('PREFIX', prefix)} [{entry['count']}]: {', '.join(parts)}")
        return "\n".join(lines)
