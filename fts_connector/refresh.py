"""Full refreshes on a schedule, and the record_ids they use to find records the API no longer serves.

The state holds two members for this (besides `next_cursor` and `quarantined`):

- `full_refresh`: `{"last_completed_at": <UTC ISO time or null>}`, plus `started_at` while a refresh runs. A sync is a
  full refresh (it starts from the first page) when no refresh has completed yet or the last one completed at least
  `full_refresh_hours` ago; a refresh that stopped before its last page is continued by the next sync from its cursor.
- `record_ids` (only with `detect_deletes`): the record_ids the connector has loaded (into either table), with one
  flag per id saying whether the last completed refresh returned it, and, while a refresh runs, whether this refresh
  has returned it so far. They are stored sorted and compact (see `encode_ids`): UUIDs, as the FTS API sends, packed
  as 16 bytes each.

Never a false delete: when a refresh completes, a loaded record is soft-deleted only if this refresh AND the previous
completed one both did not return it. One refresh can miss a record the API still serves (a record removed behind
the refresh's position moves the next one across a page boundary); the next refresh returns it. The cost: a record
the API removed is deleted when the second completed refresh after its removal ends, i.e. between one and two
`full_refresh_hours` after it went. Only ids the connector loaded are ever deleted, and only at the end of a completed
refresh, together with the checkpoint that records it (a refresh that fails or stops early deletes nothing).

Limits: a record that two consecutive refreshes both fail to return while the API serves it (removals behind the
position at the same place in both, or an API that ends its pagination early twice) would be deleted; it comes back
to life as soon as a sync returns it. The whole state goes with every checkpoint: see `records_per_checkpoint` for how
the checkpoints keep that cost in proportion to the records they save (benchmarks/REFRESH.md).
"""

import base64
import json
import re
import zlib
from datetime import datetime, timedelta, timezone

from fivetran_connector_sdk import Logging as log

MAX_TRACKED_IDS = 120_000  # the most record_ids tracked for delete detection (the state stays under 4 MB)
IDS_PER_RECORD_SAVED = 10  # a checkpoint carries at most about this many tracked ids per record it saves


def records_per_checkpoint(checkpoint_every: int, tracked_ids: int) -> int:
    """How many records a checkpoint waits for: `checkpoint_every`, or a tenth of the tracked record_ids when that is
    more. Every checkpoint carries the whole state, ids included (21.3 bytes per UUID): at a fixed cadence, a refresh
    of N records would write them N / checkpoint_every times, which grows with N squared (at 100,000 records and the
    default 100: 1,000 checkpoints of up to 2.1 MB). This way the ids add about 213 bytes per record saved whatever N;
    with the default 100, nothing changes up to 1,000 tracked ids (750 records included). A failed refresh re-reads
    at most a tenth of the tracked ids' count. Past MAX_TRACKED_IDS no ids are tracked (`RecordIds` gives up), so the
    cadence is `checkpoint_every` again."""
    if tracked_ids > MAX_TRACKED_IDS:
        return checkpoint_every
    return max(checkpoint_every, tracked_ids // IDS_PER_RECORD_SAVED)


def utc_now() -> datetime:
    """The clock the schedule reads (tests replace it)."""
    return datetime.now(timezone.utc)


PACKED_UUIDS = "uuid:"  # the prefix of ids packed as UUIDs (not a base64 character: the other form never has it)
_UUIDS = re.compile(r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})*")


