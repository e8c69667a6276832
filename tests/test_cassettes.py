"""Replays the recorded cassettes (no recording, no network) and checks that none holds a key.

Expectations are read from the cassette itself (which cursors were requested) and stated as numbers."""

import json
import re
from pathlib import Path
from unittest.mock import ANY

import pytest
import yaml
from support import completed, refreshing

from tools.cassettes import CASSETTES, KEY_HEADERS, RECORDING_KEY, SCENARIOS, SCRUBBED, cassette_path, recorder

SECRET_HEADER = re.compile(r"api[_-]?key|authorization|token|secret", re.IGNORECASE)


def interactions(name: str) -> list:
    return yaml.safe_load(cassette_path(name).read_text())["interactions"]


def requested_cursors(name: str) -> list:
    cursors = []
    for interaction in interactions(name):
        match = re.search(r"[?&]cursor=([0-9a-f]+)", interaction["request"]["uri"])
        cursors.append(match.group(1) if match else None)
    return cursors


def replay(name: str, sync_runner, page_size: int = 100, **settings):
    """One sync replayed from the cassette, starting from the cursor of its first request."""
    first = interactions(name)[0]["request"]["uri"]
    base_url = first[:first.index("/fts_data")]
    start = requested_cursors(name)[0]
    configuration = {"api_key": "replay-key", "base_url": base_url, "page_size": str(page_size), **settings}
    with recorder.use_cassette(str(cassette_path(name)), record_mode="none", allow_playback_repeats=False) as tape:
        run = sync_runner(configuration, state={"next_cursor": start} if start else {}, project=name)
    assert tape.all_played, f"{name}: the sync made fewer requests than were recorded"
    return run


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


def test_full_sync_replays_750_upserts_with_a_checkpoint_per_100_and_the_last_pages_cursor(sync_runner):
    run = replay("full_sync", sync_runner)
    cursors = requested_cursors("full_sync")
    assert len(cursors) == 8 and run.counts["Upserts"] == 750 and run.counts["Checkpoints"] == 7
    assert run.cursors == cursors[1:] and run.state == completed(cursors[-1])
    assert run.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records") == [(750, 750)]


def test_page_size_200_replays_4_pages_with_a_checkpoint_after_each(sync_runner):
    run = replay("page_size_200", sync_runner, page_size=200)
    cursors = requested_cursors("page_size_200")
    assert len(cursors) == 4 and run.counts["Upserts"] == 750
    assert run.cursors == cursors[1:] + [cursors[-1]]


def test_resume_mid_sync_fetches_the_remaining_450_records_and_ends_on_the_same_cursor(sync_runner):
    run = replay("resume_mid_sync", sync_runner)
    full = requested_cursors("full_sync")
    assert requested_cursors("resume_mid_sync") == full[3:]
    assert run.counts["Upserts"] == 450  # from a state without full_refresh: it continues; the next sync refreshes
    assert run.state == {"next_cursor": full[-1], "full_refresh": {"last_completed_at": None}, "record_ids": ANY}


def test_incremental_sync_rereads_only_the_tail_and_loads_the_appended_records(sync_runner):
    run = replay("incremental", sync_runner)
    cursors = requested_cursors("incremental")
    assert cursors == [requested_cursors("full_sync")[-1]]
    assert run.counts["Upserts"] == 100
    assert run.state == {"next_cursor": cursors[0], "full_refresh": {"last_completed_at": None}, "record_ids": ANY}
    body = json.loads(interactions("incremental")[0]["response"]["body"]["string"])
    assert len(body["fts_records"]) == 100 and body["has_more"] is False


@pytest.mark.parametrize("name, waits", [("rate_limited_429", [2.0]), ("unavailable_503", None)])
def test_a_transient_failure_is_retried_and_the_sync_completes(sync_runner, no_real_waits, name, waits):
    run = replay(name, sync_runner)
    assert run.error is None and run.counts["Upserts"] == 750 and len(no_real_waits) == 1
    assert len(requested_cursors(name)) == 9 and "1 retries" in run.log
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
