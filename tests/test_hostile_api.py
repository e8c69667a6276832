"""A hostile API (tests/hostile.py) against the whole sync, in the in-process engine: whatever it does, a green sync
means a right table, and a failure names its cause. (Issue 19; the worst cases also run through the real
`fivetran debug` in tests/test_hostile_cli.py.)"""

import gzip
import json

import pytest
from hostile import HostileApi, Reply, envelope, page, page_number, records, trickle
from support import API_KEY, configuration

from fts_connector import client, quarantine
from fts_connector.client import FtsApiError, FtsClient
from fts_connector.settings import ConfigurationError, load_settings


def serve(items):
    return HostileApi(lambda request: page(request, items))


def rejected(run) -> list:
    """(record_id, field, rule) of each reason in fts_records_rejected."""
    found = run.query("SELECT record_id, reasons FROM tester.fts_records_rejected ORDER BY record_id")
    return sorted((record_id, r["field"], r["rule"]) for record_id, reasons in found for r in json.loads(reasons))


# ---------------------------------------------------------------- 1. every value is stored as sent, or quarantined


def test_numbers_beyond_the_14_fields_keep_their_precision_and_what_no_column_holds_is_quarantined(sync_runner):
    items = records(750)
    for i, item in enumerate(items):
        item["gps_lat"] = 29.760431789 + i / 10**9  # a double the contract does not declare
    items[250]["last_updated_epoch"] = 2**70  # page 3: beyond 64 bits, in the declared LONG column
    items[260]["sensor_total"] = 2**64  # beyond 64 bits, in a field beyond the contract
    with serve(items) as api:
        run = sync_runner(configuration(api))
    assert run.error is None and run.query("SELECT count(*) FROM tester.fts_records") == [(748,)]
    assert run.column_types()["last_updated_epoch"] == "BIGINT" and run.column_types()["gps_lat"] == "DOUBLE"
    loaded = {row[0]: row[1:] for row in run.query(
        "SELECT record_id, last_updated_epoch, gps_lat FROM tester.fts_records")}
    sent = {item["record_id"]: (item["last_updated_epoch"], item["gps_lat"]) for item in items}
    assert all(loaded[record_id] == sent[record_id] for record_id in loaded)  # every epoch and double exact
    assert rejected(run) == sorted([(items[250]["record_id"], "last_updated_epoch", "out_of_int64_range"),
                                    (items[260]["record_id"], "sensor_total", "out_of_int64_range")])


# ---------------------------------------------------------------- 2. deletes need evidence


def truncating(items, truncated: dict):
    """The API, which ends its pagination after page 3 while truncated["on"] (has_more false, nothing after)."""
    def respond(request):
        if truncated["on"] and page_number(request) == 2:
            return envelope(items[200:300], None, False)
        return page(request, items)
    return HostileApi(respond)


def deleted(run) -> int:
    return run.query("SELECT count(*) FROM tester.fts_records WHERE _fivetran_deleted")[0][0]


def test_two_truncated_refreshes_delete_nothing_fail_loudly_and_say_how_to_apply_real_deletes(sync_runner):
    items, truncated = records(750), {"on": False}
    with truncating(items, truncated) as api:
        config = configuration(api, full_refresh_hours=0)
        assert sync_runner(config).error is None
        truncated["on"] = True
        once = sync_runner(config)  # 450 missed once: flagged, nothing deleted
        twice = sync_runner(config)  # 450 missed twice: beyond the bound
        assert once.error is None and deleted(once) == 0
        assert "did not return 450 of the 750 records it tracks (60%)" in str(twice.error)
        assert "max_delete_percent (10 %)" in str(twice.error) and "SYNC FAILED" in twice.log
        assert "set max_delete_percent to 100 for one sync" in str(twice.error)
        assert deleted(twice) == 0 and twice.state["full_refresh"] == {"last_completed_at": None}
        applied = sync_runner({**config, "max_delete_percent": "100"})  # the one action, if they really went
    assert applied.error is None and deleted(applied) == 450 and applied.counts["Deletes"] == 450


def test_after_withheld_deletes_an_api_that_serves_its_records_again_completes_by_itself(sync_runner):
    items, truncated = records(750), {"on": True}
    with truncating(items, truncated) as api:
        config = configuration(api, full_refresh_hours=0)
        sync_runner(config, state={})
        truncated["on"] = False
        sync_runner(config)
        truncated["on"] = True
        sync_runner(config)
        assert "max_delete_percent" in str(sync_runner(config).error)
        truncated["on"] = False
        healed = sync_runner(config)
    assert healed.error is None and deleted(healed) == 0 and healed.state["full_refresh"]["last_completed_at"]


