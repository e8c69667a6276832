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

The delete bound: an API that ends its pagination early twice, or serves an empty dataset, would otherwise have its
missing records deleted. A completed refresh deletes at most `max_delete_percent` of the records it tracks (at least
one), and nothing when it returned no record at all; beyond that it deletes nothing (`withheld`), the sync saves
everything else and then fails saying so, and the next sync is a full refresh again. A record deleted by mistake
comes back to life as soon as a sync returns it. The whole state goes with every checkpoint: see
`checkpoints.records_per_checkpoint` for how the checkpoints keep that cost in proportion to the records they save.
"""

import base64
import json
import re
import zlib
from datetime import datetime, timedelta, timezone

from fivetran_connector_sdk import Logging as log

from fts_connector.state import StateError, typed_member

MAX_TRACKED_IDS = 120_000  # the most record_ids tracked for delete detection (the state stays under 4 MB)


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
    """The ids `encode_ids` wrote; raises ValueError on anything it would not have written (base64 is decoded
    strictly: a damaged list must never pass for a shorter one)."""
    if text.startswith(PACKED_UUIDS):
        raw = base64.b64decode(text[len(PACKED_UUIDS):], validate=True)
        if len(raw) % 16:
            raise ValueError(f"{len(raw)} bytes of packed UUIDs, not a multiple of 16")
        digits = raw.hex()
        return [f"{digits[i:i + 8]}-{digits[i + 8:i + 12]}-{digits[i + 12:i + 16]}-{digits[i + 16:i + 20]}-"
                f"{digits[i + 20:i + 32]}" for i in range(0, len(digits), 32)]
    ids = json.loads(zlib.decompress(base64.b64decode(text, validate=True)).decode("utf-8"))
    if not isinstance(ids, list) or not all(isinstance(record_id, str) for record_id in ids):
        raise ValueError("not a list of record_ids")
    return ids


_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_AS_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


def encode_flags(flags: bytearray) -> str:
    """One flag (0 or 1) per tracked id, in the order of the sorted ids, packed as the binary digits of one number
    (after a leading 1 that keeps leading zeros), base64: 100,000 flags take 16.7 kB and well under 1 ms, which
    matters as a refresh writes them at every checkpoint."""
    number = int(b"1" + bytes(flags).translate(_AS_DIGITS), 2)
    return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode("ascii")


def decode_flags(text: str, size: int) -> bytearray:
    digits = bin(int.from_bytes(base64.b64decode(text, validate=True), "big"))[3:]  # without "0b" and the leading 1
    if len(digits) != size:
        raise ValueError(f"{len(digits)} flags for {size} ids")
    return bytearray(digits.encode("ascii").translate(_AS_FLAGS))


class RecordIds:
    """The record_ids the connector has loaded, and which of them the last and the running refresh returned.

    `known` is the sorted list written at the last compaction; ids loaded since then are in `added`: those a
    checkpoint has carried are encoded in `blocks` (one per checkpoint, so that a checkpoint never re-encodes the whole
    list), the others wait in `pending`. `missed[i]` is 1 when the last completed refresh did not return `known[i]`;
    `seen[i]` is 1 when the running refresh has returned it (None: none runs).

    `member` is the state's `record_ids`; one that is not what `state()` writes raises StateError."""

    def __init__(self, member: dict | None):
        try:
            self._read(member or {})
        except (TypeError, ValueError, KeyError, zlib.error) as error:
            raise StateError("record_ids", str(error) or type(error).__name__) from None
        self.warned = False

    def _read(self, member: dict) -> None:
        if not isinstance(member, dict) or not set(member) <= {"count", "known", "added", "missed", "seen",
                                                                "beyond_bound"}:
            raise ValueError("not the object this connector saves")
        self.beyond_bound = member.get("beyond_bound", False) is True
        self._known_text = member.get("known")
        self.known = decode_ids(self._known_text) if self._known_text else []
        if self.known != sorted(set(self.known)):
            raise ValueError("the known ids are not sorted and distinct")
        self.position = {record_id: i for i, record_id in enumerate(self.known)}
        self.blocks = list(member.get("added", []))
        self.added = {record_id for block in self.blocks for record_id in decode_ids(block)}
        self.pending = []  # ids added since the last checkpoint: the next block
        size = len(self.known)
        self.missed = decode_flags(member["missed"], size) if "missed" in member else bytearray(size)
        self.seen = decode_flags(member["seen"], size) if "seen" in member else None
        if not self.beyond_bound and member.get("count", 0) != self.count:
            raise ValueError(f"count {member.get('count')!r} for {self.count} ids")

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
                continue
            if self.seen is not None:
                self.seen[i] = 1
            if self.missed[i]:
                self.missed[i] = 0
        if self.count > MAX_TRACKED_IDS:
            self._give_up()

    def _give_up(self) -> None:
        self.beyond_bound, self.known, self.position, self.missed, self.seen = True, [], {}, bytearray(), None
        self._known_text, self.added, self.blocks, self.pending = None, set(), [], []
        self.warn()

    def warn(self) -> None:
        if not self.warned:
            self.warned = True
            log.warning(f"delete detection is skipped: the dataset holds more than {MAX_TRACKED_IDS:,} records, "
                        "the most whose record_ids the state can track. Nothing is deleted; edits and new records "
                        "still load. Set detect_deletes to false to stop tracking (and this warning)")

    @property
    def refresh_returned_any(self) -> bool:
        """Whether the running refresh has returned any record so far."""
        return bool(self.added) or (self.seen is not None and 1 in self.seen)

    def missed_twice(self) -> list:
        """The ids the running refresh has not returned and the last completed one missed too: what completing it
        now would delete."""
        if self.seen is None:
            return []
        return [record_id for i, record_id in enumerate(self.known) if self.missed[i] and not self.seen[i]]

    def complete_refresh(self, delete: bool = True) -> list:
        """The running refresh completed: returns the ids it deletes, `missed_twice()` (none unless `delete`: then
        they stay flagged, for the next refresh to decide). The others it did not return are flagged as missed."""
        if self.beyond_bound or self.seen is None:
            self.seen = None
            return []
        gone = set(self.missed_twice()) if delete else set()
        missed = {record_id for i, record_id in enumerate(self.known) if not self.seen[i]} - gone
        self.seen = None
        self._set_known((set(self.known) - gone) | self.added, missed)
        return sorted(gone)

    def state(self) -> dict:
        """The state member (nothing changes: see `saved` for what a checkpoint does)."""
        if self.beyond_bound:
            return {"beyond_bound": True}
        member = {"count": self.count}
        if self._known_text:
            member["known"] = self._known_text
        blocks = self.blocks + [encode_ids(self.pending)] if self.pending else self.blocks
        if blocks:
            member["added"] = list(blocks)
        if 1 in self.missed:  # memchr, not a Python loop
            member["missed"] = encode_flags(self.missed)
        if self.seen is not None:
            member["seen"] = encode_flags(self.seen)
        return member

    def saved(self, member: dict) -> None:
        """A checkpoint carried `member` (a `state()`): the ids it added are encoded for good, so the next checkpoint
        does not encode them again."""
        self.blocks, self.pending = list(member.get("added", [])), []


