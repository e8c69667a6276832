"""Test data from the contract itself: pandera synthesises values that satisfy the soft rules (FtsRecordDrift), and
records carrying them load with no soft finding."""

import math
import warnings

import pandas as pd
from hypothesis import HealthCheck, given, settings
from support import drift_count
from test_contract import good

from contracts import FtsRecordDrift
from fts_connector.validation import check_records

SOFT_ONLY = ["undocumented_value", "out_of_range", "negative", "id_shape"]
SYNTHESISED = ["technician_id", "equipment_id", "maintenance_type", "maintenance_status", "erp_order_id",
               "customer_id", "failure_rate", "maintenance_cost"]  # the INT fields' model is float: not synthesised


def as_json(value):
    return None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else value


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    # the model's text columns have no dtype (validation is cheaper without): synthesis needs one
    ROWS = FtsRecordDrift.to_schema().select_columns(SYNTHESISED).update_columns(
        {name: {"dtype": str} for name in SYNTHESISED[:6]}).strategy(size=5)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(ROWS)
def test_records_with_values_the_drift_model_synthesises_load_without_soft_findings(frame):
    records = [good(record_id=f"0b7f0c9e-3c1e-4d57-9a57-4f6a1f0b7a{i:02d}",
                    **{name: as_json(row[name]) for name in SYNTHESISED})
               for i, (_, row) in enumerate(frame.iterrows())]
    verdict = check_records(records)
    assert verdict.rejected == [] and len(verdict.valid) == len(records)
    assert all(drift_count(verdict.drift, rule) == 0 for rule in SOFT_ONLY), verdict.drift.summary()
