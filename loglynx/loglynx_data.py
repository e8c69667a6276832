"""LogLynx's one data-access module: every figure the app shows comes from the dbt marts through here.

Two backends, chosen at run time by `open_marts()`:
- in Streamlit in Snowflake, the session of `snowflake.snowpark.context.get_active_session()`; Snowflake returns
  column names in upper case, so every result's columns are lower-cased here;
- elsewhere, DuckDB on the marts `dbt build` wrote (analytics/target/fts_analytics.duckdb, or $LOGLYNX_DB), opened
  read-only.

The same SQL runs on both (plain ANSI aggregates, `?` parameters). Filtered figures are aggregated from the fact mart
fts__tasks as sums and counts, and ratios divide those sums, exactly as the aggregate marts do.
"""

from __future__ import annotations

import datetime
import decimal
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DEFAULT_DB = Path(__file__).resolve().parent.parent / "analytics" / "target" / "fts_analytics.duckdb"
BUILD_COMMAND = "tox -e analytics"
START_COMMAND = "tox -e loglynx"
FACT = "fts__tasks"
CORTEX_MODELS = ("mistral-large2", "llama3.1-70b", "llama3.1-8b", "snowflake-arctic")

# The measures of every aggregate, as sums and counts (the same definitions as the marts' fts_task_measures macro).
MEASURES = """
    count(*) as total_tasks,
    count(case when is_completed then 1 end) as completed_tasks,
    coalesce(sum(maintenance_cost), 0) as total_maintenance_cost,
    count(maintenance_cost) as cost_tasks,
    coalesce(sum(downtime_hours), 0) as total_downtime_hours,
    coalesce(sum(summarization_time_saved), 0) as total_time_saved,
    coalesce(sum(failure_rate), 0) as failure_rate_sum,
    count(failure_rate) as failure_rate_tasks"""


class MartsUnavailable(Exception):
    """The marts cannot be read: the message says why and which command to run."""


@dataclass(frozen=True)
class Filters:
    """What every section is filtered by; empty selections filter nothing."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    include_undated: bool = True
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    technicians: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()

    def where(self) -> tuple[str, list]:
        """The SQL predicate over fts__tasks (`1 = 1` when nothing is filtered) and its parameters."""
        clauses, params = [], []
        if self.start is not None or self.end is not None:
            dated = []
            if self.start is not None:
                dated.append("log_date >= ?")
                params.append(self.start)
            if self.end is not None:
                dated.append("log_date <= ?")
                params.append(self.end)
            undated = " or log_date is null" if self.include_undated else ""
            clauses.append(f"(({' and '.join(dated)}){undated})")
        elif not self.include_undated:
            clauses.append("log_date is not null")
        for column, values in (("maintenance_type", self.types), ("maintenance_status", self.statuses),
                               ("equipment_id", self.equipment), ("technician_id", self.technicians),
                               ("customer_id", self.customers)):
            if values:
                clauses.append(f"{column} in ({', '.join('?' for _ in values)})")
                params.extend(values)
        return (" and ".join(clauses) or "1 = 1"), params

    def describe(self) -> str:
        parts = []
        if self.start or self.end:
            parts.append(f"log_date {self.start or '…'} to {self.end or '…'}"
                         + (" (and undated)" if self.include_undated else ""))
        elif not self.include_undated:
            parts.append("dated tasks only")
        for name, values in (("type", self.types), ("status", self.statuses), ("equipment", self.equipment),
                             ("technician", self.technicians), ("customer", self.customers)):
            if values:
                parts.append(f"{name}: {', '.join(values)}")
        return "; ".join(parts) or "no filter (every live task)"


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Lower-case column names (Snowflake returns them upper-case) and Decimal columns as floats."""
    frame = frame.rename(columns=str.lower)
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, decimal.Decimal)).any():
            frame[column] = frame[column].astype(float)
    return frame


@dataclass
class DuckDBMarts:
    """The marts in a local DuckDB file, read-only."""

    path: Path
    schema: str = field(init=False)
    backend: str = "DuckDB"

    def __post_init__(self) -> None:
        import duckdb

        if not self.path.is_file():
            raise MartsUnavailable(
                f"No LogLynx warehouse at {self.path}. Build the demo warehouse and the marts with "
                f"`{BUILD_COMMAND}` (or start the app with `{START_COMMAND}`, which builds them when missing).")
        try:
            self._db = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as error:
            raise MartsUnavailable(
                f"Cannot open {self.path} ({str(error).splitlines()[0]}). If `dbt build` is running, wait for it; "
                f"otherwise rebuild with `{BUILD_COMMAND}`.") from error
        found = self._db.execute(
            "select table_schema from information_schema.tables where table_name = ? order by table_schema",
            [FACT]).fetchone()
        if found is None:
            self._db.close()
            raise MartsUnavailable(
                f"The LogLynx marts are not built in {self.path} (no {FACT}). Run `{BUILD_COMMAND}` (dbt build).")
        self.schema = found[0]

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return normalise(self._db.execute(sql, params or []).df())

    def has_table(self, name: str) -> bool:
        return self._db.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [self.schema, name]).fetchone()[0] > 0

    def close(self) -> None:
        self._db.close()


