"""Checking FTS records against the contract (the rules themselves live in ``contracts.rules``).

``check_records(records)`` splits a page (or a batch of pages) into the records to upsert into ``fts_records``
(lossless coercions applied, fields beyond the 14 passed through), the rejected ones (with their reasons, for
``fts_records_rejected``) and the soft findings (``Drift``). ``validate_table(df)`` checks a table read back from the
warehouse against the same hard rules.

Costs: one DataFrame is built per call and validated once by pandera; per-item Python work is limited to building that
frame and the output list, plus the rejected records (reasons) and the few values that need a coercion.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import numbers
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.config import ValidationDepth, config_context

from .drift import VALUE_RULES, Drift
from .rules import (
    ABSENT,
    FIELD_TYPES,
    FIELDS,
    HARD_RULE_NAMES,
    HARD_SCHEMA,
    KIND_DTYPE,
    PRIMARY_KEY,
    SOFT_RULES,
    Cells,
    coerce,
    kind_codes,
    needs_coercion,
)

__all__ = [
    "FIELD_TYPES", "REJECTED_TABLE_COLUMNS", "Verdict", "Rejection", "Drift", "check_records", "check_pages",
    "validate_table",
    "canonical_json", "json_safe",
]

#: Columns of ``fts_records_rejected`` (primary key ``rejection_key``). ``reasons`` is a JSON list of
#: ``{"field", "rule", "value"}`` objects.
REJECTED_TABLE_COLUMNS: dict[str, str] = {
    "rejection_key": "STRING",
    "record_id": "STRING",
    "reasons": "JSON",
    "raw_record": "STRING",
    "rejected_at": "UTC_DATETIME",
}

_FIELD_DTYPE = pd.CategoricalDtype(list(FIELDS))
_N_FIELDS = len(FIELDS)
_HARD = frozenset(HARD_RULE_NAMES)
_RULE_ORDER = {name: i for i, name in enumerate(HARD_RULE_NAMES)}
_FIELD_ORDER = {f: i for i, f in enumerate(FIELDS)}


# --------------------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """A record that breaks at least one hard rule."""

    key: str  # sha256 (first 32 hex digits) of ``raw``: the same bad record always gets the same key
    record_id: str | None  # the raw item's record_id when it is a non-empty string
    reasons: tuple  # ({"field": ..., "rule": ..., "value": ...}, ...), one per broken rule, by field (documented order)
    raw: str  # canonical JSON of the raw item

    def row(self, rejected_at: str) -> dict:
        """The ``fts_records_rejected`` row (``reasons`` as a JSON-able list: the SDK writes JSON columns as JSON)."""
        return {
            "rejection_key": self.key,
            "record_id": self.record_id,
            "reasons": [dict(r) for r in self.reasons],
            "raw_record": self.raw,
            "rejected_at": rejected_at,
        }

    @classmethod
    def of(cls, item, reasons) -> Rejection:
        raw = canonical_json(item)
        record_id = item.get(PRIMARY_KEY) if isinstance(item, dict) else None
        if not (isinstance(record_id, str) and record_id):
            record_id = None
        key = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return cls(key=key, record_id=None if record_id is None else str(record_id), reasons=tuple(reasons), raw=raw)


@dataclass
class Verdict:
    """The outcome of one ``check_records`` call; ``len(valid) + len(rejected) == received`` always.

    ``valid``: the records to upsert, in input order. A record that needed a coercion is a new dict (same key order);
    one that did not is the input dict itself (not copied). Absent fields stay absent, None stays None, fields beyond
    the 14 are passed through untouched. ``drift``: the soft findings among the ``valid`` records only."""

    valid: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    drift: Drift = field(default_factory=Drift)
    received: int = 0


# --------------------------------------------------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------------------------------------------------


def canonical_json(item) -> str:
    """Canonical JSON of a raw item: sorted keys, compact separators, non-ASCII kept, ``str()`` for non-JSON values.

    Items ``json.dumps`` cannot take (non-string/mixed keys, cycles, integers of over 4300 digits) are first made
    JSON-safe with ``json_safe``."""
    try:
        return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(json_safe(item), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_safe(value, _depth: int = 0):
    """A strict-JSON version of a value: NaN/±Infinity as the strings "NaN"/"Infinity"/"-Infinity", keys as text,
    tuples and sets as lists, other objects as ``str()``; nesting is cut at depth 100."""
    if value is None or value is ABSENT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        value = int(value)
        return value if abs(value) < 10**1000 else f"<integer of {value.bit_length()} bits>"
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if _depth >= 100:
        return "…"
    if isinstance(value, dict):
        return {_key_text(k): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v, _depth + 1) for v in value]
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a value whose __str__ fails still gets a reason
        return f"<{type(value).__name__}>"


def _key_text(key) -> str:
    return key if isinstance(key, str) else json.dumps(json_safe(key))


# --------------------------------------------------------------------------------------------------------------------
# The cells frame
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class _Frame:
    frame: pd.DataFrame
    record: np.ndarray  # record position of each cell
    field: np.ndarray  # field code of each cell (-1: the item cell)
    labels: list  # field code -> field label
    kind: np.ndarray
    value: np.ndarray
    exotic: np.ndarray | None
    n_dicts: int  # documented cells are [n_items, n_items + 14 * n_dicts), field-major


def _cells(items: list) -> _Frame:
    """One cell per item (the item itself), one per (object, documented field), one per extra key present."""
    n = len(items)
    dict_pos = [i for i, item in enumerate(items) if isinstance(item, dict)]
    dicts = [items[i] for i in dict_pos] if len(dict_pos) != n else items
    nd = len(dicts)
    values = list(items)
    values += [d.get(f, ABSENT) for f in FIELDS for d in dicts]  # field-major: fast, one list
    positions = np.asarray(dict_pos, dtype=np.int64)
    record_parts = [np.arange(n, dtype=np.int64), np.tile(positions, _N_FIELDS)]
    field_parts = [np.full(n, -1, dtype=np.int32), np.repeat(np.arange(_N_FIELDS, dtype=np.int32), nd)]

    labels: list = list(FIELDS)
    keys = set().union(*dicts) if nd else set()
    extras = keys.difference(FIELDS)
    if extras:
        for key in sorted(extras, key=lambda k: (not isinstance(k, str), str(k))):
            label = key if isinstance(key, str) else f"{key!r}"
            while label in labels:  # a non-string key whose repr collides with a string key
                label += "'"
            present = [(p, d[key]) for p, d in zip(dict_pos, dicts, strict=True) if key in d]
            record_parts.append(np.fromiter((p for p, _ in present), dtype=np.int64, count=len(present)))
            field_parts.append(np.full(len(present), len(labels), dtype=np.int32))
            values += [v for _, v in present]
            labels.append(label)

    record = np.concatenate(record_parts)
    codes = np.concatenate(field_parts)
    kinds, exotic = kind_codes(values)
    value_array = np.fromiter(values, dtype=object, count=len(values))  # items stay objects (lists too)
    field_dtype = _FIELD_DTYPE if len(labels) == _N_FIELDS else pd.CategoricalDtype(pd.Index(labels, dtype=object))
    frame = pd.DataFrame(
        {
            "record": record,
            "field": pd.Categorical.from_codes(codes, dtype=field_dtype),
            "kind": pd.Categorical.from_codes(kinds, dtype=KIND_DTYPE),
            "value": value_array,
        },
        copy=False,
    )
    return _Frame(frame, record, codes, labels, kinds, value_array, exotic, nd)


def _data_validation():
    """The contract is enforced whatever pandera's global settings (PANDERA_VALIDATION_ENABLED/_DEPTH) say."""
    return config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA)