def encode_ids(ids) -> str:
    """Sorted record_ids as a compact, deterministic text. When every id is a lowercase UUID (what the FTS API sends):
    `uuid:` and their 16 bytes each, base64 (21.3 characters per id; as JSON and zlib they took 28). Otherwise: JSON,
    zlib-compressed, base64. The state goes whole with every checkpoint, so its size is what a checkpoint costs."""
    ids = sorted(ids)
    joined = "".join(ids)
    if ids and set(map(len, ids)) == {36} and _UUIDS.fullmatch(joined):
        return PACKED_UUIDS + base64.b64encode(bytes.fromhex(joined.replace("-", ""))).decode("ascii")
    text = json.dumps(ids, separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def decode_ids(text: str) -> list:
    if text.startswith(PACKED_UUIDS):
        digits = base64.b64decode(text[len(PACKED_UUIDS):]).hex()
        return [f"{digits[i:i + 8]}-{digits[i + 8:i + 12]}-{digits[i + 12:i + 16]}-{digits[i + 16:i + 20]}-"
                f"{digits[i + 20:i + 32]}" for i in range(0, len(digits), 32)]
    return json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8"))


_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_AS_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


def encode_flags(flags: bytearray) -> str:
    """One flag (0 or 1) per tracked id, in the order of the sorted ids, packed as the binary digits of one number
    (after a leading 1 that keeps leading zeros), base64: 100,000 flags take 16.7 kB and well under 1 ms, which
    matters as a refresh writes them at every checkpoint."""
    number = int(b"1" + bytes(flags).translate(_AS_DIGITS), 2)
    return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode("ascii")


def decode_flags(text: str, size: int) -> bytearray:
    digits = bin(int.from_bytes(base64.b64decode(text), "big"))[3:]  # without "0b" and the leading 1
    if len(digits) != size:
        raise ValueError(f"the state's record_ids flags hold {len(digits)} entries for {size} ids")
    return bytearray(digits.encode("ascii").translate(_AS_FLAGS))


class RecordIds:
    """The record_ids the connector has loaded, and which of them the last and the running refresh returned.

    `known` is the sorted list written at the last compaction; ids loaded since then are in `added` (encoded in blocks,
    one per checkpoint, so that a checkpoint never re-encodes the whole list). `missed[i]` is 1 when the last completed
    refresh did not return `known[i]`; `seen[i]` is 1 when the running refresh has returned it (None: none runs)."""

    def __init__(self, member: dict | None):
        member = member or {}
        self.beyond_bound = bool(member.get("beyond_bound"))
        self._known_text = member.get("known")
        self.known = decode_ids(self._known_text) if self._known_text else []
        self.position = {record_id: i for i, record_id in enumerate(self.known)}
        self.blocks = list(member.get("added", []))
        self.added = {record_id for block in self.blocks for record_id in decode_ids(block)}
        self.pending = []  # ids added since the last checkpoint: the next block
        size = len(self.known)
        self.missed = decode_flags(member["missed"], size) if "missed" in member else bytearray(size)
        self.seen = decode_flags(member["seen"], size) if "seen" in member else None
        self.changed = False  # since the last checkpoint
        self.warned = False

    @property
    def count(self) -> int:
        return len(self.known) + len(self.added)

    def compact(self) -> None:
        """Merges the added ids into the sorted list; the missed flags follow their ids."""
        missed = {self.known[i] for i, flag in enumerate(self.missed) if flag}
        self._set_known(set(self.known) | self.added, missed)

    def _set_known(self, ids, missed: set) -> None:
        self.known = sorted(ids)
        self._known_text = encode_ids(self.known) if self.known else None
        self.position = {record_id: i for i, record_id in enumerate(self.known)}
        self.missed = bytearray(record_id in missed for record_id in self.known)
        self.added, self.blocks, self.pending = set(), [], []
        self.changed = True

    def begin_refresh(self) -> None:
        """A refresh starts from the first page: nothing is returned yet. Tracking beyond the bound starts over."""
        if self.beyond_bound:
            self.beyond_bound, self.known, self.missed = False, [], bytearray()
        self.compact()
        self.seen = bytearray(len(self.known))

    def returned(self, record_ids) -> None:
        """Notes ids the API returned in this sync (refresh or not): loaded, and not missing."""
        if self.beyond_bound:
            return
        for record_id in record_ids:
            i = self.position.get(record_id)
            if i is None:
                if record_id not in self.added:
                    self.added.add(record_id)
                    self.pending.append(record_id)
                    self.changed = True
                continue
            if self.seen is not None:
                self.seen[i] = 1
                self.changed = True
            if self.missed[i]:
                self.missed[i] = 0
                self.changed = True
        if self.count > MAX_TRACKED_IDS:
            self._give_up()

    def _give_up(self) -> None:
        self.beyond_bound, self.known, self.position, self.missed, self.seen = True, [], {}, bytearray(), None
        self._known_text, self.added, self.blocks, self.pending = None, set(), [], []
        self.changed = True
        self.warn()

    def warn(self) -> None:
        if not self.warned:
            self.warned = True
            log.warning(f"delete detection is skipped: the dataset holds more than {MAX_TRACKED_IDS:,} records, "
                        "the most whose record_ids the state can track. Nothing is deleted; edits and new records "
                        "still load. Set detect_deletes to false to stop tracking (and this warning)")

    def complete_refresh(self) -> list:
        """The ids to soft-delete now that the running refresh completed: loaded, and returned neither by it nor by
        the previous completed refresh. The others it did not return are flagged as missed once."""
        if self.beyond_bound or self.seen is None:
            self.seen = None
            return []
        gone, missed_once = [], set()
        for i, record_id in enumerate(self.known):
            if not self.seen[i]:
                if self.missed[i]:
                    gone.append(record_id)
                else:
                    missed_once.add(record_id)
        self.seen = None
        self._set_known((set(self.known) - set(gone)) | self.added, missed_once)
        return gone

    def state(self) -> dict:
        self.changed = False
        if self.beyond_bound:
            return {"beyond_bound": True}
        if self.pending:
            self.blocks.append(encode_ids(self.pending))
            self.pending = []
        member = {"count": self.count}
        if self._known_text:
            member["known"] = self._known_text
        if self.blocks:
            member["added"] = list(self.blocks)
        if 1 in self.missed:  # memchr, not a Python loop
            member["missed"] = encode_flags(self.missed)
        if self.seen is not None:
            member["seen"] = encode_flags(self.seen)
        return member


def _time_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


class FullRefresh:
    """Decides whether this sync is a full refresh, follows it, and says what to delete when it completes.

    `state` is the state the sync started from. A state without `full_refresh` but with a cursor (saved by a version
    without full refreshes) continues from its cursor; the sync after it is a full refresh."""

    def __init__(self, state: dict, hours: float, detect_deletes: bool, now: datetime):
        member = state.get("full_refresh")
        self.last_completed_at = (member or {}).get("last_completed_at")
        self.started_at = (member or {}).get("started_at")
        self.ids = RecordIds(state.get("record_ids")) if detect_deletes else None
        self.completed = False
        self.deleted = 0
        if self.ids is not None and self.ids.beyond_bound:
            self.ids.warn()
        if self.started_at:
            self.mode = "resumed"  # a refresh that stopped early or failed: continue it from the saved cursor
        elif member is None and "next_cursor" in state:
            self.mode = "tail"
        elif self.last_completed_at is None or now - datetime.fromisoformat(self.last_completed_at) >= timedelta(
                hours=hours):
            self.begin(now)
        else:
            self.mode = "tail"

    @property
    def running(self) -> bool:
        return self.mode in ("started", "resumed")

    def begin(self, now: datetime) -> None:
        """A refresh starts (or restarts) from the first page: whatever a partial run had returned is forgotten."""
        self.mode, self.started_at = "started", _time_text(now)
        if self.ids is not None:
            self.ids.begin_refresh()

    def returned(self, record_ids) -> None:
        if self.ids is not None:
            self.ids.returned(record_ids)

    def complete(self, now: datetime) -> list:
        """The refresh read the last page: records the time; returns the record_ids to soft-delete."""
        self.completed, self.last_completed_at, self.started_at = True, _time_text(now), None
        return self.ids.complete_refresh() if self.ids is not None else []

    @property
    def changed(self) -> bool:
        return self.completed or (self.ids is not None and self.ids.changed)

    def records_per_checkpoint(self, checkpoint_every: int) -> int:
        tracked = self.ids.count if self.ids is not None and not self.ids.beyond_bound else 0
        return records_per_checkpoint(checkpoint_every, tracked)

    def state(self) -> dict:
        member = {"last_completed_at": self.last_completed_at}
        if self.started_at:
            member["started_at"] = self.started_at
        members = {"full_refresh": member}
        if self.ids is not None:
            members["record_ids"] = self.ids.state()
        return members

    def describe(self) -> str:
        if self.mode == "tail":
            return "tail sync"
        return "full refresh completed" if self.completed else "full refresh not completed (the next sync continues it)"
