"""The worst of a hostile API (numbers, deletes, secrets, bounds) through the real `fivetran debug` CLI, against the
tests' own hostile server (tests/hostile.py); every case also runs in-process in tests/test_hostile_api.py."""

import gzip
import json

import duckdb
from hostile import HostileApi, Reply, envelope, page, page_number, records
from support import API_KEY, configuration
from test_fivetran_debug import fivetran_debug

from fts_connector.client import MAX_BODY_BYTES


def table(project, sql: str) -> list:
    with duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True) as db:
        return db.sql(sql).fetchall()


def test_numbers_keep_their_precision_and_a_64_bit_overflow_is_quarantined_through_fivetran_debug(tmp_path):
    items = records(750)
    for i, item in enumerate(items):
        item["gps_lat"] = 29.760431789 + i / 10**9
    items[250]["last_updated_epoch"] = 2**70
    with HostileApi(lambda request: page(request, items)) as api:
        project, result = fivetran_debug(tmp_path, configuration(api))
    assert result.returncode == 0 and "SYNC SUCCEEDED" in result.output, result.output[-3000:]
    types = dict(table(project, "SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = 'fts_records'"))
    assert types["last_updated_epoch"] == "BIGINT" and types["gps_lat"] == "DOUBLE"
    loaded = dict(table(project, "SELECT record_id, (last_updated_epoch, gps_lat) FROM tester.fts_records"))
    assert len(loaded) == 749 and all(
        loaded[item["record_id"]] == (item["last_updated_epoch"], item["gps_lat"]) for item in items if
        item["record_id"] in loaded)
    assert table(project, "SELECT record_id FROM tester.fts_records_rejected") == [(items[250]["record_id"],)]


def test_two_truncated_refreshes_end_in_sync_failed_and_delete_nothing_through_fivetran_debug(tmp_path):
    items, truncated = records(750), {"on": False}

    def respond(request):
        if truncated["on"] and page_number(request) == 2:
            return envelope(items[200:300], None, False)
        return page(request, items)

    with HostileApi(respond) as api:
        config = configuration(api, full_refresh_hours=0)
        project, first = fivetran_debug(tmp_path, config)
        truncated["on"] = True
        fivetran_debug(tmp_path, config, project)
        _, withheld = fivetran_debug(tmp_path, config, project)
    assert first.returncode == 0 and withheld.returncode != 0 and "SYNC FAILED" in withheld.output
    assert "did not return 450 of the 750 records it tracks (60%)" in withheld.output
    assert "set max_delete_percent to 100 for one sync" in withheld.output
    assert table(project, "SELECT count(*) FROM tester.fts_records WHERE _fivetran_deleted") == [(0,)]


def test_a_key_echoed_in_an_error_body_is_not_in_the_output_nor_any_file_through_fivetran_debug(tmp_path):
    def respond(request):
        if request.number == 3:
            return Reply(401, json.dumps({"error": f"API key '{request.headers['x-api-key']}' is not valid",
                                          "headers": request.headers}).encode())
        return page(request, records(750))

    with HostileApi(respond) as api:
        project, result = fivetran_debug(tmp_path, configuration(api))
    assert result.returncode != 0 and "HTTP 401" in result.output and "API key '***' is not valid" in result.output
    assert API_KEY not in result.output
    assert [path for path in project.rglob("*") if path.is_file() and API_KEY.encode() in path.read_bytes()] == []


def test_a_gzip_bomb_fails_naming_the_limit_through_fivetran_debug(tmp_path):
    bomb = gzip.compress(b"\0" * (MAX_BODY_BYTES + 1), compresslevel=9)
    with HostileApi(lambda request: Reply(200, bomb, {"Content-Type": "application/json",
                                                      "Content-Encoding": "gzip"})) as api:
        _, result = fivetran_debug(tmp_path, configuration(api))
    assert result.returncode != 0 and "SYNC FAILED" in result.output
    assert "beyond the connector's limit of 16,777,216 bytes per response" in result.output
