"""The sync loop: API page -> contract -> upsert -> checkpoint, resuming from the cursor in the state.

The state is `{"next_cursor": <cursor of the next page to fetch>}` (plus `quarantined`, see below, and
`full_refresh` and `record_ids`, see `refresh.py`). It is checkpointed at page boundaries once at least
`checkpoint_every` records (or, with many tracked record_ids, a tenth of their count: `refresh.records_per_checkpoint`)
were upserted since the last checkpoint, and once more at the end if the state has moved
since or the sync has not checkpointed yet: every sync that ends well (or stops early) saves its final cursor. A
checkpoint due after a page is taken when the next page is in hand, before its rows; when that page is the last and
holds fewer than `checkpoint_every` records, the two are saved together by the final checkpoint (so that a full refresh
of 750 records completes in 7 checkpoints).
On the last page the state keeps the cursor that fetched it, so the next sync re-reads only that tail page and picks
up records appended since.

Pages are fetched and checked against the contract in a background thread (configuration `prefetch`) that holds at
most IN_FLIGHT_RECORDS records (plus a page) fetched and not yet taken by the loader, and keeps fetching the next
contract batch while the loader upserts the last one; only the calling thread calls `op.*`, and a checkpoint only ever
follows the upserts of every page before it.
"""

import contextlib
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from fts_connector import TABLE, refresh
from fts_connector.client import FtsApiError, FtsClient, InvalidCursorError, Page, RateLimitPause, short
from fts_connector.drift import Drift
from fts_connector.quarantine import Quarantine
from fts_connector.refresh import FullRefresh
from fts_connector.settings import Settings
from fts_connector.validation import Verdict, check_pages

BATCH_RECORDS = 4000  # records checked against the contract in one go (a validation has a fixed cost)
IN_FLIGHT_RECORDS = BATCH_RECORDS + 600  # what the prefetch thread may hold: a checked batch and the next one's start


class LoopError(FtsApiError):
    """The API's pagination went in a circle; the sync stops instead of spinning."""


class ContractViolation(RuntimeError):
    """In `strict` contract mode: a record broke a hard rule of the contract."""


@dataclass
class Progress:
    """What this sync has done so far, for the checkpoint cadence and the closing summary."""

    started: float = field(default_factory=time.monotonic)
    records: int = 0
    rejected: int = 0
    pages: int = 0
    checkpoints: int = 0
    since_checkpoint: int = 0
    last_page: Page | None = None  # the last page whose records were all upserted
    saved_cursor: str | None = None  # the cursor the saved state holds
    due: bool = False  # a checkpoint is due after `last_page`
    drift: Drift = field(default_factory=Drift)

    def summary(self, retries: int, full_refresh: FullRefresh) -> str:
        seconds = time.monotonic() - self.started
        rate = self.records / seconds if seconds > 0 else 0.0
        return (f"{self.records} records loaded, {self.rejected} rejected, {self.pages} pages, {self.checkpoints} "
                f"checkpoints, {retries} retries, {seconds:.1f} s ({rate:.0f} records/s); {full_refresh.describe()}, "
                f"{full_refresh.deleted} soft-deleted")


@dataclass
class CheckedPage:
    page: Page
    verdict: Verdict


def resume_cursor(page: Page) -> str | None:
    """The cursor the state keeps after `page`: the next page's, or, on the last page, the one that fetched it."""
    return page.cursor if page.is_last else page.next_cursor


class InFlight:
    """The records fetched and not yet taken by the loader. The fetching thread waits for room before each request
    (so it holds at most `limit` records plus one page); the loader makes room as it takes each page."""

    def __init__(self, limit: int):
        self.limit = limit
        self.held = 0
        self.closed = False
        self._changed = threading.Condition()

    def wait_for_room(self) -> bool:
        """Waits until fewer than `limit` records are held; False if the loader has gone."""
        with self._changed:
            self._changed.wait_for(lambda: self.held < self.limit or self.closed)
            return not self.closed

    def fetched(self, records: int) -> None:
        with self._changed:
            self.held += records

    def taken(self, records: int) -> None:
        with self._changed:
            self.held -= records
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


def fetch_pages(client: FtsClient, cursor: str | None, in_flight: InFlight | None = None):
    """Yields pages from `cursor` to the last one (each once `in_flight` has room, if given); raises LoopError if the
    API's cursors go in a circle."""
    seen = {cursor}
    while True:
        if in_flight is not None and not in_flight.wait_for_room():
            return
        page = client.fetch_page(cursor)
        if in_flight is not None:
            in_flight.fetched(len(page.records))
        if not page.is_last:
            _check_progress(page, seen)
            seen.add(page.next_cursor)
        yield page
        if page.is_last:
            return
        cursor = page.next_cursor


