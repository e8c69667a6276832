"""Fivetran Connector SDK entry point: syncs FTS records into `fts_records`. See README.md.

The logic lives in the `fts_connector` package; this file only wires it to the SDK.
"""

import json

from fivetran_connector_sdk import Connector

from fts_connector import setup_form
from fts_connector.client import FtsClient
from fts_connector.schema import tables
from fts_connector.settings import load_settings
from fts_connector.sync import sync


def schema(configuration: dict):
    """Declares `fts_records` (primary key `record_id`) with the 14 documented fields typed."""
    return tables()


def configuration_form():
    """The setup form: every parameter of fts_connector/settings.py, and two setup tests (the configuration is
    valid; the FTS API answers this key at base_url)."""
    return setup_form.build()


def update(configuration: dict, state: dict):
    """Syncs from the cursor in `state` (or the first page) to the last page, checkpointing as it goes; returns what
    it did (`Progress`: the SDK ignores it, the tests read it)."""
    settings = load_settings(configuration)
    with FtsClient(settings) as client:
        return sync(settings, client, state)


connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

if __name__ == "__main__":
    with open("configuration.json", encoding="utf-8") as file:
        connector.debug(configuration=json.load(file))
