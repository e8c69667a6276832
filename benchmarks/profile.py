"""Where the time goes in the real engine: one `fivetran debug` run sampled by py-spy, summed by thread and by what
the code was doing.

    python -m benchmarks.profile [--code REV | --project DIR] [--records 20000] [--latency-ms 0]
        [--detect-deletes false|default] [--side connector|floor|both] [--gil] [--rate 100] [--folder DIR]

Each side runs as in `benchmarks.engine` (a fresh staged folder and HOME, the reference API in a process of its own
for the connector), under `py-spy record --subprocesses --threads [--gil|--idle] --format raw` (py-spy is not a
project dependency: `pip install py-spy`; it needs root or ptrace rights). `--gil` keeps only the samples of the
thread holding the GIL (Python CPU; one thread at a time holds it); without it, every thread's every sample is kept,
waiting included (wall time per thread). The raw samples stay in the folder (`<side>.raw`, with the run's files) for
flame graphs or other cuts.

The summary: samples ÷ rate = seconds, per thread (by name), split into the categories of `CATEGORIES` (the first
that matches a sample's stack wins), and the connector's own frames (connector.py, fts_connector/, contracts/) by the
deepest of them in the stack.
"""

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from benchmarks import engine

IN_THE_RUN = re.compile(r"(^|;)run \(fivetran_connector_sdk_core/runner\.py")  # within core.run: the sync
# (category, pattern searched in the sample's stack): the first that matches wins. Frames read
# "function (path:line)", outermost first; the main thread's samples outside the engine's run are start-up and exit.
CATEGORIES = (
    ("engine: flush rows into DuckDB (at checkpoints and the end)", r"_Sync\.flush \("),
    ("op.checkpoint: the rest (state JSON, state file, log)", r"Operations\.checkpoint \("),
    ("op.upsert: engine's _Sync.record (decode, renaming, types, pending row)", r"_Sync\.record \("),
    ("op.upsert: front end (checks, encode_row_data, make_record)", r"Operations\.upsert \("),
    ("logging", r"Logging\.|print_library_log"),
    ("JSON decoding of pages", r"Response\.json \(|\(json/"),
    ("HTTP: requests, urllib3, http.client, sockets", r"\((requests|urllib3)/|\(http/client\.py|\(socket\.py"),
    ("contract: validation (pandas, pandera)", r"\((fts_connector/validation|contracts/|pandera/|pandas/|numpy/)"),
    ("floor: generating records", r"generate_record \("),
    ("the connector's own code (connector.py, fts_connector/), waiting for pages included",
     r"\((connector\.py|fts_connector/)"),
    ("engine: schema, destination, other", IN_THE_RUN.pattern),
    ("memory tracker (samples RSS once a second)", r"_monitor_loop \("),
)
OTHER = "other"
OUTSIDE = "outside the engine's run: interpreter and CLI start-up, imports, requirements check, exit"
PROJECT_FRAME = re.compile(r"([\w.<>]+) \(((?:connector\.py|fts_connector/|contracts/)[^:]*):\d+\)")


def category(thread: str, stack: str) -> str:
    if thread == "MainThread" and not IN_THE_RUN.search(stack):
        return OUTSIDE
    for name, pattern in CATEGORIES:
        if re.search(pattern, stack):
            return name
    return OTHER


def parse_raw(text: str) -> list:
    """py-spy's raw lines ("process ...;thread (tid): name;frame;...;frame count") as (thread name, stack, count); a
    thread's samples that carry no name take the name its other samples give it."""
    names, samples = {}, []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        thread = re.match(r"thread \((\d+)\):? ?(.*)", frames[0]) if frames else None
        if not thread or not count.isdigit():
            continue
        tid, name = thread.groups()
        if name:
            names[tid] = name
        samples.append((tid, ";".join(frames[1:]), int(count)))
    return [(names.get(tid, f"thread {tid}"), stack, count) for tid, stack, count in samples]


def summarise(samples: list, rate: int) -> dict:
    """{thread: Counter(category: seconds)} and {thread: Counter(deepest connector frame: seconds)}."""
    by_category, by_frame = {}, {}
    for thread, stack, count in samples:
        seconds = count / rate
        by_category.setdefault(thread, Counter())[category(thread, stack)] += seconds
        own = PROJECT_FRAME.findall(stack)
        if own and (thread != "MainThread" or IN_THE_RUN.search(stack)):
            function, path = own[-1]
            by_frame.setdefault(thread, Counter())[f"{path}: {function}"] += seconds
    return {"categories": by_category, "own_frames": by_frame}


