"""What a full refresh costs against a tail sync, and how big the state grows with the tracked record_ids.

    taskset -c 0 python -m benchmarks.refresh         # N = 10,000 and 100,000 on one core; writes benchmarks/REFRESH.md
    python -m benchmarks.refresh --records 2000 --output -    # a smoke run, printed only
    taskset -c 0 python -m benchmarks.refresh --engine        # also the first sync through the SDK engine

For each N, the connector alone (`benchmarks/alone.py`: its `update()` into a sink that only counts, no engine, no
DuckDB; the reference API in a thread of the same process) runs, one after the other:

1. the first sync (empty state): a full refresh that tracks N new ids;
2. a tail sync right after it (`full_refresh_hours` 24): one request;
3. a full refresh of the same data (`full_refresh_hours` 0): every id already tracked;
4. the same full refresh with `detect_deletes` false: no id tracking at all.

Figures: seconds (wall clock of the sync), requests, checkpoints, the final state's size and the largest state any
checkpoint of the sync saved (mid-refresh it also holds the running refresh's flags), all in bytes of the state as
JSON. Then the memory the id tracking holds (tracemalloc, around decoding the state's `record_ids` at N), and the
state at the bound (`MAX_TRACKED_IDS` random UUIDs, half of them tracked and half added by a running refresh).
With `--engine`, the first sync also runs through the SDK engine into DuckDB (`tools/engine.py`, what `fivetran
debug` runs), with `detect_deletes` true and false, for what tracking costs where the engine writes the state.
"""

import argparse
import json
import os
import platform
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import connector
from benchmarks import alone
from benchmarks.alone import CountingSink, run_alone
from fts_connector import refresh
from tools import engine
from tools.fts_api import FtsApiServer

KEY = "bench-key"
OUTPUT = Path(__file__).resolve().parent / "REFRESH.md"


class LargestState(CountingSink):
    """Also keeps the size of the largest state a checkpoint saved."""

    largest: int = 0

    def checkpoint(self, checkpoint) -> None:
        super().checkpoint(checkpoint)
        self.largest = max(self.largest, len(checkpoint.state_json))


def _sync(api, state: dict, **settings) -> dict:
    configuration = {"api_key": KEY, "base_url": api.base_url, "page_size": "100", **settings}
    before = api.request_count
    with mock.patch.object(alone, "CountingSink", LargestState):  # run_alone's sink, keeping the largest state
        started = time.perf_counter()
        run = run_alone(configuration, connector.connector, state)
        seconds = time.perf_counter() - started
    if run.error is not None:
        raise SystemExit(f"the sync failed: {run.error}")
    return {"seconds": seconds, "requests": api.request_count - before, "checkpoints": run.sink.checkpoints,
            "upserts": sum(run.sink.upserts.values()), "state": run.sink.state,
            "final_bytes": len(json.dumps(run.sink.state, separators=(",", ":"))), "largest_bytes": run.sink.largest}


def measure(records: int) -> list:
    rows = []
    with FtsApiServer(records=records, api_key=KEY) as api:
        first = _sync(api, {})
        rows.append(("first sync: full refresh, all ids new", first))
        rows.append(("tail sync right after", _sync(api, first["state"])))
        rows.append(("full refresh, ids known", _sync(api, first["state"], full_refresh_hours="0")))
        rows.append(("full refresh, detect_deletes false", _sync(api, first["state"], full_refresh_hours="0",
                                                               detect_deletes="false")))
    return rows


def engine_first_syncs(records: int) -> list:
    """The first sync through the SDK engine into a fresh project, with and without id tracking."""
    rows = []
    for detect in ("true", "false"):
        with FtsApiServer(records=records, api_key=KEY) as api, tempfile.TemporaryDirectory() as folder:
            configuration = {"api_key": KEY, "base_url": api.base_url, "page_size": "100", "detect_deletes": detect}
            started = time.perf_counter()
            run = engine.run_sync(Path(folder), configuration, {})
            seconds = time.perf_counter() - started
            if run.error is not None:
                raise SystemExit(f"the sync failed: {run.error}")
            size = (Path(folder) / "files" / "state.json").stat().st_size
        rows.append((f"first sync through the engine, detect_deletes {detect}", seconds, run.counts, size))
    return rows


