"""Tests for the reference FTS API server (tools/fts_api.py)."""

import concurrent.futures
import os
import re
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tools.fts_api import (
    BAD_VALUE_CASES,
    MISSING,
    RECORD_FIELDS,
    REQUEST_LOG_LIMIT,
    Fault,
    FtsApiServer,
    generate_record,
)

KEY = "test-key"
REPO_ROOT = Path(__file__).resolve().parent.parent
HEX32 = re.compile(r"[0-9a-f]{32}")


def fetch(api, cursor=None, page_size=None, headers=None, session=requests, timeout=5.0):
    params = {name: value for name, value in (("cursor", cursor), ("page_size", page_size)) if value is not None}
    headers = {"x-api-key": KEY} if headers is None else headers
    return session.get(f"{api.base_url}/fts_data", params=params, headers=headers, timeout=timeout)


def walk(api, page_size):
    """Follow next_cursor from the first page to the last; returns the list of page bodies."""
    pages, cursor = [], None
    with requests.Session() as session:
        while True:
            response = fetch(api, cursor, page_size, session=session)
            assert response.status_code == 200, response.text
            page = response.json()
            pages.append(page)
            if not page["has_more"]:
                return pages
            cursor = page["next_cursor"]


def assert_page_chain(pages):
    for page in pages[:-1]:
        assert page["has_more"] is True
        assert HEX32.fullmatch(page["next_cursor"])
    assert pages[-1]["has_more"] is False
    assert pages[-1]["next_cursor"] is None


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize(("records", "page_size"), [(23, 1), (750, 100), (750, 200), (400, 200), (0, 100)])
def test_pagination_returns_every_record_exactly_once(records, page_size):
    with FtsApiServer(records=records, api_key=KEY) as api:
        pages = walk(api, page_size)
        served = [record for page in pages for record in page["fts_records"]]
        assert served == [api.record(i) for i in range(records)]
    assert len({record["record_id"] for record in served}) == records
    assert all(len(page["fts_records"]) == page_size for page in pages[:-1])
    assert_page_chain(pages)
    assert len(pages) == max(1, -(-records // page_size))  # no trailing empty page when it ends exactly


def test_750_records_in_pages_of_100_is_8_pages():
    with FtsApiServer(records=750, api_key=KEY) as api:
        pages = walk(api, 100)
    assert [len(page["fts_records"]) for page in pages] == [100] * 7 + [50]


def test_default_page_size_is_100():
    with FtsApiServer(records=150, api_key=KEY) as api:
        assert len(fetch(api).json()["fts_records"]) == 100


def test_same_seed_gives_identical_bodies_across_servers():
    def first_two_pages(seed):
        with FtsApiServer(records=300, api_key=KEY, seed=seed) as api:
            first = fetch(api, page_size=150)
            second = fetch(api, first.json()["next_cursor"], 150)
            return first.content, second.content

    assert first_two_pages(42) == first_two_pages(42)
    assert first_two_pages(42) != first_two_pages(7)


def test_cursor_survives_restart_with_same_seed():
    with FtsApiServer(records=50, api_key=KEY) as first:
        cursor = fetch(first, page_size=20).json()["next_cursor"]
    with FtsApiServer(records=50, api_key=KEY) as second:
        page = fetch(second, cursor, 20).json()
        assert page["fts_records"] == [second.record(i) for i in range(20, 40)]


def test_cursor_stays_valid_after_append_and_next_page_includes_new_records():
    with FtsApiServer(records=10, api_key=KEY) as api:
        cursor = fetch(api, page_size=5).json()["next_cursor"]
        assert api.append(7) == 17
        page = fetch(api, cursor, 10).json()
        assert page["fts_records"] == [api.record(i) for i in range(5, 15)]
        assert page["has_more"] is True
        last = fetch(api, page["next_cursor"], 10).json()
        assert last["fts_records"] == [api.record(15), api.record(16)]
        assert (last["has_more"], last["next_cursor"]) == (False, None)


def test_cursor_at_the_end_gives_an_empty_last_page_until_records_are_appended():
    with FtsApiServer(records=10, api_key=KEY) as api:
        end_cursor = api.cursor_for(10)
        assert fetch(api, end_cursor).json() == {"fts_records": [], "next_cursor": None, "has_more": False}
        api.append(3)
        assert fetch(api, end_cursor).json()["fts_records"] == [api.record(i) for i in range(10, 13)]


def test_invalidated_cursor_is_rejected():
    with FtsApiServer(records=30, api_key=KEY) as api:
        cursor = fetch(api, page_size=10).json()["next_cursor"]
        api.invalidate_cursors()
        response = fetch(api, cursor, 10)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid cursor"
        fresh = fetch(api, page_size=10).json()["next_cursor"]
        assert fresh != cursor
        assert fetch(api, fresh, 10).status_code == 200


def test_cursor_epoch_option_rejects_cursors_of_other_epochs():
    with FtsApiServer(records=30, api_key=KEY) as api:
        cursor = fetch(api, page_size=10).json()["next_cursor"]
    with FtsApiServer(records=30, api_key=KEY, cursor_epoch=1) as api:
        assert fetch(api, cursor, 10).status_code == 400


@pytest.mark.parametrize("make_cursor", [
    lambda api: "not-a-cursor",
    lambda api: "0" * 32,
    lambda api: api.cursor_for(5).upper(),
    lambda api: api.cursor_for(5)[:-1] + ("0" if api.cursor_for(5)[-1] != "0" else "1"),
    lambda api: api.cursor_for(api.record_count + 1),
])
def test_bad_cursors_are_rejected(make_cursor):
    with FtsApiServer(records=20, api_key=KEY) as api:
        response = fetch(api, make_cursor(api))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid cursor"
    assert body["detail"]


# --------------------------------------------------------------------------- auth, validation, routes


@pytest.mark.parametrize("headers", [
    {"api_key": KEY},
    {"x-api-key": KEY},
    {"api_key": "wrong", "x-api-key": KEY},
    {"api_key": KEY, "x-api-key": "wrong"},
])
def test_either_key_header_is_accepted(headers):
    with FtsApiServer(records=5, api_key=KEY) as api:
        assert fetch(api, headers=headers).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "wrong"}, {"api_key": ""}, {"Authorization": f"Bearer {KEY}"}])
