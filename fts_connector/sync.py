"""The sync: API page -> contract -> upsert -> checkpoint, from the cursor in the state to the last page.

The state is one dict (`fts_connector/state.py` lists its members): `next_cursor`, the cursor of the next page to
fetch, plus what the quarantine and the full refresh keep. Checkpoints follow `fts_connector/checkpoints.py`. On the
last page the state keeps the cursor that fetched it, so the next sync re-reads only that tail page and picks up
records appended since.

With `prefetch`, pages are fetched in a background thread (`Prefetch`) while the calling thread checks them against
the contract, a batch at a time, and loads them; only the calling thread calls `op.*`, and a checkpoint only ever
follows the upserts of every page before it.
"""

import collections
import contextlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from fts_connector import TABLE, refresh
from fts_connector.checkpoints import Checkpoints
from fts_connector.client import (
    MAX_BODY_BYTES,
    FtsApiError,
    FtsClient,
    InvalidCursorError,
    Page,
    RateLimitPause,
    short,
)
from fts_connector.drift import Drift
from fts_connector.quarantine import Quarantine
from fts_connector.refresh import DeletesWithheld, FullRefresh
from fts_connector.settings import Settings
from fts_connector.state import StateError, typed_member
from fts_connector.validation import Verdict, check_pages

BATCH_RECORDS = 4000  # records checked against the contract in one go (a validation has a fixed cost)
RECORDS_AHEAD = BATCH_RECORDS  # records the prefetch thread may hold that the loader has not taken
BYTES_AHEAD = MAX_BODY_BYTES  # and bytes of their pages
MAX_PAGES_WITHOUT_NEW_IDS = 20  # pages in a row with no record_id new to the sync: the pagination goes in a circle


class LoopError(FtsApiError):
    """The API's pagination went in a circle; the sync stops instead of spinning."""


class ContractViolation(RuntimeError):
    """In `strict` contract mode: a record broke a hard rule of the contract."""


@dataclass
class Progress:
    """What a sync did: `sync()` returns it, and its closing log line says it."""

    started: float = field(default_factory=time.monotonic)
    records: int = 0  # loaded into fts_records
    rejected: int = 0  # quarantined in fts_records_rejected
    pages: int = 0
    checkpoints: int = 0
    retries: int = 0
    seconds: float = 0.0
    refresh: str = ""  # "tail sync", "full refresh completed", ...
    deleted: int = 0  # soft-deleted by a completed full refresh
    stopped_early: str | None = None  # why, when the sync stopped before the last page (and ended well)
    drift: Drift = field(default_factory=Drift)

    def loaded(self, verdict: Verdict) -> None:
        self.pages += 1
        self.records += len(verdict.valid)
        self.rejected += len(verdict.rejected)
        self.drift.merge(verdict.drift)

    def finish(self, retries: int, checkpoints: int, full_refresh: FullRefresh) -> None:
        self.retries, self.checkpoints = retries, checkpoints
        self.seconds = time.monotonic() - self.started
        self.refresh, self.deleted = full_refresh.describe(), full_refresh.deleted

    def summary(self) -> str:
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        return (f"{self.records} records loaded, {self.rejected} rejected, {self.pages} pages, {self.checkpoints} "
                f"checkpoints, {self.retries} retries, {self.seconds:.1f} s ({rate:.0f} records/s); {self.refresh}, "
                f"{self.deleted} soft-deleted")


def resume_cursor(page: Page) -> str | None:
    """The cursor the state keeps after `page`: the next page's, or, on the last page, the one that fetched it."""
    return page.cursor if page.is_last else page.next_cursor


def fetch_pages(client: FtsClient, cursor: str | None):
    """Yields pages from `cursor` to the last one; raises LoopError when the API's pagination goes in a circle
    (`LoopGuard`)."""
    guard = LoopGuard(cursor)
    while True:
        page = client.fetch_page(cursor)
        guard.check(page)
        yield page
        if page.is_last:
            return
        cursor = page.next_cursor


