"""Records that cannot be loaded as they are (lone surrogates anywhere, field names the warehouse cannot take) are
quarantined with a reason naming the field, kept escaped and loadable, and the sync goes on (through fivetran debug)."""

import json

import duckdb
from support import API_KEY, configuration
from test_fivetran_debug import fivetran_debug

from fts_connector.validation import check_records
from tools.fts_api import FtsApiServer, generate_record

SEED = 42


def poisoned(offset: int, **changes) -> dict:
    return {**generate_record(SEED, offset), **changes}


# offset -> (the item served, the field its reason names, the rule)
POISON = {
    5: (poisoned(5, log_description="seal \ud800 leak"), "log_description", "not_unicode"),
    40: (poisoned(40, vendor_note="\udc00"), "vendor_note", "not_unicode"),
    77: (poisoned(77, tags=["ok", {"deep": "\ud83d"}]), "tags", "not_unicode"),
    99: (poisoned(99, **{"": 1}), "", "bad_field_name"),
    100: (poisoned(100, RECORD_ID="other"), "RECORD_ID", "bad_field_name"),
    150: (poisoned(150, _fivetran_deleted=True), "_fivetran_deleted", "bad_field_name"),
    201: (poisoned(201, record_id="r-\ud800"), "record_id", "not_unicode"),
    250: (poisoned(250, **{"note\udfff": 1}), "note\\udfff", "bad_field_name"),
}


def test_each_poison_record_is_rejected_alone_with_a_reason_naming_its_field():
    for item, name, rule in POISON.values():
        verdict = check_records([generate_record(SEED, 1), item, generate_record(SEED, 2)])
        assert len(verdict.valid) == 2, item
        assert [(r["field"], r["rule"]) for r in verdict.rejected[0].reasons] == [(name, rule)]
        raw = verdict.rejected[0].raw
        raw.encode("utf-8")  # loadable
        assert json.loads(raw) == item  # faithful: the escapes decode to the very item sent


def test_fivetran_debug_loads_the_valid_records_and_quarantines_each_poison_record(tmp_path):
    served = {offset: item for offset, (item, _, _) in POISON.items()}
    with FtsApiServer(records=300, api_key=API_KEY, seed=SEED, served_instead=served) as api:
        project, result = fivetran_debug(tmp_path, configuration(api))
    output = result.output
    assert result.returncode == 0 and "SYNC SUCCEEDED" in output, output[-3000:]
    with duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True) as db:
        counts = db.sql("SELECT count(*), count(DISTINCT record_id) FROM tester.fts_records").fetchall()
        loaded = {row[0] for row in db.sql("SELECT record_id FROM tester.fts_records").fetchall()}
        rejected = db.sql("SELECT reasons, raw_record FROM tester.fts_records_rejected").fetchall()
    assert counts == [(300 - len(POISON), 300 - len(POISON))] and len(rejected) == len(POISON)  # loaded, rejected
    assert loaded == {generate_record(SEED, i)["record_id"] for i in range(300) if i not in POISON}
    found = {}
    for reasons, raw in rejected:
        item = json.loads(raw)
        (reason,) = json.loads(reasons)
        found[reason["field"], reason["rule"]] = item
    assert found == {(name, rule): item for item, name, rule in POISON.values()}