def test_an_empty_dataset_twice_deletes_nothing(sync_runner):
    items, empty = records(300), {"on": False}
    with HostileApi(lambda request: envelope([], None, False) if empty["on"] else page(request, items)) as api:
        config = configuration(api, full_refresh_hours=0)
        sync_runner(config)
        empty["on"] = True
        first_empty = sync_runner(config)
        second_empty = sync_runner(config)
    assert first_empty.error is None and "the full refresh returned no records at all" in first_empty.log
    assert (first_empty.progress.records, first_empty.progress.refresh, first_empty.progress.deleted) == (
        0, "full refresh completed", 0)
    assert "returned no records at all: deleting them is beyond max_delete_percent" in str(second_empty.error)
    assert deleted(second_empty) == 0


def test_a_single_real_delete_still_lands_after_two_completed_refreshes(sync_runner):
    items = records(750)
    with HostileApi(lambda request: page(request, items)) as api:
        config = configuration(api, full_refresh_hours=0)
        sync_runner(config)
        gone = items.pop(400)
        sync_runner(config)
        run = sync_runner(config)
    assert run.error is None and run.counts["Deletes"] == 1
    assert run.query(f"SELECT _fivetran_deleted FROM tester.fts_records WHERE record_id = '{gone['record_id']}'") == [
        (True,)]


@pytest.mark.parametrize("next_cursor", [None, ""])
def test_has_more_without_a_cursor_is_an_envelope_error_never_a_last_page(sync_runner, next_cursor):
    items = records(750)

    def respond(request):
        reply = page(request, items)
        return envelope(items[200:300], next_cursor, True) if page_number(request) == 2 else reply

    with HostileApi(respond) as api:
        run = sync_runner(configuration(api))
    assert "returned has_more true without a next cursor" in str(run.error)
    assert run.state["full_refresh"]["started_at"] and run.counts is None  # the refresh did not complete


def test_a_last_page_with_an_empty_next_cursor_completes_the_sync(sync_runner):
    items = records(250)

    def respond(request):
        reply = page(request, items)
        return envelope(items[200:], "", False) if page_number(request) == 2 else reply

    with HostileApi(respond) as api:
        run = sync_runner(configuration(api))
    assert run.error is None and run.counts["Upserts"] == 250 and run.state["next_cursor"] == "p2"


# ---------------------------------------------------------------- 3. nothing secret is ever printed

ODD_KEY = 'k3y/with "quotes" & spaces'  # its JSON-escaped and URL-encoded forms differ from it


def echoing(where: str):
    """Replies that echo the key (as the request sent it in x-api-key) in `where`."""
    def respond(request):
        key = request.headers.get("x-api-key", "")
        if where == "401 body":
            return Reply(401, json.dumps({"error": f"API key '{key}' is not valid"}).encode())
        if where == "400 body with the request headers":
            headers = {"x-api-key": key, **request.headers}
            return Reply(400, json.dumps({"error": "bad request", "headers": headers}).encode())
        if where == "a key cut in two where the message quotes the body":
            return Reply(401, (" " * 190 + key).encode())
        if where == "500 body, retried until the retries run out":
            return Reply(500, f"upstream refused {key}".encode())
        if where == "the Content-Type of a body that is not JSON":
            return Reply(200, b"<html>busy</html>", {"Content-Type": f"text/html; key={key}"})
        if where == "the envelope's keys":
            return Reply(200, json.dumps({key: [], "has_more": False}).encode())
        if where == "next_cursor":
            return envelope(records(3), key, True)
        if where == "a record":
            return envelope([{**records(1)[0], "maintenance_type": f"type {key}"}], None, False)
        if where == "a URL-encoded echo":
            from urllib.parse import quote
            return Reply(404, f"no route /fts_data?api_key={quote(key, safe='')}".encode())
        raise AssertionError(where)
    return respond


@pytest.mark.parametrize("where, said", [
    ("401 body", "HTTP 401 ({\"error\": \"API key '***' is not valid\"})"),
    ("400 body with the request headers", '"x-api-key": "***"'),
    ("a key cut in two where the message quotes the body", "HTTP 401 (***)"),
    ("500 body, retried until the retries run out", "HTTP 500 (upstream refused ***)"),
    ("the Content-Type of a body that is not JSON", "(text/html; key=***: '<html>busy</html>')"),
    ("the envelope's keys", "returned a page that holds the API key"),
    ("a URL-encoded echo", "api_key=***"),
    ("next_cursor", "returned a page that holds the API key"),
    ("a record", "returned a page that holds the API key"),
])
def test_a_key_the_api_echoes_back_is_never_printed_saved_or_loaded(sync_runner, where, said):
    with HostileApi(echoing(where)) as api:
        run = sync_runner({**configuration(api), "api_key": ODD_KEY})  # sync_runner: the key is not in the log
    message = str(run.error)
    assert said in message and ODD_KEY not in message and json.dumps(ODD_KEY)[1:-1] not in message
    assert ODD_KEY[:8] not in message and ODD_KEY not in json.dumps(run.state)
    assert run.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'fts_records'") == [(0,)]


