"""Sync Oil & Gas Field Technician Task Summarization (FTS) records into the warehouse table `fts_records`.

`connector.py` is the Fivetran entry point; this package holds the logic, one module per concern:
`settings` (configuration), `client` (HTTP), `sync` (the page loop and checkpoints), `validation` (pages through
the data contract, which lives in `contracts/`), `quarantine` (the rejected records), `drift` (the soft findings),
`refresh` (full refreshes on a schedule and delete detection), `schema` (tables).
"""

__version__ = "1.0.0"
CONNECTOR_NAME = "fts-connector"
TABLE = "fts_records"
REJECTED_TABLE = "fts_records_rejected"
