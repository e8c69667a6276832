"""The warehouse tables the connector declares: the records, and the records the contract rejected."""

from contracts import FIELD_TYPES, REJECTED_TABLE_COLUMNS
from fts_connector import REJECTED_TABLE, TABLE


def tables() -> list:
    """`fts_records` with the 14 documented fields typed (fields beyond them are typed from their values)."""
    return [
        {"table": TABLE, "primary_key": ["record_id"], "columns": dict(FIELD_TYPES)},
        {"table": REJECTED_TABLE, "primary_key": ["rejection_key"], "columns": dict(REJECTED_TABLE_COLUMNS)},
    ]
