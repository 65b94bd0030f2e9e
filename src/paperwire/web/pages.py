"""HTML pages: daily, weekly and monthly lists, trending by upvotes and by code, and the
paper page."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from paperwire.community import comments as comment_service
from paperwire.community.history import HISTORY_DAYS, history_points, svg_chart
from paperwire.digest.tokens import form_token_epoch
from paperwire.papers import KEYED_ID_PATTERN, Paper
from paperwire.ranking import listings
from paperwire.ranking.calendar import (
    Period,
    newest_listing_day,
    period_of,
)
from paperwire.ranking.code_trending import TREND_WINDOW_DAYS
from paperwire.ranking.listings import PageOf
from paperwire.recommend.feed import period_feed
from paperwire.search.engine import SearchMode
from paperwire.search.keyword import MAX_QUERY_CHARS, InvalidQuery
from paperwire.storage import follows as follow_store
from paperwire.storage import papers as paper_store
from paperwire.storage import votes as vote_store
from paperwire.storage.counters import LIBRARY_COUNTER, counter_value
from paperwire.storage.search import PaperFilter
from paperwire.storage.users import User
from paperwire.web import auth, views
from paperwire.web.community_view import community_view
from paperwire.web.http_cache import cached_body
from paperwire.web.rendering import Renderer, period_url
from paperwire.web.views import PageNumber, WithCode

router = APIRouter(responses=views.PAGE_ERRORS)
# The paper page by its keyed id, which the app tries before all other routes: the most
# requested page skipped past about 90 routes, a tenth of its CPU time at 1M papers
# (docs/performance.md). Other forms of an id reach the same view by the catch-all.
paper_first = APIRouter(responses=views.PAGE_ERRORS)
SIMILAR_ON_PAGE = 8
CATEGORY = {"pattern": f"^$|^{views.CATEGORY_RE.pattern}$"}


class _KeyedArxivId(Convertor[str]):
    regex = KEYED_ID_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("keyed_arxiv_id", _KeyedArxivId())


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, name, context)


def _cached(request: Request, build: Callable[[], HTMLResponse], *key: Hashable) -> Response:
    """Serve a list page from the page cache while no paper, vote or comment changed since
    it was built. A logged-in viewer's pages (their votes, their CSRF token) are their own,
    and pages carry the subscribe form's signed token, so each is rebuilt once a day too."""
    session = auth.current_session(request)
    viewer = session.nonce if session is not None and auth.current_user(request) else None
    # A logged-in viewer's pages also show which papers they saved or set aside.
    library = counter_value(views.database(request), LIBRARY_COUNTER) if viewer else None
    epoch = form_token_epoch()
    body, _change = cached_body(request, lambda: bytes(build().body), *key, viewer, library, epoch)
    return HTMLResponse(body)