def test_a_key_an_http_header_cannot_carry_is_refused_without_showing_it():
    with pytest.raises(ConfigurationError, match="a character an HTTP header cannot carry") as raised:
        load_settings({"api_key": "k€y\nX-Injected: 1"})
    assert "k€y" not in str(raised.value)


def test_a_base_url_with_a_password_is_refused_without_showing_it():
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"api_key": API_KEY, "base_url": "http://user:s3cret@127.0.0.1:1"})
    assert "must not hold a user name or password" in str(raised.value) and "s3cret" not in str(raised.value)


# ---------------------------------------------------------------- 4. and 5. every response and request is bounded


def gzip_bomb(inflated: int) -> bytes:
    """A gzip body that inflates to `inflated` bytes of zeros (a thousand times its size)."""
    return gzip.compress(b"\0" * inflated, compresslevel=9)


def fetch_first(respond, **settings):
    with HostileApi(respond) as api, FtsClient(load_settings(
            {"api_key": API_KEY, "base_url": api.base_url, **settings})) as fts:
        return fts.fetch_page(None)


@pytest.mark.parametrize("reply, said", [
    (Reply(200, gzip_bomb(client.MAX_BODY_BYTES + 1), {"Content-Type": "application/json",
                                                        "Content-Encoding": "gzip"}),
     f"sent more than {client.MAX_BODY_BYTES:,} bytes (decoded) in one body"),
    (Reply(200, iter([b" " * 2**20] * 17)),  # streamed, no Content-Length
     f"sent more than {client.MAX_BODY_BYTES:,} bytes (decoded) in one body"),
    (Reply(200, b"{}", {"Content-Length": str(200 * 2**20)}), "announced a body of 209,715,200 bytes"),
])
def test_a_body_beyond_the_limit_fails_naming_its_size_and_the_limit(reply, said):
    with pytest.raises(FtsApiError) as raised:
        fetch_first(lambda request: reply)
    assert said in str(raised.value) and "beyond the connector's limit of 16,777,216 bytes" in str(raised.value)
    assert "Lower page_size" in str(raised.value)


