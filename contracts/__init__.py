"""The data contract of ``fts_records`` as pandera models, read top to bottom: ``fts_record.FtsRecord`` (the wire
record and its hard rules), ``drift.FtsRecordDrift`` (the soft rules), ``warehouse.FtsTable`` (the table as loaded);
``check.check_pages`` runs a batch of pages through them."""

from .check import COERCIONS, REJECTED_TABLE_COLUMNS, Rejection, Verdict, check_pages, check_records
from .drift import Drift, FtsRecordDrift
from .fts_record import FIELD_TYPES, FtsRecord
from .rules import rules_markdown
from .warehouse import FtsTable, validate_table

__all__ = ["FIELD_TYPES", "REJECTED_TABLE_COLUMNS", "COERCIONS", "FtsRecord", "FtsRecordDrift", "FtsTable", "Drift",
           "Rejection", "Verdict", "check_records", "check_pages", "validate_table", "rules_markdown"]
