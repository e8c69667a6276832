"""The benchmark's connector-alone run measures the same sync as the engine's, minus the engine; the floor checkpoints
as often as the connector."""

from datetime import datetime, timezone

import pytest
from support import API_KEY, configuration

import connector
from benchmarks import floor
from benchmarks.alone import run_alone
from fts_connector import refresh
from tools.fts_api import FtsApiServer


def test_alone_emits_what_the_engine_loads(api, sync_runner, monkeypatch):
    monkeypatch.setattr(refresh, "utc_now", lambda: datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc))  # same state
    settings = configuration(api, checkpoint_every="200")

    alone = run_alone(settings, connector.connector)
    synced = sync_runner(settings)

    assert alone.error is None and synced.error is None
    assert alone.counts == {"Upserts": 750, "Updates": 0, "Checkpoints": synced.counts["Checkpoints"]}
    assert synced.counts["Upserts"] == 750
    assert alone.sink.checkpoints == 4  # 200, 400, 600 records, then the end of the data
    assert alone.sink.state == synced.state


def test_alone_reports_a_failed_sync_as_the_engine_does(api):
    alone = run_alone(configuration(api, api_key="wrong-key"), connector.connector)

    assert alone.counts is None
    assert "HTTP 401" in str(alone.error) and "Check api_key" in str(alone.error)
    assert alone.sink.upserts == {} and alone.sink.checkpoints == 0


@pytest.mark.parametrize("detect_deletes, bound, checkpoints", [
    ("true", 120_000, 19),  # every 100 records up to 1,000 ids, then 1,200, 1,400, 1,600, ..., 2,900 and the end
    ("true", 1_500, 27),  # as above up to 1,400, then every 100 again once the ids pass the bound
    ("false", 120_000, 30),  # every 100 records
])
def test_the_floor_checkpoints_as_often_as_the_connector(detect_deletes, bound, checkpoints, monkeypatch):
    _assert_same_checkpoints(3000, "100", detect_deletes, bound, checkpoints, monkeypatch)


def test_the_floor_merges_a_due_checkpoint_into_a_small_last_page_as_the_connector(monkeypatch):
    _assert_same_checkpoints(2050, "1000", "false", 120_000, 2, monkeypatch)  # 1,000, then 2,050 (not 2,000 too)


def _assert_same_checkpoints(records, checkpoint_every, detect_deletes, bound, checkpoints, monkeypatch):
    monkeypatch.setattr(refresh, "MAX_TRACKED_IDS", bound)
    with FtsApiServer(records=records, api_key=API_KEY) as api:
        synced = run_alone(configuration(api, checkpoint_every=checkpoint_every, detect_deletes=detect_deletes),
                           connector.connector)
    floored = run_alone({"records": str(records), "page_size": "100", "checkpoint_every": checkpoint_every,
                         "detect_deletes": detect_deletes}, floor.connector)

    assert synced.error is None and floored.error is None
    assert synced.counts["Upserts"] == floored.counts["Upserts"] == records
    assert synced.sink.checkpoints == floored.sink.checkpoints == checkpoints
