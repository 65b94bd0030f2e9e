"""What every view reads from a request: database, settings, base URL, a period, a list page."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BeforeValidator, WithJsonSchema

from paperwire.papers import InvalidArxivId, Paper, is_arxiv_id, parse_arxiv_id
from paperwire.ranking import listings
from paperwire.ranking.calendar import (
    DAY_PATTERN,
    FIRST_DAY,
    LAST_DAY,
    MONTH_PATTERN,
    WEEK_PATTERN,
    InvalidPeriod,
    Period,
    PeriodKind,
    parse_day,
    parse_period,
)
from paperwire.search.engine import MAX_SEARCH_RESULTS, Searcher
from paperwire.storage import papers as paper_store
from paperwire.storage.search import PaperFilter
from paperwire.web import auth
from paperwire.web.rendering import public_base_url

P = ParamSpec("P")
R = TypeVar("R")
MAX_PAGE = 10_000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
CATEGORY_RE = re.compile(r"[a-z][a-z\-]{1,15}(\.[A-Za-z][A-Za-z\-]{0,15})?")
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]
WithCode = Annotated[
    bool, Query(alias="code", description="1: only the papers that have a code link")
]
# Pages and feeds answer every client error with the HTML error page (a bad parameter is
# a 400 there, never a 422): what OpenAPI says of the routers' operations.
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "The HTML error page: 400 for invalid parameters, 404 when there is "
        "no such paper, period or page, 429 for too many searches",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}
DAY_SCHEMA = {
    "type": "string",
    "format": "date",
    "pattern": r"^(199[1-9]|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}$",
    "description": f"YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}",
}
# What the search page's from and to fields take: a day as text (empty: no limit, as an
# empty date field sends it), checked by the view so that a bad one is shown next to the
# form (DayText) or answered with 422 (IsoDay).
DayText = Annotated[
    str, WithJsonSchema({"anyOf": [DAY_SCHEMA, {"type": "string", "maxLength": 0}]})
]


def _iso_day(value: Any) -> Any:
    return parse_day(value) if isinstance(value, str) else value


IsoDay = Annotated[date, BeforeValidator(_iso_day), WithJsonSchema(DAY_SCHEMA)]


def _label(pattern: str, description: str) -> Any:
    # The form is documented, not enforced here: period_from answers 404 with the reason
    # for any label that names no period, well formed or not.
    return Path(description=description, json_schema_extra={"pattern": pattern})


DayLabel = Annotated[
    str, _label(DAY_PATTERN, f"A day, YYYY-MM-DD ({FIRST_DAY.year}-{LAST_DAY.year})")
]
WeekLabel = Annotated[str, _label(WEEK_PATTERN, "An ISO week, YYYY-Www (2024-W15)")]
MonthLabel = Annotated[str, _label(MONTH_PATTERN, "A month, YYYY-MM")]


database = auth.database
settings = auth.settings


def searcher(request: Request) -> Searcher:
    found: Searcher = request.app.state.searcher
    return found


def read_only(view: Callable[P, R]) -> Callable[P, R]:
    """For a synchronous view that only reads (a request parameter named request): its
    reads share one database connection and transaction (Database.shared_reads)."""

    @functools.wraps(view)
    def reading(*args: P.args, **kwargs: P.kwargs) -> R:
        request = kwargs["request"]
        assert isinstance(request, Request)
        with database(request).shared_reads():
            return view(*args, **kwargs)

    return reading


def search_filter(
    first: date | None, last: date | None, category: str | None, *, status: int = 400
) -> PaperFilter:
    """The limits of a search, checked: status (400 for pages, 422 for the API) if impossible."""
    if first is not None and last is not None and first > last:
        raise HTTPException(status, "the first day of the range is after its last day")
    if category is not None and not CATEGORY_RE.fullmatch(category):
        raise HTTPException(status, f"not an arXiv category: {category[:40]!r} (e.g. cs.CL)")
    return PaperFilter(first=first, last=last, category=category or None)


def search_limit(offset: int, limit: int) -> int:
    """limit, cut where search results stop; 404 for a page that starts past them."""
    if offset >= MAX_SEARCH_RESULTS:
        raise HTTPException(
            404, f"Results stop at the {MAX_SEARCH_RESULTS:,}th; add words or filters instead."
        )
    return min(limit, MAX_SEARCH_RESULTS - offset)


def day_or_400(text: str | None, name: str) -> date | None:
    """The day a query parameter names (None when empty); 400 with the reason otherwise."""
    if not text:
        return None
    try:
        return parse_day(text)
    except ValueError as error:
        raise HTTPException(400, f"{name}: {error}") from None


def base_url(request: Request) -> str:
    """This instance's public URL: PAPERWIRE_BASE_URL, or the one the request came to."""
    return public_base_url(settings(request), request)


