"""HTTP access to the FTS API: one bounded GET per page, inside one retry loop.

- **One request is bounded.** `request_timeout_seconds` bounds the whole request (connect, headers and body, however
  slowly the API sends them) and MAX_BODY_BYTES its body as decoded (a gzip body is inflated a chunk at a time, so a
  small compressed body cannot grow the process either). Beyond either, the request fails naming the limit.
- **One retry policy.** A failure that may pass (no answer, a connection cut, a body cut off mid-way, a timeout,
  HTTP 429 or 5xx) is retried up to MAX_RETRIES times, after the wait the API asked for (Retry-After) or an
  exponential backoff with jitter. The waits of a sync stay within `max_wait_seconds`: beyond it the sync stops early
  and well (`RateLimitPause`). Until the API has answered once, a connection that cannot be made fails at once, so a
  wrong base_url is reported in seconds. A wait ends at once when the sync is cancelled (`cancelling`).
- **The key stays home.** It is sent only to base_url's origin (scheme, host, port): a redirect elsewhere, https ->
  http included, is not followed. Every error message goes through `Settings.redact`, so what the API echoes back
  (in a body, a header) is never printed with the key in it, and a page that holds the key is not loaded at all, so
  it cannot reach the warehouse, the state or the logs.
"""

import concurrent.futures
import contextlib
import email.utils
import json
import random
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError

from fts_connector import CONNECTOR_NAME, __version__
from fts_connector.settings import Settings

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRIES = 8
BACKOFF_FACTOR = 0.5  # seconds: 0.5, 1, 2, 4, ... plus up to BACKOFF_JITTER, at most BACKOFF_MAX
BACKOFF_MAX = 60.0
BACKOFF_JITTER = 0.5
CONNECT_TIMEOUT = 10.0
MAX_BODY_BYTES = 16 * 2**20  # a 200-record page of the reference API is 122 kB
CHUNK_BYTES = 64 * 2**10  # the body is read (and inflated) this much at a time
MAX_REDIRECTS = 10
MAX_CURSOR_CHARS = 4096  # a cursor goes into every checkpoint


class FtsApiError(RuntimeError):
    """The API could not give a page; the message names what happened, the request and the fix."""


class InvalidCursorError(FtsApiError):
    """The API rejected the cursor the sync resumed from."""


class RateLimitPause(Exception):  # noqa: N818 - a pause, not an error: the sync ends well and resumes next time
    """Waiting for the API any longer would go beyond `max_wait_seconds`: the sync stops at its last page."""


class Cancelled(Exception):  # noqa: N818
    """The sync stopped while a page was being fetched in the background."""


@dataclass(frozen=True)
class Page:
    cursor: str | None  # the cursor that fetched this page (None for the first page)
    records: list
    next_cursor: str | None  # the next page's cursor; None on the last page
    size: int = 0  # bytes of the body it came in

    @property
    def is_last(self) -> bool:
        return self.next_cursor is None


class _Retryable(Exception):  # noqa: N818 - a failed try, caught by the retry loop
    """A try that failed in a way that may pass: what happened, and the wait the API asked for, if it did."""

    def __init__(self, problem: str, retry_after: float | None = None, no_connection: bool = False):
        super().__init__(problem)
        self.retry_after = retry_after
        self.no_connection = no_connection  # no connection could be made at all


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes


def pause(seconds: float, cancelled: threading.Event) -> None:
    """Sleeps between retries, waking early if the sync is cancelled; tests replace it so no test waits for real."""
    cancelled.wait(seconds)


def origin(url: str) -> tuple:
    """Scheme, host and port of a URL (the port filled in for http and https): where a key may be sent."""
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(
        parts.scheme.lower())


class RedirectRefused(Exception):  # noqa: N818 - raised inside requests, reported as an FtsApiError
    """The API redirected to another origin; the request was not sent there."""

    def __init__(self, target: str):
        scheme, host, port = origin(target)
        self.target = f"{scheme}://{host}:{port}"
        super().__init__(self.target)


