"""The sync loop end to end: the connector through the SDK engine against the reference FTS API."""

import contextlib
import threading
from unittest.mock import ANY

import pytest
from support import API_KEY, completed, configuration, refreshing

from fts_connector.client import FtsApiError, Page
from fts_connector.sync import BATCH_RECORDS, BYTES_AHEAD, RECORDS_AHEAD, Prefetch, batches
from tools.fts_api import Fault, FtsApiServer

DECLARED_TYPES = {
    "record_id": "VARCHAR", "log_date": "DATE", "technician_id": "VARCHAR", "log_description": "VARCHAR",
    "equipment_id": "VARCHAR", "maintenance_type": "VARCHAR", "maintenance_status": "VARCHAR",
    "erp_order_id": "VARCHAR", "customer_id": "VARCHAR", "summarized_log": "VARCHAR", "failure_rate": "DOUBLE",
    "maintenance_cost": "DOUBLE", "downtime_hours": "INTEGER", "summarization_time_saved": "INTEGER",
}


def request_cursors(api) -> list:
    return [request["cursor"] for request in api.requests]


def rows(run) -> list:
    """The table's content without Fivetran's own columns, in key order."""
    return run.query(
        "SELECT * EXCLUDE (_fivetran_synced, _fivetran_deleted) FROM tester.fts_records ORDER BY record_id")


def test_full_sync_of_750_records_makes_8_requests_750_upserts_7_checkpoints(api, sync_runner):
    run = sync_runner(configuration(api))
    assert run.error is None
    assert run.counts["Upserts"] == 750 and run.counts["Checkpoints"] == 7
    cursors = request_cursors(api)
    assert len(cursors) == 8 and cursors[0] is None
    assert run.cursors == cursors[1:]  # each checkpoint saves the cursor of the next page to fetch
    assert run.state == completed(cursors[7])  # the last page's own cursor; the first sync is a full refresh
    assert run.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records") == [(750, 750)]


def test_declared_columns_get_their_types_and_extra_fields_reach_the_table(api, sync_runner):
    run = sync_runner(configuration(api))
    types = run.column_types()
    assert {name: types[name] for name in DECLARED_TYPES} == DECLARED_TYPES
    assert types["last_updated_epoch"] == "BIGINT"
    assert run.query("SELECT count(*) FROM tester.fts_records WHERE last_updated_epoch IS NULL") == [(0,)]


def test_800_records_checkpoint_8_times_and_keep_the_last_pages_cursor(sync_runner):
    with FtsApiServer(records=800, api_key=API_KEY) as api:
        run = sync_runner(configuration(api))
        cursors = request_cursors(api)
    assert run.counts["Checkpoints"] == 8 and run.counts["Upserts"] == 800
    assert run.cursors == cursors[1:] + [cursors[7]]
    assert run.state == completed(cursors[7])


def test_page_size_200_checkpoints_after_every_page(api, sync_runner):
    run = sync_runner(configuration(api, page_size=200))
    cursors = request_cursors(api)
    assert len(cursors) == 4 and run.counts["Upserts"] == 750
    assert run.cursors == cursors[1:] + [cursors[3]]
    assert api.requests[0]["page_size"] == 200


def test_a_tail_shorter_than_checkpoint_every_is_checkpointed_at_the_end(api, sync_runner):
    run = sync_runner(configuration(api, checkpoint_every=200))
    cursors = request_cursors(api)
    assert run.counts["Checkpoints"] == 4  # after 200, 400 and 600 records, then the last 150 at the end
    assert run.cursors == [cursors[2], cursors[4], cursors[6], cursors[7]]
    assert run.state == completed(cursors[7])


def test_checkpoint_every_above_the_data_still_saves_the_final_cursor(api, sync_runner):
    run = sync_runner(configuration(api, checkpoint_every=1000))
    assert run.counts["Checkpoints"] == 1 and run.progress.checkpoints == 1  # the SDK's and the connector's count
    assert run.state == completed(request_cursors(api)[7])


