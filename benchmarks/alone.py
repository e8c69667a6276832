"""The connector alone: its `schema()` and `update()` through the SDK's front end, into a sink that only counts.

On Fivetran the connector's process does not hold the destination: the rows it emits are written by Fivetran's core.
Locally (`fivetran debug`, `tools.engine.run_sync`) the SDK engine runs in the same process and keeps, for the whole
sync, a hash of every upserted key and DuckDB's table and index, so the process grows with N whatever the connector
does. Running `update()` into `CountingSink` instead measures what the connector itself holds: the SDK front end
(`op.upsert` builds each record as it would for the engine) and everything in `fts_connector` and `contracts`.

The sink keeps counts and the last checkpoint's state, nothing per record.
"""

import contextlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field

from fivetran_connector_sdk_cli import core_adapter, runtime
from fivetran_connector_sdk_core import RecordType

from tools.engine import in_process


@dataclass
class CountingSink:
    """A `fivetran_connector_sdk_core.Sink` that counts what it is given and keeps the last state."""

    upserts: Counter = field(default_factory=Counter)  # by table
    other_records: int = 0  # updates and deletes
    checkpoints: int = 0
    state: dict = field(default_factory=dict)

    def record(self, record) -> None:
        if record.type is RecordType.UPSERT:
            self.upserts[record.table] += 1
        else:
            self.other_records += 1

    def checkpoint(self, checkpoint) -> None:
        self.checkpoints += 1
        self.state = json.loads(checkpoint.state_json)

    def truncate(self, truncate) -> None:
        raise AssertionError(f"the connector truncated {truncate.table}")

    def file_chunk(self, chunk) -> None:
        raise AssertionError("the connector sent a file")

    def warning(self, warning) -> None:
        pass

    def task(self, task) -> None:
        raise AssertionError(f"the connector raised a task: {task.message}")


@dataclass
class AloneRun:
    """What one sync into a `CountingSink` did; `error` is what `update()` raised, if anything."""

    sink: CountingSink
    log: str
    error: BaseException | None = None

    @property
    def counts(self) -> dict | None:
        """The engine's counts for what the sink was given (None if the sync failed, as `run_sync` gives)."""
        if self.error is not None:
            return None
        return {"Upserts": sum(self.sink.upserts.values()), "Updates": self.sink.other_records,
                "Checkpoints": self.sink.checkpoints}


def run_alone(configuration: dict, connector, state: dict | None = None) -> AloneRun:
    """Runs `connector`'s schema() and update() into a fresh CountingSink, with the SDK's debug logging captured."""
    source, sink, output = core_adapter.ConnectorSource(connector), CountingSink(), io.StringIO()
    error = None
    with in_process(), contextlib.redirect_stdout(output):
        try:
            source.schema(dict(configuration))
            source.update(dict(configuration), dict(state or {}), sink)
        except Exception as exc:  # reported by the caller, as run_sync's are
            error = exc
        finally:
            runtime.install(None)
    return AloneRun(sink, output.getvalue(), error)
