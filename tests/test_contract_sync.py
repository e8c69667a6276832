"""The contract at run time: every page is checked before it is upserted; what breaks a hard rule is quarantined in
fts_records_rejected (or, in strict mode, fails the sync); soft findings are reported once per sync."""

import json
from collections import Counter

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import API_KEY, configuration, drift_counts, refreshing
from test_cassettes import replay, requested_cursors
from test_sync import DECLARED_TYPES

from fts_connector.client import FtsClient, Page
from fts_connector.validation import check_records
from tools import engine
from tools.cassettes import CASSETTES
from tools.fts_api import UNDOCUMENTED_MAINTENANCE_TYPES, FtsApiServer, generate_record
from tools.table_contract import validate_table

GOOD = generate_record(42, 0)


def serve(monkeypatch, *pages):
    """Makes the client answer the first page with `pages[0]`, the next with `pages[1]`, … (no HTTP)."""
    cursors = [None] + [f"{index:032x}" for index in range(1, len(pages))]
    answers = {cursor: Page(cursor, records, cursors[i + 1] if i + 1 < len(pages) else None)
               for i, (cursor, records) in enumerate(zip(cursors, pages, strict=True))}
    monkeypatch.setattr(FtsClient, "fetch_page", lambda self, cursor: answers[cursor])


def settings_for(**overrides) -> dict:
    return {"api_key": API_KEY, "base_url": "https://fts.example.com", "page_size": "100",
            **{name: str(value) for name, value in overrides.items()}}


def rejected_rows(run) -> list:
    return run.query("SELECT record_id, reasons, _fivetran_deleted FROM tester.fts_records_rejected ORDER BY record_id")


WELL_FORMED = [path for path in sorted(CASSETTES.glob("*.yaml")) if path.stem != "malformed_records"]


@pytest.mark.parametrize("path", WELL_FORMED, ids=lambda p: p.stem)
def test_every_record_in_every_cassette_but_the_malformed_one_satisfies_the_hard_rules(path):
    for interaction in yaml.safe_load(path.read_text())["interactions"]:
        if interaction["response"]["status"]["code"] == 200:
            verdict = check_records(json.loads(interaction["response"]["body"]["string"])["fts_records"])
            assert verdict.rejected == []


def test_the_synced_table_validates_against_the_contract_and_keeps_the_declared_types(api, sync_runner):
    run = sync_runner(configuration(api))
    frame = run.frame("SELECT * EXCLUDE (_fivetran_synced) FROM tester.fts_records")
    validate_table(frame)
    assert str(frame["downtime_hours"].dtype) == "int32" and str(frame["failure_rate"].dtype) == "float64"
    assert len(frame) == 750
    types = run.column_types()
    assert {name: types[name] for name in DECLARED_TYPES} == DECLARED_TYPES


def test_malformed_records_are_quarantined_and_the_table_keeps_its_types(sync_runner):
    run = replay("malformed_records", sync_runner)
    loaded = run.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records")[0]
    rejected = run.query("SELECT count(*) FROM tester.fts_records_rejected")[0][0]
    assert run.error is None and rejected == 18 and loaded == (732, 732) and loaded[0] + rejected == 750
    types = run.column_types()
    assert {name: types[name] for name in DECLARED_TYPES} == DECLARED_TYPES
    assert run.column_types("fts_records_rejected")["reasons"] == "JSON"
    assert (run.progress.records, run.progress.rejected) == (732, 18)
    reasons = {json.loads(row[0])[0]["rule"] for row in run.query("SELECT reasons FROM tester.fts_records_rejected")}
    assert {"not_a_number", "not_a_date", "not_an_integer", "required", "nested_value"} <= reasons
    # rejected records count towards the cadence like loaded ones; the final checkpoint (the short last page's, with
    # the completed refresh) saves which record_ids are quarantined (so that their rejected rows can be deleted once
    # they arrive valid)
    assert run.counts["Checkpoints"] == 7 and run.cursors == requested_cursors("malformed_records")[1:]
    assert len(run.state["quarantined"]) == len(run.query(
        "SELECT record_id FROM tester.fts_records_rejected WHERE record_id IS NOT NULL"))


def test_a_rejected_record_that_later_arrives_valid_loads_and_its_rejected_row_is_deleted(monkeypatch, tmp_path):
    bad = {**GOOD, "maintenance_cost": "n/a"}
    serve(monkeypatch, [bad, generate_record(42, 1)])
    first = engine.run_sync(tmp_path, settings_for(), {})
    assert first.query("SELECT count(*) FROM tester.fts_records") == [(1,)]
    assert json.loads(rejected_rows(first)[0][1]) == [{"field": "maintenance_cost", "rule": "not_a_number",
                                                       "value": "n/a"}]
    assert first.state["quarantined"] == {GOOD["record_id"]: first.query(
        "SELECT rejection_key FROM tester.fts_records_rejected")[0][0]}
    serve(monkeypatch, [GOOD])
    second = engine.run_sync(tmp_path, settings_for())
    assert second.query("SELECT count(*) FROM tester.fts_records") == [(2,)]
    assert rejected_rows(second)[0][2] is True and "quarantined" not in second.state