def test_missing_or_wrong_key_is_401(headers):
    with FtsApiServer(records=5, api_key=KEY) as api:
        response = fetch(api, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}


@pytest.mark.parametrize("page_size", ["0", "201", "abc", "", "-1", "1.5"])
def test_invalid_page_size_is_400(page_size):
    with FtsApiServer(records=5, api_key=KEY) as api:
        response = fetch(api, page_size=page_size)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid page_size"


def test_unknown_path_is_404():
    with FtsApiServer(records=5, api_key=KEY) as api:
        response = requests.get(f"{api.base_url}/fts_records", headers={"x-api-key": KEY}, timeout=5)
    assert response.status_code == 404


def test_spec_endpoint_describes_fts_data_without_a_key():
    with FtsApiServer(records=5, api_key=KEY) as api:
        response = requests.get(f"{api.base_url}/fts_api_spec", timeout=5)
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.0")
    operation = spec["paths"]["/fts_data"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"cursor", "page_size"}
    assert {"200", "400", "401", "429"} <= set(operation["responses"])
    schemes = spec["components"]["securitySchemes"].values()
    assert {(s["type"], s["in"], s["name"]) for s in schemes} == {("apiKey", "header", "api_key"),
                                                                  ("apiKey", "header", "x-api-key")}
    properties = spec["components"]["schemas"]["FtsRecord"]["properties"]
    assert set(properties) == set(RECORD_FIELDS) | {"last_updated_epoch"}


def test_records_have_the_documented_shape():
    records = [generate_record(42, i) for i in range(2000)]
    for record in records[:200]:
        assert list(record) == [*RECORD_FIELDS, "last_updated_epoch"]
        assert uuid.UUID(record["record_id"]).version == 4
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["log_date"])
        for name, prefix in (("technician_id", "TECH"), ("equipment_id", "EQUIP"), ("erp_order_id", "ORDER"),
                             ("customer_id", "CUST")):
            assert re.fullmatch(prefix + r"_\d{6}", record[name])
        assert record["maintenance_status"] in {"Completed", "Delayed", "In Progress", "Cancelled"}
        assert 0 <= record["failure_rate"] <= 1
        assert round(record["maintenance_cost"], 2) == record["maintenance_cost"]
        for name in ("downtime_hours", "summarization_time_saved", "last_updated_epoch"):
            assert type(record[name]) is int
    undocumented = sum(r["maintenance_type"] not in {"Predictive", "Corrective", "Condition-Based"} for r in records)
    assert 0.03 < undocumented / len(records) < 0.07
    assert {r["maintenance_type"] for r in records} == {"Predictive", "Corrective", "Condition-Based", "Preventive",
                                                        "Emergency"}
    epochs = [r["last_updated_epoch"] for r in records]
    assert epochs == sorted(epochs)


# --------------------------------------------------------------------------- faults


def test_status_fault_with_numeric_retry_after_fires_before_auth():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("status", status=429, at=1, retry_after=2)]) as api:
        response = fetch(api, headers={})
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"
        assert response.json()["error"]
        assert fetch(api).status_code == 200
        assert [(r["status"], r["fault"]) for r in api.requests] == [(429, "status"), (200, None)]


