"""The data contract (contracts/) alone: hard rules reject, coercions are lossless, soft rules load and are counted."""

import collections
import datetime
import decimal
import json
import math
import re

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import drift_count

from contracts import COERCIONS, FIELD_TYPES, FtsRecord
from contracts.fts_record import DOCUMENTED, good_field_name
from fts_connector.quarantine import Rejection, canonical_json, json_safe
from fts_connector.schema import REJECTED_TABLE_COLUMNS
from fts_connector.validation import Verdict, check_records
from tools.contract_rules import rules_markdown
from tools.table_contract import validate_table

FAST = settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

HARD = ["not_an_object", "required", "nested_value", "not_a_string", "not_a_date", "not_a_number", "not_finite",
        "not_an_integer", "out_of_int32_range", "out_of_int64_range"]
SOFT = ["undocumented_value", "out_of_range", "negative", "id_shape", "extra_field", "missing_field"]
NEW_HARD = ["bad_field_name", "not_unicode"]  # issue 12: records the warehouse cannot take as they are
OPTIONAL = [f for f in DOCUMENTED if f != "record_id"]
# field names beyond the 14 that load as sent (not "", not RECORD_ID, ...: those now break bad_field_name)
EXTRA_NAMES = st.text().filter(lambda k: k not in FIELD_TYPES and good_field_name(k))


def good(**changes) -> dict:
    """A record inside the contract, with `changes` applied (a value of ... removes the field)."""
    record = {
        "record_id": "0b7f0c9e-3c1e-4d57-9a57-4f6a1f0b7a11",
        "log_date": "2023-06-14",
        "technician_id": "TECH_000123",
        "log_description": "Replaced seal on EQUIP_000042: leak. Outcome: fixed.",
        "equipment_id": "EQUIP_000042",
        "maintenance_type": "Predictive",
        "maintenance_status": "Completed",
        "erp_order_id": "ORDER_004711",
        "customer_id": "CUST_000815",
        "summarized_log": "Replaced seal; fixed.",
        "failure_rate": 0.0342,
        "maintenance_cost": 1234.5,
        "downtime_hours": 4,
        "summarization_time_saved": 12,
        "last_updated_epoch": 1_704_067_260,
    }
    for name, value in changes.items():
        if value is ...:
            record.pop(name, None)
        else:
            record[name] = value
    return record


def only_reasons(verdict: Verdict) -> list:
    assert len(verdict.rejected) == 1 and verdict.valid == []
    return list(verdict.rejected[0].reasons)


# ------------------------------------------------------------------------------------------------ the declarations


def test_field_types_are_the_14_documented_fields_in_order_and_the_live_apis_epoch_with_fivetran_types():
    assert list(FIELD_TYPES) == [
        "record_id", "log_date", "technician_id", "log_description", "equipment_id", "maintenance_type",
        "maintenance_status", "erp_order_id", "customer_id", "summarized_log", "failure_rate", "maintenance_cost",
        "downtime_hours", "summarization_time_saved", "last_updated_epoch"]
    assert FIELD_TYPES["log_date"] == "NAIVE_DATE" and FIELD_TYPES["last_updated_epoch"] == "LONG"
    assert tuple(FIELD_TYPES)[:14] == DOCUMENTED
    assert {FIELD_TYPES[f] for f in ("failure_rate", "maintenance_cost")} == {"DOUBLE"}
    assert {FIELD_TYPES[f] for f in ("downtime_hours", "summarization_time_saved")} == {"INT"}
    assert sum(t == "STRING" for t in FIELD_TYPES.values()) == 9  # the brief says "the other 10": 14 - 5 = 9


