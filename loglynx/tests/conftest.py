"""Fixtures: the demo marts (`tox -e analytics`, built by `python loglynx/start.py --build-only` before the tests) and
small edge-case marts built here by dbt (analytics/scripts/edge_case_warehouse.py --build)."""

import subprocess
import sys
from pathlib import Path

import duckdb
import loglynx_data
import pytest

ROOT = Path(__file__).resolve().parents[2]
EDGE_SCRIPT = ROOT / "analytics" / "scripts" / "edge_case_warehouse.py"


@pytest.fixture(scope="session")
def demo_db() -> Path:
    path = loglynx_data.DEFAULT_DB
    if not path.is_file():
        pytest.fail(f"no demo marts at {path}: run `python loglynx/start.py --build-only` (tox -e analytics) first")
    return path


def build_edge_case(folder: Path, *flags: str) -> Path:
    """dbt build of the edge-case warehouse into folder/fts_analytics.duckdb (the marts), with the script's flags."""
    result = subprocess.run([sys.executable, str(EDGE_SCRIPT), str(folder), "--build", *flags],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"edge-case build failed ({' '.join(flags)}):\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return folder / "fts_analytics.duckdb"


@pytest.fixture(scope="session")
def edge_db(tmp_path_factory) -> Path:
    """7 records: a null cost, an undated task, a soft-deleted row, lower-case type/status, out-of-range values."""
    return build_edge_case(tmp_path_factory.mktemp("edge"))


@pytest.fixture(scope="session")
def no_quarantine_db(tmp_path_factory) -> Path:
    return build_edge_case(tmp_path_factory.mktemp("no-quarantine"), "--no-quarantine")


@pytest.fixture(scope="session")
def only_deleted_db(tmp_path_factory) -> Path:
    return build_edge_case(tmp_path_factory.mktemp("only-deleted"), "--only-deleted")


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory) -> Path:
    return build_edge_case(tmp_path_factory.mktemp("empty"), "--empty")


def sql(path: Path, query: str, params: list | None = None) -> list[tuple]:
    """The expected figures, straight from the marts (read-only)."""
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute(query, params or []).fetchall()
