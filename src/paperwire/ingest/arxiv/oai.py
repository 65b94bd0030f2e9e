"""Parse one OAI-PMH ListRecords / GetRecord page in arXiv's own metadata format: pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from xml.etree.ElementTree import Element

from paperwire.ingest.arxiv.xmlsafe import (
    MalformedResponse,
    bounded,
    expect_root,
    first_doi,
    local_name,
    optional_clean,
    parse_xml,
    text_of,
    unique,
)
from paperwire.ingest.formats import (
    MAX_ABSTRACT_CHARS,
    MAX_TITLE_CHARS,
    RecordError,
    bounded_authors,
    clean_abstract,
    clean_title,
    noon_eastern,
    record_day,
    submission_listing_day,
)
from paperwire.papers import ImplausibleDate, InvalidArxivId, Paper, parse_arxiv_id, plausible_day

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
_OAI = f"{{{OAI_NS}}}"
_WHAT = "OAI-PMH page"
_OAI_ID_PREFIX = "oai:arXiv.org:"
_HAS_WORD_RE = re.compile(r"\w")


@dataclass(frozen=True)
class OaiPage:
    """What one page of an OAI-PMH harvest holds."""

    papers: list[Paper] = field(default_factory=list)
    resumption_token: str | None = None  # None on the last page
    complete_list_size: int | None = None
    cursor: int | None = None
    deleted: list[str] = field(default_factory=list)  # arXiv ids of deleted records
    datestamps: list[date] = field(default_factory=list)  # header datestamps, in page order
    rejected: list[str] = field(default_factory=list)  # why a record was skipped, per record


class OaiError(Exception):
    """An <error> the OAI-PMH repository answered with, e.g. badResumptionToken."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {text}")
        self.code = code
        self.text = text


def parse_oai_page(data: bytes) -> OaiPage:
    """Parse a ListRecords or GetRecord response with metadataPrefix=arXiv.

    noRecordsMatch gives an empty page; any other OAI-PMH error raises OaiError, and a
    response that is not an OAI-PMH document raises MalformedResponse. A record that
    cannot become a paper is skipped and its reason listed in `rejected`.
    """
    root = parse_xml(data, _WHAT)
    expect_root(root, (f"{_OAI}OAI-PMH",), _WHAT)
    errors = root.findall(f"{_OAI}error")
    if errors:
        return _error_page(errors)
    body = root.find(f"{_OAI}ListRecords")
    if body is None:
        body = root.find(f"{_OAI}GetRecord")
    if body is None:
        raise MalformedResponse(f"{_WHAT}: neither <ListRecords> nor <GetRecord> nor <error>")
    page = OaiPage()
    for record in body.findall(f"{_OAI}record"):
        _add_record(page, record)
    token = body.find(f"{_OAI}resumptionToken")
    if token is None:
        return page
    return replace(
        page,
        resumption_token=(token.text or "").strip() or None,
        complete_list_size=_int_attribute(token, "completeListSize"),
        cursor=_int_attribute(token, "cursor"),
    )


def _error_page(errors: list[Element]) -> OaiPage:
    for error in errors:
        code = error.get("code", "").strip()
        if code != "noRecordsMatch":
            raise OaiError(code or "unknown", clean_title(text_of(error) or "") or "(no message)")
    return OaiPage()


def _add_record(page: OaiPage, record: Element) -> None:
    """Append what one <record> holds to the page's lists."""
    header = record.find(f"{_OAI}header")
    if header is None:
        page.rejected.append("record without <header>: skipped")
        return
    identifier = clean_title(text_of(header.find(f"{_OAI}identifier")) or "")
    stamp = _datestamp(header)
    if stamp is not None:
        page.datestamps.append(stamp)
    try:
        if header.get("status") == "deleted":
            page.deleted.append(_arxiv_id(identifier.removeprefix(_OAI_ID_PREFIX)))
        else:
            page.papers.append(_paper(record))
    except RecordError as error:
        page.rejected.append(f"{identifier or 'record without <identifier>'}: {error}")


