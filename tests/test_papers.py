"""arXiv identifiers and how two records of the same paper merge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from factories import make_paper

from paperwire.papers import (
    InvalidArxivId,
    category_codes,
    is_arxiv_id,
    merge_papers,
    parse_arxiv_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.00974", ("2401.00974", None)),
        ("2401.00974v3", ("2401.00974", 3)),
        ("0704.0001", ("0704.0001", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("https://arxiv.org/abs/2401.00974v2", ("2401.00974", 2)),
        ("http://arxiv.org/pdf/2401.00974v1.pdf", ("2401.00974", 1)),
        ("arXiv:2401.00974", ("2401.00974", None)),
        ("  2401.00974  ", ("2401.00974", None)),
    ],
)
def test_parse_arxiv_id_splits_id_and_version(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text", ["", "nope", "2401.974", "2401.00974v", "../etc/passwd", "HEP-TH/9901001"]
)
def test_parse_arxiv_id_rejects_other_text(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)


def test_is_arxiv_id_wants_the_unversioned_key() -> None:
    assert is_arxiv_id("hep-th/9901001")
    assert not is_arxiv_id("2401.00974v2")


def test_newer_version_replaces_metadata_but_keeps_first_version_date() -> None:
    v1 = make_paper(
        version=1,
        title="Old title",
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        listing_day=date(2024, 1, 2),
    )
    v2 = replace(
        v1,
        version=2,
        title="New title",
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        updated_at=datetime(2024, 3, 1, tzinfo=UTC),
        listing_day=date(2024, 3, 4),
    )
    merged = merge_papers(v1, v2)
    assert merged.title == "New title"
    assert merged.version == 2
    assert merged.published_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert merged.listing_day == date(2024, 1, 2)  # a paper stays on the day it first appeared


def test_older_version_only_fills_gaps() -> None:
    v2 = make_paper(version=2, title="New title", doi=None)
    v1 = replace(v2, version=1, title="Old title", doi="10.1/abc")
    merged = merge_papers(v2, v1)
    assert merged.title == "New title"
    assert merged.doi == "10.1/abc"
    assert merged.version == 2


def test_same_record_twice_merges_to_itself() -> None:
    paper = make_paper()
    assert merge_papers(paper, paper) == paper


def test_imported_upvotes_take_the_newest_import_and_unknown_keeps_the_count() -> None:
    stored = make_paper(imported_upvotes=12)
    assert merge_papers(stored, replace(stored, imported_upvotes=30)).imported_upvotes == 30
    assert merge_papers(stored, replace(stored, imported_upvotes=None)).imported_upvotes == 12


def test_reported_listing_day_beats_a_computed_one_either_way() -> None:
    computed = make_paper(listing_day=date(2024, 4, 1), listing_day_exact=False)
    reported = replace(computed, listing_day=date(2024, 4, 2), listing_day_exact=True)
    for stored, incoming in ((computed, reported), (reported, computed)):
        merged = merge_papers(stored, incoming)
        assert (merged.listing_day, merged.listing_day_exact) == (date(2024, 4, 2), True)


def test_two_reported_listing_days_keep_the_earliest() -> None:
    first = make_paper(listing_day=date(2024, 4, 1), listing_day_exact=True)
    later = replace(first, listing_day=date(2024, 4, 9))
    assert merge_papers(first, later).listing_day == date(2024, 4, 1)
    assert merge_papers(later, first).listing_day == date(2024, 4, 1)


@pytest.mark.parametrize(
    ("comment", "withdrawn"),
    [
        ("This paper has been withdrawn by the author", True),
        ("Withdrawn because it was submitted without consent of the first author", True),
        ("We withdraw this version due to an error in Table 2", True),
        ("12 pages, 3 figures; accepted at ICLR", False),
        (None, False),
    ],
)
def test_withdrawal_is_read_from_the_latest_comment(comment: str | None, withdrawn: bool) -> None:
    assert make_paper(comment=comment).withdrawn is withdrawn


def test_category_codes_drop_msc_and_acm_classes_and_repeats() -> None:
    mixed = ["cs.CL", "68T50", "I.2.7", "cs.AI", "hep-th", "math.GT", "cs.CL", " q-bio.NC "]
    assert category_codes(mixed) == ("cs.CL", "cs.AI", "hep-th", "math.GT", "q-bio.NC")
