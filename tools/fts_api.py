"""Reference implementation of the FTS REST API, for tests and benchmarks (stdlib only).

Emulated API
------------
``GET /fts_data?cursor=<cursor>&page_size=<1..200, default 100>``, authenticated with the API key in
an ``api_key`` header (the documented name) or an ``x-api-key`` header (what the sample clients send);
either one matching is enough. No cursor (or an empty one) means the first page. The 200 response is::

    {"fts_records": [...], "next_cursor": "<32 lowercase hex>" | null, "has_more": true | false}

On the last page ``has_more`` is false and ``next_cursor`` is null. Each record carries the 14
documented fields plus ``last_updated_epoch`` (an undocumented field the live API sends), and about
5% of records use a ``maintenance_type`` outside the documented three ("Preventive", "Emergency").

Errors: missing or wrong key -> 401 ``{"error": "unauthorized"}``; bad ``page_size`` -> 400
``{"error": "invalid page_size", "detail": ...}``; a cursor that does not verify or points past the
end -> 400 ``{"error": "invalid cursor", "detail": ...}``; unknown path -> 404.
``GET /fts_api_spec`` (no key needed) returns an OpenAPI 3.0 document.

Data and cursors
----------------
Record ``i`` is a pure function of ``(seed, i)``, generated on demand from a BLAKE2b digest, so the
same seed always gives byte-identical pages and a million records cost no memory. Records can be
appended (``FtsApiServer.append``). A cursor is ``hex16(HMAC(offset)) + hex16(offset XOR mask)`` with
the mask and HMAC key derived from the seed and a *cursor epoch*: cursors need no server-side table,
survive appends and restarts with the same seed, and are all rejected once the epoch changes
(``invalidate_cursors()`` / ``--cursor-epoch``), which models the API resetting its data.
``bad_records=N`` makes N records (offsets ``3, 3+k, 3+2k, ...`` with ``k = records // N``) carry one
invalid value each, cycling through ``BAD_VALUE_CASES``.

Changing data (for full refreshes and deletes): ``edited`` offsets are served edited (``edit_record``: another
status, a corrected cost, a later ``last_updated_epoch``); ``omitted`` offsets are not served at all, and the records
after them move up, since cursors stand for positions in what is served. ``omit_on_request={n: offset}`` omits
``offset`` when the n-th /fts_data request arrives (before answering it): a record removed behind a running sync's
position. ``edit()``, ``omit()`` and ``restore()`` change them while serving. ``refuse_after=k`` answers every
/fts_data request after the k-th with 503 (settable while serving; None serves again).

Fault injection
---------------
``Fault(kind, at=N, times=T)`` fires on /fts_data requests N .. N+T-1 (1-based, counting only
/fts_data requests); ``Fault(kind, every=M)`` fires on every request whose number is a multiple of M
(``times`` does not apply). The first matching fault in the list wins. Kinds:

``status``            respond ``status=<int>`` with a small JSON body, plus ``Retry-After`` when
                      ``retry_after`` is given (a number -> seconds, a string -> sent verbatim).
``drop``              close the connection without any response.
``reset_mid_body``    send the headers of the normal response (full Content-Length), half the body,
                      then shut the socket down.
``slow``              sleep ``delay`` seconds, then answer normally.
``malformed_json``    200 with the truncated body ``{"fts_records": [``.
``html``              200 with a ``text/html`` error page.
``no_records_key``    200 with a JSON envelope that lacks ``fts_records``.
``empty_same_cursor`` 200 ``{"fts_records": [], "next_cursor": <requested cursor>, "has_more": true}``.
``repeat_cursor``     200 with the normal page, but ``next_cursor`` is the requested cursor (a loop).
                      For these two, a request without a cursor gets the cursor for offset 0.
``redirect``          302 with ``Location: <location>`` (sent verbatim: another origin, or a path on this one).

Faults fire before authentication and validation (they model infrastructure), except
``empty_same_cursor``, ``repeat_cursor`` and ``slow``, which go through the normal page logic.
``latency`` seconds are added to every /fts_data response.

Usage
-----
Tests::

    with FtsApiServer(records=750, api_key="test-key", faults=[Fault("status", status=429, at=2)]) as api:
        requests.get(f"{api.base_url}/fts_data", headers={"x-api-key": "test-key"})

Command line::

    python -m tools.fts_api --port 8000 --records 750 [--host 127.0.0.1] [--api-key KEY] [--seed 42]
        [--latency-ms 0] [--bad-records 0] [--cursor-epoch 0] [--edit 10,375] [--omit 400]
        [--refuse-after K] [--verbose]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DATA_PATH = "/fts_data"
SPEC_PATH = "/fts_api_spec"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200
REQUEST_LOG_LIMIT = 10_000
API_KEY_HEADERS = ("api_key", "x-api-key")

DOCUMENTED_MAINTENANCE_TYPES = ("Predictive", "Corrective", "Condition-Based")
UNDOCUMENTED_MAINTENANCE_TYPES = ("Preventive", "Emergency")
MAINTENANCE_STATUSES = ("Completed", "Delayed", "In Progress", "Cancelled")
RECORD_FIELDS = (
    "record_id", "log_date", "technician_id", "log_description", "equipment_id", "maintenance_type",
    "maintenance_status", "erp_order_id", "customer_id", "summarized_log", "failure_rate",
    "maintenance_cost", "downtime_hours", "summarization_time_saved",
)

_ACTIONS = ("Replaced", "Inspected", "Lubricated", "Recalibrated", "Repaired", "Cleaned", "Realigned")
_COMPONENTS = (
    "hydraulic pump", "conveyor belt", "spindle motor", "cooling fan", "gearbox", "air compressor",
    "control valve", "drive shaft", "bearing assembly", "PLC module",
)
_OBSERVATIONS = (
    "abnormal vibration detected", "temperature above threshold", "oil leak observed",
    "noise during start-up", "pressure drop reported by operator", "wear found during routine check",
    "sensor reading drifting", "no defects found",
)
_OUTCOMES = (
    "restored to normal operation", "monitoring scheduled", "awaiting spare parts",
    "follow-up inspection required", "issue resolved",
)


class _Missing:
    """Sentinel type: the field is absent from the record."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

