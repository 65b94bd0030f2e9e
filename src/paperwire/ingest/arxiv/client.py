"""A polite HTTP client for arXiv: a pause between requests, retries with backoff, Retry-After."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from paperwire import __version__
from paperwire.config import Settings

log = logging.getLogger(__name__)
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_FIRST_BACKOFF_SECONDS = 5.0


class FetchError(RuntimeError):
    """A request to arXiv failed for good; the message says which and why."""


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
            headers={"User-Agent": user_agent(settings)},
            timeout=settings.arxiv_timeout_seconds,
            follow_redirects=True,
            transport=transport,
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
        self._wait_turn()
        try:
            response = self._http.get(url, params=dict(params))
        except httpx.TimeoutException:
            raise _TransientFailure("timed out") from None
        except httpx.TransportError as error:
            raise _TransientFailure(f"connection failed: {error}") from None
        if response.status_code in TRANSIENT_STATUSES:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            raise _TransientFailure(f"HTTP {response.status_code}", retry_after)
        if response.status_code != 200:
            raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
        return response.content

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
