"""LogLynx: field-operations analytics on the FTS connector's data, for technicians, maintenance and operations managers
and the COO. It reads only the dbt marts (analytics/), through loglynx_data; locally from DuckDB, in Streamlit in
Snowflake from the Snowpark session. Start it with `tox -e loglynx`.
"""

import datetime

import altair as alt
import loglynx_data as data
import pandas as pd
import streamlit as st

SECTIONS = ("Cost distribution", "Failure rate by type", "Monthly trends", "Status mix", "Cost vs hours saved",
            "Equipment at risk", "Technicians", "Customers", "Business results", "Data quality", "Data explorer",
            "AI insights")
EXPLORER_ROWS = 500  # rows shown in the explorer table
CSV_MAX_ROWS = 100_000  # rows in the CSV download (every filtered row up to this)
COUNT_AXIS = alt.Axis(tickMinStep=1, format="d")  # whole numbers on an axis of counts


FORMATS = {  # how the tables show their numbers (the values stay the marts')
    "avg_failure_rate": "percent", "completed_share": "percent", "failure_rate": "percent",
    "total_maintenance_cost": "dollar", "avg_maintenance_cost": "dollar", "cost_per_downtime_hour": "dollar",
    "maintenance_cost": "dollar", "total_downtime_hours": "localized", "total_time_saved": "localized",
}


def table(frame: pd.DataFrame) -> None:
    config = {column: st.column_config.NumberColumn(format=FORMATS[column])
              for column in frame.columns if column in FORMATS}
    st.dataframe(frame, hide_index=True, column_config=config)


def count(value) -> str:
    return f"{value:,.0f}"


def hours(value) -> str:
    return f"{value:,.0f} h"


def timestamp(value) -> str:
    if value is None or pd.isna(value):
        return "not readable here"
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def sidebar_filters(options: dict) -> data.Filters:
    st.sidebar.header("Filters")
    st.sidebar.caption("Every section follows these, except where it says otherwise.")
    first, last = options["first_date"], options["last_date"]
    start = end = None
    if first is not None:
        picked = st.sidebar.date_input("Log date range", value=(first, last), min_value=first, max_value=last,
                                       key="filter_dates")
        if isinstance(picked, (tuple, list)) and len(picked) == 2 and (picked[0], picked[1]) != (first, last):
            start, end = picked
    include_undated = st.sidebar.checkbox("Include undated tasks", value=True, key="filter_undated",
                                          help="Tasks the API sent without a log_date: in every total, on no month.")
    return data.Filters(
        start=start, end=end, include_undated=include_undated,
        types=tuple(st.sidebar.multiselect("Maintenance type", options["types"], key="filter_types")),
        statuses=tuple(st.sidebar.multiselect("Status", options["statuses"], key="filter_statuses")),
        equipment=tuple(st.sidebar.multiselect("Equipment", options["equipment"], key="filter_equipment")),
        technicians=tuple(st.sidebar.multiselect("Technician", options["technicians"], key="filter_technicians")),
        customers=tuple(st.sidebar.multiselect("Customer", options["customers"], key="filter_customers")),
    )


def kpi_header(marts, filters: data.Filters, status: dict) -> None:
    figures = data.kpis(marts, filters)
    columns = st.columns(5)
    columns[0].metric("Tasks", count(figures["total_tasks"]))
    columns[1].metric("Avg failure rate", data.rate(figures["avg_failure_rate"]))
    columns[2].metric("Maintenance cost", f"${figures['total_maintenance_cost']:,.0f}")
    columns[3].metric("Downtime", hours(figures["total_downtime_hours"]))
    columns[4].metric("Hours saved", hours(figures["total_time_saved"]))
    st.caption(
        f"As of {timestamp(status['last_synced_at'])} (last sync) · last completed full refresh "
        f"{timestamp(status['last_full_refresh_at'])} · {filters.describe()} · "
        f"cost per downtime hour {data.money(figures['cost_per_downtime_hour'])} (total cost / total hours) · "
        f"{marts.backend}")


