"""Papers in the Hugging Face papers API's JSON shapes: pure functions, no I/O.

Fields paperwire has no data for (media, AI summaries, organisations) are present with
null or empty values, never invented. Upvotes count the imported ones and the ones cast
here; numComments counts visible comments. githubRepo and githubStars are those of a code
link to github.com (null for other hosts, whose link is in paperwire's codeUrl).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from paperwire.papers import Paper
from paperwire.ranking.calendar import start_of_listing_day
from paperwire.search.keyword import SearchHit
from paperwire.storage.code import NO_CODE, PaperCode
from paperwire.storage.votes import PaperStats
from paperwire.text import without_unsafe_controls

NO_STATS = PaperStats()
GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})


def iso(moment: datetime | None) -> str | None:
    """UTC in the API's format: 2024-04-08T00:00:00.000Z."""
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def listed_at(day: date | None) -> datetime | None:
    return start_of_listing_day(day) if day else None


def readable(paper: Paper) -> Paper:
    """paper with control and bidi-override characters taken out of its text: a client
    that puts these fields into a page must not be fooled by a stored override."""
    return replace(
        paper,
        title=without_unsafe_controls(paper.title),
        abstract=without_unsafe_controls(paper.abstract),
        authors=tuple(without_unsafe_controls(name) for name in paper.authors),
        comment=_readable_or_none(paper.comment),
        doi=_readable_or_none(paper.doi),
        journal_ref=_readable_or_none(paper.journal_ref),
    )


def _readable_or_none(text: str | None) -> str | None:
    return without_unsafe_controls(text) if text is not None else None


def web_url(url: str | None) -> str | None:
    """url when it is an http(s) link: links are reader-editable, and a client may well put
    them into an href."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in {"http", "https"} and parts.hostname else None


def code_fields(code: PaperCode) -> dict[str, Any]:
    """projectPage, githubRepo and githubStars as Hugging Face fills them, and codeUrl."""
    code_url = web_url(code.code_url)
    on_github = code_url is not None and urlsplit(code_url).hostname in GITHUB_HOSTS
    return {
        "projectPage": web_url(code.project_url),
        "githubRepo": code_url if on_github else None,
        "githubStars": code.stars if on_github else None,
        "codeUrl": code_url,
    }


def paper_object(
    paper: Paper, stats: PaperStats = NO_STATS, code: PaperCode = NO_CODE
) -> dict[str, Any]:
    """The flat paper object of GET /api/papers/{id}."""
    paper = readable(paper)
    links = code_fields(code)
    return {
        "id": paper.arxiv_id,
        "authors": [{"_id": None, "name": name, "hidden": False} for name in paper.authors],
        "mediaUrls": [],
        "publishedAt": iso(paper.published_at or listed_at(paper.listing_day)),
        "submittedOnDailyAt": iso(listed_at(paper.listing_day)),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": (paper.imported_upvotes or 0) + stats.votes,
        "discussionId": None,
        "projectPage": links["projectPage"],
        "githubRepo": links["githubRepo"],
        "ai_summary": None,
        "ai_keywords": [],
        "githubStars": links["githubStars"],
        "organization": None,
        "submittedOnDailyBy": None,
        "withdrawn": paper.withdrawn,
        "categories": list(paper.categories),
        "primaryCategory": paper.primary_category,
        "comment": paper.comment,
        "doi": paper.doi,
        "journalRef": paper.journal_ref,
        "version": paper.version,
        "codeUrl": links["codeUrl"],
    }


def daily_item(
    paper: Paper, stats: PaperStats = NO_STATS, code: PaperCode = NO_CODE
) -> dict[str, Any]:
    """One element of GET /api/daily_papers: the paper object wrapped with list fields."""
    inner = paper_object(paper, stats, code)
    return {
        "paper": inner,
        "publishedAt": inner["publishedAt"],
        "title": inner["title"],
        "summary": inner["summary"],
        "mediaUrls": [],
        "thumbnail": None,
        "numComments": stats.comments,
        "submittedBy": None,
        "organization": None,
        "isAuthorParticipating": False,
    }


def search_items(
    hits: Sequence[SearchHit],
    stats: Mapping[str, PaperStats],
    code: Mapping[str, PaperCode],
) -> list[dict[str, Any]]:
    """The body of GET /api/papers/search (and `paperwire search --json`)."""
    return [
        search_item(
            hit.paper,
            hit.highlighted_title,
            hit.highlighted_summary,
            stats.get(hit.paper.arxiv_id, NO_STATS),
            code.get(hit.paper.arxiv_id, NO_CODE),
        )
        for hit in hits
    ]


def search_item(
    paper: Paper,
    highlighted_title: str,
    highlighted_summary: str,
    stats: PaperStats = NO_STATS,
    code: PaperCode = NO_CODE,
) -> dict[str, Any]:
    """One element of GET /api/papers/search."""
    inner = paper_object(paper, stats, code)
    return {
        "paper": inner,
        "title": inner["title"],
        "summary": inner["summary"],
        "publishedAt": inner["publishedAt"],
        "highlightedTitle": without_unsafe_controls(highlighted_title),
        "highlightedSummary": without_unsafe_controls(highlighted_summary),
        "mediaUrls": [],
        "thumbnail": None,
        "numComments": stats.comments,
        "isAuthorParticipating": False,
    }
