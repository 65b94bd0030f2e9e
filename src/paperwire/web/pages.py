"""HTML pages: daily, weekly and monthly lists, trending, and the paper page."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from paperwire.digest.tokens import form_token_epoch
from paperwire.ranking import listings
from paperwire.ranking.calendar import (
    Period,
    newest_listing_day,
    period_of,
)
from paperwire.search.engine import SearchMode
from paperwire.search.keyword import MAX_QUERY_CHARS, InvalidQuery, SearchHit
from paperwire.storage import papers as paper_store
from paperwire.web import views
from paperwire.web.http_cache import cached_body
from paperwire.web.rendering import Renderer, period_url
from paperwire.web.views import PageNumber

router = APIRouter()
SIMILAR_ON_PAGE = 8


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, name, context)


def _cached(request: Request, build: Callable[[], HTMLResponse], *key: Hashable) -> Response:
    """Serve a list page from the page cache while no paper changed since it was built.

    Pages carry the subscribe form's signed token, so each is rebuilt once a day as well.
    """
    epoch = form_token_epoch()
    body, _change = cached_body(request, lambda: bytes(build().body), *key, epoch)
    return HTMLResponse(body)


@router.get("/", response_class=HTMLResponse, summary="The latest day that has papers")
def front_page(request: Request, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _front_page(request, page))


def _front_page(request: Request, page: int) -> HTMLResponse:
    latest = listings.latest_day(views.database(request))
    if latest is None:
        return _render(request, "empty.html", {"tab": "day"})
    return _period_page(request, period_of("day", latest), page, canonical=f"/papers/date/{latest}")


@router.get("/papers/date/{label}", response_class=HTMLResponse, summary="One listing day")
def day_page(request: Request, label: str, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_page(request, views.period_from("day", label), page))


@router.get("/papers/week/{label}", response_class=HTMLResponse, summary="One ISO week")
def week_page(request: Request, label: str, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_page(request, views.period_from("week", label), page))


@router.get("/papers/month/{label}", response_class=HTMLResponse, summary="One month")
def month_page(request: Request, label: str, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_page(request, views.period_from("month", label), page))


@router.get("/papers/trending", response_class=HTMLResponse, summary="Trending papers")
def trending_page(request: Request, page: PageNumber = 1) -> Response:
    today = newest_listing_day(datetime.now(UTC))
    return _cached(request, lambda: _trending_page(request, page, today), today)


def _trending_page(request: Request, page: int, today: date) -> HTMLResponse:
    trending = views.trending_page(request, page, today)
    context = {
        "tab": "trending",
        "trending": trending,
        "half_life_hours": views.settings(request).trending_half_life_hours,
        "around": trending.anchor,
    }
    return _render(request, "trending.html", context)


@router.get("/search", response_class=HTMLResponse, summary="Search papers")
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    page: PageNumber = 1,
    mode: SearchMode = SearchMode.HYBRID,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """Search by words and meaning (hybrid), words only, or meaning only; filters narrow it."""
    size = views.settings(request).page_size
    where = views.search_filter(first, last, category or None)
    hits: list[SearchHit] = []
    if q.strip():
        try:
            # One extra hit tells whether a next page exists.
            hits = views.searcher(request).search(
                q, mode=mode, where=where, limit=size + 1, offset=(page - 1) * size
            )
        except InvalidQuery as error:
            raise HTTPException(400, f"Cannot search for that: {error}.") from None
    context = {
        "tab": None,
        "around": None,
        "query": q,
        "mode": mode.value,
        "modes": [m.value for m in SearchMode],
        "filters": {"from": first, "to": last, "category": category or ""},
        "hits": hits[:size],
        "more": len(hits) > size,
        "page": page,
        "offset": (page - 1) * size,
    }
    return _render(request, "search.html", context)


@router.get("/about/trending", response_class=HTMLResponse, summary="How trending works")
def about_trending(request: Request) -> HTMLResponse:
    settings = views.settings(request)
    context = {
        "tab": None,
        "around": None,
        "half_life_hours": settings.trending_half_life_hours,
        "window_days": settings.trending_window_days,
    }
    return _render(request, "about_trending.html", context)


@router.get("/papers/{arxiv_id:path}", response_class=HTMLResponse, summary="A paper")
def paper_page(request: Request, arxiv_id: Annotated[str, Path(max_length=64)]) -> HTMLResponse:
    paper = views.paper_or_404(request, arxiv_id)
    similar = views.searcher(request).similar(paper.arxiv_id, limit=SIMILAR_ON_PAGE)
    context = {"tab": None, "paper": paper, "around": paper.listing_day, "similar": similar}
    return _render(request, "paper.html", context)


@router.get("/healthz", include_in_schema=False)
def health(request: Request) -> JSONResponse:
    """Liveness and database reachability for load balancers."""
    return JSONResponse(
        {"status": "ok", "papers": paper_store.count_papers(views.database(request))}
    )


def _period_page(
    request: Request, period: Period, page: int, canonical: str | None = None
) -> HTMLResponse:
    found = views.period_page(request, period, page)
    context = {
        "tab": period.kind,
        "listing": found,
        "around": period.start,
        "canonical": canonical or period_url(period.kind, period.start),
    }
    return _render(request, "period.html", context)
