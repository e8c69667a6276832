"""The soak: a long sync through a flaky API, which must still load every record exactly once.

    python -m benchmarks.soak [--records 100000] [--page-size 100] [--checkpoint-every 100] [--output PATH]

Runs the reference API in this process (`FtsApiServer`) with a fault on every 7th /fts_data request, rotating
through kinds (the first matching `Fault` wins, so the specific multiples come first): 429 with `Retry-After: 0`
on multiples of 21, a dropped connection on multiples of 28, a connection reset mid-body on multiples of 35, a 500
on multiples of 77, and a 503 on every other multiple of 7. Every fault is isolated (the retry is the next request,
which is not a multiple of 7), so urllib3's first retry waits 0 s. The connector syncs it through
`tools.engine.run_sync`; if a sync fails (it should not), it is re-run from the saved state until it completes (at
most 20 re-runs), and the re-runs are counted.

Prints and writes benchmarks/SOAK.md: records served by the API, rows loaded, distinct record_ids, whether they are the
API's ids, requests, faults injected by kind, retries (the connector's "N retries" summary), re-runs and elapsed
seconds. PASS only if rows == distinct record_ids == records (and the ids are the API's).
"""

import argparse
import re
import shlex
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.bench import code_version, machine
from benchmarks.case import ROOT
from tools.engine import run_sync
from tools.fts_api import Fault, FtsApiServer, generate_record

SOAK = ROOT / "benchmarks" / "SOAK.md"
API_KEY = "soak-key"
SEED = 42
MAX_RERUNS = 20
RETRIES = re.compile(r"sync complete: .*?, (\d+) retries")
FAULTS = (  # first match wins
    Fault("status", status=429, retry_after=0, every=21),
    Fault("drop", every=28),
    Fault("reset_mid_body", every=35),
    Fault("status", status=500, every=77),
    Fault("status", status=503, every=7),
)


def fault_name(fault: Fault) -> str:
    if fault.kind != "status":
        return fault.kind
    return f"{fault.status}" + (f" (Retry-After {fault.retry_after:g})" if fault.retry_after is not None else "")


def faults_injected(requests: int) -> Counter:
    """How many of requests 1..`requests` got each fault (recomputed: the server keeps only its last 10,000)."""
    fired = Counter()
    for n in range(1, requests + 1):
        fault = next((f for f in FAULTS if f.fires_on(n)), None)
        if fault is not None:
            fired[fault_name(fault)] += 1
    return fired


def sync_until_complete(project: Path, configuration: dict) -> tuple:
    """Syncs from an empty state, then re-runs from the saved state while a sync fails; returns (runs, re-runs)."""
    runs = [run_sync(project, configuration, {})]
    while runs[-1].error is not None and len(runs) <= MAX_RERUNS:
        runs.append(run_sync(project, configuration))  # state None: the state the last run saved
    return runs, len(runs) - 1


def retries(runs: list) -> int:
    return sum(int(match.group(1)) for run in runs for match in [RETRIES.search(run.log)] if match)


def warehouse(run, records: int) -> dict:
    """Rows and distinct record_ids in fts_records, and whether the ids are exactly the API's."""
    rows, distinct = run.query("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records")[0]
    loaded = {record_id for (record_id,) in run.query("SELECT record_id FROM tester.fts_records")}
    expected = {generate_record(SEED, i)["record_id"] for i in range(records)}
    return {"rows": rows, "distinct": distinct, "ids_match": loaded == expected}


def soak(records: int, page_size: int, checkpoint_every: int) -> dict:
    with FtsApiServer(records=records, api_key=API_KEY, seed=SEED, faults=FAULTS) as api, \
            tempfile.TemporaryDirectory(prefix="fts-soak-") as folder:
        configuration = {"api_key": API_KEY, "base_url": api.base_url, "page_size": str(page_size),
                         "checkpoint_every": str(checkpoint_every)}
        began = time.perf_counter()
        runs, reruns = sync_until_complete(Path(folder), configuration)
        elapsed = time.perf_counter() - began
        requests = api.request_count
        loaded = warehouse(runs[-1], records)
    return {
        "records": records, "page_size": page_size, "checkpoint_every": checkpoint_every, **loaded,
        "requests": requests, "faults": faults_injected(requests), "retries": retries(runs), "reruns": reruns,
        "errors": [f"{type(run.error).__name__}: {run.error}"[:300] for run in runs if run.error is not None],
        "completed": runs[-1].error is None, "seconds": elapsed,
    }


def passed(result: dict) -> bool:
    return (result["completed"] and result["rows"] == result["distinct"] == result["records"]
            and result["ids_match"])


def report(result: dict, command: str, started: datetime) -> str:
    faults = result["faults"]
    by_kind = ", ".join(f"{name}: {count}" for name, count in faults.most_common())
    figures = [
        ("records served by the API", f"{result['records']:,}"),
        ("rows loaded", f"{result['rows']:,}"),
        ("distinct record_ids", f"{result['distinct']:,}"),
        ("record_ids are exactly the API's", "yes" if result["ids_match"] else "no"),
        ("requests", f"{result['requests']:,}"),
        ("faults injected", f"{sum(faults.values()):,} ({by_kind})"),
        ("retries (connector's summary)", f"{result['retries']:,}"),
        ("re-runs", f"{result['reruns']}"),
        ("elapsed seconds", f"{result['seconds']:.1f}"),
    ]
    lines = [
        "# Soak", "",
        f"- Command: `{command}`",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Code: {code_version()}",
        f"- Configuration: page_size {result['page_size']}, checkpoint_every {result['checkpoint_every']}, "
        "contract enforce, prefetch on; the reference API in-process with a fault on every 7th request "
        "(429 Retry-After 0 on multiples of 21, drop on 28, reset mid-body on 35, 500 on 77, else 503)", "",
        "| figure | value |", "|---|---:|", *(f"| {name} | {value} |" for name, value in figures), "",
    ]
    if result["errors"]:
        lines += ["Failed syncs (each re-run from the saved state):", "",
                  *(f"- {error}" for error in result["errors"]), ""]
    lines.append(f"**{'PASS' if passed(result) else 'FAIL'}**: rows == distinct record_ids == records"
                 " (and the ids are the API's)")
    return "\n".join(lines) + "\n"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--output", type=Path, default=SOAK, help="default: benchmarks/SOAK.md")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "-m", "benchmarks.soak", *(sys.argv[1:] if argv is None else argv)])
    started = datetime.now(timezone.utc)
    result = soak(args.records, args.page_size, args.checkpoint_every)
    text = report(result, command, started)
    print(text, end="")
    args.output.write_text(text, encoding="utf-8")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
