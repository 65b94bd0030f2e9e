"""arXiv identifiers and how two records of the same paper merge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from factories import make_paper

from paperwire.papers import (
    ImplausibleDate,
    InvalidArxivId,
    category_codes,
    first_listing_day_of_id,
    is_arxiv_id,
    listing_day_for_id,
    merge_papers,
    parse_arxiv_id,
    plausible_day,
    plausible_moment,
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
        arxiv_id="2401.00001",
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


def test_held_paper_is_listed_in_its_id_month_not_on_its_submission_day() -> None:
    # 2405.10957 was submitted on 2024-04-05, held, and announced in May.
    assert listing_day_for_id("2405.10957", date(2024, 4, 8)) == date(2024, 5, 1)
    assert listing_day_for_id("2405.10957", date(2024, 5, 2)) == date(2024, 5, 2)
    # 1 June 2024 is a Saturday: the month's first listing is on Monday the 3rd.
    assert first_listing_day_of_id("2406.00001") == date(2024, 6, 3)
    assert listing_day_for_id("hep-th/9901001", date(1998, 12, 30)) == date(1998, 12, 30)
    assert listing_day_for_id("2405.10957", None) is None


def test_merge_moves_a_stored_day_before_the_id_month_into_it() -> None:
    # Stored before the rule: listed on the day after submission; a re-ingest corrects it.
    stored = make_paper(arxiv_id="2405.10957", listing_day=date(2024, 4, 8))
    again = replace(stored, listing_day=date(2024, 5, 1))
    assert merge_papers(stored, again).listing_day == date(2024, 5, 1)
    assert merge_papers(stored, stored).listing_day == date(2024, 5, 1)
    exact = replace(stored, listing_day_exact=True)
    assert merge_papers(exact, again).listing_day == date(2024, 5, 1)


NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "day",
    [date(1990, 12, 31), date(1, 1, 1), date(2026, 12, 13), date(9999, 12, 31)],
)
def test_days_before_arxiv_or_over_a_week_ahead_are_implausible(day: date) -> None:
    with pytest.raises(ImplausibleDate):
        plausible_day(day, NOW)


@pytest.mark.parametrize("day", [date(1991, 1, 1), date(1992, 4, 2), date(2026, 12, 12)])
def test_days_from_arxivs_first_year_to_a_week_ahead_are_plausible(day: date) -> None:
    assert plausible_day(day, NOW) == day


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))),
        datetime(1991, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # 1990 in UTC
    ],
)
def test_moments_at_the_date_limits_are_refused_without_overflowing(moment: datetime) -> None:
    with pytest.raises(ImplausibleDate):
        plausible_moment(moment, NOW)


def test_plausible_moment_is_given_in_utc() -> None:
    moment = datetime(2024, 4, 5, 20, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert plausible_moment(moment, NOW) == datetime(2024, 4, 6, 0, 0, tzinfo=UTC)
    assert plausible_moment(datetime(2024, 4, 5), NOW).tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2401.00001v99999999999999999999", "version number too large"),
        ("2401.00001v" + "9" * 5000, "version number too large"),
        ("2413.00001", "not an arXiv identifier"),
        ("2400.00001", "not an arXiv identifier"),
    ],
)
def test_ids_with_huge_versions_or_no_such_month_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidArxivId, match=reason):
        parse_arxiv_id(text)
