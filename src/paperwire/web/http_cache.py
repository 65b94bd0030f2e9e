"""Caching over HTTP: rendered bodies kept until papers or votes change, ETags and 304s."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

from paperwire.storage.counters import DataChange, data_change
from paperwire.web.page_cache import PageCache


def cached_body(
    request: Request, build: Callable[[], bytes], *key: Hashable
) -> tuple[bytes, DataChange]:
    """The body for this URL from the page cache while no paper, vote, comment or
    submission changed, else build() it.

    Also returns where the data stands, for Last-Modified. Errors that build() raises
    pass through and nothing is cached.
    """
    change = data_change(request.app.state.db)
    cache: PageCache = request.app.state.page_cache
    full_key = (str(request.url), *key)
    body = cache.get(full_key, change.version)
    if body is None:
        body = build()
        cache.put(full_key, change.version, body)
    return body, change


def conditional_response(
    request: Request, body: bytes, media_type: str, last_modified: datetime | None
) -> Response:
    """The body with an ETag (and Last-Modified); 304 when the client's copy is current."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(
            last_modified.replace(microsecond=0), usegmt=True
        )
    if _client_copy_is_current(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


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
