"""fts_connector.validation: pages through the contract, one wire frame and one validation per batch, a Verdict per
page (what each rule decides is in test_contract.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_contract import FAST, good

from contracts import FIELD_TYPES
from contracts.fts_record import ABSENT
from fts_connector.drift import Drift
from fts_connector.validation import Verdict, check_pages, check_records, wire_frame
from tools.fts_api import FtsApiServer


@given(st.lists(st.integers(0, 3), min_size=0, max_size=12))
@FAST
def test_received_is_always_valid_plus_rejected(kinds):
    items = [[good(), "x", good(downtime_hours=2.5), good(extra=1)][k] for k in kinds]
    verdict = check_records(items)
    assert verdict.received == len(items) == len(verdict.valid) + len(verdict.rejected)


def test_any_iterable_of_items_can_be_checked():
    verdict = check_records(good(record_id=str(i)) for i in range(3))
    assert verdict.received == 3 and len(verdict.valid) == 3
    assert check_records([]) == Verdict(valid=[], rejected=[], drift=Drift(), received=0)


def test_the_wire_frame_has_one_row_per_item_and_one_column_per_documented_field():
    frame = wire_frame([good(extra=1), "x"])
    assert list(frame.columns) == ["item", *FIELD_TYPES] and list(frame.index) == [0, 1]
    assert all(dtype == "object" for dtype in frame.dtypes) and frame.at[1, "item"] == "x"
    assert frame.at[1, "record_id"] is ABSENT and frame.at[0, "record_id"] == good()["record_id"]


def test_a_rule_that_cannot_run_is_an_error_not_a_rejection(monkeypatch):
    import contracts.fts_record

    def broken(text):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(contracts.fts_record, "iso_dates", broken)
    with pytest.raises(RuntimeError, match="could not run"):
        check_records([good()])


def test_check_pages_gives_each_page_the_verdict_check_records_would_give_it_drift_included():
    with FtsApiServer(records=40, bad_records=6) as api:
        records = [api.record(i) for i in range(40)]
    pages = [records[:15], [], ["not a record", *records[15:30]], records[30:]]
    batched = check_pages(pages)
    alone = [check_records(page) for page in pages]
    assert [v.received for v in batched] == [15, 0, 16, 10]
    assert [v.valid for v in batched] == [v.valid for v in alone]
    assert [v.rejected for v in batched] == [v.rejected for v in alone]
    assert [v.drift.as_dict() for v in batched] == [v.drift.as_dict() for v in alone]
    assert any(not v.drift.is_empty() for v in batched) and batched[1].drift.is_empty()  # not a vacuous check
