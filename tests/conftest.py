"""Fixtures: the reference FTS API on loopback, the in-process engine, and no real waits between retries."""

import pytest
from support import API_KEY

from fts_connector import client
from tools import engine
from tools.fts_api import FtsApiServer


@pytest.fixture(autouse=True)
def no_real_waits(monkeypatch):
    """Records each wait between retries instead of sleeping."""
    waits = []
    monkeypatch.setattr(client, "pause", lambda seconds, cancelled: waits.append(seconds))
    return waits


@pytest.fixture
def api():
    """The reference FTS API with its default 750 records."""
    with FtsApiServer(records=750, api_key=API_KEY) as server:
        yield server


@pytest.fixture
def sync_runner(tmp_path):
    """`run(configuration, state=None, project="project")`: one sync through the SDK engine into tmp_path/<project>.

    Every run also proves that the key never reaches the log."""

    def run(configuration, state=None, project="project"):
        folder = tmp_path / project
        folder.mkdir(exist_ok=True)
        result = engine.run_sync(folder, configuration, state)
        key = configuration.get("api_key")
        assert not key or key not in result.log, "the API key appeared in the sync's log"
        return result

    return run