def test_a_gzip_bomb_inflates_a_chunk_at_a_time(monkeypatch):
    """A body of 16 kB that would inflate to 16 MB never holds more than the limit plus a chunk in memory."""
    import tracemalloc
    bomb = Reply(200, gzip_bomb(64 * 2**20), {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(FtsApiError, match="beyond the connector's limit"):
            fetch_first(lambda request: bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * client.MAX_BODY_BYTES  # the limit, a copy, and a chunk; not the 64 MB it inflates to


def test_a_trickled_body_ends_at_request_timeout_seconds_and_is_retried_then_fails(monkeypatch):
    monkeypatch.setattr(client, "MAX_RETRIES", 1)
    body = json.dumps({"fts_records": records(2), "next_cursor": None, "has_more": False}).encode()  # 1,300 bytes
    with pytest.raises(FtsApiError) as raised:  # a byte each 20 ms: 26 s each unless cut off
        fetch_first(lambda request: Reply(200, trickle(body, 0.02)), request_timeout_seconds="0.5")
    assert "still failed after 1 retries: no complete answer within request_timeout_seconds (0.5 s)" in str(
        raised.value)


def test_trickled_headers_end_at_request_timeout_seconds_too(monkeypatch):
    monkeypatch.setattr(client, "MAX_RETRIES", 0)
    response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"x" * 1000 + b"\r\n\r\n{}"
    with pytest.raises(FtsApiError, match=r"no complete answer within request_timeout_seconds \(0.5 s\)"):
        fetch_first(lambda request: Reply(body=trickle(response, 0.02), raw=True), request_timeout_seconds="0.5")


def test_fresh_cursors_over_the_same_records_stop_as_a_pagination_loop(sync_runner):
    items = records(100)
    with HostileApi(lambda request: envelope(items, f"p{request.number}", True)) as api:
        run = sync_runner(configuration(api))
        requests_made = len(api.requests)
    assert "20 pages in a row" in str(run.error) and "with no record this sync had not had" in str(run.error)
    assert requests_made == 21 and "SYNC FAILED" in run.log


# ---------------------------------------------------------------- 6. a damaged state is named


@pytest.mark.parametrize("state, member", [
    ({"next_cursor": 5}, "next_cursor"),
    ({"next_cursor": "p1", "full_refresh": 3}, "full_refresh"),
    ({"full_refresh": {"last_completed_at": "2024-01-01T00:00:00"}}, "full_refresh.last_completed_at"),
    ({"full_refresh": {"last_completed_at": "yesterday"}}, "full_refresh.last_completed_at"),
    ({"full_refresh": {"last_completed_at": None, "started_at": 17}}, "full_refresh.started_at"),
    ({"quarantined": ["a"]}, "quarantined"),
    ({"quarantined": {"a": 1}}, "quarantined"),
])
def test_a_damaged_state_fails_before_the_first_request_naming_the_member_and_the_reset(sync_runner, state, member):
    with serve(records(10)) as api:
        run = sync_runner(configuration(api), state=state)
        requests_made = len(api.requests)
    assert f"the saved state's {member} is damaged" in str(run.error)
    assert "fivetran reset" in str(run.error) and requests_made == 0


def test_a_damaged_id_list_is_dropped_with_a_warning_and_deletes_nothing(sync_runner):
    items = records(750)
    with serve(items) as api:
        config = configuration(api, full_refresh_hours=0)
        first = sync_runner(config)
        known = first.state["record_ids"]["known"]
        damaged = {**first.state, "record_ids": {**first.state["record_ids"],
                                                 "known": known[:100] + "!!" + known[102:]}}
        del items[300:]
        run = sync_runner(config, state=damaged)
        again = sync_runner(config)
    assert "the saved state's record_ids is damaged" in run.log and "delete detection starts over" in run.log
    assert run.error is None and again.error is None and deleted(again) == 0
    assert (run.progress.refresh, run.progress.deleted, again.progress.deleted) == ("full refresh completed", 0, 0)


# ---------------------------------------------------------------- 7. the smaller ones


def test_a_wrong_content_encoding_is_named():
    with pytest.raises(FtsApiError, match="could not be decoded as its Content-Encoding says"):
        fetch_first(lambda request: Reply(200, b'{"fts_records": []}', {"Content-Encoding": "gzip"}))


def test_a_same_origin_redirect_loop_is_named_without_retries(no_real_waits):
    loop = Reply(302, b"", {"Location": "/fts_data?page_size=100"})
    with pytest.raises(FtsApiError, match=r"redirected more than 10 times within base_url's origin \(a redirect loop"):
        fetch_first(lambda request: loop)
    assert no_real_waits == []


@pytest.mark.parametrize("base_url", ["http://localhost:99999", "http://localhost:0", "http://localhost:port"])
def test_a_port_out_of_range_is_refused(base_url):
    with pytest.raises(ConfigurationError, match="with a port from 1 to 65535"):
        load_settings({"api_key": API_KEY, "base_url": base_url})


def test_a_503_without_retry_after_is_reported_as_the_backoff_not_as_the_apis_request(sync_runner):
    with HostileApi(lambda request: Reply(503, b"busy")) as api:
        run = sync_runner(configuration(api, max_wait_seconds=2))
    stopped = run.progress.stopped_early
    assert run.error is None and stopped.startswith("after HTTP 503 (busy), the next retry would wait")
    assert "asked to wait" not in stopped and "asked to wait" not in run.log  # nor anywhere the operator reads


def test_record_ids_that_differ_only_in_case_or_spaces_are_a_drift_finding(sync_runner):
    items = records(3)
    items[1]["record_id"] = items[0]["record_id"].upper()
    items[2]["record_id"] = f" {items[0]['record_id']}"
    with serve(items) as api:
        run = sync_runner(configuration(api))
    assert run.error is None and run.progress.drift.as_dict()["id_shape"]["record_id"] == {
        "count": 2, "values": {items[1]["record_id"]: 1, items[2]["record_id"]: 1}, "other": 0}


def test_the_quarantine_in_the_state_is_bounded(sync_runner, monkeypatch):
    monkeypatch.setattr(quarantine, "MAX_QUARANTINED", 5)
    items = records(20)
    for item in items:
        item["log_date"] = "31/02/2024"
    with serve(items) as api:
        run = sync_runner(configuration(api))
    assert run.error is None and len(run.state["quarantined"]) == 5
    assert "more than 5 records are quarantined, the most the state tracks" in run.log and run.progress.rejected == 20
    assert run.query("SELECT count(*) FROM tester.fts_records_rejected") == [(20,)]
