"""Records the vcrpy cassettes the tests replay, through the connector's own HTTP path (the in-process engine).

    python -m tools.cassettes            # every cassette, from the reference FTS API started here

Each scenario is one sync (after any setup syncs that are not recorded). Keys are scrubbed from both header
names before anything is written; `Date`/`Server` response headers are dropped so re-recording gives stable files.
Normal-traffic scenarios can also be recorded against another API (`tox -e refresh-cassettes`); what replaying one
must do is derived from the cassette itself (`expected_replay`), so a recording of any dataset replays green.
`FTS_CASSETTES=<folder>` points the replay tests (and this recorder) at another cassette folder.
"""

import argparse
import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import vcr
import yaml

from fts_connector import client
from fts_connector.checkpoints import Checkpoints
from tools import engine
from tools.fts_api import Fault, FtsApiServer

CASSETTES_IN_REPO = Path(__file__).resolve().parent.parent / "cassettes"
CASSETTES = Path(os.environ.get("FTS_CASSETTES") or CASSETTES_IN_REPO)
SCRUBBED = "REDACTED"
KEY_HEADERS = ("api_key", "x-api-key")
RECORDING_KEY = "recording-key"
REFERENCE_URL = "http://127.0.0.1:8000"  # how cassettes name the reference API, whatever port it had when recorded


def _drop_volatile_headers(response):
    for name in ("Date", "Server", "date", "server"):
        response["headers"].pop(name, None)
    return response


class _Recorder:
    """Where the recorded requests went, rewritten to REFERENCE_URL when that was a local reference API."""

    local_base_url = None

    def __call__(self, request):
        if self.local_base_url and request.uri.startswith(self.local_base_url):
            request.uri = REFERENCE_URL + request.uri[len(self.local_base_url):]
        return request


_rewrite = _Recorder()
recorder = vcr.VCR(
    filter_headers=[(name, SCRUBBED) for name in KEY_HEADERS],
    before_record_request=_rewrite,
    before_record_response=_drop_volatile_headers,
    decode_compressed_response=True,
    record_mode="none",
)


@dataclass(frozen=True)
class Scenario:
    """One recorded sync: the API it runs against, its configuration and how its starting state comes about."""

    name: str
    description: str
    page_size: int = 100
    faults: tuple = ()
    bad_records: int = 0  # malformed records the reference API mixes into its pages
    start: str = "empty"  # "empty", "mid_sync" (the checkpoint after page 3 of a full sync), "after_full_sync"
    append_before: int = 0  # records appended to the API before the recorded sync
    api_key: str = RECORDING_KEY
    state: dict = field(default_factory=dict)  # for start == "given"
    settings: dict = field(default_factory=dict)  # further configuration
    normal: bool = True  # describes normal traffic: re-recordable against the live API
    records: int = 750  # records the reference API serves
    refreshes: tuple = ()  # (edited offset, removed offset): three full refreshes, recorded together (see below)


SCENARIOS = [
    Scenario("full_sync", "750 records at page_size 100 from the first page"),
    Scenario("page_size_200", "750 records at page_size 200", page_size=200),
    Scenario("resume_mid_sync", "from the checkpoint after page 3 of a full sync", start="mid_sync"),
    Scenario("incremental", "after a full sync, with 50 records appended", start="after_full_sync", append_before=50),
    Scenario("rate_limited_429", "a 429 with Retry-After 2 on page 2, then success", normal=False,
             faults=(Fault("status", status=429, at=2, retry_after=2),)),
    Scenario("unavailable_503", "a 503 on page 4, then success", normal=False,
             faults=(Fault("status", status=503, at=4),)),
    Scenario("unauthorized_401", "the key is refused on page 3", normal=False,
             faults=(Fault("status", status=401, at=3),)),
    Scenario("invalid_cursor_400", "the saved cursor is not known to the API", normal=False,
             start="given", state={"next_cursor": "0123456789abcdef0123456789abcdef"},
             settings={"on_invalid_cursor": "fail"}),
    Scenario("retries_exhausted", "page 4 answers 503 on every retry", normal=False,
             faults=(Fault("status", status=503, at=4, times=9),)),
    Scenario("malformed_records", "18 records breaking the contract's hard rules among 750", normal=False,
             bad_records=18),
    Scenario("refresh_edit_delete", "three full refreshes of 250 records; after the first the API edits record 100 "
             "and removes record 150: the second loads the edit, the third soft-deletes 150", normal=False,
             records=250, settings={"full_refresh_hours": "0"}, refreshes=(100, 150)),
]