class LoopGuard:
    """Stops a sync whose pagination goes in a circle: a next cursor this sync has fetched already, or
    MAX_PAGES_WITHOUT_NEW_IDS pages in a row that bring no record_id this sync has not had (an API handing out fresh
    cursors over the same records).

    The record_ids had are remembered as bits of a fixed 2 MB bitmap, at the bit their hash picks, whatever the
    dataset's size: a page of ids new to the sync passes for old only if every one of its ids hits a bit already set,
    which at a million ids (6 % of the bits set) happens to a page of 100 records with a chance of 1 in 10^120."""

    BITS = 2**24

    def __init__(self, cursor: str | None):
        self.cursors = {cursor}
        self.ids_had = bytearray(self.BITS // 8)
        self.pages_without_new = 0

    def check(self, page: Page) -> None:
        if not self._brings_new_ids(page.records):
            self.pages_without_new += 1
            if self.pages_without_new >= MAX_PAGES_WITHOUT_NEW_IDS:
                raise LoopError(
                    f"the API returned {self.pages_without_new} pages in a row (the last fetched with cursor "
                    f"{short(page.cursor)}) with no record this sync had not had: its pagination goes in a circle. "
                    "Nothing past the last checkpoint is saved; report this to the API owner")
        else:
            self.pages_without_new = 0
        if page.is_last:
            return
        if not page.records and page.next_cursor == page.cursor:
            raise LoopError(
                f"the API returned an empty page with has_more true and the same cursor {short(page.cursor)}: its "
                "pagination does not advance. Nothing past the last checkpoint is saved; report this to the API owner")
        if page.next_cursor in self.cursors:
            raise LoopError(
                f"the API returned cursor {short(page.next_cursor)} a second time in this sync (on the page fetched "
                f"with {short(page.cursor)}): its pagination is looping. Nothing past the last checkpoint is saved; "
                "report this to the API owner")
        self.cursors.add(page.next_cursor)

    def _brings_new_ids(self, records: list) -> bool:
        new = False
        for record in records:
            record_id = record.get("record_id") if isinstance(record, dict) else None
            if isinstance(record_id, str):
                bit = hash(record_id) & (self.BITS - 1)
                if not self.ids_had[bit >> 3] & (1 << (bit & 7)):
                    self.ids_had[bit >> 3] |= 1 << (bit & 7)
                    new = True
        return new


def batches(pages):
    """The pages of `pages` in batches (`fits`), to check against the contract in one validation each (which costs a
    fraction of one per page). If fetching fails, the pages fetched before are still handed over before the error."""
    batch = []
    try:
        for page in pages:
            if not fits(batch, page):
                yield batch
                batch = []
            batch.append(page)
    except Exception:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def fits(batch: list, page: Page) -> bool:
    """Whether `page` joins `batch`: a batch holds at least one page and at most BATCH_RECORDS records."""
    return not batch or _records(batch) + len(page.records) <= BATCH_RECORDS


def _records(pages) -> int:
    return sum(len(page.records) for page in pages)


def check(batch: list, contract_mode: str) -> list:
    """(page, verdict) for each page of `batch`, in one validation (`off`: every object record is valid)."""
    if contract_mode != "off":
        return list(zip(batch, check_pages([page.records for page in batch]), strict=True))
    for page in batch:
        if not all(isinstance(record, dict) for record in page.records):
            raise FtsApiError(
                f"the page fetched with cursor {short(page.cursor)} holds a record that is not a JSON object; with "
                "contract_mode off it cannot be loaded. Use contract_mode enforce to quarantine such records")
    return [(page, Verdict(valid=page.records, received=len(page.records))) for page in batch]


class Prefetch:
    """Fetches pages in a thread of its own while the calling thread checks and loads them, so that the API's latency
    passes while the loader works. Iterating gives batches of pages, in order: every page fetched so far (at least
    one, at most BATCH_RECORDS records), so a loader that keeps up takes pages one by one as they come, and one that
    falls behind checks them in big batches.

    The thread stops fetching while it holds RECORDS_AHEAD records or BYTES_AHEAD bytes of pages the loader has not
    taken: memory stays bounded, whatever the pages' size. Its error is raised to the loader after the pages fetched
    before it. `close()` stops the thread, also one waiting between retries.
    """

    def __init__(self, client: FtsClient, cursor: str | None):
        self.client = client
        self.fetched = collections.deque()  # pages the loader has not taken
        self.held_records = self.held_bytes = 0  # in `fetched`
        self.finished, self.closed, self.error = False, False, None
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._run, args=(cursor,), name="fts-prefetch", daemon=True)
        self.thread.start()

    def _run(self, cursor: str | None) -> None:
        try:
            for page in fetch_pages(self.client, cursor):
                with self.changed:
                    self.fetched.append(page)
                    self.held_records += len(page.records)
                    self.held_bytes += page.size
                    self.changed.notify_all()
                    self.changed.wait_for(lambda: self.closed or (
                        self.held_records < RECORDS_AHEAD and self.held_bytes < BYTES_AHEAD))
                    if self.closed:
                        return
        except BaseException as error:  # handed to the loader, which raises it after the pages before it
            with self.changed:
                self.error = error
        finally:
            with self.changed:
                self.finished = True
                self.changed.notify_all()

    def __iter__(self):
        return self

    def __next__(self) -> list:
        with self.changed:
            self.changed.wait_for(lambda: self.fetched or self.finished)
            batch = []
            while self.fetched and fits(batch, self.fetched[0]):
                batch.append(self.fetched.popleft())
            if not batch:
                if self.error is not None:
                    raise self.error
                raise StopIteration
            self.held_records -= _records(batch)
            self.held_bytes -= sum(page.size for page in batch)
            self.changed.notify_all()
            return batch

    def close(self) -> None:
        """Stops the thread and waits for it to end."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()
        with self.client.cancelling():  # a wait between retries ends at once
            self.thread.join()


def _strict(verdict: Verdict) -> None:
    if verdict.rejected:
        rejection = verdict.rejected[0]
        reason = rejection.reasons[0]
        raise ContractViolation(
            f"record {rejection.record_id or '(no record_id)'} breaks the contract: field {reason['field']} "
            f"{reason['rule']} (value {reason['value']!r}). contract_mode is strict, so the sync stops; set "
            "contract_mode to enforce to load valid records and quarantine this one in fts_records_rejected")


def sync(settings: Settings, client: FtsClient, state: dict) -> Progress:
    """Loads every page from the saved cursor (or, for a full refresh, the first page) to the last one, checkpointing
    on cadence; a full refresh that completes soft-deletes what it and the previous one did not return."""
    return _Sync(settings, client, state).run()


class _Sync:
    """One sync: the saved state's parts (cursor, quarantine, full refresh), its checkpoints and its progress."""

    def __init__(self, settings: Settings, client: FtsClient, state: dict):
        if not isinstance(state, dict):
            raise StateError("state", f"a JSON {type(state).__name__}, not an object")
        self.settings, self.client = settings, client
        self.saved_cursor = typed_member(state, "next_cursor", (str, type(None)))
        self.quarantine = Quarantine(state)
        self.full_refresh = FullRefresh(state, settings.full_refresh_hours, settings.detect_deletes, refresh.utc_now(),
                                        settings.max_delete_percent)
        self.checkpoints = Checkpoints(settings.checkpoint_every)
        self.progress = Progress()
        self.last_page: Page | None = None  # the last page whose records were all upserted
        self.synced_at = datetime.now(timezone.utc).isoformat()

    def state(self) -> dict:
        """The state after the last loaded page (changes nothing)."""
        cursor = resume_cursor(self.last_page) if self.last_page else self.saved_cursor
        return {"next_cursor": cursor, **self.quarantine.state(), **self.full_refresh.state()}

    def checkpoint(self) -> None:
        state = self.state()
        self.checkpoints.take(state)
        self.full_refresh.saved(state)

    def run(self) -> Progress:
        cursor = None if self.full_refresh.mode == "started" else self.saved_cursor
        settings = self.settings
        log.info(f"starting {_kind(self.full_refresh)} from {'cursor ' + short(cursor) if cursor else 'the first page'}"
                 f", page_size {settings.page_size}, checkpoint every {settings.checkpoint_every} records, contract "
                 f"{settings.contract_mode}, prefetch {'on' if settings.prefetch else 'off'}")
        restarted = False
        try:
            while True:
                try:
                    self.load(self.batches(cursor))
                    break
                except InvalidCursorError:
                    if settings.on_invalid_cursor != "restart" or restarted:
                        raise
                    log.warning(f"the API no longer knows cursor {short(cursor)} (its data may have been reset): "
                                "restarting from the first page as a full refresh; upserts by record_id keep the table "
                                "free of duplicates")
                    restarted, cursor = True, None
                    self.last_page = None  # what was due before is saved; nothing of the new pass is loaded yet
                    self.full_refresh.begin(refresh.utc_now())
            if self.full_refresh.running:
                self.complete_refresh()
            self.final_checkpoint()
        except RateLimitPause as pause:
            self.final_checkpoint()
            self.progress.stopped_early = str(pause)
            log.warning(f"stopping early: {pause}. Everything loaded so far is checkpointed; the next sync continues "
                        f"from cursor {short(self.state()['next_cursor'])}")
        finally:
            if not self.progress.drift.is_empty():
                log.info(self.progress.drift.summary())
        self.progress.finish(self.client.retries, self.checkpoints.taken, self.full_refresh)
        log.info("sync complete: " + self.progress.summary())
        if self.full_refresh.withheld:
            raise DeletesWithheld(self.full_refresh.withheld)
        return self.progress

    def batches(self, cursor: str | None):
        """Batches of pages from `cursor` on, fetched in the background with `prefetch`."""
        if self.settings.prefetch:
            return Prefetch(self.client, cursor)
        return batches(fetch_pages(self.client, cursor))

    def load(self, pages) -> None:
        """Checks each batch of pages against the contract and loads its pages, checkpointing on cadence; when the
        pages end in an error, takes the checkpoint due first."""
        with contextlib.closing(pages):
            while True:
                try:
                    checked = check(next(pages), self.settings.contract_mode)
                except StopIteration:
                    return
                except BaseException:  # what was due before the failing page is saved, as if taken right after it
                    if self.checkpoints.due:
                        self.checkpoint()
                    raise
                for page, verdict in checked:
                    self.load_page(page, verdict)

    def load_page(self, page: Page, verdict: Verdict) -> None:
        strict_stop = self.settings.contract_mode == "strict" and bool(verdict.rejected)
        if self.checkpoints.due and (strict_stop or self.checkpoints.due_before(len(page.records), page.is_last)):
            self.checkpoint()
        if strict_stop:
            _strict(verdict)
        for record in verdict.valid:
            op.upsert(TABLE, record)
        self.quarantine.load(verdict, self.synced_at)
        self.full_refresh.returned(_record_ids(verdict))
        self.last_page = page
        self.progress.loaded(verdict)
        self.checkpoints.loaded(verdict.received, self.full_refresh.tracked_ids)
        progress = self.progress
        log.info(f"page {progress.pages}: {verdict.received} records ({progress.records + progress.rejected} total, "
                 f"{len(verdict.rejected)} rejected), cursor {short(page.cursor)}")

    def complete_refresh(self) -> None:
        """The refresh read the last page: soft-deletes the records it and the previous completed refresh missed."""
        gone = self.full_refresh.complete(refresh.utc_now())
        for record_id in gone:
            op.delete(TABLE, {"record_id": record_id})
            self.quarantine.forget(record_id)
        if gone:
            log.info(f"full refresh: soft-deleted {len(gone)} records that the last two completed refreshes did not "
                     "return")

    def final_checkpoint(self) -> None:
        if self.last_page is not None and self.checkpoints.take_final(self.state()):
            self.full_refresh.saved(self.checkpoints.last_saved)


def _kind(full_refresh: FullRefresh) -> str:
    if full_refresh.mode == "tail":
        return f"tail sync (last full refresh completed {full_refresh.last_completed_at or 'never'})"
    if full_refresh.mode == "started":
        return "full refresh"
    return f"full refresh (continued, started {full_refresh.started_at})"


def _record_ids(verdict: Verdict) -> list:
    """The record_ids of a page: its valid records' and its rejected records' that have one (a string: with contract
    `off` a record may come without one, and is then never tracked, so never deleted)."""
    return ([record.get("record_id") for record in verdict.valid if isinstance(record.get("record_id"), str)]
            + [rejection.record_id for rejection in verdict.rejected if rejection.record_id is not None])
