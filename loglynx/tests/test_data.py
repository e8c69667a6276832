"""The data-access module: the filters' SQL, the Snowflake backend (upper-case columns, Decimal numbers, `?`
parameters) and every statement it sends parsed in Snowflake's dialect."""

import datetime
import decimal
from pathlib import Path

import duckdb
import loglynx_data as data
import pandas as pd
import pytest
import sqlglot
from conftest import sql


class StandInSnowparkSession:
    """Answers `session.sql(query, params=...).to_pandas()` as Snowpark does on Snowflake, for the SQL that
    loglynx_data sends: column names upper-case, integer columns as Decimal (Snowflake's NUMBER), information_schema
    names upper-case. The SQL runs on the DuckDB marts (DuckDB, like Snowflake, matches unquoted and quoted
    identifiers without regard to case). It records every statement."""

    def __init__(self, path: Path):
        self.db = duckdb.connect(str(path), read_only=True)
        self.statements: list[tuple[str, list | None]] = []

    def sql(self, query: str, params: list | None = None):
        self.statements.append((query, params))
        params = [value.lower() if isinstance(value, str) and value.isupper() else value for value in params or []]
        frame = self.db.execute(query, params).df()
        if "information_schema" in query:
            frame = frame.apply(lambda column: column.str.upper() if column.dtype == object else column)
        for column in frame.columns:
            if pd.api.types.is_integer_dtype(frame[column]):
                frame[column] = frame[column].map(decimal.Decimal).astype(object)
        frame.columns = [column.upper() for column in frame.columns]
        return StandInDataFrame(frame)


class StandInDataFrame:
    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def to_pandas(self) -> pd.DataFrame:
        return self.frame


def test_no_filter_is_no_predicate():
    assert data.Filters().where() == ("1 = 1", [])


def test_filters_become_one_parameterised_predicate():
    filters = data.Filters(start=datetime.date(2023, 2, 1), end=datetime.date(2023, 3, 31), include_undated=False,
                           types=("Predictive", "Corrective"), customers=("CUST_000001",))
    where, params = filters.where()
    assert where == ("((log_date >= ? and log_date <= ?)) and maintenance_type in (?, ?) and customer_id in (?)")
    assert params == [datetime.date(2023, 2, 1), datetime.date(2023, 3, 31), "Predictive", "Corrective",
                      "CUST_000001"]


def test_a_date_range_keeps_undated_tasks_when_asked():
    where, _ = data.Filters(start=datetime.date(2023, 2, 1), include_undated=True).where()
    assert where == "((log_date >= ?) or log_date is null)"
    assert data.Filters(include_undated=False).where() == ("log_date is not null", [])


def test_the_snowflake_backend_gives_the_duckdb_backends_figures_with_lower_case_columns(demo_db):
    session = StandInSnowparkSession(demo_db)
    snowflake = data.SnowflakeMarts(session)
    local = data.DuckDBMarts(demo_db)
    assert snowflake.schema == "MAIN_FTS"
    filters = data.Filters(types=("Predictive",))
    assert data.kpis(snowflake, filters) == pytest.approx(data.kpis(local, filters))
    risk = data.equipment_at_risk(snowflake, filters, top=5)
    assert list(risk.columns) == list(data.equipment_at_risk(local, filters, top=5).columns)
    assert all(column == column.lower() for column in risk.columns)
    assert risk["total_tasks"].dtype != object  # Decimal NUMBERs became numbers
    assert data.load_status(snowflake)["live_records"] == data.load_status(local)["live_records"]
    assert snowflake.has_table("fts__data_quality")
    local.close()


def test_open_marts_takes_the_snowpark_session_when_there_is_one(demo_db, monkeypatch):
    monkeypatch.setattr(data, "active_snowpark_session", lambda: StandInSnowparkSession(demo_db))
    assert isinstance(data.open_marts(), data.SnowflakeMarts)
    monkeypatch.setattr(data, "active_snowpark_session", lambda: None)
    monkeypatch.setenv("LOGLYNX_DB", str(demo_db))
    assert isinstance(data.open_marts(), data.DuckDBMarts)


def test_outside_snowflake_there_is_no_active_session():
    assert data.active_snowpark_session() is None


def test_cortex_is_asked_through_snowflake_cortex_complete_with_the_model_and_the_prompt(demo_db):
    session = StandInSnowparkSession(demo_db)
    marts = data.SnowflakeMarts(session)
    session.db.close()
    session.sql = lambda query, params=None: (session.statements.append((query, params)) or StandInDataFrame(
        pd.DataFrame({"RESPONSE": ["(stand-in: no model was asked)"]})))
    marts.complete("mistral-large2", "the figures")
    assert session.statements[-1] == ("select snowflake.cortex.complete(?, ?) as response",
                                      ["mistral-large2", "the figures"])


def test_every_statement_the_app_sends_parses_as_snowflake_sql(demo_db):
    session = StandInSnowparkSession(demo_db)
    marts = data.SnowflakeMarts(session)
    filters = data.Filters(start=datetime.date(2023, 1, 1), end=datetime.date(2023, 6, 30), types=("Predictive",),
                           statuses=("Completed",), equipment=("EQUIP_000001",), technicians=("TECH_000001",),
                           customers=("CUST_000001",))
    data.filter_options(marts)
    data.load_status(marts)
    for read in (data.kpis, data.cost_distribution, data.by_type, data.monthly, data.status_mix, data.technicians,
                 data.customers, data.equipment_at_risk, data.records, data.insight_prompt):
        read(marts, filters)
    data.business_results(marts)
    data.data_quality(marts)
    statements = [query for query, _ in session.statements] + ["select snowflake.cortex.complete(?, ?) as response"]
    assert len(statements) > 15
    for query in statements:
        assert sqlglot.parse_one(query, read="snowflake") is not None, query


def test_the_csv_has_every_filtered_task(demo_db):
    marts = data.DuckDBMarts(demo_db)
    filters = data.Filters(statuses=("Delayed",))
    csv = data.records(marts, filters).to_csv(index=False)
    (delayed,) = sql(demo_db, "select count(*) from main_fts.fts__tasks where maintenance_status = 'Delayed'")[0]
    assert len(csv.strip().splitlines()) == delayed + 1  # header + one line per task
    marts.close()


def test_ratios_divide_sums_and_are_null_without_a_divisor():
    frame = data.with_ratios(pd.DataFrame({
        "total_tasks": [2, 1], "completed_tasks": [1, 0], "total_maintenance_cost": [300.0, 0.0],
        "cost_tasks": [2, 0], "total_downtime_hours": [4, 0], "total_time_saved": [3, 0],
        "failure_rate_sum": [0.75, 0.0], "failure_rate_tasks": [2, 0]}))
    assert frame["cost_per_downtime_hour"].tolist()[0] == 75.0
    assert frame["avg_failure_rate"].tolist()[0] == 0.375
    assert frame[["avg_failure_rate", "avg_maintenance_cost", "cost_per_downtime_hour"]].iloc[1].isna().all()
