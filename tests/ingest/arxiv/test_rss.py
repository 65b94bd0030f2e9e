"""Parsing arXiv's announcement feed (Atom and RSS 2.0): announce types and listing days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from factories import TEST_DATA

from paperwire.ingest.arxiv.rss import (
    AnnouncementFeed,
    listing_day_of_announcement,
    parse_announcement_feed,
    untex,
)
from paperwire.ingest.arxiv.xmlsafe import MalformedResponse

FEED = TEST_DATA / "arxiv" / "rss" / "rss_arxiv_atom_cs.AI_2025-08-20.xml"
NEW_YORK = ZoneInfo("America/New_York")
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>
"""
# The RSS 2.0 flavour of the same feed (rss.arxiv.org/rss/cs.AI), in the shape of arXiv's
# RSS specification page; the items reuse the fixture's papers with other announce types.
RSS_2 = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 version="2.0">
<channel>
<title>cs.AI updates on arXiv.org</title>
<link>http://rss.arxiv.org/rss/cs.AI</link>
<description>cs.AI updates on the arXiv.org e-print archive.</description>
<atom:link href="http://rss.arxiv.org/rss/cs.AI" rel="self" type="application/rss+xml"/>
<docs>http://www.rssboard.org/rss-specification</docs>
<language>en-us</language>
<lastBuildDate>Fri, 23 Feb 2024 05:00:11 +0000</lastBuildDate>
<managingEditor>rss-help@arxiv.org</managingEditor>
<pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>
<skipDays><day>Saturday</day><day>Sunday</day></skipDays>
<item>
<title>Mitigating Easy Option Bias in Multiple-Choice Question Answering</title>
<link>https://arxiv.org/abs/2402.14001</link>
<description>arXiv:2402.14001v1 Announce Type: new
Abstract: In this early study, we observe an Easy-Options Bias (EOB) issue.</description>
<guid isPermaLink="false">oai:arXiv.org:2402.14001v1</guid>
<category>cs.AI</category>
<category>cs.CV</category>
<pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>
<arxiv:announce_type>new</arxiv:announce_type>
<dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
<dc:creator>Hao Zhang, Chen Li, Basura Fernando</dc:creator>
</item>
<item>
<title>AlphaX: An AI-Based Value Investing Strategy for the Brazilian Stock Market</title>
<link>https://arxiv.org/abs/2401.13429</link>
<description>arXiv:2401.13429v3 Announce Type: replace-cross
Abstract: Autonomous trading strategies have been a subject of research.</description>
<guid isPermaLink="false">oai:arXiv.org:2401.13429v3</guid>
<category>q-fin.CP</category>
<category>cs.AI</category>
<pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>
<arxiv:announce_type>replace-cross</arxiv:announce_type>
<dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
<dc:creator>Paulo Andr\\'e Lima de Castro</dc:creator>
</item>
</channel>
</rss>
"""


def _feed() -> AnnouncementFeed:
    return parse_announcement_feed(FEED.read_bytes())


def test_atom_feed_maps_announcements_ids_versions_authors_and_categories() -> None:
    feed = _feed()
    assert feed.category == "cs.AI"
    assert feed.published == datetime(2025, 8, 20, 4, 0, 19, 866337, tzinfo=UTC)
    assert feed.rejected == []
    assert [(a.paper.arxiv_id, a.announce_type) for a in feed.announcements] == [
        ("2508.13426", "cross"),
        ("2508.13428", "cross"),
        ("2508.13429", "cross"),
        ("2508.13434", "cross"),
        ("2508.13435", "cross"),
        ("2508.14001", "new"),
        ("2508.14002", "new"),
    ]
    first = feed.announcements[0].paper
    assert first.version == 1
    assert first.title == (
        "ALIGN: Word Association Learning for Cross-Cultural Generalization in Large Language "
        "Models"
    )
    assert first.authors == ("Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang")
    # A cross-list names the paper's own primary category first, then cs.AI.
    assert first.categories == ("cs.CL", "cs.AI")
    assert first.primary_category == "cs.CL"
    assert first.abstract.startswith("As large language models (LLMs) increasingly mediate")
    assert first.abstract.endswith("improving cultural alignment in AI models.")
    assert "Announce Type" not in first.abstract and "Abstract:" not in first.abstract
    # The feed tells when the paper was listed, not when it was submitted.
    assert first.published_at is None and first.updated_at is None
    assert feed.announcements[1].paper.categories == ("cs.CV", "cs.AI", "cs.MM")
    assert feed.announcements[5].paper.abstract == (
        "We propose a neural architecture search method for efficient transformers."
    )


def test_tex_accents_in_creator_names_become_letters() -> None:
    alphax = _feed().announcements[2].paper
    assert alphax.arxiv_id == "2508.13429"
    assert alphax.authors == ("Paulo André Lima de Castro",)  # dc:creator: Andr\'e


def test_new_and_cross_announcements_carry_the_exact_listing_day() -> None:
    # Every entry is published 2025-08-20T00:00:00-04:00, a Wednesday: the listing arXiv
    # announced on Tuesday 19 August at 20:00 ET and dated Wednesday 20 August.
    for announcement in _feed().announcements:
        assert announcement.paper.listing_day == date(2025, 8, 20)
        assert announcement.paper.listing_day_exact is True


@pytest.mark.parametrize(
    ("moment", "listing_day"),
    [
        # The feed's own dates: midnight Eastern of the listing day (a Wednesday, a Friday).
        (datetime(2025, 8, 20, 0, 0, tzinfo=NEW_YORK), date(2025, 8, 20)),
        (datetime(2024, 2, 23, 0, 0, tzinfo=NEW_YORK), date(2024, 2, 23)),
        # The announcement itself, 20:00 Eastern the evening before: the next weekday.
        (datetime(2025, 8, 19, 20, 0, tzinfo=NEW_YORK), date(2025, 8, 20)),
        (datetime(2025, 8, 21, 20, 0, tzinfo=NEW_YORK), date(2025, 8, 22)),  # Thu -> Fri
        (datetime(2025, 8, 24, 20, 0, tzinfo=NEW_YORK), date(2025, 8, 25)),  # Sun -> Mon
        # The rebuild a few seconds after midnight, in UTC as the Atom <updated> gives it.
        (datetime(2025, 8, 20, 4, 0, 19, tzinfo=UTC), date(2025, 8, 20)),
    ],
)
def test_listing_day_is_the_eastern_date_of_the_feed_or_the_day_after_an_evening_announcement(
    moment: datetime, listing_day: date
) -> None:
    assert listing_day_of_announcement(moment) == listing_day


@pytest.mark.parametrize("announce_type", ["replace", "replace-cross"])
def test_replacements_leave_the_listing_day_unknown(announce_type: str) -> None:
    data = FEED.read_bytes().replace(
        b"<arxiv:announce_type>new</arxiv:announce_type>",
        f"<arxiv:announce_type>{announce_type}</arxiv:announce_type>".encode(),
    )
    replaced = parse_announcement_feed(data).announcements[-1]
    assert replaced.announce_type == announce_type
    assert replaced.paper.arxiv_id == "2508.14002"
    assert replaced.paper.listing_day is None
    assert replaced.paper.listing_day_exact is False


def test_rss_2_feed_is_parsed_like_the_atom_one() -> None:
    feed = parse_announcement_feed(RSS_2)
    assert feed.category == "cs.AI"
    assert feed.published == datetime(2024, 2, 23, 5, 0, tzinfo=UTC)
    new, replaced = feed.announcements
    assert new.announce_type == "new"
    assert new.paper.arxiv_id == "2402.14001" and new.paper.version == 1
    assert new.paper.title == "Mitigating Easy Option Bias in Multiple-Choice Question Answering"
    assert new.paper.authors == ("Hao Zhang", "Chen Li", "Basura Fernando")
    assert new.paper.categories == ("cs.AI", "cs.CV")
    assert new.paper.primary_category == "cs.AI"
    assert new.paper.abstract == (
        "In this early study, we observe an Easy-Options Bias (EOB) issue."
    )
    assert new.paper.listing_day == date(2024, 2, 23)
    assert new.paper.listing_day_exact is True
    assert replaced.announce_type == "replace-cross"
    assert replaced.paper.version == 3
    assert replaced.paper.authors == ("Paulo André Lima de Castro",)
    assert replaced.paper.listing_day is None and not replaced.paper.listing_day_exact


def test_announce_type_and_id_fall_back_to_the_description() -> None:
    data = RSS_2.replace(b"<arxiv:announce_type>new</arxiv:announce_type>", b"").replace(
        b'<guid isPermaLink="false">oai:arXiv.org:2402.14001v1</guid>', b""
    )
    new = parse_announcement_feed(data).announcements[0]
    assert new.announce_type == "new"
    assert new.paper.arxiv_id == "2402.14001" and new.paper.version == 1


def test_item_with_a_bad_id_is_rejected_and_the_rest_kept() -> None:
    data = RSS_2.replace(b"arXiv:2402.14001v1 Announce", b"arXiv:nonsense Announce")
    feed = parse_announcement_feed(data)
    assert [a.paper.arxiv_id for a in feed.announcements] == ["2401.13429"]
    assert feed.rejected == ["oai:arXiv.org:2402.14001v1: not an arXiv identifier: 'nonsense'"]


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("Andr\\'e", "André"),
        ("Mart\\'{\\i}nez", "Martínez"),
        ('{\\"O}zg{\\"u}r', "Özgür"),
        ("Fran\\c{c}ois", "François"),
        ("Erd\\H{o}s", "Erdős"),
        ("\\v{S}koda", "Škoda"),
        ("{\\o}rsted", "ørsted"),
        ("Plain Name", "Plain Name"),
    ],
)
def test_untex_turns_accent_commands_into_letters(tex: str, text: str) -> None:
    assert untex(tex) == text


def test_truncated_feed_raises_malformed_response() -> None:
    data = FEED.read_bytes()
    with pytest.raises(
        MalformedResponse, match=r"^arXiv announcement feed: not well-formed XML \("
    ):
        parse_announcement_feed(data[: len(data) // 2])


@pytest.mark.parametrize("data", [b"", b"<!-- nothing -->", b"not xml at all"], ids=repr)
def test_bytes_that_are_not_xml_raise_malformed_response(data: bytes) -> None:
    with pytest.raises(MalformedResponse, match=r"^arXiv announcement feed: not well-formed XML"):
        parse_announcement_feed(data)


def test_billion_laughs_payload_is_refused() -> None:
    with pytest.raises(MalformedResponse, match=r"^arXiv announcement feed: .*not allowed"):
        parse_announcement_feed(BILLION_LAUGHS)


def test_other_root_element_raises_malformed_response() -> None:
    data = (TEST_DATA / "arxiv" / "oai-pmh" / "arxiv-single.xml").read_bytes()
    with pytest.raises(MalformedResponse, match="unexpected root element <OAI-PMH>"):
        parse_announcement_feed(data)


def test_item_dated_out_of_range_is_rejected_and_the_rest_kept() -> None:
    dated = b"<pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>\n<arxiv:announce_type>new"
    assert dated in RSS_2
    data = RSS_2.replace(
        dated, b"<pubDate>Fri, 31 Dec 9999 23:59:59 -1200</pubDate>\n<arxiv:announce_type>new"
    )
    feed = parse_announcement_feed(data)
    assert [a.paper.arxiv_id for a in feed.announcements] == ["2401.13429"]
    assert feed.rejected == [
        "oai:arXiv.org:2402.14001v1: <pubDate>: 9999-12-31 is more than 7 days ahead"
    ]


@pytest.mark.parametrize(
    "date_text", [b"Mon, 31 Dec 1990 23:30:00 -0100", b"Fri, 31 Dec 9999 23:59:59 -1200"]
)
def test_feed_dated_out_of_range_raises_malformed_response(date_text: bytes) -> None:
    channel_date = b"<pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>\n<skipDays>"
    assert channel_date in RSS_2
    data = RSS_2.replace(channel_date, b"<pubDate>" + date_text + b"</pubDate>\n<skipDays>")
    with pytest.raises(MalformedResponse, match=r"^arXiv announcement feed: <pubDate>: "):
        parse_announcement_feed(data)
