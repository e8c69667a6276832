"""configuration.json and the README's configuration table, from the one table of parameters
(`fts_connector.settings.PARAMETERS`); tests/test_configuration_file.py fails when a file disagrees.

    python -m tools.parameters      # prints configuration.json as committed, then the README's table
"""

import json

from fts_connector.settings import PARAMETERS, PLACEHOLDER_API_KEY


def default_configuration() -> dict:
    """configuration.json as committed: every parameter with its default, the key a placeholder."""
    return {name: parameter.default or PLACEHOLDER_API_KEY for name, parameter in PARAMETERS.items()}


def configuration_markdown() -> str:
    """The README's configuration table."""
    rows = ["| parameter | default | allowed | what it does |", "|---|---|---|---|"]
    for name, parameter in PARAMETERS.items():
        default = f"`{parameter.default}`" if parameter.default else "required"
        rows.append(f"| `{name}` | {default} | {parameter.allowed} | {parameter.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(json.dumps(default_configuration(), indent=2))
    print()
    print(configuration_markdown())
