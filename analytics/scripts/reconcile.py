"""Print the reconciliation of the marts with the live source rows (what the dbt test
assert_marts_reconcile_with_live_records checks), read-only, from the local DuckDB files.

    python scripts/reconcile.py [ANALYTICS_DB] [WAREHOUSE_DB]     (defaults: $FTS_ANALYTICS_DB, $FTS_WAREHOUSE_DB)

The expected figures come from tester.fts_records itself: live rows (`_fivetran_deleted` not true), a null measure
adds nothing, a value outside its range (failure rate outside 0-1, a negative measure) is left out. Exit 1 on a
mismatch.
"""

import os
import sys

import duckdb

MARTS = ["fts__tasks", "fts__technician_summary", "fts__equipment_reliability",
         "fts__maintenance_type_effectiveness", "fts__customer_summary", "fts__monthly_kpis", "fts__monthly_type_kpis"]
FIGURES = ["tasks", "cost", "downtime", "time_saved", "failure_rate_sum", "failure_rate_tasks"]
EXPECTED = """
    select count(*), coalesce(sum(case when maintenance_cost >= 0 then maintenance_cost end), 0),
           coalesce(sum(case when downtime_hours >= 0 then downtime_hours end), 0),
           coalesce(sum(case when summarization_time_saved >= 0 then summarization_time_saved end), 0),
           coalesce(sum(case when failure_rate between 0 and 1 then failure_rate end), 0),
           count(case when failure_rate between 0 and 1 then 1 end)
    from source.tester.fts_records where not coalesce(_fivetran_deleted, false)
"""
AGGREGATE = """
    select coalesce(sum(total_tasks), 0), coalesce(sum(total_maintenance_cost), 0),
           coalesce(sum(total_downtime_hours), 0), coalesce(sum(total_time_saved), 0),
           coalesce(sum(failure_rate_sum), 0), coalesce(sum(failure_rate_tasks), 0)
    from main_fts.{mart}
"""
FACT = """
    select count(*), coalesce(sum(maintenance_cost), 0), coalesce(sum(downtime_hours), 0),
           coalesce(sum(summarization_time_saved), 0), coalesce(sum(failure_rate), 0), count(failure_rate)
    from main_fts.fts__tasks
"""


def main() -> int:
    analytics = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FTS_ANALYTICS_DB", "target/fts_analytics.duckdb")
    warehouse = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("FTS_WAREHOUSE_DB", "../files/warehouse.db")
    with duckdb.connect(analytics, read_only=True) as db:
        db.execute(f"attach '{warehouse}' as source (read_only)")
        expected = db.execute(EXPECTED).fetchone()
        deleted, all_rows = db.execute(
            "select count(case when _fivetran_deleted then 1 end), count(*) from source.tester.fts_records"
        ).fetchone()
        print(f"Reconciliation of {analytics} with {warehouse}: {all_rows} rows in fts_records, {deleted} soft-deleted")
        print(f"{'':36}" + "".join(f"{name:>20}" for name in FIGURES))
        print(f"{'live source rows':36}" + "".join(f"{value:>20,.4f}" for value in expected))
        mismatches = 0
        for mart in MARTS:
            row = db.execute(FACT if mart == "fts__tasks" else AGGREGATE.format(mart=mart)).fetchone()
            ok = all(abs(float(got) - float(want)) <= 0.005 for got, want in zip(row, expected, strict=True))
            mismatches += not ok
            print(f"{mart:36}" + "".join(f"{value:>20,.4f}" for value in row) + ("  ✓" if ok else "  ✗ MISMATCH"))
    if mismatches:
        print(f"✗ {mismatches} marts do not reconcile", file=sys.stderr)
        return 1
    print(f"✓ all {len(MARTS)} marts reconcile with the live source rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