def test_every_rule_is_a_named_pandera_check_with_a_meaning_in_one_listing():
    from tools.contract_rules import hard_rules, soft_rules

    on_the_item = ["not_an_object", "bad_field_name", "not_unicode", "out_of_int64_range", "not_finite"]
    assert list(hard_rules()) == on_the_item + [rule for rule in HARD[1:] if rule not in on_the_item]
    assert sorted(soft_rules()) == sorted(SOFT)
    for check in (c for column in FtsRecord.to_schema().columns.values() for c in column.checks):
        assert isinstance(check, pa.Check) and check.name in hard_rules() and check.description
    table = rules_markdown()
    assert all(f"`{name}`" in table for name in [*hard_rules(), *SOFT])
    assert COERCIONS[("INT", "string")] and COERCIONS[("DOUBLE", "integer")]


def test_rejected_table_columns():
    assert REJECTED_TABLE_COLUMNS == {"rejection_key": "STRING", "record_id": "STRING", "reasons": "JSON",
                                      "raw_record": "STRING", "rejected_at": "UTC_DATETIME"}


# ------------------------------------------------------------------------------------------------ valid records


def test_a_record_inside_the_contract_loads_as_sent_and_finds_no_drift():
    record = good()
    verdict = check_records([record])
    assert verdict.valid == [good()] and verdict.rejected == [] and verdict.drift.is_empty()
    assert verdict.received == 1


def test_boundary_values_are_inside_the_contract():
    record = good(failure_rate=0.0, maintenance_cost=0.0, downtime_hours=2**31 - 1, summarization_time_saved=-(2**31),
                  log_date="2024-02-29")
    verdict = check_records([record, good(failure_rate=1.0, log_date="0001-01-01"), good(log_date="9999-12-31")])
    assert verdict.rejected == [] and len(verdict.valid) == 3
    assert verdict.drift.as_dict() == {"negative": {"summarization_time_saved": {"count": 1}}}


@pytest.mark.parametrize("name", OPTIONAL)
def test_optional_fields_may_be_null_and_load_as_null(name):
    verdict = check_records([good(**{name: None})])
    assert verdict.valid[0][name] is None and verdict.drift.is_empty()


@pytest.mark.parametrize("name", OPTIONAL)
def test_optional_fields_may_be_missing_and_are_counted_as_missing(name):
    verdict = check_records([good(**{name: ...})])
    assert name not in verdict.valid[0] and verdict.rejected == []
    assert verdict.drift.as_dict() == {"missing_field": {name: {"count": 1}}}


def test_fields_beyond_the_contract_pass_through_unchanged_and_are_counted():
    extra = {"nested": [1, {"a": None}]}
    record = good(vendor_note=extra, site="North")
    verdict = check_records([record, good(site="South")])
    assert verdict.valid[0]["vendor_note"] is extra and verdict.valid[1]["site"] == "South"
    assert verdict.drift.as_dict() == {"extra_field": {"vendor_note": {"count": 1}, "site": {"count": 2}}}


def test_last_updated_epoch_is_declared_as_a_64_bit_integer_and_may_be_missing_without_a_finding():
    verdict = check_records([good(last_updated_epoch=2**63 - 1), good(last_updated_epoch="1704067260"),
                             good(last_updated_epoch=1704067260.0), good(last_updated_epoch=...)])
    assert [r.get("last_updated_epoch") for r in verdict.valid] == [2**63 - 1, 1704067260, 1704067260, None]
    assert verdict.rejected == [] and verdict.drift.is_empty()


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**70, "9223372036854775808", 1e19])
def test_last_updated_epoch_beyond_64_bits_is_quarantined_naming_the_field(value):
    assert only_reasons(check_records([good(last_updated_epoch=value)])) == [
        {"field": "last_updated_epoch", "rule": "out_of_int64_range", "value": json_safe(value)}]


def test_a_double_beyond_the_contract_loads_as_text_the_destination_types_as_a_64_bit_double():
    verdict = check_records([good(gps_lat=29.760431789, scale=1e20, count=3, flag=True, note="1.50")])
    assert verdict.valid[0] | {} == good(gps_lat="29.760431789", scale="1.0e+20", count=3, flag=True, note="1.50")


@pytest.mark.parametrize("value, rule", [(2**64, "out_of_int64_range"), (-(2**70), "out_of_int64_range"),
                                         (math.nan, "not_finite"), (math.inf, "not_finite")])