def test_the_same_bad_record_keeps_one_rejected_row_and_a_changed_one_replaces_it(monkeypatch, tmp_path):
    serve(monkeypatch, [{**GOOD, "downtime_hours": 2.5}])
    engine.run_sync(tmp_path, settings_for(), {})
    engine.run_sync(tmp_path, settings_for())
    serve(monkeypatch, [{**GOOD, "downtime_hours": "x"}])
    run = engine.run_sync(tmp_path, settings_for())
    rows = run.query("SELECT _fivetran_deleted, reasons FROM tester.fts_records_rejected ORDER BY _fivetran_deleted")
    assert len(rows) == 2 and [deleted for deleted, _ in rows] == [False, True]
    assert json.loads(rows[0][1])[0]["value"] == "x"


def test_strict_mode_fails_on_the_first_hard_violation_naming_record_field_and_rule(monkeypatch, tmp_path):
    serve(monkeypatch, [generate_record(42, 1)], [{**GOOD, "log_date": "31/02/2024"}])
    run = engine.run_sync(tmp_path, settings_for(contract_mode="strict", checkpoint_every=1), {})
    message = str(run.error)
    assert f"record {GOOD['record_id']} breaks the contract: field log_date not_a_date" in message
    assert "contract_mode is strict" in message and "SYNC FAILED" in run.log
    assert run.query("SELECT count(*) FROM tester.fts_records") == [(1,)]
    assert run.state == refreshing(f"{1:032x}")


def test_contract_mode_off_loads_what_comes(monkeypatch, tmp_path):
    serve(monkeypatch, [{**GOOD, "maintenance_type": "Emergency", "downtime_hours": 3.0}])
    run = engine.run_sync(tmp_path, settings_for(contract_mode="off"), {})
    assert run.error is None and run.query("SELECT downtime_hours, maintenance_type FROM tester.fts_records") == [
        (3, "Emergency")]
    assert run.progress.drift.is_empty() and run.progress.drift.as_dict() == {}


def test_contract_mode_is_checked_like_every_parameter(api, sync_runner):
    run = sync_runner(configuration(api, contract_mode="lenient"))
    assert "contract_mode must be one of enforce, strict, off; got 'lenient'" in str(run.error)
    assert api.request_count == 0


def test_drift_is_summarised_once_per_sync(sync_runner):
    with FtsApiServer(records=750, api_key=API_KEY) as api:
        run = sync_runner(configuration(api))
        types = Counter(api.record(offset)["maintenance_type"] for offset in range(750))
    undocumented = {name: count for name, count in types.items() if name in UNDOCUMENTED_MAINTENANCE_TYPES}
    drift = run.progress.drift  # the maintenance types outside the documented ones, and nothing else:
    assert drift.as_dict() == {"undocumented_value": {"maintenance_type": {  # last_updated_epoch is declared
        "count": sum(undocumented.values()), "values": dict(sorted(undocumented.items())), "other": 0}}}
    summary = [line for line in run.log.splitlines() if "contract drift" in line]
    assert len(summary) == 1 and summary[0].endswith(drift.summary().splitlines()[0])  # logged once, as it says


HARD_BREAKS = st.sampled_from([
    ("maintenance_cost", "n/a", "not_a_number"), ("log_date", "2024-02-30", "not_a_date"),
    ("downtime_hours", 2.5, "not_an_integer"), ("summarization_time_saved", 2**40, "out_of_int32_range"),
    ("failure_rate", float("inf"), "not_finite"), ("technician_id", ["TECH_000001"], "nested_value"),
    ("record_id", None, "required"), ("customer_id", True, "not_a_string"),
])
SOFT_BREAKS = st.sampled_from([  # (field, value, the soft rule it breaks)
    ("maintenance_type", "Emergency", "undocumented_value"), ("failure_rate", 1.5, "out_of_range"),
    ("maintenance_cost", -3.0, "negative"), ("equipment_id", "EQ-1", "id_shape"), ("new_field", 1, "extra_field"),
])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(["valid", "hard", "soft"]), min_size=1, max_size=12), data=st.data())
def test_generated_records_land_where_the_contract_says(monkeypatch, tmp_path_factory, kinds, data):
    records, expected = [], {"valid": [], "hard": {}, "soft": []}
    for index, kind in enumerate(kinds):
        record = generate_record(7, index)
        record["maintenance_type"], record["maintenance_status"] = "Corrective", "Completed"
        if kind == "hard":
            field, value, rule = data.draw(HARD_BREAKS)
            record[field] = value
            expected["hard"][json.dumps(record, sort_keys=True, default=str)] = rule
        elif kind == "soft":
            field, value, rule = data.draw(SOFT_BREAKS)
            record[field] = value
            expected["soft"].append((record["record_id"], rule, field))
        if kind != "hard":
            expected["valid"].append(record["record_id"])
        records.append(record)
    serve(monkeypatch, records)
    run = engine.run_sync(tmp_path_factory.mktemp("generated"), settings_for(), {})
    assert run.error is None
    loaded = {row[0] for row in run.query("SELECT record_id FROM tester.fts_records")} if expected["valid"] else set()
    assert loaded == set(expected["valid"])
    if expected["hard"]:
        rules = sorted(json.loads(reasons)[0]["rule"] for (reasons,) in run.query(
            "SELECT reasons FROM tester.fts_records_rejected"))
        assert rules == sorted(expected["hard"].values())
    assert all(record_id in loaded for record_id, _, _ in expected["soft"])
    assert drift_counts(run.progress.drift) == Counter((rule, field) for _, rule, field in expected["soft"])
