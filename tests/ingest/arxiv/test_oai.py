"""Parsing OAI-PMH pages in arXiv's metadata format: recorded responses, errors, bad XML."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from factories import TEST_DATA

from paperwire.ingest.arxiv.oai import OaiError, OaiPage, parse_oai_page
from paperwire.ingest.arxiv.xmlsafe import MalformedResponse
from paperwire.papers import Paper

OAI_DIR = TEST_DATA / "arxiv" / "oai-pmh"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="x">&lol4;</error></OAI-PMH>
"""


def _page(name: str) -> OaiPage:
    return parse_oai_page((OAI_DIR / name).read_bytes())


def _only(page: OaiPage) -> Paper:
    assert len(page.papers) == 1, page.rejected
    return page.papers[0]


def _oai(body: str, verb: str = "ListRecords") -> bytes:
    """A response in the shape export.arxiv.org/oai2 answers with."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2024-04-09T12:00:00Z</responseDate>
<request verb="{verb}" metadataPrefix="arXiv">http://export.arxiv.org/oai2</request>
{body}
</OAI-PMH>""".encode()


def _record(identifier: str, fields: str, datestamp: str = "2024-04-08") -> str:
    return f"""<record><header><identifier>{identifier}</identifier>
<datestamp>{datestamp}</datestamp><setSpec>physics:hep-th</setSpec></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">{fields}</arXiv></metadata></record>"""


# ---- the recorded responses, one test each -------------------------------------------------


def test_list_records_page_maps_ids_authors_dates_doi_and_journal_ref() -> None:
    page = _page("arxiv-physics-hep-ex.xml")
    assert [p.arxiv_id for p in page.papers] == ["1706.05371", "1706.09418", "1707.00874"]
    assert page.resumption_token is None  # no token element: the last (only) page
    assert page.complete_list_size is None and page.cursor is None
    assert page.deleted == [] and page.rejected == []
    assert page.datestamps == [date(2017, 12, 14)] * 3
    first, second, third = page.papers
    assert first.title == (
        "Evaluation of Silicon Photomultipliers for use as Photosensors in Liquid Xenon Detectors"
    )
    assert len(first.authors) == 13
    assert first.authors[:2] == ("Tyler Anderson", "Jacob Cutter")
    assert first.categories == ("physics.ins-det", "hep-ex")
    assert first.primary_category == "physics.ins-det"
    assert first.comment == "10 pages, 9 figures"
    assert first.doi is None and first.journal_ref is None
    # <created> 2017-06-16 counts as noon in New York (EDT, UTC-4): a Friday before the
    # cut-off, so the paper is listed on Monday; the version number is not in this format.
    assert first.published_at == datetime(2017, 6, 16, 16, 0, tzinfo=UTC)
    assert first.updated_at == datetime(2017, 12, 12, 17, 0, tzinfo=UTC)  # EST, UTC-5
    assert first.listing_day == date(2017, 6, 19)
    assert first.listing_day_exact is False
    assert first.version is None
    assert first.abstract.startswith("Silicon photomultipliers (SiPMs) are potential")
    assert "\n" not in first.abstract
    assert second.doi == "10.1140/epjc/s10052-017-5414-4"
    assert second.journal_ref == "Eur. Phys. J. C (2017) 77:856"
    assert second.authors[2] == "Manuel E. Krauss"
    assert second.comment is not None and "  " not in second.comment
    assert third.categories == ("hep-ph", "astro-ph.CO", "hep-ex")


def test_list_records_page_keeps_all_categories_and_leaves_missing_fields_none() -> None:
    page = _page("arxiv-physics-hep-th.xml")
    toolbox, bosons, branes = page.papers
    assert toolbox.arxiv_id == "1412.8323"
    assert toolbox.title == (
        "Toolbox for reconstructing quantum theory from rules on information acquisition"
    )
    assert toolbox.authors == ("Philipp A Hoehn",)
    assert toolbox.categories == (
        "quant-ph",
        "gr-qc",
        "hep-th",
        "math-ph",
        "math.MP",
        "physics.hist-ph",
    )
    assert toolbox.primary_category == "quant-ph"
    assert bosons.journal_ref == "J. Phys. A: Math. Theor. 51 (2018) 035201"
    assert bosons.doi == "10.1088/1751-8121/aa9c53"
    assert branes.comment is None  # no <comments> element
    assert branes.journal_ref is None
    assert branes.doi == "10.1002/andp.201700188"
    assert branes.authors[3] == "A. de Souza Dutra"


