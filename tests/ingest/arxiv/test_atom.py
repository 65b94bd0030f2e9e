"""Parsing the arXiv API's Atom feed: recorded responses, the error feed, bad XML."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from factories import TEST_DATA

from paperwire.ingest.arxiv.atom import ApiError, ApiPage, parse_api_feed
from paperwire.ingest.arxiv.xmlsafe import MalformedResponse

ATOM_DIR = TEST_DATA / "arxiv" / "atom"
SCIENCE = ATOM_DIR / "arxiv_api_query_all_science_2019-08-10.xml"
ELECTRON = ATOM_DIR / "arxiv_docs_user_manual_example_electron.xml"
ERROR = ATOM_DIR / "arxiv_docs_user_manual_error_incorrect_id.xml"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol3;</title></feed>
"""


def _electron_with(old: bytes, new: bytes) -> ApiPage:
    """The manual's example response with one fragment replaced."""
    data = ELECTRON.read_bytes()
    assert old in data
    return parse_api_feed(data.replace(old, new))


def test_search_response_maps_ten_entries_with_paging_totals() -> None:
    page = parse_api_feed(SCIENCE.read_bytes())
    assert (page.total_results, page.start_index, page.items_per_page) == (120839, 0, 10)
    assert page.rejected == []
    assert [p.arxiv_id for p in page.papers] == [
        "1501.05039",
        "1503.01162",
        "quant-ph/0210005",
        "0808.0631",
        "0808.0638",
        "0808.0639",
        "0705.1367",
        "1802.03292",
        "physics/0507092",
        "1312.7288",
    ]
    assert {p.version for p in page.papers} == {1}
    first = page.papers[0]
    assert first.title == "Defining Data Science"
    assert first.authors == ("Yangyong Zhu", "Yun Xiong")
    assert first.categories == ("cs.DB", "cs.CY")
    assert first.primary_category == "cs.DB"
    assert first.abstract.startswith("Data science is gaining more and more")
    assert "\n" not in first.abstract
    assert first.published_at == datetime(2015, 1, 21, 2, 41, 55, tzinfo=UTC)
    assert first.updated_at == first.published_at
    # Tuesday 21:41 in New York, past the 14:00 cut-off: announced Wednesday, dated Thursday.
    assert first.listing_day == date(2015, 1, 22)
    assert first.listing_day_exact is False


def test_search_response_keeps_doi_journal_ref_comment_and_non_ascii_names() -> None:
    by_id = {p.arxiv_id: p for p in parse_api_feed(SCIENCE.read_bytes()).papers}
    report = by_id["1503.01162"]
    assert report.authors == ("Peter Garik", "Yann Benétreau-Dupin")
    assert report.doi == "10.1007/s11191-014-9716-8"
    assert report.journal_ref == "Science & Education, September 2014, 23(9): 1853-1873"
    assert report.comment == "Conference funded by NSF grant REESE-1205273. 31 pages"
    assert report.title == (
        "Report on a Boston University Conference December 7-8, 2012 on 'How Can the History "
        "and Philosophy of Science Contribute to Contemporary U.S. Science Teaching?'"
    )
    assert report.categories == ("physics.ed-ph", "physics.hist-ph", "physics.soc-ph")
    assert by_id["0808.0631"].authors == ("Hans R. Künsch",)
    assert by_id["quant-ph/0210005"].comment == (
        "6 pages, invited contribution to QCMC 2002, a considerably abbreviated version of "
        "quant-ph/0208078"
    )
    assert by_id["quant-ph/0210005"].doi is None
    # Affiliations are not part of the names.
    assert by_id["physics/0507092"].authors == ("G. Giacomelli", "R. Giacomelli")
    # MSC and ACM classes written as <category> terms are not arXiv categories.
    assert by_id["1802.03292"].categories == ("cs.LO",)


