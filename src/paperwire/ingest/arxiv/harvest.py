"""Harvest arXiv page by page: each page's papers and its checkpoint commit together."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from paperwire.config import Settings
from paperwire.ingest.arxiv.atom import ApiError, ApiPage, parse_api_feed
from paperwire.ingest.arxiv.client import FetchError, PoliteClient
from paperwire.ingest.arxiv.oai import OaiError, parse_oai_page
from paperwire.ingest.arxiv.rss import parse_announcement_feed
from paperwire.ingest.arxiv.xmlsafe import MalformedResponse
from paperwire.papers import InvalidArxivId, Paper, parse_arxiv_id
from paperwire.storage import Database
from paperwire.storage import harvests as checkpoints
from paperwire.storage.papers import UpsertCounts, upsert_papers

log = logging.getLogger(__name__)
PageCallback = Callable[["HarvestReport"], None]
_EMPTY_API_PAGE_RETRIES = 3  # the API sometimes answers an empty page mid-result


class HarvestError(RuntimeError):
    """A harvest stopped; pages stored before it stay, and a rerun resumes after them."""


@dataclass(slots=True)
class HarvestReport:
    source: str
    scope: str
    resumed: bool = False
    pages: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    deleted: int = 0
    rejected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # ids asked for that arXiv did not return


@dataclass(frozen=True, slots=True)
class OaiRequest:
    set_spec: str
    window_from: date | None
    window_until: date | None


class Harvester:
    """Runs one harvest of one source and scope against a database."""

    def __init__(
        self, db: Database, client: PoliteClient, settings: Settings, on_page: PageCallback | None
    ) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        self.on_page = on_page

    def store_page(
        self, report: HarvestReport, papers: Sequence[Paper], cursor: str | None
    ) -> None:
        """Commit one page of papers together with the cursor of the page after it."""

        def advance(connection: Connection, _counts: UpsertCounts) -> None:
            checkpoints.record_page(connection, report.source, report.scope, cursor, len(papers))

        report.counts += upsert_papers(self.db, list(papers), along_with=advance)
        report.pages += 1
        if self.on_page is not None:
            self.on_page(report)

    def fail(self, report: HarvestReport, error: Exception, page: str) -> HarvestError:
        message = f"{report.source} {report.scope}: page {report.pages + 1} ({page}): {error}"
        checkpoints.fail_harvest(self.db, report.source, report.scope, message)
        return HarvestError(message)


def harvest_oai(
    db: Database,
    client: PoliteClient,
    settings: Settings,
    request: OaiRequest,
    on_page: PageCallback | None = None,
) -> HarvestReport:
    """ListRecords for a set and date window, following resumption tokens to the end."""
    harvester = Harvester(db, client, settings, on_page)
    scope = f"set={request.set_spec}"
    report, token, window = _begin_oai(db, scope, request)
    restarted = False
    while True:
        params = _oai_params(request.set_spec, window, token)
        try:
            page = parse_oai_page(client.get(settings.arxiv_oai_url, params))
        except OaiError as error:
            if error.code != "badResumptionToken" or token is None or restarted:
                raise harvester.fail(report, error, _describe(params)) from None
            # An expired token: start the window again; stored papers merge as unchanged.
            log.warning("%s: resumption token expired; restarting the window", scope)
            token, restarted = None, True
            continue
        except (FetchError, MalformedResponse) as error:
            raise harvester.fail(report, error, _describe(params)) from None
        report.deleted += len(page.deleted)
        report.rejected.extend(page.rejected)
        harvester.store_page(report, page.papers, page.resumption_token)
        token = page.resumption_token
        if token is None:
            checkpoints.finish_harvest(db, "oai", scope)
            return report


def _begin_oai(
    db: Database, scope: str, request: OaiRequest
) -> tuple[HarvestReport, str | None, tuple[date | None, date | None]]:
    """Resume an unfinished run of the same window, or start a new one."""
    saved = checkpoints.load_checkpoint(db, "oai", scope)
    window = (request.window_from, request.window_until)
    report = HarvestReport("oai", scope)
    if saved is not None and saved.status != checkpoints.COMPLETE and saved.cursor:
        same_window = window == (None, None) or window == (saved.window_from, saved.window_until)
        if same_window:
            checkpoints.resume_harvest(db, "oai", scope)
            report.resumed = True
            return report, saved.cursor, (saved.window_from, saved.window_until)
    if window[0] is None and saved is not None and saved.status == checkpoints.COMPLETE:
        window = (saved.window_until, window[1])  # catch up from where the last run ended
    if window[0] is None:
        raise HarvestError(
            f"the first OAI-PMH harvest of {scope} needs --from YYYY-MM-DD "
            "(a whole set can hold millions of records)"
        )
    if window[1] is None:  # a fixed end, so that the next catch-up starts from it
        window = (window[0], datetime.now(UTC).date())
    checkpoints.start_harvest(db, "oai", scope, window)
    return report, None, window


def _oai_params(
    set_spec: str, window: tuple[date | None, date | None], token: str | None
) -> dict[str, str]:
    if token is not None:
        return {"verb": "ListRecords", "resumptionToken": token}
    params = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": set_spec}
    if window[0] is not None:
        params["from"] = window[0].isoformat()
    if window[1] is not None:
        params["until"] = window[1].isoformat()
    return params


def harvest_api(
    db: Database,
    client: PoliteClient,
    settings: Settings,
    *,
    query: str | None = None,
    ids: Sequence[str] = (),
    on_page: PageCallback | None = None,
) -> HarvestReport:
    """Page through the API's answer to a search query, or fetch a list of ids."""
    if not query and not ids:
        raise HarvestError("the API source needs --query or at least one --id")
    harvester = Harvester(db, client, settings, on_page)
    if query:
        return _harvest_query(harvester, query)
    return _harvest_ids(harvester, ids)


