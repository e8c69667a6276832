"""The records the contract rejected, in `fts_records_rejected`: one row per rejected record (`Rejection`), its raw
form as canonical JSON that loads whatever the item held; `Quarantine` keeps the table in step from sync to sync."""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np
from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from contracts.fts_record import ABSENT, loadable
from fts_connector import REJECTED_TABLE
from fts_connector.state import StateError, typed_member


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


MAX_QUARANTINED = 10_000  # the most record_ids whose rejected row the state tracks (about 75 bytes each)


class Quarantine:
    """Keeps `fts_records_rejected` in step: one live row per rejected record_id, deleted once the record is valid.

    The record_ids with a live rejected row (and that row's key) live in the state (`quarantined`), so a later sync
    can delete it. Up to MAX_QUARANTINED of them: beyond, rejected rows still load, but are not tracked (a warning says
    so), so that the state, which every checkpoint writes whole, stays small."""

    def __init__(self, state: dict):
        keys = typed_member(state, "quarantined", (dict,), {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
            raise StateError("quarantined", "not an object of record_id -> rejection_key texts")
        self.keys: dict = dict(keys)
        self.warned = False

    def load(self, verdict, synced_at: str) -> None:
        """Upserts a page's rejections (a `validation.Verdict`) and deletes the rows of its records now valid."""
        for rejection in verdict.rejected:
            earlier = self.keys.get(rejection.record_id)
            if earlier and earlier != rejection.key:
                op.delete(REJECTED_TABLE, {"rejection_key": earlier})
            op.upsert(REJECTED_TABLE, rejection.row(synced_at))
            if rejection.record_id is not None:
                self._track(rejection.record_id, rejection.key)
        if self.keys:
            for record in verdict.valid:
                self.forget(record.get("record_id"))

    def _track(self, record_id: str, key: str) -> None:
        if record_id in self.keys or len(self.keys) < MAX_QUARANTINED:
            self.keys[record_id] = key
        elif not self.warned:
            self.warned = True
            log.warning(f"more than {MAX_QUARANTINED:,} records are quarantined, the most the state tracks: the "
                        "others still go to fts_records_rejected, but their rejected row stays there if they later "
                        "arrive valid. So many rejections usually mean the API changed; read the drift summary and "
                        "the reasons in fts_records_rejected")

    def forget(self, record_id) -> None:
        """The record arrived valid, or is gone from the API: its rejected row, if it has one, is deleted."""
        key = self.keys.pop(record_id, None)
        if key:
            op.delete(REJECTED_TABLE, {"rejection_key": key})

    def state(self) -> dict:
        return {"quarantined": dict(sorted(self.keys.items()))} if self.keys else {}