# (field, value) pairs that a data contract must reject; MISSING removes the field.
BAD_VALUE_CASES: list[tuple[str, object]] = [
    ("maintenance_cost", "n/a"),
    ("log_date", "31/02/2024"),
    ("downtime_hours", 2.5),
    ("downtime_hours", "x"),
    ("record_id", MISSING),
    ("record_id", ""),
    ("failure_rate", "high"),
    ("summarization_time_saved", True),
    ("equipment_id", {"id": "EQUIP_000001"}),
]


# --------------------------------------------------------------------------- records


# A record is drawn from one 64-byte BLAKE2b digest: 16 bytes for the UUID, then 32-bit numbers for the wide
# ranges and 16-bit numbers for the small choices.
_RECORD_DRAWS = struct.Struct(">16s4I13H")
_LOG_DATES = tuple((datetime.date(2023, 1, 1) + datetime.timedelta(days=d)).isoformat() for d in range(365))
_FIRST_UPDATE_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z; record i is updated in minute i after this.


def _uuid4_text(raw: bytes) -> str:
    """Format 16 random bytes as a version-4 UUID (same result as str(uuid.UUID(bytes=raw, version=4)))."""
    b = bytearray(raw)
    b[6] = b[6] & 0x0F | 0x40
    b[8] = b[8] & 0x3F | 0x80
    x = b.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def generate_record(seed: int, index: int) -> dict:
    """Return the well-formed record at ``index`` of the dataset for ``seed`` (a pure function)."""
    digest = hashlib.blake2b(f"fts-record:{seed}:{index}".encode(), digest_size=64).digest()
    (raw_id, order, customer, failure, cost, date, tech, equipment, drift, mtype, status, action, component,
     observation, outcome, downtime, saved, updated) = _RECORD_DRAWS.unpack_from(digest)
    equipment_id = f"EQUIP_{1 + equipment % 5000:06d}"
    types = UNDOCUMENTED_MAINTENANCE_TYPES if drift % 100 < 5 else DOCUMENTED_MAINTENANCE_TYPES
    action, component = _ACTIONS[action % len(_ACTIONS)], _COMPONENTS[component % len(_COMPONENTS)]
    observation, outcome = _OBSERVATIONS[observation % len(_OBSERVATIONS)], _OUTCOMES[outcome % len(_OUTCOMES)]
    return {
        "record_id": _uuid4_text(raw_id),
        "log_date": _LOG_DATES[date % len(_LOG_DATES)],
        "technician_id": f"TECH_{1 + tech % 999:06d}",
        "log_description": f"{action} {component} on {equipment_id}: {observation}. Outcome: {outcome}.",
        "equipment_id": equipment_id,
        "maintenance_type": types[mtype % len(types)],
        "maintenance_status": MAINTENANCE_STATUSES[status % len(MAINTENANCE_STATUSES)],
        "erp_order_id": f"ORDER_{1 + order % 999_999:06d}",
        "customer_id": f"CUST_{1 + customer % 99_999:06d}",
        "summarized_log": f"{action} {component}; {outcome}.",
        "failure_rate": round(failure / 2**32, 4),
        "maintenance_cost": round(50 + cost / 2**32 * 4950, 2),
        "downtime_hours": downtime % 73,
        "summarization_time_saved": 1 + saved % 60,
        "last_updated_epoch": _FIRST_UPDATE_EPOCH + index * 60 + updated % 60,
    }