def test_a_value_beyond_the_contract_that_no_column_holds_exactly_is_quarantined_naming_the_field(value, rule):
    assert only_reasons(check_records([good(sensor_total=value)])) == [
        {"field": "sensor_total", "rule": rule, "value": json_safe(value)}]


def test_valid_records_keep_input_order_and_the_input_is_not_modified():
    records = [good(record_id=f"r{i}", downtime_hours=str(i)) for i in range(5)]
    records.insert(2, "junk")
    snapshot = json.dumps(records)
    verdict = check_records(records)
    assert [r["record_id"] for r in verdict.valid] == ["r0", "r1", "r2", "r3", "r4"]
    assert [r["downtime_hours"] for r in verdict.valid] == [0, 1, 2, 3, 4]
    assert json.dumps(records) == snapshot


# ------------------------------------------------------------------------------------------------ coercions

COERCION_CASES = [
    ("downtime_hours", "4", 4),
    ("downtime_hours", " -4 ", -4),
    ("downtime_hours", "4.0", 4),
    ("downtime_hours", 4.0, 4),
    ("summarization_time_saved", np.int64(7), 7),
    ("failure_rate", 1, 1.0),
    ("failure_rate", "0.25", 0.25),
    ("failure_rate", np.float64(0.5), 0.5),
    ("maintenance_cost", "12.5", 12.5),
    ("maintenance_cost", " 1e3 ", 1000.0),
    ("maintenance_cost", 10**20, 1e20),
    ("log_date", " 2024-01-05\n", "2024-01-05"),
    ("log_description", 12.5, "12.5"),
    ("summarized_log", 10**30, str(10**30)),
    ("maintenance_status", 3, "3"),
]


@pytest.mark.parametrize(("name", "sent", "loaded"), COERCION_CASES)
def test_lossless_coercions_are_applied(name, sent, loaded):
    verdict = check_records([good(**{name: sent})])
    assert verdict.rejected == []
    value = verdict.valid[0][name]
    assert value == loaded and type(value) is type(loaded)


# ------------------------------------------------------------------------------------------------ hard rules

HARD_CASES = [
    ("record_id", ..., "required"),
    ("record_id", None, "required"),
    ("record_id", "", "required"),
    ("record_id", 42, "not_a_string"),
    ("record_id", True, "not_a_string"),
    ("record_id", {"id": "x"}, "nested_value"),
    ("log_date", "31/02/2024", "not_a_date"),
    ("log_date", "2023-02-29", "not_a_date"),
    ("log_date", "2024-1-5", "not_a_date"),
    ("log_date", "2024-01-05T00:00:00", "not_a_date"),
    ("log_date", "0000-01-01", "not_a_date"),
    ("log_date", "２０２４-01-05", "not_a_date"),
    ("log_date", 20240105, "not_a_date"),
    ("log_date", False, "not_a_date"),
    ("maintenance_cost", "n/a", "not_a_number"),
    ("maintenance_cost", True, "not_a_number"),
    ("maintenance_cost", "NaN", "not_a_number"),
    ("maintenance_cost", "1_000", "not_a_number"),
    ("failure_rate", "high", "not_a_number"),
    ("failure_rate", float("nan"), "not_finite"),
    ("failure_rate", float("inf"), "not_finite"),
    ("maintenance_cost", float("-inf"), "not_finite"),
    ("maintenance_cost", "1e999", "not_finite"),
    ("maintenance_cost", 10**400, "not_finite"),
    ("downtime_hours", 2.5, "not_an_integer"),
    ("downtime_hours", "x", "not_an_integer"),
    ("downtime_hours", "2.5", "not_an_integer"),
    ("downtime_hours", "1e3", "not_an_integer"),
    ("downtime_hours", float("nan"), "not_an_integer"),
    ("summarization_time_saved", True, "not_an_integer"),
    ("downtime_hours", 2**31, "out_of_int32_range"),
    ("downtime_hours", -(2**31) - 1, "out_of_int32_range"),
    ("downtime_hours", 1e10, "out_of_int32_range"),
    ("summarization_time_saved", "3000000000", "out_of_int32_range"),
    ("summarization_time_saved", 10**400, "out_of_int32_range"),
    ("technician_id", True, "not_a_string"),
    ("log_description", float("nan"), "not_a_string"),
    ("summarized_log", b"bytes", "not_a_string"),
    ("equipment_id", [1, 2], "nested_value"),
    ("customer_id", {"a": 1}, "nested_value"),
    ("downtime_hours", [4], "nested_value"),
    ("failure_rate", {}, "nested_value"),
]