@dataclass
class SnowflakeMarts:
    """The marts in Snowflake, through the Snowpark session Streamlit in Snowflake provides."""

    session: object
    schema: str = field(init=False)
    backend: str = "Snowflake"

    def __post_init__(self) -> None:
        found = self.query("select table_schema from information_schema.tables where table_name = ?"
                           " order by table_schema", [FACT.upper()])
        if found.empty:
            raise MartsUnavailable(
                f"The LogLynx marts are not in this database (no {FACT.upper()}): run `dbt build --target snowflake` "
                "(analytics/README.md) and create the app in the marts' database.")
        self.schema = found["table_schema"].iloc[0]

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return normalise(self.session.sql(sql, params=params or None).to_pandas())

    def has_table(self, name: str) -> bool:
        found = self.query("select count(*) as n from information_schema.tables where table_schema = ?"
                           " and table_name = ?", [self.schema, name.upper()])
        return int(found["n"].iloc[0]) > 0

    def complete(self, model: str, prompt: str) -> str:
        """Snowflake Cortex COMPLETE (exists only in Snowflake)."""
        answer = self.query("select snowflake.cortex.complete(?, ?) as response", [model, prompt])
        return str(answer["response"].iloc[0])

    def close(self) -> None:
        pass


def active_snowpark_session():
    """The Streamlit in Snowflake session, or None outside Snowflake."""
    try:
        from snowflake.snowpark.context import get_active_session
    except ImportError:
        return None
    try:
        return get_active_session()
    except Exception:  # no active session: not running in Snowflake
        return None


def open_marts():
    """The marts of this run: Snowflake in Streamlit in Snowflake, else the local DuckDB file."""
    session = active_snowpark_session()
    if session is not None:
        return SnowflakeMarts(session)
    return DuckDBMarts(Path(os.environ.get("LOGLYNX_DB") or DEFAULT_DB))


def relation(marts, name: str) -> str:
    return f'"{marts.schema}".{name}'


def with_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Ratios of sums, as the marts define them (null where the divisor is 0)."""
    frame = frame.copy()
    frame["avg_failure_rate"] = frame["failure_rate_sum"] / frame["failure_rate_tasks"].where(
        frame["failure_rate_tasks"] > 0)
    frame["avg_maintenance_cost"] = frame["total_maintenance_cost"] / frame["cost_tasks"].where(frame["cost_tasks"] > 0)
    frame["completed_share"] = frame["completed_tasks"] / frame["total_tasks"].where(frame["total_tasks"] > 0)
    frame["cost_per_downtime_hour"] = frame["total_maintenance_cost"] / frame["total_downtime_hours"].where(
        frame["total_downtime_hours"] > 0)
    return frame


def aggregate(marts, filters: Filters, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """The measures of fts__tasks under `filters`, grouped by the columns `by` (one row when empty)."""
    where, params = filters.where()
    keys = ", ".join(by)
    select = f"{keys}, " if by else ""
    group = f" group by {keys}" if by else ""
    sql = f"select {select}{MEASURES}\nfrom {relation(marts, FACT)}\nwhere {where}{group}"
    return with_ratios(marts.query(sql, params))


# --------------------------------------------------------------------------- what the sections read


def load_status(marts) -> dict:
    return marts.query(f"select * from {relation(marts, 'fts__load_status')}").iloc[0].to_dict()


def kpis(marts, filters: Filters) -> dict:
    return aggregate(marts, filters).iloc[0].to_dict()


def filter_options(marts) -> dict:
    """The values each filter offers, from the fact mart."""
    options = {}
    for name, column in (("types", "maintenance_type"), ("statuses", "maintenance_status"),
                         ("equipment", "equipment_id"), ("technicians", "technician_id"),
                         ("customers", "customer_id")):
        values = marts.query(f"select distinct {column} as value from {relation(marts, FACT)}"
                             f" where {column} is not null order by 1")
        options[name] = values["value"].tolist()
    span = marts.query(f"select min(log_date) as first, max(log_date) as last from {relation(marts, FACT)}")
    options["first_date"], options["last_date"] = (as_date(span["first"].iloc[0]), as_date(span["last"].iloc[0]))
    return options


def as_dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Date columns as datetime.date (DuckDB gives timestamps, Snowflake dates), None where null."""
    for column in columns:
        frame[column] = frame[column].map(as_date).astype(object)
    return frame


def as_date(value) -> datetime.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def cost_distribution(marts, filters: Filters, bin_width: float = 500.0) -> pd.DataFrame:
    """Tasks per maintenance-cost bin (tasks without a cost are not binned)."""
    where, params = filters.where()
    return marts.query(
        f"select floor(maintenance_cost / ?) * ? as cost_from, count(*) as tasks"
        f" from {relation(marts, FACT)} where maintenance_cost is not null and {where}"
        " group by 1 order by 1", [bin_width, bin_width, *params])