def _datestamp(header: Element) -> date | None:
    """The header's datestamp (day granularity); None when absent, not a date, or outside
    the plausible range (a harvest must not move its window to year 9999)."""
    text = (text_of(header.find(f"{_OAI}datestamp")) or "").strip()
    try:
        return plausible_day(date.fromisoformat(text[:10])) if text else None
    except (ValueError, ImplausibleDate):
        return None


def _paper(record: Element) -> Paper:
    metadata = record.find(f"{_OAI}metadata")
    arxiv = next(iter(metadata), None) if metadata is not None else None
    if arxiv is None or local_name(arxiv.tag) != "arXiv":
        raise RecordError("no <arXiv> metadata")
    # The record's own namespace: a few recorded responses leave the arXiv namespace
    # undeclared, so their fields inherit the OAI-PMH namespace.
    ns = arxiv.tag[: -len("arXiv")]
    raw_id = clean_title(text_of(arxiv.find(f"{ns}id")) or "")
    if not raw_id:
        raise RecordError("missing <id>")
    arxiv_id = _arxiv_id(raw_id)
    title = clean_title(bounded(text_of(arxiv.find(f"{ns}title")), "title", MAX_TITLE_CHARS) or "")
    if not title:
        raise RecordError("missing <title>")
    abstract = bounded(text_of(arxiv.find(f"{ns}abstract")), "abstract", MAX_ABSTRACT_CHARS)
    published = _noon_eastern(_date(arxiv, ns, "created"))
    categories = unique((text_of(arxiv.find(f"{ns}categories")) or "").split())
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=clean_abstract(abstract or ""),
        authors=_authors(arxiv, ns),
        categories=categories,
        primary_category=categories[0] if categories else None,
        comment=optional_clean(text_of(arxiv.find(f"{ns}comments"))),
        doi=first_doi(text_of(arxiv.find(f"{ns}doi"))),
        journal_ref=optional_clean(text_of(arxiv.find(f"{ns}journal-ref"))),
        published_at=published,
        updated_at=_noon_eastern(_date(arxiv, ns, "updated")),
        listing_day=submission_listing_day(arxiv_id, published),
    )


def _arxiv_id(text: str) -> str:
    try:
        arxiv_id, _version = parse_arxiv_id(text)
    except InvalidArxivId as error:
        raise RecordError(str(error)) from None
    return arxiv_id


def _authors(arxiv: Element, ns: str) -> tuple[str, ...]:
    """'Forenames Keyname Suffix' per <author>; affiliations are left out."""
    names: list[str] = []
    for author in arxiv.iterfind(f"{ns}authors/{ns}author"):
        parts = [
            *(text_of(e) for e in author.findall(f"{ns}forenames")),
            *(text_of(e) for e in author.findall(f"{ns}keyname")),
            *(text_of(e) for e in author.findall(f"{ns}suffix")),
        ]
        name = clean_title(" ".join(part for part in parts if part))
        # arXiv splits "Collaboration: A. Author, ..." author strings into a ':' author.
        if _HAS_WORD_RE.search(name):
            names.append(name)
    return bounded_authors(names)


def _date(arxiv: Element, ns: str, name: str) -> date | None:
    text = (text_of(arxiv.find(f"{ns}{name}")) or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        raise RecordError(f"<{name}> is not a date: {text[:40]!r}") from None
    return record_day(day, f"<{name}>")


def _noon_eastern(day: date | None) -> datetime | None:
    # arXiv's format gives version dates without a time, like OAI Dublin Core.
    return noon_eastern(day) if day is not None else None


def _int_attribute(element: Element, name: str) -> int | None:
    value = (element.get(name) or "").strip()
    return int(value) if value.isascii() and value.isdigit() else None
