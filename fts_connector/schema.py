"""The warehouse tables the connector declares."""

from fts_connector import TABLE

# The 14 documented FTS fields and their Fivetran types. Fields beyond these are upserted as they come.
FIELD_TYPES = {
    "record_id": "STRING",
    "log_date": "NAIVE_DATE",
    "technician_id": "STRING",
    "log_description": "STRING",
    "equipment_id": "STRING",
    "maintenance_type": "STRING",
    "maintenance_status": "STRING",
    "erp_order_id": "STRING",
    "customer_id": "STRING",
    "summarized_log": "STRING",
    "failure_rate": "DOUBLE",
    "maintenance_cost": "DOUBLE",
    "downtime_hours": "INT",
    "summarization_time_saved": "INT",
}


def tables() -> list:
    return [{"table": TABLE, "primary_key": ["record_id"], "columns": dict(FIELD_TYPES)}]