def test_get_record_maps_the_single_record_and_keeps_abstract_paragraphs() -> None:
    page = _page("arxiv-single.xml")
    paper = _only(page)
    assert paper.arxiv_id == "1401.2122"
    assert paper.title == "New integrable (3+1)-dimensional systems and contact geometry"
    assert paper.authors == ("A. Sergyeyev",)
    assert paper.primary_category == "math.AP"
    assert paper.journal_ref == "Lett. Math. Phys. 108 (2018), no. 2, 359-376"
    assert paper.doi == "10.1007/s11005-017-1013-4"
    assert page.datestamps == [date(2018, 1, 25)]
    # An indented line in arXiv's abstract starts a new paragraph.
    assert paper.abstract.split("\n\n") == [
        "We introduce a novel systematic construction for integrable (3+1)-dimensional "
        "dispersionless systems using nonisospectral Lax pairs that involve contact vector "
        "fields.",
        "In particular, we present new large classes of (3+1)-dimensional integrable "
        "dispersionless systems associated to the Lax pairs which are polynomial and rational "
        "in the spectral parameter.",
    ]
    assert paper.published_at == datetime(2014, 1, 9, 17, 0, tzinfo=UTC)
    assert paper.listing_day == date(2014, 1, 10)


def test_page_of_twelve_records_is_parsed_in_order_with_their_datestamps() -> None:
    page = _page("sample_arxiv_record.xml")
    assert [p.arxiv_id for p in page.papers] == [
        "1601.03238",
        "1512.07978",
        "1603.00997",
        "1603.01251",
        "1603.05976",
        "1604.05585",
        "1606.06775",
        "1606.07066",
        "1606.07538",
        "1607.00786",
        "1606.04259",
        "1808.04927",
    ]
    assert page.datestamps[0] == date(2016, 1, 14)
    assert page.datestamps[-1] == date(2018, 8, 16)
    assert len(page.datestamps) == 12
    by_id = {p.arxiv_id: p for p in page.papers}
    assert by_id["1604.05585"].authors[0] == "Günter Burigana"
    assert by_id["1808.04927"].categories == ("hep-ex", "nucl-ex", "chao-dyn")
    assert by_id["1808.04927"].title.startswith("Measurements of $\\pi^{\\pm}$, $K^{\\pm}$ and")


def test_record_without_declared_arxiv_namespace_and_with_several_dois() -> None:
    # This recorded record's <arXiv> element declares no namespace (its fields inherit the
    # OAI-PMH one), and its <doi> lists three DOIs separated by ", " and ";".
    paper = _only(_page("sample_arxiv_record0.xml"))
    assert paper.arxiv_id == "1601.03238"
    assert paper.title == "Irreversible degradation of quantum coherence under relativistic motion"
    assert paper.authors == (
        "Planck Collaboration",
        "Jieci Wang",
        "Zehua Tian",
        "Jiliang Jing",
        "Heng Fan",
    )
    assert paper.doi == "10.1103/PhysRevD.93.016005"
    assert paper.journal_ref == "Phys.Rev. D93 (2015) 016005"
    assert paper.categories == ("quant-ph", "gr-qc", "hep-th", "chao-dyn", "nlin.CD")
    assert paper.updated_at is None  # no <updated>: only one version so far


def test_record_created_on_a_friday_holiday_is_placed_on_the_next_weekday() -> None:
    paper = _only(_page("sample_arxiv_record1.xml"))
    assert paper.arxiv_id == "1512.07978"
    assert paper.authors == ("Teresa Maria Montaruli for the IceCube Collaboration",)
    assert paper.categories == ("astro-ph.HE",)
    # Friday 2015-12-25: holidays are not modelled, so the computed day is Monday.
    assert paper.published_at == datetime(2015, 12, 25, 17, 0, tzinfo=UTC)
    assert paper.listing_day == date(2015, 12, 28)


