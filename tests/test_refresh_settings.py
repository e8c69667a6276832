"""The two parameters of full refreshes and delete detection: defaults, allowed values, errors naming the value."""

import pytest

from fts_connector.settings import ConfigurationError, load_settings

KEY = "s3cret-key-value"


def test_defaults_are_a_daily_refresh_with_delete_detection():
    settings = load_settings({"api_key": KEY})
    assert (settings.full_refresh_hours, settings.detect_deletes) == (24.0, True)


@pytest.mark.parametrize("value, hours", [("0", 0.0), ("0.5", 0.5), (" 168 ", 168.0), ("", 24.0)])
def test_full_refresh_hours_accepts_numbers_of_at_least_0_and_blank_is_the_default(value, hours):
    assert load_settings({"api_key": KEY, "full_refresh_hours": value}).full_refresh_hours == hours


@pytest.mark.parametrize("value", ["-1", "daily", "inf", "nan"])
def test_full_refresh_hours_rejects_anything_else_naming_the_value(value):
    with pytest.raises(ConfigurationError, match="full_refresh_hours must be a number of hours of at least 0") as error:
        load_settings({"api_key": KEY, "full_refresh_hours": value})
    assert repr(value) in str(error.value)


@pytest.mark.parametrize("value, detect", [("true", True), ("FALSE", False)])
def test_detect_deletes_is_a_flag(value, detect):
    assert load_settings({"api_key": KEY, "detect_deletes": value}).detect_deletes is detect


def test_detect_deletes_rejects_other_words():
    with pytest.raises(ConfigurationError, match="detect_deletes must be one of true, false; got 'yes'"):
        load_settings({"api_key": KEY, "detect_deletes": "yes"})
