"""The record_ids kept for delete detection: their encoding, the two-refresh rule, and how the state shows them."""

import base64
import json
import uuid
import zlib

from fivetran_connector_sdk import Logging

from fts_connector import refresh
from fts_connector.checkpoints import records_per_checkpoint
from fts_connector.refresh import PACKED_UUIDS, RecordIds, decode_flags, decode_ids, encode_flags, encode_ids
from tools.state_summary import summarise


def ids(*numbers) -> list:
    return [f"id-{n:04d}" for n in numbers]


def refresh_returning(tracked: RecordIds, returned: list) -> list:
    tracked.begin_refresh()
    tracked.returned(returned)
    return tracked.complete_refresh()


def test_the_encoding_is_sorted_deterministic_and_round_trips():
    assert encode_ids(ids(3, 1, 2)) == encode_ids(ids(1, 2, 3))
    assert decode_ids(encode_ids(ids(3, 1, 2))) == ids(1, 2, 3)
    assert decode_ids(encode_ids(["a\nb", "é", '"q"'])) == sorted(["a\nb", "é", '"q"'])


UUIDS = [str(uuid.UUID(int=n * 7919 ** 9, version=4)) for n in range(1, 301)]


def test_uuids_pack_into_16_bytes_each_and_round_trip_sorted():
    text = encode_ids(reversed(UUIDS))
    assert text.startswith(PACKED_UUIDS) and len(text) == len(PACKED_UUIDS) + 4 * -(-16 * 300 // 3)  # base64
    assert decode_ids(text) == sorted(UUIDS)


def test_ids_not_all_lowercase_uuids_keep_the_json_form_and_round_trip():
    split = [UUIDS[0][:30], UUIDS[0][30:] + UUIDS[1]]  # joined, they read as two UUIDs
    for mixed in (UUIDS[:3] + ["id-1"], [UUIDS[0].upper()], split, ["-" * 36]):
        text = encode_ids(mixed)
        assert not text.startswith(PACKED_UUIDS) and decode_ids(text) == sorted(mixed)


def test_ids_saved_by_the_previous_version_still_decode():
    saved = base64.b64encode(zlib.compress(json.dumps(sorted(UUIDS[:5])).encode(), 9)).decode()  # JSON, zlib, base64
    assert decode_ids(saved) == sorted(UUIDS[:5])
    assert RecordIds({"count": 5, "known": saved}).known == sorted(UUIDS[:5])


def test_only_what_two_consecutive_completed_refreshes_missed_is_deleted():
    tracked = RecordIds(None)
    assert refresh_returning(tracked, ids(1, 2, 3, 4)) == []  # the baseline: nothing was known
    assert refresh_returning(tracked, ids(1, 2, 3)) == []  # 4 missed once
    assert refresh_returning(tracked, ids(1, 2, 4)) == []  # 4 is back; 3 missed once
    assert refresh_returning(tracked, ids(1, 2)) == ids(3)  # 3 missed twice; 4 once
    assert tracked.known == ids(1, 2, 4) and [tracked.known[i] for i, f in enumerate(tracked.missed) if f] == ids(4)


def test_a_tail_sync_that_returns_a_missed_id_clears_it():
    tracked = RecordIds(None)
    refresh_returning(tracked, ids(1, 2))
    refresh_returning(tracked, ids(1))
    tracked.returned(ids(2))  # a tail sync, no refresh running
    assert refresh_returning(tracked, ids(1)) == []


def test_the_state_member_round_trips_mid_refresh():
    tracked = RecordIds(None)
    refresh_returning(tracked, ids(*range(10)))
    refresh_returning(tracked, ids(*range(9)))
    tracked.begin_refresh()
    tracked.returned(ids(0, 1, 10))
    member = json.loads(json.dumps(tracked.state()))
    assert member["count"] == 11 and set(member) == {"count", "known", "added", "missed", "seen"}
    resumed = RecordIds(member)
    resumed.returned(ids(*range(2, 9)))
    assert resumed.complete_refresh() == ids(9)
    assert resumed.state() == {"count": 10, "known": encode_ids(ids(*range(9), 10))}


def test_beyond_the_bound_tracking_stops_and_starts_again_with_the_next_refresh(monkeypatch):
    monkeypatch.setattr(refresh, "MAX_TRACKED_IDS", 3)
    monkeypatch.setattr(Logging, "LOG_LEVEL", Logging.Level.INFO)  # the warning is logged as in a sync
    tracked = RecordIds(None)
    tracked.returned(ids(1, 2, 3, 4))
    assert tracked.state() == {"beyond_bound": True} and tracked.complete_refresh() == []
    again = RecordIds({"beyond_bound": True})
    again.begin_refresh()
    again.returned(ids(1, 2))
    assert again.complete_refresh() == [] and again.state()["count"] == 2


def test_the_state_summary_shows_counts_instead_of_the_encoded_ids():
    tracked = RecordIds(None)
    refresh_returning(tracked, ids(*range(100)))
    tracked.begin_refresh()
    tracked.returned(ids(*range(40)))
    state = {"next_cursor": "c" * 32, "full_refresh": {"last_completed_at": None}, "record_ids": tracked.state()}
    shown = summarise(state)
    assert shown["record_ids"].startswith("100 tracked (")
    assert shown["record_ids"].endswith("0 missed by the last completed refresh, 40 returned by the running refresh")
    assert shown["next_cursor"] == state["next_cursor"] and summarise({"record_ids": {"beyond_bound": True}}) == {
        "record_ids": "not tracked (beyond the bound: deletes are skipped)"}


def test_flags_round_trip_whatever_their_length_and_leading_zeros():
    for flags in (bytearray(), bytearray([0]), bytearray([1, 0, 0]), bytearray([0, 0, 1, 1, 0] * 9)):
        assert decode_flags(encode_flags(flags), len(flags)) == flags


def test_a_checkpoint_waits_for_a_tenth_of_the_tracked_ids_and_for_checkpoint_every_past_the_bound():
    assert records_per_checkpoint(100, 750) == 100
    assert records_per_checkpoint(100, 5_000) == 500
    assert records_per_checkpoint(100, refresh.MAX_TRACKED_IDS) == refresh.MAX_TRACKED_IDS // 10
    assert records_per_checkpoint(100, refresh.MAX_TRACKED_IDS + 1) == 100  # no ids are tracked there
