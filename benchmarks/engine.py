"""The headline benchmark: the connector against the SDK floor, both through the real `fivetran debug` CLI.

    python -m benchmarks.engine [--code REV ...] [--project DIR ...] [--rounds 3] [--records N] [--match REGEX]
        [--output PATH | --output -]

Every run is one `fivetran debug <folder> --configuration <file>` subprocess, in a fresh temporary folder of its own:
`project/` staged with the measured code's `tools/stage.sh` (exactly the shipped files), a fresh `home/` prepared by
`tools.engine.cli_environment` (the CLI's version checks marked done, a pipreqs stand-in, DO_NOT_TRACK: no network),
and `configuration.json`.

- The connector reads from the reference API (`python -m tools.fts_api --port 0 --records N --latency-ms L
  --api-key bench-key`, this tree's), a process of its own started for each connector run and stopped after it.
- The floor (`benchmarks/floor.py`) is staged the same way, then its connector.py replaces the connector's and a copy of
  `tools/fts_api.py` is added: it upserts the same N records from memory into the table the measured code declares,
  checkpointing by the measured code's own rule (`fts_connector.checkpoints`; `floor.earlier_rule` for older code).
- The code measured: `--code REV` (a commit, exported with `git archive` into a temporary folder; a revision without
  `tools/stage.sh` is staged with this tree's) or `--project DIR` (a work tree as it is on disk). Several may be
  given: all are measured in the same rounds. The default is this work tree.

Cases (the issue's): 20,000 records at 0 ms API latency and 10,000 at 50 ms, each with `detect_deletes` "false"
(both sides checkpoint every 100 records) and with the defaults (no `detect_deletes` in the configuration: "true",
whose cadence widens with the tracked ids). Every configuration sets page_size and checkpoint_every to 100, which
are the defaults.

Rounds are interleaved: each round runs every case, every code, connector and floor, before the next round starts,
and the order of connector and floor alternates from round to round. A round's ratio is floor seconds ÷ connector
seconds (1.0: the connector costs what the SDK floor costs); the report gives each round's figures and the medians.

Seconds, two of them per run: `sync`, the CLI's own `SYNC SUCCEEDED — total elapsed` (from the engine's start,
before schema(), to the final flush: the headline), and `wall`, the whole `fivetran debug` subprocess (Python and
the CLI starting, the connector's imports, the requirements check, the sync, exit). Every run is verified, or the
benchmark stops: the CLI exits 0, `Upserts` in its operation summary is N, the warehouse holds N rows with N
distinct record_ids, and the connector's `Checkpoints` equals its floor's in the same round.

Writes benchmarks/ENGINE.md (`--output`): the machine, the date, the command, the commits, each round's seconds,
the medians and the ratios.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from benchmarks.bench import machine, markdown_table
from benchmarks.case import API_KEY, ROOT, reference_api
from tools.engine import cli_environment

RESULTS = ROOT / "benchmarks" / "ENGINE.md"
FIVETRAN = Path(sys.executable).parent / "fivetran"  # the CLI installed beside this Python
PAGE_SIZE = 100
CHECKPOINT_EVERY = 100
RUN_TIMEOUT = 1800  # seconds; a run that takes longer is a failure

SYNC_ELAPSED = re.compile(r"SYNC SUCCEEDED — total elapsed (\d+):(\d\d):(\d\d)\.(\d{3})")
COUNT = re.compile(r"^\s*(Upserts|Checkpoints)\s+\|\s+(\d+)", re.MULTILINE)
MEMORY = re.compile(r"memory usage: average ([0-9.]+) MB, peak ([0-9.]+) MB")
GENERATED = re.compile(r"floor generated \d+ records in ([0-9.]+) s")


class BenchmarkError(RuntimeError):
    """A run failed or did not load what it should have: the benchmark stops rather than report it."""


@dataclass(frozen=True)
class Case:
    """One configuration both sides run: N records, the API's latency, and `detect_deletes` ("false", or None for the
    default); the connector's `contract_mode` (None: the default); the page size both sides set."""

    records: int
    latency_ms: int
    detect_deletes: str | None
    contract_mode: str | None = None
    page_size: int = PAGE_SIZE

    @property
    def name(self) -> str:
        deletes = "defaults" if self.detect_deletes is None else f"detect_deletes {self.detect_deletes}"
        pages = "" if self.page_size == PAGE_SIZE else f", page_size {self.page_size}"
        return f"{self.records:,} records, {self.latency_ms} ms, {deletes}{pages}"