def edit_record(record: dict) -> dict:
    """The record as the API serves it after an edit: another status, a corrected cost, updated a day later."""
    statuses = MAINTENANCE_STATUSES
    edited = dict(record)
    edited["maintenance_status"] = statuses[(statuses.index(record["maintenance_status"]) + 1) % len(statuses)]
    edited["maintenance_cost"] = round(record["maintenance_cost"] + 100, 2)
    edited["last_updated_epoch"] = record["last_updated_epoch"] + 86_400
    return edited


def _served_offsets(position: int, n: int, omitted: list[int]) -> list[int]:
    """The offsets of the ``n`` records served from ``position`` on, skipping the sorted ``omitted`` offsets."""
    offset = position
    for skipped in omitted:  # the offset of the record at `position`
        if skipped <= offset:
            offset += 1
        else:
            break
    skip, served = set(omitted), []
    while len(served) < n:
        if offset not in skip:
            served.append(offset)
        offset += 1
    return served


def spread_bad_offsets(records: int, bad_records: int) -> list[int]:
    """Offsets 3, 3+k, 3+2k, ... (k = records // bad_records), wrapped into the dataset; sorted."""
    if bad_records > records:
        raise ValueError(f"bad_records ({bad_records}) cannot exceed records ({records})")
    if bad_records <= 0:
        return []
    step = records // bad_records
    return sorted((3 + k * step) % records for k in range(bad_records))


def spoil(record: dict, case: tuple[str, object]) -> dict:
    """Return ``record`` with one field replaced (or removed, for MISSING) as described by ``case``."""
    name, value = case
    spoiled = dict(record)
    if value is MISSING:
        del spoiled[name]
    else:
        spoiled[name] = value
    return spoiled


# --------------------------------------------------------------------------- cursors


class InvalidCursor(ValueError):
    """The cursor does not decode, does not verify, or points past the end of the data."""


class CursorCodec:
    """Stateless cursors: ``hex16(hmac(offset)) + hex16(offset ^ mask)``, keyed by seed and cursor epoch.

The MAC comes first so that cursors differ from their first character, as opaque cursors do."""

    _FORMAT = re.compile(r"[0-9a-f]{32}")

    def __init__(self, seed: int, epoch: int) -> None:
        secret = hashlib.sha256(f"fts-cursor:{seed}:{epoch}".encode()).digest()
        self._mask = int.from_bytes(secret[:8], "big")
        self._key = secret[8:]

    def _mac(self, offset: int) -> str:
        return hmac.new(self._key, offset.to_bytes(8, "big"), "sha256").hexdigest()[:16]

    def encode(self, offset: int) -> str:
        return f"{self._mac(offset)}{offset ^ self._mask:016x}"

    def decode(self, cursor: str) -> int:
        if not self._FORMAT.fullmatch(cursor):
            raise InvalidCursor("cursor must be 32 lowercase hexadecimal characters")
        offset = int(cursor[16:], 16) ^ self._mask
        if not hmac.compare_digest(cursor[:16], self._mac(offset)):
            raise InvalidCursor("cursor is not recognised (it may have expired after a data reset)")
        return offset


# --------------------------------------------------------------------------- faults


FAULT_KINDS = (
    "status", "drop", "reset_mid_body", "slow", "malformed_json", "html", "no_records_key",
    "empty_same_cursor", "repeat_cursor", "redirect",
)


