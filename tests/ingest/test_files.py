"""Ingesting files: every format, reruns, damaged input, and the report."""

from __future__ import annotations

import gzip
import itertools
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from factories import TEST_DATA, make_paper, shared_file

from paperwire.demo import demo_paths
from paperwire.ingest.files import ingest_files, read_papers
from paperwire.papers import Paper, first_listing_day_of_id
from paperwire.storage import Database
from paperwire.storage.papers import count_papers, get_paper, upsert_papers

SAMPLES = [
    TEST_DATA / "cs-ai-sample.jsonl",
    TEST_DATA / "cs-cv-sample.jsonl.gz",
    TEST_DATA / "oai-dc-sample.jsonl",
    TEST_DATA / "upvotes-sample.json",
]


def test_every_sample_format_is_ingested_and_a_rerun_adds_nothing(db: Database) -> None:
    first = ingest_files(db, SAMPLES)
    assert first.rejected == 0 and first.failed_files == 0
    # 21 + 17 + 17 + 25 records; four snapshot entries repeat cs-ai papers.
    assert first.counts.added == 21 + 17 + 17 + 21
    assert first.counts.updated == 4
    again = ingest_files(db, SAMPLES)
    assert (again.counts.added, again.counts.updated) == (0, 0)
    assert again.counts.unchanged == 80
    assert count_papers(db) == 76


def test_the_bulk_metadata_snapshot_gives_the_papers_its_listing_gives(
    db: Database, tmp_path: Path
) -> None:
    bulk = TEST_DATA / "snapshot" / "arxiv-metadata-snapshot-sample.jsonl"
    report = ingest_files(db, [bulk])
    assert (report.counts.added, report.rejected) == (10, 1)
    (problem,) = report.problems
    assert problem.line == 11 and "'created' is not a date" in problem.reason
    listed = {
        paper.arxiv_id: paper
        for _, paper in read_papers(TEST_DATA / "cs-ai-sample.jsonl")
        if isinstance(paper, Paper)
    }
    for _, line in read_papers(bulk):
        if not isinstance(line, Paper):
            continue
        stored, expected = get_paper(db, line.arxiv_id), listed[line.arxiv_id]
        assert stored is not None
        same = ("title", "abstract", "authors", "categories", "primary_category", "version")
        assert [getattr(stored, f) for f in same] == [getattr(expected, f) for f in same]
        assert (stored.published_at, stored.updated_at, stored.listing_day) == (
            expected.published_at, expected.updated_at, expected.listing_day,
        )  # fmt: skip


def test_snapshot_adds_upvotes_to_a_paper_known_from_a_listing(db: Database) -> None:
    ingest_files(db, [TEST_DATA / "cs-ai-sample.jsonl", TEST_DATA / "upvotes-sample.json"])
    snapshot = json.loads((TEST_DATA / "upvotes-sample.json").read_text())
    paper = get_paper(db, "2401.01335")
    assert paper is not None
    assert paper.imported_upvotes == snapshot["2401.01335"]["upvotes"]
    assert paper.categories  # kept from the listing: the snapshot has none


def test_newer_version_in_a_later_file_updates_the_paper(db: Database, tmp_path: Path) -> None:
    record = json.loads((TEST_DATA / "cs-ai-sample.jsonl").read_text().splitlines()[0])
    newer = record | {
        "version_id": "2401.00974v2",
        "title": "Revised title",
        "updated": "2024-02-01 10:00:00 UTC",
    }
    (tmp_path / "v1.jsonl").write_text(json.dumps(record) + "\n")
    (tmp_path / "v2.jsonl").write_text(json.dumps(newer) + "\n")
    ingest_files(db, [tmp_path / "v1.jsonl"])
    report = ingest_files(db, [tmp_path / "v2.jsonl"])
    assert report.counts.updated == 1
    paper = get_paper(db, "2401.00974")
    assert paper is not None
    assert (paper.version, paper.title) == (2, "Revised title")
    assert paper.published_at is not None and paper.published_at.isoformat().startswith(
        "2024-01-01"
    )


def test_malformed_lines_are_reported_with_line_numbers_and_good_lines_kept(
    db: Database, tmp_path: Path
) -> None:
    good = (TEST_DATA / "cs-ai-sample.jsonl").read_text().splitlines()
    lines = [good[0], "{not json", good[1], '{"id": "2401.1"}', "", good[2], "[1, 2]"]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_files(db, [path])
    assert report.counts.added == 3
    assert report.rejected == 3
    assert [(p.line, p.path) for p in report.problems] == [
        (2, str(path)),
        (4, str(path)),
        (7, str(path)),
    ]
    assert "not valid JSON" in report.problems[0].reason
    assert str(report.problems[0]).startswith(f"{path}:2: ")


def test_invalid_utf8_line_is_rejected_not_fatal(db: Database, tmp_path: Path) -> None:
    good = (TEST_DATA / "cs-ai-sample.jsonl").read_bytes().splitlines()
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(good[0] + b"\n" + b'{"id": "\xff\xfe"}\n' + good[1] + b"\n")
    report = ingest_files(db, [path])
    assert (report.counts.added, report.rejected) == (2, 1)


def test_empty_and_blank_files_add_nothing(db: Database, tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "blank.jsonl.gz").write_bytes(gzip.compress(b"\n\n  \n"))
    report = ingest_files(db, [tmp_path / "empty.jsonl", tmp_path / "blank.jsonl.gz"])
    assert (report.seen, report.failed_files, report.problems) == (0, 0, [])