def cassette_path(name: str, folder: Path = CASSETTES) -> Path:
    return folder / f"{name}.yaml"


def interactions(path: Path) -> list:
    return yaml.safe_load(path.read_text())["interactions"]


def requested_cursors(path: Path) -> list:
    """The cursor of each recorded request (None for the first page)."""
    found = [re.search(r"[?&]cursor=([0-9a-f]+)", i["request"]["uri"]) for i in interactions(path)]
    return [match.group(1) if match else None for match in found]


@dataclass
class Expected:
    """What replaying a normal-traffic cassette must do, read from its own pages and the checkpoint cadence."""

    requests: int
    upserts: int  # records on the recorded pages
    record_ids: int  # distinct record_ids among them
    checkpoints: list  # the cursor each checkpoint saves
    state: dict  # the final state: the last page's own cursor


def expected_replay(path: Path, checkpoint_every: int = 100) -> Expected:
    """What replaying the cassette must do, by the connector's own checkpoint rule (`fts_connector.checkpoints`)
    applied to a model of its state: the cursor, the record_ids tracked (with `detect_deletes`, the default) and
    whether a full refresh completed (a replay from the first page is one)."""
    cursors, bodies = requested_cursors(path), [json.loads(i["response"]["body"]["string"]) for i in interactions(path)]
    saved = []
    checkpoints = Checkpoints(checkpoint_every, save=saved.append)
    ids, resume, completed = set(), cursors[0], False

    def state() -> dict:
        return {"next_cursor": resume, "record_ids": len(ids), "full_refresh_completed": completed}

    for number, (cursor, body) in enumerate(zip(cursors, bodies, strict=True), 1):
        records = body["fts_records"]
        if checkpoints.due_before(len(records), number == len(cursors)):
            checkpoints.take(state())
        ids |= {record["record_id"] for record in records}
        resume = body["next_cursor"] if body["has_more"] else cursor
        checkpoints.loaded(len(records), len(ids))
    completed = cursors[0] is None
    checkpoints.take_final(state())
    return Expected(len(cursors), sum(len(b["fts_records"]) for b in bodies), len(ids),
                    [checkpoint["next_cursor"] for checkpoint in saved], {"next_cursor": resume})


def replay(path: Path, project: Path, run=None, **settings) -> engine.SyncRun:
    """One sync replayed from the cassette at `path` (no network) into `project`, from the cursor of its first request
    (`run(configuration, state)` runs it, default `engine.run_sync`)."""
    uri, start = interactions(path)[0]["request"]["uri"], requested_cursors(path)[0]
    configuration = {"api_key": "replay-key", "base_url": uri[:uri.index("/fts_data")],
                     "page_size": re.search(r"page_size=(\d+)", uri).group(1), **settings}
    with recorder.use_cassette(str(path), record_mode="none", allow_playback_repeats=False) as tape:
        state = {"next_cursor": start} if start else {}
        result = run(configuration, state) if run else engine.run_sync(project, configuration, state)
    if not tape.all_played:
        raise AssertionError(f"{path.name}: the sync made fewer requests than were recorded")
    return result


def replay_problems(path: Path, result: engine.SyncRun) -> list:
    """How the replayed sync `result` differs from what the cassette at `path` says it must do (empty: it does not)."""
    expected = expected_replay(path)
    # the cursor is what a cassette can tell; the state's other members (quarantine, full refresh, tracked ids) have
    # tests of their own
    found = {"error": result.error, "upserts": (result.counts or {}).get("Upserts"), "checkpoints": result.cursors,
             "state": {"next_cursor": (result.state or {}).get("next_cursor")}}
    wanted = {"error": None, "upserts": expected.upserts, "checkpoints": expected.checkpoints, "state": expected.state}
    return [f"{path.stem}: {name} {found[name]!r}, expected {wanted[name]!r}" for name in wanted
            if found[name] != wanted[name]]


