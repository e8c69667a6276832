"""The data contract of ``fts_records`` as pandera models, read top to bottom: ``fts_record.FtsRecord`` (the wire
record, its hard rules and ``COERCIONS``) and ``drift.FtsRecordDrift`` (the soft rules). The connector runs its pages
through them in ``fts_connector/validation.py``. (The table as loaded, ``FtsTable``, and the rules table the docs show
are for the tests and docs only: ``tools/table_contract.py``, ``tools/contract_rules.py``.)"""

from .drift import FtsRecordDrift
from .fts_record import COERCIONS, FIELD_TYPES, FtsRecord

__all__ = ["FIELD_TYPES", "COERCIONS", "FtsRecord", "FtsRecordDrift"]
