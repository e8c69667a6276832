"""One measured case, meant to run in its own process: prints one JSON line with what it measured.

    python -m benchmarks.case connector --records N [--page-size P] [--latency-ms L] [--contract enforce|off]
        [--prefetch true|false] [--checkpoint-every C] [--detect-deletes true|false]
        [--base-url URL]
    python -m benchmarks.case floor --records N [--page-size P] [--checkpoint-every C] [--detect-deletes true|false]
    python -m benchmarks.case alone --records N [the connector's options]

A connector case syncs connector.py from the reference API at `--base-url`; without it, the case starts the API
in a subprocess of its own (`python -m tools.fts_api --port 0 ...`) and stops it afterwards, so the API's CPU and
memory are never this process's. A floor case runs `benchmarks.floor`. Either way the sync goes through
`tools.engine.run_sync` into a fresh temporary project folder that is deleted afterwards. An alone case runs the
connector case's sync without the engine, into `benchmarks.alone.CountingSink`: what the connector itself costs.

Measured: `seconds`, the wall-clock time of the sync call alone; `cpu_seconds`, this process's CPU time (user +
system, every thread) during it; `main_cpu_seconds`, the part of it spent in the thread that ran the sync (the engine
and every `op.*` call; the prefetch thread and DuckDB's own threads make up the rest); `peak_rss_mb`, this process's
peak RSS (`ru_maxrss`) read right after the sync returns, before the checks query the warehouse; `start_rss_mb`, the
same just before it. Then the warehouse is checked: `rows` and `distinct_ids` in `tester.fts_records` (an alone case has
no warehouse: both are None, and `upserts` is what the sink counted).
"""

import argparse
import contextlib
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-key"
SUMMARY = re.compile(r"sync complete: (\d+) records loaded, (\d+) rejected, (\d+) pages, (\d+) checkpoints, "
                     r"(\d+) retries")
LISTENING = re.compile(r"listening on (http://\S+)")


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_environment() -> dict:
    return {**os.environ, "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"}


@contextlib.contextmanager
def reference_api(records: int, latency_ms: int):
    """The reference FTS API in a subprocess of its own; yields its base URL and stops it on exit."""
    command = [sys.executable, "-m", "tools.fts_api", "--port", "0", "--records", str(records),
               "--latency-ms", str(latency_ms), "--api-key", API_KEY]
    process = subprocess.Popen(command, cwd=ROOT, env=child_environment(), stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        match = LISTENING.search(line)
        if not match:
            raise RuntimeError(f"the reference API did not start: {line!r} (exit code {process.poll()})")
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def connector_configuration(args, base_url: str) -> dict:
    return {
        "api_key": API_KEY, "base_url": base_url, "page_size": str(args.page_size),
        "checkpoint_every": str(args.checkpoint_every), "contract_mode": args.contract, "prefetch": args.prefetch,
        "detect_deletes": args.detect_deletes,
    }


def floor_configuration(args) -> dict:
    return {"records": str(args.records), "page_size": str(args.page_size),
            "checkpoint_every": str(args.checkpoint_every), "detect_deletes": args.detect_deletes}


def timed(sync) -> tuple:
    """Runs `sync()`; returns its result and what was measured (seconds, CPU, RSS)."""
    start_rss, start_cpu, start_main = peak_rss_mb(), cpu_seconds(), time.thread_time()
    began = time.perf_counter()
    result = sync()
    seconds = time.perf_counter() - began
    return result, {
        "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds() - start_cpu, 3),
        "main_cpu_seconds": round(time.thread_time() - start_main, 3),
        "start_rss_mb": round(start_rss, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def timed_sync(configuration: dict, connector) -> tuple:
    """Runs one sync into a fresh temporary project; returns its result and what was measured, warehouse checks too."""
    from tools.engine import run_sync  # imported before the clock starts: start-up is not measured

    with tempfile.TemporaryDirectory(prefix="fts-bench-") as folder:
        result, measured = timed(lambda: run_sync(Path(folder), configuration, {}, connector=connector))
        checks = warehouse_checks(result) if result.error is None else {"rows": None, "distinct_ids": None}
    return result, {**measured, **checks}


def timed_alone(configuration: dict, connector) -> tuple:
    """Runs one sync into a CountingSink; returns what timed_sync returns, with no warehouse to check."""
    from benchmarks.alone import run_alone

    result, measured = timed(lambda: run_alone(configuration, connector))
    return result, {**measured, "rows": None, "distinct_ids": None}


def warehouse_checks(result) -> dict:
    rows, distinct = result.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records")[0]
    return {"rows": rows, "distinct_ids": distinct}


def measure(args) -> dict:
    """Runs the case and returns its measurements as a dict (the JSON line)."""
    if args.kind == "floor":
        from benchmarks import floor
        result, measured = timed_sync(floor_configuration(args), floor.connector)
        pages, retries = math.ceil(args.records / args.page_size), 0
    else:
        import connector
        sync = timed_alone if args.kind == "alone" else timed_sync
        with contextlib.ExitStack() as stack:
            base_url = args.base_url or stack.enter_context(reference_api(args.records, args.latency_ms))
            result, measured = sync(
                connector_configuration(args, base_url), connector.connector)
        summary = SUMMARY.search(result.log)
        pages, retries = (int(summary.group(3)), int(summary.group(5))) if summary else (None, None)
    counts = result.counts or {}
    return {
        "kind": args.kind, "records": args.records, "page_size": args.page_size,
        "latency_ms": None if args.kind == "floor" else args.latency_ms,
        "contract": None if args.kind == "floor" else args.contract,
        "prefetch": None if args.kind == "floor" else args.prefetch == "true",
        "checkpoint_every": args.checkpoint_every, **measured,
        "upserts": counts.get("Upserts"), "checkpoints": counts.get("Checkpoints"), "pages": pages,
        "retries": retries,
        "log_chars": len(result.log), "generate_seconds": _generate_seconds(result.log),
        "error": None if result.error is None else f"{type(result.error).__name__}: {result.error}"[:2000],
    }


def _generate_seconds(log: str) -> float | None:
    match = re.search(r"floor generated \d+ records in ([0-9.]+) s", log)
    return float(match.group(1)) if match else None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.case", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("connector", "floor", "alone"))
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--contract", choices=("enforce", "strict", "off"), default="enforce")
    parser.add_argument("--prefetch", choices=("true", "false"), default="true")
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--detect-deletes", choices=("true", "false"), default="true")
    parser.add_argument("--base-url", help="a running reference API (key 'bench-key'); default: start one")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    os.chdir(ROOT)
    print(json.dumps(measure(parse_args(argv))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
