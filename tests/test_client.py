"""The HTTP client against the reference API: headers, retries through urllib3 Retry, and error messages."""

import email.utils
import os
import time

import pytest
import requests
from hostile import recorder
from support import API_KEY

from fts_connector import __version__
from fts_connector.client import FtsApiError, FtsClient, InvalidCursorError, RateLimitPause
from fts_connector.settings import load_settings
from tools.fts_api import Fault, FtsApiServer


def client_for(api, **configuration) -> FtsClient:
    values = {"api_key": API_KEY, "base_url": api.base_url, **configuration}
    return FtsClient(load_settings(values))


def fetch_first(faults, **configuration):
    with FtsApiServer(records=250, api_key=API_KEY, faults=faults) as api, client_for(api, **configuration) as client:
        return client.fetch_page(None), client, api


def test_the_key_goes_in_both_header_names_with_a_user_agent():
    with FtsClient(load_settings({"api_key": API_KEY})) as client:
        headers = client.session.headers
    assert headers["api_key"] == API_KEY and headers["x-api-key"] == API_KEY
    assert headers["User-Agent"].startswith(f"fts-connector/{__version__} ")


@pytest.fixture
def no_proxy_environment(monkeypatch):
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_proxy_and_ca_bundle_are_read_from_the_environment_once_for_the_api_host(no_proxy_environment):
    env = no_proxy_environment
    env.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    env.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company.pem")
    with FtsClient(load_settings({"api_key": API_KEY})) as client:
        env.setenv("HTTPS_PROXY", "http://changed.internal:3128")  # read once: later changes do not apply
        assert client.session.proxies == {"https": "http://proxy.internal:3128"}
        assert client.session.verify == "/etc/ssl/company.pem"
        assert not client.session.trust_env
    env.setenv("NO_PROXY", "sdk-demo-api-dot-internal-sales.uc.r.appspot.com")
    env.delenv("REQUESTS_CA_BUNDLE")
    with FtsClient(load_settings({"api_key": API_KEY})) as client:
        assert client.session.proxies == {} and client.session.verify is True


def test_no_proxy_for_the_api_host_reaches_it_directly(api, no_proxy_environment):
    no_proxy_environment.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    no_proxy_environment.setenv("NO_PROXY", "127.0.0.1")
    with client_for(api) as client:
        assert len(client.fetch_page(None).records) == 100 and client.retries == 0


def test_a_page_carries_its_cursor_records_and_what_comes_next(api):
    with client_for(api) as client:
        first = client.fetch_page(None)
        second = client.fetch_page(first.next_cursor)
    assert first.cursor is None and len(first.records) == 100 and not first.is_last
    assert second.cursor == first.next_cursor and second.records[0] == api.record(100)


@pytest.mark.parametrize("fault", [
    Fault("drop", at=1),
    Fault("reset_mid_body", at=1),
    Fault("status", status=500, at=1),
    Fault("status", status=502, at=1),
    Fault("status", status=504, at=1),
])
def test_transient_failures_are_retried_once_and_the_page_arrives(fault, no_real_waits):
    page, client, api = fetch_first([fault])
    assert len(page.records) == 100 and client.retries == 1 and api.request_count == 2
    assert len(no_real_waits) == 1 and 0 <= no_real_waits[0] <= 0.5 + 0.5  # first backoff plus jitter


def test_a_slow_response_times_out_and_is_retried(no_real_waits):
    page, client, _ = fetch_first([Fault("slow", at=1, delay=0.6)], request_timeout_seconds="0.25")
    assert len(page.records) == 100 and client.retries == 1


def test_retry_after_in_seconds_and_as_an_http_date_is_honoured(no_real_waits):
    fetch_first([Fault("status", status=429, at=1, retry_after=3)])
    date = email.utils.formatdate(time.time() + 120, usegmt=True)
    fetch_first([Fault("status", status=429, at=1, retry_after=date)])
    assert no_real_waits[0] == 3.0 and 100 <= no_real_waits[1] <= 121


def test_a_retry_after_beyond_max_wait_seconds_pauses_the_sync_instead_of_waiting(no_real_waits):
    with pytest.raises(RateLimitPause, match=r"asked to wait 3600 s .* beyond max_wait_seconds \(300 s\)"):
        fetch_first([Fault("status", status=429, at=1, retry_after=3600)])
    assert no_real_waits == []


def test_waits_that_add_up_beyond_max_wait_seconds_pause_the_sync(no_real_waits):
    with pytest.raises(RateLimitPause):
        fetch_first([Fault("status", status=503, at=1, times=9)], max_wait_seconds="10")
    assert 3 <= len(no_real_waits) <= 5 and sum(no_real_waits) <= 10