def cost_distribution(marts, filters: data.Filters) -> None:
    st.subheader("Maintenance cost distribution")
    width = st.select_slider("Bin width ($)", options=[100, 250, 500, 1000], value=500, key="cost_bin")
    bins = data.cost_distribution(marts, filters, float(width))
    if bins.empty:
        st.info("No task with a maintenance cost under these filters.")
        return
    chart = alt.Chart(bins).mark_bar().encode(
        x=alt.X("cost_from:Q", bin=alt.Bin(binned=True, step=width), title="Maintenance cost ($)"),
        x2="cost_to:Q", y=alt.Y("tasks:Q", title="Tasks", axis=COUNT_AXIS), tooltip=["cost_from", "tasks"],
    ).transform_calculate(cost_to=f"datum.cost_from + {width}")
    st.altair_chart(chart)
    st.caption(f"{count(bins['tasks'].sum())} tasks with a cost; tasks without one are not binned.")


def failure_by_type(marts, filters: data.Filters) -> None:
    st.subheader("Failure rate by maintenance type")
    frame = data.by_type(marts, filters).dropna(subset=["maintenance_type"])
    if frame.empty:
        st.info("No task under these filters.")
        return
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("maintenance_type:N", title="Maintenance type", sort="-y"),
        y=alt.Y("avg_failure_rate:Q", title="Average failure rate", axis=alt.Axis(format="%")),
        tooltip=["maintenance_type", "total_tasks", alt.Tooltip("avg_failure_rate:Q", format=".1%")],
    )
    st.altair_chart(chart)
    table(frame[["maintenance_type", "total_tasks", "avg_failure_rate", "avg_maintenance_cost",
                        "cost_per_downtime_hour", "completed_share", "total_time_saved"]])


def monthly_trends(marts, filters: data.Filters) -> None:
    st.subheader("Downtime and cost by month")
    frame = data.monthly(marts, filters)
    dated = frame.dropna(subset=["log_month"])
    undated = int(frame.loc[frame["log_month"].isna(), "total_tasks"].sum())
    if dated.empty:
        st.info("No dated task under these filters.")
    else:
        dated = dated.assign(month=pd.to_datetime(dated["log_month"]))
        for measure, title in (("total_downtime_hours", "Downtime hours"),
                               ("total_maintenance_cost", "Maintenance cost ($)")):
            st.altair_chart(alt.Chart(dated).mark_line(point=True).encode(
                x=alt.X("yearmonth(month):T", title="Month"), y=alt.Y(f"{measure}:Q", title=title),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), measure, "total_tasks"]))
    st.caption(f"{count(undated)} undated task{' is' if undated == 1 else 's are'} in the totals but on no month."
               if undated
               else "Every task under these filters has a log date.")


def status_mix(marts, filters: data.Filters) -> None:
    st.subheader("Status mix")
    frame = data.status_mix(marts, filters).fillna({"maintenance_status": "(none)"})
    if frame.empty:
        st.info("No task under these filters.")
        return
    st.altair_chart(alt.Chart(frame).mark_bar().encode(
        x=alt.X("total_tasks:Q", title="Tasks", axis=COUNT_AXIS),
        y=alt.Y("maintenance_status:N", sort="-x", title="Status"),
        tooltip=["maintenance_status", "total_tasks"]))


def cost_vs_saved(marts, filters: data.Filters) -> None:
    st.subheader("Cost vs hours saved, per technician")
    frame = data.technicians(marts, filters).dropna(subset=["technician_id"])
    if frame.empty:
        st.info("No task under these filters.")
        return
    st.altair_chart(alt.Chart(frame).mark_circle(size=60, opacity=0.6).encode(
        x=alt.X("total_maintenance_cost:Q", title="Maintenance cost ($)"),
        y=alt.Y("total_time_saved:Q", title="Hours saved by summarization"),
        size=alt.Size("total_tasks:Q", title="Tasks"),
        tooltip=["technician_id", "total_tasks", "total_maintenance_cost", "total_time_saved"]))


def equipment_at_risk(marts, filters: data.Filters) -> None:
    st.subheader("Equipment at risk")
    left, right = st.columns(2)
    top = left.slider("Show the top", min_value=5, max_value=50, value=10, key="risk_top")
    rank_names = {"avg_failure_rate": "Average failure rate", "total_downtime_hours": "Downtime hours",
                  "total_maintenance_cost": "Maintenance cost"}
    rank_by = right.selectbox("Ranked by", list(rank_names), format_func=rank_names.get, key="risk_rank")
    frame = data.equipment_at_risk(marts, filters, top=top, rank_by=rank_by)
    if frame.empty:
        st.info("No task under these filters.")
        return
    table(frame[["equipment_id", "total_tasks", "avg_failure_rate", "total_downtime_hours",
                        "total_maintenance_cost", "cost_per_downtime_hour"]])


