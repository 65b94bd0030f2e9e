"""Hybrid, keyword and semantic search and similar papers, with a deterministic embedder."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from embedders import HashingEmbedder
from factories import make_paper
from sqlalchemy import delete

from paperwire.search import engine
from paperwire.search.engine import Searcher, SearchMode
from paperwire.search.indexing import embed_papers, embed_pending
from paperwire.search.keyword import InvalidQuery
from paperwire.search.term_index import TermIndex
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.storage.schema import paper_terms
from paperwire.storage.search import PaperFilter

CAR = make_paper(
    arxiv_id="2404.10001",
    title="Self-driving car control with learned world models",
    abstract="A car learns to drive in a simulated city.",
    listing_day=date(2024, 4, 1),
    categories=("cs.RO",),
)
DOCTOR = make_paper(
    arxiv_id="2404.10002",
    title="Assisting the doctor with triage",
    abstract="Language models help a doctor decide which patient comes first.",
    listing_day=date(2024, 4, 2),
    categories=("cs.CL",),
)
TRANSLATION = make_paper(
    arxiv_id="2404.10003",
    title="Neural machine translation for low-resource languages",
    abstract="Translation between languages with little parallel text <b>escaped</b>.",
    listing_day=date(2024, 4, 3),
    categories=("cs.CL",),
)


FILLER_WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "aleph",
    "beth",
    "gimel",
    "daleth",
    "he",
    "waw",
]


@pytest.fixture
def searcher(db: Database) -> Searcher:
    # Fixed ids and words: hashed words of counter-numbered papers could land on "car".
    filler = [
        make_paper(
            arxiv_id=f"2403.{20000 + i:05d}",
            title=f"A study of example {word}",
            abstract=f"We study the {word} example. It matters.",
            listing_day=date(2024, 3, 20),
        )
        for i, word in enumerate(FILLER_WORDS)
    ]
    upsert_papers(db, [CAR, DOCTOR, TRANSLATION, *filler])
    embed_pending(db, HashingEmbedder())
    # Hashed words give low cosines; every neighbour counts in these tests.
    return Searcher(db, "unused", embedder=HashingEmbedder(), min_similarity=0.0)


def _ids(hits: list[object]) -> list[str]:
    return [hit.paper.arxiv_id for hit in hits]  # type: ignore[attr-defined]


def test_hybrid_finds_a_paper_by_a_word_it_does_not_contain(searcher: Searcher) -> None:
    # "automobile" is not in the text; the embedder knows it means "car".
    assert searcher.search("automobile", mode=SearchMode.KEYWORD, limit=5) == []
    assert _ids(searcher.search("automobile", limit=5))[0] == CAR.arxiv_id
    assert _ids(searcher.search("automobile", mode=SearchMode.SEMANTIC, limit=5))[0] == (
        CAR.arxiv_id
    )


def test_keyword_mode_needs_every_word_and_hybrid_ranks_any(searcher: Searcher) -> None:
    assert searcher.search("doctor translation", mode=SearchMode.KEYWORD, limit=5) == []
    found = _ids(searcher.search("doctor translation", limit=5))
    assert {DOCTOR.arxiv_id, TRANSLATION.arxiv_id} <= set(found[:2])


def test_filters_hold_in_every_mode(searcher: Searcher) -> None:
    for mode in SearchMode:
        in_cl = _ids(
            searcher.search("doctor car", mode=mode, limit=10, where=PaperFilter(category="cs.CL"))
        )
        assert CAR.arxiv_id not in in_cl
        april = PaperFilter(first=date(2024, 4, 2), last=date(2024, 4, 3))
        found = _ids(searcher.search("car doctor translation", mode=mode, limit=50, where=april))
        assert CAR.arxiv_id not in found
        assert all(i in {DOCTOR.arxiv_id, TRANSLATION.arxiv_id} for i in found)


def test_pages_do_not_overlap_and_add_up_to_the_whole(searcher: Searcher) -> None:
    whole = _ids(searcher.search("study example", limit=20))
    pages = [_ids(searcher.search("study example", limit=5, offset=o)) for o in (0, 5, 10, 15)]
    assert [i for page in pages for i in page] == whole


def test_semantic_hits_mark_query_words_and_escape_text(searcher: Searcher) -> None:
    hit = searcher.search("translation of languages", mode=SearchMode.SEMANTIC, limit=1)[0]
    assert hit.paper.arxiv_id == TRANSLATION.arxiv_id
    assert "<mark>translation</mark>" in hit.highlighted_title.lower()
    assert "&lt;b&gt;" in hit.highlighted_summary and "<b>" not in hit.highlighted_summary


def test_similar_papers_leave_the_paper_itself_out(searcher: Searcher) -> None:
    similar = searcher.similar(DOCTOR.arxiv_id, limit=3)
    assert DOCTOR.arxiv_id not in [item.paper.arxiv_id for item in similar]
    assert len(similar) == 3
    assert similar[0].similarity >= similar[-1].similarity
    assert searcher.similar("2404.99999", limit=3) == []


def test_similar_links_are_the_similar_papers_read_narrowly(searcher: Searcher) -> None:
    full = searcher.similar(DOCTOR.arxiv_id, limit=5)
    links = searcher.similar_links(DOCTOR.arxiv_id, limit=5)
    assert [
        (i.paper.arxiv_id, i.paper.title, i.paper.authors, i.paper.listing_day) for i in full
    ] == [(i.paper.arxiv_id, i.paper.title, i.paper.authors, i.paper.listing_day) for i in links]
    assert [i.similarity for i in full] == [i.similarity for i in links]
    assert searcher.similar_links("2404.99999", limit=3) == []


@pytest.mark.parametrize(
    "query",
    ['"unclosed phrase', "NEAR(car doctor)", "car:doctor ^x", "-car", "Zoë ü 日本語", "a" * 400],
)
def test_odd_queries_never_break_any_mode(searcher: Searcher, query: str) -> None:
    for mode in SearchMode:
        # A clear refusal is fine; an engine error is not.
        with contextlib.suppress(InvalidQuery):
            searcher.search(query, mode=mode, limit=5)


@pytest.mark.parametrize("query", ["", "   ", "!!! ---", "x" * 501])
def test_empty_or_absurd_queries_are_refused_clearly(searcher: Searcher, query: str) -> None:
    with pytest.raises(InvalidQuery):
        searcher.search(query, limit=5)


def test_a_new_version_is_found_by_its_new_text(db: Database, searcher: Searcher) -> None:
    renamed = make_paper(
        arxiv_id=CAR.arxiv_id,
        version=2,
        title="Physician scheduling",
        abstract="Rosters for hospital staff.",
        listing_day=CAR.listing_day,
    )
    upsert_papers(db, [renamed])
    assert embed_papers(db, HashingEmbedder(), [renamed.arxiv_id]) == 1
    top = _ids(searcher.search("doctor rosters", mode=SearchMode.SEMANTIC, limit=1))
    assert top == [CAR.arxiv_id]
    assert embed_pending(db, HashingEmbedder()).embedded == 0  # nothing left stale


def test_similar_papers_follow_a_changed_embedding(db: Database, searcher: Searcher) -> None:
    before = [item.paper.arxiv_id for item in searcher.similar(DOCTOR.arxiv_id, limit=1)]
    assert before != [TRANSLATION.arxiv_id]
    renamed = make_paper(
        arxiv_id=TRANSLATION.arxiv_id,
        version=2,
        title="Assisting the doctor with triage, again",
        abstract="Language models help a doctor decide which patient comes first.",
        listing_day=TRANSLATION.listing_day,
    )
    upsert_papers(db, [renamed])
    embed_papers(db, HashingEmbedder(), [renamed.arxiv_id])
    after = [item.paper.arxiv_id for item in searcher.similar(DOCTOR.arxiv_id, limit=1)]
    assert after == [TRANSLATION.arxiv_id]  # not the remembered answer from before the change


def test_hybrid_ranks_keywords_in_memory_without_sql(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sql(*args: object, **kwargs: object) -> None:
        raise AssertionError("the keyword list was ranked in SQL")

    if searcher.uses_database_vectors():
        pytest.skip("with pgvector both lists come from the database")
    monkeypatch.setattr(engine, "keyword_ranking", no_sql)
    found = _ids(searcher.search("doctor translation", limit=5))
    assert {DOCTOR.arxiv_id, TRANSLATION.arxiv_id} <= set(found[:2])


def test_papers_without_stored_terms_are_ranked_in_sql_until_the_backfill(
    db: Database, searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.write() as connection:  # a database upgraded from before stored terms
        connection.execute(delete(paper_terms))
    upgraded = Searcher(db, "unused", embedder=HashingEmbedder(), min_similarity=0.0)

    def no_memory(*args: object, **kwargs: object) -> None:
        raise AssertionError("ranked in memory over papers without terms")

    with monkeypatch.context() as patched:
        patched.setattr(TermIndex, "rank", no_memory)
        found = _ids(upgraded.search("doctor translation", limit=5))
    assert {DOCTOR.arxiv_id, TRANSLATION.arxiv_id} <= set(found[:2])
    assert embed_pending(db, HashingEmbedder()).analyzed == 3 + len(FILLER_WORDS)
    assert embed_pending(db, HashingEmbedder()).analyzed == 0
    monkeypatch.setattr(engine, "keyword_ranking", no_memory)
    if not upgraded.uses_database_vectors():
        found = _ids(upgraded.search("doctor translation", limit=5))
        assert {DOCTOR.arxiv_id, TRANSLATION.arxiv_id} <= set(found[:2])
