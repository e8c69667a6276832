"""Replays the recorded full refreshes (cassettes/refresh_edit_delete.yaml): an edit loads, a removed record is
soft-deleted by the second refresh that misses it. No network, no recording."""

from test_cassettes import interactions

from tools.cassettes import SCENARIOS, cassette_path, recorder
from tools.fts_api import edit_record, generate_record

SCENARIO = next(scenario for scenario in SCENARIOS if scenario.name == "refresh_edit_delete")
EDITED, REMOVED = SCENARIO.refreshes


def test_the_recorded_refreshes_replay_an_edit_and_then_a_soft_delete(sync_runner):
    first = interactions(SCENARIO.name)[0]["request"]["uri"]
    configuration = {"api_key": "replay-key", "base_url": first[:first.index("/fts_data")], "page_size": "100",
                     **SCENARIO.settings}
    edited, removed = edit_record(generate_record(42, EDITED)), generate_record(42, REMOVED)["record_id"]
    with recorder.use_cassette(str(cassette_path(SCENARIO.name)), record_mode="none",
                               allow_playback_repeats=False) as tape:
        baseline = sync_runner(configuration, state={})
        missed_once = sync_runner(configuration)
        assert missed_once.query(f"SELECT maintenance_status, maintenance_cost, _fivetran_deleted FROM "
                                 f"tester.fts_records WHERE record_id IN ('{edited['record_id']}', '{removed}') "
                                 f"ORDER BY record_id = '{removed}'") == [
            (edited["maintenance_status"], edited["maintenance_cost"], False),
            (generate_record(42, REMOVED)["maintenance_status"], generate_record(42, REMOVED)["maintenance_cost"],
             False)]  # the edit is loaded; the removed record is missed once: still live
        deleting = sync_runner(configuration)
    assert tape.all_played and len(interactions(SCENARIO.name)) == 9
    assert [run.counts["Deletes"] for run in (baseline, missed_once, deleting)] == [0, 0, 1]
    assert [run.counts["Upserts"] for run in (baseline, missed_once, deleting)] == [250, 249, 249]
    assert deleting.query("SELECT record_id FROM tester.fts_records WHERE _fivetran_deleted") == [(removed,)]
    assert (deleting.progress.refresh, deleting.progress.deleted) == ("full refresh completed", 1)
    assert deleting.state["record_ids"]["count"] == 249
