"""A polite HTTP client for arXiv: a pause between requests, retries with backoff, Retry-After."""

from __future__ import annotations

import logging
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from email.utils import parsedate_to_datetime
from ssl import SSLContext
from typing import Any

import httpcore
import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from paperwire import __version__
from paperwire.config import Settings
from paperwire.ingest.arxiv.errors import FetchError as FetchError

log = logging.getLogger(__name__)
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_FIRST_BACKOFF_SECONDS = 5.0
# An arXiv page of 2,000 records is tens of MB; far more is a broken or hostile server
# (a small gzip can expand to gigabytes), so a body is refused past this, decompressed.
MAX_RESPONSE_BYTES = 128 * 1024 * 1024
MAX_REDIRECTS = 5
# When the request now in flight must be over (time.monotonic()), or None for no limit.
_DEADLINE: ContextVar[float | None] = ContextVar("arxiv_request_deadline", default=None)


class _TransientFailure(Exception):
    """A failure worth another try, possibly with the wait the server asked for."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def user_agent(settings: Settings) -> str:
    contact = settings.arxiv_contact.strip()
    suffix = f"; contact: {contact}" if contact else ""
    return f"paperwire/{__version__} (self-hosted research paper feed{suffix})"


class PoliteClient:
    """GETs arXiv pages one at a time, never faster than the configured delay."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._last_request = float("-inf")
        self._lock = threading.Lock()
        self._http = httpx.Client(
            # Only gzip, which _BoundedBody decompresses under its cap.
            headers={"User-Agent": user_agent(settings), "Accept-Encoding": "gzip"},
            timeout=settings.arxiv_timeout_seconds,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            # Every request waits its turn, the redirects httpx follows included.
            event_hooks={"request": [self._before_request]},
            transport=transport or _deadline_transport(),
        )

    def get(self, url: str, params: Mapping[str, str | int]) -> bytes:
        """The body of a 200 answer; transient failures are retried, others raise FetchError."""
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.arxiv_max_attempts),
            wait=self._backoff,
            retry=retry_if_exception(lambda error: isinstance(error, _TransientFailure)),
            sleep=self._sleep,
            before_sleep=lambda state: log.warning(
                "arXiv request failed (%s); try %d of %d",
                state.outcome.exception() if state.outcome else "?",
                state.attempt_number + 1,
                self.settings.arxiv_max_attempts,
            ),
            reraise=True,
        )
        try:
            return retrying(self._get_once, url, params)
        except _TransientFailure as error:
            attempts = self.settings.arxiv_max_attempts
            raise FetchError(f"{url}: {error} (gave up after {attempts} tries)") from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _get_once(self, url: str, params: Mapping[str, str | int]) -> bytes:
        try:
            with self._http.stream("GET", url, params=dict(params)) as response:
                _check_status(url, response)
                return _read_body(url, response)
        except httpx.TimeoutException:
            raise _TransientFailure(self._timeout_reason()) from None
        except httpx.TooManyRedirects:
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects (a loop?)") from None
        except httpx.UnsupportedProtocol as error:
            raise FetchError(f"{url}: {error}") from None
        except httpx.TransportError as error:
            raise _TransientFailure(f"connection failed: {error}") from None
        finally:
            _DEADLINE.set(None)

    def _before_request(self, _request: httpx.Request) -> None:
        self._wait_turn()
        _DEADLINE.set(time.monotonic() + self.settings.arxiv_deadline_seconds)

    def _timeout_reason(self) -> str:
        deadline = _DEADLINE.get()
        if deadline is not None and time.monotonic() >= deadline:
            seconds = self.settings.arxiv_deadline_seconds
            return f"no complete answer within {seconds:g} s (PAPERWIRE_ARXIV_DEADLINE_SECONDS)"
        return "timed out"

    def _wait_turn(self) -> None:
        # arXiv asks for one request at a time with a pause between them.
        with self._lock:
            pause = self._last_request + self.settings.arxiv_delay_seconds - time.monotonic()
            if pause > 0:
                self._sleep(pause)
            self._last_request = time.monotonic()

    def _backoff(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        ceiling = self.settings.arxiv_max_backoff_seconds
        if isinstance(error, _TransientFailure) and error.retry_after is not None:
            return min(error.retry_after, ceiling)
        exponential = _FIRST_BACKOFF_SECONDS * float(2 ** (state.attempt_number - 1))
        return min(exponential, ceiling) * random.uniform(0.5, 1.0)  # jitter spreads retries


def _check_status(url: str, response: httpx.Response) -> None:
    if response.status_code in TRANSIENT_STATUSES:
        retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        raise _TransientFailure(f"HTTP {response.status_code}", retry_after)
    if response.status_code != 200:
        raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")


def _read_body(url: str, response: httpx.Response) -> bytes:
    """The whole body, decompressed, or FetchError past MAX_RESPONSE_BYTES or on bad gzip."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise FetchError(f"{url}: unsupported Content-Encoding {encoding[:40]!r}")
    body = _BoundedBody(gzipped=encoding != "identity")
    try:
        for chunk in response.iter_raw():
            body.feed(chunk)
        return body.finish()
    except zlib.error as error:
        raise FetchError(f"{url}: Content-Encoding {encoding}, but not gzip: {error}") from None
    except _TooLarge:
        limit = MAX_RESPONSE_BYTES // 2**20
        raise FetchError(f"{url}: answer larger than {limit} MiB decompressed; refused") from None


class _TooLarge(Exception):
    """More than MAX_RESPONSE_BYTES of body, decompressed."""


class _BoundedBody:
    """Collects a body, gunzipping it as it arrives, never holding more than the cap."""

    def __init__(self, *, gzipped: bool) -> None:
        self._decoder = _gunzipper() if gzipped else None
        self._data = bytearray()

    def feed(self, chunk: bytes) -> None:
        if self._decoder is None:
            self._keep(chunk)
            return
        while chunk:
            if self._decoder.eof:  # another gzip member follows the first
                self._decoder = _gunzipper()
            # max_length keeps a bomb from expanding beyond the cap in one call.
            room = MAX_RESPONSE_BYTES + 1 - len(self._data)
            self._keep(self._decoder.decompress(chunk, room))
            chunk = self._decoder.unconsumed_tail or self._decoder.unused_data

    def finish(self) -> bytes:
        if self._decoder is not None and not self._decoder.eof:
            raise zlib.error("the gzip stream ends early")
        return bytes(self._data)

    def _keep(self, data: bytes) -> None:
        self._data += data
        if len(self._data) > MAX_RESPONSE_BYTES:
            raise _TooLarge


def _gunzipper() -> Any:
    return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header and trailer


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's transport over sockets that give up at the request's deadline.

    httpx's timeouts restart with every read, so a server trickling one byte at a time
    (headers or body) would hold a request forever; here each socket operation may wait
    only until the deadline of the request in flight.
    """
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_DeadlineBackend()
    )
    return transport


def _until_deadline(timeout: float | None, expired: type[Exception]) -> float | None:
    """The socket timeout to use now: the configured one, shortened to the deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise expired("the request's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            super().connect_tcp(host, port, timeout, local_address, socket_options)
        )


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _until_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _until_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
