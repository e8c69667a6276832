"""The warehouse tables the connector declares: the records, and the records the contract rejected."""

from contracts import FIELD_TYPES
from fts_connector import REJECTED_TABLE, TABLE

#: Columns of `fts_records_rejected` (`quarantine.Rejection.row`); `reasons`: a JSON list of `{"field", "rule",
#: "value"}`, `raw_record`: the item as canonical JSON, lone surrogates escaped.
REJECTED_TABLE_COLUMNS = {"rejection_key": "STRING", "record_id": "STRING", "reasons": "JSON", "raw_record": "STRING",
                          "rejected_at": "UTC_DATETIME"}


def tables() -> list:
    """`fts_records` with the 14 documented fields typed (fields beyond them are typed from their values)."""
    return [
        {"table": TABLE, "primary_key": ["record_id"], "columns": dict(FIELD_TYPES)},
        {"table": REJECTED_TABLE, "primary_key": ["rejection_key"], "columns": dict(REJECTED_TABLE_COLUMNS)},
    ]
