"""configuration.json, the settings and the README agree."""

import json
import re
from pathlib import Path

from fts_connector.settings import PARAMETERS, PLACEHOLDER_API_KEY

ROOT = Path(__file__).resolve().parent.parent


def test_configuration_json_lists_every_parameter_with_its_default_as_a_string():
    configuration = json.loads((ROOT / "configuration.json").read_text())
    assert list(configuration) == list(PARAMETERS)
    assert configuration["api_key"] == PLACEHOLDER_API_KEY
    assert all(isinstance(value, str) for value in configuration.values())
    assert {name: value for name, value in configuration.items() if name != "api_key"} == {
        name: default for name, (default, _) in PARAMETERS.items() if name != "api_key"}


def test_the_readme_configuration_table_names_every_parameter_and_its_default():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration"):]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` +\| `?([^`|]*?)`? +\|", table, re.MULTILINE)}
    for name, (default, _) in PARAMETERS.items():
        assert name in rows, f"README's configuration table lacks {name}"
        if name != "api_key":
            assert rows[name] == default, f"README gives {name} the default {rows[name]!r}, the code {default!r}"


def test_the_scripts_configuration_check_applies_the_connectors_rules_without_showing_values(tmp_path):
    from tools.check_configuration import problem
    path = tmp_path / "configuration.json"
    path.write_text(json.dumps({"api_key": "secret-value", "page_size": "500"}))
    found = problem(str(path))
    assert "page_size must be an integer from 1 to 200; got '500'" in found and "secret-value" not in found
    path.write_text(json.dumps({"api_key": "secret-value", "base_url": "http://localhost:8000"}))
    assert problem(str(path)) is None
