"""The benchmark's connector-alone run measures the same sync as the engine's, minus the engine; the floor checkpoints
as often as the connector."""

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from support import API_KEY, configuration

import connector
from benchmarks import engine, floor
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


CLI_OUTPUT = """\
00:05:08.305 INFO     ⚡ sdk       Final checkpoint: committing any remaining operations
00:05:08.391 INFO     ⚡ sdk       SYNC SUCCEEDED — total elapsed 00:01:02.943
                                   Operation       | Counts
                                   ----------------+------------
                                   Upserts         | 20000
                                   Updates         | 0
                                   Checkpoints     | 200
00:05:08.391 INFO     ⚡ sdk       connector process memory usage: average 17.04 MB, peak 27.94 MB
"""


def test_the_engine_benchmark_reads_the_clis_summary():
    figures = engine.parse_output("floor generated 20000 records in 0.412 s\n" + CLI_OUTPUT)

    assert figures == {"sync_seconds": 62.943, "upserts": 20000, "checkpoints": 200, "peak_mb": 27.94,
                       "generate_seconds": 0.412}


def test_the_engine_benchmark_stops_on_a_sync_without_a_summary():
    with pytest.raises(engine.BenchmarkError, match="no SYNC SUCCEEDED"):
        engine.parse_output("SYNC FAILED — elapsed 00:00:01.000\n")


def _run(side, checkpoints=200, rows=20000, distinct=20000):
    return engine.Run(side, 10.0, 12.0, 11.0, 20000, checkpoints, rows, distinct, None, None, None, 0.0)


@pytest.mark.parametrize("connector, floor_run, problem", [
    (_run("connector", checkpoints=29), _run("floor"), "connector checkpoints 29 != floor checkpoints 200"),
    (_run("connector", rows=19999), _run("floor"), "connector rows 19999 != 20000"),
    (_run("connector"), _run("floor", distinct=10000), "floor distinct_ids 10000 != 20000"),
])
def test_the_engine_benchmark_stops_unless_both_sides_load_n_records_with_as_many_checkpoints(
        connector, floor_run, problem):
    case = engine.Case(20000, 0, "false")
    engine.verify(case, _run("connector"), _run("floor"), "same")  # passes

    with pytest.raises(engine.BenchmarkError, match=problem):
        engine.verify(case, connector, floor_run, "case")


def test_the_engine_benchmark_configurations():
    defaults, no_deletes = engine.Case(10000, 50, None), engine.Case(10000, 50, "false")

    assert engine.configuration(defaults, "connector", "http://127.0.0.1:1") == {
        "page_size": "100", "checkpoint_every": "100", "api_key": engine.API_KEY, "base_url": "http://127.0.0.1:1"}
    assert engine.configuration(no_deletes, "floor", None) == {
        "page_size": "100", "checkpoint_every": "100", "records": "10000", "detect_deletes": "false"}


def test_the_engine_benchmark_cases():
    assert [case.name for case in engine.select_cases(None, None)] == [
        "20,000 records, 0 ms, detect_deletes false", "10,000 records, 50 ms, detect_deletes false",
        "20,000 records, 0 ms, defaults", "10,000 records, 50 ms, defaults"]
    assert engine.select_cases(500, "^500 records, 50 ms, def") == [engine.Case(500, 50, None)]
    assert engine.select_cases(None, "50 ms, defaults", [100, 200]) == [
        engine.Case(10000, 50, None), engine.Case(10000, 50, None, page_size=200)]
    assert engine.Case(10000, 50, None, page_size=200).name == "10,000 records, 50 ms, defaults, page_size 200"
    assert engine.configuration(engine.Case(10000, 50, None, page_size=200), "floor", None)["page_size"] == "200"
    with pytest.raises(SystemExit):
        engine.select_cases(None, "no such case")


def test_code_without_its_own_stage_script_is_staged_with_this_trees(tmp_path):
    old = engine.Code("old", tmp_path, "0" * 40, exported=True)

    assert engine.stage_script(old).read_text() == (engine.ROOT / "tools" / "stage.sh").read_text()
    with pytest.raises(engine.BenchmarkError, match="has no tools/stage.sh"):  # a work tree is never written to
        engine.stage_script(engine.Code("tree", tmp_path / "tree", "0" * 40))


def test_the_staged_floor_imports_only_what_its_folder_holds(tmp_path):
    project, shipped = tmp_path / "project", tmp_path / "shipped"
    engine.stage(engine.work_tree(engine.ROOT), "floor", project)
    engine.stage(engine.work_tree(engine.ROOT), "connector", shipped)
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    script = "import connector, tools.fts_api, fts_connector; print(tools.fts_api.__file__, fts_connector.__file__)"

    imported = subprocess.run([sys.executable, "-c", script], cwd=project, env=environment, capture_output=True,
                              text=True, check=True).stdout.split()

    names = sorted(path.name for path in project.iterdir())
    assert names == sorted([*(path.name for path in shipped.iterdir()), "tools"])
    assert all(path.startswith(str(project)) for path in imported)
    assert (project / "connector.py").read_text() == (engine.ROOT / "benchmarks" / "floor.py").read_text()


RAW_SAMPLES = """\
process 7:"python fivetran debug";thread (11): MainThread;<module> (fivetran:8);main (cli.py:17) 30
thread (11);<module> (fivetran:8) 10
thread (11): MainThread;run (fivetran_connector_sdk_core/runner.py:494);update (connector.py:22);\
_load_pages (fts_connector/sync.py:300);Operations.upsert (fivetran_connector_sdk_cli/operations.py:34);\
_Sync.record (fivetran_connector_sdk_core/runner.py:190) 50
thread (11): MainThread;run (fivetran_connector_sdk_core/runner.py:494);update (connector.py:22);\
_load_pages (fts_connector/sync.py:290);prefetched (fts_connector/sync.py:176) 20
thread (12): fts-prefetch;run (threading.py:982);check_pages (fts_connector/validation.py:90);\
validate (pandera/api/pandas/container.py:10) 40
"""


def test_the_profile_sums_each_threads_samples_by_what_it_was_doing():
    from benchmarks import profile

    summary = profile.summarise(profile.parse_raw(RAW_SAMPLES), rate=100)

    record = "op.upsert: engine's _Sync.record (decode, renaming, types, pending row)"
    own_code = profile.CATEGORIES[9][0]
    assert summary["categories"]["MainThread"] == pytest.approx({profile.OUTSIDE: 0.4, record: 0.5, own_code: 0.2})
    assert summary["categories"]["fts-prefetch"] == pytest.approx({"contract: validation (pandas, pandera)": 0.4})
    assert summary["own_frames"]["MainThread"] == pytest.approx({"fts_connector/sync.py: _load_pages": 0.5,
                                                                 "fts_connector/sync.py: prefetched": 0.2})
    assert summary["own_frames"]["fts-prefetch"] == pytest.approx({"fts_connector/validation.py: check_pages": 0.4})
