"""Harvest arXiv page by page: each page's papers and its checkpoint commit together."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from paperwire.config import Settings
from paperwire.ingest.arxiv.atom import ApiError, parse_api_feed
from paperwire.ingest.arxiv.client import FetchError, PoliteClient
from paperwire.ingest.arxiv.oai import OaiError, parse_oai_page
from paperwire.ingest.arxiv.rss import parse_announcement_feed
from paperwire.ingest.arxiv.xmlsafe import MalformedResponse
from paperwire.papers import Paper
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
    """Page through the API's answer to a search query or a list of ids."""
    if not query and not ids:
        raise HarvestError("the API source needs --query or at least one --id")
    harvester = Harvester(db, client, settings, on_page)
    base = {"search_query": query} if query else {"id_list": ",".join(ids)}
    scope = f"query={query}" if query else f"id={','.join(ids)}"
    report, start = _begin_paged(db, "api", scope)
    empty_pages = 0
    while True:
        params = base | {"start": str(start), "max_results": str(settings.arxiv_api_page_size)}
        try:
            page = parse_api_feed(client.get(settings.arxiv_api_url, params))
        except (ApiError, FetchError, MalformedResponse) as error:
            raise harvester.fail(report, error, _describe(params)) from None
        entries = len(page.papers) + len(page.rejected)
        report.rejected.extend(page.rejected)
        if not entries and start < page.total_results:
            empty_pages += 1
            if empty_pages <= _EMPTY_API_PAGE_RETRIES:
                continue
            empty = RuntimeError(f"empty page although {page.total_results} results remain")
            raise harvester.fail(report, empty, _describe(params))
        empty_pages = 0
        start += entries  # skipped entries count too, or the next page would repeat them
        done = not entries or start >= page.total_results
        harvester.store_page(report, page.papers, None if done else str(start))
        if done:
            checkpoints.finish_harvest(db, "api", scope)
            return report


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
