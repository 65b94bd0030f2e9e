"""What every view reads from a request: database, settings, base URL, a period, a list page."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import HTTPException, Query, Request

from paperwire.papers import Paper, is_arxiv_id
from paperwire.ranking import listings
from paperwire.ranking.calendar import InvalidPeriod, Period, PeriodKind, parse_period
from paperwire.search.engine import Searcher
from paperwire.storage import papers as paper_store
from paperwire.storage.search import PaperFilter
from paperwire.web import auth
from paperwire.web.rendering import public_base_url

MAX_PAGE = 10_000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
CATEGORY_RE = re.compile(r"[a-z][a-z\-]{1,15}(\.[A-Za-z][A-Za-z\-]{0,15})?")
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]


database = auth.database
settings = auth.settings


def searcher(request: Request) -> Searcher:
    found: Searcher = request.app.state.searcher
    return found


def search_filter(
    first: date | None, last: date | None, category: str | None, *, status: int = 400
) -> PaperFilter:
    """The limits of a search, checked: status (400 for pages, 422 for the API) if impossible."""
    if first is not None and last is not None and first > last:
        raise HTTPException(status, "the first day of the range is after its last day")
    if category is not None and not CATEGORY_RE.fullmatch(category):
        raise HTTPException(status, f"not an arXiv category: {category[:40]!r} (e.g. cs.CL)")
    return PaperFilter(first=first, last=last, category=category or None)


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


def period_page(request: Request, period: Period, page: int) -> listings.PeriodList:
    """One page of a day, week or month; 404 past the last page."""
    found = listings.period_list(database(request), period, page, settings(request).page_size)
    _check_page_exists(found.page)
    return found


def trending_page(request: Request, page: int, today: date) -> listings.TrendingList:
    """One page of the trending list as of `today`; 404 past the last page."""
    configured = settings(request)
    found = listings.trending_list(
        database(request),
        today=today,
        page=page,
        page_size=configured.page_size,
        window_days=configured.trending_window_days,
        half_life_hours=configured.trending_half_life_hours,
    )
    _check_page_exists(found.page)
    return found


def period_trending_page(request: Request, period: Period, page: int) -> listings.TrendingList:
    """One page of a day, week or month by trending score; 404 past the last page."""
    configured = settings(request)
    found = listings.period_trending(
        database(request),
        period,
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


def no_such_paper(arxiv_id: str) -> HTTPException:
    return HTTPException(404, f"No paper with the id {arxiv_id[:64]!r} is known here.")


def _check_page_exists(page: listings.PageOf) -> None:
    if page.number > page.count:
        raise HTTPException(404, f"There is no page {page.number}: this list has {page.count}.")
