"""HTTP plumbing of the API: conditional JSON responses, the error shape, the rate limit."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

API_PREFIX = "/api/"


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """The one shape of every API error: {"error": message, "status": code, ...}."""
    return JSONResponse({"error": message, "status": status} | extra, status_code=status)


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def conditional_json(request: Request, body: bytes, last_modified: datetime | None) -> Response:
    """A JSON body with an ETag (and Last-Modified); 304 when the client's copy is current."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(
            last_modified.replace(microsecond=0), usegmt=True
        )
    if _client_copy_is_current(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _client_copy_is_current(request: Request, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110)
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*"
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class RateLimit:
    """Requests per minute per client address, counted in this process (a moving window)."""

    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request) -> None:
        """Raise a 429 HTTPException with Retry-After when the client is over its limit."""
        if self.item is None:
            return
        client = request.client.host if request.client else "unknown"
        if self.limiter.hit(self.item, client):
            return
        reset_at, _remaining = self.limiter.get_window_stats(self.item, client)
        retry_after = max(1, int(reset_at - datetime.now().timestamp()) + 1)
        raise HTTPException(
            429,
            f"more than {self.item.amount} API requests a minute; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
