"""The SDK floor: the least a connector can do to load the same records through the SDK engine.

`connector` upserts the records the reference API would serve (`generate_record(42, i)`, built page by page in
memory, no HTTP, no contract) into `fts_records` with the schema the connector declares (`fts_connector.schema`), and
checkpoints exactly when the connector's first sync does: `checkpoint_after`, the one place the floor holds the
cadence rule. Its states hold only what any cursor-based connector must save: `{"next_cursor": <the API's cursor of
the next page, or on the last page the cursor that fetched it>}` (the connector's also carry its full refresh and
record_ids, which is part of what the ratio measures).

It runs in-process (`benchmarks.case floor`, through `tools/engine.py`) and through the real `fivetran debug`
(`benchmarks.engine`), where it is staged as connector.py beside the measured code's shipped files and a copy of
`tools/fts_api.py` (for the records and cursors): everything it imports is in its folder.

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
    from fts_connector.refresh import records_per_checkpoint
except ImportError:  # code from before issue 11 (e.g. 727bdd0) tracks no ids: a checkpoint every `checkpoint_every`
    def records_per_checkpoint(checkpoint_every: int, tracked_ids: int) -> int:
        return checkpoint_every

CURSOR_EPOCH = 0  # the reference API's default epoch, so the cursors match the connector's byte for byte


def checkpoint_after(end: int, since_checkpoint: int, records: int, page_size: int, checkpoint_every: int,
                     detect_deletes: bool) -> bool:
    """The cadence rule: whether the connector's first sync checkpoints after the page that ends at record `end`,
    `since_checkpoint` records after its last checkpoint.

    - after the last page, always (where the connector saves its completed full refresh);
    - otherwise once `since_checkpoint` reaches `records_per_checkpoint` (with `detect_deletes`, which tracks every
      id loaded so far, a tenth of their count once that is more than `checkpoint_every`), unless the next page is
      the last one and holds fewer than `checkpoint_every` records: the connector then saves both with the final
      checkpoint.
    """
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
    """Upserts records 0 .. records-1 page by page, checkpointing when `checkpoint_after` says."""
    records = int(configuration["records"])
    page_size = int(configuration["page_size"])
    checkpoint_every = int(configuration["checkpoint_every"])
    seed = int(configuration.get("seed", "42"))
    detect_deletes = configuration.get("detect_deletes", "true") == "true"
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
        if checkpoint_after(end, since_checkpoint, records, page_size, checkpoint_every, detect_deletes):
            op.checkpoint({"next_cursor": resume_cursor(codec, start, end, records)})
            since_checkpoint = 0
    log.info(f"floor generated {records} records in {generating:.3f} s")


connector = Connector(update=update, schema=schema)
