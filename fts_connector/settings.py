"""The connector's configuration: every parameter, its default and what it allows, checked before any request.

`PARAMETERS` is the one table of parameters: the setup form (fts_connector/setup_form.py) and `load_settings` come from
it, and so do configuration.json and the README's table (`tools/parameters.py`, which tests/test_configuration_file.py
compares with the files).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, urlsplit

from fivetran_connector_sdk import Logging as log

DEFAULT_BASE_URL = "https://sdk-demo-api-dot-internal-sales.uc.r.appspot.com"
PLACEHOLDER_API_KEY = "<YOUR_FTS_API_KEY>"
LOCAL_HOSTS = ("localhost", "127.0.0.1")
KEY_CHARS_TO_FIND = 8  # a key this long or longer is redacted from messages and refused in pages


class ConfigurationError(ValueError):
    """A configuration value is missing or not allowed; the message names the parameter and what is allowed."""


CONTRACT_MODES = ("enforce", "strict", "off")
INVALID_CURSOR_ACTIONS = ("restart", "fail")


@dataclass(frozen=True)
class Settings:
    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    page_size: int = 100
    checkpoint_every: int = 100
    contract_mode: str = "enforce"
    max_wait_seconds: float = 300.0
    on_invalid_cursor: str = "restart"
    prefetch: bool = True
    request_timeout_seconds: float = 60.0
    full_refresh_hours: float = 24.0
    detect_deletes: bool = True
    max_delete_percent: float = 10.0

    def key_forms(self) -> list[str]:
        """The API key in every form an API may echo it back in: as sent, JSON-escaped and URL-encoded (longest
        first); none for a key shorter than KEY_CHARS_TO_FIND, which cannot be told apart from ordinary text."""
        key = self.api_key
        if len(key) < KEY_CHARS_TO_FIND:
            return []
        return sorted({key, json.dumps(key)[1:-1], quote(key, safe=""), quote_plus(key)}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` with the API key replaced by `***`: every message that quotes what the API sent goes through here."""
        for form in self.key_forms():
            text = text.replace(form, "***")
        return text


def _integer(name: str, text: str, low: int, high: int | None) -> int:
    allowed = f"an integer from {low} to {high}" if high else f"an integer of at least {low}"
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigurationError(f"{name} must be {allowed} given as a string; got {text!r}") from None
    if value < low or (high is not None and value > high):
        raise ConfigurationError(f"{name} must be {allowed}; got {text!r}")
    return value


def _seconds(name: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be a number of seconds from {low:g} to {high:g}; got {text!r}")
    return value


def _hours(name: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise ConfigurationError(f"{name} must be a number of hours of at least 0 (0: every sync); got {text!r}")
    return value


def _choice(name: str, text: str, allowed: tuple) -> str:
    value = text.strip().lower()
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}; got {text!r}")
    return value


def _flag(name: str, text: str) -> bool:
    return _choice(name, text, ("true", "false")) == "true"


def _api_key(text: str) -> str:
    if not text.strip():
        raise ConfigurationError("api_key is required: set it to the key of your FTS API account")
    if text.strip() == PLACEHOLDER_API_KEY:
        raise ConfigurationError(f"api_key still holds the placeholder {PLACEHOLDER_API_KEY}: set your FTS API key")
    if not all(" " <= char <= "~" for char in text.strip()):
        raise ConfigurationError("api_key holds a character an HTTP header cannot carry (only printable ASCII can): "
                                 "check that it was pasted whole and alone")
    return text.strip()


def _base_url(text: str) -> str:
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if "@" in parts.netloc:  # never echoed: it may hold a password
        raise ConfigurationError("base_url must not hold a user name or password (user:password@): the API key goes "
                                 "in api_key; got a base_url with credentials, not shown")
    try:
        good_port = parts.port != 0
    except ValueError:  # "Port out of range 0-65535", or not a number
        good_port = False
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local) or parts.query or parts.fragment or not good_port:
        raise ConfigurationError(f"base_url must be an https:// URL (http:// only for localhost or 127.0.0.1), with a "
                                 f"port from 1 to 65535 if any, without query; got {text!r}")
    return url


