"""The connector's configuration: every parameter, its default and what it allows, checked before any request."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fivetran_connector_sdk import Logging as log

DEFAULT_BASE_URL = "https://sdk-demo-api-dot-internal-sales.uc.r.appspot.com"
PLACEHOLDER_API_KEY = "<YOUR_FTS_API_KEY>"
LOCAL_HOSTS = ("localhost", "127.0.0.1")


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
    return text.strip()


def _base_url(text: str) -> str:
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local) or parts.query or parts.fragment:
        raise ConfigurationError(
            f"base_url must be an https:// URL (http:// only for localhost or 127.0.0.1), without query; got {text!r}")
    return url


# name -> (default as the configuration would give it, parser of the string value)
PARAMETERS = {
    "api_key": ("", _api_key),
    "base_url": (DEFAULT_BASE_URL, _base_url),
    "page_size": ("100", lambda text: _integer("page_size", text, 1, 200)),
    "checkpoint_every": ("100", lambda text: _integer("checkpoint_every", text, 1, None)),
    "contract_mode": ("enforce", lambda text: _choice("contract_mode", text, CONTRACT_MODES)),
    "max_wait_seconds": ("300", lambda text: _seconds("max_wait_seconds", text, 0, 86400)),
    "on_invalid_cursor": ("restart", lambda text: _choice("on_invalid_cursor", text, INVALID_CURSOR_ACTIONS)),
    "prefetch": ("true", lambda text: _flag("prefetch", text)),
    "request_timeout_seconds": ("60", lambda text: _seconds("request_timeout_seconds", text, 0.001, 600)),
    "full_refresh_hours": ("24", lambda text: _hours("full_refresh_hours", text)),
    "detect_deletes": ("true", lambda text: _flag("detect_deletes", text)),
}


def load_settings(configuration: dict) -> Settings:
    """Parses the configuration (all values are strings); raises ConfigurationError on the first bad value."""
    configuration = configuration or {}
    unknown = sorted(set(configuration) - set(PARAMETERS))
    if unknown:
        log.warning(f"ignoring unknown configuration parameters: {', '.join(unknown)}")
    values = {}
    for name, (default, parse) in PARAMETERS.items():
        text = configuration.get(name, default)
        if not isinstance(text, str):
            shown = "<hidden>" if name == "api_key" else repr(text)
            raise ConfigurationError(f"{name} must be given as a string (Fivetran passes strings); got {shown}")
        values[name] = parse(text)
    return Settings(**values)
