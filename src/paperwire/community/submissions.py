"""Submit a paper by arXiv id or URL: found here or fetched from arXiv, recent papers only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from paperwire.config import Settings
from paperwire.ingest.arxiv.atom import ApiError, parse_api_feed
from paperwire.ingest.arxiv.errors import FetchError
from paperwire.ingest.arxiv.xmlsafe import MalformedResponse
from paperwire.papers import InvalidArxivId, Paper, parse_arxiv_id
from paperwire.ranking.calendar import newest_listing_day
from paperwire.storage import Database
from paperwire.storage import papers as paper_store
from paperwire.storage import submissions as submission_store
from paperwire.storage.users import User
from paperwire.storage.votes import UnknownPaper
from paperwire.text import without_unsafe_controls

Fetch = Callable[[str], Paper | None]
_SUBMIT_ATTEMPTS = 2  # a reader is waiting: no long backoff
_SUBMIT_TIMEOUT_SECONDS = 15.0


class SubmissionError(ValueError):
    """A submission that cannot be accepted; the message says why and what to do."""


def arxiv_fetcher(settings: Settings) -> Fetch:
    """Fetch one paper through arXiv's API with the polite client, briefly."""
    quick = settings.model_copy(
        update={
            "arxiv_max_attempts": min(settings.arxiv_max_attempts, _SUBMIT_ATTEMPTS),
            "arxiv_timeout_seconds": min(settings.arxiv_timeout_seconds, _SUBMIT_TIMEOUT_SECONDS),
            # A reader is waiting: a server trickling its answer may not hold the request
            # longer than the per-read limit would let a silent one.
            "arxiv_deadline_seconds": min(settings.arxiv_deadline_seconds, _SUBMIT_TIMEOUT_SECONDS),
        }
    )

    def fetch(arxiv_id: str) -> Paper | None:
        # Imported on the first submission: httpx, its retries and its command-line extras
        # cost every web worker 75 ms at start, and most workers never fetch a paper.
        from paperwire.ingest.arxiv.client import PoliteClient

        with PoliteClient(quick) as client:
            body = client.get(quick.arxiv_api_url, {"id_list": arxiv_id, "max_results": 1})
        found = [p for p in parse_api_feed(body).papers if p.arxiv_id == arxiv_id]
        return found[0] if found else None

    return fetch


def submit_paper(db: Database, settings: Settings, user: User, text: str, fetch: Fetch) -> Paper:
    """Put a recent paper on the current day's list as submitted by user."""
    try:  # an id pasted with an invisible control or bidi character is still that id
        arxiv_id, _version = parse_arxiv_id(without_unsafe_controls(text))
    except InvalidArxivId:
        raise SubmissionError(
            "Give an arXiv id such as 2404.02905 or its URL, https://arxiv.org/abs/2404.02905."
        ) from None
    # The list the front page shows now, before a fetched paper may add a later day.
    today = paper_store.latest_listing_day(db) or newest_listing_day(datetime.now(UTC))
    stored = paper_store.get_paper(db, arxiv_id)
    paper = stored or _fetched(fetch, arxiv_id)
    _check_recent(paper, settings.submission_max_age_days)
    if stored is None:  # only a paper that qualifies is added to the database
        paper_store.upsert_papers(db, [paper])
    try:
        added = submission_store.add_submission(db, user.id, arxiv_id, today)
    except UnknownPaper:  # stored, but hidden by the operators
        raise SubmissionError(f"arXiv:{arxiv_id} cannot be submitted here.") from None
    if not added:
        raise SubmissionError(
            f"Thank you, but arXiv:{arxiv_id} was already submitted: it is on the list."
        )
    return paper


def _fetched(fetch: Fetch, arxiv_id: str) -> Paper:
    try:
        paper = fetch(arxiv_id)
    except (FetchError, ApiError, MalformedResponse):
        raise SubmissionError(
            "arXiv could not be reached just now; please try again later."
        ) from None
    if paper is None:
        raise SubmissionError(f"arXiv does not know a paper {arxiv_id}; check the id.")
    return paper


def _check_recent(paper: Paper, max_age_days: int) -> None:
    first = paper.published_at
    if first is None or datetime.now(UTC) - first > timedelta(days=max_age_days):
        raise SubmissionError(
            f"Only papers first posted in the last {max_age_days} days can be submitted."
        )
