"""The SDK floor: the least a connector can do to load the same records through the SDK engine.

`connector` upserts the records the reference API would serve (`generate_record(42, i)`, built page by page in
memory, no HTTP, no contract) into `fts_records` with the schema the connector declares (`fts_connector.schema`), and
checkpoints exactly when the connector's first sync does, on the connector's own rule (`fts_connector.checkpoints`),
tracking every record_id with `detect_deletes` and completing a full refresh at the end. Its states hold only what
any cursor-based connector must save: `{"next_cursor": <the API's cursor of the next page, or on the last page the
cursor that fetched it>}`, and whether it completed (where the connector saves its completed refresh); the
connector's also carry its full refresh and record_ids, which is part of what the ratio measures.

It runs in-process (`benchmarks.case floor`, through `tools/engine.py`) and through the real `fivetran debug`
(`benchmarks.engine`), where it is staged as connector.py beside the measured code's shipped files and a copy of
`tools/fts_api.py` (for the records and cursors): everything it imports is in its folder. Code from before the rule
had a home of its own (da13315 and earlier, measured for the before/after table) gets it from `earlier_rule`.

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
from fts_connector.schema import tables
from tools.fts_api import CursorCodec, generate_record

try:
    from fts_connector.checkpoints import Checkpoints
except ImportError:  # measured code from before the rule had one home
    Checkpoints = None

CURSOR_EPOCH = 0  # the reference API's default epoch, so the cursors match the connector's byte for byte


def earlier_rule(end: int, since_checkpoint: int, records: int, page_size: int, checkpoint_every: int,
                 detect_deletes: bool) -> bool:
    """For code without `fts_connector.checkpoints`: whether its first sync checkpoints after the page that ends at
    record `end`: after the last page always; otherwise once `since_checkpoint` reaches its `records_per_checkpoint`
    (none before issue 11: `checkpoint_every`), unless the next page is the last and smaller than
    `checkpoint_every`."""
    try:
        from fts_connector.refresh import records_per_checkpoint
    except ImportError:
        def records_per_checkpoint(checkpoint_every: int, tracked_ids: int) -> int:
            return checkpoint_every
    if end == records:
        return True
    due = since_checkpoint >= records_per_checkpoint(checkpoint_every, end if detect_deletes else 0)
    next_is_small_last = end + page_size >= records and records - end < checkpoint_every
    return due and not next_is_small_last


def schema(configuration: dict):
    """The same tables as the connector declares."""
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
    checkpoint_every = int(configuration["checkpoint_every"])
    seed = int(configuration.get("seed", "42"))
    detect_deletes = configuration.get("detect_deletes", "true") == "true"
    codec = CursorCodec(seed, CURSOR_EPOCH)
    checkpoints = Checkpoints(checkpoint_every) if Checkpoints else None
    state, since_checkpoint, generating = {}, 0, 0.0
    for start in range(0, records, page_size):
        end = min(start + page_size, records)
        if checkpoints and checkpoints.due_before(end - start, end == records):
            checkpoints.take(state)
        began = time.perf_counter()
        page = [generate_record(seed, i) for i in range(start, end)]
        generating += time.perf_counter() - began
        for record in page:
            op.upsert(TABLE, record)
        state = {"next_cursor": resume_cursor(codec, start, end, records), "completed": end == records}
        since_checkpoint += len(page)
        if checkpoints:
            checkpoints.loaded(len(page), end if detect_deletes else 0)
        elif earlier_rule(end, since_checkpoint, records, page_size, checkpoint_every, detect_deletes):
            op.checkpoint({"next_cursor": state["next_cursor"]})
            since_checkpoint = 0
    if checkpoints:
        checkpoints.take_final(state)
    log.info(f"floor generated {records} records in {generating:.3f} s")


connector = Connector(update=update, schema=schema)