def _failures(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """rule name -> numbers of the cells that break it. Hard rules: one ``HARD_SCHEMA.validate(lazy=True)``; soft rules:
    their Check objects called directly (per-cell output, without pandera's costly error report)."""
    failures: dict[str, np.ndarray] = {}
    try:
        with _data_validation():
            HARD_SCHEMA.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as errors:
        for error in errors.schema_errors:
            if error.check is None or error.check_output is None:  # a predicate raised: a bug, not a bad record
                raise RuntimeError(f"a contract rule could not run:\n{errors}") from errors
            failures[error.check.name] = np.flatnonzero(~error.check_output.to_numpy(dtype=bool))
    try:
        for check in SOFT_RULES:
            result = check(frame)
            if not result.check_passed:
                failures[check.name] = np.flatnonzero(~result.check_output.to_numpy(dtype=bool))
    finally:
        Cells.release()
    return failures


# --------------------------------------------------------------------------------------------------------------------
# check_records
# --------------------------------------------------------------------------------------------------------------------


def check_records(records) -> Verdict:
    """Check one page or a batch of API items against the contract (items may be anything)."""
    items = records if isinstance(records, list) else list(records)
    return _check(items, [len(items)])[0]


def check_pages(pages: list) -> list[Verdict]:
    """Check several pages in one vectorised validation (much cheaper than one per page); one Verdict per page.

    The drift of the whole batch is reported on the first page's Verdict (drift is summed per sync anyway)."""
    items = [item for page in pages for item in page]
    return _check(items, [len(page) for page in pages])


def _check(items: list, sizes: list) -> list[Verdict]:
    """The verdicts on `items`, split into consecutive pages of `sizes` items."""
    verdicts = [Verdict(received=size) for size in sizes]
    if not items:
        return verdicts
    ends = np.cumsum(sizes)
    page_of = np.searchsorted(ends, np.arange(len(items)), side="right")  # item position -> page index
    cells = _cells(items)
    failures = _failures(cells.frame)

    # hard findings -> rejected records
    broken: dict[int, list] = {}
    for rule, cell_ids in failures.items():
        if rule in _HARD:
            for cell in cell_ids.tolist():
                broken.setdefault(int(cells.record[cell]), []).append((rule, cell))
    for pos in sorted(broken):
        verdicts[page_of[pos]].rejected.append(Rejection.of(items[pos], _reasons(cells, broken[pos])))

    # valid records, in input order, with coercions applied
    valid_mask = np.ones(len(items), dtype=bool)  # items that are not objects break `not_an_object`
    if broken:
        valid_mask[list(broken)] = False
    changes = _coercions(cells, valid_mask)
    for pos in np.flatnonzero(valid_mask).tolist():
        item = items[pos]
        update = changes.get(pos)
        verdicts[page_of[pos]].valid.append({**item, **update} if update else item)

    # soft findings among loaded records -> drift
    for rule, cell_ids in failures.items():
        if rule not in _HARD:
            _count(verdicts[0].drift, rule, cells, cell_ids[valid_mask[cells.record[cell_ids]]])
    return verdicts


def _reasons(cells: _Frame, broken: list) -> list:
    reasons = []
    for rule, cell in broken:
        code = int(cells.field[cell])
        name = None if code < 0 else cells.labels[code]
        reasons.append({"field": name, "rule": rule, "value": json_safe(cells.value[cell])})
    reasons.sort(key=lambda r: (-1 if r["field"] is None else _FIELD_ORDER.get(r["field"], 99), _RULE_ORDER[r["rule"]]))
    return reasons


def _coercions(cells: _Frame, valid_mask: np.ndarray) -> dict[int, dict]:
    """record position -> {field: loaded value} for the valid records' cells not already in their loaded form."""
    changes: dict[int, dict] = {}
    n_items, nd = len(valid_mask), cells.n_dicts
    for j, (name, ftype) in enumerate(FIELD_TYPES.items()):
        block = slice(n_items + j * nd, n_items + (j + 1) * nd)
        exotic = None if cells.exotic is None else cells.exotic[block]
        todo = needs_coercion(ftype, cells.kind[block], cells.value[block], exotic)
        if not todo.any():
            continue
        todo &= valid_mask[cells.record[block]]
        for pos, value in zip(cells.record[block][todo].tolist(), cells.value[block][todo].tolist(), strict=True):
            changes.setdefault(pos, {})[name] = coerce(ftype, value)
    return changes


def _count(drift: Drift, rule: str, cells: _Frame, cell_ids: np.ndarray) -> None:
    if len(cell_ids) == 0:
        return
    codes = cells.field[cell_ids]
    if rule not in VALUE_RULES:
        for code, n in zip(*np.unique(codes, return_counts=True), strict=True):
            drift.add(rule, str(cells.labels[code]), int(n))
        return
    for code in np.unique(codes).tolist():
        name = cells.labels[code]
        ftype = FIELD_TYPES[name]
        values = Counter(coerce(ftype, v) for v in cells.value[cell_ids[codes == code]].tolist())
        drift.add(rule, name, sum(values.values()), dict(values))


# --------------------------------------------------------------------------------------------------------------------
# validate_table
# --------------------------------------------------------------------------------------------------------------------


def _date_text(v):
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time() and v.tzinfo is None else v.isoformat()
    if isinstance(v, datetime.date):
        return v.isoformat()
    return v


def _wire_column(series: pd.Series, ftype: str) -> list:
    """A warehouse column back in the form the API sends: NULL (None/NaN/NA/NaT) -> None, dates as YYYY-MM-DD text
    (a non-midnight or zoned datetime stays a datetime text, which is not a date)."""
    values = series.astype(object).tolist()
    if ftype == "NAIVE_DATE":
        return [_date_text(v) for v in values]
    return [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def validate_table(df: pd.DataFrame) -> None:
    """Check an ``fts_records`` table read back from the warehouse against the hard rules.

    Columns are the 14 with warehouse types (dates as datetime64/date, ints as Int32/int/float, doubles as float;
    NaN/NA/NaT are NULL); other columns (fields beyond the 14, ``_fivetran_*``) are ignored. Raises
    ``pandera.errors.SchemaErrors`` listing every broken cell (``record`` = row position) if a hard rule is broken."""
    columns = {name: _wire_column(df[name], ftype) for name, ftype in FIELD_TYPES.items() if name in df.columns}
    if not len(df):
        return
    names = list(columns)
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)] if names else []
    records = records or [{} for _ in range(len(df))]
    try:
        with _data_validation():
            HARD_SCHEMA.validate(_cells(records).frame, lazy=True, inplace=True)
    finally:
        Cells.release()