def _check_progress(page: Page, seen: set) -> None:
    """Raises LoopError when `page` would send the sync back to a cursor it has already fetched."""
    if not page.records and page.next_cursor == page.cursor:
        raise LoopError(
            f"the API returned an empty page with has_more true and the same cursor {short(page.cursor)}: its "
            "pagination does not advance. Nothing past the last checkpoint is saved; report this to the API owner")
    if page.next_cursor in seen:
        raise LoopError(
            f"the API returned cursor {short(page.next_cursor)} a second time in this sync (on the page fetched with "
            f"{short(page.cursor)}): its pagination is looping. Nothing past the last checkpoint is saved; "
            "report this to the API owner")


def checked_pages(pages, contract_mode: str):
    """Each page with the contract's verdict on its records (`off`: every object record is valid).

    Pages are checked in batches of BATCH_RECORDS records, one vectorised validation per batch, which costs a
    fraction of one per page; a batch is cut short on the last page only (not when the loader waits: batches of a
    page or two would pay the contract's fixed cost per page). If fetching fails, the pages already fetched are still
    handed over before the error."""
    batch, batched = [], 0
    try:
        for page in pages:
            batch.append(page)
            batched += len(page.records)
            if page.is_last or batched >= BATCH_RECORDS:
                yield from _checked(batch, contract_mode)
                batch, batched = [], 0
    except Exception:
        yield from _checked(batch, contract_mode)
        raise


def _checked(batch: list, contract_mode: str):
    if contract_mode == "off":
        for page in batch:
            if not all(isinstance(record, dict) for record in page.records):
                raise FtsApiError(
                    f"the page fetched with cursor {short(page.cursor)} holds a record that is not a JSON object; with "
                    "contract_mode off it cannot be loaded. Use contract_mode enforce to quarantine such records")
        verdicts = [Verdict(valid=page.records, drift=Drift(), received=len(page.records)) for page in batch]
    else:
        verdicts = check_pages([page.records for page in batch])
    for page, verdict in zip(batch, verdicts, strict=True):
        yield CheckedPage(page, verdict)


