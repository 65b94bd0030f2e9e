"""Parse arXiv's daily announcement feed (rss.arxiv.org, RSS 2.0 or Atom): pure, no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from paperwire.ingest.arxiv.xmlsafe import (
    MalformedResponse,
    bounded,
    expect_root,
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
    record_listing_day,
    record_moment,
)
from paperwire.papers import InvalidArxivId, Paper, parse_arxiv_id
from paperwire.ranking.calendar import newest_listing_day

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
_ATOM = f"{{{ATOM_NS}}}"
_ARXIV = f"{{{ARXIV_NS}}}"
_DC = f"{{{DC_NS}}}"
_WHAT = "arXiv announcement feed"
# Announce types under which a paper is listed for the first time in the feed's category:
# a new submission, or a cross-list of one. Replacements were listed on an earlier day.
FIRST_LISTING_TYPES = frozenset({"new", "cross"})
_DESCRIPTION_RE = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*"
    r"(?:Abstract:\s*(?P<abstract>.*))?$",
    re.S,
)
# The feed writes author names as submitted, TeX accents included (Andr\'e): each accent
# command maps to the Unicode combining mark it stands for, composed with NFC afterwards.
_TEX_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
}
_TEX_ACCENT_RE = re.compile(
    r"\{?\\(?:(?P<sym>['`^\"~=.])\s*|(?P<word>[uvHck])(?:\s+|(?=\{)))\{?"
    r"(?:\\(?P<dotless>[ij])(?![A-Za-z])\s*|(?P<letter>[A-Za-z]))\}?\}?"
)
_TEX_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "aa": "å", "AA": "Å"}
_TEX_LETTER_RE = re.compile(r"\{?\\(ss|aa|AA|o|O|l|L)(?![A-Za-z])\s*\}?")


@dataclass(frozen=True)
class Announcement:
    """One paper of an announcement and how it was announced."""

    paper: Paper
    announce_type: str  # "new", "cross", "replace" or "replace-cross"


@dataclass(frozen=True)
class AnnouncementFeed:
    """One day's announcement feed of a category."""

    category: str | None  # e.g. "cs.AI", or "cs.AI+q-bio.NC" for a combined feed
    published: datetime | None  # the feed's announcement date, aware UTC
    announcements: list[Announcement]
    rejected: list[str] = field(default_factory=list)  # why an item was skipped, per item


@dataclass(frozen=True)
class _Item:
    """The fields of one RSS <item> or Atom <entry>, read the same way for both formats."""

    guid: str
    title: str | None
    description: str
    categories: list[str]
    published: datetime | None
    announce_type: str | None
    creators: list[str]


def parse_announcement_feed(data: bytes) -> AnnouncementFeed:
    """Parse rss.arxiv.org/rss/<category> (RSS 2.0) or rss.arxiv.org/atom/<category> (Atom).

    An item that cannot become a paper is skipped and its reason listed in `rejected`.
    """
    root = parse_xml(data, _WHAT)
    expect_root(root, ("rss", f"{_ATOM}feed"), _WHAT)
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise MalformedResponse(f"{_WHAT}: <rss> without <channel>")
        category = _category(text_of(channel.find("link")))
        published = _feed_date(_rss_date, channel, "pubDate", "lastBuildDate")
        elements = channel.findall("item")
    else:
        category = _category(text_of(root.find(f"{_ATOM}id")))
        published = _feed_date(_atom_date, root, "published", "updated")
        elements = root.findall(f"{_ATOM}entry")
    announcements: list[Announcement] = []
    rejected: list[str] = []
    for element in elements:
        try:
            announcements.append(_announcement(_read_item(element), published))
        except RecordError as error:
            rejected.append(f"{_guid(element) or 'item without id'}: {error}")
    return AnnouncementFeed(category, published, announcements, rejected)


def listing_day_of_announcement(announced_at: datetime) -> date:
    """The daily listing a feed dated at that moment carries.

    arXiv announces at 20:00 Eastern and dates the listing the following weekday; the
    feed, rebuilt at midnight Eastern, gives that listing day at 00:00 Eastern as its
    pubDate (the fixture's Wednesday 2025-08-20 00:00 -04:00 feed carries the listing
    announced on Tuesday evening and dated Wednesday). newest_listing_day maps both
    the midnight date and an evening announcement time to that listing day.
    """
    return newest_listing_day(announced_at)


