"""HTTP access to the FTS API: one session, retries through urllib3 `Retry`, and errors that say what to fix.

The key is sent only to base_url's origin (scheme, host, port): a redirect elsewhere, https -> http included, is not
followed. Until the API has answered once, a connection that cannot be made (name resolution, refused, connect
timeout) fails at once instead of being retried: a wrong base_url is reported in seconds, not minutes.

Every retry (429, 5xx, connection errors, read timeouts, a connection reset mid-body) goes through the single
`Retry` on the session's adapter. To make a body cut off mid-way retryable too, the adapter reads the body inside
urllib3's retry loop (`preload_content`) rather than after it, as requests otherwise does.
"""

import contextlib
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError
from urllib3.util.retry import Retry

from fts_connector import CONNECTOR_NAME, __version__
from fts_connector.settings import Settings

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRIES = 8
BACKOFF_FACTOR = 0.5  # seconds: 0.5, 1, 2, 4, ... before jitter
BACKOFF_MAX = 60.0
BACKOFF_JITTER = 0.5
CONNECT_TIMEOUT = 10.0


class FtsApiError(RuntimeError):
    """The API could not give a page; the message names the status, the path and the fix."""


class InvalidCursorError(FtsApiError):
    """The API rejected the cursor the sync resumed from."""


class RateLimitPause(Exception):  # noqa: N818 - a pause, not an error: the sync ends well and resumes next time
    """The API asked for a wait beyond `max_wait_seconds`: the sync stops at its last page and resumes next time."""

    def __init__(self, requested: float, waited: float, budget: float):
        super().__init__(f"the API asked to wait {requested:.0f} s after {waited:.0f} s of waiting in this sync, "
                         f"beyond max_wait_seconds ({budget:g} s)")
        self.requested = requested


class Cancelled(Exception):  # noqa: N818
    """The sync stopped while a page was being fetched in the background."""


@dataclass(frozen=True)
class Page:
    cursor: str | None  # the cursor that fetched this page (None for the first page)
    records: list
    next_cursor: str | None
    has_more: bool

    @property
    def is_last(self) -> bool:
        return not self.has_more or not self.next_cursor


def pause(seconds: float, cancelled: threading.Event) -> None:
    """Sleeps between retries, waking early if the sync is cancelled; tests replace it so no test waits for real."""
    cancelled.wait(seconds)