@pytest.mark.parametrize(
    "content",
    [b"<?xml version='1.0'?><feed></feed>\n", b"id,title\n2401.00001,x\n", b"\x00\x01\x02binary"],
)
def test_wrong_format_file_is_refused_and_others_still_load(
    db: Database, tmp_path: Path, content: bytes
) -> None:
    wrong = tmp_path / "wrong.dat"
    wrong.write_bytes(content)
    report = ingest_files(db, [wrong, TEST_DATA / "oai-dc-sample.jsonl"])
    assert report.failed_files == 1
    assert "not a supported format" in report.problems[0].reason
    assert report.counts.added == 17


def test_truncated_gzip_keeps_the_lines_before_the_damage(db: Database, tmp_path: Path) -> None:
    whole = gzip.compress((TEST_DATA / "cs-ai-sample.jsonl").read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    report = ingest_files(db, [cut])
    assert 0 < report.counts.added < 21
    assert "ends early" in report.problems[-1].reason


def test_half_written_last_line_is_rejected(db: Database, tmp_path: Path) -> None:
    text = (TEST_DATA / "cs-ai-sample.jsonl").read_text()
    path = tmp_path / "half.jsonl"
    path.write_text(text[: len(text) - 500])
    report = ingest_files(db, [path])
    assert (report.counts.added, report.rejected) == (20, 1)
    assert report.problems[0].line == 21


def test_malformed_snapshot_entry_is_reported_by_its_key(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    entry = {
        "title": "t",
        "abstract": "a",
        "authors": ["A"],
        "upvotes": 3,
        "publication_date": "2024-04-01T10:00:00Z",
    }
    path.write_text(json.dumps({"2404.00001": entry, "2404.00002": entry | {"upvotes": -1}}))
    report = ingest_files(db, [path])
    assert (report.counts.added, report.rejected) == (1, 1)
    assert "2404.00002" in report.problems[0].reason


def test_progress_reports_every_byte_read(db: Database) -> None:
    seen: list[int] = []
    ingest_files(db, [TEST_DATA / "cs-cv-sample.jsonl.gz"], progress=seen.append)
    assert sum(seen) == (TEST_DATA / "cs-cv-sample.jsonl.gz").stat().st_size


def test_small_batches_give_the_same_result(db: Database) -> None:
    report = ingest_files(db, SAMPLES, batch_size=4)
    assert report.counts.added == 76


@pytest.mark.parametrize(
    "relative",
    [
        "arxiv/cs-ai-2024-2026.jsonl.gz",
        "arxiv/cs-cv-cl-ai-2025-2026.jsonl.gz",
        "arxiv/oai-dc-datestamp-2014.jsonl.gz",
        "arxiv/oai-dc-datestamp-2015.jsonl.gz",
    ],
)
def test_real_shared_files_parse_without_rejects(relative: str) -> None:
    path = shared_file(relative)
    results = list(itertools.islice(read_papers(path), 3_000))
    rejected = [reason for _, reason in results if not isinstance(reason, Paper)]
    assert len(results) == 3_000
    assert rejected == []
    assert all(p.listing_day is not None for _, p in results if isinstance(p, Paper))


def test_real_upvote_snapshot_parses_whole() -> None:
    path = shared_file("hf-daily-papers/upvotes-snapshot-2024-04-08.json")
    results = [parsed for _, parsed in read_papers(path)]
    assert len(results) == 753
    assert all(isinstance(p, Paper) and p.imported_upvotes for p in results)


def test_reingest_moves_a_held_paper_stored_on_its_submission_day_into_its_id_month(
    db: Database, tmp_path: Path
) -> None:
    # As an earlier paperwire stored it: on the listing day its submission time gives.
    submitted = datetime(2024, 4, 5, 11, 0, tzinfo=UTC)
    held = make_paper(arxiv_id="2405.10957", published_at=submitted, listing_day=date(2024, 4, 8))
    upsert_papers(db, [held])
    record = {"id": "2405.10957", "title": held.title, "abstract": held.abstract}
    path = tmp_path / "again.jsonl"
    path.write_text(json.dumps(record | {"published": "2024-04-05T11:00:00Z"}) + "\n")
    assert ingest_files(db, [path]).counts.updated == 1
    stored = get_paper(db, "2405.10957")
    assert stored is not None and stored.listing_day == date(2024, 5, 1)


@pytest.mark.parametrize(
    "relative", ["arxiv/oai-dc-datestamp-2014.jsonl.gz", "arxiv/oai-dc-datestamp-2015.jsonl.gz"]
)
def test_every_real_oai_record_back_to_1992_is_within_the_date_bounds(relative: str) -> None:
    results = [parsed for _, parsed in read_papers(shared_file(relative))]
    assert [reason for reason in results if not isinstance(reason, Paper)] == []
    earliest = min(p.published_at for p in results if isinstance(p, Paper) and p.published_at)
    assert earliest.year == 1992


def test_no_demo_paper_is_listed_before_its_id_month() -> None:
    papers = [p for path in demo_paths() for _, p in read_papers(path) if isinstance(p, Paper)]
    early = [
        p.arxiv_id
        for p in papers
        if p.listing_day is not None
        and p.listing_day < (first_listing_day_of_id(p.arxiv_id) or p.listing_day)
    ]
    assert len(papers) == 1920 + 753 and early == []
