"""Runs the connector in this process through the SDK's own engine (what `fivetran debug` runs), into a folder.

Used by the tests, the cassette recorder and the benchmarks. `fivetran_connector_sdk_cli.core_adapter.run` is
internal to fivetran-connector-sdk 3.0.0, which requirements-dev.txt pins. The debug memory tracker (a thread per
run), the PyPI version check and the license notice are stubbed; nothing else is.
"""

import contextlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from fivetran_connector_sdk import Connector, Logging
from fivetran_connector_sdk_cli import connector as sdk_connector
from fivetran_connector_sdk_cli import core_adapter
from fivetran_connector_sdk_common import constants
from fivetran_connector_sdk_core import runner

import connector as fts


class _NoMemoryTracker:
    def start(self):
        pass

    def stop(self, *args, **kwargs):
        pass


@dataclass
class SyncRun:
    """What one sync did: counts (None if it failed), the saved state, each checkpoint's state, the log, the error,
    and the `Progress` that connector.py's `update()` returned (None if it failed, or for another connector)."""

    project: Path
    counts: dict | None
    state: dict
    checkpoint_texts: list = field(default_factory=list)  # each checkpoint's state as the SDK sent it (JSON)
    log: str = ""
    error: BaseException | None = None
    progress: object = None

    @property
    def checkpoints(self) -> list:
        """Each checkpoint's state, parsed when asked (parsing them during the sync would add to its time)."""
        return [json.loads(text) for text in self.checkpoint_texts]

    @property
    def cursors(self) -> list:
        return [checkpoint.get("next_cursor") for checkpoint in self.checkpoints]

    def query(self, sql: str) -> list:
        with duckdb.connect(str(self.project / "files" / "warehouse.db"), read_only=True) as db:
            return db.sql(sql).fetchall()

    def frame(self, sql: str):
        """The result of `sql` as a pandas DataFrame, with DuckDB's types mapped to pandas dtypes."""
        with duckdb.connect(str(self.project / "files" / "warehouse.db"), read_only=True) as db:
            return db.sql(sql).df()

    def column_types(self, table: str = "fts_records") -> dict:
        rows = self.query(f"SELECT column_name, data_type FROM information_schema.columns "
                          f"WHERE table_schema = 'tester' AND table_name = '{table}'")
        return dict(rows)


@contextlib.contextmanager
def in_process():
    """Stubs what would start threads or reach the network, and sets the SDK's debug logging; restores them after."""
    patches = [(sdk_connector, "DebugMemoryTracker", _NoMemoryTracker), (runner, "check_newer_version", lambda v: None),
               (runner, "notify_license", lambda: None), (constants, "DEBUGGING", True),
               (Logging, "LOG_LEVEL", Logging.Level.INFO)]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def run_sync(project: Path, configuration: dict, state: dict | None = None, connector=None) -> SyncRun:
    """One sync of `connector` (default: connector.py's) into `project/files`, from `state` (default: the state the
    last run saved)."""
    state_file = project / "files" / "state.json"
    if state is None:
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
    else:  # as `fivetran debug` does with a state file: a sync that fails before its first checkpoint leaves it
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(state))
    checkpoints, returned = [], []
    if connector is None:  # connector.py's, keeping what update() returns
        connector = Connector(update=lambda configuration, state: returned.append(fts.update(configuration, state)),
                              schema=fts.schema)
    original = runner._Sync.checkpoint

    def spy(sync, checkpoint):
        original(sync, checkpoint)
        checkpoints.append(checkpoint.state_json)

    output = io.StringIO()
    runner._Sync.checkpoint = spy
    try:
        with in_process(), contextlib.redirect_stdout(output):
            counts = core_adapter.run(connector, str(project), dict(configuration), dict(state))
        error = None
    except Exception as exc:  # the engine has logged SYNC FAILED; the test asserts on it
        counts, error = None, exc
    finally:
        runner._Sync.checkpoint = original
    log = output.getvalue()
    saved = json.loads(state_file.read_text()) if state_file.exists() else {}
    return SyncRun(project, counts, saved, checkpoints, log, error, returned[0] if returned and not error else None)


def cli_environment(home: Path) -> dict:
    """The environment for running the real `fivetran` CLI in a subprocess with no network beyond loopback.

    The CLI's PyPI version checks are marked as done (their timestamps), telemetry is off (DO_NOT_TRACK), and
    `pipreqs` (which the CLI runs to compare imports with requirements.txt, asking PyPI about what it cannot
    place) is a stand-in that reports requirements.txt as found.
    """
    now = str(int(time.time()))
    sdk = home / ".fivetran" / "connector_sdk"
    core = home / ".fivetran" / "connector_sdk_core"
    for folder in (sdk, core, home / "bin"):
        folder.mkdir(parents=True, exist_ok=True)
    (sdk / "_last_version_check").write_text(now)
    (sdk / "_config.json").write_text(json.dumps({"is_telemetry_enabled": False}))
    (core / "_config.json").write_text(json.dumps({"lastVersionCheck": int(now), "licenseNoticeShown": True}))
    pipreqs = home / "bin" / "pipreqs"
    pipreqs.write_text(
        "#!/usr/bin/env bash\n"
        "# stand-in for pipreqs: the project's imports are those requirements.txt lists\n"
        'project="$1"; shift\n'
        '# what it was asked to scan, for the tests: the Python files of the folder\n'
        '(cd "$project" && find . -name "*.py" -not -path "./files/*" | sort) > "$HOME/pipreqs-scanned"\n'
        'while [ $# -gt 0 ]; do [ "$1" = --savepath ] && cp "$project/requirements.txt" "$2"; shift; done\n')
    pipreqs.chmod(0o755)
    bin_dir = Path(sys.executable).parent  # the fivetran CLI installed beside this Python
    path = os.pathsep.join([str(home / "bin"), str(bin_dir), os.environ.get("PATH", "")])
    return {**os.environ, "HOME": str(home), "PATH": path, "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"}
