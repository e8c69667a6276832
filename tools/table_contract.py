"""The ``fts_records`` table as loaded (for the tests: it does not ship), read back from DuckDB as a DataFrame:
pandera coerces the columns (``Int32`` with NULLs becomes float with NaN); other columns are ignored, and so is a
missing one, but ``record_id``."""

import datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from contracts.fts_record import INT32, STRINGS, enforced, is_day

COLUMN = {"nullable": True, "required": False, "coerce": True}  # a missing record_id breaks "required" below


class FtsTable(pa.DataFrameModel):
    record_id: Series[object] = pa.Field(unique=True, **COLUMN)
    log_date: Series[object] = pa.Field(**COLUMN)
    technician_id: Series[object] = pa.Field(**COLUMN)
    log_description: Series[object] = pa.Field(**COLUMN)
    equipment_id: Series[object] = pa.Field(**COLUMN)
    maintenance_type: Series[object] = pa.Field(**COLUMN)
    maintenance_status: Series[object] = pa.Field(**COLUMN)
    erp_order_id: Series[object] = pa.Field(**COLUMN)
    customer_id: Series[object] = pa.Field(**COLUMN)
    summarized_log: Series[object] = pa.Field(**COLUMN)
    failure_rate: Series[float] = pa.Field(**COLUMN)
    maintenance_cost: Series[float] = pa.Field(**COLUMN)
    downtime_hours: Series[float] = pa.Field(**COLUMN)
    summarization_time_saved: Series[float] = pa.Field(**COLUMN)

    @pa.dataframe_check(name="required")
    def _required(cls, df: pd.DataFrame) -> Series:
        present = df["record_id"] if "record_id" in df.columns else pd.Series(None, index=df.index, dtype=object)
        return present.notna() & (present != "")

    @pa.check(*STRINGS, name="not_a_string")
    def _text(cls, value: Series) -> Series:
        return value.map(lambda v: isinstance(v, str))

    @pa.check("log_date", name="not_a_date")
    def _date(cls, value: Series) -> Series:
        return value.map(_is_date)

    @pa.check("failure_rate", "maintenance_cost", name="not_finite")
    def _finite(cls, value: Series) -> Series:
        return np.isfinite(value)

    @pa.check("downtime_hours", "summarization_time_saved", name="not_an_integer")
    def _integer(cls, value: Series) -> Series:
        return np.floor(value) == value

    @pa.check("downtime_hours", "summarization_time_saved", name="out_of_int32_range")
    def _int32(cls, value: Series) -> Series:
        return value.between(*INT32)


def _is_date(value) -> bool:
    """A date, date text, or a naive timestamp at midnight (how DuckDB DATE columns come back)."""
    if isinstance(value, datetime.datetime):
        return value.tzinfo is None and value.time() == datetime.time()
    return isinstance(value, datetime.date) or isinstance(value, str) and len(value) == 10 and is_day(value)


def validate_table(df: pd.DataFrame) -> None:
    """Raises ``pandera.errors.SchemaErrors`` listing every broken cell."""
    with enforced():
        FtsTable.validate(df, lazy=True)
