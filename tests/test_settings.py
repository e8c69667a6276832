"""Configuration: defaults, allowed values, and errors that name the parameter without revealing the key."""

import pytest

from fts_connector.settings import DEFAULT_BASE_URL, ConfigurationError, load_settings

KEY = "s3cret-key-value"


def test_defaults_apply_when_only_the_key_is_given():
    settings = load_settings({"api_key": KEY})
    assert (settings.base_url, settings.page_size, settings.checkpoint_every) == (DEFAULT_BASE_URL, 100, 100)
    assert KEY not in repr(settings)


@pytest.mark.parametrize("url, expected", [
    ("https://api.example.com/", "https://api.example.com"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("http://127.0.0.1:9/", "http://127.0.0.1:9"),
    ("https://api.example.com/v1", "https://api.example.com/v1"),
])
def test_base_url_accepts_https_and_local_http_and_drops_a_trailing_slash(url, expected):
    assert load_settings({"api_key": KEY, "base_url": url}).base_url == expected


@pytest.mark.parametrize("url", ["http://api.example.com", "ftp://localhost", "api.example.com", "https://x/?a=1"])
def test_base_url_rejects_anything_else_naming_the_value(url):
    with pytest.raises(ConfigurationError, match=r"base_url must be an https:// URL") as raised:
        load_settings({"api_key": KEY, "base_url": url})
    assert repr(url) in str(raised.value)


@pytest.mark.parametrize("value", ["1", "100", "200", " 50 "])
def test_page_size_accepts_integers_from_1_to_200(value):
    assert load_settings({"api_key": KEY, "page_size": value}).page_size == int(value)


@pytest.mark.parametrize("value", ["0", "201", "-5", "abc", "1.5"])
def test_page_size_rejects_other_values_naming_parameter_value_and_range(value):
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"api_key": KEY, "page_size": value})
    message = str(raised.value)
    assert message.startswith("page_size must be an integer from 1 to 200") and repr(value) in message


@pytest.mark.parametrize("configuration", [{}, {"api_key": ""}, {"api_key": "   "}, {"api_key": "<YOUR_FTS_API_KEY>"}])
def test_api_key_is_required(configuration):
    with pytest.raises(ConfigurationError, match="api_key"):
        load_settings(configuration)


def test_non_string_values_are_rejected_without_showing_the_key():
    with pytest.raises(ConfigurationError, match="page_size must be given as a string"):
        load_settings({"api_key": KEY, "page_size": 100})
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"api_key": 12345})
    assert "12345" not in str(raised.value)


def test_checkpoint_every_and_timeout_are_checked():
    assert load_settings({"api_key": KEY, "checkpoint_every": "1000"}).checkpoint_every == 1000
    with pytest.raises(ConfigurationError, match="checkpoint_every must be an integer of at least 1; got '0'"):
        load_settings({"api_key": KEY, "checkpoint_every": "0"})
    with pytest.raises(ConfigurationError, match="request_timeout_seconds must be a number of seconds"):
        load_settings({"api_key": KEY, "request_timeout_seconds": "soon"})


def test_unknown_keys_are_ignored_with_a_warning(capsys, monkeypatch):
    from fivetran_connector_sdk import Logging
    monkeypatch.setattr(Logging, "LOG_LEVEL", Logging.Level.INFO)
    settings = load_settings({"api_key": KEY, "pagesize": "10"})
    assert settings.page_size == 100
    assert "ignoring unknown configuration parameters: pagesize" in capsys.readouterr().out


def test_a_blank_value_takes_the_default_as_a_form_field_left_empty():
    settings = load_settings({"api_key": KEY, "page_size": "", "base_url": " ", "prefetch": ""})
    assert (settings.page_size, settings.base_url, settings.prefetch) == (100, DEFAULT_BASE_URL, True)


def test_full_refresh_hours_and_detect_deletes():
    assert load_settings({"api_key": KEY}).full_refresh_hours == 24.0
    assert load_settings({"api_key": KEY, "full_refresh_hours": "0"}).full_refresh_hours == 0.0
    assert load_settings({"api_key": KEY, "detect_deletes": "false"}).detect_deletes is False
    for bad in ("-1", "soon", "inf"):
        with pytest.raises(ConfigurationError, match="full_refresh_hours must be a number of hours of at least 0"):
            load_settings({"api_key": KEY, "full_refresh_hours": bad})
