"""HTML pages: daily, weekly and monthly lists, trending, and the paper page."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from paperwire.config import Settings
from paperwire.papers import is_arxiv_id
from paperwire.ranking import listings
from paperwire.ranking.calendar import (
    InvalidPeriod,
    Period,
    PeriodKind,
    newest_listing_day,
    parse_period,
    period_of,
)
from paperwire.storage import Database
from paperwire.storage import papers as paper_store
from paperwire.web.page_cache import PageCache
from paperwire.web.rendering import Renderer, period_url

router = APIRouter()
MAX_PAGE = 10_000
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, name, context)


def _cached(request: Request, build: Callable[[], HTMLResponse], *key: Hashable) -> Response:
    """Serve a list page from the page cache while no paper changed since it was built."""
    cache: PageCache = request.app.state.page_cache
    version = paper_store.papers_version(_db(request))
    full_key = (str(request.url), *key)
    body = cache.get(full_key, version)
    if body is not None:
        return HTMLResponse(body)
    response = build()  # errors raise and are never cached
    cache.put(full_key, version, bytes(response.body))
    return response


@router.get("/", response_class=HTMLResponse, summary="The latest day that has papers")
def front_page(request: Request, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _front_page(request, page))


def _front_page(request: Request, page: int) -> HTMLResponse:
    latest = listings.latest_day(_db(request))
    if latest is None:
        return _render(request, "empty.html", {"tab": "day"})
    return _period_page(request, period_of("day", latest), page, canonical=f"/papers/date/{latest}")


@router.get("/papers/date/{label}", response_class=HTMLResponse, summary="One listing day")
def day_page(request: Request, label: str, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_page(request, _period("day", label), page))


@router.get("/papers/week/{label}", response_class=HTMLResponse, summary="One ISO week")
def week_page(request: Request, label: str, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_page(request, _period("week", label), page))


@router.get("/papers/month/{label}", response_class=HTMLResponse, summary="One month")
def month_page(request: Request, label: str, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_page(request, _period("month", label), page))


@router.get("/papers/trending", response_class=HTMLResponse, summary="Trending papers")
def trending_page(request: Request, page: PageNumber = 1) -> Response:
    today = newest_listing_day(datetime.now(UTC))
    return _cached(request, lambda: _trending_page(request, page, today), today)


def _trending_page(request: Request, page: int, today: date) -> HTMLResponse:
    settings = _settings(request)
    trending = listings.trending_list(
        _db(request),
        today=today,
        page=page,
        page_size=settings.page_size,
        window_days=settings.trending_window_days,
        half_life_hours=settings.trending_half_life_hours,
    )
    _check_page_exists(trending.page)
    context = {
        "tab": "trending",
        "trending": trending,
        "half_life_hours": settings.trending_half_life_hours,
        "around": trending.anchor,
    }
    return _render(request, "trending.html", context)


@router.get("/about/trending", response_class=HTMLResponse, summary="How trending works")
def about_trending(request: Request) -> HTMLResponse:
    settings = _settings(request)
    context = {
        "tab": None,
        "around": None,
        "half_life_hours": settings.trending_half_life_hours,
        "window_days": settings.trending_window_days,
    }
    return _render(request, "about_trending.html", context)


@router.get("/papers/{arxiv_id:path}", response_class=HTMLResponse, summary="A paper")
def paper_page(request: Request, arxiv_id: Annotated[str, Path(max_length=64)]) -> HTMLResponse:
    paper = paper_store.get_paper(_db(request), arxiv_id) if is_arxiv_id(arxiv_id) else None
    if paper is None:
        raise HTTPException(404, f"No paper with the id {arxiv_id[:64]!r} is known here.")
    context = {"tab": None, "paper": paper, "around": paper.listing_day}
    return _render(request, "paper.html", context)


@router.get("/healthz", include_in_schema=False)
def health(request: Request) -> JSONResponse:
    """Liveness and database reachability for load balancers."""
    return JSONResponse({"status": "ok", "papers": paper_store.count_papers(_db(request))})


def _period(kind: PeriodKind, label: str) -> Period:
    try:
        return parse_period(kind, label)
    except InvalidPeriod as error:
        raise HTTPException(404, f"{error}. Use YYYY-MM-DD, YYYY-Www or YYYY-MM.") from None


def _period_page(
    request: Request, period: Period, page: int, canonical: str | None = None
) -> HTMLResponse:
    found = listings.period_list(_db(request), period, page, _settings(request).page_size)
    _check_page_exists(found.page)
    context = {
        "tab": period.kind,
        "listing": found,
        "around": period.start,
        "canonical": canonical or period_url(period.kind, period.start),
    }
    return _render(request, "period.html", context)


def _check_page_exists(page: listings.PageOf) -> None:
    if page.number > page.count:
        raise HTTPException(404, f"There is no page {page.number}: this list has {page.count}.")