def test_second_sync_after_50_appended_records_makes_one_request_and_holds_800_rows(api, sync_runner):
    first = sync_runner(configuration(api))
    api.append(50)
    second = sync_runner(configuration(api))
    assert second.error is None and api.request_count == 9
    assert api.requests[8]["cursor"] == first.state["next_cursor"]
    assert second.counts["Upserts"] == 100  # the re-read tail page: 50 known records and 50 new ones
    assert second.state == {**first.state, "record_ids": second.state["record_ids"]}  # 50 more ids tracked
    assert second.state["record_ids"]["count"] == 800
    assert second.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records") == [(800, 800)]


def test_a_sync_with_nothing_new_rereads_only_the_tail(api, sync_runner):
    first = sync_runner(configuration(api))
    again = sync_runner(configuration(api))
    assert api.request_count == 9 and again.counts["Upserts"] == 50 and again.state == first.state
    assert again.counts["Checkpoints"] == 1  # the tail's 50 records are below the cadence: saved once at the end
    assert again.progress.checkpoints == 1 and again.progress.refresh == "tail sync"


def test_interrupted_sync_resumed_from_its_checkpoint_equals_an_uninterrupted_one(api, sync_runner):
    uninterrupted = sync_runner(configuration(api), project="uninterrupted")
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=401, at=5)]) as flaky:
        interrupted = sync_runner(configuration(flaky), project="resumed")
        assert interrupted.error is not None
        assert interrupted.state == refreshing(request_cursors(flaky)[4])
        assert interrupted.query("SELECT count(*) FROM tester.fts_records") == [(400,)]
        resumed = sync_runner(configuration(flaky), project="resumed")
        assert resumed.error is None and request_cursors(flaky)[5] == interrupted.state["next_cursor"]
    assert resumed.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records") == [(750, 750)]
    assert rows(resumed) == rows(uninterrupted)


def test_resume_from_a_given_mid_sync_state_fetches_only_the_rest(api, sync_runner):
    full = sync_runner(configuration(api), project="full")
    resumed = sync_runner(configuration(api), state={"next_cursor": full.cursors[2]}, project="partial")
    assert api.requests[8]["cursor"] == full.cursors[2] and api.request_count == 8 + 5
    assert resumed.counts["Upserts"] == 450  # a state without full_refresh continues; the next sync refreshes
    assert resumed.state == {"next_cursor": full.state["next_cursor"], "full_refresh": {"last_completed_at": None},
                             "record_ids": ANY}


def test_a_small_dataset_on_one_page_keeps_no_cursor(sync_runner):
    with FtsApiServer(records=30, api_key=API_KEY) as api:
        run = sync_runner(configuration(api))
    assert run.error is None and run.counts["Upserts"] == 30 and run.counts["Checkpoints"] == 1
    assert run.state == completed(None)  # the first page was fetched without a cursor: the next sync re-reads it


def test_per_page_log_lines_and_closing_summary(api, sync_runner):
    run = sync_runner(configuration(api))
    progress = run.progress
    assert (progress.records, progress.rejected, progress.pages, progress.checkpoints, progress.retries) == (
        750, 0, 8, 7, 0)
    assert "page 8: 50 records (750 total, 0 rejected), cursor " in run.log
    assert "sync complete: 750 records loaded, 0 rejected, 8 pages, 7 checkpoints, 0 retries" in run.log
    assert "sync complete: " + progress.summary() in run.log  # the closing line says what sync() returns


@pytest.mark.parametrize("fault, message", [
    (Fault("repeat_cursor", at=3), "a second time in this sync"),
    (Fault("empty_same_cursor", at=3), "empty page with has_more true and the same cursor"),
])
def test_loop_guards_stop_the_sync_at_the_last_checkpoint(sync_runner, fault, message):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[fault]) as api:
        run = sync_runner(configuration(api))
        assert api.request_count == 3
    assert message in str(run.error) and "SYNC FAILED" in run.log
    assert run.state == refreshing(run.cursors[-1]) and len(run.cursors) == 2


