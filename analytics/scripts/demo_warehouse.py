"""Build the LogLynx demo warehouse: three real `fivetran debug` syncs of the reference FTS API into files/.

    python analytics/scripts/demo_warehouse.py        (from the project, with fivetran-connector-sdk installed)

The same connector files as `debug_and_reset.sh --demo` (staged by tools/stage.sh) sync 750 records from the
reference API (tools/fts_api.py) on a free loopback port, with `full_refresh_hours` 0 (every sync a full refresh) and
`detect_deletes` on, so that the edge cases reach the warehouse the way a real connection would bring them:

1. the first sync: 10 records break a hard rule of the contract (they land in fts_records_rejected), and five are
   valid but odd: lower-case type and status, a failure rate of 1.5, a cost of -50, no maintenance_cost, no log_date;
2. the API stops serving two records and edits two others; the second sync (a full refresh) loads the edits and
   misses the two records once;
3. the third sync misses them again: two completed full refreshes without them, so they are soft-deleted
   (`_fivetran_deleted` true).

It resets the connector first (files/state.json and files/warehouse.db are replaced), like `debug_and_reset.sh --yes`.
Environment: FIVETRAN (the CLI, default `fivetran`).
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

from tools.fts_api import FtsApiServer, generate_record  # noqa: E402

RECORDS = 750
SEED = 42
BAD_RECORDS = 10
OMITTED = (400, 401)  # no longer served from the second sync on: soft-deleted by the third
EDITED = (10, 375)  # served edited from the second sync on (another status, cost + 100)


def odd_but_valid_records() -> dict:
    """Offsets served in place of the generated record: loadable values the marts must normalise or leave out."""
    def changed(offset: int, **values) -> dict:
        record = generate_record(SEED, offset)
        for name, value in values.items():
            if value is None:
                del record[name]
            else:
                record[name] = value
        return record

    return {
        20: changed(20, maintenance_type="predictive", maintenance_status="completed"),
        21: changed(21, failure_rate=1.5),
        22: changed(22, maintenance_cost=-50.0),
        23: changed(23, maintenance_cost=None),
        24: changed(24, log_date=None),
    }


def run_sync(number: int, stage: Path, configuration: Path, work: Path) -> None:
    fivetran = os.environ.get("FIVETRAN", "fivetran")
    log_path = work / f"sync{number}.log"
    with log_path.open("w") as log:
        status = subprocess.run(
            [fivetran, "debug", str(stage), "--configuration", str(configuration)],
            cwd=stage, stdout=log, stderr=subprocess.STDOUT, check=False,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        ).returncode
    lines = log_path.read_text(errors="replace").splitlines()
    closing = [line.split("INFO", 1)[-1].strip(": ") for line in lines
               if "sync complete:" in line or "soft-deleted" in line and "full refresh:" in line]
    if status != 0 or not any("sync complete:" in line for line in closing):
        print("\n".join(lines[-30:]), file=sys.stderr)
        raise SystemExit(f"✗ sync {number}: fivetran debug exited with {status} (its last lines above)")
    for line in closing:
        print(f"  sync {number}: {line}")


def main() -> int:
    fivetran = os.environ.get("FIVETRAN", "fivetran")
    reset = subprocess.run([fivetran, "reset", str(PROJECT), "--yes"], capture_output=True, text=True, check=False)
    if reset.returncode != 0:
        print(reset.stdout + reset.stderr, file=sys.stderr)
        raise SystemExit("✗ fivetran reset failed (output above)")
    (PROJECT / "files").mkdir(exist_ok=True)
    (PROJECT / "crash-reports").mkdir(exist_ok=True)
    key = f"demo-{secrets.token_hex(8)}"
    with tempfile.TemporaryDirectory(prefix="loglynx-demo-") as temp, FtsApiServer(
        records=RECORDS, api_key=key, seed=SEED, bad_records=BAD_RECORDS, served_instead=odd_but_valid_records()
    ) as api:
        work = Path(temp)
        stage = work / "connector"
        stage.mkdir()
        subprocess.run(["bash", str(PROJECT / "tools" / "stage.sh"), str(stage)], check=True)
        (stage / "files").symlink_to(PROJECT / "files")
        (stage / "crash-reports").symlink_to(PROJECT / "crash-reports")
        configuration = work / "configuration.json"
        configuration.write_text(json.dumps({
            "api_key": key, "base_url": api.base_url, "page_size": "100",
            "full_refresh_hours": "0", "detect_deletes": "true",
        }))
        configuration.chmod(0o600)
        print(f"Reference FTS API on {api.base_url}: {RECORDS} records, {BAD_RECORDS} breaking the contract, "
              f"5 odd but valid (offsets 20-24)")
        run_sync(1, stage, configuration, work)
        api.omit(*OMITTED)
        api.edit(*EDITED)
        print(f"The API stops serving offsets {OMITTED} and edits {EDITED}")
        run_sync(2, stage, configuration, work)
        run_sync(3, stage, configuration, work)
    print(f"✓ demo warehouse: {PROJECT / 'files' / 'warehouse.db'} (state: files/state.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