class _Session(requests.Session):
    """A session that follows a redirect only within base_url's origin: requests strips `Authorization` from a
    redirect to another host, but not custom headers such as `api_key` and `x-api-key`."""

    def __init__(self, base_url: str):
        super().__init__()
        self.origin = origin(base_url)
        self.max_redirects = MAX_REDIRECTS

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
        self.retries = 0  # in this sync
        self.waited = 0.0  # seconds, in this sync
        self.cancelled = threading.Event()
        self.connected = False  # until the API has answered once, a failed connection is not retried
        self.session = _Session(settings.base_url)
        self.session.headers.update({
            "api_key": settings.api_key,
            "x-api-key": settings.api_key,
            "Accept": "application/json",
            "User-Agent": f"{CONNECTOR_NAME}/{__version__} python-requests/{requests.__version__}",
        })
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
        self.cancelled.set()
        try:
            yield
        finally:
            self.cancelled.clear()

    def fetch_page(self, cursor: str | None) -> Page:
        """The page at `cursor` (None: the first page), retried as the module says; raises FtsApiError (with the key
        redacted), RateLimitPause or Cancelled."""
        where = f"GET /fts_data (cursor {short(cursor)}, page_size {self.settings.page_size})"
        try:
            return self._fetch(cursor, where)
        except (FtsApiError, RateLimitPause) as error:
            raise type(error)(self.settings.redact(str(error))) from None

    def _fetch(self, cursor: str | None, where: str) -> Page:
        tries = 0
        while True:
            try:
                answer = self._get(cursor, where)
                if answer.status in RETRY_STATUSES:
                    said = _excerpt(answer.body, self.settings.redact) or "no body"
                    raise _Retryable(f"HTTP {answer.status} ({said})", retry_after(answer.headers.get("Retry-After")))
                break
            except _Retryable as failure:
                if failure.no_connection and not self.connected:
                    raise FtsApiError(
                        f"{where} could not connect to base_url {self.settings.base_url}: {failure}. Check base_url "
                        "(and any proxy or firewall between here and the API)") from None
                if tries == MAX_RETRIES:
                    raise FtsApiError(
                        f"{where} still failed after {tries} retries: {failure}. The API is unreachable, unavailable "
                        f"or rate limiting: check that base_url {self.settings.base_url} is reachable; the next sync "
                        "resumes from the last checkpoint") from None
                self._wait_before_retry(failure, tries)
                tries += 1
        self.connected = True
        if answer.status != 200:
            raise _status_error(answer, where, cursor, self.settings.redact)
        if any(form.encode() in answer.body for form in self.settings.key_forms()):
            raise FtsApiError(
                f"{where} returned a page that holds the API key (the API echoes it back): the connector loads, logs "
                "and saves nothing that holds it. Nothing past the last checkpoint is saved; report this to the API "
                "owner")
        return _page(answer, where, cursor)

    def _wait_before_retry(self, failure: _Retryable, tries: int) -> None:
        """Waits what the API asked for, else the backoff; raises RateLimitPause beyond max_wait_seconds."""
        if failure.retry_after is not None:
            seconds, why = failure.retry_after, f"the API asked to wait {failure.retry_after:.0f} s (Retry-After)"
        else:
            seconds = min(BACKOFF_MAX, BACKOFF_FACTOR * 2**tries) + random.uniform(0, BACKOFF_JITTER)  # noqa: S311
            why = f"after {failure}, the next retry would wait {seconds:.0f} s"
        budget = self.settings.max_wait_seconds
        if self.waited + seconds > budget:
            raise RateLimitPause(f"{why} after {self.waited:.0f} s of waiting in this sync, beyond max_wait_seconds "
                                 f"({budget:g} s)")
        self.retries += 1
        self.waited += seconds
        pause(seconds, self.cancelled)
        if self.cancelled.is_set():
            raise Cancelled()

    def _get(self, cursor: str | None, where: str) -> _Answer:
        """One GET within request_timeout_seconds, counted from before the connection to the body's last byte. The
        request runs in a thread of its own so that the time limit holds whatever the API does; a request past it
        is abandoned (it stops at its next chunk, or when its socket times out)."""
        params = {"page_size": self.settings.page_size} if cursor is None else {
            "cursor": cursor, "page_size": self.settings.page_size}
        limit = self.settings.request_timeout_seconds
        abandoned = threading.Event()
        answer = concurrent.futures.Future()

        def request():
            try:
                answer.set_result(self._request(params, limit, abandoned, where))
            except BaseException as error:  # noqa: BLE001 - raised by answer.result() in the calling thread
                answer.set_exception(error)

        threading.Thread(target=request, name="fts-request", daemon=True).start()
        try:
            return answer.result(timeout=limit)
        except concurrent.futures.TimeoutError:
            abandoned.set()
            raise _Retryable(f"no complete answer within request_timeout_seconds ({limit:g} s)") from None

    def _request(self, params: dict, limit: float, abandoned: threading.Event, where: str) -> _Answer:
        try:
            with self.session.get(f"{self.settings.base_url}/fts_data", params=params, stream=True,
                                  timeout=(min(CONNECT_TIMEOUT, limit), limit)) as response:
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                    raise _too_large(where, f"announced a body of {int(declared):,} bytes")
                body = bytearray()
                for chunk in response.iter_content(CHUNK_BYTES):
                    if abandoned.is_set():
                        break
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise _too_large(where, f"sent more than {MAX_BODY_BYTES:,} bytes (decoded) in one body")
                return _Answer(response.status_code, response.headers, bytes(body))
        except RedirectRefused as refused:
            raise FtsApiError(
                f"{where} was redirected to {refused.target}, another origin than base_url {self.settings.base_url}; "
                "the key is sent only to base_url's origin, so the redirect was not followed. Check base_url") from None
        except requests.exceptions.TooManyRedirects:
            raise FtsApiError(
                f"{where} was redirected more than {MAX_REDIRECTS} times within base_url's origin (a redirect loop). "
                "Check base_url") from None
        except requests.exceptions.ContentDecodingError as error:
            raise FtsApiError(
                f"{where} returned a body that could not be decoded as its Content-Encoding says "
                f"({_last_reason(error)}). Report this to the API owner; nothing past the last checkpoint is "
                "saved") from None
        except requests.exceptions.ConnectionError as error:  # refused, reset, DNS, connect and read timeouts
            raise _Retryable(_last_reason(error), no_connection=_no_connection(error)) from None
        except requests.exceptions.RequestException as error:  # a body cut off mid-way, and the like
            raise _Retryable(_last_reason(error)) from None


