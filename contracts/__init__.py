"""Data contract of the FTS records synced into ``fts_records`` (see ``contracts.rules`` for every rule)."""

from .drift import Drift
from .fts_record import REJECTED_TABLE_COLUMNS, Rejection, Verdict, check_pages, check_records, validate_table
from .rules import COERCIONS, FIELD_TYPES, HARD_RULES, HARD_SCHEMA, SOFT_RULES, SOFT_SCHEMA, rules_markdown

__all__ = [
    "FIELD_TYPES",
    "REJECTED_TABLE_COLUMNS",
    "COERCIONS",
    "HARD_RULES",
    "SOFT_RULES",
    "HARD_SCHEMA",
    "SOFT_SCHEMA",
    "Drift",
    "Rejection",
    "Verdict",
    "check_records",
    "check_pages",
    "validate_table",
    "rules_markdown",
]