def by_type(marts, filters: Filters) -> pd.DataFrame:
    return aggregate(marts, filters, ("maintenance_type",)).sort_values("maintenance_type", na_position="last")


def monthly(marts, filters: Filters) -> pd.DataFrame:
    """Per month of log_date; the undated tasks' row (log_month null) is returned last."""
    return aggregate(marts, filters, ("log_month",)).sort_values("log_month", na_position="last")


def status_mix(marts, filters: Filters) -> pd.DataFrame:
    return aggregate(marts, filters, ("maintenance_status",)).sort_values("total_tasks", ascending=False)


def technicians(marts, filters: Filters) -> pd.DataFrame:
    return aggregate(marts, filters, ("technician_id",)).sort_values("total_time_saved", ascending=False)


def customers(marts, filters: Filters) -> pd.DataFrame:
    return aggregate(marts, filters, ("customer_id",)).sort_values("total_maintenance_cost", ascending=False)


def equipment_at_risk(marts, filters: Filters, top: int = 10, rank_by: str = "avg_failure_rate") -> pd.DataFrame:
    """The `top` equipment by average failure rate or by downtime cost (total cost of tasks with downtime)."""
    frame = aggregate(marts, filters, ("equipment_id",))
    return frame.sort_values([rank_by, "equipment_id"], ascending=[False, True], na_position="last").head(top)


def business_results(marts) -> pd.DataFrame:
    """The four results, in the original description's order."""
    frame = marts.query(f"select * from {relation(marts, 'fts__business_results')}")
    order = {"failed_treatments": 0, "maintenance_cost": 1, "downtime": 2, "summarization_hours": 3}
    frame = frame.sort_values("result_key", key=lambda keys: keys.map(order)).reset_index(drop=True)
    return as_dates(frame, "period_start", "period_end")


def data_quality(marts) -> pd.DataFrame | None:
    """Rejected records by day, rule and field; None when the quarantine is not modelled."""
    if not marts.has_table("fts__data_quality"):
        return None
    return as_dates(marts.query(f"select * from {relation(marts, 'fts__data_quality')}"
                                " order by rejected_on desc, rejected_records desc, rule, field"), "rejected_on")


RECORD_COLUMNS = ("record_id, log_date, maintenance_type, maintenance_status, equipment_id, technician_id, customer_id,"
                  " failure_rate, maintenance_cost, downtime_hours, summarization_time_saved, has_out_of_range_value,"
                  " summarized_log")


def records(marts, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """The filtered tasks, newest first (undated last); all of them when `limit` is None."""
    where, params = filters.where()
    sql = (f"select {RECORD_COLUMNS} from {relation(marts, FACT)} where {where}"
           " order by log_date desc nulls last, record_id")
    if limit is not None:
        sql += f" limit {int(limit)}"
    return as_dates(marts.query(sql, params), "log_date")


# --------------------------------------------------------------------------- AI insights


def insight_prompt(marts, filters: Filters) -> str:
    """The prompt for Cortex: figures from the marts (never raw rows), under the same filters as the sections."""
    figures = kpis(marts, filters)
    types = by_type(marts, filters)
    risk = equipment_at_risk(marts, filters, top=5)
    results = business_results(marts)
    lines = [
        "You are a maintenance analyst for an oil and gas field operation. From these figures only, write four short,",
        "specific insights for maintenance managers and the COO, each with a recommended action.",
        "Do not invent figures.",
        "",
        f"Scope: {filters.describe()}.",
        f"Tasks: {figures['total_tasks']:,.0f}; completed: {figures['completed_tasks']:,.0f}.",
        f"Maintenance cost: ${figures['total_maintenance_cost']:,.2f};"
        f" downtime: {figures['total_downtime_hours']:,.0f} h;"
        f" cost per downtime hour: {money(figures['cost_per_downtime_hour'])}.",
        f"Average failure rate: {rate(figures['avg_failure_rate'])}; hours saved by summarization:"
        f" {figures['total_time_saved']:,.0f}.",
        "By maintenance type (tasks, average failure rate, cost per downtime hour):",
    ]
    for row in types.itertuples():
        lines.append(f"- {row.maintenance_type}: {row.total_tasks:,.0f} tasks, {rate(row.avg_failure_rate)},"
                     f" {money(row.cost_per_downtime_hour)}/h")
    lines.append("Equipment with the highest average failure rate (tasks, rate, downtime hours):")
    for row in risk.itertuples():
        lines.append(f"- {row.equipment_id}: {row.total_tasks:,.0f}, {rate(row.avg_failure_rate)},"
                     f" {row.total_downtime_hours:,.0f} h")
    lines.append("Expected business results a year (baseline -> target; measured over all tasks' latest year):")
    for row in results.itertuples():
        measured = "not measurable" if pd.isna(row.measured_per_year) else f"{row.measured_per_year:,.0f}"
        lines.append(f"- {row.metric}: {row.baseline_per_year:,.0f} -> {row.target_per_year:,.0f} {row.unit};"
                     f" measured {measured}")
    return "\n".join(lines)


def money(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"${value:,.2f}"


def rate(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.1%}"
