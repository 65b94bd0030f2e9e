"""HTTP plumbing of the API: JSON bodies, the one error shape, the rate limit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from limits import RateLimitItemPerMinute
from pydantic import BaseModel

from paperwire.community.ratelimits import moving_window_limiter
from paperwire.storage import Database

API_PREFIX = "/api/"


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """The one shape of every API error: {"error": message, "status": code, ...}."""
    return JSONResponse({"error": message, "status": status} | extra, status_code=status)


class ErrorBody(BaseModel):
    """The one shape of every API error, as OpenAPI documents it."""

    error: str
    status: int
    fields: list[str] | None = None  # 422: one "parameter: problem" line each


_ERROR_MEANINGS = {
    400: "The request body is not JSON",
    401: "No personal access token, or one that is unknown or revoked",
    403: "The token may only read",
    404: "No such paper, or no such day, week or month",
    422: "Invalid parameters; `fields` names each problem",
    429: "Too many requests from this address; see Retry-After",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the one error shape."""
    return {
        status: {"model": ErrorBody, "description": _ERROR_MEANINGS[status]} for status in statuses
    }


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class RateLimit:
    """Requests per minute per client address (a moving window), counted by every process
    together on PostgreSQL, else by this one (community.ratelimits.moving_window_limiter)."""

    def __init__(self, per_minute: int, db: Database | None = None) -> None:
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = moving_window_limiter(db)

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
