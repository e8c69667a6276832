"""The ``fts_records`` table as loaded: validated as read back from the warehouse (DuckDB locally) as a DataFrame.

Numeric columns are coerced by pandera (an ``Int32`` column with NULLs becomes float with NaN); columns beyond the 14
and ``_fivetran_*`` columns are ignored; a column the table lacks is not checked (only ``record_id`` is required).
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .fts_record import INT32, STRINGS, enforced

__all__ = ["FtsTable", "validate_table"]

_STRING = {"nullable": True, "required": False, "coerce": True}
_NUMBER = {"nullable": True, "required": False, "coerce": True}


def _is_date(value) -> bool:
    if isinstance(value, datetime.datetime):  # a timestamp is a date only at naive midnight
        return value.tzinfo is None and value.time() == datetime.time()
    if isinstance(value, datetime.date):
        return True
    if isinstance(value, str):
        try:
            return len(value) == 10 and datetime.date.fromisoformat(value) is not None
        except ValueError:
            return False
    return False


class FtsTable(pa.DataFrameModel):
    record_id: Series[object] = pa.Field(unique=True, **_STRING)
    log_date: Series[object] = pa.Field(**_STRING)
    technician_id: Series[object] = pa.Field(**_STRING)
    log_description: Series[object] = pa.Field(**_STRING)
    equipment_id: Series[object] = pa.Field(**_STRING)
    maintenance_type: Series[object] = pa.Field(**_STRING)
    maintenance_status: Series[object] = pa.Field(**_STRING)
    erp_order_id: Series[object] = pa.Field(**_STRING)
    customer_id: Series[object] = pa.Field(**_STRING)
    summarized_log: Series[object] = pa.Field(**_STRING)
    failure_rate: Series[float] = pa.Field(**_NUMBER)
    maintenance_cost: Series[float] = pa.Field(**_NUMBER)
    downtime_hours: Series[float] = pa.Field(**_NUMBER)
    summarization_time_saved: Series[float] = pa.Field(**_NUMBER)

    class Config:
        name = "fts_records"

    @pa.dataframe_check(name="required", description="record_id is missing, null or empty")
    def _required(cls, df: pd.DataFrame) -> Series:
        if "record_id" not in df.columns:
            return pd.Series(False, index=df.index)
        return df["record_id"].notna() & (df["record_id"] != "")

    @pa.check(*STRINGS, name="not_a_string", description="not text")
    def _text(cls, value: Series) -> Series:
        return value.map(type) == str

    @pa.check("log_date", name="not_a_date", ignore_na=True, description="not a date (a timestamp at midnight is one)")
    def _date(cls, value: Series) -> Series:
        return value.map(_is_date)

    @pa.check("failure_rate", "maintenance_cost", name="not_finite", description="NaN or ±Infinity")
    def _finite(cls, value: Series) -> Series:
        return np.isfinite(value)

    @pa.check("downtime_hours", "summarization_time_saved", name="not_an_integer", description="not an integer")
    def _integer(cls, value: Series) -> Series:
        return np.floor(value) == value

    @pa.check("downtime_hours", "summarization_time_saved", name="out_of_int32_range",
              description="outside the 32-bit signed range")
    def _int32(cls, value: Series) -> Series:
        return value.between(*INT32)


def validate_table(df: pd.DataFrame) -> None:
    """Check an ``fts_records`` table read back from the warehouse; raises ``pandera.errors.SchemaErrors`` listing
    every broken cell."""
    columns = [name for name in FtsTable.to_schema().columns if name in df.columns]
    with enforced():
        FtsTable.validate(df[columns], lazy=True)
