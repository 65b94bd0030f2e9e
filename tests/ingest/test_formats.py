"""Parsing one record of each supported shape into a Paper."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from factories import TEST_DATA

from paperwire.ingest.formats import (
    RecordError,
    clean_abstract,
    parse_listing_record,
    parse_upvote_entry,
)


def _lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (TEST_DATA / name).read_text().splitlines()]


def test_api_listing_record_keeps_version_dates_and_primary_category() -> None:
    record = _lines("cs-ai-sample.jsonl")[0]
    paper = parse_listing_record(record)
    assert paper.arxiv_id == "2401.00974"
    assert paper.version == 1
    assert paper.authors[0] == "Yinan Cheng"
    assert paper.categories == ("cs.LG", "cs.AI")
    assert paper.primary_category == "cs.LG"
    assert paper.published_at == datetime(2024, 1, 1, 23, 33, 56, tzinfo=UTC)
    # Monday 18:33 Eastern is past the cut-off: announced Tuesday evening, dated Wednesday.
    assert paper.listing_day == date(2024, 1, 3)
    assert "\n" not in paper.abstract
    assert paper.comment is not None and "  " not in paper.comment


def test_api_listing_record_with_later_version() -> None:
    record = next(r for r in _lines("cs-ai-sample.jsonl") if not r["version_id"].endswith("v1"))
    paper = parse_listing_record(record)
    assert paper.version is not None and paper.version > 1
    assert paper.updated_at is not None and paper.published_at is not None
    assert paper.updated_at > paper.published_at


def test_daily_listing_record_takes_its_listing_day_and_strips_version() -> None:
    record = {
        "id": "2606.18250v1",
        "title": "T",
        "authors": ["A B"],
        "abstract": "x",
        "categories": ["cs.CV", "cs.AI"],
        "comment": None,
        "first_listed": "2026-06-26",
        "listed_dates": ["2026-06-26"],
    }
    paper = parse_listing_record(record)
    assert (paper.arxiv_id, paper.version) == ("2606.18250", 1)
    assert paper.listing_day == date(2026, 6, 26)
    assert paper.primary_category == "cs.CV"
    assert paper.published_at is None


def test_oai_dc_record_maps_subjects_names_and_versions() -> None:
    record = {
        "id": "hep-th/9504118",
        "title": "Discrete\n  Mathematics",
        "authors": ["Requardt, M."],
        "abstract": "Starting from",
        "subjects": ["High Energy Physics - Theory", "05C15"],
        "comment": None,
        "dates": ["1995-04-21", "1995-05-02"],
        "doi": ["10.1/a", "10.1/b"],
        "journal_ref": ["J. Phys. 1", "J. Phys. 2"],
    }
    paper = parse_listing_record(record)
    assert paper.arxiv_id == "hep-th/9504118"
    assert paper.title == "Discrete Mathematics"
    assert paper.authors == ("M. Requardt",)
    assert paper.categories == ("hep-th",)
    assert paper.version == 2
    assert paper.doi == "10.1/a"
    assert paper.journal_ref == "J. Phys. 1; J. Phys. 2"
    assert paper.published_at is not None and paper.published_at.date() == date(1995, 4, 21)
    assert paper.listing_day == date(1995, 4, 24)  # a Friday submission: listed Monday


def test_oai_dc_non_ascii_names_survive() -> None:
    records = [parse_listing_record(r) for r in _lines("oai-dc-sample.jsonl")]
    assert any(any(ord(c) > 127 for c in name) for p in records for name in p.authors)
    assert all(", " not in name or name.count(",") > 1 for p in records for name in p.authors)


# A made-up line in the shape of arXiv's bulk metadata snapshot (arxiv-metadata-oai-
# snapshot.json): TeX accents in names, RFC 2822 version dates, space-separated categories.
BULK_LINE: dict[str, Any] = {
    "id": "0704.0001",
    "submitter": "A. Author",
    "authors": "C. Bal\\'azs, E. L. Berger (ANL) and P. M. Nadolsky",
    "title": "Diphoton production\n  at hadron colliders",
    "comments": "37 pages; published version",
    "journal-ref": "Phys. Rev. D 76, 013009 (2007)",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": None,
    "categories": "hep-ph hep-ex",
    "license": None,
    "abstract": "  A fully differential calculation\nis presented.\n",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [
        ["Bal\\'azs", "C.", ""],
        ["Berger", "E. L.", ""],
        ["Nadolsky", "P. M.", "Jr"],
    ],
}


def test_a_bulk_snapshot_line_reads_versions_categories_and_parsed_names() -> None:
    paper = parse_listing_record(BULK_LINE)
    assert (paper.arxiv_id, paper.version) == ("0704.0001", 2)
    assert paper.title == "Diphoton production at hadron colliders"
    assert paper.abstract == "A fully differential calculation is presented."
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky Jr")
    assert (paper.categories, paper.primary_category) == (("hep-ph", "hep-ex"), "hep-ph")
    assert paper.published_at == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert paper.updated_at == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert paper.listing_day == date(2007, 4, 4)  # after Monday's 14:00 Eastern cut-off
    assert (paper.doi, paper.journal_ref) == (BULK_LINE["doi"], BULK_LINE["journal-ref"])
    assert paper.comment == "37 pages; published version"


def test_a_bulk_snapshot_line_without_parsed_names_splits_the_author_string() -> None:
    paper = parse_listing_record(BULK_LINE | {"authors_parsed": None})
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky")


@pytest.mark.parametrize(
    ("versions", "reason"),
    [
        ("v1", "'versions' must be a list"),
        ([{"version": "v1", "created": "yesterday"}], "'created' is not a date"),
        ([{"version": "v1", "created": "Mon, 2 Apr 1807 19:18:42 GMT"}], "'versions'"),
    ],
)
def test_a_bulk_snapshot_line_with_bad_versions_is_refused_with_the_reason(
    versions: object, reason: str
) -> None:
    with pytest.raises(RecordError, match=re.escape(reason)):
        parse_listing_record(BULK_LINE | {"versions": versions})


def test_upvote_entry_carries_the_count() -> None:
    snapshot = json.loads((TEST_DATA / "upvotes-sample.json").read_text())
    arxiv_id, entry = next(iter(snapshot.items()))
    paper = parse_upvote_entry(arxiv_id, entry)
    assert paper.imported_upvotes == entry["upvotes"]
    assert paper.listing_day is not None
    assert paper.categories == ()


def test_abstract_line_breaks_are_joined_and_paragraphs_kept() -> None:
    raw = "First line\nwraps here.\n  Second paragraph\nwraps too.\n"
    assert clean_abstract(raw) == "First line wraps here.\n\nSecond paragraph wraps too."


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ([1, 2], "expected a JSON object"),
        ({"title": "x"}, "unrecognised record"),
        (
            {"id": "2401.00001", "published": "2024-01-01 00:00:00 UTC", "abstract": "a"},
            "missing 'title'",
        ),
        (
            {"id": "bogus", "title": "t", "abstract": "a", "published": "2024-01-01"},
            "not an arXiv identifier",
        ),
        (
            {"id": "2401.00001", "title": "  ", "abstract": "a", "published": "2024-01-01"},
            "empty 'title'",
        ),
        (
            {"id": "2401.00001", "title": "t", "abstract": "a", "published": "yesterday"},
            "not a timestamp",
        ),
        (
            {"id": "2401.00001", "title": "t", "abstract": 5, "published": "2024-01-01"},
            "'abstract' must be text",
        ),
        ({"id": "2401.00001", "title": "t", "abstract": "a", "first_listed": "soon"}, "not a date"),
        (
            {
                "id": "2401.00001",
                "title": "t",
                "abstract": "a",
                "first_listed": "2024-01-01",
                "authors": [1],
            },
            "'authors' must be a list of text",
        ),
        (
            {
                "id": "2401.00001",
                "title": "t" * 3000,
                "abstract": "a",
                "first_listed": "2024-01-01",
            },
            "longer than",
        ),
    ],
)
def test_malformed_records_say_what_is_wrong(record: object, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_listing_record(record)


def test_upvote_entry_needs_a_count() -> None:
    with pytest.raises(RecordError, match="non-negative integer"):
        parse_upvote_entry("2401.00001", {"title": "t", "abstract": "a", "upvotes": "12"})


def _api(**fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": "2404.00001",
        "title": "T",
        "abstract": "A",
        "published": "2024-04-01 10:00:00 UTC",
    }
    return record | fields


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            {"id": "2401.00001", "title": "t", "abstract": "a", "first_listed": "9999-12-31"},
            "'first_listed': 9999-12-31 is more than 7 days ahead",
        ),
        (_api(published="0001-01-01T00:00:00Z"), "'published': 0001-01-01 is before arXiv"),
        (_api(published="9999-12-31T23:59:59-12:00"), "'published': 9999-12-31 is more"),
        (_api(published="0001-01-01T00:00:00+01:00"), "'published': 0001-01-01 is before"),
        (_api(updated="1990-12-31T23:00:00Z"), "'updated': 1990-12-31 is before arXiv"),
        (
            {"id": "2404.00001", "title": "t", "abstract": "a", "subjects": [], "dates": ["1"]},
            "'dates' is not a date",
        ),
        (
            {"id": "2404.00001", "title": "t", "abstract": "a", "subjects": []}
            | {"dates": ["2024-04-01", "9999-12-31"]},
            "'dates': 9999-12-31 is more than 7 days ahead",
        ),
        (_api(id="9912.00001"), "listing day 2099-12-01 is more than 7 days ahead"),
        (_api(id="2401.00001v99999999999999999999"), "version number too large"),
        (_api(title="Lone \ud800 surrogate"), "'title' holds a lone surrogate"),
        (_api(authors=["A", "B \udfff"]), "'authors' holds a lone surrogate"),
    ],
)
def test_implausible_dates_and_unstorable_values_are_refused(record: object, reason: str) -> None:
    with pytest.raises(RecordError, match=re.escape(reason)):
        parse_listing_record(record)


def test_arxivs_first_papers_are_accepted() -> None:
    record = {"id": "hep-th/9108001", "title": "t", "abstract": "a", "subjects": []}
    paper = parse_listing_record(record | {"dates": ["1991-08-14"]})
    assert paper.listing_day == date(1991, 8, 15)


def test_upvotes_over_the_stored_range_are_refused() -> None:
    entry = {"title": "t", "abstract": "a", "upvotes": 2**63}
    with pytest.raises(RecordError, match="'upvotes' is over"):
        parse_upvote_entry("2401.00001", entry)


@pytest.mark.parametrize(
    ("record", "listing_day"),
    [
        # Submitted Friday 2024-04-05, held and announced in May: not on Monday 8 April.
        (_api(id="2405.10957", published="2024-04-05T11:00:00Z"), date(2024, 5, 1)),
        (
            {"id": "2405.10957", "title": "t", "abstract": "a", "subjects": []}
            | {"dates": ["2024-04-05"]},
            date(2024, 5, 1),
        ),
        (_api(id="2404.00001", published="2024-04-05T11:00:00Z"), date(2024, 4, 8)),
    ],
)
def test_held_paper_is_listed_in_its_id_month(record: object, listing_day: date) -> None:
    assert parse_listing_record(record).listing_day == listing_day


def test_held_paper_in_an_upvote_snapshot_is_listed_in_its_id_month() -> None:
    entry = {"title": "t", "abstract": "a", "upvotes": 1, "publication_date": "2024-04-05"}
    assert parse_upvote_entry("2405.10957", entry).listing_day == date(2024, 5, 1)


def test_control_and_bidi_override_characters_never_reach_title_abstract_or_names() -> None:
    paper = parse_listing_record(
        _api(
            title="Safe\u202e txt.exe\x00",
            abstract="One\x07 line\r\n  Two\u2066",
            authors=["Ada\x1b[31m Lovelace"],
            comment="c\u202d",
            primary_category="cs.AI\x00",
        )
    )
    assert paper.title == "Safe txt.exe"
    assert paper.abstract == "One line\n\nTwo"
    assert paper.authors == ("Ada[31m Lovelace",)
    assert (paper.comment, paper.primary_category) == ("c", None)
    oai = {"id": "2404.00001", "title": "t", "abstract": "a", "subjects": [], "dates": []}
    paper = parse_listing_record(oai | {"doi": ["10.1/\x00x"], "journal_ref": ["J\u202e"]})
    assert (paper.doi, paper.journal_ref) == ("10.1/x", "J")
