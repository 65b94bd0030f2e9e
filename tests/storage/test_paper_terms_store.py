"""Paper terms are stored in the transaction that stores the text, and read back by seq."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from factories import make_paper
from sqlalchemy import delete, select, update

from paperwire.config import Settings
from paperwire.papers import Paper
from paperwire.search.indexing import analyze_pending
from paperwire.startup import prepare_database
from paperwire.storage import Database
from paperwire.storage import paper_terms as term_store
from paperwire.storage.papers import paper_key, upsert_papers
from paperwire.storage.schema import paper_terms, papers
from paperwire.terms import ANALYZER, decode_terms, encode_paper, term_hash


def _stored(db: Database, arxiv_id: str) -> tuple[str, bytes, int]:
    query = select(paper_terms.c.analyzer, paper_terms.c.terms, paper_terms.c.seq).where(
        paper_terms.c.paper_id == paper_key(db, arxiv_id)
    )
    with db.engine.connect() as connection:
        row = connection.execute(query).one()
    return str(row[0]), bytes(row[1]), int(row[2])


def test_new_papers_get_their_terms_with_their_text(db: Database) -> None:
    paper = make_paper(title="Sparse attention kernels", abstract="Attention, made sparse.")
    upsert_papers(db, [paper])
    analyzer, blob, seq = _stored(db, paper.arxiv_id)
    _, hashes, counts = decode_terms([blob])
    found = dict(zip(hashes.tolist(), counts.tolist(), strict=True))
    assert analyzer == ANALYZER and seq == term_store.terms_seq(db) > 0
    assert found[term_hash("attent")] == [1, 0, 1]
    assert term_store.count_terms(db) == 1


def test_a_changed_paper_gets_new_terms_and_an_unchanged_one_keeps_its_own(
    db: Database,
) -> None:
    paper, other = make_paper(title="Sparse attention"), make_paper(title="Dense attention")
    upsert_papers(db, [paper, other])
    _, _, first_seq = _stored(db, other.arxiv_id)
    upsert_papers(db, [replace(paper, version=2, title="Wavelet denoising"), other])
    _, blob, seq = _stored(db, paper.arxiv_id)
    assert seq > first_seq and term_hash("wavelet") in decode_terms([blob])[1].tolist()
    assert _stored(db, other.arxiv_id)[2] == first_seq
    chunks = list(term_store.terms_since(db, first_seq))
    assert [chunk.paper_ids.tolist() for chunk in chunks] == [[paper_key(db, paper.arxiv_id)]]


def test_deleting_a_paper_deletes_its_terms(db: Database) -> None:
    paper = make_paper()
    upsert_papers(db, [paper])
    with db.write() as connection:
        connection.execute(delete(papers).where(papers.c.arxiv_id == paper.arxiv_id))
    assert term_store.count_terms(db) == 0


def test_the_backfill_finds_missing_terms_and_those_of_another_analyzer(db: Database) -> None:
    stored = [make_paper() for _ in range(4)]
    upsert_papers(db, stored)
    keys = [paper_key(db, paper.arxiv_id) for paper in stored]
    with db.write() as connection:
        connection.execute(delete(paper_terms).where(paper_terms.c.paper_id == keys[0]))
        connection.execute(
            update(paper_terms).where(paper_terms.c.paper_id == keys[2]).values(analyzer="old")
        )
    assert term_store.count_terms(db) == 2
    needing, last, seen = term_store.papers_needing_terms(db, limit=10)
    assert (needing, last, seen) == ([keys[0], keys[2]], keys[3], 4)
    term_store.write_terms_for_keys(db, needing)
    assert term_store.papers_needing_terms(db, limit=10)[0] == []
    assert term_store.count_terms(db) == 4


def test_new_papers_left_to_a_follower_are_analyzed_by_the_backfill(db: Database) -> None:
    first, second = make_paper(), make_paper()
    upsert_papers(db, [first, second], terms_of_new=False)
    assert term_store.count_terms(db) == 0
    changed = replace(first, version=2, abstract="A text that changed since.")
    upsert_papers(db, [changed], terms_of_new=False)  # a changed paper is analyzed at once
    assert term_store.count_terms(db) == 1
    assert analyze_pending(db) == 1
    assert _stored(db, second.arxiv_id)[1] == encode_paper(*_text(second))[0]
    assert analyze_pending(db) == 0


def test_the_backfill_leaves_terms_an_ingest_wrote_while_it_analyzed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    paper = make_paper(title="Old title", abstract="Old words.")
    upsert_papers(db, [paper], terms_of_new=False)
    newer = replace(paper, version=2, abstract="Fresh sentences entirely.")
    encode = term_store._encoded

    def encode_while_another_process_stores_a_new_text(rows: list[Any]) -> Any:
        monkeypatch.setattr(term_store, "_encoded", encode)  # the ingest encodes as usual
        encoded = encode(rows)
        upsert_papers(db, [newer])
        return encoded

    monkeypatch.setattr(term_store, "_encoded", encode_while_another_process_stores_a_new_text)
    term_store.write_terms_for_keys(db, [paper_key(db, paper.arxiv_id)])
    assert _stored(db, paper.arxiv_id)[1] == encode_paper(*_text(newer))[0]


def _text(paper: Paper) -> tuple[str, tuple[str, ...], str]:
    return paper.title, paper.authors, paper.abstract


def test_terms_are_rewritten_when_the_filters_change_not_the_upvotes(db: Database) -> None:
    paper = make_paper(categories=("cs.LG",))
    upsert_papers(db, [paper])
    _, _, seq = _stored(db, paper.arxiv_id)
    upsert_papers(db, [replace(paper, imported_upvotes=12)])
    assert _stored(db, paper.arxiv_id)[2] == seq
    upsert_papers(db, [replace(paper, version=2, categories=("cs.LG", "stat.ML"))])
    assert _stored(db, paper.arxiv_id)[2] > seq
    chunk = next(term_store.terms_since(db, seq))
    assert chunk.categories == [("cs.LG", "stat.ML")]


def test_pairs_are_stored_with_the_terms_and_read_by_key(db: Database) -> None:
    paper = make_paper(title="Video diffusion", abstract="Distilled video diffusion.")
    upsert_papers(db, [paper])
    key = paper_key(db, paper.arxiv_id)
    assert key is not None
    found = term_store.model_terms_by_keys(db, [key, key + 1])
    assert list(found) == [key]
    assert found[key] == encode_paper(paper.title, paper.authors, paper.abstract)


def test_papers_analysed_before_pairs_were_stored_get_them_from_the_backfill(
    db: Database, tmp_path: Path
) -> None:
    stored = [make_paper() for _ in range(3)]
    upsert_papers(db, stored)
    keys = [paper_key(db, paper.arxiv_id) for paper in stored]
    with db.write() as connection:
        connection.execute(
            update(paper_terms).where(paper_terms.c.paper_id == keys[1]).values(pairs=None)
        )
    assert term_store.count_missing_pairs(db) == 1
    told = prepare_database(db, Settings(data_dir=tmp_path, load_demo=False))
    assert any("1 papers have no stored word pairs yet" in line for line in told)
    assert list(term_store.model_terms_by_keys(db, keys)) == [keys[0], keys[2]]
    needing, _, _ = term_store.papers_needing_terms(db, limit=10)
    assert needing == [keys[1]]
    term_store.write_terms_for_keys(db, needing)
    assert term_store.count_missing_pairs(db) == 0
    assert len(term_store.model_terms_by_keys(db, keys)) == 3
