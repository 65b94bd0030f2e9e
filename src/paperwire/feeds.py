"""Turn a list of papers and what the list is into an RSS 2.0 or Atom feed (with feedgen)."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from paperwire import __version__
from paperwire.papers import Paper
from paperwire.ranking.calendar import start_of_listing_day
from paperwire.storage.code import PaperCode
from paperwire.text import without_unsafe_controls

FeedFormat = Literal["rss", "atom"]
FEED_FORMATS: tuple[FeedFormat, ...] = ("rss", "atom")
CONTENT_TYPES: dict[FeedFormat, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}
FEED_LANGUAGE = "en"
# Characters XML 1.0 forbids (C0 controls other than tab and newlines, lone surrogates,
# U+FFFE/U+FFFF): lxml refuses them, and a stray form feed in an abstract or a query would
# otherwise turn a feed into a server error.
_NOT_XML_RE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# feedgen formats RSS dates by switching the whole process's locale to C and back, which
# two threads doing at once can leave switched: one feed is built at a time.
_FEEDGEN_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Channel:
    """What a feed says about itself; paths are joined to base_url to make absolute links."""

    title: str
    description: str
    base_url: str  # "https://papers.example.org", no trailing slash
    page_path: str  # the HTML page showing the same list, e.g. /papers/date/2024-04-08
    feed_path: str  # this feed, with its query string, e.g. /feeds/search.rss?q=agents


def build_feed(
    channel: Channel,
    papers: Sequence[Paper],
    feed_format: FeedFormat,
    code: Mapping[str, PaperCode] | None = None,
) -> bytes:
    """The feed document, UTF-8, listing papers in the order given; code: the papers' code
    links and stars, added to their descriptions.

    The feed's date (RSS lastBuildDate, Atom updated) is that of its newest paper; a feed
    with no dated paper gets feedgen's default, the current time.
    """
    generator = _channel_generator(channel, feed_format)
    for paper in papers:
        found = (code or {}).get(paper.arxiv_id)
        _add_paper(generator, channel.base_url, paper, feed_format, _code_parts(found))
    dates = [moment for moment in map(listed_at, papers) if moment is not None]
    if dates:
        generator.updated(max(dates))
    with _FEEDGEN_LOCK:
        document = generator.rss_str() if feed_format == "rss" else generator.atom_str()
    return bytes(document)


def listed_at(paper: Paper) -> datetime | None:
    """When a paper appeared: midnight (arXiv's time zone) of its listing day, else its
    first version's submission time."""
    if paper.listing_day is not None:
        return start_of_listing_day(paper.listing_day)
    return paper.published_at


def paper_url(base_url: str, paper: Paper) -> str:
    return f"{base_url}/papers/{paper.arxiv_id}"


def _channel_generator(channel: Channel, feed_format: FeedFormat) -> FeedGenerator:
    generator = FeedGenerator()
    if feed_format == "rss":
        generator.load_extension("dc", atom=False, rss=True)  # dc:creator for item authors
    self_url = channel.base_url + channel.feed_path
    generator.id(self_url)
    generator.title(_text(channel.title))
    generator.description(_text(channel.description))
    generator.language(FEED_LANGUAGE)
    generator.generator("paperwire", version=__version__)
    # RSS's channel <link> is the last link given: the HTML page, after the self link.
    generator.link(href=self_url, rel="self", type=CONTENT_TYPES[feed_format].split(";")[0])
    generator.link(href=channel.base_url + channel.page_path, rel="alternate", type="text/html")
    return generator


def _add_paper(
    generator: FeedGenerator,
    base_url: str,
    paper: Paper,
    feed_format: FeedFormat,
    code: list[tuple[str, str, str]],
) -> None:
    entry = generator.add_entry(order="append")
    url = paper_url(base_url, paper)
    entry.guid(url, permalink=True)  # also the Atom id
    entry.title(_text(" ".join(paper.title.split())))
    entry.link(href=url, rel="alternate", type="text/html")
    for category in paper.categories:
        entry.category(term=_text(category))
    moment = listed_at(paper)
    if moment is not None:
        entry.published(moment)
        entry.updated(moment)
    if feed_format == "rss":
        entry.description(_abstract_html(paper.abstract) + _code_html(code))
        if paper.authors:
            entry.dc.dc_creator(_text(", ".join(paper.authors)))
    else:
        entry.summary(_text(paper.abstract) + _code_text(code), type="text")
        for name in paper.authors:
            entry.author(name=_text(name))


def _code_html(parts: list[tuple[str, str, str]]) -> str:
    """A paragraph with the paper's code and project links for RSS's HTML description."""
    links = " · ".join(
        f'{label}: <a href="{html.escape(url)}">{html.escape(url)}</a>{html.escape(note)}'
        for label, url, note in parts
    )
    return f"<p>{links}</p>" if parts else ""


def _code_text(parts: list[tuple[str, str, str]]) -> str:
    """The same as a last paragraph of Atom's plain-text summary."""
    line = " · ".join(f"{label}: {url}{note}" for label, url, note in parts)
    return f"\n\n{line}" if parts else ""


def _code_parts(code: PaperCode | None) -> list[tuple[str, str, str]]:
    """(label, URL, note) of the paper's web links, e.g. ("Code", URL, " (★ 1,234, +56 this
    week)"): readers may edit links, so nothing but an http(s) URL goes to feed readers."""
    parts: list[tuple[str, str, str]] = []
    if code is None:
        return parts
    if _web_url(code.code_url):
        note = ""
        if code.stars is not None:
            week = f", +{code.stars_gained_week:,} this week" if code.stars_gained_week > 0 else ""
            note = f" (★ {code.stars:,}{week})"
        parts.append(("Code", _text(str(code.code_url)), note))
    if _web_url(code.project_url):
        parts.append(("Project page", _text(str(code.project_url)), ""))
    return parts


def _web_url(url: str | None) -> bool:
    if url is None:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def _abstract_html(abstract: str) -> str:
    """RSS readers show an item's description as HTML: escape the abstract once more so
    that text such as "x<y" or "<i>" reads as written, and keep its paragraphs."""
    parts = (part.strip() for part in _text(abstract).split("\n\n"))
    return "".join(f"<p>{html.escape(part)}</p>" for part in parts if part)


def _text(value: str) -> str:
    """value as feed text: nothing XML forbids, and no control or bidi-override character,
    which a feed reader would show as the page would."""
    return _NOT_XML_RE.sub("", without_unsafe_controls(value))
