"""configuration.json, the settings and the README agree."""

import json
import subprocess
from dataclasses import fields
from pathlib import Path

from fts_connector.settings import PARAMETERS, PLACEHOLDER_API_KEY, Settings, load_settings
from tools.parameters import configuration_markdown, default_configuration

ROOT = Path(__file__).resolve().parent.parent


def committed_configuration() -> dict:
    """configuration.json as committed (a local one may hold your encrypted key); the file itself outside git."""
    shown = subprocess.run(["git", "show", "HEAD:configuration.json"], cwd=ROOT, capture_output=True, text=True)
    return json.loads(shown.stdout if shown.returncode == 0 else (ROOT / "configuration.json").read_text())


def test_configuration_json_is_the_tables_defaults_with_the_placeholder_key():
    configuration = committed_configuration()
    assert list(configuration.items()) == list(default_configuration().items())
    assert configuration["api_key"] == PLACEHOLDER_API_KEY
    assert all(isinstance(value, str) for value in configuration.values())


def test_the_readme_configuration_table_is_the_one_settings_renders():
    readme = (ROOT / "README.md").read_text()
    assert configuration_markdown() in readme, "the README differs: paste the table `python -m tools.parameters` prints"


def test_every_default_is_accepted_and_gives_the_settings_defaults():
    settings = load_settings({**default_configuration(), "api_key": "k"})
    assert settings == Settings(api_key="k")
    assert set(PARAMETERS) == {f.name for f in fields(Settings)}


def test_the_scripts_configuration_check_applies_the_connectors_rules_without_showing_values(tmp_path):
    from tools.check_configuration import problem
    path = tmp_path / "configuration.json"
    path.write_text(json.dumps({"api_key": "secret-value", "page_size": "500"}))
    found = problem(str(path))
    assert "page_size must be an integer from 1 to 200; got '500'" in found and "secret-value" not in found
    path.write_text(json.dumps({"api_key": "secret-value", "base_url": "http://localhost:8000"}))
    assert problem(str(path)) is None
