"""fts_connector.drift: the soft findings of a sync, merged page by page, bounded, summarised deterministically."""

import json

import pytest
from support import drift_count
from test_contract import good

from fts_connector.drift import MAX_FIELDS, MAX_VALUES, OTHER, Drift
from fts_connector.validation import check_records


def _drift_of(*pages) -> Drift:
    drift = Drift()
    for page in pages:
        drift.merge(check_records(page).drift)
    return drift


def test_drift_merge_and_summary_are_deterministic_and_order_independent():
    page_a = [good(maintenance_type="Preventive", site=1)] * 3 + [good(failure_rate=2.0)]
    page_b = [good(maintenance_type="Emergency", downtime_hours=-1, site=2, summarized_log=...)]
    ab, ba = _drift_of(page_a, page_b), _drift_of(page_b, page_a)
    assert ab.as_dict() == ba.as_dict() and ab.summary() == ba.summary() and ab == ba
    assert ab.summary() == "\n".join([
        "contract drift: 11 soft finding(s) in loaded records",
        "  maintenance_type outside documented values [4]: Preventive (3), Emergency (1)",
        "  outside 0–1: failure_rate (1)",
        "  negative values: downtime_hours (1)",
        "  fields beyond the contract: site (4)",
        "  documented fields missing: summarized_log (1)",
    ])
    json.dumps(ab.as_dict())
    assert Drift().summary() == "contract drift: none" and Drift().is_empty()


def test_drift_is_bounded_per_field_with_an_other_bucket():
    drift = Drift()
    for i in range(3):
        page = [good(maintenance_type=f"type {i}-{j}", **{f"extra_{i}_{j}": 1}) for j in range(40)]
        drift.merge(check_records(page).drift)
    entry = drift.as_dict()["undocumented_value"]["maintenance_type"]
    assert entry["count"] == 120 and len(entry["values"]) == MAX_VALUES and entry["other"] == 120 - MAX_VALUES
    extras = drift.as_dict()["extra_field"]
    assert len(extras) == MAX_FIELDS + 1 and extras[OTHER]["count"] == 120 - MAX_FIELDS
    assert list(extras)[-1] == OTHER
    assert drift_count(drift, "extra_field") == 120
    assert "(other) (70)" in drift.summary()
    assert len(drift.summary().splitlines()) == 3


def test_drift_truncates_long_values_and_refuses_unknown_rules():
    drift = Drift()
    drift.add("undocumented_value", "maintenance_type", 1, {"x" * 500: 1})
    (value,) = drift.as_dict()["undocumented_value"]["maintenance_type"]["values"]
    assert len(value) == 80
    with pytest.raises(ValueError):
        drift.add("not_a_rule", "f", 1)
    drift.add("negative", "downtime_hours", 0)
    assert drift_count(drift, "negative") == 0 and "Drift(" in repr(drift)
