"""Parse one page of the arXiv API's Atom feed (export.arxiv.org/api/query): pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element

from paperwire.ingest.arxiv.xmlsafe import (
    MalformedResponse,
    bounded,
    expect_root,
    first_doi,
    optional_clean,
    parse_xml,
    text_of,
)
from paperwire.ingest.formats import (
    MAX_ABSTRACT_CHARS,
    MAX_TITLE_CHARS,
    RecordError,
    bounded_authors,
    clean_abstract,
    clean_title,
    record_moment,
    submission_listing_day,
)
from paperwire.papers import InvalidArxivId, Paper, category_codes, parse_arxiv_id

ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ARXIV_NS = "http://arxiv.org/schemas/atom"
_ATOM = f"{{{ATOM_NS}}}"
_OPENSEARCH = f"{{{OPENSEARCH_NS}}}"
_ARXIV = f"{{{ARXIV_NS}}}"
_WHAT = "arXiv API feed"
# The API also writes MSC and ACM classes as <category> terms ("03B70, 68Q99",
# "F.4.1; F.4.m; K.2"); only arXiv category codes (cs.AI, hep-th, cond-mat.stat-mech) count.


@dataclass(frozen=True)
class ApiPage:
    """One page of API results and where it sits in the whole result list."""

    papers: list[Paper]
    total_results: int
    start_index: int
    items_per_page: int
    rejected: list[str] = field(default_factory=list)  # why an entry was skipped, per entry


class ApiError(Exception):
    """The API answered with its error feed, e.g. for a malformed id."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"arXiv API error: {detail}")
        self.detail = detail


def parse_api_feed(data: bytes) -> ApiPage:
    """Parse an API query response; raise ApiError for the API's error feed.

    An entry that cannot become a paper is skipped and its reason listed in `rejected`.
    """
    root = parse_xml(data, _WHAT)
    expect_root(root, (f"{_ATOM}feed",), _WHAT)
    entries = root.findall(f"{_ATOM}entry")
    for entry in entries:
        if "/api/errors" in (text_of(entry.find(f"{_ATOM}id")) or ""):
            detail = clean_title(text_of(entry.find(f"{_ATOM}summary")) or "")
            raise ApiError(detail or "(no message)")
    papers: list[Paper] = []
    rejected: list[str] = []
    for entry in entries:
        try:
            papers.append(_paper(entry))
        except RecordError as error:
            label = clean_title(text_of(entry.find(f"{_ATOM}id")) or "") or "entry without <id>"
            rejected.append(f"{label}: {error}")
    return ApiPage(
        papers=papers,
        total_results=_count(root, "totalResults"),
        start_index=_count(root, "startIndex"),
        items_per_page=_count(root, "itemsPerPage"),
        rejected=rejected,
    )


def _paper(entry: Element) -> Paper:
    arxiv_id, version = _versioned_id(entry)
    title = clean_title(
        bounded(text_of(entry.find(f"{_ATOM}title")), "title", MAX_TITLE_CHARS) or ""
    )
    if not title:
        raise RecordError("missing <title>")
    abstract = bounded(text_of(entry.find(f"{_ATOM}summary")), "summary", MAX_ABSTRACT_CHARS)
    published = _timestamp(entry, "published")
    categories = _categories(entry)
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=clean_abstract(abstract or ""),
        authors=_authors(entry),
        categories=categories,
        primary_category=categories[0] if categories else None,
        comment=optional_clean(text_of(entry.find(f"{_ARXIV}comment"))),
        doi=first_doi(text_of(entry.find(f"{_ARXIV}doi"))),
        journal_ref=optional_clean(text_of(entry.find(f"{_ARXIV}journal_ref"))),
        published_at=published,
        updated_at=_timestamp(entry, "updated"),
        listing_day=submission_listing_day(arxiv_id, published),
    )


def _versioned_id(entry: Element) -> tuple[str, int | None]:
    """The entry's id and version; an <id> without version takes it from the abs link."""
    try:
        arxiv_id, version = parse_arxiv_id(text_of(entry.find(f"{_ATOM}id")) or "")
    except InvalidArxivId as error:
        raise RecordError(str(error)) from None
    for link in entry.findall(f"{_ATOM}link"):
        if version is None and link.get("rel") == "alternate":
            try:
                linked_id, linked_version = parse_arxiv_id(link.get("href", ""))
            except InvalidArxivId:
                continue
            version = linked_version if linked_id == arxiv_id else None
    return arxiv_id, version


def _authors(entry: Element) -> tuple[str, ...]:
    names = [
        clean_title(text_of(name) or "") for name in entry.iterfind(f"{_ATOM}author/{_ATOM}name")
    ]
    return tuple(name for name in bounded_authors(names) if name)


def _categories(entry: Element) -> tuple[str, ...]:
    """arXiv category codes, the primary one first."""
    primary = entry.find(f"{_ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [category.get("term", "") for category in entry.findall(f"{_ATOM}category")]
    return category_codes(terms)


def _timestamp(entry: Element, name: str) -> datetime | None:
    text = (text_of(entry.find(f"{_ATOM}{name}")) or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"<{name}> is not a timestamp: {text[:40]!r}") from None
    return record_moment(parsed, f"<{name}>")


def _count(root: Element, name: str) -> int:
    text = (text_of(root.find(f"{_OPENSEARCH}{name}")) or "").strip()
    if not (text.isascii() and text.isdigit()):
        raise MalformedResponse(f"{_WHAT}: <opensearch:{name}> is missing or not a number")
    return int(text)
