"""A hostile FTS API of the tests' own, on loopback: it answers every request the way the test scripts it.

    with HostileApi(lambda request: page(request, records)) as api:
        ... configuration(api) ...

`respond(request)` gets a `Request` (its number, cursor, page size, headers) and returns a `Reply`: a status,
headers and a body, which may be bytes or an iterable of bytes sent one piece at a time (`trickle` sends them with a
pause between pieces; with `raw`, the status line and headers too). `page()` serves a list of records the way the FTS
API does, with cursors "p1", "p2", ...
"""

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tools.fts_api import generate_record


@dataclass(frozen=True)
class Request:
    number: int  # 1 for the first /fts_data request the server received
    cursor: str | None
    page_size: int
    headers: dict


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})
    raw: bool = False  # the body is the whole response, status line and headers included


def recorder() -> "HostileApi":
    """A server that only notes what it receives (`.requests`, with their headers) and answers 200 {}."""
    return HostileApi(lambda request: Reply(200, b"{}"))


def records(count: int, seed: int = 42) -> list:
    """The reference API's first `count` records."""
    return [generate_record(seed, i) for i in range(count)]


def envelope(items: list, next_cursor, has_more: bool) -> Reply:
    return Reply(body=json.dumps({"fts_records": items, "next_cursor": next_cursor, "has_more": has_more}).encode())


def page(request: Request, items: list) -> Reply:
    """The page of `items` the request asks for, as the FTS API serves it: cursor "pN" is page N (0-based)."""
    number = page_number(request)
    start = number * request.page_size
    more = start + request.page_size < len(items)
    return envelope(items[start:start + request.page_size], f"p{number + 1}" if more else None, more)


def page_number(request: Request) -> int:
    """The 0-based page a request asks for."""
    return int(request.cursor[1:]) if request.cursor else 0


def trickle(data: bytes, seconds: float) -> Iterable[bytes]:
    """`data` a byte at a time, `seconds` apart."""
    for byte in data:
        time.sleep(seconds)
        yield bytes([byte])


class HostileApi(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, respond: Callable[[Request], Reply]):
        self.requests: list[Request] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = {name: values[0] for name, values in parse_qs(url.query).items()}
                request = Request(len(server.requests) + 1, query.get("cursor"), int(query.get("page_size", 100)),
                                  dict(self.headers))
                server.requests.append(request)
                reply = respond(request)
                if reply.raw:
                    self.stream(reply.body)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes):
                    if "Content-Length" not in reply.headers:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Connection", "close")  # a streamed body ends when the connection does
                self.end_headers()
                self.stream(reply.body)

            def stream(self, pieces):
                try:
                    for piece in pieces:
                        self.wfile.write(piece)
                        self.wfile.flush()
                except OSError:  # the client gave up
                    pass
                self.close_connection = True

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
