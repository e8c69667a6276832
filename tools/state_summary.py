"""Prints a sync state (files/state.json) for people: the tracked record_ids summarised, not printed whole.

    python tools/state_summary.py files/state.json

Used by debug_and_reset.sh for its "Next sync state" line. Standard library only, so that it runs by its path."""

import base64
import json
import sys
import zlib
from pathlib import Path

QUARANTINE_SHOWN = 5  # quarantined record_ids printed in full up to this many


def _flags_set(text: str | None) -> int:
    """How many flags are 1 (fts_connector/refresh.py: the binary digits of one number after a leading 1)."""
    return bin(int.from_bytes(base64.b64decode(text), "big")).count("1") - 1 if text else 0


def summarise_record_ids(member: dict) -> str:
    if member.get("beyond_bound"):
        return "not tracked (beyond the bound: deletes are skipped)"
    size = len(json.dumps(member, separators=(",", ":")))
    text = (f"{member.get('count', 0)} tracked ({size:,} bytes), {_flags_set(member.get('missed'))} missed by the "
            "last completed refresh")
    if "seen" in member:
        text += f", {_returned(member)} returned by the running refresh"
    return text


def _returned(member: dict) -> int:
    added = sum(len(json.loads(zlib.decompress(base64.b64decode(block)))) for block in member.get("added", []))
    return _flags_set(member.get("seen")) + added


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