def test_record_with_quote_entities_in_comment_is_decoded() -> None:
    paper = _only(_page("sample_arxiv_record10.xml"))
    assert paper.arxiv_id == "1606.04259"
    assert paper.title == "Extreme Regimes in Quantum Gravity"
    assert paper.comment == (
        'Phd thesis in Fundamental and Applied Physics presented at University "Federico II" '
        "(Naples, Italy) on 29th April 2016"
    )
    assert '"boosted horizon"' in paper.abstract


def test_record_with_journal_ref_and_no_doi() -> None:
    paper = _only(_page("sample_arxiv_record2.xml"))
    assert paper.arxiv_id == "1603.00997"
    assert paper.authors == ("Sinya for JLQCD Collaboration",)
    assert paper.journal_ref == "PoS(CD15) (2015) 045"
    assert paper.doi is None
    assert paper.categories == ("hep-lat", "nucl-th")
    assert "$\\gamma > 2$" in paper.abstract  # &gt; decoded


def test_record_with_collaboration_split_over_keyname_and_forenames() -> None:
    paper = _only(_page("sample_arxiv_record3.xml"))
    assert paper.arxiv_id == "1603.01251"
    assert paper.title == "An Intermediate Water Cherenkov Detector at J-PARC"
    assert paper.authors == ("Mark Scott for the NuPRISM", "Hyper-K collaborations")


def test_record_with_many_authors_keeps_suffix_and_drops_the_colon_author() -> None:
    paper = _only(_page("sample_arxiv_record4.xml"))
    assert paper.arxiv_id == "1603.05976"
    assert paper.authors[:3] == ("Keck Array", "BICEP2 Collaborations", "P. Ade")
    assert ":" not in paper.authors  # arXiv's split of "Collaboration: A. Author, ..."
    assert "R. W. IV" in paper.authors  # <forenames>R.</forenames> <keyname>W.</keyname> IV
    assert len(paper.authors) == 65
    assert paper.comment is None
    assert paper.categories == ("astro-ph.IM", "astro-ph.CO")


def test_record_with_non_ascii_author_and_affiliations_left_out() -> None:
    paper = _only(_page("sample_arxiv_record5.xml"))
    assert paper.arxiv_id == "1604.05585"
    assert paper.authors == (
        "Günter Burigana",
        "Tiziana Trombetti",
        "Daniela Paoletti",
        "Nazzareno Mandolesi",
        "Paolo Natoli",
    )
    assert paper.listing_day == date(2016, 4, 20)  # Tuesday noon: listed Wednesday


def test_record_with_line_break_between_authors() -> None:
    paper = _only(_page("sample_arxiv_record6.xml"))
    assert paper.arxiv_id == "1606.06775"
    assert paper.authors == ("E. Bufanda", "D. Hollowood", "for the DES Collaboration")
    assert paper.title == (
        "The Evolution of Active Galactic Nuclei in Clusters of Galaxies from the Dark Energy "
        "Survey"
    )


def test_record_with_two_keynames_joins_them_after_the_forenames() -> None:
    paper = _only(_page("sample_arxiv_record7.xml"))
    assert paper.arxiv_id == "1606.07066"
    assert paper.authors == ("Curtis J. Saxton Walton", "Ziri Younsi", "Kinwah Wu")
    assert paper.categories == ("astro-ph.GA", "astro-ph.CO", "astro-ph.HE", "gr-qc")


def test_record_with_affiliations_on_every_author() -> None:
    paper = _only(_page("sample_arxiv_record8.xml"))
    assert paper.arxiv_id == "1606.07538"
    assert paper.authors[0] == "Super-Kamiokande Collaboration"
    assert paper.authors[-1] == "P. de Perio"
    assert len(paper.authors) == 7  # the affiliation-only ':' author is dropped
    assert not any("University" in name for name in paper.authors)


