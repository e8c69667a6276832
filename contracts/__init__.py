"""The data contract of ``fts_records`` as pandera models, read top to bottom: ``fts_record.FtsRecord`` (the wire
record, its hard rules and ``COERCIONS``), ``drift.FtsRecordDrift`` (the soft rules), ``warehouse.FtsTable`` (the table
as loaded). The connector runs its pages through them in ``fts_connector/validation.py``."""

from .drift import FtsRecordDrift
from .fts_record import COERCIONS, FIELD_TYPES, FtsRecord
from .rules import rules_markdown
from .warehouse import FtsTable, validate_table

__all__ = ["FIELD_TYPES", "COERCIONS", "FtsRecord", "FtsRecordDrift", "FtsTable", "validate_table", "rules_markdown"]