def _hour(sort: str = "trending") -> str | None:
    """For pages ranked by the trending score: the current hour, so that a cached page is
    rebuilt at least hourly as votes age and leave the last 24 hours."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H") if sort == "trending" else None


@router.get("/", response_class=HTMLResponse, summary="The latest day that has papers")
@views.read_only
def front_page(request: Request, page: PageNumber = 1, code: WithCode = False) -> Response:
    return _cached(request, lambda: _front_page(request, page, code))


def _front_page(request: Request, page: int, with_code: bool) -> HTMLResponse:
    latest = listings.latest_day(views.database(request))
    if latest is None:
        return _render(request, "empty.html", {"tab": "day"})
    period = period_of("day", latest)
    return _period_page(
        request, period, page, canonical=f"/papers/date/{latest}", with_code=with_code
    )


Sort = Annotated[
    Literal["upvotes", "trending", "for-you"],
    Query(
        description="upvotes: most upvoted first; trending: by the trending score; for-you: "
        "ranked for the logged-in reader (docs/library.md), the code filter left aside"
    ),
]


@router.get("/papers/date/{label}", response_class=HTMLResponse, summary="One listing day")
@views.read_only
def day_page(
    request: Request,
    label: views.DayLabel,
    page: PageNumber = 1,
    sort: Sort = "upvotes",
    code: WithCode = False,
) -> Response:
    period = views.period_from("day", label)
    return _cached(
        request, lambda: _period_page(request, period, page, sort=sort, with_code=code), _hour(sort)
    )


@router.get("/papers/week/{label}", response_class=HTMLResponse, summary="One ISO week")
@views.read_only
def week_page(
    request: Request,
    label: views.WeekLabel,
    page: PageNumber = 1,
    sort: Sort = "upvotes",
    code: WithCode = False,
) -> Response:
    period = views.period_from("week", label)
    return _cached(
        request, lambda: _period_page(request, period, page, sort=sort, with_code=code), _hour(sort)
    )


@router.get("/papers/month/{label}", response_class=HTMLResponse, summary="One month")
@views.read_only
def month_page(
    request: Request,
    label: views.MonthLabel,
    page: PageNumber = 1,
    sort: Sort = "upvotes",
    code: WithCode = False,
) -> Response:
    period = views.period_from("month", label)
    return _cached(
        request, lambda: _period_page(request, period, page, sort=sort, with_code=code), _hour(sort)
    )


@router.get("/papers/trending", response_class=HTMLResponse, summary="Trending papers")
@views.read_only
def trending_page(request: Request, page: PageNumber = 1, code: WithCode = False) -> Response:
    today = newest_listing_day(datetime.now(UTC))
    return _cached(request, lambda: _trending_page(request, page, today, code), today, _hour())


def _trending_page(request: Request, page: int, today: date, with_code: bool) -> HTMLResponse:
    trending = views.trending_page(request, page, today, with_code=with_code)
    context = {
        "tab": "trending",
        "trending": trending,
        "community": community_view(request, [paper for paper, _ in trending.entries]),
        "half_life_hours": views.settings(request).trending_half_life_hours,
        "around": trending.anchor,
        "with_code": with_code,
    }
    return _render(request, "trending.html", context)


@router.get(
    "/papers/trending/code",
    response_class=HTMLResponse,
    summary="Papers whose code gained stars recently",
)
@views.read_only
def code_trending_page(request: Request, page: PageNumber = 1) -> Response:
    """Papers of any age ranked by the stars their GitHub repositories gained recently, each
    day's gain halved every half-life (docs/ranking.md). Declared before /papers/{id}."""
    return _cached(request, lambda: _code_trending_page(request, page), _hour())


def _code_trending_page(request: Request, page: int) -> HTMLResponse:
    trending = views.code_trending_page(request, page)
    context = {
        "tab": "trending",
        "trending": trending,
        "community": community_view(request, [paper for paper, _ in trending.entries]),
        "half_life_hours": views.settings(request).trending_half_life_hours,
        "around": None,
    }
    return _render(request, "trending_code.html", context)


@router.get("/search", response_class=HTMLResponse, summary="Search papers")
@views.read_only
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    page: PageNumber = 1,
    mode: SearchMode = SearchMode.HYBRID,
    first: Annotated[views.DayText | None, Query(alias="from", max_length=40)] = None,
    last: Annotated[views.DayText | None, Query(alias="to", max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=40, json_schema_extra=CATEGORY)] = None,
) -> HTMLResponse:
    """Search by words and meaning (hybrid), words only, or meaning only; filters narrow it.
    An impossible filter is shown above the form (400), which keeps what was typed; a query
    without words finds nothing, and says so."""
    filters = {"from": first or "", "to": last or "", "category": category or ""}
    context: dict[str, Any] = {
        "tab": None,
        "around": None,
        "query": q,
        "mode": mode.value,
        "modes": [m.value for m in SearchMode],
        "filters": filters,
        "hits": [],
        "page": page,
    }
    try:
        where = views.search_filter(
            views.day_or_400(first, "from"), views.day_or_400(last, "to"), category or None
        )
    except HTTPException as error:
        return _search_page(request, context | {"problem": str(error.detail)}, 400)
    if q.strip():
        auth.check_limit(request, "search")
        context |= _search_hits(request, q, mode, where, page)
    return _search_page(request, context, 200)


def _search_hits(
    request: Request, q: str, mode: SearchMode, where: PaperFilter, page: int
) -> dict[str, Any]:
    size = views.settings(request).page_size
    offset = (page - 1) * size
    try:
        # One extra hit tells whether a next page exists.
        hits = views.searcher(request).search(
            q, mode=mode, where=where, limit=views.search_limit(offset, size + 1), offset=offset
        )
    except InvalidQuery as error:
        return {"problem": f"Cannot search for that: {error}."}
    return {
        "hits": hits[:size],
        "community": community_view(request, [hit.paper for hit in hits[:size]]),
        "more": len(hits) > size,
        "offset": offset,
    }


def _search_page(request: Request, context: dict[str, Any], status: int) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, "search.html", context, status_code=status)


@router.get("/about/trending", response_class=HTMLResponse, summary="How trending works")
def about_trending(request: Request) -> HTMLResponse:
    settings = views.settings(request)
    context = {
        "tab": None,
        "around": None,
        "half_life_hours": settings.trending_half_life_hours,
        "window_days": settings.trending_window_days,
        "code_window_days": TREND_WINDOW_DAYS,
    }
    return _render(request, "about_trending.html", context)


