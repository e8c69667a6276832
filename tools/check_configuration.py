"""Checks a configuration file before a local run or a deploy, with the connector's own rules.

    python -m tools.check_configuration configuration.json

Exit 0 when the file is a JSON object whose values the connector accepts; otherwise exit 2 with one line saying
what is wrong. Values of the file (the API key among them) are never printed. A key encrypted by `fivetran
configuration` is decrypted first, with the SDK's own function (`fivetran debug` and `deploy` do the same).
"""

import json
import sys

from fivetran_connector_sdk import Logging
from fivetran_connector_sdk_cli.configuration_decryption import decrypt_configuration_values

from fts_connector.settings import ConfigurationError, load_settings


def problem(path: str) -> str | None:
    """What is wrong with the configuration file at `path`, or None."""
    try:
        with open(path, encoding="utf-8") as file:
            values = json.load(file)
    except (OSError, UnicodeDecodeError) as error:
        return f"cannot read {path}: {error.__class__.__name__}"
    except json.JSONDecodeError as error:
        return f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
    if not isinstance(values, dict):
        return f"{path} must hold a JSON object of configuration values"
    try:
        values = decrypt_configuration_values(values)
    except ValueError as error:  # the SDK's message names the field and the fix, never the value
        return f"{path}: {error}"
    try:
        load_settings(values)
    except ConfigurationError as error:
        return f"{path}: {error}"
    return None


def main(argv=None) -> int:
    Logging.LOG_LEVEL = Logging.Level.WARNING  # unknown parameters are reported as warnings
    found = problem((argv or sys.argv[1:])[0])
    if found:
        print(found, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