def email_link_base(request: Request) -> str | None:
    """Where links in e-mails point: PAPERWIRE_BASE_URL, or the request's own host only on
    loopback (development). A Host header from the network is never trusted for them: it
    would let anyone have links mailed to a victim that point at their own site."""
    if settings(request).base_url:
        return base_url(request)
    return base_url(request) if (request.url.hostname or "") in LOOPBACK_HOSTS else None


def period_from(kind: PeriodKind, label: str) -> Period:
    """The period a URL names; 404 for a label that is not a day, week or month."""
    try:
        return parse_period(kind, label)
    except InvalidPeriod as error:
        raise HTTPException(404, f"{error}. Use YYYY-MM-DD, YYYY-Www or YYYY-MM.") from None


def period_page(
    request: Request, period: Period, page: int, *, with_code: bool = False
) -> listings.PeriodList:
    """One page of a day, week or month (with_code: of its papers with code); 404 past
    the last page."""
    found = listings.period_list(
        database(request), period, page, settings(request).page_size, with_code=with_code
    )
    _check_page_exists(found.page)
    return found


def trending_page(
    request: Request, page: int, today: date, *, with_code: bool = False
) -> listings.TrendingList:
    """One page of the trending list as of `today`; 404 past the last page."""
    configured = settings(request)
    found = listings.trending_list(
        database(request),
        today=today,
        page=page,
        page_size=configured.page_size,
        window_days=configured.trending_window_days,
        half_life_hours=configured.trending_half_life_hours,
        with_code=with_code,
    )
    _check_page_exists(found.page)
    return found


def period_trending_page(
    request: Request, period: Period, page: int, *, with_code: bool = False
) -> listings.TrendingList:
    """One page of a day, week or month by trending score; 404 past the last page."""
    configured = settings(request)
    found = listings.period_trending(
        database(request),
        period,
        page=page,
        page_size=configured.page_size,
        half_life_hours=configured.trending_half_life_hours,
        with_code=with_code,
    )
    _check_page_exists(found.page)
    return found


def code_trending_page(request: Request, page: int) -> listings.CodeTrendingList:
    """One page of the papers whose code gained stars recently; 404 past the last page
    (the first page of an empty list is shown, with the reason)."""
    configured = settings(request)
    found = listings.code_trending_list(
        database(request),
        page=page,
        page_size=configured.page_size,
        half_life_hours=configured.trending_half_life_hours,
    )
    _check_page_exists(found.page)
    return found


def paper_or_404(request: Request, arxiv_id: str) -> Paper:
    found = paper_store.get_paper(database(request), arxiv_id) if is_arxiv_id(arxiv_id) else None
    if found is None:
        raise no_such_paper(arxiv_id)
    return found


def canonical_id(text: str) -> str | None:
    """The id a reader typed or pasted (2404.02258v2, arXiv:2404.02258, an abs or pdf URL)
    as papers are keyed, or None when it is no arXiv id."""
    # A client may fold the URL's "//" into "/" on its way into a path.
    unfolded = re.sub(r"^(https?:)/+", r"\1//", text.strip(), flags=re.IGNORECASE)
    try:
        return parse_arxiv_id(unfolded)[0]
    except InvalidArxivId:
        return None


def redirect_to_canonical(arxiv_id: str, suffix: str = "") -> RedirectResponse | None:
    """A permanent redirect from another form of an id to /papers/ID (+ suffix); None when
    arxiv_id is already canonical or no id at all (the page then answers 404)."""
    if is_arxiv_id(arxiv_id):
        return None  # already as papers are keyed: most requests, with no parsing
    canonical = canonical_id(arxiv_id)
    if canonical is None or canonical == arxiv_id:
        return None
    return RedirectResponse(f"/papers/{canonical}{suffix}", status_code=308)


def no_such_paper(arxiv_id: str) -> HTTPException:
    return HTTPException(404, f"No paper with the id {arxiv_id[:64]!r} is known here.")


def _check_page_exists(page: listings.PageOf) -> None:
    if page.number > page.count:
        raise HTTPException(404, f"There is no page {page.number}: this list has {page.count}.")