def test_status_fault_with_http_date_retry_after_and_without_retry_after():
    http_date = "Wed, 21 Oct 2015 07:28:00 GMT"
    faults = [Fault("status", status=503, at=1, retry_after=http_date), Fault("status", status=500, at=2)]
    with FtsApiServer(records=5, api_key=KEY, faults=faults) as api:
        first, second = fetch(api), fetch(api)
    assert (first.status_code, first.headers["Retry-After"]) == (503, http_date)
    assert second.status_code == 500
    assert "Retry-After" not in second.headers


def test_fault_fires_times_in_a_row_from_at():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("status", status=502, at=2, times=2)]) as api:
        statuses = [fetch(api).status_code for _ in range(5)]
    assert statuses == [200, 502, 502, 200, 200]


def test_fault_every_nth_request():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("status", status=504, every=3)]) as api:
        with requests.Session() as session:
            statuses = [fetch(api, session=session).status_code for _ in range(9)]
        assert [r["n"] for r in api.requests if r["fault"]] == [3, 6, 9]
    assert statuses == [200, 200, 504] * 3


def test_first_matching_fault_wins():
    faults = [Fault("status", status=500, at=1), Fault("status", status=503, every=1)]
    with FtsApiServer(records=5, api_key=KEY, faults=faults) as api:
        assert [fetch(api).status_code for _ in range(2)] == [500, 503]


def test_drop_closes_the_connection_without_a_response():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("drop", at=1)]) as api:
        with requests.Session() as session:
            with pytest.raises(requests.ConnectionError):
                fetch(api, session=session)
            assert fetch(api, session=session).status_code == 200
        assert api.requests[0]["status"] is None


def test_reset_mid_body_truncates_the_response():
    with FtsApiServer(records=50, api_key=KEY, faults=[Fault("reset_mid_body", at=1)]) as api:
        with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
            fetch(api)
        assert fetch(api).status_code == 200


def test_slow_fault_makes_the_client_time_out():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("slow", at=1, delay=0.2)]) as api:
        with pytest.raises(requests.exceptions.ReadTimeout):
            fetch(api, timeout=0.05)
        assert fetch(api).status_code == 200


def test_latency_delays_every_data_response():
    with FtsApiServer(records=5, api_key=KEY, latency=0.05) as api:
        started = time.perf_counter()
        assert fetch(api).status_code == 200
        assert time.perf_counter() - started >= 0.05


def test_malformed_json_fault():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("malformed_json", at=1)]) as api:
        response = fetch(api)
    assert response.status_code == 200
    assert response.text == '{"fts_records": ['
    with pytest.raises(ValueError):
        response.json()


def test_html_fault():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("html", at=1)]) as api:
        response = fetch(api)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<html>") and response.text.endswith("</html>")


def test_no_records_key_fault():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("no_records_key", at=1)]) as api:
        response = fetch(api)
    assert response.status_code == 200
    assert "fts_records" not in response.json()


def test_empty_same_cursor_fault():
    with FtsApiServer(records=30, api_key=KEY, faults=[Fault("empty_same_cursor", at=2, times=2)]) as api:
        cursor = fetch(api, page_size=10).json()["next_cursor"]
        assert fetch(api, cursor, 10).json() == {"fts_records": [], "next_cursor": cursor, "has_more": True}
        first_page = fetch(api, page_size=10).json()
        assert first_page["fts_records"] == [] and first_page["has_more"] is True
        assert HEX32.fullmatch(first_page["next_cursor"])


def test_repeat_cursor_fault():
    with FtsApiServer(records=30, api_key=KEY, faults=[Fault("repeat_cursor", at=2)]) as api:
        cursor = fetch(api, page_size=10).json()["next_cursor"]
        page = fetch(api, cursor, 10).json()
        assert page["fts_records"] == [api.record(i) for i in range(10, 20)]
        assert (page["next_cursor"], page["has_more"]) == (cursor, True)
        assert fetch(api, cursor, 10).json()["next_cursor"] != cursor


def test_page_logic_faults_still_require_auth():
    with FtsApiServer(records=5, api_key=KEY, faults=[Fault("repeat_cursor", every=1)]) as api:
        assert fetch(api, headers={}).status_code == 401


@pytest.mark.parametrize("kwargs", [
    {"kind": "explode", "at": 1},
    {"kind": "drop"},
    {"kind": "drop", "at": 1, "every": 2},
    {"kind": "drop", "at": 0},
    {"kind": "status", "at": 1},
    {"kind": "drop", "at": 1, "status": 500},
])
def test_invalid_faults_are_rejected(kwargs):
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError):
        Fault(kind, **kwargs)


