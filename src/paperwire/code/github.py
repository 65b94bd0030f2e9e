"""A polite client for GitHub's REST API: one repository's stars per request, conditional
on its ETag, paced to a request budget, with GitHub's rate-limit headers read and obeyed."""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from paperwire import __version__
from paperwire.config import Settings

log = logging.getLogger(__name__)
API_VERSION = "2022-11-28"
# A repository's JSON is a few KB; far more is a broken or hostile server.
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
MAX_ATTEMPTS = 4  # per request, for 5xx answers and connection failures
FIRST_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 60.0
TIMEOUT_SECONDS = 30.0  # longest silence while connecting or reading
DEADLINE_SECONDS = 60.0  # longest one answer's body may take to arrive
# GitHub's documented primary limits are 60 requests/hour without a token and 5,000 with
# one; paperwire's default budget stays under both, leaving room for other uses.
ANONYMOUS_REQUESTS_PER_HOUR = 50
TOKEN_REQUESTS_PER_HOUR = 4_500
# Requests left unasked in GitHub's window: past this, wait for X-RateLimit-Reset.
RESERVE_REQUESTS = 5
# GitHub's advice for a secondary limit without Retry-After or a spent primary limit.
SECONDARY_LIMIT_WAIT_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 86_400.0  # a larger Retry-After is taken as a day
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
MISSING_STATUSES = frozenset({404, 410, 451})
REDIRECT_STATUSES = frozenset({301, 302, 307, 308})
_FULL_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")


class GitHubError(RuntimeError):
    """A request about one repository failed for good; the message says which and why."""


class GitHubAuthError(GitHubError):
    """GitHub refused the token (401): every further request would fail the same way."""


class RateLimited(Exception):
    """GitHub asks for no more requests until `until` (UTC)."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until


class _Transient(Exception):
    """A failure worth another try."""


@dataclass(frozen=True, slots=True)
class Counted:
    """A 200: the repository as GitHub names it now (a rename shows as another full_name)."""

    full_name: str
    stars: int
    remote_id: int
    etag: str | None


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304: nothing changed since the ETag was given, so the star count is the same."""

    etag: str | None


@dataclass(frozen=True, slots=True)
class Missing:
    """404, 410 or 451: gone, private, or unavailable for legal reasons."""

    status: int


Answer = Counted | NotModified | Missing


@dataclass(frozen=True, slots=True)
class RateWindow:
    """GitHub's primary rate limit as its latest answer gave it."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None


def requests_per_hour(settings: Settings) -> int:
    """The configured budget, or the default for anonymous or token requests."""
    if settings.github_requests_per_hour:
        return settings.github_requests_per_hour
    return TOKEN_REQUESTS_PER_HOUR if _token(settings) else ANONYMOUS_REQUESTS_PER_HOUR


def _token(settings: Settings) -> str:
    token = settings.github_token
    return token.get_secret_value().strip() if token is not None else ""


def user_agent(settings: Settings) -> str:
    contact = settings.arxiv_contact.strip()
    suffix = f"; contact: {contact}" if contact else ""
    return f"paperwire/{__version__} (self-hosted research paper feed; code stars{suffix})"


class GitHubClient:
    """Asks GitHub about one repository at a time, never faster than the budget allows."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = settings.github_api_url.rstrip("/")
        self.rate = RateWindow()
        self._pause_seconds = 3600.0 / requests_per_hour(settings)
        self._sleep = sleep
        self._clock = clock
        self._last_request = float("-inf")
        self._lock = threading.Lock()
        self._http = httpx.Client(
            headers=_headers(settings),
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,  # followed by hand, only within the API (_next_url)
        )

    def repository(self, path: str, etag: str | None = None) -> Answer:
        """What GitHub says of owner/name now. Raises RateLimited, GitHubAuthError or
        GitHubError (after MAX_ATTEMPTS tries for 5xx answers and connection failures)."""
        retrying = Retrying(
            stop=stop_after_attempt(MAX_ATTEMPTS),
            wait=_backoff,
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            before_sleep=lambda state: log.warning(
                "GitHub request for %s failed (%s); try %d of %d",
                path,
                state.outcome.exception() if state.outcome else "?",
                state.attempt_number + 1,
                MAX_ATTEMPTS,
            ),
            reraise=True,
        )
        try:
            return retrying(self._follow, f"{self.base_url}/repos/{path}", etag)
        except _Transient as error:
            raise GitHubError(f"{path}: {error} (gave up after {MAX_ATTEMPTS} tries)") from None

    def seconds_until_allowed(self) -> float:
        """0 while the latest answer left more than RESERVE_REQUESTS in GitHub's window;
        otherwise the seconds until that window resets."""
        rate = self.rate
        if rate.remaining is None or rate.reset_at is None or rate.remaining > RESERVE_REQUESTS:
            return 0.0
        return max(0.0, (rate.reset_at - self._clock()).total_seconds())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _follow(self, url: str, etag: str | None) -> Answer:
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, body = self._get(url, etag)
            if status not in REDIRECT_STATUSES:
                return self._answer(url, status, headers, body)
            url = self._next_url(url, headers.get("Location", ""))
        raise GitHubError(f"{url}: more than {MAX_REDIRECTS} redirects (a loop?)")

    def _next_url(self, url: str, location: str) -> str:
        """A redirect's target; only within the API (a rename answers /repositories/ID),
        so that the token is never sent elsewhere."""
        target = str(httpx.URL(url).join(location))
        if not location or not target.startswith(self.base_url + "/"):
            raise GitHubError(f"{url}: redirected outside {self.base_url}: {location[:200]!r}")
        return target

    def _get(self, url: str, etag: str | None) -> tuple[int, httpx.Headers, bytes]:
        headers = {"If-None-Match": etag} if etag else {}
        self._wait_turn()
        try:
            with self._http.stream("GET", url, headers=headers) as response:
                self.rate = _rate_window(response.headers) or self.rate
                body = _read_body(url, response) if response.status_code == 200 else b""
                return response.status_code, response.headers, body
        except httpx.TimeoutException:
            raise _Transient("timed out") from None
        except httpx.TransportError as error:
            raise _Transient(f"connection failed: {error}") from None

    def _answer(self, url: str, status: int, headers: httpx.Headers, body: bytes) -> Answer:
        etag = headers.get("ETag")
        if status == 200:
            return parse_repository(url, body, etag)
        if status == 304:
            return NotModified(etag)
        if status in MISSING_STATUSES:
            return Missing(status)
        if status in TRANSIENT_STATUSES:
            raise _Transient(f"HTTP {status}")
        if status == 401:
            raise GitHubAuthError(f"{url}: HTTP 401: GitHub refused PAPERWIRE_GITHUB_TOKEN")
        limited = self._rate_limited(status, headers)
        if limited is not None:
            raise limited
        raise GitHubError(f"{url}: HTTP {status}")

    def _rate_limited(self, status: int, headers: httpx.Headers) -> RateLimited | None:
        """GitHub's documented order: Retry-After; else a spent primary limit waits for its
        reset; else a 429 (or a 403 naming no other cause) waits a minute."""
        if status not in (403, 429):
            return None
        now = self._clock()
        retry_after = _retry_after_seconds(headers.get("Retry-After"), now)
        if retry_after is not None:
            return RateLimited(now + timedelta(seconds=retry_after), "secondary rate limit")
        if self.rate.remaining == 0 and self.rate.reset_at is not None:
            return RateLimited(max(now, self.rate.reset_at), "primary rate limit spent")
        if status == 429:
            wait = timedelta(seconds=SECONDARY_LIMIT_WAIT_SECONDS)
            return RateLimited(now + wait, "rate limited (429)")
        return None

    def _wait_turn(self) -> None:
        # Requests are spread evenly over the hour rather than spent in a burst.
        with self._lock:
            pause = self._last_request + self._pause_seconds - time.monotonic()
            if pause > 0:
                self._sleep(pause)
            self._last_request = time.monotonic()


