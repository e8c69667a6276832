"""`tox -e refresh-cassettes` (tools.refresh_cassettes) driven as a subprocess against the reference API."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.cassettes import CASSETTES
from tools.fts_api import FtsApiServer, generate_record
from tools.refresh_cassettes import drift_report

ROOT = Path(__file__).resolve().parent.parent
KEY = "refresh-key-5678"
NORMAL = ["full_sync", "page_size_200", "resume_mid_sync", "incremental"]


@pytest.fixture
def cassettes(tmp_path) -> Path:
    """A copy of the committed cassettes to refresh."""
    folder = tmp_path / "cassettes"
    shutil.copytree(CASSETTES, folder)
    return folder


def refresh(folder: Path, **environment) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name not in ("FTS_API_KEY", "FTS_BASE_URL")}
    env.update(environment)
    return subprocess.run([sys.executable, "-m", "tools.refresh_cassettes", "--cassettes", str(folder)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def snapshot(folder: Path) -> dict:
    return {path.name: path.read_bytes() for path in folder.glob("*.yaml")}


def test_without_fts_api_key_it_explains_and_changes_nothing(cassettes):
    before = snapshot(cassettes)
    result = refresh(cassettes)
    assert result.returncode == 2 and "FTS_API_KEY is not set" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert snapshot(cassettes) == before


def test_a_successful_recording_replaces_the_normal_cassettes_scrubbed_with_a_drift_report(cassettes):
    before = snapshot(cassettes)
    with FtsApiServer(records=1500, api_key=KEY, seed=7) as api:  # past 1,000 ids the checkpoints widen
        result = refresh(cassettes, FTS_API_KEY=KEY, FTS_BASE_URL=api.base_url)
    assert result.returncode == 0, result.stderr
    after = snapshot(cassettes)
    assert [name for name in sorted(after) if after[name] != before[name]] == sorted(f"{n}.yaml" for n in NORMAL)
    assert all(KEY not in text.decode() for text in after.values())
    assert "full_sync: 1500 records in 15 pages" in result.stdout and "resume_mid_sync: 1200 records" in result.stdout
    assert "replayed full_sync: 1500 records in 15 pages, 13 checkpoints, as recorded" in result.stdout
    assert "maintenance_type outside documented values" in result.stdout  # the reference API's 5 % of other types
    assert "fields beyond the contract" not in result.stdout  # last_updated_epoch is declared
    assert "replaced 4 cassettes" in result.stdout


def test_records_breaking_hard_rules_leave_the_cassettes_untouched(cassettes):
    before = snapshot(cassettes)
    with FtsApiServer(records=750, api_key=KEY, bad_records=3) as api:
        result = refresh(cassettes, FTS_API_KEY=KEY, FTS_BASE_URL=api.base_url)
    assert result.returncode == 1 and "left untouched" in result.stderr and "breaks hard rules" in result.stderr
    assert snapshot(cassettes) == before


def test_a_failing_recording_leaves_the_cassettes_untouched(cassettes):
    before = snapshot(cassettes)
    with FtsApiServer(records=750, api_key="another-key") as api:
        result = refresh(cassettes, FTS_API_KEY=KEY, FTS_BASE_URL=api.base_url)
    assert result.returncode == 1 and "the recorded sync failed" in result.stderr and "HTTP 401" in result.stderr
    assert snapshot(cassettes) == before and KEY not in result.stdout + result.stderr


def test_the_drift_report_names_type_changes_against_the_committed_cassette():
    record = generate_record(42, 0)
    record["maintenance_cost"] = str(record["maintenance_cost"])  # loadable (lossless), but not what it was
    record["downtime_hours"] = float(record["downtime_hours"])
    lines, problems = drift_report({"full_sync": [{"fts_records": [record], "next_cursor": None, "has_more": False}]},
                                   CASSETTES)
    assert problems == [] and "full_sync: 1 records in 1 pages" in lines
    assert "type change: maintenance_cost: float -> str" in lines
    assert "type change: downtime_hours: int -> float" in lines


@pytest.mark.parametrize("records", [600, 750])
def test_cassettes_refreshed_from_an_api_that_does_not_grow_replay_green(cassettes, records):
    """The live API's dataset has been 600 and 750 records and does not grow on cue between recordings: the refreshed
    cassettes still pass the replay tests (pointed at them with FTS_CASSETTES)."""
    with FtsApiServer(records=records, api_key=KEY, seed=11) as api:
        base_url = api.base_url
        result = refresh(cassettes, FTS_API_KEY=KEY, FTS_BASE_URL=base_url)
    assert result.returncode == 0, result.stderr
    assert f"replayed full_sync: {records} records in {-(-records // 100)} pages" in result.stdout
    assert "replaced 4 cassettes" in result.stdout and "kept invalid_cursor_400.yaml" in result.stdout
    # the tests that read the cassettes' contents (the fault cassettes are kept as they were, and replayed by the suite)
    replayed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                               "tests/test_cassettes.py", "-k", "every_scenario or holds_a_key or normal"],
                              cwd=ROOT, capture_output=True,
                              env={**os.environ, "FTS_CASSETTES": str(cassettes)},
                              text=True, timeout=600)
    assert replayed.returncode == 0, replayed.stdout[-3000:]
    # only the reference API's own numbers (750 records) are skipped: cassettes recorded elsewhere need not have them
    assert replayed.stdout.count("SKIPPED") == 1
    assert f"the normal cassettes were recorded from ['{base_url}'], not the reference API" in replayed.stdout
