"""Write a small warehouse with the edge cases the marts must get right, in the tables and types the connector writes,
and (with --build) build the marts on it and print their reconciliation with the live rows.

    python scripts/edge_case_warehouse.py DIR [--only-deleted | --empty] [--no-quarantine] [--build]

DIR/warehouse.db gets the tables; --build runs `dbt build` into DIR/fts_analytics.duckdb (target path DIR/target),
then scripts/reconcile.py. Needs duckdb (and dbt-duckdb for --build).

`tester.fts_records` (the columns `fivetran debug` creates) holds: two ordinary tasks, one without a maintenance_cost,
one without a log_date, one soft-deleted (`_fivetran_deleted` true, cost 999), one with lower-case type and status, one
with a failure rate of 1.5 and a cost of -50. `tester.fts_records_rejected` holds two rejected records (one of them no
longer open). `--only-deleted` soft-deletes every record; `--empty` writes the tables with no row; `--no-quarantine`
leaves the quarantine table out.
"""

import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys

import duckdb

SYNCED = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
COLUMNS = (
    "record_id varchar, log_date date, technician_id varchar, log_description varchar, equipment_id varchar,"
    " maintenance_type varchar, maintenance_status varchar, erp_order_id varchar, customer_id varchar,"
    " summarized_log varchar, failure_rate double, maintenance_cost double, downtime_hours integer,"
    " summarization_time_saved integer, last_updated_epoch bigint, _fivetran_deleted boolean,"
    " _fivetran_synced timestamp with time zone"
)
# record_id, log_date, technician, equipment, customer, type, status, failure_rate, cost, downtime, saved, deleted
RECORDS = [
    ("e1", "2024-01-15", "TECH_01", "EQUIP_01", "CUST_01", "Predictive", "Completed", 0.2, 1000.0, 10, 5, False),
    ("e2", "2024-02-20", "TECH_02", "EQUIP_02", "CUST_02", "Corrective", "Delayed", 0.6, 500.0, 5, 3, False),
    ("e3", "2024-02-21", "TECH_01", "EQUIP_02", "CUST_01", "Corrective", "Completed", 0.4, None, 4, 2, False),
    ("e4", None, "TECH_02", "EQUIP_01", "CUST_02", "Condition-Based", "In Progress", 0.3, 200.0, 1, 1, False),
    ("e5", "2024-03-01", "TECH_03", "EQUIP_03", "CUST_03", "Predictive", "Completed", 0.9, 999.0, 99, 9, True),
    ("e6", "2024-03-05", "TECH_03", "EQUIP_03", "CUST_03", "predictive", "completed", 0.5, 300.0, 6, 4, False),
    ("e7", "2024-03-09", "TECH_01", "EQUIP_01", "CUST_01", "Emergency", "Cancelled", 1.5, -50.0, 2, 1, False),
]
REJECTED = [
    ("k1", "r-bad-1", [{"field": "maintenance_cost", "rule": "not_a_number", "value": "n/a"}], False),
    ("k2", None, [{"field": "record_id", "rule": "required", "value": None}], True),
]


def write(path: pathlib.Path, only_deleted: bool, quarantine: bool, empty: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as db:
        db.execute("create schema tester")
        db.execute(f"create table tester.fts_records ({COLUMNS})")
        for (record_id, log_date, tech, equipment, customer, mtype, status, rate, cost, downtime, saved,
             deleted) in ([] if empty else RECORDS):
            db.execute(
                "insert into tester.fts_records values (?, ?, ?, 'edge case', ?, ?, ?, 'ORDER_000001', ?, 'summary',"
                " ?, ?, ?, ?, 1717243200, ?, ?)",
                [record_id, log_date, tech, equipment, mtype, status, customer, rate, cost, downtime, saved,
                 deleted or only_deleted, SYNCED],
            )
        if quarantine:
            db.execute(
                "create table tester.fts_records_rejected (rejection_key varchar, record_id varchar, reasons json,"
                " raw_record varchar, rejected_at timestamp with time zone, _fivetran_deleted boolean,"
                " _fivetran_synced timestamp with time zone)"
            )
            for key, record_id, reasons, deleted in ([] if empty else REJECTED):
                db.execute(
                    "insert into tester.fts_records_rejected values (?, ?, ?, '{}', ?, ?, ?)",
                    [key, record_id, json.dumps(reasons), SYNCED, deleted, SYNCED],
                )


def build(folder: pathlib.Path, quarantine: bool) -> int:
    """dbt build on folder/warehouse.db into folder/fts_analytics.duckdb, then the reconciliation; the exit status."""
    project = pathlib.Path(__file__).resolve().parent.parent
    warehouse, analytics = folder / "warehouse.db", folder / "fts_analytics.duckdb"
    analytics.unlink(missing_ok=True)
    env = {**os.environ, "FTS_WAREHOUSE_DB": str(warehouse), "FTS_ANALYTICS_DB": str(analytics), "FTS_STATE_FILE": "",
           "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    beside = pathlib.Path(sys.executable).parent / "dbt"  # the dbt of this Python's environment, else the one on PATH
    command = [str(beside) if beside.exists() else "dbt", "build",
               "--project-dir", str(project), "--profiles-dir", str(project),
               "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
               "--vars", f"{{fts_using_quarantine: {str(quarantine).lower()}}}"]
    print("$ " + " ".join(command), flush=True)
    status = subprocess.run(command, env=env, cwd=project, check=False).returncode
    if status != 0:
        return status
    reconcile = [sys.executable, str(project / "scripts" / "reconcile.py"), str(analytics), str(warehouse)]
    return subprocess.run(reconcile, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--only-deleted", action="store_true", help="every record soft-deleted")
    parser.add_argument("--empty", action="store_true", help="the tables without rows")
    parser.add_argument("--no-quarantine", action="store_true", help="no fts_records_rejected table")
    parser.add_argument("--build", action="store_true", help="dbt build the marts on it and reconcile")
    args = parser.parse_args()
    write(args.folder / "warehouse.db", args.only_deleted, not args.no_quarantine, args.empty)
    print(f"✓ edge-case warehouse written to {args.folder / 'warehouse.db'}")
    return build(args.folder, not args.no_quarantine) if args.build else 0


if __name__ == "__main__":
    sys.exit(main())