@pytest.mark.parametrize(("name", "value", "rule"), HARD_CASES)
def test_each_hard_rule_rejects_with_its_field_and_rule(name, value, rule):
    record = good(**{name: value})
    verdict = check_records([record])
    expected_value = None if value is ... else json_safe(value)
    assert only_reasons(verdict) == [{"field": name, "rule": rule, "value": expected_value}]
    rejection = verdict.rejected[0]
    assert isinstance(rejection, Rejection) and rejection.raw == canonical_json(record)
    assert rejection.record_id == (record["record_id"] if name != "record_id" else None)
    json.dumps(rejection.row("2024-01-01T00:00:00Z"), allow_nan=False)  # strict JSON, even for NaN values


@pytest.mark.parametrize("item", ["a string", 7, 2.5, None, True, [good()], ("t",)])
def test_an_item_that_is_not_a_json_object_is_rejected(item):
    verdict = check_records([item, good()])
    assert len(verdict.valid) == 1 and len(verdict.rejected) == 1
    rejection = verdict.rejected[0]
    assert rejection.reasons == ({"field": None, "rule": "not_an_object", "value": json_safe(item)},)
    assert rejection.record_id is None and rejection.raw == canonical_json(item)


def test_every_broken_rule_is_reported_once_in_documented_field_order():
    record = good(downtime_hours="x", record_id=5, failure_rate=float("nan"), log_date="2024-13-01",
                  customer_id=[1], maintenance_cost="n/a", extra={"a": 1})
    reasons = only_reasons(check_records([record]))
    assert [(r["field"], r["rule"]) for r in reasons] == [
        ("record_id", "not_a_string"), ("log_date", "not_a_date"), ("customer_id", "nested_value"),
        ("failure_rate", "not_finite"), ("maintenance_cost", "not_a_number"), ("downtime_hours", "not_an_integer")]
    assert reasons[3]["value"] == "NaN"


def test_an_integer_beyond_a_double_and_numeric_text_in_one_batch_are_each_judged():
    # was: "a contract rule could not run" (the overflow fallback took abs() of the text): the whole sync failed
    verdict = check_records([good(maintenance_cost=10**400), good(maintenance_cost="12.5"),
                             good(downtime_hours=10**400), good(downtime_hours="4")])
    assert [r.reasons[0]["rule"] for r in verdict.rejected] == ["not_finite", "out_of_int32_range"]
    assert [(r["maintenance_cost"], r["downtime_hours"]) for r in verdict.valid] == [(12.5, 4), (1234.5, 4)]


def test_soft_findings_of_rejected_records_are_not_counted():
    verdict = check_records([good(downtime_hours=2.5, maintenance_type="Preventive", extra=1, customer_id=...)])
    assert len(verdict.rejected) == 1 and verdict.drift.is_empty()


# ------------------------------------------------------------------------------------------------ soft rules