def test_backoff_grows_exponentially_until_retries_run_out(no_real_waits):
    with pytest.raises(FtsApiError, match=r"still failed after 8 retries: HTTP 503"):
        fetch_first([Fault("status", status=503, at=1, times=9)])
    assert len(no_real_waits) == 8 and no_real_waits[-1] > no_real_waits[0] * 8


def dead_base_url() -> str:
    """The address of a loopback port where nothing listens any more."""
    with FtsApiServer(records=10, api_key=API_KEY) as api:
        return api.base_url


def test_a_first_request_that_cannot_connect_fails_at_once_naming_base_url(no_real_waits):
    base_url = dead_base_url()
    started = time.monotonic()
    with FtsClient(load_settings({"api_key": API_KEY, "base_url": base_url})) as client, \
            pytest.raises(FtsApiError, match=rf"could not connect to base_url {base_url}: .*Check base_url"):
        client.fetch_page(None)
    assert no_real_waits == [] and time.monotonic() - started < 30


def test_a_name_that_does_not_resolve_fails_at_once_naming_base_url(no_real_waits):
    base_url = "https://fts.invalid"  # .invalid never resolves (RFC 2606)
    with FtsClient(load_settings({"api_key": API_KEY, "base_url": base_url})) as client, \
            pytest.raises(FtsApiError, match=r"could not connect to base_url https://fts.invalid: .*Check base_url"):
        client.fetch_page(None)
    assert no_real_waits == []


def test_once_a_page_arrived_connection_failures_are_retried_then_name_base_url(no_real_waits):
    api = FtsApiServer(records=250, api_key=API_KEY).start()
    with client_for(api) as client:
        first = client.fetch_page(None)
        api.stop()
        with pytest.raises(FtsApiError, match=r"failed after 8 retries: NewConnectionError.* check that base_url"):
            client.fetch_page(first.next_cursor)
    assert len(no_real_waits) == 8


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_redirect_to_another_origin_is_not_followed_and_the_key_stays_home(host):
    with recorder() as other:
        target = f"http://{host}:{other.server_address[1]}/fts_data"
        with FtsApiServer(records=250, api_key=API_KEY, faults=[Fault("redirect", location=target, at=1)]) as api, \
                client_for(api) as client, pytest.raises(FtsApiError) as raised:
            base_url = api.base_url
            client.fetch_page(None)
        message = str(raised.value)
        assert [r["status"] for r in api.requests] == [302]
        assert other.requests == [], "the other origin received a request"
        # the recorder does record: plain requests follows the same redirect and sends custom headers along
        requests.get(target.replace("/fts_data", "/probe"), headers={"x-api-key": "not-a-key"}, timeout=10)
        assert other.requests[0].headers["x-api-key"] == "not-a-key"
        assert f"redirected to http://{host}:{other.server_address[1]}" in message
        assert f"base_url {base_url}" in message and API_KEY not in message


def test_a_redirect_from_https_to_http_is_an_other_origin():
    from fts_connector.client import origin
    assert origin("https://api.example.com/x") != origin("http://api.example.com/x")
    assert origin("https://API.example.com:443/a") == origin("https://api.example.com/b")


def test_a_same_origin_redirect_is_followed_with_the_key():
    with FtsApiServer(records=250, api_key=API_KEY, faults=[Fault("redirect", location="/fts_data", at=1)]) as api, \
            client_for(api) as client:
        page = client.fetch_page(None)
    assert len(page.records) == 100 and [r["status"] for r in api.requests] == [302, 200]


def test_401_names_the_status_the_path_and_the_fix_without_the_key():
    with FtsApiServer(records=10, api_key="another-key") as api, client_for(api) as client, \
            pytest.raises(FtsApiError) as raised:
        client.fetch_page(None)
    message = str(raised.value)
    assert "GET /fts_data" in message and "HTTP 401" in message and "Check api_key" in message
    assert API_KEY not in message


def test_400_on_a_cursor_is_an_invalid_cursor_error(api):
    with client_for(api) as client, pytest.raises(InvalidCursorError, match="no longer valid. Reset the connector"):
        client.fetch_page("f" * 32)


def test_404_says_to_check_base_url(api):
    with FtsClient(load_settings({"api_key": API_KEY, "base_url": api.base_url + "/nope"})) as client, \
            pytest.raises(FtsApiError, match="HTTP 404 .*Check base_url"):
        client.fetch_page(None)


@pytest.mark.parametrize("kind, message", [
    ("html", r"body is not JSON \(text/html"),
    ("malformed_json", "body is not JSON"),
    ("no_records_key", "missing or wrong 'fts_records' \\(a list\\)"),
])
def test_a_200_without_the_envelope_is_an_error(kind, message):
    with pytest.raises(FtsApiError, match=message):
        fetch_first([Fault(kind, at=1)])