def _headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": user_agent(settings),
        "Accept-Encoding": "identity",  # a few KB: no decompression to bound
    }
    token = _token(settings)
    if token:
        headers["Authorization"] = f"Bearer {token}"  # never logged: messages name URLs only
    return headers


def _read_body(url: str, response: httpx.Response) -> bytes:
    """The body, or GitHubError past MAX_RESPONSE_BYTES or DEADLINE_SECONDS (a server
    trickling bytes would otherwise hold the pass, each read within the timeout)."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding != "identity":
        raise GitHubError(f"{url}: unasked-for Content-Encoding {encoding[:40]!r}")
    deadline = time.monotonic() + DEADLINE_SECONDS
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise GitHubError(f"{url}: answer larger than {MAX_RESPONSE_BYTES} bytes; refused")
        if time.monotonic() > deadline:
            raise _Transient(f"no complete answer within {DEADLINE_SECONDS:g} s")
    return bytes(body)


def parse_repository(url: str, body: bytes, etag: str | None) -> Counted:
    """The fields paperwire keeps from GitHub's repository JSON (pure)."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise GitHubError(f"{url}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise GitHubError(f"{url}: the answer is not a repository")
    full_name, stars, remote_id = (
        data.get("full_name"),
        data.get("stargazers_count"),
        data.get("id"),
    )
    if not (isinstance(full_name, str) and _FULL_NAME_RE.fullmatch(full_name)):
        raise GitHubError(f"{url}: the answer has no valid full_name")
    if not _is_count(stars) or not _is_count(remote_id):
        raise GitHubError(f"{url}: the answer has no valid stargazers_count or id")
    return Counted(full_name, stars, remote_id, etag)


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _rate_window(headers: httpx.Headers) -> RateWindow | None:
    try:
        limit = int(headers["X-RateLimit-Limit"]) if "X-RateLimit-Limit" in headers else None
        remaining = int(headers["X-RateLimit-Remaining"])
        reset = datetime.fromtimestamp(int(headers["X-RateLimit-Reset"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None
    return RateWindow(limit, remaining, reset)


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(0.0, (moment - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)


def _backoff(state: RetryCallState) -> float:
    exponential = FIRST_BACKOFF_SECONDS * float(2 ** (state.attempt_number - 1))
    return min(exponential, MAX_BACKOFF_SECONDS) * random.uniform(0.5, 1.0)  # jitter
