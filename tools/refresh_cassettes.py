"""Re-records the normal-traffic cassettes against a live FTS API, through the connector's own HTTP path.

    FTS_API_KEY=… [FTS_BASE_URL=https://…] tox -e refresh-cassettes

Records full_sync, page_size_200, resume_mid_sync and incremental into a temporary folder first, then replays each
recording as the suite does (tests/test_cassettes.py: what its own pages say, see `tools.cassettes.expected_replay`).
The committed cassettes are replaced only when every recording succeeded and replays as recorded, every recorded
record passes the contract's hard rules, and no file holds the key; otherwise all are kept and the reason printed.
Either way a drift report compares what the API sent with the contract and with the cassettes it would replace.
Fault cassettes stay as `python -m tools.cassettes` makes them from the reference API.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from fts_connector.drift import Drift
from fts_connector.settings import DEFAULT_BASE_URL, ConfigurationError, load_settings
from fts_connector.validation import check_records
from tools.cassettes import CASSETTES, SCENARIOS, cassette_path, expected_replay, record, replay, replay_problems


def responses(path: Path) -> list:
    """The JSON bodies of the 200 responses a cassette holds."""
    if not path.exists():
        return []
    bodies = []
    for interaction in yaml.safe_load(path.read_text())["interactions"]:
        if interaction["response"]["status"]["code"] == 200:
            bodies.append(json.loads(interaction["response"]["body"]["string"]))
    return bodies


def field_types(bodies: list) -> dict:
    """field -> Counter of the JSON types its values had."""
    types: dict = {}
    items = [item for body in bodies for item in body.get("fts_records", []) if isinstance(item, dict)]
    for item in items:
        for name, value in item.items():
            types.setdefault(name, Counter())[type(value).__name__] += 1
    return types


def drift_report(scenario_bodies: dict, committed: Path) -> tuple[list, list]:
    """(report lines, problems): counts, contract drift, and type changes against the committed full_sync cassette."""
    lines, problems, drift = [], [], Drift()
    for name, bodies in scenario_bodies.items():
        records = [record for body in bodies for record in body["fts_records"]]
        verdict = check_records(records)
        if name == "full_sync":  # the whole dataset once: its drift is the API's
            drift = verdict.drift
        lines.append(f"{name}: {len(records)} records in {len(bodies)} pages")
        for rejection in verdict.rejected:
            problems.append(f"{name}: record {rejection.record_id or '(no record_id)'} breaks hard rules: "
                            f"{json.dumps(list(rejection.reasons))}")
    lines.append(drift.summary() if not drift.is_empty() else "contract drift (full sync): none")
    before, after = field_types(responses(cassette_path("full_sync", committed))), field_types(
        scenario_bodies.get("full_sync", []))
    for name in sorted(set(before) | set(after)):
        was, now = sorted(before.get(name, {})), sorted(after.get(name, {}))
        if was != now:
            lines.append(f"type change: {name}: {'/'.join(was) or 'absent'} -> {'/'.join(now) or 'absent'}")
    return lines, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cassettes", type=Path, default=CASSETTES, help="the folder to refresh (default cassettes/)")
    args = parser.parse_args(argv)
    api_key = os.environ.get("FTS_API_KEY", "").strip()
    base_url = os.environ.get("FTS_BASE_URL", DEFAULT_BASE_URL)
    if not api_key:
        print("FTS_API_KEY is not set: export the FTS API key to record with (it is never written to a cassette). "
              "Nothing was changed.", file=sys.stderr)
        return 2
    try:
        base_url = load_settings({"api_key": api_key, "base_url": base_url}).base_url
    except ConfigurationError as error:
        print(f"FTS_BASE_URL: {error}. Nothing was changed.", file=sys.stderr)
        return 2
    normal = [scenario for scenario in SCENARIOS if scenario.normal]
    print(f"recording {', '.join(s.name for s in normal)} from {base_url}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        problems, bodies = [], {}
        for scenario in normal:
            try:
                run = record(scenario, folder, base_url, api_key)
                error = run.error
            except RuntimeError as failure:  # a setup sync failed
                error = failure
            if error is not None:
                problems.append(f"{scenario.name}: the recorded sync failed: {str(error).splitlines()[0]}")
            bodies[scenario.name] = responses(cassette_path(scenario.name, folder))
        lines, contract_problems = drift_report(bodies, args.cassettes)
        problems += contract_problems
        problems += [f"{path.name} holds the API key" for path in folder.glob("*.yaml") if api_key in path.read_text()]
        print("\n".join(lines))
        if not problems:
            problems += replayed(normal, folder)
        names = [cassette_path(scenario.name, args.cassettes).name for scenario in normal]
        if problems:
            print(f"\nThe committed cassettes were left untouched (kept every cassette in {args.cassettes}, replaced "
                  "none) because:\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
            return 1
        args.cassettes.mkdir(parents=True, exist_ok=True)
        for scenario in normal:
            shutil.copyfile(cassette_path(scenario.name, folder), cassette_path(scenario.name, args.cassettes))
    kept = sorted(path.name for path in args.cassettes.glob("*.yaml") if path.name not in names)
    print(f"\nreplaced {len(normal)} cassettes ({', '.join(names)}) in {args.cassettes}: recorded from {base_url}, "
          f"each replayed as its pages say\nkept {', '.join(kept) or 'no other cassette'}: fault and full-refresh "
          "scenarios, recorded from the reference API only (`python -m tools.cassettes`)")
    return 0


def replayed(normal: list, folder: Path) -> list:
    """Replays each recording as the suite does; prints what each did and returns the differences found."""
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        for scenario in normal:
            path = cassette_path(scenario.name, folder)
            expected = expected_replay(path)
            try:
                (Path(scratch) / scenario.name).mkdir()
                found = replay_problems(path, replay(path, Path(scratch) / scenario.name))
            except AssertionError as failure:
                found = [str(failure)]
            print(f"replayed {scenario.name}: {expected.upserts} records in {expected.requests} pages, "
                  f"{len(expected.checkpoints)} checkpoints, {'as recorded' if not found else 'NOT as recorded'}")
            problems += found
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