def _percent(name: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 100:
        raise ConfigurationError(f"{name} must be a percentage from 0 to 100; got {text!r}")
    return value


@dataclass(frozen=True)
class Parameter:
    """One configuration parameter: the setup form, `load_settings`, configuration.json and the README table all
    come from these."""

    name: str
    label: str
    kind: str  # "password", "text", "dropdown" or "toggle": its field in the setup form
    default: str  # as Fivetran passes it (a string); "" for a required parameter
    allowed: str  # what the README says is allowed
    description: str
    parse: Callable[[str], object]
    options: tuple = ()  # (value, description) of each dropdown option


PARAMETERS = {parameter.name: parameter for parameter in (
    Parameter("api_key", "API key", "password", "", "non-empty, not the placeholder",
              "FTS API key, sent in the `api_key` and `x-api-key` headers, only to `base_url`'s origin", _api_key),
    Parameter("base_url", "Base URL", "text", DEFAULT_BASE_URL,
              "`https://…`; `http://` only for `localhost`/`127.0.0.1`; a trailing `/` is dropped",
              "the API's address", _base_url),
    Parameter("page_size", "Page size", "text", "100", "integer 1–200", "records per request",
              lambda text: _integer("page_size", text, 1, 200)),
    Parameter("checkpoint_every", "Checkpoint every", "text", "100", "integer ≥ 1",
              "checkpoint at the first page boundary after this many records, or after a tenth of the tracked "
              "record_ids if more (`detect_deletes`)",
              lambda text: _integer("checkpoint_every", text, 1, None)),
    Parameter("contract_mode", "Data contract mode", "dropdown", "enforce", "`enforce`, `strict`, `off`",
              "what the data contract does with a record that breaks a hard rule",
              lambda text: _choice("contract_mode", text, CONTRACT_MODES),
              (("enforce", "quarantine it in fts_records_rejected and load the rest"),
               ("strict", "fail the sync at the first one"),
               ("off", "skip the checks"))),
    Parameter("max_wait_seconds", "Most seconds to wait", "text", "300", "number 0–86400",
              "the most the sync waits for the API (Retry-After and backoff, in total); beyond it the sync stops "
              "early and well", lambda text: _seconds("max_wait_seconds", text, 0, 86400)),
    Parameter("on_invalid_cursor", "When the saved cursor is invalid", "dropdown", "restart", "`restart`, `fail`",
              "when the API no longer knows the saved cursor",
              lambda text: _choice("on_invalid_cursor", text, INVALID_CURSOR_ACTIONS),
              (("restart", "start again from the first page"), ("fail", "fail the sync; a reset is needed"))),
    Parameter("prefetch", "Prefetch", "toggle", "true", "`true`, `false`",
              "fetch pages in a background thread, at most 4,000 records ahead, while the sync checks and loads those "
              "already fetched",
              lambda text: _flag("prefetch", text)),
    Parameter("request_timeout_seconds", "Request timeout (seconds)", "text", "60", "number 0.001–600",
              "the most one request may take, from connecting to the body's last byte (connecting: at most 10 s); "
              "a request past it is retried",
              lambda text: _seconds("request_timeout_seconds", text, 0.001, 600)),
    Parameter("full_refresh_hours", "Full refresh every (hours)", "text", "24", "number ≥ 0",
              "hours between full refreshes (a sync from the first page); `0` makes every sync a full refresh",
              lambda text: _hours("full_refresh_hours", text)),
    Parameter("detect_deletes", "Detect deletes", "toggle", "true", "`true`, `false`",
              "mark records a full refresh no longer finds as deleted (`_fivetran_deleted`)",
              lambda text: _flag("detect_deletes", text)),
    Parameter("max_delete_percent", "Most records one refresh may delete (%)", "text", "10", "number 0–100",
              "the most a completed full refresh may soft-delete, as a share of the records it tracks (at least one "
              "record); beyond it, or when a refresh returned no records, it deletes nothing and the sync fails saying "
              "how to apply them. `100` lifts the bound",
              lambda text: _percent("max_delete_percent", text)),
)}


def load_settings(configuration: dict) -> Settings:
    """Parses the configuration (all values are strings); raises ConfigurationError on the first bad value."""
    configuration = configuration or {}
    unknown = sorted(set(configuration) - set(PARAMETERS))
    if unknown:
        log.warning(f"ignoring unknown configuration parameters: {', '.join(unknown)}")
    values = {}
    for name, parameter in PARAMETERS.items():
        text = configuration.get(name, parameter.default)
        if not isinstance(text, str):
            shown = "<hidden>" if name == "api_key" else repr(text)
            raise ConfigurationError(f"{name} must be given as a string (Fivetran passes strings); got {shown}")
        if not text.strip() and parameter.default:  # a field left blank in the setup form
            text = parameter.default
        values[name] = parameter.parse(text)
    return Settings(**values)
