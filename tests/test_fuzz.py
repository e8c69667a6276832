"""Fuzzing the API's answers: whatever a page body holds, the sync completes (records loaded or quarantined) or
fails with a connector error that says what is wrong, and never checkpoints past records it did not load."""

import io
import json

import requests
from fivetran_connector_sdk_cli import runtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.adapters import BaseAdapter

from fts_connector.client import FtsApiError, FtsClient
from fts_connector.settings import load_settings
from fts_connector.sync import ContractViolation, sync
from tools.engine import in_process

BASE_URL = "https://fts.example.com"
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JSON = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)
RECORD = st.fixed_dictionaries(
    {"record_id": st.text(min_size=1, max_size=10)},
    optional={"log_date": st.sampled_from(["2024-02-29", "2024-02-30", "", None]) | st.text(max_size=10),
              "maintenance_cost": JSON_LEAVES, "downtime_hours": JSON_LEAVES, "maintenance_type": JSON_LEAVES,
              "technician_id": JSON, "extra_ñ_field": JSON, "failure_rate": JSON_LEAVES})
ITEM = RECORD | JSON
RECORDS = st.lists(ITEM, max_size=8) | st.lists(RECORD, min_size=150, max_size=250)


def envelope(index: int):
    """A page body: the expected envelope, a damaged one, or something else entirely."""
    good_cursor = f"{index + 1:032x}"
    return st.one_of(
        st.fixed_dictionaries({"fts_records": RECORDS, "next_cursor": st.just(good_cursor) | st.none(),
                               "has_more": st.booleans()}),
        st.fixed_dictionaries({}, optional={"fts_records": JSON, "next_cursor": JSON, "has_more": JSON}),
        JSON,
    ).map(lambda body: json.dumps(body).encode()) | st.binary(max_size=20) | st.just(b"<html>busy</html>")


class Replies(BaseAdapter):
    """Answers each request with the next body (200, application/json)."""

    def __init__(self, bodies):
        super().__init__()
        self.bodies = list(bodies)
        self.served = 0

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response.raw = io.BytesIO(self.bodies[min(self.served, len(self.bodies) - 1)])
        response.url, response.request = request.url, request
        self.served += 1
        return response

    def close(self):
        pass


class Sink:
    """Counts what reaches the destination; checks every checkpoint against the records loaded before it."""

    def __init__(self, pages):
        self.pages = pages  # the record lists served, in order
        self.loaded = 0

    def record(self, record):
        self.loaded += 1

    def checkpoint(self, checkpoint):
        cursor = json.loads(checkpoint.state_json)["next_cursor"]
        served_before = int(cursor, 16) if cursor else 0  # cursor i fetches page i
        assert self.loaded >= sum(len(records) for records in self.pages[:served_before]), "checkpoint past a page"

    def warning(self, warning):
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_any_page_body_ends_in_a_completed_sync_or_a_connector_error(data):
    bodies = [data.draw(envelope(index), label=f"page {index}") for index in range(4)]
    pages = []
    for body in bodies:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        pages.append(parsed["fts_records"] if isinstance(parsed, dict) and isinstance(
            parsed.get("fts_records"), list) else [])
    client = FtsClient(load_settings({"api_key": "k", "base_url": BASE_URL, "prefetch": data.draw(st.sampled_from(
        ["true", "false"]))}))
    client.session.mount(BASE_URL, Replies(bodies))
    sink = Sink(pages)
    runtime.install(sink)
    try:
        with in_process():
            progress = sync(client.settings, client, {})
        assert progress.records + progress.rejected == sum(len(records) for records in pages[:progress.pages])
    except (FtsApiError, ContractViolation) as error:
        assert str(error)
    finally:
        runtime.install(None)
        client.close()
