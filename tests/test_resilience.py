"""The fault matrix: each failure ends with the exact table, or fails loudly at the last good checkpoint so that the
next run completes it. Faults are scripted by request number; no test waits for real (`no_real_waits`)."""

import email.utils
import json
import os
import signal
import subprocess
import threading
import time

import pytest
from support import API_KEY, configuration, refreshing
from test_fivetran_debug import stage

from tools.engine import cli_environment
from tools.fts_api import Fault, FtsApiServer

RETRYABLE = [
    Fault("status", status=429, at=3, retry_after=5),
    Fault("status", status=429, at=3, retry_after="HTTP-DATE"),
    Fault("status", status=500, at=3),
    Fault("status", status=502, at=3),
    Fault("status", status=503, at=3),
    Fault("status", status=504, at=3),
    Fault("drop", at=3),
    Fault("reset_mid_body", at=3),
    Fault("slow", at=3, delay=0.6),
]
SLOW_TIMEOUT = 0.25  # the read timeout for slow faults: well above a normal answer here, well below the delay


def exact(run, expected: int = 750) -> bool:
    """The table holds exactly `expected` rows, one per record_id (no table at all counts as none)."""
    if not run.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'fts_records'")[0][0]:
        return expected == 0
    return run.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records") == [(expected, expected)]


def with_date(fault: Fault) -> Fault:
    if fault.retry_after != "HTTP-DATE":
        return fault
    return Fault("status", status=429, at=fault.at, retry_after=email.utils.formatdate(time.time() + 30, usegmt=True))


@pytest.mark.parametrize("fault", RETRYABLE, ids=lambda f: f"{f.kind}-{f.status or ''}-{f.retry_after or ''}")
def test_a_transient_fault_is_retried_and_the_sync_completes_exactly(sync_runner, no_real_waits, fault):
    fault = with_date(fault)
    with FtsApiServer(records=750, api_key=API_KEY, faults=[fault]) as api:
        timeout = SLOW_TIMEOUT if fault.kind == "slow" else 60
        run = sync_runner(configuration(api, request_timeout_seconds=timeout))
        assert api.request_count == 9
    assert run.error is None and exact(run) and len(no_real_waits) == 1
    if fault.status == 429:
        assert no_real_waits[0] == 5.0 or 20 <= no_real_waits[0] <= 31  # as told, in seconds or until the date


def test_a_response_slower_than_the_read_timeout_on_every_retry_fails_loudly(sync_runner):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("slow", at=2, times=9, delay=0.6)]) as api:
        run = sync_runner(configuration(api, request_timeout_seconds=SLOW_TIMEOUT))
        second_page = api.requests[1]["cursor"]
    assert "failed after 8 retries: no complete answer within request_timeout_seconds (0.25 s)" in str(run.error)
    assert run.state == refreshing(second_page) and exact(run, 100)


def test_a_key_revoked_mid_sync_fails_at_the_last_checkpoint_and_a_rerun_completes_exactly(sync_runner):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=401, at=6)]) as api:
        failed = sync_runner(configuration(api))
        assert "HTTP 401" in str(failed.error) and exact(failed, 500)
        assert failed.state == refreshing(api.requests[5]["cursor"])
        rerun = sync_runner(configuration(api))
    assert rerun.error is None and exact(rerun) and rerun.counts["Upserts"] == 250


@pytest.mark.parametrize("k", [1, 4, 8])
def test_retries_exhausted_on_page_k_fail_at_the_checkpoint_before_it_and_a_rerun_completes(sync_runner, k):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=502, at=k, times=9)]) as api:
        failed = sync_runner(configuration(api))
        assert "HTTP 502" in str(failed.error) and exact(failed, 100 * (k - 1))
        expected_state = refreshing(api.requests[k - 1]["cursor"]) if k > 1 else {}
        assert failed.state == expected_state
        rerun = sync_runner(configuration(api))
    assert rerun.error is None and exact(rerun)


def test_process_killed_mid_sync_during_fivetran_debug_reruns_to_the_exact_table(tmp_path):
    project = tmp_path / "project"
    stage(project)
    environment = cli_environment(tmp_path / "home")
    with FtsApiServer(records=750, api_key=API_KEY, latency=0.1) as api:
        (tmp_path / "configuration.json").write_text(json.dumps(configuration(api, prefetch="false")))
        command = ["fivetran", "debug", str(project), "--configuration", str(tmp_path / "configuration.json")]
        process = subprocess.Popen(command, cwd=project, env=environment, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        state_file = project / "files" / "state.json"
        deadline = time.monotonic() + 120
        while not (state_file.exists() and '"next_cursor":"' in state_file.read_text()):
            assert process.poll() is None and time.monotonic() < deadline, "the sync ended before its 1st checkpoint"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        killed_at = json.loads(state_file.read_text())["next_cursor"]
        rerun = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stdout[-2000:]
        assert killed_at in [request["cursor"] for request in api.requests[:7]]
    import duckdb
    with duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True) as db:
        assert db.sql("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records").fetchall() == [(750, 750)]


