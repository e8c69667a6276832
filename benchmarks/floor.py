"""The SDK floor: the least a connector can do to load the same records through the SDK engine.

`connector` upserts the records the reference API would serve (`generate_record(42, i)`, built page by page in
memory, no HTTP, no contract) into `fts_records` with the schema connector.py declares, and checkpoints as often as
the connector's first sync: after a page, once at least `checkpoint_every` records were upserted
since the last checkpoint, or a tenth of the records loaded so far once that is more and they are within
`MAX_TRACKED_IDS` (the ids the connector tracks with `detect_deletes`: `fts_connector.refresh.records_per_checkpoint`);
and once after the last page, where the connector saves its completed full refresh (a checkpoint due just before a
last page smaller than `checkpoint_every` waits for it, as the connector's does). Its states hold only what any
cursor-based connector must save: `{"next_cursor": <the API's cursor of the next page, or on the last page the cursor
that fetched it>}` (the connector's also carry its full refresh and record_ids, which is part of what the ratio
measures).

Configuration (all strings): `records`, `page_size`, `checkpoint_every`, `detect_deletes` (default "true": the cadence
as the connector's with it) and `seed` (default "42").
The seconds spent generating records are logged (`floor generated N records in S s`) so a reader can see how much
of the floor is the data source rather than the SDK.
"""

import time

from fivetran_connector_sdk import Connector
from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from fts_connector import TABLE, refresh
from fts_connector.schema import tables
from tools.fts_api import CursorCodec, generate_record

CURSOR_EPOCH = 0  # the reference API's default epoch, so the cursors match the connector's byte for byte


def schema(configuration: dict):
    """The same tables as connector.py declares."""
    return tables()


def resume_cursor(codec: CursorCodec, start: int, end: int, records: int) -> str | None:
    """The cursor the state keeps after the page [start, end), as the API gives it: the next page's, or on the last
    page the one that fetched it (none for the first page)."""
    if end < records:
        return codec.encode(end)
    return codec.encode(start) if start else None


def update(configuration: dict, state: dict):
    """Upserts records 0 .. records-1 page by page, checkpointing on the connector's cadence."""
    records = int(configuration["records"])
    page_size = int(configuration["page_size"])
    checkpoint_every = int(configuration["checkpoint_every"])
    seed = int(configuration.get("seed", "42"))
    tracking = configuration.get("detect_deletes", "true") == "true"
    codec = CursorCodec(seed, CURSOR_EPOCH)
    since_checkpoint = 0
    generating = 0.0
    for start in range(0, records, page_size):
        end = min(start + page_size, records)
        began = time.perf_counter()
        page = [generate_record(seed, i) for i in range(start, end)]
        generating += time.perf_counter() - began
        for record in page:
            op.upsert(TABLE, record)
        since_checkpoint += len(page)
        state = {"next_cursor": resume_cursor(codec, start, end, records)}
        due = since_checkpoint >= refresh.records_per_checkpoint(checkpoint_every, end if tracking else 0)
        merged = end + page_size >= records and records - end < checkpoint_every  # the next page is a small last one
        if (due and not merged) or end == records:
            op.checkpoint(state)
            since_checkpoint = 0
    log.info(f"floor generated {records} records in {generating:.3f} s")


connector = Connector(update=update, schema=schema)