def _harvest_query(harvester: Harvester, query: str) -> HarvestReport:
    report, start = _begin_paged(harvester.db, "api", f"query={query}")
    seen: set[str] = set()
    empty_pages = 0
    while True:
        params = {"search_query": query, "start": str(start)} | _page_size(harvester)
        page = _fetch_api_page(harvester, report, params)
        entries = len(page.papers) + len(page.rejected)
        report.rejected.extend(page.rejected)
        if not entries and start < page.total_results:
            empty_pages += 1
            if empty_pages <= _EMPTY_API_PAGE_RETRIES:
                continue
            empty = RuntimeError(f"empty page although {page.total_results} results remain")
            raise harvester.fail(report, empty, _describe(params))
        fresh = {paper.arxiv_id for paper in page.papers} - seen
        if page.papers and not fresh:  # a server repeating itself would be paged forever
            repeated = RuntimeError("the page only repeats papers of earlier pages")
            raise harvester.fail(report, repeated, _describe(params))
        empty_pages, seen = 0, seen | fresh
        start += entries  # skipped entries count too, or the next page would repeat them
        done = not entries or start >= page.total_results
        harvester.store_page(report, page.papers, None if done else str(start))
        if done:
            checkpoints.finish_harvest(harvester.db, "api", report.scope)
            return report


def _harvest_ids(harvester: Harvester, ids: Sequence[str]) -> HarvestReport:
    """Ask for the ids a page at a time: only the ids asked for are stored, whatever the
    feed claims, and each asked-for id it lacks is reported as missing."""
    report, start = _begin_paged(harvester.db, "api", f"id={','.join(ids)}")
    unique = list(dict.fromkeys(ids))
    size = harvester.settings.arxiv_api_page_size
    while start < len(unique):
        batch = unique[start : start + size]
        page = _fetch_id_batch(harvester, report, batch)
        start += len(batch)
        papers = _requested_only(report, page, batch)
        harvester.store_page(report, papers, None if start >= len(unique) else str(start))
    checkpoints.finish_harvest(harvester.db, "api", report.scope)
    return report


def _fetch_id_batch(harvester: Harvester, report: HarvestReport, batch: list[str]) -> ApiPage:
    """One batch of ids; the page is asked for again while it is empty but claims results."""
    params = {"id_list": ",".join(batch), "start": "0", "max_results": str(len(batch))}
    for _ in range(_EMPTY_API_PAGE_RETRIES + 1):
        page = _fetch_api_page(harvester, report, params)
        if page.papers or page.rejected or page.total_results == 0:
            return page
    empty = RuntimeError(f"empty page although {page.total_results} results remain")
    raise harvester.fail(report, empty, _describe(params))


def _requested_only(report: HarvestReport, page: ApiPage, batch: list[str]) -> list[Paper]:
    """The page's papers for the ids asked for, each once; the rest is rejected or missing."""
    wanted = {_bare_id(arxiv_id): arxiv_id for arxiv_id in batch}
    papers: dict[str, Paper] = {}
    for paper in page.papers:
        if paper.arxiv_id in wanted:
            papers.setdefault(paper.arxiv_id, paper)  # a repeated entry is stored once
        else:
            report.rejected.append(f"{paper.arxiv_id}: not asked for")
    report.rejected.extend(page.rejected)
    report.missing.extend(asked for bare, asked in wanted.items() if bare not in papers)
    return list(papers.values())


def _bare_id(text: str) -> str:
    try:
        return parse_arxiv_id(text)[0]
    except InvalidArxivId:
        return text  # arXiv answers such an id with its error feed


def _fetch_api_page(harvester: Harvester, report: HarvestReport, params: dict[str, str]) -> ApiPage:
    try:
        data = harvester.client.get(harvester.settings.arxiv_api_url, params)
        return parse_api_feed(data)
    except (ApiError, FetchError, MalformedResponse) as error:
        raise harvester.fail(report, error, _describe(params)) from None


def _page_size(harvester: Harvester) -> dict[str, str]:
    return {"max_results": str(harvester.settings.arxiv_api_page_size)}


def _begin_paged(db: Database, source: str, scope: str) -> tuple[HarvestReport, int]:
    saved = checkpoints.load_checkpoint(db, source, scope)
    report = HarvestReport(source, scope)
    if saved is not None and saved.status != checkpoints.COMPLETE and saved.cursor:
        checkpoints.resume_harvest(db, source, scope)
        report.resumed = True
        return report, int(saved.cursor)
    checkpoints.start_harvest(db, source, scope)
    return report, 0


def harvest_rss(
    db: Database,
    client: PoliteClient,
    settings: Settings,
    category: str,
    on_page: PageCallback | None = None,
) -> HarvestReport:
    """Read today's announcement feed of one category: it sets the papers' listing day."""
    harvester = Harvester(db, client, settings, on_page)
    scope = f"category={category}"
    report = HarvestReport("rss", scope)
    checkpoints.start_harvest(db, "rss", scope)
    url = f"{settings.arxiv_rss_url.rstrip('/')}/{category}"
    try:
        feed = parse_announcement_feed(client.get(url, {}))
    except (FetchError, MalformedResponse) as error:
        raise harvester.fail(report, error, url) from None
    harvester.store_page(report, [a.paper for a in feed.announcements], None)
    checkpoints.finish_harvest(db, "rss", scope)
    return report


def _describe(params: dict[str, str]) -> str:
    return "&".join(f"{key}={value}" for key, value in params.items())