def _too_large(where: str, what: str) -> FtsApiError:
    return FtsApiError(
        f"{where} {what}, beyond the connector's limit of {MAX_BODY_BYTES:,} bytes per response: the API is not "
        "answering as the FTS API does. Lower page_size, or report this to the API owner")


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date), or None without a usable one."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def _settle_environment(session: requests.Session, base_url: str) -> None:
    """Reads the proxy and CA-bundle environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, ...) once, for the one
    host the client talks to, as requests would for each request; then stops requests from reading it again on every
    request, which walks the whole environment twice per page. (requests would also read ~/.netrc for a Basic auth
    header; the key goes in its own headers, so nothing is lost.)"""
    environment = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies = environment["proxies"]
    session.verify = environment["verify"]
    session.trust_env = False


def _cause(error: Exception) -> Exception:
    """What went wrong, as urllib3 says it inside requests' error (e.g. a ReadTimeoutError)."""
    cause = error.args[0] if error.args and isinstance(error.args[0], Exception) else error
    return getattr(cause, "reason", None) or cause


def _last_reason(error: Exception) -> str:
    cause = _cause(error)
    return f"{type(cause).__name__}: {cause}"[:300]


def _no_connection(error: Exception) -> bool:
    """True when no connection could be made (urllib3's NewConnectionError and NameResolutionError are
    ConnectTimeoutErrors), as opposed to one that broke after it was made."""
    return isinstance(_cause(error), ConnectTimeoutError)


def _excerpt(body: bytes, redact=str) -> str:
    """The start of a body, to quote in a message: redacted before it is cut, so that no part of a key shows."""
    text = redact(body.decode("utf-8", "replace")).strip().replace("\n", " ")
    return text[:200] + ("…" if len(text) > 200 else "")


def _status_error(answer: _Answer, where: str, cursor: str | None, redact) -> FtsApiError:
    status = answer.status
    said = f"{where} returned HTTP {status} ({_excerpt(answer.body, redact) or 'no body'})"
    if status in (401, 403):
        return FtsApiError(f"{said}: the API refused the key. Check api_key in the connector configuration")
    if status == 400 and cursor is not None:
        return InvalidCursorError(
            f"{said}: the saved cursor {short(cursor)} is no longer valid. Reset the connector (locally "
            "`fivetran reset`, in Fivetran a full re-sync) so the next sync starts from the first page")
    if status == 404:
        return FtsApiError(f"{said}: no FTS API at this address. Check base_url")
    return FtsApiError(f"{said}: unexpected answer. Check base_url and page_size")


def _page(answer: _Answer, where: str, cursor: str | None) -> Page:
    """The page in a 200 answer, or an FtsApiError saying how the envelope differs from the FTS API's."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        kind = answer.headers.get("Content-Type", "no content type")
        raise FtsApiError(
            f"{where} returned HTTP 200 but the body is not JSON ({kind}: {_excerpt(answer.body)!r}). "
            "Check base_url: it must point at the FTS API itself") from None
    if not isinstance(body, dict):
        raise FtsApiError(f"{where} returned a JSON {type(body).__name__}, not the expected object envelope. "
                          "Check base_url: it must point at the FTS API itself")
    problems = []
    if not isinstance(body.get("fts_records"), list):
        problems.append("'fts_records' (a list)" if "fts_records" not in body else "'fts_records' is not a list")
    if not isinstance(body.get("has_more"), bool):
        problems.append("'has_more' (true/false)" if "has_more" not in body else "'has_more' is not true/false")
    if problems:
        raise FtsApiError(
            f"{where} returned an envelope without the expected fields: missing or wrong {', '.join(problems)}. "
            f"Keys received: {sorted(map(str, body))[:10]}. Check base_url: it must point at the FTS API itself")
    if not body["has_more"]:  # the last page: whatever next_cursor says, nothing follows
        return Page(cursor, body["fts_records"], None, len(answer.body))
    next_cursor = body.get("next_cursor")
    if not isinstance(next_cursor, str) or not next_cursor:
        raise FtsApiError(
            f"{where} returned has_more true without a next cursor (next_cursor {json.dumps(next_cursor)[:40]}): "
            "the API says more pages follow but not how to get them, so this page is not taken as the last one (a "
            "full refresh ending here would count the rest as deleted). Nothing past the last checkpoint is saved; "
            "report this to the API owner")
    if len(next_cursor) > MAX_CURSOR_CHARS:
        raise FtsApiError(
            f"{where} returned a next_cursor of {len(next_cursor):,} characters, more than the {MAX_CURSOR_CHARS:,} "
            "the connector saves in its state. Nothing past the last checkpoint is saved; report this to the API owner")
    return Page(cursor, body["fts_records"], next_cursor, len(answer.body))