@pytest.mark.parametrize("settings, parameter", [
    ({"page_size": "500"}, "page_size must be an integer from 1 to 200; got '500'"),
    ({"api_key": ""}, "api_key is required"),
    ({"base_url": "http://example.com"}, "base_url must be an https:// URL"),
])
def test_configuration_errors_fail_before_any_request(api, sync_runner, settings, parameter):
    run = sync_runner({**configuration(api), **settings})
    assert parameter in str(run.error) and "SYNC FAILED" in run.log
    assert api.request_count == 0 and run.query(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'fts_records'") == [(0,)]


def test_401_fails_loudly_naming_the_key_setting_and_keeps_the_last_checkpoint(sync_runner):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=401, at=3)]) as api:
        run = sync_runner(configuration(api))
        cursors = request_cursors(api)
    message = str(run.error)
    assert "GET /fts_data" in message and "HTTP 401" in message and "Check api_key" in message
    assert run.state == refreshing(cursors[2]) and run.counts is None
    assert run.query("SELECT count(*) FROM tester.fts_records") == [(200,)]


def test_invalid_saved_cursor_with_on_invalid_cursor_fail_says_to_reset(api, sync_runner):
    run = sync_runner(configuration(api, on_invalid_cursor="fail"), state={"next_cursor": "0" * 32})
    assert "HTTP 400" in str(run.error) and "no longer valid. Reset the connector" in str(run.error)
    assert run.state == {"next_cursor": "0" * 32} and api.request_count == 1


def test_exhausted_retries_fail_at_the_checkpoint_before_the_failing_page(sync_runner, no_real_waits):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=503, at=4, times=9)]) as api:
        run = sync_runner(configuration(api))
        cursors = request_cursors(api)
    assert "HTTP 503" in str(run.error) and "after 8 retries" in str(run.error)
    assert len(no_real_waits) == 8 and run.state == refreshing(cursors[3])


@pytest.mark.parametrize("fault", [Fault("status", status=429, at=2, retry_after=7), Fault("status", status=503, at=5)])
def test_a_transient_status_is_retried_and_the_sync_completes(sync_runner, no_real_waits, fault):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[fault]) as api:
        run = sync_runner(configuration(api))
        assert api.request_count == 9
    assert run.error is None and run.counts["Upserts"] == 750 and len(no_real_waits) == 1
    assert run.progress.retries == 1
    if fault.retry_after:
        assert no_real_waits == [7.0]


@pytest.mark.parametrize("kind, message", [
    ("html", "the body is not JSON"),
    ("malformed_json", "the body is not JSON"),
    ("no_records_key", "missing or wrong 'fts_records' (a list)"),
])
def test_a_200_that_is_not_the_envelope_fails_naming_what_is_wrong(sync_runner, kind, message):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault(kind, at=2)]) as api:
        run = sync_runner(configuration(api))
        second_page = api.requests[1]["cursor"]
    assert message in str(run.error) and run.state == refreshing(second_page)


class HundredRecordPages:
    """A stand-in for FtsClient serving `pages` pages of 100 records (`size` bytes each); with `answers` given, each
    request waits for one (`answer(n)` gives n); notes what the prefetch held in checked pages at each request."""

    def __init__(self, pages: int, size: int = 50_000, answers: int | None = None):
        self.pages, self.size, self.requests = pages, size, 0
        self.prefetch = None
        self.most_held_records = self.most_held_bytes = 0
        self.answers = None if answers is None else threading.Semaphore(answers)
        self.reached = {}  # request count -> Event set when it is made

    def fetch_page(self, cursor):
        number = int(cursor or 0)
        self.requests += 1
        if self.prefetch is not None:
            self.most_held_records = max(self.most_held_records, self.prefetch.held_records)
            self.most_held_bytes = max(self.most_held_bytes, self.prefetch.held_bytes)
        self.reached.setdefault(self.requests, threading.Event()).set()
        if self.answers is not None:
            assert self.answers.acquire(timeout=30)
        more = number + 1 < self.pages
        records = [{"record_id": f"{number}-{i}"} for i in range(100)]
        return Page(cursor, records, str(number + 1) if more else None, self.size)

    def answer(self, requests: int) -> None:
        self.answers.release(requests)

    def made(self, requests: int) -> bool:
        return self.reached.setdefault(requests, threading.Event()).wait(timeout=30)

    @contextlib.contextmanager
    def cancelling(self):
        yield


