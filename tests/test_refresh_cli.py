"""End to end through the real `fivetran debug`: full refreshes pick up an edit and, a refresh later, a delete; the
schedule makes a tail sync 23 h after the last refresh and a full refresh 25 h after."""

import json
from datetime import datetime, timedelta, timezone

import duckdb
from support import API_KEY, configuration
from test_fivetran_debug import fivetran_debug

from tools.fts_api import FtsApiServer, edit_record, generate_record

EDITED, GONE = 375, 400


def succeeded(run: tuple) -> str:
    """The output of a `fivetran_debug()` run that succeeded without showing the key."""
    _, result = run
    assert result.returncode == 0 and "SYNC SUCCEEDED" in result.output, result.output[-3000:]
    assert API_KEY not in result.output
    return result.output


def test_fivetran_debug_refreshes_pick_up_an_edit_then_soft_delete_a_removed_record(tmp_path):
    with FtsApiServer(records=750, api_key=API_KEY) as api:
        every_sync_refreshes = configuration(api, full_refresh_hours=0)
        run = fivetran_debug(tmp_path, every_sync_refreshes)
        project, first = run[0], succeeded(run)
        assert "Checkpoints     | 7" in first and "full refresh completed, 0 soft-deleted" in first
        api.edit(EDITED)
        api.omit(GONE)
        second = succeeded(fivetran_debug(tmp_path, every_sync_refreshes, project))
        assert "Deletes         | 0" in second and "full refresh completed, 0 soft-deleted" in second
        third = succeeded(fivetran_debug(tmp_path, every_sync_refreshes, project))
        assert api.request_count == 24
        state = json.loads((project / "files" / "state.json").read_text())
        for hours_ago, requests in ((23, 1), (25, 8)):  # the schedule, against the real clock: nothing waits
            done = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
            state["full_refresh"]["last_completed_at"] = done.isoformat(timespec="seconds")
            (project / "files" / "state.json").write_text(json.dumps(state))
            before = api.request_count
            scheduled = succeeded(fivetran_debug(tmp_path, configuration(api), project))  # the default 24 h
            assert api.request_count - before == requests
            kind = "tail sync" if requests == 1 else "full refresh completed"
            assert f"; {kind}, 0 soft-deleted" in scheduled
    assert "Upserts         | 749" in third and "Deletes         | 1" in third
    assert "full refresh completed, 1 soft-deleted" in third
    edited = edit_record(generate_record(42, EDITED))
    with duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True) as db:
        rows = dict(db.sql("SELECT record_id, (maintenance_status, _fivetran_deleted) FROM tester.fts_records")
                    .fetchall())
    assert len(rows) == 750 and sum(deleted for _, deleted in rows.values()) == 1
    assert rows[generate_record(42, GONE)["record_id"]] == (generate_record(42, GONE)["maintenance_status"], True)
    assert rows[edited["record_id"]] == (edited["maintenance_status"], False)
    state = json.loads((project / "files" / "state.json").read_text())
    assert state["record_ids"]["count"] == 749 and "started_at" not in state["full_refresh"]