def test_record_with_single_category() -> None:
    paper = _only(_page("sample_arxiv_record9.xml"))
    assert paper.arxiv_id == "1607.00786"
    assert paper.authors == ("Ruchi Chudasama", "Dipanwita Dutta for the CMS Collaboration")
    assert paper.categories == ("hep-ex",)
    assert paper.primary_category == "hep-ex"
    assert paper.published_at == datetime(2016, 7, 4, 16, 0, tzinfo=UTC)


# ---- paging, deletions, rejected records ---------------------------------------------------


def test_resumption_token_and_list_size_are_read_and_old_style_ids_kept() -> None:
    data = _oai(
        "<ListRecords>"
        + _record(
            "oai:arXiv.org:hep-th/9901001",
            "<id>hep-th/9901001</id><created>1999-01-04</created><updated>1999-02-01</updated>"
            "<authors><author><keyname>Maldacena</keyname><forenames>Juan</forenames>"
            "<suffix>Jr</suffix></author></authors>"
            "<title>An old-style identifier</title><categories>hep-th</categories>"
            "<doi>10.1000/a 10.1000/b</doi><abstract>Text.</abstract>",
        )
        + """<record><header status="deleted"><identifier>oai:arXiv.org:math.GT/0309136</identifier>
<datestamp>2024-04-09</datestamp><setSpec>math</setSpec></header></record>"""
        + '<resumptionToken cursor="0" completeListSize="2539">6960524|1001</resumptionToken>'
        "</ListRecords>"
    )
    page = parse_oai_page(data)
    assert page.resumption_token == "6960524|1001"
    assert page.complete_list_size == 2539
    assert page.cursor == 0
    paper = _only(page)
    assert paper.arxiv_id == "hep-th/9901001"
    assert paper.authors == ("Juan Maldacena Jr",)
    assert paper.doi == "10.1000/a"
    assert paper.updated_at == datetime(1999, 2, 1, 17, 0, tzinfo=UTC)
    assert page.deleted == ["math.GT/0309136"]
    assert page.datestamps == [date(2024, 4, 8), date(2024, 4, 9)]


def test_empty_resumption_token_marks_the_last_page() -> None:
    data = _oai(
        '<ListRecords><resumptionToken cursor="1000" completeListSize="1002"/></ListRecords>'
    )
    page = parse_oai_page(data)
    assert page.resumption_token is None
    assert page.complete_list_size == 1002
    assert page.cursor == 1000
    assert page.papers == []


def test_records_without_id_or_title_are_rejected_by_identifier_and_the_rest_kept() -> None:
    data = _oai(
        "<ListRecords>"
        + _record("oai:arXiv.org:2404.00001", "<created>2024-04-01</created><title>T</title>")
        + _record("oai:arXiv.org:2404.00002", "<id>2404.00002</id><title>  </title>")
        + _record("oai:arXiv.org:2404.00003", "<id>not an id</id><title>T</title>")
        + _record("oai:arXiv.org:2404.00004", "<id>2404.00004</id><title>Kept</title>")
        + "</ListRecords>"
    )
    page = parse_oai_page(data)
    assert [p.arxiv_id for p in page.papers] == ["2404.00004"]
    assert page.papers[0].abstract == ""
    assert page.papers[0].published_at is None and page.papers[0].listing_day is None
    assert len(page.rejected) == 3
    assert page.rejected[0] == "oai:arXiv.org:2404.00001: missing <id>"
    assert page.rejected[1] == "oai:arXiv.org:2404.00002: missing <title>"
    assert page.rejected[2].startswith("oai:arXiv.org:2404.00003: not an arXiv identifier")
    assert len(page.datestamps) == 4  # every record counts for the harvest checkpoint


# ---- OAI-PMH errors ------------------------------------------------------------------------


