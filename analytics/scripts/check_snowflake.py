"""Check the package for Snowflake without a Snowflake account.

1. `dbt compile --target snowflake --no-populate-cache` with placeholder credentials: dbt-snowflake parses the
   project and renders every model and data test with the Snowflake macros; no connection is opened (the cache is
   not populated and `fts_introspect: false` keeps fts_is_deleted from looking up columns). Unit tests are not
   compiled (they need the warehouse's column types).
2. Every compiled statement is parsed by sqlglot in Snowflake's dialect (`read="snowflake"`): a statement Snowflake's
   grammar does not accept fails the check. A function call the dialect does not know is reported unless it is one of
   the Snowflake built-ins listed below that sqlglot leaves unmodelled; `UNNEST`, which sqlglot accepts in every
   dialect, is reported too (Snowflake flattens with `LATERAL FLATTEN`). `::` casts and `GROUP BY ALL` are valid
   Snowflake and pass.
3. Every division in the compiled models has a divisor that cannot be zero (`nullif(...)` or `count(...)`): Snowflake
   raises on division by zero where DuckDB returns inf or null.

To show the check is not vacuous, the same parse is run on the DuckDB compile (target/compiled, from `dbt build`)
when it exists, and the DuckDB-only calls it finds there are printed.
"""

import os
import pathlib
import shutil
import subprocess
import sys

import sqlglot
from sqlglot import exp

PROJECT = pathlib.Path(__file__).resolve().parent.parent
TARGET = PROJECT / "target" / "snowflake"
DUCKDB_COMPILED = PROJECT / "target" / "compiled"
PLACEHOLDERS = {  # never used to connect: compile opens no connection
    "SNOWFLAKE_ACCOUNT": "placeholder",
    "SNOWFLAKE_USER": "placeholder",
    "SNOWFLAKE_ROLE": "placeholder",
    "SNOWFLAKE_WAREHOUSE": "placeholder",
    "SNOWFLAKE_DATABASE": "FIVETRAN",
}
# Snowflake built-in functions that sqlglot parses as anonymous calls (it has no expression class for them).
SNOWFLAKE_FUNCTIONS_UNMODELLED = {"as_varchar"}


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


def unguarded_divisions(tree: exp.Expression) -> list[str]:
    found = []
    for division in tree.find_all(exp.Div):
        divisor = division.expression
        while isinstance(divisor, (exp.Cast, exp.Paren)):
            divisor = divisor.this
        if not isinstance(divisor, (exp.Nullif, exp.Count)):
            found.append(division.sql(dialect="snowflake"))
    return found


def not_snowflake(tree: exp.Expression) -> list[str]:
    found = [f"{call.name}()" for call in tree.find_all(exp.Anonymous)
             if call.name.lower() not in SNOWFLAKE_FUNCTIONS_UNMODELLED]
    found += ["UNNEST" for _ in tree.find_all(exp.Unnest)]
    return found


def check(compiled_dir: pathlib.Path, divisions: bool) -> tuple[int, list[str]]:
    files = sorted(compiled_dir.rglob("*.sql"))
    problems = []
    for path in files:
        name = path.relative_to(compiled_dir)
        try:
            trees = sqlglot.parse(path.read_text(encoding="utf-8"), read="snowflake")
        except sqlglot.errors.ParseError as error:
            problems.append(f"{name}: not valid Snowflake SQL: {str(error).splitlines()[0]}")
            continue
        for tree in filter(None, trees):
            problems += [f"{name}: not a Snowflake function or construct: {call}" for call in not_snowflake(tree)]
            if divisions and "/models/" in f"/{name}":
                problems += [f"{name}: a division by neither nullif(...) nor count(...): {division}"
                             for division in unguarded_divisions(tree)]
    return len(files), problems


def main() -> int:
    status = compile_for_snowflake()
    if status != 0:
        print(f"✗ dbt compile --target snowflake failed (exit {status})", file=sys.stderr)
        return status
    count, problems = check(TARGET / "compiled", divisions=True)
    for problem in problems:
        print(f"✗ {problem}", file=sys.stderr)
    if count == 0:
        print(f"✗ no compiled SQL under {TARGET / 'compiled'}", file=sys.stderr)
        return 1
    if problems:
        return 1
    print(f"✓ Snowflake: {count} compiled models and tests parse as Snowflake SQL (sqlglot {sqlglot.__version__}),"
          " no function or construct outside Snowflake's, every division guarded")
    if DUCKDB_COMPILED.is_dir():
        _, duckdb_only = check(DUCKDB_COMPILED, divisions=False)
        calls = sorted({problem.rsplit(": ", 1)[-1] for problem in duckdb_only})
        print(f"  (the same check on the DuckDB compile finds {len(duckdb_only)} DuckDB-only calls:"
              f" {', '.join(calls)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