# --------------------------------------------------------------------------- bad records


def test_bad_records_cycle_through_the_bad_value_cases():
    count = len(BAD_VALUE_CASES)
    with FtsApiServer(records=10 * count, api_key=KEY, bad_records=count) as api:
        served = [record for page in walk(api, 200) for record in page["fts_records"]]
        assert api.bad_offsets == [3 + 10 * k for k in range(count)]
    for offset, record in enumerate(served):
        expected = generate_record(42, offset)
        if offset not in api.bad_offsets:
            assert record == expected
            continue
        name, value = BAD_VALUE_CASES[api.bad_offsets.index(offset)]
        if value is MISSING:
            assert name not in record
        else:
            assert record[name] == value and type(record[name]) is type(value)
        assert {k: v for k, v in record.items() if k != name} == {k: v for k, v in expected.items() if k != name}


def test_bad_offsets_stay_inside_the_dataset():
    api = FtsApiServer(records=10, bad_records=10)
    assert api.bad_offsets == list(range(10))
    with pytest.raises(ValueError):
        FtsApiServer(records=5, bad_records=6)


# --------------------------------------------------------------------------- bookkeeping and lifecycle


def test_request_log_entries():
    with FtsApiServer(records=30, api_key=KEY) as api:
        cursor = fetch(api, page_size=10).json()["next_cursor"]
        fetch(api, cursor, "abc")
        requests.get(f"{api.base_url}/fts_api_spec", timeout=5)
        assert api.request_count == 2
        assert api.requests == [
            {"n": 1, "path": "/fts_data?page_size=10", "cursor": None, "page_size": 10, "status": 200, "fault": None},
            {"n": 2, "path": f"/fts_data?cursor={cursor}&page_size=abc", "cursor": cursor, "page_size": "abc",
             "status": 400, "fault": None},
        ]


def test_request_log_is_bounded():
    api = FtsApiServer(records=1, api_key=KEY)  # handle() is the transport-free entry point
    for _ in range(REQUEST_LOG_LIMIT + 5):
        api.handle("/fts_data", {})
    assert api.request_count == REQUEST_LOG_LIMIT + 5
    log = api.requests
    assert len(log) == REQUEST_LOG_LIMIT
    assert (log[0]["n"], log[-1]["n"]) == (6, REQUEST_LOG_LIMIT + 5)


def test_concurrent_requests_are_counted_exactly():
    with FtsApiServer(records=40, api_key=KEY) as api:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: fetch(api, page_size=5).status_code, range(40)))
        assert statuses == [200] * 40
        assert api.request_count == 40
        assert sorted(r["n"] for r in api.requests) == list(range(1, 41))


def test_stop_is_idempotent_and_closes_keep_alive_connections():
    api = FtsApiServer(records=5, api_key=KEY).start()
    with requests.Session() as session:
        assert fetch(api, session=session).status_code == 200
        base_url = api.base_url
        api.stop()
        api.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{base_url}/fts_data", headers={"x-api-key": KEY}, timeout=2)
    with pytest.raises(RuntimeError):
        api.base_url  # noqa: B018 - the property raises once stopped


def test_record_rejects_offsets_outside_the_dataset():
    api = FtsApiServer(records=3)
    with pytest.raises(IndexError):
        api.record(3)
    api.append(1)
    assert api.record(3) == generate_record(42, 3)


# --------------------------------------------------------------------------- command line


def _start_cli(*args, env=None):
    command = [sys.executable, "-m", "tools.fts_api", "--port", "0", "--records", "30", *args]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    ready, _, _ = select.select([process.stdout], [], [], 10)
    if not ready:
        process.kill()
        pytest.fail("the CLI did not print its ready line within 10 s")
    return process, process.stdout.readline()


@pytest.mark.parametrize(("signum", "key_source"), [(signal.SIGTERM, "flag"), (signal.SIGINT, "env")])
def test_cli_serves_and_stops_cleanly(signum, key_source):
    args, env = ["--api-key", "cli-key"], None
    if key_source == "env":
        args, env = [], {**os.environ, "FTS_API_KEY": "cli-key"}
    process, line = _start_cli(*args, env=env)
    try:
        match = re.fullmatch(r"FTS reference API listening on (http://127\.0\.0\.1:(\d+)) \(30 records\)\n", line)
        assert match, line
        assert int(match.group(2)) > 0
        response = requests.get(f"{match.group(1)}/fts_data", headers={"api_key": "cli-key"}, timeout=5)
        assert response.status_code == 200
        assert len(response.json()["fts_records"]) == 30
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout == "FTS reference API stopped\n"
    assert stderr == ""
    assert "cli-key" not in line + stdout
