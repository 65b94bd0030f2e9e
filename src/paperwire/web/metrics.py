"""Prometheus metrics at /metrics: request latency by route, and, read at each scrape,
where harvests, digests and this process's search indexes stand.

With `serve --workers N` every worker records its requests in files under
PROMETHEUS_MULTIPROC_DIR (set by serve), and a scrape of any worker adds them all up.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import Message, Receive, Scope, Send

from paperwire.search.engine import Searcher
from paperwire.storage import Database
from paperwire.storage.health import operational_state
from paperwire.web import views
from paperwire.web.http_middleware import ResponseStartMiddleware

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Registered in the registry of each scrape, not in prometheus_client's global one.
REQUEST_SECONDS = Histogram(
    "paperwire_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status class.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)

_STATUS_KEY = "paperwire.status"
router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The metrics in Prometheus's text format; with PAPERWIRE_METRICS_TOKEN set, only for
    `Authorization: Bearer <token>`."""
    _authorise(request)
    registry = CollectorRegistry()
    if MULTIPROCESS_VARIABLE in os.environ:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(_StateCollector(views.database(request), views.searcher(request)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class RequestTimer(ResponseStartMiddleware):
    """Times every HTTP request into REQUEST_SECONDS."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            status = scope.get(_STATUS_KEY, 500)  # none started: the app failed
            labels = (scope["method"], route, f"{status // 100}xx")
            REQUEST_SECONDS.labels(*labels).observe(time.perf_counter() - started)

    def on_response_start(self, scope: Scope, message: Message) -> None:
        scope[_STATUS_KEY] = message["status"]


class _StateCollector(Collector):
    """Gauges read when scraped: one database's state and this process's indexes."""

    def __init__(self, db: Database, searcher: Searcher) -> None:
        self.db = db
        self.searcher = searcher

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        state = operational_state(self.db, now)
        yield _gauge("paperwire_papers", "Papers stored.", state.papers)
        yield _gauge(
            "paperwire_harvest_failed_checkpoints",
            "Harvest checkpoints whose last run failed.",
            state.failed_harvests,
        )
        if state.last_harvest_at is not None:
            yield _gauge(
                "paperwire_harvest_age_seconds",
                "Seconds since the newest harvest finished.",
                (now - state.last_harvest_at).total_seconds(),
            )
        due = state.oldest_due_digest_at
        yield _gauge(
            "paperwire_digest_lag_seconds",
            "How long the longest-waiting due digest has waited (0: none waiting).",
            max(0.0, (now - due).total_seconds()) if due is not None else 0.0,
        )
        if state.last_digest_sent_at is not None:
            yield _gauge(
                "paperwire_digest_last_sent_age_seconds",
                "Seconds since the newest digest was sent.",
                (now - state.last_digest_sent_at).total_seconds(),
            )
        vectors, terms = self.searcher.loaded_seqs()
        behind = "Writes the database has that this process's {} index has not loaded yet."
        if vectors is not None:
            yield _gauge(
                "paperwire_vector_index_behind_writes",
                behind.format("vector"),
                max(0, state.embeddings_seq - vectors),
            )
        if terms is not None:
            yield _gauge(
                "paperwire_keyword_index_behind_writes",
                behind.format("keyword"),
                max(0, state.terms_seq - terms),
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _authorise(request: Request) -> None:
    token = views.settings(request).metrics_token
    if token is None or not token.get_secret_value():
        return
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise HTTPException(401, "metrics need the token", headers={"WWW-Authenticate": "Bearer"})
