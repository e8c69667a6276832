"""Prints a sync state (files/state.json) for people: the tracked record_ids summarised, not printed whole.

    python -m tools.state_summary files/state.json     (from the project folder)

Used by debug_and_reset.sh for its "Next sync state" line; the ids are read with the connector's own decoding
(`fts_connector.refresh.RecordIds`)."""

import json
import sys
from pathlib import Path

from fts_connector.refresh import RecordIds

QUARANTINE_SHOWN = 5  # quarantined record_ids printed in full up to this many


def summarise_record_ids(member: dict) -> str:
    if member.get("beyond_bound"):
        return "not tracked (beyond the bound: deletes are skipped)"
    size = len(json.dumps(member, separators=(",", ":")))
    ids = RecordIds(member)
    text = f"{ids.count} tracked ({size:,} bytes), {sum(ids.missed)} missed by the last completed refresh"
    if ids.seen is not None:  # ids first loaded by the running refresh are the added ones
        text += f", {sum(ids.seen) + len(ids.added)} returned by the running refresh"
    return text


def summarise(state: dict) -> dict:
    shown = dict(state)
    if isinstance(shown.get("record_ids"), dict):
        shown["record_ids"] = summarise_record_ids(shown["record_ids"])
    quarantined = shown.get("quarantined")
    if isinstance(quarantined, dict) and len(quarantined) > QUARANTINE_SHOWN:
        shown["quarantined"] = f"{len(quarantined)} record_ids"
    return shown


def main(argv=None) -> int:
    path = Path((argv or sys.argv[1:])[0])
    text = path.read_text(encoding="utf-8")
    print(f"{json.dumps(summarise(json.loads(text)))} ({len(text.encode('utf-8')):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
