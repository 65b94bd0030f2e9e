"""A real HTTP server on loopback that plays recorded arXiv responses, and notes every request."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/xml; charset=utf-8"),)
    delay_seconds: float = 0.0  # longer than the client's timeout: a timeout
    # "headers" or "body": that part (and what follows) is sent one byte every trickle_seconds,
    # so that no single read waits long but the whole answer takes long.
    trickle: str = ""
    trickle_seconds: float = 0.05


@dataclass(frozen=True)
class Seen:
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    at: float  # time.monotonic()


Route = Callable[[str, dict[str, str]], bool]


@dataclass
class Script:
    """Replies in order for each matching request; the last reply of a route repeats."""

    routes: list[tuple[Route, list[Reply]]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, route: Route, *replies: Reply) -> Script:
        self.routes.append((route, list(replies)))
        return self

    def reply_for(self, path: str, params: dict[str, str]) -> Reply:
        with self.lock:
            for route, replies in self.routes:
                if route(path, params):
                    return replies.pop(0) if len(replies) > 1 else replies[0]
        return Reply(b"no recorded reply for this request", status=404)


@cache
def gzip_bomb(decompressed_bytes: int) -> bytes:
    """A gzip of that many zero bytes, built a MiB at a time (a few hundred KB per 100 MiB)."""
    chunk = bytes(2**20)
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(chunk) for _ in range(-(-decompressed_bytes // len(chunk)))]
    return b"".join([*parts, compressor.flush()])


def params_include(**expected: str) -> Route:
    """A route matching requests whose query holds these parameters."""
    return lambda _path, params: all(params.get(k) == v for k, v in expected.items())


def path_is(path: str) -> Route:
    return lambda actual, _params: actual == path


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        self.script.seen.append(Seen(url.path, params, dict(self.headers), time.monotonic()))
        reply = self.script.reply_for(url.path, params)
        if reply.delay_seconds:
            time.sleep(reply.delay_seconds)
        try:
            if reply.trickle:
                self._trickle(reply)
                return
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def _trickle(self, reply: Reply) -> None:
        lines = [
            f"HTTP/1.0 {reply.status} {HTTPStatus(reply.status).phrase}",
            *(f"{name}: {value}" for name, value in reply.headers),
            f"Content-Length: {len(reply.body)}",
        ]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        fast, slow = (b"", head + reply.body) if reply.trickle == "headers" else (head, reply.body)
        self.wfile.write(fast)
        for byte in slow:
            time.sleep(reply.trickle_seconds)
            self.wfile.write(bytes([byte]))

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def serving(script: Script) -> Iterator[str]:
    """Serve the script on a free loopback port; yield the base URL."""
    handler = type("Handler", (_Handler,), {"script": script})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
