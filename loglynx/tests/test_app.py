"""The app through Streamlit's AppTest: every section renders, the numbers it shows equal SQL on the marts (with and
without filters), and a missing or empty warehouse shows a message naming the command to run."""

import datetime
from pathlib import Path

import duckdb
import pytest
import streamlit_app
from conftest import sql
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
MARTS = "main_fts"


def run_app(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("LOGLYNX_DB", str(db))
    app = AppTest.from_file(str(APP), default_timeout=60)
    return app.run()


def metrics(app: AppTest) -> dict:
    """The KPI header's metrics (the first five on the page)."""
    return {metric.label: metric.value for metric in list(app.metric)[:5]}


def expected_kpis(db: Path, table: str, where: str = "1 = 1", params: list | None = None) -> dict:
    tasks, cost, downtime, saved, rate_sum, rate_tasks = sql(db, f"""
        select sum(total_tasks), sum(total_maintenance_cost), sum(total_downtime_hours), sum(total_time_saved),
               sum(failure_rate_sum), sum(failure_rate_tasks)
        from {MARTS}.{table} where {where}""", params)[0]
    return {"Tasks": f"{tasks:,.0f}", "Avg failure rate": f"{rate_sum / rate_tasks:.1%}",
            "Maintenance cost": f"${cost:,.0f}", "Downtime": f"{downtime:,.0f} h", "Hours saved": f"{saved:,.0f} h"}


def test_every_section_renders_without_an_exception(monkeypatch, demo_db):
    app = run_app(monkeypatch, demo_db)
    assert not app.exception
    assert [tab.label for tab in app.tabs] == list(streamlit_app.SECTIONS)
    headings = [header.value for header in app.subheader]
    assert headings == ["Maintenance cost distribution", "Failure rate by maintenance type",
                        "Downtime and cost by month", "Status mix", "Cost vs hours saved, per technician",
                        "Equipment at risk", "Technician performance", "Customers", "Expected business results",
                        "Data quality", "Data explorer", "AI insights"]
    assert not app.error


def test_the_kpis_equal_the_sums_of_the_monthly_mart(monkeypatch, demo_db):
    app = run_app(monkeypatch, demo_db)
    assert metrics(app) == expected_kpis(demo_db, "fts__monthly_kpis")


def test_a_type_filter_changes_the_kpis_as_the_same_filter_on_the_type_mart(monkeypatch, demo_db):
    app = run_app(monkeypatch, demo_db)
    before = metrics(app)
    app.multiselect(key="filter_types").set_value(["Predictive"]).run()
    assert not app.exception
    after = metrics(app)
    assert after == expected_kpis(demo_db, "fts__maintenance_type_effectiveness", "maintenance_type = ?",
                                  ["Predictive"])
    assert after["Tasks"] != before["Tasks"]


def test_a_status_and_technician_filter_match_sql_on_the_fact(monkeypatch, demo_db):
    technician = sql(demo_db, f"select technician_id from {MARTS}.fts__technician_summary"
                              " order by total_tasks desc, technician_id limit 1")[0][0]
    app = run_app(monkeypatch, demo_db)
    app.multiselect(key="filter_statuses").set_value(["Completed"])
    app.multiselect(key="filter_technicians").set_value([technician]).run()
    tasks, cost = sql(demo_db, f"select count(*), coalesce(sum(maintenance_cost), 0) from {MARTS}.fts__tasks"
                               " where maintenance_status = 'Completed' and technician_id = ?", [technician])[0]
    assert metrics(app)["Tasks"] == f"{tasks:,.0f}"
    assert metrics(app)["Maintenance cost"] == f"${cost:,.0f}"
    explorer = app.dataframe[-1].value  # the data explorer's table is the last one on the page
    assert len(explorer) == tasks
    assert set(explorer["technician_id"]) <= {technician}


def test_a_date_range_leaves_undated_tasks_out_only_when_asked(monkeypatch, edge_db):
    app = run_app(monkeypatch, edge_db)
    assert metrics(app)["Tasks"] == "6"  # 7 records, one soft-deleted; the undated one counts
    app.date_input(key="filter_dates").set_value((datetime.date(2024, 2, 1), datetime.date(2024, 3, 9))).run()
    assert metrics(app)["Tasks"] == "5"  # e2, e3, e6, e7 and the undated e4
    app.checkbox(key="filter_undated").uncheck().run()
    assert metrics(app)["Tasks"] == "4"
    assert metrics(app)["Maintenance cost"] == "$800"  # 500 + (e3 has no cost) + 300 + (e7's -50 left out)


def test_edge_cases_show_sums_of_valid_values_and_say_what_was_left_out(monkeypatch, edge_db):
    app = run_app(monkeypatch, edge_db)
    assert metrics(app) == {"Tasks": "6", "Avg failure rate": "40.0%", "Maintenance cost": "$2,000",
                            "Downtime": "28 h", "Hours saved": "16 h"}
    assert metrics(app) == expected_kpis(edge_db, "fts__customer_summary")
    captions = [caption.value for caption in app.caption]
    assert "1 undated task is in the totals but on no month." in captions
    by_type = app.dataframe[0].value  # failure rate by type: lower-case `predictive` is Predictive
    assert by_type.set_index("maintenance_type")["total_tasks"].to_dict() == {
        "Condition-Based": 1, "Corrective": 2, "Emergency": 1, "Predictive": 2}
    quality = {metric.label: metric.value for metric in app.metric if metric.label in (
        "Live records", "Soft-deleted", "Undated", "Out of range", "In quarantine")}
    assert quality == {"Live records": "6", "Soft-deleted": "1", "Undated": "1", "Out of range": "1",
                       "In quarantine": "1"}


def test_the_sections_show_the_marts_rows(monkeypatch, demo_db):
    app = run_app(monkeypatch, demo_db)
    tables = [frame.value for frame in app.dataframe]
    by_type, risk, technicians, customers, rejected = tables[0], tables[1], tables[2], tables[3], tables[4]
    mart_types = sql(demo_db, f"select maintenance_type, total_tasks, avg_failure_rate, cost_per_downtime_hour"
                              f" from {MARTS}.fts__maintenance_type_effectiveness order by maintenance_type")
    shown = [(row.maintenance_type, row.total_tasks, round(row.avg_failure_rate, 9),
              round(row.cost_per_downtime_hour, 6)) for row in by_type.itertuples()]
    assert shown == [(kind, tasks, round(rate, 9), round(cost, 6)) for kind, tasks, rate, cost in mart_types]
    mart_risk = sql(demo_db, f"select equipment_id, total_tasks, total_downtime_hours"
                             f" from {MARTS}.fts__equipment_reliability"
                             " order by avg_failure_rate desc, equipment_id limit 10")
    assert list(risk[["equipment_id", "total_tasks", "total_downtime_hours"]].itertuples(index=False, name=None)) == \
        mart_risk
    assert len(technicians) == sql(demo_db, f"select count(*) from {MARTS}.fts__technician_summary")[0][0]
    assert technicians["total_time_saved"].sum() == sql(
        demo_db, f"select sum(total_time_saved) from {MARTS}.fts__technician_summary")[0][0]
    assert len(customers) == sql(demo_db, f"select count(*) from {MARTS}.fts__customer_summary")[0][0]
    assert rejected["rejected_records"].sum() == sql(
        demo_db, f"select sum(rejected_records) from {MARTS}.fts__data_quality")[0][0]


def test_the_business_results_show_the_mart_and_say_what_cannot_be_measured(monkeypatch, demo_db):
    app = run_app(monkeypatch, demo_db)
    shown = {metric.label: metric.value for metric in app.metric}
    (cost,) = sql(demo_db, f"select measured_per_year from {MARTS}.fts__business_results"
                           " where result_key = 'maintenance_cost'")[0]
    assert shown["Measured (USD)"] == f"{cost:,.0f}"
    assert shown["Measured (treatments)"] == "—"
    assert "Gap to target (treatments)" not in shown
    assert any("no field records a failed treatment" in caption.value for caption in app.caption)


def test_ai_insights_say_cortex_is_unavailable_here_and_show_the_figures_it_would_send(monkeypatch, demo_db):
    app = run_app(monkeypatch, demo_db)
    assert any("runs only in Streamlit in Snowflake" in info.value for info in app.info)
    assert app.button(key="generate").disabled
    prompt = app.code[0].value
    (tasks,) = sql(demo_db, f"select count(*) from {MARTS}.fts__tasks")[0]
    assert f"Tasks: {tasks:,.0f};" in prompt
    assert "failed treatments per year: 2,000 -> 1,700 treatments; measured not measurable" in prompt
    assert "record_id" not in prompt and "summarized_log" not in prompt  # figures, not raw rows


def test_a_missing_warehouse_names_the_command_that_builds_it(monkeypatch, tmp_path):
    app = run_app(monkeypatch, tmp_path / "nothing-here.duckdb")
    assert not app.exception
    assert "No LogLynx warehouse" in app.error[0].value
    assert "`tox -e analytics`" in app.error[0].value


def test_a_database_without_the_marts_says_they_are_not_built(monkeypatch, tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    app = run_app(monkeypatch, path)
    assert not app.exception
    assert "marts are not built" in app.error[0].value
    assert "`tox -e analytics`" in app.error[0].value


def test_only_soft_deleted_records_say_so_instead_of_zeros(monkeypatch, only_deleted_db):
    app = run_app(monkeypatch, only_deleted_db)
    assert not app.exception
    assert "Every record in fts_records (7) is soft-deleted" in app.warning[0].value
    assert not app.metric and not app.tabs


def test_a_warehouse_without_records_says_to_sync(monkeypatch, empty_db):
    app = run_app(monkeypatch, empty_db)
    assert not app.exception
    assert "no records yet" in app.warning[0].value


def test_without_the_quarantine_the_data_quality_section_says_it_is_not_modelled(monkeypatch, no_quarantine_db):
    app = run_app(monkeypatch, no_quarantine_db)
    assert not app.exception
    assert any("fts_using_quarantine is false" in info.value for info in app.info)
    assert {metric.label: metric.value for metric in app.metric}["In quarantine"] == "n/a"


@pytest.mark.parametrize("rank_by, order", [("total_downtime_hours", "total_downtime_hours desc"),
                                            ("total_maintenance_cost", "total_maintenance_cost desc")])
def test_equipment_at_risk_ranks_as_the_equipment_mart(monkeypatch, demo_db, rank_by, order):
    app = run_app(monkeypatch, demo_db)
    app.selectbox(key="risk_rank").set_value(rank_by)
    app.slider(key="risk_top").set_value(5).run()
    risk = app.dataframe[1].value
    expected = sql(demo_db, f"select equipment_id from {MARTS}.fts__equipment_reliability"
                            f" order by {order}, equipment_id limit 5")
    assert list(risk["equipment_id"]) == [row[0] for row in expected]