def prefetched(make_pages, client: FtsClient, in_flight: InFlight):
    """Runs the iterator `make_pages()` of checked pages in a background thread, which fetches while `in_flight` has
    room; each page taken here makes room. Its error is raised here.

    Closing this generator (or an error in the caller) stops the thread and waits for it to end."""
    items = queue.SimpleQueue()  # bounded by `in_flight`

    def produce():
        try:
            for item in make_pages():
                items.put((item, None))
                if in_flight.closed:
                    return
            items.put((None, None))
        except BaseException as error:  # handed to the consumer, which raises it
            items.put((None, error))

    worker = threading.Thread(target=produce, name="fts-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = items.get()
            if error is not None:
                raise error
            if item is None:
                return
            in_flight.taken(len(item.page.records))
            yield item
    finally:
        in_flight.close()  # the producer stops, also one waiting for room
        with client.cancelling():  # and one waiting between retries
            worker.join()


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
    state = state or {}
    full_refresh = FullRefresh(state, settings.full_refresh_hours, settings.detect_deletes, refresh.utc_now())
    cursor = None if full_refresh.mode == "started" else state.get("next_cursor")
    progress = Progress(saved_cursor=state.get("next_cursor"))
    quarantine = Quarantine(state)
    synced_at = datetime.now(timezone.utc).isoformat()
    log.info(f"starting {_kind(full_refresh)} from {'cursor ' + short(cursor) if cursor else 'the first page'}, "
             f"page_size {settings.page_size}, checkpoint every {settings.checkpoint_every} records, contract "
             f"{settings.contract_mode}, prefetch {'on' if settings.prefetch else 'off'}")
    restarted = False
    try:
        while True:
            try:
                _load_pages(settings, client, cursor, progress, quarantine, synced_at, full_refresh)
                if full_refresh.running:
                    _complete(full_refresh, quarantine)
                _final_checkpoint(progress, quarantine, full_refresh)
                break
            except InvalidCursorError:
                if settings.on_invalid_cursor != "restart" or restarted:
                    raise
                log.warning(f"the API no longer knows cursor {short(cursor)} (its data may have been reset): "
                            "restarting from the first page as a full refresh; upserts by record_id keep the table "
                            "free of duplicates")
                restarted, cursor = True, None
                progress.last_page = None  # what was due before is saved; nothing of the new pass is loaded yet
                full_refresh.begin(refresh.utc_now())
    except RateLimitPause as pause:
        _final_checkpoint(progress, quarantine, full_refresh)
        log.warning(f"stopping early: {pause}. Everything loaded so far is checkpointed; the next sync continues "
                    f"from cursor {short(progress.saved_cursor)}")
    finally:
        if not progress.drift.is_empty():
            log.info(progress.drift.summary())
    log.info("sync complete: " + progress.summary(client.retries, full_refresh))
    return progress


def _kind(full_refresh: FullRefresh) -> str:
    if full_refresh.mode == "tail":
        return f"tail sync (last full refresh completed {full_refresh.last_completed_at or 'never'})"
    if full_refresh.mode == "started":
        return "full refresh"
    return f"full refresh (continued, started {full_refresh.started_at})"


def _complete(full_refresh: FullRefresh, quarantine: Quarantine) -> None:
    """The refresh read the last page: soft-deletes the records it and the previous completed refresh missed."""
    gone = full_refresh.complete(refresh.utc_now())
    for record_id in gone:
        op.delete(TABLE, {"record_id": record_id})
        quarantine.forget(record_id)
    full_refresh.deleted = len(gone)
    if gone:
        log.info(f"full refresh: soft-deleted {len(gone)} records that the last two completed refreshes did not return")


def _load_pages(settings, client, cursor, progress, quarantine, synced_at, full_refresh):
    if settings.prefetch:
        in_flight = InFlight(IN_FLIGHT_RECORDS)
        pages = prefetched(lambda: checked_pages(fetch_pages(client, cursor, in_flight), settings.contract_mode),
                           client, in_flight)
    else:
        pages = checked_pages(fetch_pages(client, cursor), settings.contract_mode)
    with contextlib.closing(pages):
        while True:
            try:
                checked = next(pages)
            except StopIteration:
                return
            except BaseException:  # what was due before the failing page is saved, as if taken right after it
                if progress.due:
                    _checkpoint(progress.last_page, quarantine, progress, full_refresh)
                raise
            page, verdict = checked.page, checked.verdict
            strict_stop = settings.contract_mode == "strict" and bool(verdict.rejected)
            if progress.due and (strict_stop or not (page.is_last and len(page.records) < settings.checkpoint_every)):
                _checkpoint(progress.last_page, quarantine, progress, full_refresh)
            if strict_stop:
                _strict(verdict)
            for record in verdict.valid:
                op.upsert(TABLE, record)
            quarantine.load(verdict, synced_at)
            full_refresh.returned(_record_ids(verdict))
            progress.last_page = page
            progress.pages += 1
            progress.records += len(verdict.valid)
            progress.rejected += len(verdict.rejected)
            progress.since_checkpoint += verdict.received
            progress.drift.merge(verdict.drift)
            log.info(f"page {progress.pages}: {verdict.received} records ({progress.records + progress.rejected} "
                     f"total, {len(verdict.rejected)} rejected), cursor {short(page.cursor)}")
            progress.due = progress.since_checkpoint >= full_refresh.records_per_checkpoint(settings.checkpoint_every)


def _record_ids(verdict: Verdict):
    """The record_ids of a page: its valid records' and its rejected records' that have one (a string: with contract
    `off` a record may come without one, and is then never tracked, so never deleted)."""
    yield from (record.get("record_id") for record in verdict.valid if isinstance(record.get("record_id"), str))
    yield from (rejection.record_id for rejection in verdict.rejected if rejection.record_id is not None)


def _checkpoint(page: Page, quarantine: Quarantine, progress: Progress, full_refresh: FullRefresh) -> None:
    progress.saved_cursor = resume_cursor(page)
    op.checkpoint({"next_cursor": progress.saved_cursor, **quarantine.state(), **full_refresh.state()})
    progress.checkpoints += 1
    progress.since_checkpoint = 0
    progress.due = False


def _final_checkpoint(progress: Progress, quarantine: Quarantine, full_refresh: FullRefresh) -> None:
    """Checkpoints the last loaded page unless this sync's last checkpoint already saved the same state: the same
    cursor and no change to the quarantine (which the state must know, to delete rejected rows later) nor to the
    full refresh and its record_ids."""
    last = progress.last_page
    if last is None:
        return
    if (progress.checkpoints == 0 or progress.due or quarantine.changed or full_refresh.changed
            or resume_cursor(last) != progress.saved_cursor):
        _checkpoint(last, quarantine, progress, full_refresh)