SOFT_CASES = [
    ({"maintenance_type": "Preventive"}, "undocumented_value", "maintenance_type", {"Preventive": 1}),
    ({"maintenance_status": "On Hold"}, "undocumented_value", "maintenance_status", {"On Hold": 1}),
    ({"maintenance_type": 7}, "undocumented_value", "maintenance_type", {"7": 1}),
    ({"failure_rate": 1.5}, "out_of_range", "failure_rate", None),
    ({"failure_rate": "-0.1"}, "out_of_range", "failure_rate", None),
    ({"maintenance_cost": -0.01}, "negative", "maintenance_cost", None),
    ({"downtime_hours": -2}, "negative", "downtime_hours", None),
    ({"summarization_time_saved": "-1"}, "negative", "summarization_time_saved", None),
    ({"technician_id": "TECH-123"}, "id_shape", "technician_id", {"TECH-123": 1}),
    ({"equipment_id": "EQUIP_42"}, "id_shape", "equipment_id", {"EQUIP_42": 1}),
    ({"erp_order_id": "CUST_000001"}, "id_shape", "erp_order_id", {"CUST_000001": 1}),
    ({"customer_id": 815}, "id_shape", "customer_id", {"815": 1}),
    ({"site": "North"}, "extra_field", "site", None),
    ({"record_id": "0B7F0C9E-3C1E-4D57-9A57-4F6A1F0B7A11"}, "id_shape", "record_id",
     {"0B7F0C9E-3C1E-4D57-9A57-4F6A1F0B7A11": 1}),
    ({"summarized_log": ...}, "missing_field", "summarized_log", None),
]


@pytest.mark.parametrize(("changes", "rule", "name", "values"), SOFT_CASES)
def test_each_soft_rule_loads_the_record_and_counts_it(changes, rule, name, values):
    verdict = check_records([good(**changes)])
    assert verdict.rejected == [] and len(verdict.valid) == 1
    entry = {"count": 1} if values is None else {"count": 1, "values": values, "other": 0}
    assert verdict.drift.as_dict() == {rule: {name: entry}}


# ------------------------------------------------------------------------------------------------ validate_table


def _table(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "record_id": ["a", "b", "c"],
        "log_date": pd.Series(np.array(["2023-06-14", "NaT", "0001-01-01"], dtype="datetime64[us]")),  # pandas 2 too
        "technician_id": ["TECH_000001", None, "TECH-9"],
        "log_description": ["x", "y", None],
        "equipment_id": ["EQUIP_000001"] * 3,
        "maintenance_type": ["Predictive", "Preventive", None],
        "maintenance_status": ["Completed"] * 3,
        "erp_order_id": ["ORDER_000001"] * 3,
        "customer_id": ["CUST_000001"] * 3,
        "summarized_log": ["s"] * 3,
        "failure_rate": [0.5, float("nan"), 1.5],
        "maintenance_cost": [10.0, None, -1.0],
        "downtime_hours": pd.array([4, None, -3], dtype="Int32"),
        "summarization_time_saved": pd.array([1, 2, 3], dtype="Int32"),
        "last_updated_epoch": [1, 2, 3],
        "_fivetran_synced": pd.to_datetime(["2024-01-01T00:00:00Z"] * 3),
        "_fivetran_deleted": [False] * 3,
    })
    for name, value in changes.items():
        if value is ...:
            del frame[name]
        else:
            frame[name] = value
    return frame


def test_validate_table_accepts_a_well_typed_table_with_soft_findings_and_extra_columns():
    validate_table(_table())
    validate_table(_table(log_date=[datetime.date(2024, 1, 1), None, datetime.date(2024, 2, 29)],
                          downtime_hours=[4.0, float("nan"), 0.0], summarized_log=...))
    validate_table(_table().iloc[0:0])


@pytest.mark.parametrize(("changes", "rule"), [
    ({"record_id": ["a", None, "c"]}, "required"),
    ({"record_id": ...}, "required"),
    ({"downtime_hours": [4.0, 2.5, 1.0]}, "not_an_integer"),
    ({"downtime_hours": [4, 2**40, 1]}, "out_of_int32_range"),
    ({"maintenance_cost": [1.0, float("inf"), 2.0]}, "not_finite"),
    ({"log_date": pd.to_datetime(["2023-06-14 10:30", None, None])}, "not_a_date"),
    ({"log_date": ["2023-06-14", "14/06/2023", None]}, "not_a_date"),
    ({"technician_id": ["TECH_000001", True, None]}, "not_a_string"),
])
def test_validate_table_raises_schema_errors_for_a_broken_hard_rule(changes, rule):
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        validate_table(_table(**changes))
    assert {error.check.name for error in raised.value.schema_errors} == {rule}