def prefetching(client) -> Prefetch:
    client.prefetch = Prefetch(client, None)
    return client.prefetch


def cursors(batches) -> list:
    return [page.cursor for batch in batches for page in batch]


def test_the_loader_gets_the_first_page_while_the_next_one_is_still_being_fetched():
    client = HundredRecordPages(pages=120, answers=1)  # the API answers the first request only, for now
    with contextlib.closing(prefetching(client)) as batches:
        first = next(batches)  # no whole batch of 40 pages is waited for
        assert cursors([first]) == [None] and client.made(2)  # and the second request waits for its answer
        client.answer(119)
        rest = list(batches)
    assert cursors([first, *rest]) == [None, *map(str, range(1, 120))]  # in order, each once
    assert all(sum(len(page.records) for page in batch) <= BATCH_RECORDS for batch in rest)


def test_a_loader_that_falls_behind_takes_every_page_fetched_so_far_as_one_batch():
    client = HundredRecordPages(pages=30)
    with contextlib.closing(prefetching(client)) as batches:
        assert client.made(30)  # the loader was busy while all 30 were requested: 29 pages at least are in
        taken = list(batches)
    assert cursors(taken) == [None, *map(str, range(1, 30))] and len(taken) <= 2


def test_while_the_loader_is_busy_the_thread_fetches_ahead_up_to_the_records_it_may_hold():
    client = HundredRecordPages(pages=500)
    batches = prefetching(client)
    taken = len(next(batches))  # the loader takes what came and does not come back
    assert client.made(taken + RECORDS_AHEAD // 100)  # it fetches ahead up to the bound...
    batches.close()
    assert client.requests <= taken + RECORDS_AHEAD // 100 + 1  # ...and no further
    assert client.most_held_records < RECORDS_AHEAD  # it waited for room before every request
    assert "fts-prefetch" not in [thread.name for thread in threading.enumerate()]


def test_big_pages_are_held_up_to_bytes_ahead():
    client = HundredRecordPages(pages=500, size=BYTES_AHEAD // 4)
    batches = prefetching(client)
    taken = len(next(batches))
    assert client.made(taken + 4)
    batches.close()
    assert client.requests <= taken + 5 and client.most_held_bytes < BYTES_AHEAD


def test_an_error_reaches_the_loader_after_the_pages_fetched_before_it():
    client = HundredRecordPages(pages=10)
    fetch = client.fetch_page
    client.fetch_page = lambda cursor: (_ for _ in ()).throw(FtsApiError("gone")) if cursor == "5" else fetch(cursor)
    taken = []
    with contextlib.closing(prefetching(client)) as batches, pytest.raises(FtsApiError, match="gone"):
        for batch in batches:
            taken.extend(page.cursor for page in batch)
    assert taken == [None, "1", "2", "3", "4"]


def test_without_prefetch_pages_come_in_batches_of_at_most_batch_records_and_before_an_error():
    pages = [Page(str(n) if n else None, [{}] * 150, str(n + 1), 1) for n in range(60)]
    sized = list(batches(pages))
    assert [len(batch) for batch in sized] == [26, 26, 8] and cursors(sized) == [page.cursor for page in pages]

    def failing():
        yield from pages[:5]
        raise FtsApiError("gone")

    taken = []
    with pytest.raises(FtsApiError, match="gone"):
        for batch in batches(failing()):
            taken.extend(page.cursor for page in batch)
    assert taken == [None, "1", "2", "3", "4"]
