"""RSS and Atom feeds of the lists: each route answers at PATH.rss and PATH.atom."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Annotated, cast

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from paperwire.feeds import CONTENT_TYPES, FEED_FORMATS, Channel, FeedFormat, build_feed
from paperwire.ingest.subjects import SUBJECT_CATEGORIES
from paperwire.papers import Paper, category_codes
from paperwire.ranking import listings
from paperwire.ranking.calendar import (
    Period,
    newest_listing_day,
    period_of,
)
from paperwire.search.engine import SearchMode
from paperwire.search.keyword import MAX_QUERY_CHARS, InvalidQuery
from paperwire.storage.categories import papers_in_category
from paperwire.storage.code import code_for
from paperwire.web import auth, views
from paperwire.web.http_cache import cached_body, conditional_response
from paperwire.web.rendering import period_url
from paperwire.web.views import PageNumber

router = APIRouter(responses=views.PAGE_ERRORS)
CategoryCode = Annotated[str, Path(description="arXiv category, e.g. cs.AI")]
MAX_CATEGORY_CHARS = 32  # the longest arXiv code, cond-mat.stat-mech, has 18
_ARXIV_CATEGORIES = frozenset(SUBJECT_CATEGORIES.values())
_View = Callable[..., Response]


def _feed_route(path: str, summary: str) -> Callable[[_View], _View]:
    """Serve a view at path.rss and path.atom (GET only); the view reads which from the URL."""

    def register(view: _View) -> _View:
        for feed_format in FEED_FORMATS:
            router.add_api_route(
                f"{path}.{feed_format}",
                view,
                methods=["GET"],
                summary=f"{summary} ({feed_format.upper()})",
                response_class=Response,
                name=f"{view.__name__}_{feed_format}",
            )
        return view

    return register


@_feed_route("/feeds/daily", "The latest day that has papers")
def daily_feed(request: Request, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _daily_feed(request, page))


def _daily_feed(request: Request, page: int) -> bytes:
    latest = listings.latest_day(views.database(request))
    if latest is None:
        return _build(request, "paperwire: daily", "No papers have been listed yet.", "/", [])
    found = views.period_page(request, period_of("day", latest), page)
    title = found.period.title
    about = f"The papers of the latest listing day, {title}, most upvoted first."
    return _build(request, "paperwire: daily", about, "/", found.papers)


@_feed_route("/papers/date/{label}", "One listing day")
def day_feed(request: Request, label: views.DayLabel, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_feed(request, views.period_from("day", label), page))


@_feed_route("/papers/week/{label}", "One ISO week")
def week_feed(request: Request, label: views.WeekLabel, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_feed(request, views.period_from("week", label), page))


@_feed_route("/papers/month/{label}", "One month")
def month_feed(request: Request, label: views.MonthLabel, page: PageNumber = 1) -> Response:
    return _cached(request, lambda: _period_feed(request, views.period_from("month", label), page))


def _period_feed(request: Request, period: Period, page: int) -> bytes:
    found = views.period_page(request, period, page)
    within = "on" if period.kind == "day" else "in"
    about = f"Papers listed {within} {period.title}, most upvoted first."
    page_path = period_url(period.kind, period.start)
    return _build(request, f"paperwire: {period.title}", about, page_path, found.papers)


@_feed_route("/papers/trending", "Trending papers")
def trending_feed(request: Request, page: PageNumber = 1) -> Response:
    today = newest_listing_day(datetime.now(UTC))
    return _cached(request, lambda: _trending_feed(request, page, today), today)


def _trending_feed(request: Request, page: int, today: date) -> bytes:
    settings = views.settings(request)
    trending = views.trending_page(request, page, today)
    about = (
        f"Upvoted papers of the last {trending.window_days} listing days; each upvote counts "
        f"half as much every {settings.trending_half_life_hours:g} hours."
    )
    papers = [paper for paper, _ in trending.entries]
    return _build(request, "paperwire: trending", about, "/papers/trending", papers)


@_feed_route("/papers/trending/code", "Papers whose code gained stars recently")
def code_trending_feed(request: Request, page: PageNumber = 1) -> Response:
    hour = datetime.now(UTC).strftime("%Y-%m-%dT%H")  # the scores decay as time passes
    return _cached(request, lambda: _code_trending_feed(request, page), hour)


def _code_trending_feed(request: Request, page: int) -> bytes:
    settings = views.settings(request)
    trending = views.code_trending_page(request, page)
    about = (
        "Papers of any age whose GitHub repository gained stars recently; each day's new "
        f"stars count half as much every {settings.trending_half_life_hours:g} hours."
    )
    papers = [paper for paper, _ in trending.entries]
    return _build(request, "paperwire: trending by code", about, "/papers/trending/code", papers)


@_feed_route("/feeds/category/{category}", "The latest papers of one arXiv category")
def category_feed(request: Request, category: CategoryCode) -> Response:
    if len(category) > MAX_CATEGORY_CHARS or category_codes([category]) != (category,):
        raise HTTPException(404, f"{category[:32]!r} is not an arXiv category code.")
    return _cached(request, lambda: _category_feed(request, category))


def _category_feed(request: Request, category: str) -> bytes:
    papers = papers_in_category(
        views.database(request), category, views.settings(request).page_size
    )
    if not papers and category not in _ARXIV_CATEGORIES:
        raise HTTPException(404, f"No paper here is filed under {category!r}.")
    about = f"The most recently listed papers filed under {category}."
    return _build(request, f"paperwire: {category}", about, "/", papers)


@_feed_route("/feeds/search", "Papers matching a keyword search")
def search_feed(
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Words to search for",
        ),
    ],
) -> Response:
    auth.check_limit(request, "search")
    try:
        hits = views.searcher(request).search(
            q, mode=SearchMode.KEYWORD, limit=views.settings(request).page_size
        )
    except InvalidQuery:
        hits = []  # a query without words matches nothing
    about = f"The papers that best match the search {q!r}."
    papers = [hit.paper for hit in hits]
    body = _build(request, f"paperwire: search “{q}”", about, "/", papers)
    return _feed_response(request, body, None)


def _build(
    request: Request, title: str, description: str, page_path: str, papers: list[Paper]
) -> bytes:
    query = f"?{request.url.query}" if request.url.query else ""
    channel = Channel(
        title, description, views.base_url(request), page_path, request.url.path + query
    )
    code = code_for(views.database(request), [paper.arxiv_id for paper in papers])
    return build_feed(channel, papers, _format(request), code)


def _cached(request: Request, build: Callable[[], bytes], *key: Hashable) -> Response:
    """Serve a feed from the page cache while no paper changed since it was built."""
    body, change = cached_body(request, build, *key)
    return _feed_response(request, body, change.changed_at)


def _feed_response(request: Request, body: bytes, changed_at: datetime | None) -> Response:
    """The feed with its content type, or 304 when the reader already holds this version."""
    return conditional_response(request, body, CONTENT_TYPES[_format(request)], changed_at)


def _format(request: Request) -> FeedFormat:
    # Routes exist only for the .rss and .atom suffixes (see _feed_route).
    return cast(FeedFormat, request.url.path.rsplit(".", 1)[-1])
