"""The feed builder (pure) and the category query feeds read (on every backend)."""

from __future__ import annotations

import locale
import re
import sys
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import feedparser
import pytest
from factories import make_paper

from paperwire.feeds import FEED_FORMATS, Channel, FeedFormat, build_feed, listed_at
from paperwire.papers import Paper
from paperwire.storage import Database
from paperwire.storage.categories import _recent_ids_query, papers_in_category
from paperwire.storage.papers import upsert_papers

BASE = "https://papers.example.org"
CHANNEL = Channel(
    title="paperwire: Mon, 8 Apr 2024",
    description="Papers listed on Mon, 8 Apr 2024, most upvoted first.",
    base_url=BASE,
    page_path="/papers/date/2024-04-08",
    feed_path="/papers/date/2024-04-08.rss",
)


def _unlisted(**overrides: Any) -> Paper:
    """A paper no listing has shown (yet)."""
    return replace(make_paper(**overrides), listing_day=None)


def _parse(papers: list[Paper], feed_format: FeedFormat) -> Any:
    parsed = feedparser.parse(build_feed(CHANNEL, papers, feed_format))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def test_rss_lists_papers_in_the_order_given_with_the_channel() -> None:
    papers = [make_paper(title="Second best"), make_paper(title="Best", authors=("Solo",))]
    parsed = _parse(papers, "rss")
    assert parsed.version == "rss20"
    assert parsed.feed.title == CHANNEL.title
    assert parsed.feed.link == BASE + "/papers/date/2024-04-08"
    assert parsed.feed.subtitle == CHANNEL.description
    assert parsed.feed.language == "en"
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == BASE + CHANNEL.feed_path
    assert [entry.title for entry in parsed.entries] == ["Second best", "Best"]
    first = parsed.entries[0]
    assert first.link == first.id == f"{BASE}/papers/{papers[0].arxiv_id}"
    assert first.author == "Ada Lovelace, Alan Turing"
    assert parsed.entries[1].author == "Solo"
    assert [tag.term for tag in first.tags] == ["cs.AI", "cs.LG"]
    assert first.published == "Mon, 08 Apr 2024 00:00:00 -0400"


def test_atom_names_each_author_and_gives_the_abstract_as_text() -> None:
    paper = make_paper(abstract="We prove x<y & y>z.\n\nSecond paragraph.")
    parsed = _parse([paper], "atom")
    assert parsed.version == "atom10"
    assert parsed.feed.id == BASE + CHANNEL.feed_path
    entry = parsed.entries[0]
    assert entry.id == entry.link == f"{BASE}/papers/{paper.arxiv_id}"
    assert [author.name for author in entry.authors] == ["Ada Lovelace", "Alan Turing"]
    assert entry.summary_detail.type == "text/plain"
    assert entry.summary == "We prove x<y & y>z.\n\nSecond paragraph."
    assert entry.published == entry.updated == "2024-04-08T00:00:00-04:00"


def test_rss_description_is_html_that_reads_as_the_abstract_was_written() -> None:
    paper = make_paper(abstract="We prove x<y and <i>more</i>.\n\n  Second paragraph.  ")
    parsed = _parse([paper], "rss")
    expected = "<p>We prove x&lt;y and &lt;i&gt;more&lt;/i&gt;.</p><p>Second paragraph.</p>"
    assert parsed.entries[0].summary == expected


@pytest.mark.parametrize("feed_format", FEED_FORMATS)
def test_an_empty_list_is_still_a_valid_feed(feed_format: FeedFormat) -> None:
    parsed = _parse([], feed_format)
    assert parsed.entries == []
    assert parsed.feed.title == CHANNEL.title
    assert parsed.feed.updated


@pytest.mark.parametrize("feed_format", FEED_FORMATS)
def test_the_feed_is_dated_by_its_newest_paper(feed_format: FeedFormat) -> None:
    papers = [make_paper(listing_day=date(2024, 4, 8)), make_paper(listing_day=date(2024, 4, 10))]
    parsed = _parse(papers, feed_format)
    assert parsed.feed.updated_parsed[:5] == (2024, 4, 10, 4, 0)  # midnight in New York, UTC


def test_a_paper_without_listing_day_is_dated_by_its_first_version() -> None:
    submitted = datetime(2024, 4, 5, 17, 30, tzinfo=UTC)
    assert listed_at(_unlisted(published_at=submitted)) == submitted
    assert listed_at(_unlisted(published_at=None)) is None
    in_new_york = listed_at(make_paper(listing_day=date(2024, 1, 15)))
    assert in_new_york is not None and in_new_york.utcoffset() == timedelta(hours=-5)
    parsed = _parse([_unlisted(published_at=None)], "atom")
    assert len(parsed.entries) == 1 and "published" not in parsed.entries[0]


@pytest.mark.parametrize("feed_format", FEED_FORMATS)
def test_characters_xml_forbids_are_dropped_and_titles_are_one_line(
    feed_format: FeedFormat,
) -> None:
    paper = make_paper(
        title="Wrapped\n  title\x0b with a control",
        abstract="Form\x0cfeed and escape\x1b.",
        authors=("Null\x00 Byte",),
        categories=("cs.AI",),
    )
    channel = Channel("paperwire: search “a\x01b”", "Matches of a\x01b.", BASE, "/", "/f.rss")
    parsed = feedparser.parse(build_feed(channel, [paper], feed_format))
    assert parsed.bozo == 0
    assert parsed.feed.title == "paperwire: search “ab”"
    entry = parsed.entries[0]
    assert entry.title == "Wrapped title with a control"
    assert "Formfeed and escape." in entry.summary
    assert entry.author == "Null Byte"


