"""Start LogLynx locally: build the demo warehouse and the marts when they are missing, then serve the app.

    python loglynx/start.py [--build-only]        (what `tox -e loglynx` runs)

The marts are analytics/target/fts_analytics.duckdb (or $LOGLYNX_DB). When it has no fts__tasks, `tox -e analytics`
builds it (three demo syncs of the reference API with `fivetran debug`, then `dbt build`). The app is served on
http://localhost:8501, or the port in $LOGLYNX_PORT.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loglynx_data  # noqa: E402


def marts_problem(path: Path) -> str | None:
    """Why the marts in `path` cannot be read, or None when they can."""
    try:
        loglynx_data.DuckDBMarts(path).close()
    except loglynx_data.MartsUnavailable as problem:
        return str(problem)
    return None


def build_marts() -> None:
    tox = shutil.which("tox")
    if tox is None:
        raise SystemExit("✗ tox not found on PATH: install it (python3 -m pip install tox) to build the marts")
    print(f"LogLynx: building the demo warehouse and the marts with `{loglynx_data.BUILD_COMMAND}`…", flush=True)
    # the nested tox must not take this env for its own
    env = {name: value for name, value in os.environ.items() if not name.startswith("TOX_") and name != "VIRTUAL_ENV"}
    status = subprocess.run([tox, "-e", "analytics"], cwd=HERE.parent, env=env, check=False).returncode
    if status != 0:
        raise SystemExit(f"✗ `{loglynx_data.BUILD_COMMAND}` failed (exit {status}); see its output above")


def main() -> int:
    path = Path(os.environ.get("LOGLYNX_DB") or loglynx_data.DEFAULT_DB)
    if marts_problem(path):
        if os.environ.get("LOGLYNX_DB"):
            raise SystemExit(f"✗ LOGLYNX_DB: {marts_problem(path)}")
        print(f"LogLynx: no marts in {path} yet", flush=True)
        build_marts()
        if marts_problem(path):
            raise SystemExit(f"✗ after `{loglynx_data.BUILD_COMMAND}`: {marts_problem(path)}")
    print(f"LogLynx: marts in {path}", flush=True)
    if "--build-only" in sys.argv[1:]:
        return 0
    port = os.environ.get("LOGLYNX_PORT") or "8501"
    print(f"LogLynx: serving on http://localhost:{port} (Ctrl+C stops it)", flush=True)
    command = [sys.executable, "-m", "streamlit", "run", str(HERE / "streamlit_app.py"), "--server.port", port,
               "--server.address", "localhost", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    os.execv(sys.executable, command)


if __name__ == "__main__":
    sys.exit(main())