def test_manual_example_takes_the_version_from_the_abs_link_of_an_old_style_id() -> None:
    page = parse_api_feed(ELECTRON.read_bytes())
    assert (page.total_results, page.start_index, page.items_per_page) == (1000, 0, 1)
    (paper,) = page.papers
    assert paper.arxiv_id == "hep-ex/0307015"
    assert paper.version == 1  # <id> has none; <link rel="alternate"> ends in v1
    assert (
        paper.title
        == "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    )
    assert paper.authors == ("H1 Collaboration",)
    assert paper.journal_ref == "Eur.Phys.J. C31 (2003) 17-29"
    assert paper.comment == "23 pages, 8 figures and 4 tables"
    assert paper.primary_category == "hep-ex" and paper.categories == ("hep-ex",)
    assert paper.published_at == datetime(2003, 7, 7, 17, 46, 39, tzinfo=UTC)
    assert paper.listing_day == date(2003, 7, 8)  # Monday 13:46 EDT, before the cut-off


def test_error_feed_raises_api_error_with_the_message() -> None:
    with pytest.raises(ApiError) as raised:
        parse_api_feed(ERROR.read_bytes())
    assert str(raised.value) == "arXiv API error: incorrect id format for 1234.12345"
    assert raised.value.detail == "incorrect id format for 1234.12345"


def test_primary_category_comes_first_without_duplicates() -> None:
    page = _electron_with(
        b'<category term="hep-ex" scheme="http://arxiv.org/schemas/atom"/>',
        b'<category term="hep-ph"/><category term="hep-ex"/><category term="hep-ph"/>',
    )
    assert page.papers[0].categories == ("hep-ex", "hep-ph")
    assert page.papers[0].primary_category == "hep-ex"


def test_withdrawn_paper_is_parsed_like_any_other() -> None:
    page = _electron_with(
        b"23 pages, 8 figures and 4 tables",
        b"This paper has been withdrawn by the author due to an error in Table 2",
    )
    (paper,) = page.papers
    assert paper.arxiv_id == "hep-ex/0307015"
    assert paper.comment == "This paper has been withdrawn by the author due to an error in Table 2"


def test_version_and_doi_list_of_the_entry_are_read() -> None:
    page = _electron_with(
        b'<id xmlns="http://www.w3.org/2005/Atom">http://arxiv.org/abs/hep-ex/0307015</id>',
        b"<id>http://arxiv.org/abs/hep-ex/0307015v3</id>"
        b"<arxiv:doi>10.1140/epjc/s2003-01326-x 10.1000/other</arxiv:doi>",
    )
    assert page.papers[0].version == 3
    assert page.papers[0].doi == "10.1140/epjc/s2003-01326-x"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            b"http://arxiv.org/abs/hep-ex/0307015</id>",
            b"not-an-id</id>",
            "not-an-id: not an arXiv identifier",
        ),
        (
            b"Multi-Electron Production at High Transverse Momenta in ep Collisions at\n  HERA",
            b" ",
            "http://arxiv.org/abs/hep-ex/0307015: missing <title>",
        ),
    ],
    ids=["bad id", "blank title"],
)
def test_entry_without_title_or_with_a_bad_id_is_rejected_with_the_reason(
    old: bytes, new: bytes, reason: str
) -> None:
    page = _electron_with(old, new)
    assert page.papers == []
    assert len(page.rejected) == 1 and page.rejected[0].startswith(reason)


def test_feed_without_opensearch_totals_raises_malformed_response() -> None:
    with pytest.raises(MalformedResponse, match="totalResults"):
        _electron_with(b">1000</opensearch:totalResults>", b"></opensearch:totalResults>")


def test_truncated_feed_raises_malformed_response() -> None:
    data = SCIENCE.read_bytes()
    with pytest.raises(MalformedResponse, match=r"^arXiv API feed: not well-formed XML \("):
        parse_api_feed(data[: len(data) // 2])


@pytest.mark.parametrize("data", [b"", b"Rate exceeded.", b"\x00\xff\xfe"], ids=repr)
def test_bytes_that_are_not_xml_raise_malformed_response(data: bytes) -> None:
    with pytest.raises(MalformedResponse, match=r"^arXiv API feed: not well-formed XML"):
        parse_api_feed(data)


def test_billion_laughs_payload_is_refused() -> None:
    with pytest.raises(MalformedResponse, match=r"^arXiv API feed: .*not allowed"):
        parse_api_feed(BILLION_LAUGHS)


def test_other_root_element_raises_malformed_response() -> None:
    data = (TEST_DATA / "arxiv" / "oai-pmh" / "arxiv-single.xml").read_bytes()
    with pytest.raises(MalformedResponse, match="unexpected root element <OAI-PMH>"):
        parse_api_feed(data)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            b'<published xmlns="http://www.w3.org/2005/Atom">2003-07-07T13:46:39-04:00',
            b'<published xmlns="http://www.w3.org/2005/Atom">9999-12-31T23:59:59-12:00',
            "<published>: 9999-12-31 is more than 7 days ahead",
        ),
        (
            b'<updated xmlns="http://www.w3.org/2005/Atom">2003-07-07T13:46:39-04:00',
            b'<updated xmlns="http://www.w3.org/2005/Atom">0001-01-01T00:00:00+01:00',
            "<updated>: 0001-01-01 is before arXiv began (1991)",
        ),
    ],
    ids=["year 9999", "year 1"],
)
def test_entry_with_a_date_out_of_range_is_rejected_with_the_reason(
    old: bytes, new: bytes, reason: str
) -> None:
    page = _electron_with(old, new)
    assert page.papers == []
    assert page.rejected == [f"http://arxiv.org/abs/hep-ex/0307015: {reason}"]