# ------------------------------------------------------------------------------------------------ property-based

DATE_TEXT = st.dates().map(datetime.date.isoformat)
INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
PAD = st.sampled_from(["", " ", "\t", "\n "])


def _padded(text_strategy):
    return st.tuples(PAD, text_strategy, PAD).map("".join)


# (sent, loaded) pairs inside the contract, per field type
LOADABLE = {
    "STRING": st.one_of(
        st.text().map(lambda s: (s, s)),
        st.integers().map(lambda i: (i, str(i))),
        FINITE.map(lambda x: (x, repr(x))),
    ),
    "NAIVE_DATE": st.one_of(DATE_TEXT.map(lambda d: (d, d)), st.tuples(PAD, DATE_TEXT, PAD).map(
        lambda t: ("".join(t), t[1]))),
    "DOUBLE": st.one_of(
        FINITE.map(lambda x: (x, x)),
        st.integers(-(2**53), 2**53).map(lambda i: (i, float(i))),
        FINITE.map(lambda x: (repr(x), x)).filter(lambda p: "e" not in p[0] or re.search(r"e[+-]?\d+$", p[0])),
    ),
    "INT": st.one_of(
        INT32.map(lambda i: (i, i)),
        INT32.map(lambda i: (float(i), i)),
        st.tuples(PAD, INT32, st.sampled_from(["", ".0", ".000"]), PAD).map(
            lambda t: (f"{t[0]}{t[1]}{t[2]}{t[3]}", t[1])),
    ),
    "LONG": st.one_of(
        INT64.map(lambda i: (i, i)),
        INT32.map(lambda i: (float(i), i)),
        st.tuples(PAD, INT64, st.sampled_from(["", ".0"]), PAD).map(lambda t: (f"{t[0]}{t[1]}{t[2]}{t[3]}", t[1])),
    ),
}


@st.composite
def loadable_records(draw):
    """(sent record, loaded record): any field may be null or missing (but record_id), extra fields may ride along."""
    sent, loaded = {"record_id": draw(st.text(min_size=1))}, {}
    loaded["record_id"] = sent["record_id"]
    for name in [*OPTIONAL, "last_updated_epoch"]:
        choice = draw(st.sampled_from(["value", "value", "value", "null", "missing"]))
        if choice == "null":
            sent[name] = loaded[name] = None
        elif choice == "value":
            sent[name], loaded[name] = draw(LOADABLE[FIELD_TYPES[name]])
    for key, value in draw(st.dictionaries(EXTRA_NAMES, INT64, max_size=2)).items():
        sent[key] = loaded[key] = value
    return sent, loaded


@given(st.lists(loadable_records(), min_size=1, max_size=8))
@FAST
def test_records_inside_the_contract_always_load_as_their_coerced_selves(pairs):
    verdict = check_records([sent for sent, _ in pairs])
    assert verdict.rejected == []
    assert verdict.valid == [loaded for _, loaded in pairs]
    for record, (_, loaded) in zip(verdict.valid, pairs, strict=True):
        for name, value in loaded.items():
            assert type(record[name]) is type(value)


def _not_plain(chars):
    """Text holding at least one character that cannot appear in a number spelled with `chars`."""
    return st.text(min_size=1).filter(lambda s: any(c not in chars and not c.isspace() for c in s))


def _not_an_iso_date(text):
    stripped = text.strip()
    if len(stripped) != 10 or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", stripped):
        return True
    try:
        datetime.date.fromisoformat(stripped)
    except ValueError:
        return True
    return False


STRING_FIELDS = [f for f, t in FIELD_TYPES.items() if t == "STRING"]
DOUBLE_FIELDS = ["failure_rate", "maintenance_cost"]
INT_FIELDS = ["downtime_hours", "summarization_time_saved"]
JSON_SCALARS = st.none() | st.booleans() | st.integers() | FINITE | st.text()
EXTRA_SCALARS = st.none() | st.booleans() | INT64 | FINITE | st.text()  # what a field beyond the contract loads as
NESTED = st.one_of(st.lists(JSON_SCALARS, max_size=3), st.dictionaries(st.text(), JSON_SCALARS, max_size=3))
BEYOND_INT32 = st.one_of(st.integers(max_value=-(2**31) - 1), st.integers(min_value=2**31))

