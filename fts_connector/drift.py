"""The contract drift of a sync: the soft findings (`contracts/drift.py`) among its loaded records, counted per rule
and field, bounded, and summarised in one log line per kind of finding."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts import FIELD_TYPES
from contracts.drift import SOFT_RULES

VALUE_RULES = ("undocumented_value", "id_shape")  # also counted per offending value
ID_SHAPES = {"record_id": "a lowercase UUID", "technician_id": "TECH_000123", "equipment_id": "EQUIP_000123",
             "erp_order_id": "ORDER_000123", "customer_id": "CUST_000123"}  # what `id_shape` expects, as logged
MAX_VALUES, MAX_FIELDS, MAX_VALUE_CHARS, SHOWN_VALUES, OTHER = 50, 50, 80, 10, "(other)"


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
                lines.append(f"  {name} {label.replace('SHAPE', ID_SHAPES.get(name, '?'))} [{entry['count']}]: "
                             f"{', '.join(parts)}")
        return "\n".join(lines)
