"""Parsing one record of each supported shape into a Paper."""

from __future__ import annotations

import json
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
