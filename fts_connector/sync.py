"""The sync loop: API page -> upsert -> checkpoint, resuming from the cursor in the state.

The state is `{"next_cursor": <cursor of the next page to fetch>}`. It is checkpointed at page boundaries once at
least `checkpoint_every` records were upserted since the last checkpoint. On the last page the state keeps the
cursor that fetched it, so the next sync re-reads only that tail page and picks up records appended since.
"""

import time
from dataclasses import dataclass, field

from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from fts_connector import TABLE
from fts_connector.client import FtsApiError, FtsClient, Page, short
from fts_connector.settings import Settings


class LoopError(FtsApiError):
    """The API's pagination went in a circle; the sync stops instead of spinning."""


@dataclass
class Progress:
    """What this sync has done so far, for the checkpoint cadence and the closing summary."""

    started: float = field(default_factory=time.monotonic)
    records: int = 0
    pages: int = 0
    checkpoints: int = 0
    since_checkpoint: int = 0

    def summary(self, retries: int) -> str:
        seconds = time.monotonic() - self.started
        rate = self.records / seconds if seconds > 0 else 0.0
        return (f"sync complete: {self.records} records, {self.pages} pages, {self.checkpoints} checkpoints, "
                f"{retries} retries, {seconds:.1f} s ({rate:.0f} records/s)")


def resume_cursor(page: Page) -> str | None:
    """The cursor the state keeps after `page`: the next page's, or, on the last page, the one that fetched it."""
    return page.cursor if page.is_last else page.next_cursor


def fetch_pages(client: FtsClient, cursor: str | None):
    """Yields pages from `cursor` to the last one; raises LoopError if the API's cursors go in a circle."""
    seen = {cursor}
    while True:
        page = client.fetch_page(cursor)
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


def sync(settings: Settings, client: FtsClient, state: dict) -> Progress:
    """Upserts every record from the saved cursor (or the first page) to the last page, checkpointing on cadence."""
    cursor = (state or {}).get("next_cursor")
    progress = Progress()
    log.info(f"starting sync from {'cursor ' + short(cursor) if cursor else 'the first page'}, "
             f"page_size {settings.page_size}, checkpoint every {settings.checkpoint_every} records")
    for page in fetch_pages(client, cursor):
        for record in page.records:
            op.upsert(TABLE, record)
        progress.pages += 1
        progress.records += len(page.records)
        progress.since_checkpoint += len(page.records)
        log.info(f"page {progress.pages}: {len(page.records)} records ({progress.records} total), "
                 f"cursor {short(page.cursor)}")
        if progress.since_checkpoint >= settings.checkpoint_every:
            op.checkpoint({"next_cursor": resume_cursor(page)})
            progress.checkpoints += 1
            progress.since_checkpoint = 0
    log.info(progress.summary(client.retries))
    return progress