def _announcement(item: _Item, feed_published: datetime | None) -> Announcement:
    described = _DESCRIPTION_RE.match(item.description)
    raw_id = described.group("id") if described else item.guid.removeprefix("oai:arXiv.org:")
    try:
        arxiv_id, version = parse_arxiv_id(raw_id)
    except InvalidArxivId as error:
        raise RecordError(str(error)) from None
    title = clean_title(bounded(item.title, "title", MAX_TITLE_CHARS) or "")
    if not title:
        raise RecordError("missing <title>")
    announce_type = (item.announce_type or (described.group("type") if described else "")).strip()
    if not announce_type:
        raise RecordError("no announce type")
    abstract = described.group("abstract") if described else None
    announced = item.published or feed_published
    listing_day = record_listing_day(
        arxiv_id,
        listing_day_of_announcement(announced)
        if announced is not None and announce_type.lower() in FIRST_LISTING_TYPES
        else None,
    )
    categories = unique([c.strip() for c in item.categories])
    paper = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=clean_abstract(bounded(abstract, "abstract", MAX_ABSTRACT_CHARS) or ""),
        authors=_authors(item.creators),
        categories=categories,
        primary_category=categories[0] if categories else None,
        listing_day=listing_day,
        listing_day_exact=listing_day is not None,
    )
    return Announcement(paper, announce_type.lower())


def _guid(element: Element) -> str:
    """The id of an RSS <item> or an Atom <entry>, for saying which one was skipped."""
    found = element.find("guid") if element.tag == "item" else element.find(f"{_ATOM}id")
    return clean_title(text_of(found) or "")


def _read_item(element: Element) -> _Item:
    """An RSS <item> or Atom <entry>; RecordError when one of its dates is bad."""
    return _rss_item(element) if element.tag == "item" else _atom_item(element)


def _rss_item(item: Element) -> _Item:
    return _Item(
        guid=_guid(item),
        title=text_of(item.find("title")),
        description=text_of(item.find("description")) or "",
        categories=[text_of(c) or "" for c in item.findall("category")],
        published=_rss_date(item, "pubDate"),
        announce_type=text_of(item.find(f"{_ARXIV}announce_type")),
        creators=[text_of(c) or "" for c in item.findall(f"{_DC}creator")],
    )


def _atom_item(entry: Element) -> _Item:
    return _Item(
        guid=_guid(entry),
        title=text_of(entry.find(f"{_ATOM}title")),
        description=text_of(entry.find(f"{_ATOM}summary")) or "",
        categories=[c.get("term", "") for c in entry.findall(f"{_ATOM}category")],
        published=_atom_date(entry, "published"),
        announce_type=text_of(entry.find(f"{_ARXIV}announce_type")),
        creators=[text_of(c) or "" for c in entry.findall(f"{_DC}creator")],
    )


def _authors(creators: list[str]) -> tuple[str, ...]:
    """dc:creator holds 'A. One, B. Two, and C. Three', with TeX accents (Andr\\'e)."""
    names = [
        clean_title(untex(name).removeprefix("and "))
        for creator in creators
        for name in creator.split(",")
    ]
    return bounded_authors([name for name in names if name])


def untex(text: str) -> str:
    """Turn TeX accent commands in a name into letters: Andr\\'e -> André, \\c{c} -> ç."""
    if "\\" not in text:
        return text
    accented = _TEX_ACCENT_RE.sub(
        lambda m: (
            (m.group("letter") or m.group("dotless"))
            + _TEX_ACCENTS[m.group("sym") or m.group("word")]
        ),
        text,
    )
    lettered = _TEX_LETTER_RE.sub(lambda m: _TEX_LETTERS[m.group(1)], accented)
    return unicodedata.normalize("NFC", lettered)


def _category(feed_link: str | None) -> str | None:
    """The category of http://rss.arxiv.org/rss/cs.AI or .../atom/cs.AI: its last segment."""
    segment = (feed_link or "").strip().rstrip("/").rpartition("/")[2]
    return segment or None


def _feed_date(
    read: Callable[[Element, str], datetime | None], parent: Element, name: str, fallback: str
) -> datetime | None:
    """The feed's own date: every item's listing day hangs on it, so a bad one refuses the
    whole feed (a bad item date only skips that item)."""
    try:
        return read(parent, name) or read(parent, fallback)
    except RecordError as error:
        raise MalformedResponse(f"{_WHAT}: {error}") from None


def _rss_date(parent: Element, name: str) -> datetime | None:
    text = (text_of(parent.find(name)) or "").strip()
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        raise RecordError(f"<{name}> is not an RFC 822 date: {text[:40]!r}") from None
    return record_moment(parsed, f"<{name}>")


def _atom_date(parent: Element, name: str) -> datetime | None:
    text = (text_of(parent.find(f"{_ATOM}{name}")) or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"<{name}> is not a timestamp: {text[:40]!r}") from None
    return record_moment(parsed, f"<{name}>")