def test_bad_resumption_token_error_raises_oai_error_with_its_code() -> None:
    data = _oai(
        '<error code="badResumptionToken">The value of the resumptionToken argument is '
        "invalid or expired.</error>"
    )
    with pytest.raises(OaiError) as raised:
        parse_oai_page(data)
    assert raised.value.code == "badResumptionToken"
    assert str(raised.value) == (
        "OAI-PMH error badResumptionToken: "
        "The value of the resumptionToken argument is invalid or expired."
    )


@pytest.mark.parametrize(
    "code", ["badArgument", "noSetHierarchy", "cannotDisseminateFormat", "idDoesNotExist"]
)
def test_other_oai_errors_raise_with_their_code(code: str) -> None:
    with pytest.raises(OaiError, match=f"^OAI-PMH error {code}: ") as raised:
        parse_oai_page(_oai(f'<error code="{code}">Something is wrong.</error>', "GetRecord"))
    assert raised.value.code == code


def test_no_records_match_is_an_empty_page_not_an_error() -> None:
    data = _oai('<error code="noRecordsMatch">No records match the request.</error>')
    assert parse_oai_page(data) == OaiPage()


# ---- responses that are not OAI-PMH pages --------------------------------------------------


def test_truncated_page_raises_malformed_response() -> None:
    data = (OAI_DIR / "arxiv-physics-hep-ex.xml").read_bytes()
    with pytest.raises(MalformedResponse, match=r"^OAI-PMH page: not well-formed XML \("):
        parse_oai_page(data[: len(data) // 2])


@pytest.mark.parametrize(
    "data", [b"", b"Service Unavailable", b"<html><body>Retry later</html>"], ids=repr
)
def test_bytes_that_are_not_xml_raise_malformed_response(data: bytes) -> None:
    with pytest.raises(MalformedResponse, match=r"^OAI-PMH page: not well-formed XML"):
        parse_oai_page(data)


def test_billion_laughs_payload_is_refused() -> None:
    with pytest.raises(MalformedResponse, match="document type declaration is not allowed"):
        parse_oai_page(BILLION_LAUGHS)


def test_other_root_element_raises_malformed_response() -> None:
    data = (
        TEST_DATA / "arxiv" / "atom" / "arxiv_docs_user_manual_example_electron.xml"
    ).read_bytes()
    with pytest.raises(MalformedResponse, match="unexpected root element <feed>"):
        parse_oai_page(data)


def test_oai_page_without_records_or_error_raises_malformed_response() -> None:
    with pytest.raises(MalformedResponse, match="neither <ListRecords> nor <GetRecord>"):
        parse_oai_page(_oai("<Identify><repositoryName>arXiv</repositoryName></Identify>"))


def test_records_with_dates_out_of_range_are_rejected_and_their_datestamps_ignored() -> None:
    data = _oai(
        "<ListRecords>"
        + _record(
            "oai:arXiv.org:2404.00001",
            "<id>2404.00001</id><title>T</title><created>9999-12-31</created>",
            datestamp="9999-12-31",
        )
        + _record(
            "oai:arXiv.org:2404.00002",
            "<id>2404.00002</id><title>T</title>"
            "<created>2024-04-01</created><updated>0001-01-01</updated>",
        )
        + _record(
            "oai:arXiv.org:2404.00003",
            "<id>2404.00003</id><title>Kept</title><created>2024-04-01</created>",
        )
        + "</ListRecords>"
    )
    page = parse_oai_page(data)
    assert [p.arxiv_id for p in page.papers] == ["2404.00003"]
    assert page.rejected == [
        "oai:arXiv.org:2404.00001: <created>: 9999-12-31 is more than 7 days ahead",
        "oai:arXiv.org:2404.00002: <updated>: 0001-01-01 is before arXiv began (1991)",
    ]
    assert page.datestamps == [date(2024, 4, 8)] * 2  # a harvest never jumps to 9999


def test_held_record_is_listed_in_its_id_month() -> None:
    data = _oai(
        "<ListRecords>"
        + _record(
            "oai:arXiv.org:2405.10957",
            "<id>2405.10957</id><title>T</title><created>2024-04-05</created>",
        )
        + "</ListRecords>"
    )
    assert _only(parse_oai_page(data)).listing_day == date(2024, 5, 1)
