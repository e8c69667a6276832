"""The contract's cost on one core: the connector alone, contract `off` against `enforce`, alternating runs.

    python -m benchmarks.one_core [--records 20000] [--runs 3] [--core 0]

Each run is `taskset -c CORE python -m benchmarks.case alone --records N --prefetch true --contract off|enforce`
(a fresh process; the reference API it starts inherits the same core), `off` and `enforce` alternating. Prints and
writes `benchmarks/ONE_CORE.md`: every run's wall seconds and CPU seconds, the medians, the ratio enforce/off
(target: at most 1.30) and the load average before and after, since the machine is shared.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "ONE_CORE.md"
TARGET = 1.30


def run_case(records: int, contract: str, core: int) -> dict:
    command = ["taskset", "-c", str(core), sys.executable, "-m", "benchmarks.case", "alone", "--records", str(records),
               "--prefetch", "true", "--contract", contract]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "DO_NOT_TRACK": "1"})
    return json.loads(done.stdout.strip().splitlines()[-1])


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
        "i.e. "
        f"`taskset -c {args.core} python -m benchmarks.case alone --records {args.records} --prefetch true "
        "--contract off|enforce`, alternating.",
        "",
        "| contract | wall seconds (each run) | median wall s | median CPU s |",
        "|---|---|---:|---:|",
        *(f"| {c} | {', '.join(format(r['seconds'], '.2f') for r in results)} | {median[c]:.2f} | {cpu[c]:.2f} |"
          for c, results in runs.items()),
        "",
        f"Enforce / off: **{ratio:.2f}** wall, {cpu['enforce'] / cpu['off']:.2f} CPU (target ≤ {TARGET:.2f} wall: "
        f"{'PASS' if ratio <= TARGET else 'FAIL'}).",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