def test_a_retry_after_beyond_max_wait_checkpoints_and_ends_well_and_the_next_sync_completes(sync_runner):
    fault = Fault("status", status=429, at=4, retry_after=3600)
    with FtsApiServer(records=750, api_key=API_KEY, faults=[fault]) as api:
        paused = sync_runner(configuration(api, checkpoint_every=1000))
        assert paused.error is None and exact(paused, 300)
        assert paused.state == refreshing(api.requests[3]["cursor"]) and paused.counts["Checkpoints"] == 1
        assert paused.progress.stopped_early.startswith("the API asked to wait 3600 s")
        assert f"the next sync continues from cursor {paused.state['next_cursor'][:8]}…" in paused.log  # the warning
        before = api.request_count
        resumed = sync_runner(configuration(api))
        assert api.requests[before]["cursor"] == paused.state["next_cursor"]  # where the warning said
    assert resumed.error is None and exact(resumed)


def test_a_pause_before_the_first_page_saves_nothing_and_keeps_the_state(sync_runner):
    fault = Fault("status", status=429, at=1, retry_after=3600)
    with FtsApiServer(records=750, api_key=API_KEY, faults=[fault]) as api:
        paused = sync_runner(configuration(api))
        resumed = sync_runner(configuration(api))
        assert api.request_count == 1 + 8 and api.requests[1]["cursor"] is None  # the next sync: from the first page
    assert paused.error is None and paused.counts["Upserts"] == 0 and paused.counts["Checkpoints"] == 0
    assert paused.state == {} and paused.progress.stopped_early.startswith("the API asked to wait 3600 s")
    assert (paused.progress.pages, paused.progress.checkpoints) == (0, 0)
    assert resumed.error is None and exact(resumed)


def test_retries_that_add_up_beyond_max_wait_seconds_also_stop_gracefully(sync_runner, no_real_waits):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=503, at=5, times=4)]) as api:
        paused = sync_runner(configuration(api, max_wait_seconds=5))
        assert paused.error is None and exact(paused, 400) and sum(no_real_waits) <= 5
        resumed = sync_runner(configuration(api, max_wait_seconds=5))
    assert resumed.error is None and exact(resumed)


def test_max_wait_seconds_is_checked_like_every_parameter(api, sync_runner):
    run = sync_runner(configuration(api, max_wait_seconds="forever"))
    assert "max_wait_seconds must be a number of seconds from 0 to 86400; got 'forever'" in str(run.error)
    assert api.request_count == 0


def test_an_invalid_saved_cursor_restarts_from_the_first_page_in_the_same_sync(sync_runner):
    with FtsApiServer(records=750, api_key=API_KEY) as api:
        first = sync_runner(configuration(api))
        api.invalidate_cursors()
        restarted = sync_runner(configuration(api))
        cursors = [request["cursor"] for request in api.requests[8:]]
    assert restarted.error is None and cursors[0] == first.state["next_cursor"] and cursors[1] is None
    assert len(cursors) == 9 and exact(restarted) and restarted.counts["Upserts"] == 750
    assert "restarting from the first page" in restarted.log and restarted.progress.refresh == "full refresh completed"
    assert restarted.state["next_cursor"] == cursors[-1] != first.state["next_cursor"]


def test_a_400_on_the_first_page_is_never_retried_as_a_restart(sync_runner):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=400, at=1, times=5)]) as api:
        run = sync_runner(configuration(api))
        assert api.request_count == 1
    assert "HTTP 400" in str(run.error) and "restarting" not in run.log


def test_a_restart_happens_once_per_sync(sync_runner):
    faults = [Fault("status", status=400, at=1), Fault("status", status=400, at=4)]
    with FtsApiServer(records=750, api_key=API_KEY, faults=faults) as api:
        run = sync_runner(configuration(api), state={"next_cursor": "0" * 32})
        assert api.request_count == 4
    assert "no longer valid" in str(run.error) and run.log.count("restarting from the first page") == 1


def test_on_invalid_cursor_is_checked_like_every_parameter(api, sync_runner):
    run = sync_runner(configuration(api, on_invalid_cursor="ignore"))
    assert "on_invalid_cursor must be one of restart, fail; got 'ignore'" in str(run.error)


@pytest.mark.parametrize("fault", [None, Fault("status", status=401, at=4), Fault("status", status=429, at=4,
                                                                                    retry_after=3600)])
def test_no_prefetch_thread_outlives_the_sync(sync_runner, fault):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[fault] if fault else []) as api:
        sync_runner(configuration(api))
    assert [thread.name for thread in threading.enumerate() if thread.name == "fts-prefetch"] == []


@pytest.mark.parametrize("prefetch", ["true", "false"])
def test_a_failure_in_the_fetcher_surfaces_with_the_same_message_and_state_either_way(sync_runner, prefetch):
    with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("status", status=401, at=5)]) as api:
        run = sync_runner(configuration(api, prefetch=prefetch))
        fifth_page = api.requests[4]["cursor"]
    assert "HTTP 401" in str(run.error) and "Check api_key" in str(run.error)
    assert run.state == refreshing(fifth_page) and exact(run, 400)
