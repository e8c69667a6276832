"""The soft rules: loadable but unexpected, counted among the loaded records (the sync logs them as contract drift),
never rejected."""

from typing import Any

import pandera.pandas as pa
from pandera.typing import Series


class FtsRecordDrift(pa.DataFrameModel):
    """The loaded values of a batch's valid records; nulls and absent fields are skipped."""

    record_id: Series[Any] = pa.Field(nullable=True, str_matches=r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                                                 r"[0-9a-f]{12}\Z")  # the API's own: lowercase UUIDs
    technician_id: Series[Any] = pa.Field(nullable=True, str_matches=r"TECH_[0-9]{6}\Z")
    equipment_id: Series[Any] = pa.Field(nullable=True, str_matches=r"EQUIP_[0-9]{6}\Z")
    maintenance_type: Series[Any] = pa.Field(nullable=True, isin=["Predictive", "Corrective", "Condition-Based"])
    maintenance_status: Series[Any] = pa.Field(nullable=True, isin=["Completed", "Delayed", "In Progress", "Cancelled"])
    erp_order_id: Series[Any] = pa.Field(nullable=True, str_matches=r"ORDER_[0-9]{6}\Z")
    customer_id: Series[Any] = pa.Field(nullable=True, str_matches=r"CUST_[0-9]{6}\Z")
    failure_rate: Series[float] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})
    maintenance_cost: Series[float] = pa.Field(nullable=True, ge=0)
    downtime_hours: Series[float] = pa.Field(nullable=True, ge=0)
    summarization_time_saved: Series[float] = pa.Field(nullable=True, ge=0)

    class Config:
        coerce = True  # the numbers; text columns have no dtype (cheaper): loaded values are text or None


#: soft rule -> (the pandera check that finds it, or None for a rule on the keys sent; the drift summary's label)
SOFT_RULES = {"undocumented_value": ("isin", "outside documented values"), "out_of_range": ("in_range", "outside 0–1"),
              "negative": ("greater_than_or_equal_to", "negative values"),
              "id_shape": ("str_matches", "not shaped like SHAPE"),
              "extra_field": (None, "fields beyond the contract"), "missing_field": (None, "documented fields missing")}
RULE_OF_CHECK = {check: rule for rule, (check, _) in SOFT_RULES.items() if check}
