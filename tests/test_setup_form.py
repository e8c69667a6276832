"""The setup form and its setup tests, in-process and through `fivetran configuration --test` against the reference
API: a good configuration, a wrong key, a port where nothing listens, an address that is not the FTS API."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from fivetran_connector_sdk import form_field
from support import API_KEY, configuration

import connector
from fts_connector.settings import PARAMETERS
from fts_connector.setup_form import api_answers, configuration_is_valid
from tools.engine import cli_environment
from tools.fts_api import Fault, FtsApiServer

ROOT = Path(__file__).resolve().parent.parent


def dead_base_url() -> str:
    with FtsApiServer(records=10, api_key=API_KEY) as api:
        return api.base_url


def test_the_form_lists_every_parameter_of_the_table_in_order_with_its_kind():
    form = connector.configuration_form().to_response()
    assert [field.name for field in form.fields] == list(PARAMETERS)
    fields = {field.name: field for field in form.fields}
    assert fields["api_key"].text_field == form_field.PASSWORD and fields["api_key"].required
    assert [o.value for o in fields["contract_mode"].dropdown_options] == ["enforce", "strict", "off"]
    options = fields["contract_mode"].dropdown_options + fields["on_invalid_cursor"].dropdown_options
    assert all(option.description for option in options)
    assert fields["prefetch"].toggle and fields["detect_deletes"].toggle
    for name, parameter in PARAMETERS.items():
        if name != "api_key":
            assert f"Default: {parameter.default}." in fields[name].description
    assert [test.name for test in form.tests] == ["configuration_is_valid", "api_answers"]


def test_the_configuration_test_gives_load_settings_message():
    result = configuration_is_valid({"api_key": API_KEY, "page_size": "500"})
    assert result.failure == "page_size must be an integer from 1 to 200; got '500'"
    assert configuration_is_valid({"api_key": API_KEY}).success


def test_blank_form_fields_take_their_defaults():
    blank = {name: "" for name in PARAMETERS} | {"api_key": API_KEY}
    assert configuration_is_valid(blank).success


def test_the_api_test_passes_with_one_small_request(api):
    assert api_answers(configuration(api)).success
    assert [(r["page_size"], r["status"]) for r in api.requests] == [(1, 200)]


def test_a_wrong_key_fails_naming_api_key_without_printing_it(api):
    result = api_answers(configuration(api, api_key="wrong-key-987"))
    assert "HTTP 401" in result.failure and "Check api_key" in result.failure
    assert "wrong-key-987" not in result.failure


@pytest.mark.parametrize("base_url", [lambda api: dead_base_url(), lambda api: "https://fts.invalid"])
def test_an_unreachable_base_url_fails_within_30_s_naming_it(api, base_url, no_real_waits):
    url = base_url(api)
    started = time.monotonic()
    result = api_answers(configuration(api, base_url=url))
    assert f"base_url {url}" in result.failure and "could not connect" in result.failure
    assert time.monotonic() - started < 30 and no_real_waits == []


@pytest.mark.parametrize("fault, path, said", [
    (None, "/nope", "HTTP 404"),
    (Fault("html", at=1), "", "not JSON"),
    (Fault("no_records_key", at=1), "", "without the expected fields"),
])
def test_an_answer_that_is_not_the_fts_api_fails_naming_base_url(fault, path, said):
    with FtsApiServer(records=10, api_key=API_KEY, faults=[fault] if fault else []) as api:
        url = api.base_url + path
        result = api_answers(configuration(api, base_url=url))
    assert f"base_url {url}" in result.failure and said in result.failure and "Check base_url" in result.failure


def test_a_rate_limited_api_fails_the_test_without_waiting(no_real_waits):
    with FtsApiServer(records=10, api_key=API_KEY, faults=[Fault("status", status=503, at=1, times=9)]) as api:
        result = api_answers(configuration(api))
    assert "rate limiting or unavailable" in result.failure and sum(no_real_waits) == 0


# --------------------------------------------------------------------------- `fivetran configuration --test`


def configuration_test(tmp_path: Path, values: dict) -> tuple:
    """Runs `fivetran configuration --test` on a copy of connector.py and the packages, with `values` as
    configuration.json; returns (exit status, output, seconds)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "connector.py", project)
    for package in ("fts_connector", "contracts"):
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "configuration.json").write_text(json.dumps(values))
    started = time.monotonic()
    result = subprocess.run(["fivetran", "configuration", str(project), "--test"], cwd=project,
                            env=cli_environment(tmp_path / "home"), capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def test_the_cli_passes_a_good_configuration(api, tmp_path):
    status, output, _ = configuration_test(tmp_path, configuration(api))
    assert status == 0, output
    assert "[configuration_is_valid - The configuration is valid]: PASSED" in output
    assert "[api_answers - The FTS API answers with this key]: PASSED" in output and "All tests passed!" in output
    assert API_KEY not in output


def test_the_cli_fails_a_wrong_key_naming_api_key(api, tmp_path):
    status, output, _ = configuration_test(tmp_path, configuration(api, api_key="wrong-key-987"))
    assert status == 1 and "HTTP 401" in output and "Check api_key" in output and "wrong-key-987" not in output


def test_the_cli_fails_a_dead_port_within_30_s_naming_base_url(tmp_path):
    url = dead_base_url()
    status, output, seconds = configuration_test(tmp_path, {"api_key": API_KEY, "base_url": url})
    assert status == 1 and f"could not connect to base_url {url}" in output and seconds < 30