@dataclass(frozen=True)
class Fault:
    """An injected failure, scheduled by /fts_data request number (see the module docstring)."""

    kind: str
    _: KW_ONLY
    at: int | None = None
    every: int | None = None
    times: int = 1
    retry_after: float | str | None = None
    delay: float = 0.0
    status: int | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if (self.at is None) == (self.every is None):
            raise ValueError("give exactly one of at= or every=")
        if min(self.times, *(n for n in (self.at, self.every) if n is not None)) < 1:
            raise ValueError("at, every and times must be >= 1")
        if (self.kind == "status") != (self.status is not None):
            raise ValueError("status= is required for kind 'status' and only allowed there")
        if (self.kind == "redirect") != (self.location is not None):
            raise ValueError("location= is required for kind 'redirect' and only allowed there")

    def fires_on(self, n: int) -> bool:
        if self.every is not None:
            return n % self.every == 0
        return self.at <= n < self.at + self.times


def format_retry_after(value: float | str) -> str:
    """Numbers become seconds as text ("2", "0.5"); strings (e.g. an HTTP date) are sent as is."""
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


# --------------------------------------------------------------------------- responses


@dataclass
class Reply:
    """What the handler should do: send ``body`` normally, send only half of it ("truncate"), or "drop"."""

    status: int | None
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    action: str = "send"


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers=headers or {})


_HTML_ERROR_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream service is temporarily unavailable.</p></body></html>"
)


def _infrastructure_reply(fault: Fault) -> Reply | None:
    """The reply for faults that replace the API's answer entirely; None for faults that need page logic."""
    if fault.kind == "status":
        headers = {"Retry-After": format_retry_after(fault.retry_after)} if fault.retry_after is not None else {}
        return json_reply(fault.status, {"error": HTTPStatus(fault.status).phrase.lower()}, headers)
    if fault.kind == "drop":
        return Reply(None, action="drop")
    if fault.kind == "redirect":
        return json_reply(302, {"error": "found"}, {"Location": fault.location})
    if fault.kind == "malformed_json":
        return Reply(200, b'{"fts_records": [')
    if fault.kind == "html":
        return Reply(200, _HTML_ERROR_PAGE, content_type="text/html; charset=utf-8")
    if fault.kind == "no_records_key":
        return json_reply(200, {"message": "ok", "next_cursor": None, "has_more": False})
    return None


def parse_page_size(raw: str | None) -> int | None:
    """The page size for the raw query value, or None when it is not an integer in 1..MAX_PAGE_SIZE."""
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        return None
    size = int(raw)
    return size if 1 <= size <= MAX_PAGE_SIZE else None


def _logged_page_size(raw: str | None) -> int | str | None:
    return int(raw) if raw is not None and re.fullmatch(r"-?[0-9]{1,18}", raw) else raw


# --------------------------------------------------------------------------- server


