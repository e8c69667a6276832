"""End to end: the real `fivetran debug` CLI in a subprocess against the reference API started by the test."""

import json
import subprocess
from pathlib import Path

import duckdb
from support import API_KEY, completed, configuration

from tools.engine import cli_environment

ROOT = Path(__file__).resolve().parent.parent


def stage(project: Path) -> None:
    """The files Fivetran runs, staged as deploy.sh and debug_and_reset.sh stage them."""
    project.mkdir()
    subprocess.run(["bash", str(ROOT / "tools" / "stage.sh"), str(project)], check=True)


def fivetran_debug(tmp_path: Path, configuration: dict, project: Path | None = None) -> tuple:
    """Runs the real `fivetran debug` with `configuration` (written to tmp_path/configuration.json) on `project`, or
    on the shipped files staged into a new tmp_path/project; HOME is tmp_path/home. Returns the project folder and
    the CLI's result, with `output` (stdout + stderr)."""
    if project is None:
        project = tmp_path / "project"
        stage(project)
    (tmp_path / "configuration.json").write_text(json.dumps(configuration))
    result = subprocess.run(
        ["fivetran", "debug", str(project), "--configuration", str(tmp_path / "configuration.json")],
        cwd=project, env=cli_environment(tmp_path / "home"), capture_output=True, text=True, timeout=300)
    result.output = result.stdout + result.stderr
    return project, result


def test_fivetran_debug_syncs_750_records_into_warehouse_db_and_saves_the_cursor(api, tmp_path):
    project, result = fivetran_debug(tmp_path, configuration(api))
    output = result.output
    assert result.returncode == 0, output[-3000:]
    assert "SYNC SUCCEEDED" in output and API_KEY not in output
    assert "Upserts         | 750" in output and "Checkpoints     | 7" in output
    last_cursor = api.requests[-1]["cursor"]
    assert json.loads((project / "files" / "state.json").read_text()) == completed(last_cursor)
    with duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True) as db:
        assert db.sql("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records").fetchall() == [(750, 750)]
