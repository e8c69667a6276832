"""Replays the recorded cassettes (no recording, no network) and checks that none holds a key.

The normal-traffic cassettes (which `tox -e refresh-cassettes` may re-record from the live API) are checked against
what their own pages say; the fault cassettes, recorded from the reference API only, against stated numbers.
`FTS_CASSETTES=<folder>` replays another folder."""

import re
from pathlib import Path
from unittest.mock import ANY

import pytest
import yaml
from support import completed, configuration, refreshing

from tools import cassettes
from tools.cassettes import CASSETTES, KEY_HEADERS, RECORDING_KEY, SCENARIOS, SCRUBBED, cassette_path

NORMAL = [scenario.name for scenario in SCENARIOS if scenario.normal]

SECRET_HEADER = re.compile(r"api[_-]?key|authorization|token|secret", re.IGNORECASE)


def interactions(name: str) -> list:
    return cassettes.interactions(cassette_path(name))


def requested_cursors(name: str) -> list:
    return cassettes.requested_cursors(cassette_path(name))


def replay(name: str, sync_runner, **settings):
    """One sync replayed from the cassette, starting from the cursor of its first request."""
    return cassettes.replay(cassette_path(name), None, lambda configuration, state: sync_runner(
        configuration, state=state, project=name), **settings)


def test_every_scenario_has_a_cassette():
    assert sorted(p.stem for p in CASSETTES.glob("*.yaml")) == sorted(s.name for s in SCENARIOS)


@pytest.mark.parametrize("path", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.stem)
def test_no_cassette_holds_a_key(path: Path):
    text = path.read_text()
    assert RECORDING_KEY not in text
    for interaction in yaml.safe_load(text)["interactions"]:
        headers = interaction["request"]["headers"]
        assert {name: headers.get(name) for name in KEY_HEADERS} == {name: [SCRUBBED] for name in KEY_HEADERS}
        for name, values in headers.items():
            if SECRET_HEADER.search(name):
                assert values == [SCRUBBED], f"{path.name}: header {name} is not scrubbed"


@pytest.mark.parametrize("name", NORMAL)
def test_a_normal_traffic_cassette_replays_what_its_pages_say(sync_runner, name):
    """Whatever dataset it was recorded from: every recorded record upserted, a checkpoint on the cadence at page
    edges, the final state on the last page's own cursor, every recorded request made once (see expected_replay)."""
    expected = cassettes.expected_replay(cassette_path(name))
    run = replay(name, sync_runner)
    assert cassettes.replay_problems(cassette_path(name), run) == []
    assert run.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records") == [
        (expected.record_ids, expected.record_ids)]
    assert expected.state == {"next_cursor": requested_cursors(name)[-1]}


def test_a_full_sync_of_the_reference_api_is_8_requests_750_upserts_and_7_checkpoints(api, sync_runner):
    """The numbers of the original description, where they are true: the reference API's 750 records."""
    run = sync_runner(configuration(api))
    cursors = [request["cursor"] for request in api.requests]
    assert len(cursors) == 8 and run.counts["Upserts"] == 750 and run.counts["Checkpoints"] == 7
    assert run.cursors == cursors[1:] and run.state == completed(cursors[-1])
    resumed = sync_runner(configuration(api), state={"next_cursor": run.cursors[2]}, project="resumed")
    assert resumed.counts["Upserts"] == 450  # a state without full_refresh continues; the next sync refreshes
    assert resumed.state == {"next_cursor": cursors[-1], "full_refresh": {"last_completed_at": None}, "record_ids": ANY}
    api.append(50)
    incremental = sync_runner(configuration(api))
    assert incremental.counts["Upserts"] == 100 and incremental.state == completed(cursors[-1])


def test_normal_cassettes_recorded_from_the_reference_api_hold_its_750_records():
    """Cassettes refreshed from another API (`tox -e refresh-cassettes`) are held to what they recorded instead, by the
    replay tests above; these numbers are the reference API's."""
    recorded_from = {interactions(name)[0]["request"]["uri"].split("/fts_data")[0] for name in NORMAL}
    if recorded_from != {cassettes.REFERENCE_URL}:
        pytest.skip(f"the normal cassettes were recorded from {sorted(recorded_from)}, not the reference API")
    full, page_200 = (cassettes.expected_replay(cassette_path(n)) for n in ("full_sync", "page_size_200"))
    assert (full.requests, full.upserts, len(full.checkpoints)) == (8, 750, 7) and page_200.requests == 4
    assert requested_cursors("resume_mid_sync") == requested_cursors("full_sync")[3:]
    assert cassettes.expected_replay(cassette_path("incremental")).upserts == 100


@pytest.mark.parametrize("name, waits", [("rate_limited_429", [2.0]), ("unavailable_503", None)])
def test_a_transient_failure_is_retried_and_the_sync_completes(sync_runner, no_real_waits, name, waits):
    run = replay(name, sync_runner)
    assert run.error is None and run.counts["Upserts"] == 750 and len(no_real_waits) == 1
    assert len(requested_cursors(name)) == 9 and run.progress.retries == 1
    if waits:
        assert no_real_waits == waits


def test_401_fails_the_sync_at_the_last_checkpoint_saying_to_check_the_key(sync_runner):
    run = replay("unauthorized_401", sync_runner)
    assert "HTTP 401" in str(run.error) and "Check api_key" in str(run.error) and "SYNC FAILED" in run.log
    assert run.state == refreshing(requested_cursors("unauthorized_401")[2])
    assert run.query("SELECT count(*) FROM tester.fts_records") == [(200,)]


def test_invalid_cursor_fails_saying_to_reset_and_keeps_the_state(sync_runner):
    run = replay("invalid_cursor_400", sync_runner, on_invalid_cursor="fail")
    assert "no longer valid. Reset the connector" in str(run.error)
    assert run.state == {"next_cursor": requested_cursors("invalid_cursor_400")[0]}


def test_exhausted_retries_fail_at_the_checkpoint_before_the_failing_page(sync_runner, no_real_waits):
    run = replay("retries_exhausted", sync_runner)
    cursors = requested_cursors("retries_exhausted")
    assert len(cursors) == 12 and len(set(cursors[3:])) == 1 and len(no_real_waits) == 8
    assert "HTTP 503" in str(run.error) and "after 8 retries" in str(run.error)
    assert run.state == refreshing(cursors[3])
