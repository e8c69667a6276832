"""The SDK floor: the least a connector can do to load the same records through the SDK engine.

`connector` upserts the records the reference API would serve (`generate_record(42, i)`, built page by page in
memory, no HTTP, no contract) into `fts_records` with the schema connector.py declares, and checkpoints on the
connector's own rule (`fts_connector.checkpoints.Checkpoints`) as its first sync does: tracking every record_id with
`detect_deletes`, and completing a full refresh at the end. Its states hold only what any cursor-based connector must
save, `{"next_cursor": <the API's cursor of the next page, or on the last page the cursor that fetched it>}`, plus
whether it completed (where the connector saves its completed refresh); the connector's also carry its full refresh
and record_ids, which is part of what the ratio measures.

Configuration (all strings): `records`, `page_size`, `checkpoint_every`, `detect_deletes` (default "true": the cadence
as the connector's with it) and `seed` (default "42").
The seconds spent generating records are logged (`floor generated N records in S s`) so a reader can see how much
of the floor is the data source rather than the SDK.
"""

import time

from fivetran_connector_sdk import Connector
from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from fts_connector import TABLE
from fts_connector.checkpoints import Checkpoints
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
    """Upserts records 0 .. records-1 page by page, checkpointing on the connector's rule."""
    records = int(configuration["records"])
    page_size = int(configuration["page_size"])
    seed = int(configuration.get("seed", "42"))
    tracking = configuration.get("detect_deletes", "true") == "true"
    codec = CursorCodec(seed, CURSOR_EPOCH)
    checkpoints = Checkpoints(int(configuration["checkpoint_every"]))
    state = {}
    generating = 0.0
    for start in range(0, records, page_size):
        end = min(start + page_size, records)
        if checkpoints.due_before(end - start, end == records):
            checkpoints.take(state)
        began = time.perf_counter()
        page = [generate_record(seed, i) for i in range(start, end)]
        generating += time.perf_counter() - began
        for record in page:
            op.upsert(TABLE, record)
        state = {"next_cursor": resume_cursor(codec, start, end, records), "completed": end == records}
        checkpoints.loaded(len(page), end if tracking else 0)
    checkpoints.take_final(state)
    log.info(f"floor generated {records} records in {generating:.3f} s")


connector = Connector(update=update, schema=schema)