def tracking_memory(state: dict) -> tuple:
    """Bytes tracemalloc sees held by the decoded record_ids of `state`, and the seconds decoding took (timed apart:
    tracing every allocation slows the decoding several times over)."""
    started = time.perf_counter()
    refresh.RecordIds(state["record_ids"])
    seconds = time.perf_counter() - started
    tracemalloc.start()
    ids = refresh.RecordIds(state["record_ids"])
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert ids.count > 0
    return held, seconds


def state_at_the_bound() -> tuple:
    """The record_ids member at MAX_TRACKED_IDS random UUIDs: half tracked, half added by a running refresh."""
    half = refresh.MAX_TRACKED_IDS // 2
    tracked = refresh.RecordIds(None)
    tracked.returned(str(uuid.uuid4()) for _ in range(half))
    tracked.begin_refresh()
    tracked.returned(str(uuid.uuid4()) for _ in range(half))
    started = time.perf_counter()
    member = tracked.state()
    seconds = time.perf_counter() - started
    return tracked.count, len(json.dumps(member, separators=(",", ":"))), seconds


def report(results: dict, bound: tuple, command: str, engine_rows: dict) -> str:
    lines = [
        "# Full refresh against tail sync, and the state's size", "",
        f"`{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC ({platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {len(os.sched_getaffinity(0))} CPU(s) "
        "allowed); the connector alone (no engine), "
        "page_size 100, checkpoint_every 100, contract enforce, prefetch on.", "",
        "| N | sync | seconds | requests | upserts | checkpoints | final state bytes | largest state bytes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for records, (rows, _) in results.items():
        for label, row in rows:
            lines.append(f"| {records:,} | {label} | {row['seconds']:.2f} | {row['requests']:,} | {row['upserts']:,} "
                         f"| {row['checkpoints']:,} | {row['final_bytes']:,} | {row['largest_bytes']:,} |")
    lines += ["", "Memory the id tracking holds (the decoded `record_ids` of the first sync's final state, "
                  "tracemalloc):", ""]
    for records, (_, (held, seconds)) in results.items():
        lines.append(f"- N = {records:,}: {held / 1e6:.1f} MB, decoded in {seconds * 1000:.0f} ms")
    if engine_rows:
        lines += ["", "The first sync through the SDK engine (DuckDB, state.json written at every checkpoint):", "",
                  "| N | sync | seconds | upserts | checkpoints | state.json bytes |", "|---:|---|---:|---:|---:|---:|"]
        for records, rows in engine_rows.items():
            for label, seconds, counts, size in rows:
                lines.append(f"| {records:,} | {label} | {seconds:.2f} | {counts['Upserts']:,} | "
                             f"{counts['Checkpoints']:,} | {size:,} |")
    count, size, seconds = bound
    lines += ["", f"At the bound: {count:,} random UUIDs (half tracked, half added by a running refresh) make a "
                  f"`record_ids` member of {size:,} bytes ({size / count:.1f} bytes per id), encoded in "
                  f"{seconds * 1000:.0f} ms.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--output", default=str(OUTPUT), help="file to write, or - to print only")
    parser.add_argument("--engine", action="store_true", help="also run the first sync through the SDK engine")
    args = parser.parse_args(argv)
    results, engine_rows = {}, {}
    for records in args.records:
        rows = measure(records)
        results[records] = (rows, tracking_memory(rows[0][1]["state"]))
        if args.engine:
            engine_rows[records] = engine_first_syncs(records)
        print(f"N={records:,} done", flush=True)
    command = "python -m benchmarks.refresh" + (f" --records {' '.join(map(str, args.records))}"
                                                if args.records != [10_000, 100_000] else "")
    command += " --engine" if args.engine else ""
    text = report(results, state_at_the_bound(), command, engine_rows)
    print(text)
    if args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
