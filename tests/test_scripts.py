"""The operator scripts, run as subprocesses: deploy.sh (with a stand-in `fivetran`) and debug_and_reset.sh (with the
real `fivetran` CLI under `cli_environment`, in a scratch copy of the project so files/ is written there)."""

import json
import os
import pty
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support import API_KEY

from tools.engine import cli_environment
from tools.state_summary import summarise

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ["connector.py", "requirements.txt", "configuration.json", "fts_connector", "contracts", "tools",
                 "debug_and_reset.sh", "deploy.sh"]
FIVETRAN_KEY = "ZnQtZGVwbG95LWtleTpzM2NyZXQ="  # what a base64 Fivetran API key looks like
FTS_KEY = "fts-real-key-0123456789"
PLACEHOLDER = "<YOUR_FTS_API_KEY>"
TIMEOUT = 120


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / name)
    return target


def write_configuration(project: Path, **values) -> Path:
    path = project / "configuration.json"
    path.write_text(json.dumps(values))
    return path


def run(script: Path, *args, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)


def run_on_a_terminal(script: Path, *args, typed: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """Runs the script with a pseudo-terminal as stdin (so it asks), `typed` already waiting there."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, typed.encode())
        return subprocess.run(["bash", str(script), *args], cwd=cwd, env=env, stdin=terminal, capture_output=True,
                              text=True, timeout=TIMEOUT)
    finally:
        os.close(terminal)
        os.close(controller)


def port_of(output: str) -> int:
    return int(re.search(r"listening on http://127\.0\.0\.1:(\d+)", output).group(1))


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


# --------------------------------------------------------------------------- deploy.sh

STAND_IN = r"""#!/usr/bin/env bash
# stand-in for the fivetran CLI: records its argv, its working directory and the files of the folder it was given
printf '%s\n' "$@" > "$RECORD/argv"
printf '%s' "${FIVETRAN_API_KEY:-}" > "$RECORD/key"
pwd > "$RECORD/cwd"
(cd "$2" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) > "$RECORD/files"
echo "The connection has been created successfully."
exit "${STAND_IN_STATUS:-0}"
"""


@pytest.fixture
def deploy(tmp_path):
    """`deploy(*args, **env)`: runs deploy.sh of a scratch project with the stand-in `fivetran` first on PATH."""
    project = copy_project(tmp_path / "project")
    write_configuration(project, api_key=FTS_KEY, base_url="https://fts.example.com", page_size="100")
    # what must never ship: bytecode, tests, tools, cassettes
    (project / "fts_connector" / "__pycache__").mkdir()
    (project / "fts_connector" / "__pycache__" / "sync.cpython-311.pyc").write_bytes(b"\0")
    for folder in ("tests", "cassettes"):
        (project / folder).mkdir()
        (project / folder / "x.py").write_text("")
    bin_dir, record, temp = tmp_path / "bin", tmp_path / "record", tmp_path / "tmp"
    for folder in (bin_dir, record, temp):
        folder.mkdir()
    (bin_dir / "fivetran").write_text(STAND_IN)
    (bin_dir / "fivetran").chmod(0o755)
    base = {name: value for name, value in os.environ.items() if not name.startswith("FIVETRAN_")}
    base.update(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", RECORD=str(record), TMPDIR=str(temp),
                PYTHON=sys.executable, DO_NOT_TRACK="1", FIVETRAN_API_KEY=FIVETRAN_KEY,
                FIVETRAN_CONNECTION_NAME="a_new_fts_connector")

    def go(*args, **env):
        environment = {**base, **env}
        for name in [name for name, value in environment.items() if value is None]:
            del environment[name]
        result = run(project / "deploy.sh", *args, env=environment, cwd=project)
        result.output = result.stdout + result.stderr
        result.project, result.record, result.temp = project, record, temp
        assert FIVETRAN_KEY not in result.output, "the Fivetran API key was printed"
        assert FTS_KEY not in result.output, "the FTS API key was printed"
        return result

    go.project, go.record = project, record
    return go


def shipped_files(project: Path) -> list:
    files = ["connector.py", "requirements.txt"]
    for folder in ("fts_connector", "contracts"):
        files += [path.relative_to(project).as_posix() for path in (project / folder).rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts]
    return sorted(files)


def test_deploy_runs_fivetran_deploy_on_a_staged_folder_holding_only_what_fivetran_runs(deploy):
    result = deploy()
    assert result.returncode == 0, result.output
    staged = (result.record / "cwd").read_text().strip()
    argv = (result.record / "argv").read_text().splitlines()
    assert argv == ["deploy", staged, "--destination", "NEW_SALES_ENG_HANDS_ON_LAB",
                    "--connection", "a_new_fts_connector",
                    "--configuration", str(result.project / "configuration.json"), "--python-version", "3.11"]
    assert (result.record / "key").read_text() == FIVETRAN_KEY  # through the environment, not the command line
    files = (result.record / "files").read_text().splitlines()
    assert files == shipped_files(result.project)
    assert "connector.py" in files and "fts_connector/sync.py" in files and "contracts/fts_record.py" in files
    assert not [f for f in files if f.split("/")[0] in ("tests", "tools", "cassettes", "configuration.json")
                or "__pycache__" in f]
    assert not Path(staged).exists() and not list(result.temp.iterdir()), "the staging folder was left behind"
    assert "FIVETRAN_API_KEY=*** " in result.output and "created successfully" in result.output


def test_deploy_takes_its_defaults_from_the_environment_and_returns_fivetran_deploys_status(deploy):
    result = deploy("--configuration", "configuration.json", "--python-version", "3.12",
                    FIVETRAN_DESTINATION_NAME="MY_DEST", FIVETRAN_CONNECTION_NAME="fts_2", STAND_IN_STATUS="3")
    assert result.returncode == 3
    argv = (result.record / "argv").read_text().splitlines()
    assert argv[argv.index("--destination") + 1] == "MY_DEST"
    assert argv[argv.index("--connection") + 1] == "fts_2"
    assert argv[-2:] == ["--python-version", "3.12"]
    assert "fivetran deploy failed (exit status 3)" in result.output


def test_deploy_dry_run_lists_the_staged_files_and_masks_the_key_without_running_fivetran(deploy):
    result = deploy("--dry-run")
    assert result.returncode == 0, result.output
    assert not (result.record / "argv").exists(), "--dry-run called fivetran"
    listed = [line.strip() for line in result.stdout.splitlines() if line.startswith("  ") and "fivetran" not in line]
    assert listed == shipped_files(result.project)
    command = next(line for line in result.stdout.splitlines() if "fivetran deploy" in line)
    assert "FIVETRAN_API_KEY=*** " in command
    assert "--destination NEW_SALES_ENG_HANDS_ON_LAB --connection a_new_fts_connector" in command
    assert not list(result.temp.iterdir())


@pytest.mark.parametrize("version", ["3.9", "3.14", "3"])
def test_deploy_refuses_a_python_version_the_tests_do_not_run_on(deploy, version):
    result = deploy("--python-version", version)
    assert result.returncode == 2 and f"--python-version {version} is not supported" in result.output
    assert "3.10 3.11 3.12 3.13" in result.output and not (result.record / "argv").exists()


def test_deploy_checks_its_prerequisites_first_and_says_how_to_get_them(deploy, tmp_path):
    no_sdk = tmp_path / "python-without-sdk"
    no_sdk.write_text("#!/usr/bin/env bash\nexit 1\n")
    no_sdk.chmod(0o755)
    (deploy.project / "configuration.json").unlink()  # the prerequisite is reported before anything else
    result = deploy("--dry-run", PYTHON=str(no_sdk))
    assert result.returncode == 2 and "fivetran-connector-sdk is not installed" in result.output
    assert "tox exec -e demo -- bash deploy.sh" in result.output and len(result.output.strip().splitlines()) == 1
    result = deploy(FIVETRAN="no-such-fivetran")
    assert result.returncode == 2 and "fivetran CLI not found: 'no-such-fivetran'" in result.output


def encrypt_configuration(path: Path, home: Path, **values) -> None:
    """Writes `values` with api_key encrypted as `fivetran configuration` does, its key file under `home`."""
    script = ("import json, sys\n"
              "from fivetran_connector_sdk_cli.configuration_decryption import encrypt_value, get_or_create_key\n"
              "values = json.loads(sys.argv[2])\n"
              "values['api_key'] = encrypt_value(values['api_key'], 'api_key', get_or_create_key())\n"
              "open(sys.argv[1], 'w').write(json.dumps(values))\n")
    subprocess.run([sys.executable, "-c", script, str(path), json.dumps(values)], check=True,
                   env={**os.environ, "HOME": str(home)})


def test_deploy_accepts_a_configuration_with_the_key_encrypted_by_fivetran_configuration(deploy, tmp_path):
    home = tmp_path / "home"
    encrypt_configuration(deploy.project / "configuration.json", home, api_key=FTS_KEY,
                          base_url="https://fts.example.com")
    assert FTS_KEY not in (deploy.project / "configuration.json").read_text()
    result = deploy("--dry-run", HOME=str(home))
    assert result.returncode == 0 and "✓ Configuration check passed" in result.output, result.output
    result = deploy("--dry-run", HOME=str(tmp_path / "another-home"))  # the encryption key is not there
    assert result.returncode == 2 and "encryption key was not found" in result.output


@pytest.mark.parametrize("name", ["A_New_Connector", "fts-connector", "fts connector", "fts;rm"])
def test_deploy_refuses_an_invalid_connection_name(deploy, name):
    result = deploy(FIVETRAN_CONNECTION_NAME=name)
    assert result.returncode == 2
    assert "Invalid connection name" in result.output and "lowercase letters, digits and underscores" in result.output
    assert not (result.record / "argv").exists()


@pytest.mark.parametrize("content, message", [
    (None, "Configuration file not found"),
    ("{not json", "is not valid JSON"),
    (json.dumps({"api_key": PLACEHOLDER, "base_url": "https://x"}), f"still holds the placeholder {PLACEHOLDER}"),
])
def test_deploy_refuses_a_missing_invalid_or_placeholder_configuration(deploy, content, message):
    configuration = deploy.project / "configuration.json"
    if content is None:
        configuration.unlink()
    else:
        configuration.write_text(content)
    for args in ((), ("--dry-run",)):  # a dry run checks the configuration too
        result = deploy(*args)
        assert result.returncode == 2 and message in result.output, result.output
    assert not (result.record / "argv").exists()


@pytest.mark.parametrize("missing, message", [
    ("FIVETRAN_API_KEY", "The Fivetran API key is required: set FIVETRAN_API_KEY"),
    ("FIVETRAN_CONNECTION_NAME", "The connection name is required: set FIVETRAN_CONNECTION_NAME"),
])
def test_deploy_without_a_terminal_fails_clearly_when_a_required_value_is_missing(deploy, missing, message):
    result = deploy(**{missing: None})
    assert result.returncode == 2 and message in result.output, result.output
    assert not (result.record / "argv").exists()


def test_deploy_on_a_terminal_asks_for_the_names_and_the_hidden_key(deploy):
    typed = "\nMY_DEST\nfts_from_prompt\ntyped-k3y-value\n"  # account: default; destination; connection; key
    environment = {"PATH": f"{deploy.record.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
                   "RECORD": str(deploy.record), "PYTHON": sys.executable, "HOME": os.environ.get("HOME", "/tmp")}
    result = run_on_a_terminal(deploy.project / "deploy.sh", typed=typed, env=environment, cwd=deploy.project)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Enter your Fivetran Account Name [MDS_SNOWFLAKE_HOL]" in output and "input hidden" in output
    argv = (deploy.record / "argv").read_text().splitlines()
    assert argv[2:6] == ["--destination", "MY_DEST", "--connection", "fts_from_prompt"]
    assert (deploy.record / "key").read_text() == "typed-k3y-value"
    assert "typed-k3y-value" not in output


# --------------------------------------------------------------------------- debug_and_reset.sh


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "project")


@pytest.fixture
def env(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {**cli_environment(tmp_path / "home"), "PYTHON": sys.executable, "TMPDIR": str(temp)}


def debug(project: Path, *args, env: dict) -> subprocess.CompletedProcess:
    result = run(project / "debug_and_reset.sh", *args, env=env, cwd=project)
    result.output = result.stdout + result.stderr
    return result


def test_demo_syncs_750_records_from_the_reference_api_and_stops_it(project, env):
    result = debug(project, "--demo", "--yes", env=env)
    out = result.output
    assert result.returncode == 0, out[-4000:]
    assert "✓ Detected table name: fts_records" in out
    assert "SYNC SUCCEEDED" in out and "Running query: SELECT * FROM tester.fts_records LIMIT 5;" in out
    assert "5 rows" in out and "record_id" in out  # the sample rows, as DuckDB's table
    summary = out[out.index("==================== OPERATION SUMMARY ===================="):]
    assert "Upserts         | 750" in summary and "Checkpoints     | 7" in summary
    state = json.loads((project / "files" / "state.json").read_text())
    assert f"Next sync state: {json.dumps(summarise(state))} (" in out  # the tracked record_ids summarised
    state_line = next(line for line in out.splitlines() if line.startswith("Next sync state: "))
    assert '"record_ids": "750 tracked (' in state_line and state["record_ids"]["known"] not in state_line
    checkpoints = [line for line in out.splitlines() if "checkpoint recorded: " in line]
    assert len(checkpoints) == 7 and all(len(line) < 400 for line in checkpoints)  # shortened on screen
    assert all(line.endswith("characters; the state is summarised at the end)") for line in checkpoints[1:])
    assert refuses_connections(port_of(out)), "the reference API is still running"
    assert not re.search(r"demo-[0-9a-f]{16}", out), "the demo API key was printed"
    assert not list(Path(env["TMPDIR"]).glob("fts-debug.*")), "temporary files were left behind"


def test_without_a_terminal_or_yes_it_refuses_and_deletes_nothing(project, env):
    write_configuration(project, api_key=FTS_KEY, base_url="http://127.0.0.1:9", page_size="100")
    (project / "files").mkdir()
    (project / "files" / "state.json").write_text('{"next_cursor": "keep"}')
    result = debug(project, env=env)
    assert result.returncode == 2
    assert "stdin is not a terminal" in result.output and "--yes" in result.output
    assert (project / "files" / "state.json").read_text() == '{"next_cursor": "keep"}'
    assert FTS_KEY not in result.output


def test_on_a_terminal_it_asks_and_answering_no_deletes_nothing(project, env):
    write_configuration(project, api_key=FTS_KEY, base_url="http://127.0.0.1:9", page_size="100")
    (project / "files").mkdir()
    (project / "files" / "state.json").write_text("{}")
    result = run_on_a_terminal(project / "debug_and_reset.sh", typed="maybe\nn\n", env=env, cwd=project)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Do you want to continue? (Y/n)" in output and "Please answer y or n." in output
    assert "Cancelled: nothing was deleted." in output and (project / "files" / "state.json").exists()


@pytest.mark.parametrize("content, message", [
    (None, "Configuration file not found"),
    ("{not json", "is not valid JSON"),
    ('["a list"]', "must hold a JSON object"),
    (json.dumps({"api_key": PLACEHOLDER}), f"still holds the placeholder {PLACEHOLDER}"),
])
def test_a_missing_invalid_or_placeholder_configuration_is_refused_before_anything_is_deleted(
        project, env, content, message):
    configuration = project / "configuration.json"
    if content is None:
        configuration.unlink()
    else:
        configuration.write_text(content)
    (project / "files").mkdir()
    (project / "files" / "state.json").write_text("{}")
    result = debug(project, "--yes", env=env)
    assert result.returncode == 2 and message in result.output, result.output
    assert (project / "files" / "state.json").exists()


def test_a_named_configuration_file_is_used_and_checked(project, env):
    result = debug(project, "--yes", "--configuration", "missing.json", env=env)
    assert result.returncode == 2 and f"Configuration file not found: {project / 'missing.json'}" in result.output


def test_a_failing_sync_returns_its_status_and_shows_the_error(project, env, api):
    wrong = "wrong-key-9876543210"
    write_configuration(project, api_key=wrong, base_url=api.base_url, page_size="100")
    result = debug(project, "--yes", env=env)
    out = result.output
    assert result.returncode == 1, out[-4000:]
    errors = out[out.index("==================== ERROR"):]
    assert "SYNC FAILED" in errors and "returned HTTP 401" in errors and "Check api_key" in errors
    assert "==================== OPERATION SUMMARY" in out
    assert wrong not in out and API_KEY not in out
    assert f"crash report saved to {project / 'crash-reports'}" in out  # in the project, not the staging folder
    assert len(list((project / "crash-reports").iterdir())) == 1


def test_an_encrypted_key_syncs_from_the_staged_files_into_the_projects_files_folder(project, env, api, tmp_path):
    encrypt_configuration(project / "configuration.json", Path(env["HOME"]), api_key=API_KEY,
                          base_url=api.base_url, page_size="100")
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text("import hypothesis\n")  # not shipped: the SDK never sees it
    result = debug(project, "--yes", env=env)
    out = result.output
    assert result.returncode == 0, out[-4000:]
    assert "SYNC SUCCEEDED" in out and "Upserts         | 750" in out and API_KEY not in out
    scanned = (Path(env["HOME"]) / "pipreqs-scanned").read_text().split()  # what the SDK's dependency check saw
    assert "./connector.py" in scanned and "./fts_connector/client.py" in scanned
    assert not [name for name in scanned if name.split("/")[1] in ("tests", "tools", "benchmarks")]
    state = json.loads((project / "files" / "state.json").read_text())
    assert state["next_cursor"] == api.requests[-1]["cursor"] and (project / "files" / "warehouse.db").is_file()
    assert not list(Path(env["TMPDIR"]).glob("fts-debug.*")), "the staging folder was left behind"


def test_the_reference_api_is_stopped_when_the_script_is_terminated(project, env, tmp_path):
    bin_dir = tmp_path / "stand-in"
    bin_dir.mkdir()
    (bin_dir / "fivetran").write_text(
        "#!/usr/bin/env bash\n"
        '[ "$1" = debug ] && kill -TERM "$PPID"  # as if the operator stopped the script during the sync\n'
        "exit 0\n")
    (bin_dir / "fivetran").chmod(0o755)
    result = debug(project, "--demo", "--yes", env={**env, "FIVETRAN": str(bin_dir / "fivetran")})
    assert result.returncode == 143, result.output
    assert "Terminated" in result.output and "Reference FTS API stopped" in result.output
    assert refuses_connections(port_of(result.output))
    assert not list(Path(env["TMPDIR"]).glob("fts-debug.*"))


def test_a_missing_fivetran_cli_is_reported(project, env):
    result = debug(project, "--demo", "--yes", env={**env, "FIVETRAN": "no-such-fivetran"})
    assert result.returncode == 2 and "fivetran CLI not found: 'no-such-fivetran'" in result.output


def test_help_and_unknown_arguments(project, env):
    result = debug(project, "--help", env=env)
    assert result.returncode == 0 and "Usage: debug_and_reset.sh" in result.stdout and "--demo" in result.stdout
    result = debug(project, "--bogus", env=env)
    assert result.returncode == 2 and "unknown argument: --bogus" in result.output
