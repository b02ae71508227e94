"""A real HTTP server on 127.0.0.1 for link-checking tests, with a request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PDF = b"%PDF-1.4\n1 0 obj << /Title (Annual Report 2026) /Author (AWS) >> endobj\n%%EOF"


@dataclass
class Log:
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (host, method, path)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: dict[str, int] = field(default_factory=dict)

    def add(self, host: str, method: str, path: str) -> int:
        with self.lock:
            self.requests.append((host, method, path))
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]


def make_handler(
    log: Log, loopback_target: str, delay: float = 0.0
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            return

        def _reply(
            self,
            status: int,
            body: bytes = b"",
            ctype: str = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _route(self) -> None:
            path = self.path
            n = log.add(self.server.server_address[0], self.command, path)  # type: ignore[index]
            if delay:
                time.sleep(delay)
            page = (
                b"<html><head><title>Trainium 3 &amp; HBM4 spec</title></head><body>x</body></html>"
            )
            if path.startswith("/ok") or path.startswith("/bench/"):
                self._reply(200, page)
            elif path == "/r1":
                self._reply(301, headers={"Location": "/r2"})
            elif path == "/r2":
                self._reply(302, headers={"Location": "/ok?via=r2"})
            elif path == "/loop":
                self._reply(302, headers={"Location": "/loop"})
            elif path == "/404":
                self._reply(404, b"<title>Not found</title>")
            elif path == "/500":
                self._reply(500, b"oops", "text/plain")
            elif path == "/429":
                if n == 1:  # the first request is rate-limited
                    self._reply(429, b"slow down", "text/plain", {"Retry-After": "1"})
                else:
                    self._reply(200, page)
            elif path == "/slow":
                time.sleep(3)
                self._reply(200, page)
            elif path == "/head405":
                if self.command == "HEAD":
                    self._reply(405, headers={"Allow": "GET"})
                else:
                    self._reply(200, b"<title>GET only</title>")
            elif path == "/report.pdf":
                self._reply(200, PDF, "application/pdf")
            elif path == "/to-loopback":
                self._reply(302, headers={"Location": loopback_target})
            else:
                self._reply(404)

        do_GET = _route
        do_HEAD = _route

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # bursts of connections must not overflow the backlog


@dataclass
class Served:
    base: str
    log: Log
    port: int


@contextmanager
def serve(
    host: str = "127.0.0.1",
    *,
    loopback_target: str = "",
    delay: float = 0.0,
    log: Log | None = None,
    port: int = 0,
) -> Iterator[Served]:
    log = log or Log()
    server = _Server((host, port), make_handler(log, loopback_target, delay))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://{host}:{server.server_address[1]}", log, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