# rule -> strategy of (field, bad value)
BREAKS = {
    "required": st.tuples(st.just("record_id"), st.sampled_from([..., None, ""])),
    "not_a_string": st.one_of(
        st.tuples(st.just("record_id"), st.one_of(st.integers(), FINITE, st.booleans())),
        st.tuples(st.sampled_from(STRING_FIELDS[1:]), st.one_of(st.booleans(), st.sampled_from(
            [float("nan"), float("inf"), -float("inf")])))),
    "nested_value": st.tuples(st.sampled_from(list(FIELD_TYPES)), NESTED),
    "not_a_date": st.tuples(st.just("log_date"), st.one_of(
        st.text().filter(_not_an_iso_date), st.integers(), FINITE, st.booleans(),
        DATE_TEXT.map(lambda d: d + "T00:00:00"))),
    "not_a_number": st.tuples(st.sampled_from(DOUBLE_FIELDS), st.one_of(st.booleans(), _not_plain("0123456789+-.eE"))),
    "not_finite": st.tuples(st.sampled_from(DOUBLE_FIELDS), st.one_of(
        st.sampled_from([float("nan"), float("inf"), -float("inf"), "1e400", "-9e999"]),
        st.integers(min_value=2**1024))),
    "not_an_integer": st.tuples(st.sampled_from(INT_FIELDS), st.one_of(
        st.booleans(), _not_plain("0123456789+-."), FINITE.filter(lambda x: not x.is_integer()),
        st.sampled_from([float("nan"), float("inf")]))),
    "out_of_int32_range": st.tuples(st.sampled_from(INT_FIELDS), st.one_of(
        BEYOND_INT32, BEYOND_INT32.map(str), st.sampled_from([2.0**31, -(2.0**31) - 1, 1e300]))),
    "out_of_int64_range": st.tuples(st.sampled_from(["last_updated_epoch", "sensor_total"]), st.one_of(
        st.integers(max_value=-(2**63) - 1), st.integers(min_value=2**63))),
}


@pytest.mark.parametrize("rule", list(BREAKS))
def test_records_breaking_a_hard_rule_are_rejected_with_that_reason(rule):
    @given(pairs=loadable_records(), broken=BREAKS[rule])
    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    def run(pairs, broken):
        record = dict(pairs[0])
        name, value = broken
        if value is ...:
            record.pop(name, None)
        else:
            record[name] = value
        verdict = check_records([good(), record])
        assert len(verdict.valid) == 1 and len(verdict.rejected) == 1
        reasons = verdict.rejected[0].reasons
        assert {"field": name, "rule": rule, "value": None if value is ... else json_safe(value)} in reasons
        assert [r["field"] for r in reasons] == [name]  # the other fields were loadable

    run()


SOFT_BREAKS = {
    "undocumented_value": st.tuples(st.sampled_from(["maintenance_type", "maintenance_status"]), st.text().filter(
        lambda s: s not in {"Predictive", "Corrective", "Condition-Based", "Completed", "Delayed", "In Progress",
                            "Cancelled"})),
    "out_of_range": st.tuples(st.just("failure_rate"), st.one_of(
        st.floats(min_value=1, exclude_min=True, allow_infinity=False),
        st.floats(max_value=0, exclude_max=True, allow_infinity=False))),
    "negative": st.tuples(st.sampled_from(["maintenance_cost", *INT_FIELDS]), st.integers(-(2**31), -1)),
    "id_shape": st.one_of(
        st.tuples(st.sampled_from(["technician_id", "equipment_id", "erp_order_id", "customer_id"]),
                  st.text().filter(lambda s: not re.fullmatch(r"(TECH|EQUIP|ORDER|CUST)_[0-9]{6}", s))),
        st.tuples(st.just("record_id"), st.sampled_from(["0B7F0C9E-3C1E-4D57-9A57-4F6A1F0B7A11", "r-1",
                                                         " 0b7f0c9e-3c1e-4d57-9a57-4f6a1f0b7a11"]))),
    "extra_field": st.tuples(EXTRA_NAMES, EXTRA_SCALARS | NESTED),
    "missing_field": st.tuples(st.sampled_from(OPTIONAL), st.just(...)),
}