@pytest.mark.parametrize("feed_format", FEED_FORMATS)
def test_bidi_overrides_and_c1_controls_never_reach_a_feed(feed_format: FeedFormat) -> None:
    paper = make_paper(
        title="Safe\u202e fdp.exe",
        abstract="Next\x85line and \u2066isolated\u2069 text.",
        authors=("Eve\u202d Override",),
        comment="c\x9b",
    )
    channel = Channel("paperwire: search “\u202ex”", "Matches of \u202ex.", BASE, "/", "/f")
    document = build_feed(channel, [paper], feed_format).decode()
    assert not re.search("[\x80-\x9f\u202a-\u202e\u2066-\u2069]", document)
    parsed = feedparser.parse(document)
    assert parsed.bozo == 0
    assert parsed.feed.title == "paperwire: search “x”"
    assert parsed.entries[0].title == "Safe fdp.exe"
    assert "Nextline and isolated text." in parsed.entries[0].summary


def test_feeds_built_in_parallel_leave_the_process_locale_as_it_was() -> None:
    # feedgen switches the process's locale to C while it formats an RSS date.
    before = locale.setlocale(locale.LC_ALL)
    papers = [make_paper() for _ in range(20)]

    def build_many() -> None:
        for _ in range(20):
            build_feed(CHANNEL, papers, "rss")

    threads = [threading.Thread(target=build_many) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: without the lock, this fails
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    after = locale.setlocale(locale.LC_ALL)
    locale.setlocale(locale.LC_ALL, before)  # so that a failure here spoils no other test
    assert after == before


# papers_in_category: the query behind /feeds/category/{code}, on each backend.


def _store(db: Database, *papers: Paper) -> list[str]:
    upsert_papers(db, list(papers))
    return [paper.arxiv_id for paper in papers]


def _ids(papers: list[Paper]) -> list[str]:
    return [paper.arxiv_id for paper in papers]


def test_category_matches_whole_codes_of_listed_papers_newest_first(db: Database) -> None:
    newer, older = _store(
        db,
        make_paper(categories=("cs.LG", "cs.AI"), listing_day=date(2024, 4, 9)),
        make_paper(categories=("cs.AI",), listing_day=date(2024, 4, 8)),
    )
    _store(
        db,
        make_paper(categories=("cs.AIX",), listing_day=date(2024, 4, 10)),
        make_paper(categories=("xcs.AI",), listing_day=date(2024, 4, 10)),
        _unlisted(categories=("cs.AI",)),
        make_paper(categories=("math.GT",), listing_day=date(2024, 4, 10)),
    )
    assert _ids(papers_in_category(db, "cs.AI", 50)) == [newer, older]
    assert _ids(papers_in_category(db, "cs.AI", 1)) == [newer]
    assert papers_in_category(db, "cs.ai", 50) == []  # SQLite's LIKE alone would match
    assert papers_in_category(db, "hep-th", 50) == []


def test_one_day_is_ordered_by_submission_then_id(db: Database) -> None:
    day = date(2024, 4, 8)
    at = datetime(2024, 4, 5, tzinfo=UTC)
    late, early, no_time = _store(
        db,
        make_paper(arxiv_id="2404.00003", listing_day=day, published_at=at + timedelta(hours=5)),
        make_paper(arxiv_id="2404.00001", listing_day=day, published_at=at),
        make_paper(arxiv_id="2404.00002", listing_day=day, published_at=None),
    )
    tied = _store(db, make_paper(arxiv_id="2404.00000", listing_day=day, published_at=at))[0]
    assert _ids(papers_in_category(db, "cs.AI", 50)) == [late, tied, early, no_time]


def test_like_wildcards_in_a_code_match_only_themselves(db: Database) -> None:
    underscore, _ = _store(db, make_paper(categories=("cs.A_",)), make_paper(categories=("cs.AB",)))
    assert _ids(papers_in_category(db, "cs.A_", 50)) == [underscore]
    assert papers_in_category(db, "cs.%", 50) == []
    assert papers_in_category(db, "cs.A\\", 50) == []


def test_papers_listed_long_before_the_newest_day_are_still_found(db: Database) -> None:
    newest, ancient = _store(
        db,
        make_paper(categories=("hep-th",), listing_day=date(2024, 4, 8)),
        make_paper(categories=("hep-th",), listing_day=date(2019, 1, 7)),
    )
    _store(db, *(make_paper(listing_day=date(2024, 4, 8)) for _ in range(3)))  # cs.AI, cs.LG
    assert _ids(papers_in_category(db, "hep-th", 50)) == [newest, ancient]
    assert _ids(papers_in_category(db, "hep-th", 2)) == [newest, ancient]


def test_an_empty_database_has_no_papers_in_any_category(db: Database) -> None:
    assert papers_in_category(db, "cs.AI", 50) == []


def test_sqlite_walks_the_listing_index_instead_of_sorting_every_paper(
    sqlite_db: Database,
) -> None:
    for since in (date(2024, 4, 1), None):
        query = _recent_ids_query("cs.AI", 50, since=since)
        compiled = query.compile(sqlite_db.engine, compile_kwargs={"literal_binds": True})
        with sqlite_db.engine.connect() as connection:
            plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
        assert any("USING INDEX ix_papers_listing_rank" in step for step in plan), plan
        # Only the ties within one day are sorted, never the whole table.
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