CASES = (Case(20_000, 0, "false"), Case(10_000, 50, "false"), Case(20_000, 0, None), Case(10_000, 50, None))


@dataclass(frozen=True)
class Code:
    """The connector code measured: `tree` holds its files (connector.py, fts_connector/, ..., maybe tools/stage.sh)."""

    label: str  # as given: the revision or the folder
    tree: Path
    commit: str  # the full commit, with " + uncommitted changes" for a work tree that has them
    exported: bool = False  # a temporary copy (`--code`), which staging may add a file to; a work tree is only read


@dataclass
class Run:
    """What one `fivetran debug` run measured."""

    side: str  # "connector" or "floor"
    sync_seconds: float  # the CLI's "SYNC SUCCEEDED — total elapsed"
    wall_seconds: float  # the whole subprocess
    cpu_seconds: float  # the CLI process's user + system CPU (every thread)
    upserts: int
    checkpoints: int
    rows: int
    distinct_ids: int
    peak_mb: float | None  # the CLI's "memory usage: ... peak": RSS above its start, sampled once a second
    api_cpu_seconds: float | None  # the reference API process's user + system CPU (a connector run's)
    generate_seconds: float | None  # the floor's own log: seconds spent generating its records (a floor run's)
    load: float  # the machine's 1-minute load average just before the run (it is shared: other work slows it)


# --------------------------------------------------------------------------- the code measured


