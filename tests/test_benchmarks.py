"""The benchmark's connector-alone run measures the same sync as the engine's, minus the engine."""

from datetime import datetime, timezone

from support import configuration

import connector
from benchmarks.alone import run_alone
from fts_connector import refresh


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
