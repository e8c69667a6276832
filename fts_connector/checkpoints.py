"""When a sync checkpoints: the one rule that the sync, the cassette expectations (tools/cassettes.py) and the
benchmark floor (benchmarks/) all follow, each with a state of its own.

- **Cadence.** After a page, a checkpoint is *due* once at least `records_per_checkpoint` records were loaded since the
  last one. It is taken when the next page is in hand, before that page's rows (so it saves the cursor of the page
  in hand), unless that page is the last and holds fewer than `checkpoint_every` records: then the final checkpoint
  saves both (a full refresh of 750 records at page_size 100 takes 7 checkpoints, not 8).
- **Final checkpoint.** At the end of a sync that loaded a page: one more, unless this sync's last checkpoint saved
  the very same state and none is due.
"""

from collections.abc import Callable

from fivetran_connector_sdk import Operations as op

from fts_connector import refresh

IDS_PER_RECORD_SAVED = 10  # a checkpoint carries at most about this many tracked ids per record it saves


def records_per_checkpoint(checkpoint_every: int, tracked_ids: int) -> int:
    """How many records a checkpoint waits for: `checkpoint_every`, or a tenth of the tracked record_ids when that is
    more. Every checkpoint carries the whole state, ids included (21.3 bytes per UUID): at a fixed cadence, a refresh
    of N records would write them N / checkpoint_every times, which grows with N squared (at 100,000 records and the
    default 100: 1,000 checkpoints of up to 2.1 MB). This way the ids add about 213 bytes per record saved whatever N;
    with the default 100, nothing changes up to 1,000 tracked ids (750 records included). A failed refresh re-reads
    at most a tenth of the tracked ids' count. Past MAX_TRACKED_IDS no ids are tracked, so the cadence is
    `checkpoint_every` again."""
    if tracked_ids > refresh.MAX_TRACKED_IDS:
        return checkpoint_every
    return max(checkpoint_every, tracked_ids // IDS_PER_RECORD_SAVED)


class Checkpoints:
    """Takes a sync's checkpoints on the rule above: `take` saves a state with `save` (default `op.checkpoint`)."""

    def __init__(self, checkpoint_every: int, save: Callable[[dict], None] = op.checkpoint):
        self.checkpoint_every = checkpoint_every
        self.save = save
        self.taken = 0
        self.last_saved: dict | None = None  # the state of this sync's last checkpoint
        self.since = 0  # records loaded since it
        self.due = False

    def loaded(self, records: int, tracked_ids: int) -> None:
        """A page of `records` records was loaded; the state now carries `tracked_ids` record_ids."""
        self.since += records
        self.due = self.since >= records_per_checkpoint(self.checkpoint_every, tracked_ids)

    def due_before(self, records: int, is_last: bool) -> bool:
        """Whether the checkpoint due is taken now, before loading a page of `records` records."""
        return self.due and not (is_last and records < self.checkpoint_every)

    def take(self, state: dict) -> None:
        self.save(state)
        self.taken += 1
        self.last_saved, self.since, self.due = state, 0, False

    def take_final(self, state: dict) -> bool:
        """The final checkpoint, unless this sync's last one saved this very state and none is due; True if taken."""
        if self.last_saved is not None and not self.due and state == self.last_saved:
            return False
        self.take(state)
        return True
