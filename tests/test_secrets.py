"""The key stays with the API's origin and out of everything a run leaves behind: the real `fivetran debug` CLI, with
the API redirecting mid-sync to a second loopback server, leaves no trace of the key in its output, state, warehouse
or crash report, and the other server receives nothing. (Every in-process sync also asserts its log is clean,
conftest's `sync_runner`; tests/test_cassettes.py checks that no cassette holds a key.)"""

import json
from pathlib import Path

from hostile import recorder
from support import API_KEY, configuration, refreshing
from test_fivetran_debug import fivetran_debug

from tools.fts_api import Fault, FtsApiServer


def files_holding(folder: Path, secret: str) -> list:
    return [path for path in folder.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()]


def test_a_redirect_to_another_origin_fails_the_sync_and_nothing_anywhere_holds_the_key(tmp_path):
    with recorder() as other:
        target = f"http://localhost:{other.server_address[1]}/fts_data"
        with FtsApiServer(records=750, api_key=API_KEY, faults=[Fault("redirect", location=target, at=3)]) as api:
            project, result = fivetran_debug(tmp_path, configuration(api))
            base_url, cursors = api.base_url, [request["cursor"] for request in api.requests]
        output = result.stdout + result.stderr
        assert result.returncode != 0 and "SYNC FAILED" in output, output[-3000:]
        assert f"redirected to http://localhost:{other.server_address[1]}" in output
        assert f"base_url {base_url}" in output
        assert other.requests == [], "the other origin received a request"
    assert json.loads((project / "files" / "state.json").read_text()) == refreshing(cursors[2])
    assert API_KEY not in output
    assert list((project / "crash-reports").glob("*")), "the failed sync left no crash report to check"
    assert files_holding(project, API_KEY) == []  # state, warehouse, crash report: nothing holds the key
    assert files_holding(tmp_path / "home", API_KEY) == []
