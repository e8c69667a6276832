"""The contract's cost on one core, through the real `fivetran debug`: contract `off` against `enforce`, alternating.

    python -m benchmarks.one_core [--records 20000] [--runs 3] [--core 0]

Each run is `benchmarks.engine`'s connector run (a fresh staged folder and HOME, the reference API at 0 ms in a
process of its own) with `fivetran debug` pinned to one core (`taskset -c CORE`): the connector and the engine share
it, as on Fivetran's small runtimes the connector has a fraction of one; the API, remote there, runs on another core.
`detect_deletes` is "false", so both ways checkpoint every 100 records. Prints and writes `benchmarks/ONE_CORE.md`:
every run's sync seconds (the CLI's) and CPU seconds, the medians, the ratio enforce/off (target: at most 1.15) and
the load average before and after, since the machine is shared.
"""

import argparse
import os
import platform
import statistics
import sys
from datetime import datetime, timezone

from benchmarks import engine

RESULTS = engine.ROOT / "benchmarks" / "ONE_CORE.md"
TARGET = 1.15


def run_case(records: int, contract: str, core: int) -> dict:
    case = engine.Case(records, 0, "false", contract)
    run = engine.fivetran_debug(engine.work_tree(engine.ROOT), "connector", case, prefix=["taskset", "-c", str(core)])
    if run.upserts != records or run.distinct_ids != records:
        raise engine.BenchmarkError(f"contract {contract}: {run.upserts} upserts, {run.distinct_ids} distinct ids")
    return {"seconds": run.sync_seconds, "cpu_seconds": run.cpu_seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.one_core", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3, help="runs each way (default 3)")
    parser.add_argument("--core", type=int, default=0)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    runs = {"off": [], "enforce": []}
    for _ in range(args.runs):
        for contract in runs:
            result = run_case(args.records, contract, args.core)
            runs[contract].append(result)
            print(f"{contract}: {result['seconds']:.3f} s wall, {result['cpu_seconds']:.3f} s CPU", flush=True)
    load_after = os.getloadavg()
    median = {c: statistics.median(r["seconds"] for r in results) for c, results in runs.items()}
    cpu = {c: statistics.median(r["cpu_seconds"] for r in results) for c, results in runs.items()}
    ratio = median["enforce"] / median["off"]
    lines = [
        "# The contract's cost on one core",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, load average "
        f"{load_before[0]:.2f} before and {load_after[0]:.2f} after (the machine is shared).",
        "",
        f"Command: `python -m benchmarks.one_core --records {args.records} --runs {args.runs} --core {args.core}`, "
        f"i.e. `taskset -c {args.core} fivetran debug` of the connector (this work tree, commit "
        f"{engine.work_tree(engine.ROOT).commit}) with `contract_mode` off and enforce, alternating; `detect_deletes` "
        "false, the reference API at 0 ms on another core. Seconds: the CLI's sync time.",
        "",
        "| contract | sync seconds (each run) | median sync s | median CPU s |",
        "|---|---|---:|---:|",
        *(f"| {c} | {', '.join(format(r['seconds'], '.2f') for r in results)} | {median[c]:.2f} | {cpu[c]:.2f} |"
          for c, results in runs.items()),
        "",
        f"Enforce / off: **{ratio:.2f}** sync time, {cpu['enforce'] / cpu['off']:.2f} CPU (target ≤ {TARGET:.2f}: "
        f"{'PASS' if ratio <= TARGET else 'FAIL'}).",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