class Waits:
    """The waits between retries: counted, within the sync's budget of `max_wait_seconds`, and cancellable."""

    def __init__(self, budget: float):
        self.budget = budget
        self.count = 0
        self.seconds = 0.0
        self.cancelled = threading.Event()

    def wait(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        if self.seconds + seconds > self.budget:
            raise RateLimitPause(seconds, self.seconds, self.budget)
        self.count += 1
        self.seconds += seconds
        pause(seconds, self.cancelled)
        if self.cancelled.is_set():
            raise Cancelled()


class _Retry(Retry):
    """urllib3's Retry, sleeping through `Waits` (Retry-After honoured, else exponential backoff with jitter)."""

    waits: Waits | None = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.waits = self.waits
        return retry

    def sleep(self, response=None) -> None:
        retry_after = self.get_retry_after(response) if response is not None else None
        self.waits.wait(retry_after if retry_after is not None else self.get_backoff_time())


class _PreloadingPool:
    """A connection pool that reads the whole body inside urlopen, so Retry also covers a body cut off mid-way."""

    def urlopen(self, method, url, *args, **kwargs):
        kwargs.update(preload_content=True, decode_content=True)
        return super().urlopen(method, url, *args, **kwargs)


class _HTTPPool(_PreloadingPool, HTTPConnectionPool):
    pass


class _HTTPSPool(_PreloadingPool, HTTPSConnectionPool):
    pass


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def build_response(self, req, resp):
        response = super().build_response(req, resp)
        response._content = resp.data  # already read by the pool
        return response


def _retry(waits: Waits, connect: int | None = None) -> Retry:
    retry = _Retry(
        total=MAX_RETRIES,
        connect=connect,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        backoff_jitter=BACKOFF_JITTER,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.waits = waits
    return retry


def _settle_environment(session: requests.Session, base_url: str) -> None:
    """Reads the proxy and CA-bundle environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, ...) once, for the one
    host the client talks to, as requests would for each request; then stops requests from reading it again on every
    request, which walks the whole environment twice per page. (requests would also read ~/.netrc for a Basic auth
    header; the key goes in its own headers, so nothing is lost.)"""
    environment = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies = environment["proxies"]
    session.verify = environment["verify"]
    session.trust_env = False


def origin(url: str) -> tuple:
    """Scheme, host and port of a URL (the port filled in for http and https): where a key may be sent."""
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(
        parts.scheme.lower())


class RedirectRefused(Exception):  # noqa: N818 - caught in fetch_page and reported as an FtsApiError
    """The API redirected to another origin; the request was not sent there."""

    def __init__(self, target: str):
        scheme, host, port = origin(target)
        super().__init__(f"{scheme}://{host}:{port}")
        self.target = f"{scheme}://{host}:{port}"


class _Session(requests.Session):
    """A session that follows a redirect only within base_url's origin: requests strips `Authorization` from a
    redirect to another host, but not custom headers such as `api_key` and `x-api-key`."""

    def __init__(self, base_url: str):
        super().__init__()
        self.origin = origin(base_url)

    def rebuild_auth(self, prepared_request, response):
        if origin(prepared_request.url) != self.origin:
            raise RedirectRefused(prepared_request.url)
        super().rebuild_auth(prepared_request, response)


def short(cursor: str | None) -> str:
    """A cursor as logged: its first 8 characters."""
    return "none" if cursor is None else f"{cursor[:8]}…"


class FtsClient:
    """Fetches pages of `GET {base_url}/fts_data`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.waits = Waits(settings.max_wait_seconds)
        self.connected = False  # until the API has answered once, a failed connection is not retried
        self.session = _Session(settings.base_url)
        self.session.mount("https://", _Adapter(max_retries=_retry(self.waits, connect=0)))
        self.session.mount("http://", _Adapter(max_retries=_retry(self.waits, connect=0)))
        self.session.headers.update({
            "api_key": settings.api_key,
            "x-api-key": settings.api_key,
            "Accept": "application/json",
            "User-Agent": f"{CONNECTOR_NAME}/{__version__} python-requests/{requests.__version__}",
        })
        self.timeout = (CONNECT_TIMEOUT, settings.request_timeout_seconds)
        _settle_environment(self.session, settings.base_url)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.session.close()

    @contextlib.contextmanager
    def cancelling(self):
        """Within it, a wait between retries ends at once and raises Cancelled: how a background fetch is stopped."""
        self.waits.cancelled.set()
        try:
            yield
        finally:
            self.waits.cancelled.clear()

    @property
    def retries(self) -> int:
        return self.waits.count

    def fetch_page(self, cursor: str | None) -> Page:
        params = {"page_size": self.settings.page_size}
        if cursor is not None:
            params = {"cursor": cursor, **params}
        where = f"GET /fts_data (cursor {short(cursor)}, page_size {self.settings.page_size})"
        base_url = self.settings.base_url
        try:
            response = self.session.get(f"{base_url}/fts_data", params=params, timeout=self.timeout)
        except RedirectRefused as refused:
            raise FtsApiError(
                f"{where} was redirected to {refused.target}, another origin than base_url {base_url}; the key is "
                "sent only to base_url's origin, so the redirect was not followed. Check base_url") from None
        except requests.exceptions.ConnectionError as error:
            if not self.connected and _is_connect_error(error):
                raise FtsApiError(
                    f"{where} could not connect to base_url {base_url}: {_reason(error)}. Check base_url (and any "
                    "proxy or firewall between here and the API)") from None
            raise FtsApiError(
                f"{where} failed after {MAX_RETRIES} retries: {_reason(error)}. Check that base_url "
                f"{base_url} is reachable; the next sync resumes from the last checkpoint") from None
        except requests.exceptions.RequestException as error:
            raise FtsApiError(
                f"{where} failed after {MAX_RETRIES} retries: {_reason(error)}. Check that base_url "
                f"{base_url} is reachable; the next sync resumes from the last checkpoint") from None
        if not self.connected:  # the API answered: from now on, connection errors are retried like any other
            self.connected = True
            for adapter in self.session.adapters.values():
                adapter.max_retries = _retry(self.waits)
        if response.status_code != 200:
            raise _status_error(response, where, cursor)
        return _page(response, where, cursor)


def _last_try(error: Exception) -> Exception:
    """What went wrong on the last try: urllib3's reason inside requests' error (e.g. a ReadTimeoutError)."""
    cause = error.args[0] if error.args and isinstance(error.args[0], Exception) else error
    return getattr(cause, "reason", None) or cause


def _is_connect_error(error: Exception) -> bool:
    """True when no connection could be made (urllib3's NewConnectionError and NameResolutionError are
    ConnectTimeoutErrors), as opposed to one that broke after it was made."""
    return isinstance(_last_try(error), ConnectTimeoutError)


def _reason(error: Exception) -> str:
    reason = _last_try(error)
    return f"{type(reason).__name__}: {reason}"[:300]


def _body_excerpt(response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200] + ("…" if len(text) > 200 else "")


def _status_error(response, where: str, cursor: str | None) -> FtsApiError:
    status = response.status_code
    said = f"{where} returned HTTP {status} ({_body_excerpt(response) or 'no body'})"
    if status in (401, 403):
        return FtsApiError(f"{said}: the API refused the key. Check api_key in the connector configuration")
    if status == 400 and cursor is not None:
        return InvalidCursorError(
            f"{said}: the saved cursor {short(cursor)} is no longer valid. Reset the connector (locally "
            "`fivetran reset`, in Fivetran a full re-sync) so the next sync starts from the first page")
    if status == 404:
        return FtsApiError(f"{said}: no FTS API at this address. Check base_url")
    if status in RETRY_STATUSES:
        return FtsApiError(
            f"{said} and still did after {MAX_RETRIES} retries: the API is unavailable or rate limiting. "
            "The next sync resumes from the last checkpoint")
    return FtsApiError(f"{said}: unexpected answer. Check base_url and page_size")


def _page(response, where: str, cursor: str | None) -> Page:
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise FtsApiError(
            f"{where} returned HTTP 200 but the body is not JSON ({kind}: {_body_excerpt(response)!r}). "
            "Check base_url: it must point at the FTS API itself") from None
    if not isinstance(body, dict):
        raise FtsApiError(f"{where} returned a JSON {type(body).__name__}, not the expected object envelope. "
                          "Check base_url: it must point at the FTS API itself")
    problems = []
    if not isinstance(body.get("fts_records"), list):
        problems.append("'fts_records' (a list)" if "fts_records" not in body else "'fts_records' is not a list")
    if not isinstance(body.get("has_more"), bool):
        problems.append("'has_more' (true/false)" if "has_more" not in body else "'has_more' is not true/false")
    next_cursor = body.get("next_cursor")
    if next_cursor is not None and (not isinstance(next_cursor, str) or not next_cursor):
        problems.append("'next_cursor' is neither a string nor null")
    if problems:
        raise FtsApiError(
            f"{where} returned an envelope without the expected fields: missing or wrong {', '.join(problems)}. "
            f"Keys received: {sorted(map(str, body))[:10]}. Check base_url: it must point at the FTS API itself")
    return Page(cursor, body["fts_records"], next_cursor, body["has_more"])
