"""Check the package for Snowflake without a Snowflake account.

1. `dbt compile --target snowflake --no-populate-cache` with placeholder credentials: dbt-snowflake parses the
   project and renders every model and data test with the Snowflake macros; no connection is opened (the cache is
   not populated and `fts_introspect: false` keeps fts_is_deleted from looking up columns). Unit tests are not
   compiled (they need the warehouse's column types).
2. The compiled Snowflake SQL is scanned for DuckDB-only syntax, and every division in the models for a
   divisor that cannot be zero (Snowflake raises on division by zero, DuckDB returns inf or null).
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

PROJECT = pathlib.Path(__file__).resolve().parent.parent
TARGET = PROJECT / "target" / "snowflake"
PLACEHOLDERS = {  # never used to connect: compile opens no connection
    "SNOWFLAKE_ACCOUNT": "placeholder",
    "SNOWFLAKE_USER": "placeholder",
    "SNOWFLAKE_ROLE": "placeholder",
    "SNOWFLAKE_WAREHOUSE": "placeholder",
    "SNOWFLAKE_DATABASE": "FIVETRAN",
}
# DuckDB functions and syntax Snowflake does not have (or means differently).
DUCKDB_ONLY = {
    r"::": "`::` cast (DuckDB/Postgres style: use cast(... as ...))",
    r"\bgroup\s+by\s+all\b": "GROUP BY ALL",
    r"\bunnest\s*\(": "unnest()",
    r"\bjson_extract(_string)?\s*\(": "json_extract()",
    r"\bjson_each\s*\(": "json_each()",
    r"\bfrom_json\s*\(": "from_json()",
    r"->>?": "JSON arrow operator",
    r"\blist_\w+\s*\(": "list_*()",
    r"\bstruct_\w+\s*\(": "struct_*()",
    r"\bstrftime\s*\(": "strftime()",
    r"\bstrptime\s*\(": "strptime()",
    r"\bepoch(_ms)?\s*\(": "epoch()",
    r"\btoday\s*\(": "today()",
    r"\bdate_diff\s*\(": "date_diff()",
    r"\bregexp_matches\s*\(": "regexp_matches()",
    r"\bstring_agg\s*\(": "string_agg()",
    r"\bread_(csv|parquet|json)\w*\s*\(": "read_*()",
    r"\bselect\s+\*\s+(exclude|replace)\b": "SELECT * EXCLUDE/REPLACE",
    r"\bcolumns\s*\(": "COLUMNS()",
    r"//": "integer division //",
    r"\bjson\[\]": "json[] list type",
}
SAFE_DIVISOR = re.compile(r"/\s*(nullif\s*\(|count\s*\(\s*\*\s*\))", re.IGNORECASE)


def strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", " ", sql)


def compile_for_snowflake() -> int:
    shutil.rmtree(TARGET, ignore_errors=True)  # no stale SQL from an earlier compile
    env = {**os.environ, **PLACEHOLDERS}
    command = [
        "dbt", "compile", "--target", "snowflake", "--no-populate-cache", "--quiet",
        "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT), "--target-path", str(TARGET),
        "--vars", "{fts_introspect: false}",
    ]
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, env=env, check=False).returncode


def problems() -> list[str]:
    found = []
    compiled = sorted((TARGET / "compiled").rglob("*.sql"))
    if not compiled:
        return [f"no compiled SQL under {TARGET / 'compiled'}"]
    for path in compiled:
        sql = strip_comments(path.read_text(encoding="utf-8"))
        for pattern, name in DUCKDB_ONLY.items():
            if re.search(pattern, sql, re.IGNORECASE):
                found.append(f"{path.relative_to(TARGET)}: DuckDB syntax in the Snowflake SQL: {name}")
    for path in sorted((PROJECT / "models").rglob("*.sql")):
        sql = strip_comments(path.read_text(encoding="utf-8"))
        for match in re.finditer(r"/", sql):
            if not SAFE_DIVISOR.match(sql, match.start()):
                line = sql.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(PROJECT)}:{line}: a division by neither nullif(...) nor count(*)")
    return found


def main() -> int:
    status = compile_for_snowflake()
    if status != 0:
        print(f"✗ dbt compile --target snowflake failed (exit {status})", file=sys.stderr)
        return status
    found = problems()
    for problem in found:
        print(f"✗ {problem}", file=sys.stderr)
    if found:
        return 1
    count = len(list((TARGET / "compiled").rglob("*.sql")))
    print(f"✓ Snowflake: {count} compiled models and tests, no DuckDB-only syntax, every division guarded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
