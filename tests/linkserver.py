"""A real HTTP server on 127.0.0.1 for link-checking tests, with a request log."""

from __future__ import annotations

import functools
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PDF = b"%PDF-1.4\n1 0 obj << /Title (Annual Report 2026) /Author (AWS) >> endobj\n%%EOF"
BOMB_MB = 100  # decoded size of /bomb
TRICKLE_EVERY = 0.2  # seconds between the bytes of /trickle
BAD_LOCATIONS = {
    "bracket": "http://[::1",
    "control": "http://exa\x01mple.org/",
    "port": "http://example.org:99999/",
    "octal": "http://0177.0.0.1/",
    "space": "http://exa mple.org/",
}
ARTICLE_LATIN1 = (
    "<html><head>{meta}<title>Caf\u00e9 chips</title></head><body><article>"
    "<h1>Caf\u00e9 chips</h1><p>The caf\u00e9 in Z\u00fcrich said Trainium 3 is 40% "
    "cheaper than Trainium 2, according to a statement on Monday.</p>"
    "<p>NVIDIA reportedly sold 2 million chips in 2025, analysts at three firms said.</p>"
    "</article></body></html>"
)


@functools.cache
def gzip_bomb(megabytes: int = BOMB_MB) -> bytes:
    """An HTML page of ``megabytes`` MB (a title, then zeros), gzipped (about 1 KB per MB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [z.compress(b"<html><head><title>Bomb</title></head><body>")]
    zeros = bytes(1 << 20)
    parts += [z.compress(zeros) for _ in range(megabytes)]
    parts.append(z.flush())
    return b"".join(parts)


def latin1_page(meta: str = "") -> bytes:
    return ARTICLE_LATIN1.format(meta=meta).encode("latin-1")


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
            elif path.startswith("/trickle"):
                self._trickle()
            elif path.startswith("/slow-hop"):
                # each hop is quick, all six together are not
                time.sleep(0.4)
                self._reply(302, headers={"Location": "/slow-hop"})
            elif path.startswith("/bomb"):
                self._reply(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})
            elif path.startswith("/bad-location/"):
                self._reply(302, headers={"Location": BAD_LOCATIONS[path.rsplit("/", 1)[1]]})
            elif path == "/latin1-header":
                self._reply(200, latin1_page(), "text/html; charset=iso-8859-1")
            elif path == "/latin1-meta":
                meta = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
                self._reply(200, latin1_page(meta), "text/html")
            else:
                self._reply(404)

        def _trickle(self) -> None:
            """Headers at once, then one byte every TRICKLE_EVERY s (each read is quick)."""
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            if self.command == "HEAD":
                return
            try:
                for _ in range(int(120 / TRICKLE_EVERY)):  # gives up after two minutes
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(TRICKLE_EVERY)
            except OSError:
                return  # the client hung up

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