def technician_performance(marts, filters: data.Filters) -> None:
    st.subheader("Technician performance")
    frame = data.technicians(marts, filters)
    table(frame[["technician_id", "total_tasks", "completed_tasks", "completed_share", "total_time_saved",
                        "total_maintenance_cost", "total_downtime_hours", "avg_failure_rate"]])
    st.caption(f"{count(len(frame))} technicians, by hours saved.")


def customer_view(marts, filters: data.Filters) -> None:
    st.subheader("Customers")
    frame = data.customers(marts, filters)
    table(frame[["customer_id", "total_tasks", "total_maintenance_cost", "total_downtime_hours",
                        "total_time_saved", "avg_failure_rate", "completed_share"]])
    st.caption(f"{count(len(frame))} customers, by maintenance cost.")


def business_results(marts) -> None:
    st.subheader("Expected business results")
    st.caption("Company-wide and a year, so not filtered: baselines and targets from the original description "
               "(seed fts_business_targets), measured over the latest year of log_date.")
    frame = data.business_results(marts)
    for row in frame.itertuples():
        with st.container(border=True):
            st.markdown(f"**{row.expected_result}**".replace("$", "\\$"))  # a $ would start LaTeX in markdown
            columns = st.columns(4)
            columns[0].metric(f"Baseline a year ({row.unit})", f"{row.baseline_per_year:,.0f}")
            columns[1].metric(f"Target a year ({row.unit})", f"{row.target_per_year:,.0f}")
            if row.is_measurable:
                columns[2].metric(f"Measured ({row.unit})", f"{row.measured_per_year:,.0f}")
                columns[3].metric(f"Gap to target ({row.unit})", f"{row.gap_to_target:+,.0f}",
                                  "meets the target" if row.meets_target else "misses the target",
                                  delta_color="normal" if row.meets_target else "inverse")
            else:
                columns[2].metric(f"Measured ({row.unit})", "—")
                columns[3].markdown("**Not measurable** from this data (below)")
            st.caption(f"{row.how_measured} Period: {row.period_start or '–'} to {row.period_end or '–'}.")


def data_quality(marts, status: dict) -> None:
    st.subheader("Data quality")
    st.caption("About the load itself, so not filtered.")
    age = None
    if status["last_synced_at"] is not None and not pd.isna(status["last_synced_at"]):
        age = (pd.Timestamp.now(tz="UTC") - pd.Timestamp(status["last_synced_at"])).total_seconds() / 3600
    if age is None:
        st.error("No sync has written a record yet.")
    elif age > status["freshness_error_hours"]:
        st.error(f"Stale: the last sync wrote {age:,.1f} h ago (error after {status['freshness_error_hours']} h).")
    elif age > status["freshness_warn_hours"]:
        st.warning(f"Getting stale: the last sync wrote {age:,.1f} h ago"
                   f" (warn after {status['freshness_warn_hours']} h).")
    else:
        st.success(f"Fresh: the last sync wrote {age:,.1f} h ago (warn after {status['freshness_warn_hours']} h).")
    columns = st.columns(5)
    columns[0].metric("Live records", count(status["live_records"]))
    columns[1].metric("Soft-deleted", count(status["deleted_records"]))
    columns[2].metric("Undated", count(status["undated_records"]))
    columns[3].metric("Out of range", count(status["out_of_range_records"]))
    quarantined = status["open_rejected_records"]
    columns[4].metric("In quarantine", "n/a" if quarantined is None or pd.isna(quarantined) else count(quarantined))
    st.caption("Soft-deleted records are left out of every figure; out-of-range values (a failure rate outside 0–1, "
               "a negative measure) are left out of their measure; undated tasks count in totals but on no month.")
    rejected = data.data_quality(marts)
    if rejected is None:
        st.info("The quarantine (fts_records_rejected) is not modelled here (dbt var fts_using_quarantine is false).")
    elif rejected.empty:
        st.success("No record has been rejected by the data contract.")
    else:
        by_rule = rejected.groupby(["rule", "field"], dropna=False, as_index=False)[
            ["rejected_records", "open_records"]].sum()
        st.altair_chart(alt.Chart(by_rule.fillna({"field": "(item)"})).mark_bar().encode(
            x=alt.X("rejected_records:Q", title="Rejected records", axis=COUNT_AXIS),
            y=alt.Y("field:N", sort="-x", title="Field"), color=alt.Color("rule:N", title="Rule"),
            tooltip=["rule", "field", "rejected_records", "open_records"]))
        table(rejected)