class FtsApiServer:
    """The reference API, served from a background thread. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        records: int = 750,
        api_key: str = "demo-key",
        seed: int = 42,
        latency: float = 0.0,
        faults: Sequence[Fault] = (),
        bad_records: int = 0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        cursor_epoch: int = 0,
        verbose: bool = False,
        edited: Sequence[int] = (),
        omitted: Sequence[int] = (),
        omit_on_request: Mapping[int, int] | None = None,
        refuse_after: int | None = None,
        served_instead: Mapping[int, object] | None = None,
    ) -> None:
        if records < 0:
            raise ValueError("records must be >= 0")
        self.api_key = api_key
        self.seed = seed
        self.latency = latency
        self.faults = list(faults)
        self.verbose = verbose
        self._address = (host, port)
        self._lock = threading.Lock()
        self._count = records
        self._epoch = cursor_epoch
        self._codec = CursorCodec(seed, cursor_epoch)
        self._bad_cases = {
            offset: BAD_VALUE_CASES[k % len(BAD_VALUE_CASES)]
            for k, offset in enumerate(spread_bad_offsets(records, bad_records))
        }
        self._edited = set(edited)
        self._omitted = set(omitted)
        self.omit_on_request = dict(omit_on_request or {})
        self.refuse_after = refuse_after
        self._served_instead = dict(served_instead or {})  # offset -> item served in place of record i (tests)
        self._request_count = 0
        self._log: deque[dict] = deque(maxlen=REQUEST_LOG_LIMIT)
        self._lifecycle_lock = threading.Lock()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle

    def start(self) -> FtsApiServer:
        """Bind and serve from a daemon thread; a no-op when already running."""
        with self._lifecycle_lock:
            if self._httpd is None:
                self._httpd = _HttpServer(self._address, self)
                self._thread = threading.Thread(
                    target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fts-api", daemon=True
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and join the server thread; a no-op when not running."""
        with self._lifecycle_lock:
            httpd, thread = self._httpd, self._thread
            if httpd is None:
                return
            self._httpd = self._thread = None
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
            thread.join()

    def __enter__(self) -> FtsApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ----- data

    @property
    def record_count(self) -> int:
        with self._lock:
            return self._count

    def append(self, n: int) -> int:
        """Add ``n`` records at the end; returns the new record count. Existing cursors stay valid."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._count += n
            return self._count

    def record(self, i: int) -> dict:
        """The record served at offset ``i`` (including any deliberate corruption)."""
        if not 0 <= i < self.record_count:
            raise IndexError(f"record offset {i} out of range")
        return self._record(i)

    def _record(self, i: int) -> dict:
        if i in self._served_instead:
            return self._served_instead[i]
        record = generate_record(self.seed, i)
        if i in self._edited:
            record = edit_record(record)
        case = self._bad_cases.get(i)
        return spoil(record, case) if case else record

    def edit(self, *offsets: int) -> None:
        """Serve the records at ``offsets`` edited from now on."""
        with self._lock:
            self._edited.update(offsets)

    def omit(self, *offsets: int) -> None:
        """Stop serving the records at ``offsets`` (the API deleted them); later records move up."""
        with self._lock:
            self._omitted.update(offsets)

    def restore(self, *offsets: int) -> None:
        """Serve the records at ``offsets`` again."""
        with self._lock:
            self._omitted.difference_update(offsets)

    @property
    def served_count(self) -> int:
        with self._lock:
            return self._count - sum(1 for offset in self._omitted if offset < self._count)

    def served_ids(self) -> list[str]:
        """The record_ids the API serves now, in order."""
        with self._lock:
            count, omitted = self._count, set(self._omitted)
        return [self._record(i)["record_id"] for i in range(count) if i not in omitted]

    @property
    def bad_offsets(self) -> list[int]:
        return sorted(self._bad_cases)

    # ----- cursors

    def invalidate_cursors(self) -> None:
        """Start a new cursor epoch: every cursor issued so far is rejected with 400."""
        with self._lock:
            self._epoch += 1
            self._codec = CursorCodec(self.seed, self._epoch)

    def cursor_for(self, offset: int) -> str:
        """The cursor the server would issue for ``offset`` in the current epoch."""
        with self._lock:
            return self._codec.encode(offset)

    # ----- request log

    @property
    def requests(self) -> list[dict]:
        """The last REQUEST_LOG_LIMIT /fts_data requests: n, path, cursor, page_size, status, fault."""
        with self._lock:
            return list(self._log)

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._request_count

    def _next_request_number(self) -> int:
        with self._lock:
            self._request_count += 1
            return self._request_count

    def _log_request(self, entry: dict) -> None:
        with self._lock:
            self._log.append(entry)

    # ----- request handling (called from handler threads)

    def handle(self, target: str, headers: Mapping[str, str]) -> Reply:
        """Route one GET request (``target`` is the path with query string)."""
        url = urlsplit(target)
        if url.path == DATA_PATH:
            return self._handle_data(target, url.query, headers)
        if url.path == SPEC_PATH:
            return json_reply(200, openapi_spec(self.base_url))
        return json_reply(404, {"error": "not found", "detail": f"no route for {url.path}"})

    def _handle_data(self, target: str, query: str, headers: Mapping[str, str]) -> Reply:
        n = self._next_request_number()
        if n in self.omit_on_request:
            self.omit(self.omit_on_request[n])
        fault = next((f for f in self.faults if f.fires_on(n)), None)
        if fault is None and self.refuse_after is not None and n > self.refuse_after:
            fault = Fault("status", status=503, at=n)
        params = parse_qs(query, keep_blank_values=True)
        cursor = params.get("cursor", [""])[0] or None
        raw_page_size = params.get("page_size", [None])[0]
        delay = self.latency + (fault.delay if fault and fault.kind == "slow" else 0.0)
        if delay > 0:
            time.sleep(delay)
        reply = _infrastructure_reply(fault) if fault else None
        if reply is None:
            reply = self._page_reply(cursor, raw_page_size, headers, fault.kind if fault else None)
        if fault and fault.kind == "reset_mid_body":
            reply.action = "truncate"
        self._log_request({
            "n": n, "path": target, "cursor": cursor, "page_size": _logged_page_size(raw_page_size),
            "status": reply.status, "fault": fault.kind if fault else None,
        })
        return reply

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        expected = self.api_key.encode()
        sent = (headers.get(name) for name in API_KEY_HEADERS)
        return any(value is not None and hmac.compare_digest(value.encode(), expected) for value in sent)

    def _page_reply(self, cursor: str | None, raw_page_size: str | None, headers: Mapping[str, str],
                    fault_kind: str | None) -> Reply:
        if not self._authorized(headers):
            return json_reply(401, {"error": "unauthorized"})
        page_size = parse_page_size(raw_page_size)
        if page_size is None:
            detail = f"page_size must be an integer between 1 and {MAX_PAGE_SIZE}"
            return json_reply(400, {"error": "invalid page_size", "detail": detail})
        with self._lock:
            codec, omitted = self._codec, sorted(o for o in self._omitted if o < self._count)
            count = self._count - len(omitted)  # positions served
        try:
            offset = self._decode_cursor(codec, cursor, count)
        except InvalidCursor as exc:
            return json_reply(400, {"error": "invalid cursor", "detail": str(exc)})
        loop_cursor = cursor or codec.encode(0)
        if fault_kind == "empty_same_cursor":
            return json_reply(200, {"fts_records": [], "next_cursor": loop_cursor, "has_more": True})
        page = self._page(codec, offset, page_size, count, omitted)
        if fault_kind == "repeat_cursor":
            page.update(next_cursor=loop_cursor, has_more=True)
        return json_reply(200, page)

    @staticmethod
    def _decode_cursor(codec: CursorCodec, cursor: str | None, count: int) -> int:
        if cursor is None:
            return 0
        offset = codec.decode(cursor)
        if offset > count:
            raise InvalidCursor(f"cursor points past the end of the data ({count} records)")
        return offset

    def _page(self, codec: CursorCodec, offset: int, page_size: int, count: int, omitted: list[int]) -> dict:
        """Positions ``offset`` .. ``offset + page_size`` of what is served (the ``omitted`` offsets skipped)."""
        end = min(offset + page_size, count)
        has_more = end < count
        return {
            "fts_records": [self._record(i) for i in _served_offsets(offset, end - offset, omitted)],
            "next_cursor": codec.encode(end) if has_more else None,
            "has_more": has_more,
        }


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 makes bursts of new connections wait for SYN retries

    def __init__(self, address: tuple[str, int], api: FtsApiServer) -> None:
        self.api = api
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which may do a slow (non-local) DNS lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down idle keep-alive connections so no handler keeps serving after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients going away is normal here
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FtsReferenceApi/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body are written separately; without this, Nagle + delayed ACK add ~40 ms per response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.api.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._send(self.server.api.handle(self.path, self.headers))

    def _send(self, reply: Reply) -> None:
        if reply.action == "drop":
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if reply.action == "truncate":
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        else:
            self.wfile.write(reply.body)


# --------------------------------------------------------------------------- OpenAPI document


def _record_schema() -> dict:
    def text(example: str, **extra: object) -> dict:
        return {"type": "string", "example": example, **extra}

    properties = {
        "record_id": text("3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b", format="uuid"),
        "log_date": text("2023-06-14", format="date"),
        "technician_id": text("TECH_000123", pattern="^TECH_[0-9]{6}$"),
        "log_description": text("Replaced hydraulic pump on EQUIP_000042: oil leak observed."),
        "equipment_id": text("EQUIP_000123", pattern="^EQUIP_[0-9]{6}$"),
        "maintenance_type": text("Predictive", enum=list(DOCUMENTED_MAINTENANCE_TYPES)),
        "maintenance_status": text("Completed", enum=list(MAINTENANCE_STATUSES)),
        "erp_order_id": text("ORDER_000123", pattern="^ORDER_[0-9]{6}$"),
        "customer_id": text("CUST_000123", pattern="^CUST_[0-9]{6}$"),
        "summarized_log": text("Replaced hydraulic pump; issue resolved."),
        "failure_rate": {"type": "number", "format": "double", "minimum": 0, "maximum": 1, "example": 0.0342},
        "maintenance_cost": {"type": "number", "format": "double", "example": 157.03},
        "downtime_hours": {"type": "integer", "example": 4},
        "summarization_time_saved": {"type": "integer", "example": 12},
        "last_updated_epoch": {"type": "integer", "format": "int64", "description": "Last update, epoch seconds."},
    }
    return {"type": "object", "required": list(RECORD_FIELDS), "properties": properties}


def openapi_spec(server_url: str) -> dict:
    """An OpenAPI 3.0 description of /fts_data as served by this module."""
    error = {"$ref": "#/components/schemas/Error"}
    retry_after = {"description": "Seconds to wait (or an HTTP date).", "schema": {"type": "string"}}

    def error_response(description: str, headers: dict | None = None) -> dict:
        response = {"description": description, "content": {"application/json": {"schema": error}}}
        return {**response, "headers": headers} if headers else response

    return {
        "openapi": "3.0.3",
        "info": {"title": "FTS API", "version": "1.0.0", "description": "Field technician service (FTS) records."},
        "servers": [{"url": server_url}],
        "paths": {
            DATA_PATH: {
                "get": {
                    "operationId": "listFtsData",
                    "summary": "List FTS records, one cursor-paginated page at a time.",
                    "parameters": [
                        {"name": "cursor", "in": "query", "required": False,
                         "description": "Opaque cursor from next_cursor; omit for the first page.",
                         "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
                        {"name": "page_size", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                                    "default": DEFAULT_PAGE_SIZE}},
                    ],
                    "security": [{"ApiKeyHeader": []}, {"XApiKeyHeader": []}],
                    "responses": {
                        "200": {"description": "A page of records.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FtsPage"}}}},
                        "400": error_response("Invalid cursor or page_size."),
                        "401": error_response("Missing or invalid API key."),
                        "429": error_response("Rate limited.", {"Retry-After": retry_after}),
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {
                "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "api_key"},
                "XApiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
            "schemas": {
                "FtsRecord": _record_schema(),
                "FtsPage": {
                    "type": "object",
                    "required": ["fts_records", "next_cursor", "has_more"],
                    "properties": {
                        "fts_records": {"type": "array", "items": {"$ref": "#/components/schemas/FtsRecord"}},
                        "next_cursor": {"type": "string", "nullable": True, "pattern": "^[0-9a-f]{32}$"},
                        "has_more": {"type": "boolean"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    }


# --------------------------------------------------------------------------- command line


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _offsets(text: str) -> list[int]:
    return [_non_negative_int(part) for part in text.split(",") if part.strip()]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.fts_api", description="Serve the reference FTS API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=_non_negative_int, default=8000, help="0 picks a free port")
    parser.add_argument("--records", type=_non_negative_int, default=750)
    parser.add_argument("--api-key", default=os.environ.get("FTS_API_KEY", "demo-key"),
                        help="default: $FTS_API_KEY or 'demo-key'")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency-ms", type=_non_negative_int, default=0)
    parser.add_argument("--bad-records", type=_non_negative_int, default=0)
    parser.add_argument("--cursor-epoch", type=int, default=0)
    parser.add_argument("--edit", type=_offsets, default=[], metavar="OFFSETS",
                        help="serve these records edited, e.g. 10,375")
    parser.add_argument("--omit", type=_offsets, default=[], metavar="OFFSETS",
                        help="do not serve these records (deleted), e.g. 400")
    parser.add_argument("--refuse-after", type=_non_negative_int, default=None, metavar="K",
                        help="answer every /fts_data request after the K-th with 503")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.bad_records > args.records:
        parser.error("--bad-records cannot exceed --records")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    api = FtsApiServer(
        records=args.records, api_key=args.api_key, seed=args.seed, latency=args.latency_ms / 1000,
        bad_records=args.bad_records, host=args.host, port=args.port, cursor_epoch=args.cursor_epoch,
        verbose=args.verbose, edited=args.edit, omitted=args.omit, refuse_after=args.refuse_after,
    )
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with api:
        print(f"FTS reference API listening on {api.base_url} ({args.records} records)", flush=True)
        stopping.wait()
    print("FTS reference API stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
