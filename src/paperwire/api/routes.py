"""GET /api/...: daily papers, one paper, papers by date, search; Hugging Face compatible."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from paperwire.api.http import RateLimit, error_responses, json_bytes
from paperwire.api.shapes import NO_STATS, daily_item, paper_object, search_items
from paperwire.config import Settings
from paperwire.papers import Paper
from paperwire.ranking import listings
from paperwire.ranking.calendar import (
    DAY_PATTERN,
    MONTH_PATTERN,
    WEEK_PATTERN,
    InvalidPeriod,
    NoSuchPeriod,
    Period,
    PeriodKind,
    newest_listing_day,
    parse_period,
    period_of,
)
from paperwire.search.engine import MAX_SIMILAR, SearchMode
from paperwire.search.keyword import MAX_QUERY_CHARS, InvalidQuery
from paperwire.storage import Database
from paperwire.storage import papers as paper_store
from paperwire.storage import trending as trending_store
from paperwire.storage import votes as vote_store
from paperwire.storage.code import NO_CODE, PaperCode, code_for
from paperwire.storage.code_trending import code_trending_page, papers_with_code_between
from paperwire.storage.embeddings import embeddings_seq
from paperwire.storage.votes import PaperStats
from paperwire.web.http_cache import cached_body, conditional_response
from paperwire.web.views import (
    CATEGORY_RE,
    IsoDay,
    base_url,
    canonical_id,
    database,
    read_only,
    search_filter,
    search_limit,
    searcher,
)

MAX_API_PAGE = 10_000


def _rate_limit(request: Request) -> None:
    limit: RateLimit = request.app.state.api_rate_limit
    limit.check(request)


_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag or Last-Modified the client sent is current"}
}
router = APIRouter(
    prefix="/api",
    tags=["papers"],
    dependencies=[Depends(_rate_limit)],
    responses=_NOT_MODIFIED | error_responses(422, 429),
)
Limit = Annotated[int, Query(ge=1, le=100, description="Results per page (1-100)")]


def _respond(request: Request, build: Callable[[], Any], *key: Hashable) -> Response:
    """Answer with the JSON of build(), kept in the page cache until papers (or key) change."""
    body, change = cached_body(request, lambda: json_bytes(build()), *key)
    return conditional_response(request, body, "application/json", change.changed_at)


@router.get(
    "/daily_papers",
    summary="Papers of a day, week or month (Hugging Face compatible)",
    responses=error_responses(404),
)
@read_only
def daily_papers(
    request: Request,
    p: Annotated[int, Query(ge=0, le=MAX_API_PAGE, description="Page, from 0")] = 0,
    limit: Limit = 50,
    date: Annotated[str | None, Query(pattern=DAY_PATTERN, description="YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(pattern=WEEK_PATTERN, description="YYYY-Www")] = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
    submitter: Annotated[str | None, Query(max_length=100)] = None,
    sort: Literal["publishedAt", "trending"] | None = None,
    code: Annotated[bool, Query(description="true: only papers with a code link")] = False,
) -> Response:
    """Most upvoted first; `sort=publishedAt` newest first; `sort=trending` by the trending
    score at the period's end (papers without upvotes are not trending and are left out);
    `code=true` keeps only the papers that link to their code.
    Without date, week or month: the latest listing day; with several, the days they share.
    A date, week or month of the right form that does not exist, or lies outside 1991-2200,
    is a 404."""
    db = database(request)
    period = _requested_period(db, date, week, month)
    if period is None or submitter is not None:  # nobody has submitted papers here yet
        return _respond(request, list)

    def build() -> list[dict[str, Any]]:
        assert period is not None
        if sort == "trending":
            papers = _trending_in(db, period, request.app.state.settings, p, limit, code)
        else:
            listed_between = papers_with_code_between if code else paper_store.papers_listed_between
            papers, _total = listed_between(
                db,
                period.start,
                period.end,
                limit=limit,
                offset=p * limit,
                newest_first=sort == "publishedAt",
            )
        return _daily_items(db, papers)

    return _respond(request, build)


def _daily_items(db: Database, papers: list[Paper]) -> list[dict[str, Any]]:
    stats, code = _stats(db, papers), _code(db, papers)
    return [
        daily_item(paper, stats.get(paper.arxiv_id, NO_STATS), code.get(paper.arxiv_id, NO_CODE))
        for paper in papers
    ]


def _requested_period(
    db: Database, day: str | None, week: str | None, month: str | None
) -> Period | None:
    asked: tuple[tuple[PeriodKind, str | None], ...] = (
        ("day", day),
        ("week", week),
        ("month", month),
    )
    given = [_period(kind, label) for kind, label in asked if label]
    if given:
        # Several narrow each other: date=2024-04-08&month=2024-04 is that day.
        start, end = max(p.start for p in given), min(p.end for p in given)
        return Period(given[0].kind, start, end) if start <= end else None
    latest = listings.latest_day(db)
    return period_of("day", latest) if latest else None


def _period(kind: PeriodKind, label: str) -> Period:
    try:
        return parse_period(kind, label)
    except NoSuchPeriod as error:
        raise HTTPException(404, str(error)) from None
    except InvalidPeriod as error:
        raise HTTPException(422, str(error)) from None


def _trending_in(
    db: Database, period: Period, settings: Settings, page: int, limit: int, with_code: bool
) -> list[Paper]:
    now = datetime.now(UTC)
    shown, _total = trending_store.trending_page(
        db,
        period.start,
        period.end,
        anchor=min(period.end, newest_listing_day(now)),
        now=now,
        half_life_hours=settings.trending_half_life_hours,
        limit=limit,
        offset=page * limit,
        with_code=with_code,
    )
    return paper_store.papers_by_ids(db, [entry.arxiv_id for entry in shown])


@router.get("/papers/trending/code", summary="Papers whose code gained stars recently")
@read_only
def code_trending(
    request: Request,
    p: Annotated[int, Query(ge=0, le=MAX_API_PAGE, description="Page, from 0")] = 0,
    limit: Limit = 50,
) -> Response:
    """Papers of any age ranked by the stars their GitHub repository gained recently, each
    day's gain halved every half-life (docs/ranking.md): the items of /api/daily_papers with
    `trendScore` (the score now) and `githubStarsThisWeek`. A page past the end is `[]`."""
    db = database(request)
    half_life = request.app.state.settings.trending_half_life_hours

    def build() -> list[dict[str, Any]]:
        shown, _total = code_trending_page(
            db, now=datetime.now(UTC), half_life_hours=half_life, limit=limit, offset=p * limit
        )
        papers = paper_store.papers_by_ids(db, [entry.arxiv_id for entry in shown])
        items = {item["paper"]["id"]: item for item in _daily_items(db, papers)}
        return [
            items[e.arxiv_id]
            | {"trendScore": round(e.score, 4), "githubStarsThisWeek": e.stars_gained_week}
            for e in shown
            if e.arxiv_id in items
        ]

    hour = datetime.now(UTC).strftime("%Y-%m-%dT%H")  # the scores decay as time passes
    return _respond(request, build, hour)


@router.get(
    "/papers/search",
    summary="Search papers (Hugging Face compatible)",
    responses=error_responses(404),
)
@read_only
def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description='Words, "phrases", prefix*; without any word: no results',
        ),
    ],
    limit: Limit = 50,
    p: Annotated[int, Query(ge=0, le=MAX_API_PAGE, description="Page, from 0")] = 0,
    mode: Annotated[SearchMode, Query(description="hybrid, keyword or semantic")] = (
        SearchMode.HYBRID
    ),
    first: Annotated[IsoDay | None, Query(alias="from", description="Listed on or after")] = None,
    last: Annotated[IsoDay | None, Query(alias="to", description="Listed on or before")] = None,
    category: Annotated[
        str | None, Query(pattern=f"^$|^{CATEGORY_RE.pattern}$", description="e.g. cs.CL")
    ] = None,
) -> Response:
    """Hybrid (words and meaning) by default; the Hugging Face client's `q` and `limit` work.
    Results stop at the 1,000th: a page past them is a 404."""
    where = search_filter(first, last, category or None, status=422)
    found = searcher(request)
    shown = search_limit(p * limit, limit)

    def build() -> list[dict[str, Any]]:
        try:
            hits = found.search(q, mode=mode, where=where, limit=shown, offset=p * limit)
        except InvalidQuery:
            hits = []  # a query without words matches nothing
        db, papers = database(request), [hit.paper for hit in hits]
        return search_items(hits, _stats(db, papers), _code(db, papers))

    return _respond(request, build, embeddings_seq(database(request)))


@router.get(
    "/papers/{arxiv_id:path}/similar",
    summary="Papers similar in meaning to one paper",
    responses=error_responses(404),
)
@read_only
def similar(
    request: Request,
    arxiv_id: Annotated[str, Path(max_length=64)],
    limit: Annotated[int, Query(ge=1, le=MAX_SIMILAR)] = 10,
) -> Response:
    """The papers closest in meaning, best first, each with its cosine `similarity`. The id
    may carry a version or an `arXiv:` prefix, as for one paper."""
    db = database(request)
    key = canonical_id(arxiv_id)
    if key is None or paper_store.paper_key(db, key) is None:
        raise HTTPException(404, f"no paper with the id {arxiv_id[:64]!r}")

    def build() -> list[dict[str, Any]]:
        found = searcher(request).similar(key, limit=limit)
        shown = [item.paper for item in found]
        stats, code = _stats(db, shown), _code(db, shown)
        return [
            paper_object(
                item.paper,
                stats.get(item.paper.arxiv_id, NO_STATS),
                code.get(item.paper.arxiv_id, NO_CODE),
            )
            | {"similarity": round(item.similarity, 4)}
            for item in found
        ]

    return _respond(request, build, embeddings_seq(db))


@router.get(
    "/papers",
    summary="All papers by listing day, newest first, with cursor paging",
    responses=error_responses(404),
)
@read_only
def papers_by_date(
    request: Request,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_\-]+=*$",
            description="From the `Link` header or `nextCursor` of the previous page",
        ),
    ] = None,
    limit: Limit = 50,
) -> Response:
    """Follow the `Link: <…>; rel="next"` header (or `nextCursor`) to the next page."""
    db = database(request)
    papers = paper_store.papers_before(db, _decode_cursor(cursor), limit)

    def build() -> list[dict[str, Any]]:
        stats, code = _stats(db, papers), _code(db, papers)
        return [
            paper_object(
                paper, stats.get(paper.arxiv_id, NO_STATS), code.get(paper.arxiv_id, NO_CODE)
            )
            for paper in papers
        ]

    response = _respond(request, build)
    if len(papers) == limit and papers[-1].listing_day is not None:
        following = _encode_cursor(papers[-1].listing_day, papers[-1].arxiv_id)
        query = request.url.include_query_params(cursor=following).query
        response.headers["Link"] = f'<{base_url(request)}{request.url.path}?{query}>; rel="next"'
    return response


def _encode_cursor(day: date, arxiv_id: str) -> str:
    return base64.urlsafe_b64encode(f"{day.isoformat()}|{arxiv_id}".encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[date, str] | None:
    if not cursor:
        return None
    try:
        day, arxiv_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return date.fromisoformat(day), arxiv_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        # Of the right form but not one this API gave: no page is there.
        raise HTTPException(404, "no such cursor: use the one from the previous page") from None


@router.get(
    "/papers/{arxiv_id:path}",
    summary="One paper (Hugging Face compatible)",
    responses=error_responses(404),
)
@read_only
def paper(request: Request, arxiv_id: Annotated[str, Path(max_length=64)]) -> Response:
    """The id as papers are keyed (2404.02258), or with a version (2404.02258v2), an `arXiv:`
    prefix or as an arXiv abs URL: each answers with the paper itself."""
    key = canonical_id(arxiv_id)
    found = paper_store.get_paper(database(request), key) if key else None
    if found is None:
        raise HTTPException(404, f"no paper with the id {arxiv_id[:64]!r}")
    stats, code = _stats(database(request), [found]), _code(database(request), [found])
    return _respond(
        request,
        lambda: paper_object(
            found, stats.get(found.arxiv_id, NO_STATS), code.get(found.arxiv_id, NO_CODE)
        ),
    )


def _stats(db: Database, papers: list[Paper]) -> dict[str, PaperStats]:
    """Votes cast here and visible comments of the papers that have any."""
    return vote_store.stats_for(db, [paper.arxiv_id for paper in papers])


def _code(db: Database, papers: list[Paper]) -> dict[str, PaperCode]:
    """The code links and stars of the papers that have any: one query."""
    return code_for(db, [paper.arxiv_id for paper in papers])