def git(*arguments, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def export_revision(revision: str, into: Path) -> Code:
    """The files of `revision` (of this repository) as `git archive` gives them, in `into`."""
    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return Code(revision, into, commit, exported=True)


def work_tree(folder: Path) -> Code:
    """A work tree as it is on disk; its commit says whether it has uncommitted changes."""
    folder = folder.resolve()
    commit = git("rev-parse", "HEAD", cwd=folder)
    dirty = git("status", "--porcelain", "--untracked-files=no", cwd=folder)
    return Code(str(folder), folder, commit + (" + uncommitted changes" if dirty else ""))


def stage_script(code: Code) -> Path:
    """The measured code's own tools/stage.sh (its list of shipped files), or this tree's for code older than it."""
    own = code.tree / "tools" / "stage.sh"
    if own.exists():
        return own
    if not code.exported:
        raise BenchmarkError(f"{code.tree} has no tools/stage.sh: measure it with --code REV instead")
    copy = code.tree / "tools" / "stage.sh"
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(ROOT / "tools" / "stage.sh", copy)
    return copy


def stage(code: Code, side: str, project: Path) -> None:
    """Stages the shipped files of `code` into `project` (a new folder); for the floor, its connector.py is
    benchmarks/floor.py and tools/fts_api.py (records and cursors, stdlib only) is added."""
    project.mkdir()
    subprocess.run(["bash", str(stage_script(code)), str(project)], check=True)
    if side == "floor":
        shutil.copy(ROOT / "benchmarks" / "floor.py", project / "connector.py")
        (project / "tools").mkdir()
        (project / "tools" / "__init__.py").write_text("")
        shutil.copy(ROOT / "tools" / "fts_api.py", project / "tools" / "fts_api.py")


# --------------------------------------------------------------------------- one run


def configuration(case: Case, side: str, base_url: str | None) -> dict:
    """The configuration of one side of a case (every value a string, as Fivetran gives them)."""
    values = {"page_size": str(case.page_size), "checkpoint_every": str(CHECKPOINT_EVERY)}
    if side == "connector":
        values.update(api_key=API_KEY, base_url=base_url)
        if case.contract_mode is not None:
            values["contract_mode"] = case.contract_mode
    else:
        values.update(records=str(case.records))
    if case.detect_deletes is not None:
        values["detect_deletes"] = case.detect_deletes
    return values


def parse_output(output: str) -> dict:
    """The figures the CLI prints at the end of a sync: the sync's seconds, Upserts, Checkpoints, peak memory (and
    the floor's seconds generating its records)."""
    elapsed = SYNC_ELAPSED.search(output)
    counts = dict(COUNT.findall(output))
    if not elapsed or set(counts) != {"Upserts", "Checkpoints"}:
        raise BenchmarkError(f"no SYNC SUCCEEDED summary in the CLI's output:\n{output[-3000:]}")
    hours, minutes, seconds, milliseconds = (int(part) for part in elapsed.groups())
    memory, generated = MEMORY.search(output), GENERATED.search(output)
    return {"sync_seconds": hours * 3600 + minutes * 60 + seconds + milliseconds / 1000,
            "upserts": int(counts["Upserts"]), "checkpoints": int(counts["Checkpoints"]),
            "peak_mb": float(memory.group(2)) if memory else None,
            "generate_seconds": float(generated.group(1)) if generated else None}


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fivetran_debug(code: Code, side: str, case: Case, folder: Path | None = None, prefix: list | None = None) -> Run:
    """One `fivetran debug` run of `side` in a fresh folder and HOME (a connector run with the reference API in a
    process of its own, started after staging and stopped after the run); returns what it measured. With `folder`
    (a new folder's path) the run's files are kept there; `prefix` goes before the command (e.g. a profiler's)."""
    with contextlib.ExitStack() as stack:
        folder = folder or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"fts-engine-{side}-")))
        folder.mkdir(parents=True, exist_ok=True)
        project, settings = folder / "project", folder / "configuration.json"
        stage(code, side, project)
        environment = cli_environment(folder / "home")
        before_api = children_cpu_seconds()
        with reference_api(case.records, case.latency_ms) if side == "connector" else contextlib.nullcontext() as url:
            settings.write_text(json.dumps(configuration(case, side, url)))
            command = [*(prefix or []), str(FIVETRAN), "debug", str(project), "--configuration", str(settings)]
            load, cpu_before, began = os.getloadavg()[0], children_cpu_seconds(), time.perf_counter()
            process = subprocess.run(command, cwd=project, env=environment, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT)
            wall, cpu = time.perf_counter() - began, children_cpu_seconds() - cpu_before
        api_cpu = children_cpu_seconds() - before_api - cpu if side == "connector" else None
        (folder / "output.txt").write_text(process.stdout)
        if process.returncode != 0:
            raise BenchmarkError(f"{side}, {case.name}, {code.label}: fivetran debug exited with "
                                 f"{process.returncode}:\n{process.stdout[-3000:]}")
        figures = parse_output(process.stdout)
        with duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True) as db:
            rows, distinct = db.sql("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records").fetchone()
    return Run(side, figures["sync_seconds"], wall, cpu, figures["upserts"], figures["checkpoints"], rows, distinct,
               figures["peak_mb"], api_cpu, figures["generate_seconds"], load)


def verify(case: Case, connector: Run, floor: Run, what: str) -> None:
    """Stops the benchmark unless both sides loaded N distinct records and checkpointed as often."""
    problems = [f"{run.side} {name} {getattr(run, name)} != {case.records}"
                for run in (connector, floor) for name in ("upserts", "rows", "distinct_ids")
                if getattr(run, name) != case.records]
    if connector.checkpoints != floor.checkpoints:
        problems.append(f"connector checkpoints {connector.checkpoints} != floor checkpoints {floor.checkpoints}")
    if problems:
        raise BenchmarkError(f"{what}: {'; '.join(problems)}")


def measure_pair(code: Code, case: Case, floor_first: bool) -> tuple:
    """The connector and its floor for one case, one after the other; returns (connector run, floor run)."""
    if floor_first:
        floor = fivetran_debug(code, "floor", case)
        connector = fivetran_debug(code, "connector", case)
    else:
        connector = fivetran_debug(code, "connector", case)
        floor = fivetran_debug(code, "floor", case)
    verify(case, connector, floor, f"{case.name}, {code.label}")
    return connector, floor


# --------------------------------------------------------------------------- rounds and report