@given(data=st.data())
@FAST
def test_records_breaking_a_soft_rule_load_and_are_counted(data):
    rule = data.draw(st.sampled_from(list(SOFT_BREAKS)))
    name, value = data.draw(SOFT_BREAKS[rule])
    verdict = check_records([good(**{name: value})])
    assert verdict.rejected == [] and len(verdict.valid) == 1
    assert drift_count(verdict.drift, rule, name) == 1
    assert sum(drift_count(verdict.drift, r) for r in SOFT) == 1


JSON = st.recursive(JSON_SCALARS | st.floats(), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5), inner, max_size=4), max_leaves=12)
ITEMS = st.one_of(JSON, st.dictionaries(st.sampled_from(list(FIELD_TYPES)) | st.text(max_size=3), JSON, max_size=16))


@given(st.lists(ITEMS, max_size=10))
@FAST
def test_any_input_is_split_into_loadable_and_rejected_records_without_error(items):
    verdict = check_records(items)
    assert verdict.received == len(items) == len(verdict.valid) + len(verdict.rejected)
    for record in verdict.valid:
        assert isinstance(record, dict) and isinstance(record["record_id"], str) and record["record_id"]
        for name, ftype in FIELD_TYPES.items():
            value = record.get(name)
            assert value is None or type(value) is {"STRING": str, "NAIVE_DATE": str, "DOUBLE": float,
                                                    "INT": int}[ftype]
            if ftype == "DOUBLE" and value is not None:
                assert math.isfinite(value)
    for rejection in verdict.rejected:
        assert rejection.reasons and all(r["rule"] in [*HARD, *NEW_HARD] for r in rejection.reasons)
        json.dumps(rejection.row("now"), allow_nan=False)
    assert [r.key for r in check_records(items).rejected] == [r.key for r in verdict.rejected]


class Text(str):
    pass


def test_python_values_beyond_json_are_classified_by_what_they_are():
    record = collections.OrderedDict(good(log_description=Text("sub"), log_date=Text("2024-01-05"), extra={1, 2}))
    verdict = check_records([record, good(maintenance_cost=decimal.Decimal("1.5")), good(summarized_log={"x"}),
                             good(log_description=object())])
    assert verdict.valid == [{**good(log_description="sub", log_date="2024-01-05"), "extra": {1, 2}}]
    assert type(verdict.valid[0]["log_description"]) is str
    assert [r.reasons[0]["rule"] for r in verdict.rejected] == ["not_a_number", "nested_value", "not_a_string"]


def test_an_extra_key_that_is_not_text_is_quarantined_naming_it():
    # changed: `1` and `"1"` were both loaded as column "1" (one overwrote the other); now the record is quarantined
    verdict = check_records([{**good(), 1: "a", "1": "b"}])
    assert verdict.valid == [] and verdict.rejected[0].reasons == (
        {"field": "1", "rule": "bad_field_name", "value": "a"},)


def test_the_contract_is_enforced_even_when_pandera_validation_is_switched_off():
    from pandera.config import ValidationDepth, config_context

    for off in ({"validation_enabled": False}, {"validation_depth": ValidationDepth.SCHEMA_ONLY}):
        with config_context(**off):
            assert len(check_records([good(downtime_hours=2.5)]).rejected) == 1
            with pytest.raises(pa.errors.SchemaErrors):
                validate_table(_table(record_id=["a", None, "c"]))


def test_the_documented_rules_table_is_the_one_the_models_generate():
    from pathlib import Path

    assert rules_markdown() in (Path(__file__).resolve().parent.parent / "docs" / "contract.md").read_text()
