"""A threaded HTTP server on 127.0.0.1 (an ephemeral port) for the fake vendor APIs.

DEMO AND TEST ONLY. A fake answers the documented requests of one vendor API with the
documented status codes, headers and bodies (docs/connectors.md lists the sources). Every fake
records the requests it received and takes injected faults: a status with the vendor's error
body and headers (``Retry-After``), a dropped connection, a delay, an expired token.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeRequest:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8")))


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes | str | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


@dataclass
class Fault:
    """What to do instead of (or before) answering matching requests, ``times`` times.

    kind: ``status`` (answer ``status`` with ``body`` and ``headers``), ``drop`` (close the
    connection without an answer), ``delay`` (wait ``seconds``, then answer normally),
    ``expire`` (invalidate every issued token, then answer normally: the request gets the
    vendor's 401). ``path`` must occur in the request path; ``skip`` matching requests pass
    first.
    """

    kind: str
    path: str = ""
    method: str | None = None
    times: int = 1
    skip: int = 0
    status: int = 500
    body: bytes | str | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    hit: threading.Event = field(default_factory=threading.Event)

    def matches(self, request: FakeRequest) -> bool:
        if self.method and request.method != self.method:
            return False
        return self.path in request.path


class _Dropped(Exception):
    pass


class FakeServer:
    """Base of the fakes: lifecycle, request log, faults, routing to :meth:`route`."""

    name = "fake"

    def __init__(self, port: int = 0) -> None:
        self.requests: list[FakeRequest] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults and the log ---------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def calls(self, path_part: str = "", method: str | None = None) -> list[FakeRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if path_part in r.path and (method is None or r.method == method)
            ]

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (vendors with tokens override)."""

    def _fault_for(self, request: FakeRequest) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(request):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    fault.hit.set()
                    return fault
        return None

    # -- routing --------------------------------------------------------------------------------

    def route(self, request: FakeRequest) -> FakeResponse:  # pragma: no cover - overridden
        return FakeResponse(404, {"message": "not found"})

    def decorate(self, request: FakeRequest, response: FakeResponse) -> None:
        """Add vendor headers to every response (overridden per vendor)."""

    def _answer(self, request: FakeRequest) -> FakeResponse:
        with self._lock:
            self.requests.append(request)
        fault = self._fault_for(request)
        if fault is not None:
            if fault.kind == "drop":
                raise _Dropped
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "expire":
                self.expire_tokens()
            elif fault.kind == "status":
                response = FakeResponse(fault.status, fault.body, dict(fault.headers))
                self.decorate(request, response)
                return response
        try:
            response = self.route(request)
        except Exception as exc:  # a bug in a fake answers 500 with the reason
            response = FakeResponse(500, {"message": f"fake {self.name} failed: {exc!r}"})
        self.decorate(request, response)
        return response

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out as separate writes: without this, Nagle and the
                # client's delayed ACK add ~40 ms to every response
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = FakeRequest(
                    self.command,
                    parts.path,
                    dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                try:
                    response = fake._answer(request)
                except _Dropped:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = response.payload()
                try:
                    self.send_response(response.status)
                    if payload:
                        self.send_header("Content-Type", response.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout test)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

            def log_message(self, format: str, *args: object) -> None:
                return None

        return Handler


Route = Callable[[FakeRequest], FakeResponse]