@paper_first.get(
    "/papers/{arxiv_id:keyed_arxiv_id}", response_class=HTMLResponse, include_in_schema=False
)
@router.get(
    "/papers/{arxiv_id:path}",
    response_class=HTMLResponse,
    summary="A paper",
    responses={
        308: {
            "description": "Another form of the id (2404.02258v2, arXiv:2404.02258, "
            "an arXiv URL): to the paper's page"
        }
    },
)
@views.read_only
def paper_page(request: Request, arxiv_id: Annotated[str, Path(max_length=64)]) -> Response:
    redirect = views.redirect_to_canonical(arxiv_id)
    if redirect is not None:
        return redirect
    paper = views.paper_or_404(request, arxiv_id)
    community = community_view(request, [paper])
    similar = views.searcher(request).similar_links(paper.arxiv_id, limit=SIMILAR_ON_PAGE)
    context = {
        "tab": None,
        "paper": paper,
        "around": paper.listing_day,
        "similar": similar,
        "community": community,
        "comments": comment_service.comments_for(
            views.database(request), paper.arxiv_id, community.viewer
        ),
        "history": _history_svg(request, paper, community.upvotes(paper)),
        "csrf": auth.csrf_token(request),
        "followed": _followed(request, community.viewer),
    }
    return _render(request, "paper.html", context)


def _followed(request: Request, viewer: User | None) -> set[tuple[str, str]]:
    """The viewer's follows as (kind, folded name), for the paper page's follow buttons."""
    if viewer is None:
        return set()
    found = follow_store.follows_of(views.database(request), viewer.id)
    return {(f.kind, follow_store.follow_key(f.value)) for f in found}


def _history_svg(request: Request, paper: Paper, total: int) -> str:
    """The last 30 days of the paper's upvotes as inline SVG (server-rendered, no script)."""
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=HISTORY_DAYS - 1), time(0), UTC)
    changes = vote_store.daily_changes(views.database(request), paper.arxiv_id, since)
    baseline = total - sum(changes.values())
    return svg_chart(history_points(baseline, changes, today))


@router.get("/healthz", include_in_schema=False)
def health(request: Request) -> JSONResponse:
    """Liveness and database reachability for load balancers."""
    return JSONResponse(
        {"status": "ok", "papers": paper_store.count_papers(views.database(request))}
    )


def _period_page(
    request: Request,
    period: Period,
    page: int,
    canonical: str | None = None,
    sort: str = "upvotes",
    with_code: bool = False,
) -> HTMLResponse:
    if sort == "trending":
        return _period_trending_page(request, period, page, with_code)
    if sort == "for-you":
        return _period_for_you_page(request, period, page)
    found = views.period_page(request, period, page, with_code=with_code)
    context = {
        "tab": period.kind,
        "listing": found,
        "around": period.start,
        "canonical": canonical or period_url(period.kind, period.start),
        "community": community_view(request, found.papers),
        "sort": "upvotes",
        "with_code": with_code,
    }
    return _render(request, "period.html", context)


def _period_trending_page(
    request: Request, period: Period, page: int, with_code: bool
) -> HTMLResponse:
    found = views.period_trending_page(request, period, page, with_code=with_code)
    context = {
        "tab": period.kind,
        "period": period,
        "trending": found,
        "around": period.start,
        "canonical": period_url(period.kind, period.start),
        "community": community_view(request, [paper for paper, _ in found.entries]),
        "half_life_hours": views.settings(request).trending_half_life_hours,
        "sort": "trending",
        "with_code": with_code,
    }
    return _render(request, "period_trending.html", context)


def _period_for_you_page(request: Request, period: Period, page: int) -> HTMLResponse:
    """The period's papers ranked for the viewer, each with why (a log-in first)."""
    user = auth.require_user(request)
    size = views.settings(request).page_size
    pools = request.app.state.feed_pools
    feed = period_feed(
        views.database(request),
        views.searcher(request),
        pools,
        user.id,
        (period.start, period.end),
        limit=size,
        offset=(page - 1) * size,
    )
    context = {
        "tab": period.kind,
        "period": period,
        "feed": feed,
        "page": PageOf(page, size, feed.total),
        "around": period.start,
        "canonical": period_url(period.kind, period.start),
        "community": community_view(request, [entry.paper for entry in feed.entries]),
    }
    return _render(request, "period_for_you.html", context)