def _time_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _utc_time(member: str, text) -> datetime | None:
    """A saved UTC time (ISO 8601 with its offset; None stays None), or StateError."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise StateError(member, f"{str(text)[:40]!r} is not an ISO date and time") from None
    if moment.tzinfo is None:
        raise StateError(member, f"{text!r} has no UTC offset")
    return moment


class DeletesWithheld(RuntimeError):
    """A completed full refresh would delete more than `max_delete_percent` allows: it deleted nothing."""


class FullRefresh:
    """Decides whether this sync is a full refresh, follows it, and says what to delete when it completes.

    `state` is the state the sync started from. A state without `full_refresh` but with a cursor (saved by a version
    without full refreshes) continues from its cursor; the sync after it is a full refresh. The state's members are
    checked here (StateError); a damaged `record_ids` is the one that can be dropped safely (with a warning): tracking
    starts over, and nothing can be deleted before two more completed refreshes."""

    def __init__(self, state: dict, hours: float, detect_deletes: bool, now: datetime,
                 max_delete_percent: float = 100.0):
        member = typed_member(state, "full_refresh", (dict, type(None)))
        self.last_completed_at = (member or {}).get("last_completed_at")
        self.started_at = (member or {}).get("started_at")
        last_completed = _utc_time("full_refresh.last_completed_at", self.last_completed_at)
        _utc_time("full_refresh.started_at", self.started_at)
        self.ids = _record_ids(typed_member(state, "record_ids", (dict,))) if detect_deletes else None
        self.max_delete_percent = max_delete_percent
        self.completed = False
        self.deleted = 0
        self.withheld: str | None = None  # why a completed refresh deleted nothing it should have
        if self.ids is not None and self.ids.beyond_bound:
            self.ids.warn()
        if self.started_at:
            self.mode = "resumed"  # a refresh that stopped early or failed: continue it from the saved cursor
        elif member is None and "next_cursor" in state:
            self.mode = "tail"
        elif last_completed is None or now - last_completed >= timedelta(hours=hours):
            self.begin(now)
        else:
            self.mode = "tail"

    @property
    def running(self) -> bool:
        return self.mode in ("started", "resumed")

    @property
    def tracked_ids(self) -> int:
        """The record_ids every checkpoint carries (none past the bound)."""
        return self.ids.count if self.ids is not None and not self.ids.beyond_bound else 0

    def begin(self, now: datetime) -> None:
        """A refresh starts (or restarts) from the first page: whatever a partial run had returned is forgotten."""
        self.mode, self.started_at = "started", _time_text(now)
        if self.ids is not None:
            self.ids.begin_refresh()

    def returned(self, record_ids) -> None:
        if self.ids is not None:
            self.ids.returned(record_ids)

    def complete(self, now: datetime) -> list:
        """The refresh read the last page: returns the record_ids to soft-delete (`deleted` counts them). Beyond the
        delete bound it deletes nothing and sets `withheld`; it leaves no completed refresh on record, so the next sync
        is a full refresh."""
        if self.ids is None:
            self.completed, self.last_completed_at, self.started_at = True, _time_text(now), None
            return []
        gone, tracked, returned_any = self.ids.missed_twice(), self.ids.count, self.ids.refresh_returned_any
        if gone and self._beyond_bound(len(gone), tracked, returned_any):
            self.withheld = self._withheld(len(gone), tracked, returned_any)
            self.ids.complete_refresh(delete=False)
            self.last_completed_at = self.started_at = None
            return []
        if not returned_any and tracked:
            log.warning(f"the full refresh returned no records at all, where {tracked:,} were tracked: is the API "
                        "serving its data? Nothing is deleted on one such refresh")
        self.completed, self.last_completed_at, self.started_at = True, _time_text(now), None
        deleting = self.ids.complete_refresh()
        self.deleted = len(deleting)
        return deleting

    def _beyond_bound(self, deleting: int, tracked: int, returned_any: bool) -> bool:
        """The delete bound: at most max_delete_percent of the tracked records (at least one), and nothing when the
        refresh returned no record at all; 100 lifts it."""
        if self.max_delete_percent >= 100:
            return False
        return not returned_any or deleting > max(1, int(tracked * self.max_delete_percent / 100))

    def _withheld(self, deleting: int, tracked: int, returned_any: bool) -> str:
        what = ("returned no records at all" if not returned_any else
                f"did not return {deleting:,} of the {tracked:,} records it tracks ({deleting / tracked:.0%}), "
                "nor did the refresh before it")
        return (f"the full refresh {what}: deleting them is beyond max_delete_percent ({self.max_delete_percent:g} "
                "%), so nothing was deleted; everything else this sync loaded is saved. If the API serves them again, "
                "the next sync (a full refresh) completes by itself. If the API really dropped them, set "
                "max_delete_percent to 100 for one sync: the next sync, a full refresh, deletes them")

    def state(self) -> dict:
        member = {"last_completed_at": self.last_completed_at}
        if self.started_at:
            member["started_at"] = self.started_at
        members = {"full_refresh": member}
        if self.ids is not None:
            members["record_ids"] = self.ids.state()
        return members

    def saved(self, state: dict) -> None:
        """A checkpoint carried `state` (a `state()`)."""
        if self.ids is not None:
            self.ids.saved(state["record_ids"])

    def describe(self) -> str:
        if self.mode == "tail":
            return "tail sync"
        if self.withheld:
            return "full refresh completed with its deletes withheld"
        return "full refresh completed" if self.completed else "full refresh not completed (the next sync continues it)"


def _record_ids(saved: dict | None) -> RecordIds:
    """The tracked ids; a damaged member is dropped with a warning (tracking starts over: no record can be deleted
    before two more completed refreshes)."""
    try:
        return RecordIds(saved)
    except StateError as error:
        log.warning(f"{error.damage}: delete detection starts over, and nothing is deleted until two more full "
                    "refreshes complete")
        return RecordIds(None)