def data_explorer(marts, filters: data.Filters) -> None:
    st.subheader("Data explorer")
    shown = data.records(marts, filters, limit=EXPLORER_ROWS)
    total = int(data.kpis(marts, filters)["total_tasks"])
    st.caption(f"{count(total)} tasks under the filters ({filters.describe()}); "
               f"the first {count(min(total, EXPLORER_ROWS))} shown, newest first. The CSV has all of them.")
    table(shown)
    if total > CSV_MAX_ROWS:
        st.warning(f"The CSV holds the first {count(CSV_MAX_ROWS)} of them: narrow the filters for the rest.")
    csv = data.records(marts, filters, limit=CSV_MAX_ROWS).to_csv(index=False)
    st.download_button("Download the filtered tasks (CSV)", data=csv, file_name="loglynx_tasks.csv", mime="text/csv",
                       key="download_csv")


def ai_insights(marts, filters: data.Filters) -> None:
    st.subheader("AI insights")
    prompt = data.insight_prompt(marts, filters)
    model = st.selectbox("Cortex model", data.CORTEX_MODELS, key="cortex_model")
    history = st.session_state.setdefault("insights", [])
    if isinstance(marts, data.SnowflakeMarts):
        if st.button("Generate insights", key="generate"):
            with st.spinner(f"Asking {model}…"):
                history.insert(0, {"at": datetime.datetime.now(datetime.timezone.utc), "model": model,
                                   "scope": filters.describe(), "text": marts.complete(model, prompt)})
        for item in history:
            with st.container(border=True):
                st.caption(f"{item['model']} · {item['at']:%Y-%m-%d %H:%M UTC} · {item['scope']}")
                st.markdown(item["text"])
    else:
        st.info("Snowflake Cortex (SNOWFLAKE.CORTEX.COMPLETE) runs only in Streamlit in Snowflake: no insight is "
                "generated here. Below are the figures, from the marts under the current filters, that it would send.")
        st.button("Generate insights", key="generate", disabled=True)
    with st.expander("The prompt (figures from the marts, no raw rows)", expanded=not isinstance(
            marts, data.SnowflakeMarts)):
        st.code(prompt, language=None)


def render(marts) -> None:
    status = data.load_status(marts)
    if int(status["live_records"]) == 0:
        if int(status["deleted_records"]) > 0:
            st.warning(f"Every record in fts_records ({count(status['deleted_records'])}) is soft-deleted: the API no "
                       "longer serves them, so there is nothing to show. Run a sync that brings records back "
                       f"(`{data.BUILD_COMMAND}` for the demo), then reload.")
        else:
            st.warning(f"The warehouse has no records yet: run a sync and `dbt build` (`{data.BUILD_COMMAND}` for the "
                       "demo), then reload.")
        return
    filters = sidebar_filters(data.filter_options(marts))
    kpi_header(marts, filters, status)
    tabs = st.tabs(SECTIONS)
    with tabs[0]:
        cost_distribution(marts, filters)
    with tabs[1]:
        failure_by_type(marts, filters)
    with tabs[2]:
        monthly_trends(marts, filters)
    with tabs[3]:
        status_mix(marts, filters)
    with tabs[4]:
        cost_vs_saved(marts, filters)
    with tabs[5]:
        equipment_at_risk(marts, filters)
    with tabs[6]:
        technician_performance(marts, filters)
    with tabs[7]:
        customer_view(marts, filters)
    with tabs[8]:
        business_results(marts)
    with tabs[9]:
        data_quality(marts, status)
    with tabs[10]:
        data_explorer(marts, filters)
    with tabs[11]:
        ai_insights(marts, filters)


def main() -> None:
    st.set_page_config(page_title="LogLynx", layout="wide")
    st.title("LogLynx")
    st.caption("Field technician task analytics, from the FTS connector's data through the dbt marts.")
    try:
        marts = data.open_marts()
    except data.MartsUnavailable as problem:
        st.error(str(problem))
        return
    try:
        render(marts)
    finally:
        marts.close()


if __name__ == "__main__":  # streamlit runs the script as __main__; tests import SECTIONS
    main()
