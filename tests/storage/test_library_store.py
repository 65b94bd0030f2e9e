"""Libraries, tags, "not interested" and follows stored per reader, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from factories import add_user, make_paper

from paperwire.community import library as library_service
from paperwire.community.library import LibraryError, import_library, title_key
from paperwire.recommend.imports import ParsedLibrary, Reference
from paperwire.storage import Database
from paperwire.storage import follows as follow_store
from paperwire.storage import library as library_store
from paperwire.storage.counters import LIBRARY_COUNTER, counter_value
from paperwire.storage.papers import hide_papers, upsert_papers
from paperwire.storage.votes import UnknownPaper, cast_vote

NOW = datetime(2026, 6, 19, 9, 30, tzinfo=UTC)
DAY = date(2026, 6, 18)


def _papers(db: Database) -> None:
    upsert_papers(
        db,
        [
            make_paper(arxiv_id="2606.00001", title="Attention Is All You Need", listing_day=DAY),
            make_paper(arxiv_id="2606.00002", doi="10.1000/XYZ.2", listing_day=DAY),
            make_paper(arxiv_id="2606.00003", listing_day=DAY - timedelta(days=1)),
            make_paper(arxiv_id="2606.00004", listing_day=DAY - timedelta(days=30)),
        ],
    )


def test_saving_twice_keeps_one_entry_and_merges_tags(db: Database) -> None:
    _papers(db)
    alice = add_user(db, "alice")
    before = counter_value(db, LIBRARY_COUNTER)
    assert library_service.save(db, alice, "2606.00001", ["vision, Transformers"], now=NOW)
    assert not library_service.save(db, alice, "2606.00001", ["transformers", "RL"], now=NOW)
    entries, total = library_store.library_page(db, alice.id, tag=None, limit=10, offset=0)
    assert total == 1 and entries[0].tags == ("rl", "transformers", "vision")
    assert counter_value(db, LIBRARY_COUNTER) == before + 1  # the second save changed nothing


def test_tags_filter_the_library_and_retagging_replaces_them(db: Database) -> None:
    _papers(db)
    alice = add_user(db, "alice")
    library_service.save(db, alice, "2606.00001", ["vision"], now=NOW)
    library_service.save(db, alice, "2606.00002", ["vision", "rl"], now=NOW + timedelta(seconds=1))
    tagged, total = library_store.library_page(db, alice.id, tag="rl", limit=10, offset=0)
    assert [e.paper.arxiv_id for e in tagged] == ["2606.00002"] and total == 1
    assert library_store.tag_counts(db, alice.id) == [("rl", 1), ("vision", 2)]
    library_service.retag(db, alice, "2606.00002", ["robots"])
    assert library_store.tag_counts(db, alice.id) == [("robots", 1), ("vision", 1)]
    with pytest.raises(UnknownPaper):
        library_service.retag(db, alice, "2606.00003", ["never saved"])


def test_bad_tags_are_refused_with_a_reason(db: Database) -> None:
    _papers(db)
    alice = add_user(db, "alice")
    with pytest.raises(LibraryError, match="at most 40 characters"):
        library_service.save(db, alice, "2606.00001", ["x" * 41], now=NOW)
    with pytest.raises(LibraryError, match="at most 20 tags"):
        library_service.save(
            db, alice, "2606.00001", [",".join(f"t{n}" for n in range(21))], now=NOW
        )
    assert library_store.count_library(db, alice.id) == 0


def test_one_readers_library_is_invisible_to_another(db: Database) -> None:
    _papers(db)
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    library_service.save(db, alice, "2606.00001", ["secret"], now=NOW)
    library_store.set_not_interested(db, alice.id, "2606.00002", True, now=NOW)
    assert library_store.library_page(db, bob.id, tag=None, limit=10, offset=0) == ([], 0)
    assert library_store.tag_counts(db, bob.id) == []
    assert library_store.saved_among(db, bob.id, ["2606.00001"]) == set()
    assert library_store.not_interested_among(db, bob.id, ["2606.00002"]) == set()
    assert library_store.reader_signals(db, bob.id, limit=10).positives == ()


def test_removing_a_paper_takes_its_tags_and_a_hidden_paper_leaves_the_page(db: Database) -> None:
    _papers(db)
    alice = add_user(db, "alice")
    library_service.save(db, alice, "2606.00001", ["a"], now=NOW)
    library_service.save(db, alice, "2606.00002", ["b"], now=NOW)
    assert library_store.remove_paper(db, alice.id, "2606.00001")
    assert not library_store.remove_paper(db, alice.id, "2606.00001")
    hide_papers(db, ["2606.00002"], reason="test")
    assert library_store.library_page(db, alice.id, tag=None, limit=10, offset=0) == ([], 0)
    assert library_store.tag_counts(db, alice.id) == [("b", 1)]  # back when it is unhidden


def test_signals_are_saved_upvoted_and_rejected_papers_most_recent_first(db: Database) -> None:
    _papers(db)
    alice = add_user(db, "alice")
    library_service.save(db, alice, "2606.00001", [], now=NOW)
    library_service.save(db, alice, "2606.00003", [], now=NOW + timedelta(minutes=1))
    cast_vote(db, alice.id, "2606.00001", up=True, half_life_hours=72.0)
    cast_vote(db, alice.id, "2606.00004", up=True, half_life_hours=72.0)
    library_store.set_not_interested(db, alice.id, "2606.00002", True, now=NOW)
    signals = library_store.reader_signals(db, alice.id, limit=10)
    keys = library_store.keys_by_arxiv_id(db, [f"2606.0000{n}" for n in range(1, 5)])
    assert signals.saved == (keys["2606.00003"], keys["2606.00001"])
    assert set(signals.positives) == {keys["2606.00001"], keys["2606.00003"], keys["2606.00004"]}
    assert signals.rejected == (keys["2606.00002"],)
    library_store.set_not_interested(db, alice.id, "2606.00002", False, now=NOW)
    assert library_store.reader_signals(db, alice.id, limit=10).rejected == ()


def test_many_readers_signals_and_follows_are_each_their_own_and_capped(db: Database) -> None:
    _papers(db)
    alice, bob, carol = (add_user(db, name) for name in ("alice", "bob", "carol"))
    for minute, arxiv_id in enumerate(("2606.00001", "2606.00003", "2606.00004")):
        library_service.save(db, alice, arxiv_id, [], now=NOW + timedelta(minutes=minute))
    library_service.save(db, bob, "2606.00002", [], now=NOW)
    cast_vote(db, bob.id, "2606.00004", up=True, half_life_hours=72.0)
    follow_store.follow(db, bob.id, "author", "Ada Lovelace", now=NOW)
    readers = [alice.id, bob.id, carol.id]
    signals = library_store.readers_signals(db, readers, limit=2)
    keys = library_store.keys_by_arxiv_id(db, [f"2606.0000{n}" for n in range(1, 5)])
    assert signals[alice.id].saved == (keys["2606.00004"], keys["2606.00003"])
    assert signals[bob.id] == library_store.ReaderSignals(
        (keys["2606.00002"],), (keys["2606.00004"],), ()
    )
    assert signals[carol.id] == library_store.ReaderSignals((), (), ())
    for reader in readers:
        assert signals[reader] == library_store.reader_signals(db, reader, limit=2)
    follows = follow_store.follows_of_readers(db, readers)
    assert follows == {
        alice.id: [],
        bob.id: [follow_store.Follow("author", "Ada Lovelace")],
        carol.id: [],
    }


def test_import_matches_by_arxiv_id_then_doi_then_exact_title_and_reports_the_rest(
    db: Database,
) -> None:
    _papers(db)
    alice = add_user(db, "alice")
    library_service.save(db, alice, "2606.00003", [], now=NOW)
    parsed = ParsedLibrary(
        "bibtex",
        [
            Reference("by-id", "2606.00003", None, None, ("old",)),
            Reference("by-doi", None, "10.1000/xyz.2", None, ()),
            Reference("by-title", None, None, "attention is all you need.", ("nlp",)),
            Reference("unknown", "2501.99999", "10.9/none", "A paper not here", ()),
        ],
        ["entry 5: no closing brace"],
    )
    report = import_library(db, alice, parsed, ["imported"], now=NOW)
    assert (report.added, report.already) == (2, 1)
    assert report.unknown == ["unknown"] and report.problems == ["entry 5: no closing brace"]
    assert library_store.tag_counts(db, alice.id) == [("imported", 3), ("nlp", 1), ("old", 1)]


def test_titles_match_whatever_their_case_punctuation_and_spacing() -> None:
    assert title_key("Attention Is All You Need.") == title_key("attention  is all\nyou need")
    assert title_key("BERT: Pre-training") == title_key("bert pre training")
    assert title_key("Attention Is All You Need") != title_key("Attention Is Not All You Need")


def test_follows_fold_accents_and_case_and_are_kept_once(db: Database) -> None:
    alice = add_user(db, "alice")
    follow_store.follow(db, alice.id, "author", "Łukasz Kaiser", now=NOW)
    follow_store.follow(db, alice.id, "author", "lukasz  kaiser", now=NOW)
    follow_store.follow(db, alice.id, "category", "cs.CL", now=NOW)
    assert follow_store.follows_of(db, alice.id) == [
        follow_store.Follow("category", "cs.CL"),
        follow_store.Follow("author", "Łukasz Kaiser"),
    ]
    follow_store.unfollow(db, alice.id, "author", "LUKASZ KAISER")
    assert [f.kind for f in follow_store.follows_of(db, alice.id)] == ["category"]