def run_rounds(codes: list, cases: list, rounds: int) -> dict:
    """Every round runs every case and code, connector and floor; from one round to the next the order of connector
    and floor, and of the codes, is reversed. Returns {(case, code label): [(connector run, floor run) per round]}."""
    results = {(case, code.label): [] for case in cases for code in codes}
    for number in range(rounds):
        for case in cases:
            for code in codes if number % 2 == 0 else codes[::-1]:
                connector, floor = measure_pair(code, case, floor_first=number % 2 == 1)
                results[(case, code.label)].append((connector, floor))
                print(f"round {number + 1}/{rounds} {case.name}, {code.label}: "
                      f"connector {connector.sync_seconds:.2f} s (wall {connector.wall_seconds:.2f}), "
                      f"floor {floor.sync_seconds:.2f} s (wall {floor.wall_seconds:.2f}), "
                      f"ratio {ratio(connector, floor):.3f}, {connector.checkpoints} checkpoints", flush=True)
    return results


def ratio(connector: Run, floor: Run, seconds: str = "sync_seconds") -> float:
    """Floor seconds ÷ connector seconds: 1.0 when the connector costs what the SDK floor costs."""
    return getattr(floor, seconds) / getattr(connector, seconds)


def summary(pairs: list) -> dict:
    """The medians of one case and code over its rounds."""
    def median(side: int, seconds: str) -> float:
        return statistics.median(getattr(pair[side], seconds) for pair in pairs)

    return {
        "ratios": [ratio(*pair) for pair in pairs], "ratio": statistics.median(ratio(*pair) for pair in pairs),
        "wall_ratio": statistics.median(ratio(*pair, seconds="wall_seconds") for pair in pairs),
        "cpu_ratio": statistics.median(ratio(*pair, seconds="cpu_seconds") for pair in pairs),
        "connector": median(0, "sync_seconds"), "floor": median(1, "sync_seconds"),
        "connector_wall": median(0, "wall_seconds"), "floor_wall": median(1, "wall_seconds"),
        "connector_cpu": median(0, "cpu_seconds"), "floor_cpu": median(1, "cpu_seconds"),
        "checkpoints": pairs[0][0].checkpoints,
    }


def report(results: dict, codes: list, rounds: int, command: str, started: datetime, elapsed: float,
           load: tuple) -> str:
    medians = [
        [case.name, f"`{label}`", f"{figures['checkpoints']:,}", f"{figures['connector']:.2f}",
         f"{figures['floor']:.2f}", f"**{figures['ratio']:.3f}**", ", ".join(f"{r:.3f}" for r in figures["ratios"]),
         f"{figures['connector_wall']:.2f}", f"{figures['floor_wall']:.2f}", f"{figures['wall_ratio']:.3f}",
         f"{figures['connector_cpu']:.2f}", f"{figures['floor_cpu']:.2f}", f"{figures['cpu_ratio']:.3f}"]
        for (case, label), pairs in results.items() for figures in [summary(pairs)]]
    per_round = [
        [case.name, f"`{label}`", str(number), f"{connector.sync_seconds:.3f}", f"{floor.sync_seconds:.3f}",
         f"{ratio(connector, floor):.3f}", f"{connector.wall_seconds:.2f}", f"{floor.wall_seconds:.2f}",
         f"{connector.cpu_seconds:.2f}", f"{connector.api_cpu_seconds:.2f}", f"{floor.cpu_seconds:.2f}",
         f"{floor.generate_seconds:.2f}", f"{connector.checkpoints:,}", _mb(connector.peak_mb), _mb(floor.peak_mb),
         f"{connector.load:.2f}", f"{floor.load:.2f}"]
        for (case, label), pairs in results.items() for number, (connector, floor) in enumerate(pairs, 1)]
    lines = [
        "# The connector against the SDK floor through the real `fivetran debug`",
        "",
        f"Written by `python -m benchmarks.engine` (method: `benchmarks/engine.py`, `benchmarks/README.md`). "
        f"{started:%Y-%m-%d %H:%M} UTC, {machine()}, {platform.node()}; {_sdk_version()}; load average "
        f"{load[0][0]:.2f} before, {load[1][0]:.2f} after; {rounds} interleaved round(s) in {elapsed / 60:.1f} min.",
        "",
        f"Command: `{command}`",
        "",
        "Code measured:",
        "",
        *(f"- `{code.label}`: {code.commit}" for code in codes),
        "",
        "Ratio = floor seconds ÷ connector seconds, each round against the same round's floor; the medians are over "
        "the rounds. `sync` seconds are the CLI's `SYNC SUCCEEDED — total elapsed` (the headline), `wall` the whole "
        "`fivetran debug` process, CPU its user + system seconds (every thread; not the API's), the least "
        "disturbed by other work on the machine. Page size 100 (unless the case names another) and checkpoint_every "
        "100 on both sides; \"defaults\": no `detect_deletes` in the configuration.",
        "",
        *markdown_table(columns("case", "code", "checkpoints", "connector s", "floor s", "ratio", "per-round ratios",
                                "connector wall s", "floor wall s", "wall ratio", "connector CPU s", "floor CPU s",
                                "CPU ratio"), medians),
        "",
        "Each round. CPU: user + system seconds of the `fivetran debug` process (every thread) and of the reference "
        "API's process; floor generating: the floor's own seconds building its records (part of its sync); peak MB: "
        "the CLI's memory report (RSS above its start, sampled once a second); load: the machine's 1-minute load "
        "average just before the run (2 CPUs, shared with other work).",
        "",
        *markdown_table(columns("case", "code", "round", "connector sync s", "floor sync s", "ratio",
                                "connector wall s", "floor wall s", "connector CPU s", "API CPU s", "floor CPU s",
                                "floor generating s", "checkpoints", "connector peak MB", "floor peak MB",
                                "load before connector", "load before floor"), per_round),
        "",
    ]
    return "\n".join(lines)


