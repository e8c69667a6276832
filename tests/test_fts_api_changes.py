"""The reference API's changing data: edited records, omitted ones (later records move up), a removal behind a
running sync, and refusing every request after the k-th."""

import pytest
from test_fts_api import KEY, fetch, walk

from tools.fts_api import FtsApiServer, _parse_args, edit_record, generate_record


def ids(pages) -> list:
    return [record["record_id"] for page in pages for record in page["fts_records"]]


def test_edited_records_are_served_edited_and_the_rest_unchanged():
    with FtsApiServer(records=30, api_key=KEY, edited=[4]) as api:
        records = [record for page in walk(api, 10) for record in page["fts_records"]]
        api.edit(7)
        assert fetch(api, page_size=10).json()["fts_records"][7] == edit_record(generate_record(42, 7))
    assert records[4] == edit_record(generate_record(42, 4)) and records[3] == generate_record(42, 3)
    assert records[4]["maintenance_status"] != generate_record(42, 4)["maintenance_status"]
    assert records[4]["last_updated_epoch"] == generate_record(42, 4)["last_updated_epoch"] + 86_400


def test_omitted_records_are_not_served_and_later_records_move_up():
    with FtsApiServer(records=30, api_key=KEY, omitted=[5]) as api:
        served = ids(walk(api, 10))
        api.restore(5)
        api.omit(0, 29)
        again = ids(walk(api, 10))
        assert api.served_count == 28 and api.served_ids() == again
    assert served == [generate_record(42, i)["record_id"] for i in range(30) if i != 5]
    assert again == [generate_record(42, i)["record_id"] for i in range(1, 29)]


def test_a_record_removed_behind_a_running_walk_makes_the_next_one_slide_past_it():
    with FtsApiServer(records=30, api_key=KEY, omit_on_request={2: 3}) as api:
        served = ids(walk(api, 10))
    assert len(served) == 29 and generate_record(42, 10)["record_id"] not in served  # slid onto page 1, read before
    assert generate_record(42, 3)["record_id"] in served  # returned on page 1, before its removal


def test_refuse_after_answers_503_from_the_next_request_on_until_cleared():
    with FtsApiServer(records=30, api_key=KEY, refuse_after=1) as api:
        first, second = fetch(api, page_size=10), fetch(api, page_size=10)
        api.refuse_after = None
        third = fetch(api, page_size=10)
    assert (first.status_code, second.status_code, third.status_code) == (200, 503, 200)


def test_the_command_line_takes_the_changes():
    args = _parse_args(["--edit", "1,2", "--omit", "3", "--refuse-after", "5"])
    assert (args.edit, args.omit, args.refuse_after) == ([1, 2], [3], 5)
    with pytest.raises(SystemExit):
        _parse_args(["--omit", "-1"])