def _configuration(scenario: Scenario, base_url: str, api_key: str) -> dict:
    return {"api_key": api_key, "base_url": base_url, "page_size": str(scenario.page_size), **scenario.settings}


def _starting_state(scenario: Scenario, configuration: dict, scratch: Path) -> dict:
    """Runs the unrecorded syncs the scenario starts after, and returns the state to record from."""
    if scenario.start == "given":
        return dict(scenario.state)
    if scenario.start == "empty":
        return {}
    full = engine.run_sync(scratch / "setup", configuration, {})
    if full.error is not None:
        raise RuntimeError(f"the setup sync for {scenario.name} failed: {full.error}")
    return {"next_cursor": full.cursors[2]} if scenario.start == "mid_sync" else full.state


def record(scenario: Scenario, folder: Path, base_url: str, api_key: str, before_recording=None) -> engine.SyncRun:
    """Records `scenario` against `base_url` into `folder`; returns the recorded sync's result."""
    path = cassette_path(scenario.name, folder)
    path.unlink(missing_ok=True)
    configuration = _configuration(scenario, base_url, api_key)
    with tempfile.TemporaryDirectory() as scratch, _no_waits():
        state = _starting_state(scenario, configuration, Path(scratch))
        if before_recording:
            before_recording()
        with recorder.use_cassette(str(path), record_mode="all"):
            (Path(scratch) / "recorded").mkdir()
            return engine.run_sync(Path(scratch) / "recorded", configuration, state)


@contextlib.contextmanager
def _no_waits():
    """Recording does not wait out Retry-After or backoff: the cassette holds the answers, not the pauses."""
    original = client.pause
    client.pause = lambda seconds, cancelled: None
    try:
        yield
    finally:
        client.pause = original


def record_refreshes(scenario: Scenario, folder: Path, api: FtsApiServer) -> engine.SyncRun:
    """Three syncs into one project, recorded in one cassette: a refresh, then, once the API edited one record and
    removed another, two more (the first misses the removed record once, the second deletes it)."""
    path = cassette_path(scenario.name, folder)
    path.unlink(missing_ok=True)
    configuration = _configuration(scenario, api.base_url, scenario.api_key)
    edited, removed = scenario.refreshes
    with tempfile.TemporaryDirectory() as scratch, recorder.use_cassette(str(path), record_mode="all"):
        engine.run_sync(Path(scratch), configuration, {})
        api.edit(edited)
        api.omit(removed)
        engine.run_sync(Path(scratch), configuration)
        return engine.run_sync(Path(scratch), configuration)


def record_from_reference_api(scenario: Scenario, folder: Path) -> engine.SyncRun:
    with FtsApiServer(records=scenario.records, api_key=scenario.api_key, faults=list(scenario.faults),
                      bad_records=scenario.bad_records) as api:
        _rewrite.local_base_url = api.base_url
        try:
            if scenario.refreshes:
                return record_refreshes(scenario, folder, api)
            return record(scenario, folder, api.base_url, scenario.api_key,
                          before_recording=lambda: api.append(scenario.append_before))
        finally:
            _rewrite.local_base_url = None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=CASSETTES, help="folder to write to (default: cassettes/)")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        run = record_from_reference_api(scenario, args.output)
        outcome = "failed as intended" if run.error else f"{run.counts['Upserts']} upserts"
        outcome += f", {run.counts['Deletes']} deletes" if run.counts and run.counts["Deletes"] else ""
        if run.error and scenario.normal:
            raise SystemExit(f"{scenario.name} failed: {run.error}")
        print(f"{cassette_path(scenario.name, args.output).name}: {scenario.description} ({outcome})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