def columns(*headings: str) -> list:
    """(heading, alignment) pairs for `markdown_table`: the first two columns are text, the rest figures."""
    return [(heading, "l" if number < 2 else "r") for number, heading in enumerate(headings)]


def _mb(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _sdk_version() -> str:
    from importlib.metadata import version
    return f"fivetran-connector-sdk {version('fivetran-connector-sdk')}"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__.splitlines()[0])
    parser.add_argument("--code", action="append", default=[], metavar="REV",
                        help="a revision of this repository to measure (git archive); repeatable")
    parser.add_argument("--project", action="append", default=[], type=Path, metavar="DIR",
                        help="a work tree to measure as it is on disk; repeatable (default: this one, if no --code)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, help="N for every case instead of the issue's 20,000 and 10,000")
    parser.add_argument("--match", help="only the cases whose name matches this regular expression")
    parser.add_argument("--page-size", type=int, action="append", metavar="N",
                        help=f"the page_size both sides set; repeatable: every case at each (default {PAGE_SIZE}, "
                             "the connector's default)")
    parser.add_argument("--output", default=str(RESULTS), help="the results file; '-' prints only")
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    return arguments


def select_cases(records: int | None, match: str | None, page_sizes: list[int] | None = None) -> list:
    cases = [Case(records or case.records, case.latency_ms, case.detect_deletes, page_size=page_size)
             for case in CASES for page_size in page_sizes or [PAGE_SIZE]]
    cases = [case for case in dict.fromkeys(cases) if not match or re.search(match, case.name)]
    if not cases:
        raise SystemExit(f"no case matches {match!r}: {', '.join(case.name for case in CASES)}")
    return cases


def main(argv=None) -> int:
    arguments = parse_args(argv)
    cases = select_cases(arguments.records, arguments.match, arguments.page_size)
    started, began, load_before = datetime.now(timezone.utc), time.perf_counter(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="fts-engine-code-") as exports:
        codes = [export_revision(revision, Path(exports) / f"code-{number}")
                 for number, revision in enumerate(arguments.code)]
        codes += [work_tree(folder) for folder in arguments.project]
        codes = codes or [work_tree(ROOT)]
        try:
            results = run_rounds(codes, cases, arguments.rounds)
        except BenchmarkError as error:
            print(f"benchmark stopped: {error}", file=sys.stderr)
            return 1
    command = shlex.join(["python", "-m", "benchmarks.engine", *(argv if argv is not None else sys.argv[1:])])
    text = report(results, codes, arguments.rounds, command, started, time.perf_counter() - began,
                  (load_before, os.getloadavg()))
    print(text)
    if arguments.output != "-":
        Path(arguments.output).write_text(text)
        print(f"written to {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
