"""prefix* queries in every mode, on both databases: parsing, keyword mode, hybrid, BM25."""

from __future__ import annotations

import numpy as np
import pytest
from embedders import HashingEmbedder
from factories import make_paper

from paperwire.search.engine import Searcher, SearchMode
from paperwire.search.indexing import embed_pending
from paperwire.search.keyword import InvalidQuery, Term, parse_query
from paperwire.search.term_index import TermIndex
from paperwire.storage import Database
from paperwire.storage.papers import paper_key, upsert_papers
from paperwire.terms import HASH_DTYPE, term_hash

TRANSFORMERS = make_paper(
    arxiv_id="2405.10001",
    title="Sparse transformers for long documents",
    abstract="Attention over thousands of tokens.",
)
TRANSFORMATION = make_paper(
    arxiv_id="2405.10002",
    title="Image transformations as data augmentation",
    abstract="Rotations and crops help small datasets.",
)
DIFFUSION = make_paper(
    arxiv_id="2405.10003",
    title="Diffusion models for protein design",
    abstract="Denoising generates new backbones.",
)
LEARNING = make_paper(arxiv_id="2405.10004", title="Learning to rank", abstract="Pairwise losses.")
LEARNABILITY = make_paper(
    arxiv_id="2405.10005", title="Learnability of halfspaces", abstract="Sample complexity."
)
FORECASTING = make_paper(
    arxiv_id="2405.10006", title="Forecasting rainfall", abstract="Weather from radar."
)
FILLER = [
    make_paper(
        arxiv_id=f"2405.{20000 + i:05d}",
        title=f"A note on {word}",
        abstract=f"The {word} question, settled.",
    )
    for i, word in enumerate(["lattices", "knots", "groups", "rings", "fields", "sheaves"])
]
PAPERS = [TRANSFORMERS, TRANSFORMATION, DIFFUSION, LEARNING, LEARNABILITY, FORECASTING]


@pytest.fixture
def searcher(db: Database) -> Searcher:
    upsert_papers(db, [*PAPERS, *FILLER])
    embed_pending(db, HashingEmbedder())
    return Searcher(db, "unused", embedder=HashingEmbedder(), min_similarity=0.0)


def _by_words(searcher: Searcher, query: str, mode: SearchMode) -> set[str]:
    """The papers a query finds by its words (not by meaning alone)."""
    hits = searcher.search(query, mode=mode, limit=20)
    return {
        hit.paper.arxiv_id for hit in hits if mode is SearchMode.KEYWORD or not hit.by_meaning_only
    }


def test_a_star_inside_a_word_or_without_a_word_is_ignored() -> None:
    assert parse_query("trans*former") == [Term(("trans",)), Term(("former",))]
    assert parse_query("diffus** *") == [Term(("diffus",), prefix=True)]
    for query in ["*", "**", "_*", "__*"]:
        with pytest.raises(InvalidQuery, match="no words"):
            parse_query(query)


def test_a_prefix_shorter_than_three_letters_is_a_word() -> None:
    assert parse_query("tr* tra*") == [Term(("tr",)), Term(("tra",), prefix=True)]
    assert parse_query('"diffusion models"*') == [Term(("diffusion", "models"))]


@pytest.mark.parametrize("mode", [SearchMode.HYBRID, SearchMode.KEYWORD])
def test_prefixes_find_the_words_they_begin_in_every_mode(
    searcher: Searcher, mode: SearchMode
) -> None:
    assert _by_words(searcher, "transfor*", mode) == {
        TRANSFORMERS.arxiv_id,
        TRANSFORMATION.arxiv_id,
    }
    assert _by_words(searcher, "diffus*", mode) == {DIFFUSION.arxiv_id}
    # A whole word as the prefix: matched as its stem, as a word would be.
    assert _by_words(searcher, "diffusion*", mode) == {DIFFUSION.arxiv_id}
    assert _by_words(searcher, "transformers*", mode) == {
        TRANSFORMERS.arxiv_id,
        TRANSFORMATION.arxiv_id,
    }


@pytest.mark.parametrize("mode", [SearchMode.HYBRID, SearchMode.KEYWORD])
def test_a_prefix_that_is_a_stem_finds_the_longer_stems_too(
    searcher: Searcher, mode: SearchMode
) -> None:
    # "learn" is the stem of "learning"; "learnability" stems to "learnabl".
    assert _by_words(searcher, "learn*", mode) == {LEARNING.arxiv_id, LEARNABILITY.arxiv_id}


@pytest.mark.parametrize("mode", [SearchMode.HYBRID, SearchMode.KEYWORD])
def test_a_prefix_that_is_a_stopword_is_still_a_prefix(
    searcher: Searcher, mode: SearchMode
) -> None:
    assert _by_words(searcher, "for*", mode) >= {FORECASTING.arxiv_id}


@pytest.mark.parametrize("mode", [SearchMode.HYBRID, SearchMode.KEYWORD])
def test_a_too_short_prefix_matches_only_itself(searcher: Searcher, mode: SearchMode) -> None:
    assert _by_words(searcher, "tr*", mode) == set()


def test_prefix_and_words_rank_papers_with_both_first(searcher: Searcher) -> None:
    hits = searcher.search("transfor* documents", limit=3)
    assert hits[0].paper.arxiv_id == TRANSFORMERS.arxiv_id
    assert "<mark>transformers</mark>" in hits[0].highlighted_title


def test_every_mode_takes_a_star_alone_after_words(searcher: Searcher) -> None:
    for mode in SearchMode:
        searcher.search("protein *", mode=mode, limit=5)  # no exception is the assertion


def test_a_group_of_stems_counts_as_one_term(db: Database) -> None:
    # As separate terms, the rare spelling's high idf would put its paper above those with
    # the common one; as one term (a prefix's stems) each of them holds it once and they
    # tie, and the paper with both spellings holds it twice and leads.
    titles = [
        "alpha transform",
        "alpha transform",
        "alpha transformerfam",
        "transform transformerfam",
    ]
    ids = [f"2405.{30001 + i}" for i in range(len(titles))]
    upsert_papers(
        db, [make_paper(arxiv_id=i, title=t, abstract="") for i, t in zip(ids, titles, strict=True)]
    )
    index = TermIndex()
    index.refresh(db)
    group = np.array(sorted({term_hash("transform"), term_hash("transformerfam")}), HASH_DTYPE)
    scores = dict(index.rank(np.zeros(0, HASH_DTYPE), 10, groups=[group]))
    common, rare, both = (paper_key(db, ids[n]) for n in (0, 2, 3))
    assert scores[common] == pytest.approx(scores[rare])
    assert max(scores.values()) == scores[both]
