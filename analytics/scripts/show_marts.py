"""Print a few rows of each mart the dbt build wrote into the local DuckDB file (read-only)."""

import os
import sys

import duckdb

MARTS = {  # mart: the order that shows its most telling rows first
    "fts__load_status": "last_synced_at",
    "fts__business_results": "result_key",
    "fts__tasks": "log_date desc nulls first, record_id",
    "fts__technician_summary": "total_maintenance_cost desc",
    "fts__equipment_reliability": "total_downtime_hours desc, equipment_id",
    "fts__maintenance_type_effectiveness": "total_tasks desc",
    "fts__monthly_kpis": "log_month desc nulls first",
    "fts__monthly_type_kpis": "log_month desc nulls first, maintenance_type",
    "fts__customer_summary": "total_maintenance_cost desc",
    "fts__data_quality": "rejected_on desc, rejected_records desc",
}
ROWS = 5


def main() -> int:
    path = os.environ.get("FTS_ANALYTICS_DB", "target/fts_analytics.duckdb")
    if not os.path.exists(path):
        print(f"✗ {path} not found: run `dbt build` first", file=sys.stderr)
        return 1
    with duckdb.connect(path, read_only=True) as db:
        for mart, order in MARTS.items():
            found = db.execute(
                "select table_schema from information_schema.tables where table_name = ?", [mart]
            ).fetchone()
            if found is None:
                print(f"✗ mart {mart} not found in {path}", file=sys.stderr)
                return 1
            relation = f'"{found[0]}"."{mart}"'
            columns = db.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [found[0], mart],
            ).fetchall()
            shown = ", ".join(  # doubles rounded for reading only; the mart keeps full precision
                f'round("{name}", 4) as "{name}"' if dtype == "DOUBLE" else f'"{name}"' for name, dtype in columns
            )
            total = db.execute(f"select count(*) from {relation}").fetchone()[0]
            print(f"\n{found[0]}.{mart}: {total} rows, the first {min(ROWS, total)} by {order}")
            db.sql(f"select {shown} from {relation} order by {order} limit {ROWS}").show(max_width=200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
