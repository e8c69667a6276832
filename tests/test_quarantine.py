"""fts_connector.quarantine: a rejected record's row, its stable key and its raw form as strict, loadable JSON."""

import datetime
import hashlib
import json

import numpy as np
import pytest
from support import drift_count
from test_contract import good

from fts_connector.quarantine import json_safe
from fts_connector.schema import REJECTED_TABLE_COLUMNS
from fts_connector.validation import check_records


def test_the_rejection_key_is_stable_for_the_same_raw_record_and_differs_between_records():
    a1, a2 = good(downtime_hours=2.5), dict(reversed(list(good(downtime_hours=2.5).items())))
    b = good(downtime_hours=3.5)
    keys = [r.key for r in check_records([a1, a2, b]).rejected]
    assert keys[0] == keys[1] != keys[2]
    assert keys == [r.key for r in check_records([a1, a2, b]).rejected]
    raw = json.dumps(a1, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    assert check_records([a1]).rejected[0].raw == raw
    assert keys[0] == hashlib.sha256(raw.encode()).hexdigest()[:32]


def test_the_rejected_row_has_the_table_columns_and_json_reasons():
    rejection = check_records([good(record_id="r-1", log_date="31/02/2024")]).rejected[0]
    row = rejection.row("2024-05-01T10:00:00+00:00")
    assert set(row) == set(REJECTED_TABLE_COLUMNS)
    assert row["rejection_key"] == rejection.key and row["record_id"] == "r-1"
    assert row["reasons"] == [{"field": "log_date", "rule": "not_a_date", "value": "31/02/2024"}]
    assert json.loads(row["raw_record"])["log_date"] == "31/02/2024"
    assert row["rejected_at"] == "2024-05-01T10:00:00+00:00"
    with pytest.raises(AttributeError):
        rejection.key = "x"  # frozen


def test_items_json_cannot_serialise_still_get_a_stable_key():
    cyclic: dict = {"record_id": "c", "downtime_hours": "x"}
    cyclic["self"] = cyclic
    odd = {1: "int key", "record_id": 7, ("t",): None}
    verdict = check_records([cyclic, odd, {"record_id": "ok", "n": 10**15}])
    assert len(verdict.rejected) == 2 and len(verdict.valid) == 1
    assert [r.key for r in verdict.rejected] == [r.key for r in check_records([cyclic, odd]).rejected]
    assert drift_count(verdict.drift, "extra_field") == 1


def test_json_safe_turns_anything_into_strict_json():
    class Unprintable:
        def __str__(self):
            raise ValueError("no")

    value = {"n": float("nan"), "i": -float("inf"), "t": (1, 2), 3: Unprintable(), "big": 10**2000,
             "np": np.int64(3), "b": np.bool_(True), "d": datetime.date(2024, 1, 1)}
    assert json_safe(value) == {"n": "NaN", "i": "-Infinity", "t": [1, 2], "3": "<Unprintable>",
                                "big": "<integer of 6644 bits>", "np": 3, "b": True, "d": "2024-01-01"}
    deep: list = []
    for _ in range(150):
        deep = [deep]
    json.dumps(json_safe(deep))