def within(samples: list, function: str, depth: int = 2, rate: int = 100) -> Counter:
    """Seconds of the samples whose stack holds `function` (e.g. "_Sync.flush"), by the `depth` frames called below
    its deepest occurrence, shortened to "function (file:line)"."""
    seconds = Counter()
    for _, stack, count in samples:
        frames = stack.split(";")
        found = [number for number, frame in enumerate(frames) if frame.startswith(function + " (")]
        if found:
            below = [re.sub(r" \((?:[^:]*/)?([^/:]+:\d+)\)", r" (\1)", frame)
                     for frame in frames[found[-1] + 1:found[-1] + 1 + depth]]
            seconds[" ← ".join(reversed(below)) or f"{function} itself"] += count / rate
    return seconds


def report(side: str, run: engine.Run | None, summary: dict, arguments, raw: Path) -> str:
    lines = [f"## {side}: {run.sync_seconds:.2f} s sync ({run.wall_seconds:.2f} s wall) under py-spy, "
             f"{run.checkpoints} checkpoints, {run.upserts:,} upserts" if run else f"## {raw}",
             "", f"Samples: {raw} ({'only the thread holding the GIL' if arguments.gil else 'every thread, idle too'}"
             f", {arguments.rate} a second).", ""]
    for thread, counter in sorted(summary["categories"].items(), key=lambda item: -sum(item[1].values())):
        lines += [f"Thread `{thread}`: {sum(counter.values()):.2f} s", "", "| seconds | what |", "|---:|---|"]
        lines += [f"| {seconds:.2f} | {name} |" for name, seconds in counter.most_common()]
        own = summary["own_frames"].get(thread)
        if own:
            lines += ["", f"Its samples within the engine's run by the deepest connector frame (top 12 of {len(own)}):",
                      "", "| seconds | frame |", "|---:|---|"]
            lines += [f"| {seconds:.2f} | `{frame}` |" for frame, seconds in own.most_common(12)]
        lines.append("")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--code", metavar="REV", help="a revision of this repository (git archive)")
    source.add_argument("--project", type=Path, metavar="DIR", help="a work tree as it is (default: this one)")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--detect-deletes", choices=("false", "default"), default="false")
    parser.add_argument("--side", choices=("connector", "floor", "both"), default="both")
    parser.add_argument("--gil", action="store_true", help="only the thread holding the GIL (default: all, idle too)")
    parser.add_argument("--rate", type=int, default=100, help="samples a second")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/fts-profile"),
                        help="where the runs' files and raw samples are kept (a new folder)")
    parser.add_argument("--summarise", type=Path, metavar="RAW",
                        help="only print the summary of raw samples recorded before (give --gil and --rate as then)")
    parser.add_argument("--within", metavar="FUNCTION",
                        help="with --summarise: the samples under FUNCTION (e.g. _Sync.flush) by the two frames below")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    arguments = parse_args(argv)
    if arguments.summarise and arguments.within:
        seconds = within(parse_raw(arguments.summarise.read_text()), arguments.within, rate=arguments.rate)
        print(f"{sum(seconds.values()):.2f} s under {arguments.within} in {arguments.summarise}\n\n| seconds | below |"
              "\n|---:|---|")
        print("\n".join(f"| {value:.2f} | `{frames}` |" for frames, value in seconds.most_common(15)))
        return 0
    if arguments.summarise:
        summary = summarise(parse_raw(arguments.summarise.read_text()), arguments.rate)
        print(report("", None, summary, arguments, arguments.summarise))
        return 0
    case = engine.Case(arguments.records, arguments.latency_ms,
                       None if arguments.detect_deletes == "default" else arguments.detect_deletes)
    arguments.folder.mkdir(parents=True)
    code = (engine.export_revision(arguments.code, arguments.folder / "code") if arguments.code
            else engine.work_tree(arguments.project or engine.ROOT))
    sides = ("connector", "floor") if arguments.side == "both" else (arguments.side,)
    print(f"# py-spy on `fivetran debug`: {case.name}, code {code.label} ({code.commit})\n")
    for side in sides:
        raw = arguments.folder / f"{side}.raw"
        prefix = ["py-spy", "record", "--subprocesses", "--threads", "--gil" if arguments.gil else "--idle",
                  "--rate", str(arguments.rate), "--format", "raw", "--output", str(raw), "--"]
        run = engine.fivetran_debug(code, side, case, folder=arguments.folder / side, prefix=prefix)
        print(report(side, run, summarise(parse_raw(raw.read_text()), arguments.rate), arguments, raw), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
