"""Sync Oil & Gas Field Technician Task Summarization (FTS) records into the warehouse table `fts_records`.

`connector.py` is the Fivetran entry point; this package holds the logic, one module per concern:
`settings` (configuration), `client` (HTTP), `sync` (the page loop and checkpoints).
"""

__version__ = "1.0.0"
CONNECTOR_NAME = "fts-connector"
TABLE = "fts_records"
