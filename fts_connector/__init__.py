"""Sync Oil & Gas Field Technician Task Summarization (FTS) records into the warehouse table `fts_records`.

`connector.py` is the Fivetran entry point; this package holds the logic, one module per concern:
`settings` (configuration), `client` (HTTP), `sync` (the page loop and checkpoints), `refresh` (full refreshes
on a schedule and delete detection), `schema` (tables).
The data contract the records are checked against lives in `contracts/`.
"""

__version__ = "1.0.0"
CONNECTOR_NAME = "fts-connector"
TABLE = "fts_records"
REJECTED_TABLE = "fts_records_rejected"
