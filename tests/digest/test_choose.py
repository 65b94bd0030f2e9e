"""Choosing a digest's papers: never twice, trending order, topics and their relevance."""

from __future__ import annotations

from datetime import date

from factories import make_paper

from paperwire.digest.choose import choose_papers, rank_by_trending, relevance
from paperwire.digest.model import Preferences, Topic

DAY = date(2024, 4, 8)


def test_trending_digest_keeps_the_order_leaves_out_what_was_sent_and_stops_at_size() -> None:
    papers = [make_paper() for _ in range(6)]
    sent = {papers[0].arxiv_id, papers[2].arxiv_id}
    chosen = choose_papers(Preferences(size=3), papers, sent)
    assert [c.paper for c in chosen] == [papers[1], papers[3], papers[4]]


def test_topic_digest_takes_only_matching_papers_most_relevant_first() -> None:
    weak = make_paper(title="A survey", abstract="We discuss diffusion models briefly.")
    strong = make_paper(title="Diffusion models for proteins", abstract="Diffusion again.")
    other = make_paper(title="Graph neural networks", abstract="Nothing about it.")
    topic = Topic(name="diffusion", include=("diffusion models",))
    preferences = Preferences(content="topics", topics=(topic,))
    chosen = choose_papers(preferences, [weak, other, strong], set())
    assert [c.paper for c in chosen] == [strong, weak]
    assert chosen[0].why == "diffusion"


def test_every_filled_in_list_of_a_topic_must_match() -> None:
    paper = make_paper(
        title="Reasoning in language models", authors=("Ada Lovelace",), categories=("cs.CL",)
    )
    assert relevance(paper, Topic(include=("reasoning",), categories=("cs.CL",)), set()) > 0
    assert relevance(paper, Topic(include=("reasoning",), categories=("cs.CV",)), set()) == 0
    assert relevance(paper, Topic(authors=("lovelace",)), set()) > 0
    assert relevance(paper, Topic(authors=("Turing",)), set()) == 0
    assert relevance(paper, Topic(categories=("cs",)), set()) > 0  # a whole archive


def test_an_excluded_keyword_rules_a_paper_out() -> None:
    paper = make_paper(title="Reasoning benchmarks", abstract="A survey of reasoning.")
    assert relevance(paper, Topic(include=("reasoning",), exclude=("survey",)), set()) == 0


def test_keywords_match_whole_words_only() -> None:
    paper = make_paper(title="Transformers", abstract="Transformation of graphs.")
    assert relevance(paper, Topic(include=("transform",)), set()) == 0
    assert relevance(paper, Topic(include=("TRANSFORMERS",)), set()) > 0


def test_a_saved_search_topic_matches_the_papers_the_search_found() -> None:
    found = make_paper()
    missed = make_paper()
    topic = Topic(query="distillation")
    preferences = Preferences(content="topics", topics=(topic,))
    chosen = choose_papers(preferences, [missed, found], set(), {"distillation": {found.arxiv_id}})
    assert [c.paper for c in chosen] == [found]


def test_rank_by_trending_prefers_upvotes_decayed_by_age() -> None:
    old_popular = make_paper(listing_day=date(2024, 4, 1), imported_upvotes=40)
    new_modest = make_paper(listing_day=DAY, imported_upvotes=10)
    new_unvoted = make_paper(listing_day=DAY, imported_upvotes=0)
    ranked = rank_by_trending([new_unvoted, old_popular, new_modest], DAY, half_life_hours=24)
    assert ranked == [new_modest, old_popular, new_unvoted]
