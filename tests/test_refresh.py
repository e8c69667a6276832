"""Full refreshes and delete detection end to end: the connector through the SDK engine against the reference API.

The schedule reads an injected clock (`fts_connector.refresh.utc_now`); nothing waits."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from support import API_KEY, configuration

from fts_connector import refresh
from tools.fts_api import Fault, FtsApiServer, edit_record, generate_record

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
MIDDLE, GONE = 375, 400  # the edited record and the deleted one: both in the middle of 750


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def at(self, hours: float) -> "Clock":
        self.now = T0 + timedelta(hours=hours)
        return self


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(refresh, "utc_now", clock)
    return clock


def record_id(offset: int) -> str:
    return generate_record(42, offset)["record_id"]


def live(run) -> int:
    return run.query("SELECT count(*) FROM tester.fts_records WHERE NOT _fivetran_deleted")[0][0]


def deleted_ids(run, table: str = "fts_records") -> list:
    return [row[0] for row in run.query(f"SELECT record_id FROM tester.{table} WHERE _fivetran_deleted ORDER BY 1")]


def status_of(run, offset: int):
    return run.query(f"SELECT maintenance_status, maintenance_cost, _fivetran_deleted FROM tester.fts_records "
                     f"WHERE record_id = '{record_id(offset)}'")[0]


def requests_since(api, before: int) -> list:
    return [request["cursor"] for request in api.requests[before:]]


def test_the_first_sync_is_a_completed_full_refresh_that_records_when_and_every_id(api, sync_runner, clock):
    run = sync_runner(configuration(api))
    assert run.state["full_refresh"] == {"last_completed_at": "2026-11-30T01:00:00+00:00"}
    ids = refresh.RecordIds(run.state["record_ids"])
    assert ids.known == sorted(api.served_ids()) and not ids.added and not any(ids.missed) and ids.seen is None
    assert (run.progress.refresh, run.progress.deleted) == ("full refresh completed", 0)
    assert api.requests[0]["cursor"] is None and api.request_count == 8  # from the first page to the last


def test_an_edit_and_a_delete_in_the_middle_reach_the_table_by_full_refreshes_only(api, sync_runner, clock):
    sync_runner(configuration(api))
    before = status_of(sync_runner(configuration(api)), MIDDLE)  # a tail sync right after: one request
    assert api.request_count == 9
    api.edit(MIDDLE)
    api.omit(GONE)
    api.append(50)
    edited = edit_record(generate_record(42, MIDDLE))

    clock.at(23)  # not due: reads the tail only
    tail = sync_runner(configuration(api))
    assert len(requests_since(api, 9)) == 1 and tail.counts["Deletes"] == 0
    assert status_of(tail, MIDDLE) == before and live(tail) == 800
    assert (tail.progress.refresh, tail.progress.deleted) == ("tail sync", 0)

    first = sync_runner(configuration(clock.at(25) and api))  # due: re-reads every page
    assert requests_since(api, 10)[0] is None and len(requests_since(api, 10)) == 8
    assert status_of(first, MIDDLE) == (edited["maintenance_status"], edited["maintenance_cost"], False)
    assert first.counts["Deletes"] == 0 and live(first) == 800  # missed once: not yet deleted
    assert (first.progress.refresh, first.progress.deleted) == ("full refresh completed", 0)

    second = sync_runner(configuration(clock.at(49) and api))
    assert len(requests_since(api, 18)) == 8 and second.counts["Deletes"] == 1
    assert deleted_ids(second) == [record_id(GONE)] and live(second) == 799
    assert second.query("SELECT count(*) FROM tester.fts_records")[0][0] == 800  # soft: the row stays, flagged
    assert (second.progress.refresh, second.progress.deleted) == ("full refresh completed", 1)
    assert refresh.RecordIds(second.state["record_ids"]).count == 799


def missed(run) -> list:
    ids = refresh.RecordIds(run.state["record_ids"])
    return [ids.known[i] for i, flag in enumerate(ids.missed) if flag]


def test_a_record_removed_behind_a_running_refresh_is_deleted_and_the_one_that_slid_past_is_not(sync_runner, clock):
    # record 150 is removed when page 5 is requested, after page 2 returned it: record 400 moves up from page 5 to
    # page 4, which was read already, so this refresh never returns it though the API still serves it
    removed, slides = 150, 400
    with FtsApiServer(records=750, api_key=API_KEY, omit_on_request={8 + 5: removed}) as api:
        sync_runner(configuration(api))
        running = sync_runner(configuration(clock.at(24) and api))
        assert missed(running) == [record_id(slides)] and running.counts["Deletes"] == 0 and live(running) == 750
        first_after = sync_runner(configuration(clock.at(48) and api))  # the first refresh that starts after it went
        assert missed(first_after) == [record_id(removed)] and first_after.counts["Deletes"] == 0
        second_after = sync_runner(configuration(clock.at(72) and api))
    assert deleted_ids(second_after) == [record_id(removed)] and live(second_after) == 749
    assert status_of(second_after, slides)[2] is False and missed(second_after) == []


@pytest.mark.parametrize("interruption", ["refused after the 4th page", "stopped early"])
def test_an_unfinished_refresh_deletes_nothing_and_the_next_sync_completes_it(sync_runner, clock, interruption):
    with FtsApiServer(records=750, api_key=API_KEY) as api:
        sync_runner(configuration(api))
        api.omit(GONE)
        sync_runner(configuration(clock.at(24) and api))  # GONE missed once
        clock.at(48)
        before = api.request_count
        if interruption == "stopped early":
            api.faults = [Fault("status", status=429, at=before + 5, retry_after=3600)]
        else:
            api.refuse_after = before + 4
        unfinished = sync_runner(configuration(api))
        assert (unfinished.error is None) == (interruption == "stopped early")
        assert deleted_ids(unfinished) == [] and live(unfinished) == 750
        assert unfinished.state["full_refresh"] == {"last_completed_at": "2026-12-01T01:00:00+00:00",
                                                    "started_at": "2026-12-02T01:00:00+00:00"}
        if interruption == "stopped early":
            assert unfinished.progress.stopped_early.startswith("the API asked to wait 3600 s")
            assert unfinished.progress.deleted == 0
            assert unfinished.progress.refresh == "full refresh not completed (the next sync continues it)"
        api.refuse_after, api.faults = None, []
        resumed_from = unfinished.state["next_cursor"]
        done = sync_runner(configuration(clock.at(48.5) and api))
        requested = requests_since(api, api.request_count - 4)
    assert requested[0] == resumed_from and len(requested) == 4  # pages 5 to 8
    assert deleted_ids(done) == [record_id(GONE)] and live(done) == 749
    assert done.state["full_refresh"] == {"last_completed_at": "2026-12-02T01:30:00+00:00"}


@pytest.mark.parametrize("hours, refreshes", [(23, False), (25, True)])
def test_the_schedule_refreshes_when_the_last_refresh_is_old_enough(api, sync_runner, clock, hours, refreshes):
    sync_runner(configuration(api))
    clock.at(hours)
    run = sync_runner(configuration(api))
    assert api.request_count - 8 == (8 if refreshes else 1)
    completed_at = T0 + timedelta(hours=hours) if refreshes else T0
    assert run.state["full_refresh"] == {"last_completed_at": completed_at.isoformat()}


def test_full_refresh_hours_0_makes_every_sync_a_full_refresh(api, sync_runner, clock):
    sync_runner(configuration(api, full_refresh_hours=0))
    sync_runner(configuration(api, full_refresh_hours=0))
    assert api.request_count == 16 and [r["cursor"] for r in api.requests].count(None) == 2


def test_a_deleted_record_the_api_serves_again_comes_back_to_life(api, sync_runner, clock):
    sync_runner(configuration(api))
    api.omit(GONE)
    sync_runner(configuration(clock.at(24) and api))
    gone = sync_runner(configuration(clock.at(48) and api))
    assert deleted_ids(gone) == [record_id(GONE)]
    api.restore(GONE)
    back = sync_runner(configuration(clock.at(72) and api))
    assert deleted_ids(back) == [] and live(back) == 750
    assert record_id(GONE) in refresh.RecordIds(back.state["record_ids"]).known


def test_switching_detect_deletes_on_late_deletes_only_what_it_saw_loaded(api, sync_runner, clock):
    sync_runner(configuration(api, detect_deletes="false"))
    api.omit(GONE)
    without = sync_runner(configuration(clock.at(1) and api, detect_deletes="false"))
    assert "record_ids" not in without.state
    baseline = sync_runner(configuration(clock.at(24) and api))  # the first refresh with it on: the baseline
    assert refresh.RecordIds(baseline.state["record_ids"]).count == 749 and baseline.counts["Deletes"] == 0
    api.omit(500)
    sync_runner(configuration(clock.at(48) and api))
    last = sync_runner(configuration(clock.at(72) and api))
    assert deleted_ids(last) == [record_id(500)]  # GONE went before tracking started: never known, never deleted
    assert status_of(last, GONE)[2] is False


def test_an_invalid_cursor_restart_during_a_refresh_restarts_the_refresh(api, sync_runner, clock):
    sync_runner(configuration(api))
    api.refuse_after = api.request_count + 4
    failed = sync_runner(configuration(clock.at(24) and api))
    assert failed.error is not None and "started_at" in failed.state["full_refresh"]
    api.refuse_after = None
    api.invalidate_cursors()
    before = api.request_count
    restarted = sync_runner(configuration(clock.at(25) and api))
    cursors = requests_since(api, before)
    assert cursors[0] == failed.state["next_cursor"] and cursors[1] is None and len(cursors) == 9
    assert "restarting from the first page as a full refresh" in restarted.log  # the operator's warning
    assert restarted.progress.refresh == "full refresh completed"
    assert restarted.state["full_refresh"] == {"last_completed_at": (T0 + timedelta(hours=25)).isoformat()}
    assert restarted.counts["Deletes"] == 0 and not any(refresh.RecordIds(restarted.state["record_ids"]).missed)


def test_beyond_the_bound_one_warning_per_sync_and_no_deletes(api, sync_runner, clock, monkeypatch):
    monkeypatch.setattr(refresh, "MAX_TRACKED_IDS", 500)
    first = sync_runner(configuration(api))
    api.omit(GONE)
    second = sync_runner(configuration(clock.at(24) and api))
    third = sync_runner(configuration(clock.at(48) and api))
    for run in (first, second, third):
        assert run.log.count("delete detection is skipped: the dataset holds more than 500 records") == 1
        assert "Set detect_deletes to false" in run.log and run.counts["Deletes"] == 0 and run.progress.deleted == 0
    assert third.state["record_ids"] == {"beyond_bound": True} and live(third) == 750
    tail = sync_runner(configuration(clock.at(49) and api))
    assert tail.log.count("delete detection is skipped") == 1


def test_a_quarantined_record_the_api_no_longer_serves_has_its_rejected_row_deleted(sync_runner, clock):
    with FtsApiServer(records=750, api_key=API_KEY, bad_records=18) as api:
        first = sync_runner(configuration(api))
        rejected = first.query("SELECT record_id FROM tester.fts_records_rejected WHERE record_id IS NOT NULL "
                               "ORDER BY record_id")
        bad = next(offset for offset in api.bad_offsets if api.record(offset).get("record_id"))
        gone = api.record(bad)["record_id"]
        api.omit(bad)
        sync_runner(configuration(clock.at(24) and api))
        second = sync_runner(configuration(clock.at(48) and api))
    assert deleted_ids(second, "fts_records_rejected") == [gone] and second.counts["Deletes"] == 2
    assert gone not in second.state["quarantined"] and len(second.state["quarantined"]) == len(rejected) - 1


def test_a_checkpoint_due_before_a_short_last_page_is_still_saved_when_strict_mode_stops_there(monkeypatch, tmp_path):
    from test_contract_sync import GOOD, serve, settings_for

    from tools import engine
    serve(monkeypatch, [generate_record(42, 1), generate_record(42, 2)], [{**GOOD, "log_date": "31/02/2024"}])
    run = engine.run_sync(tmp_path, settings_for(contract_mode="strict", checkpoint_every=2), {})
    assert "breaks the contract" in str(run.error) and run.cursors == [f"{1:032x}"]
    assert run.state["next_cursor"] == f"{1:032x}" and "started_at" in run.state["full_refresh"]
    assert run.query("SELECT count(*) FROM tester.fts_records") == [(2,)]


def test_a_cursor_restart_in_the_middle_of_a_refresh_starts_it_over_and_forgets_what_it_had_returned(sync_runner,
                                                                                                     clock):
    with FtsApiServer(records=750, api_key=API_KEY) as api:
        sync_runner(configuration(api))
        api.omit(GONE)
        api.faults = [Fault("status", status=400, at=8 + 5)]  # the API forgets the cursor of page 5
        run = sync_runner(configuration(clock.at(24) and api))
        cursors = requests_since(api, 8)
    assert run.error is None and len(cursors) == 4 + 1 + 8 and cursors[5] is None
    assert run.cursors[:4] == cursors[1:5]  # pages 1 to 4 of the first pass, saved before the restart
    assert run.cursors[4:] == cursors[6:]  # then the new pass's; its short last page folds into the final one
    assert "restarting from the first page as a full refresh" in run.log and run.counts["Deletes"] == 0
    assert (run.progress.refresh, run.progress.deleted) == ("full refresh completed", 0)
    assert run.state["full_refresh"] == {"last_completed_at": (T0 + timedelta(hours=24)).isoformat()}
    assert missed(run) == [record_id(GONE)]


def ids_bytes_per_record(run, records: int) -> float:
    """What the tracked ids added to the states of a sync's checkpoints, per record loaded."""
    return sum(len(json.dumps(state.get("record_ids", {}))) for state in run.checkpoints) / records


def test_with_many_tracked_ids_a_checkpoint_waits_for_a_tenth_of_them(sync_runner, clock):
    with FtsApiServer(records=1_500, api_key=API_KEY) as api:
        small = {"page_size": "20", "checkpoint_every": "20"}
        widened = sync_runner(configuration(api, **small))
        fixed = sync_runner(configuration(api, **small, detect_deletes="false"), {}, "fixed")
    assert len(fixed.checkpoints) == 75 and ids_bytes_per_record(fixed, 1_500) < 5
    assert len(widened.checkpoints) == 27 and ids_bytes_per_record(widened, 1_500) < 260  # every 20: 800 bytes
    saved = [0] + [refresh.RecordIds(state["record_ids"]).count for state in widened.checkpoints]
    gaps = [(after - before, before) for before, after in zip(saved, saved[1:], strict=False)][:-1]  # [-1]: the end
    assert all(gap >= max(20, before // 10) for gap, before in gaps)
    assert widened.state["record_ids"]["count"] == 1_500 and live(widened) == 1_500
