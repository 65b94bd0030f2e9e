"""Reciprocal-rank fusion and the marking of query words in text found by meaning."""

from __future__ import annotations

from paperwire.search.hybrid import mark_terms, reciprocal_rank_fusion
from paperwire.search.keyword import parse_query


def test_fusion_favours_items_high_in_both_lists_and_honours_weights() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], [1.0, 1.0], k=60)
    assert [item for item, _ in fused][:2] == ["a", "c"]
    keyword_heavy = reciprocal_rank_fusion([["b"], ["d"]], [1.0, 0.5], k=60)
    assert [item for item, _ in keyword_heavy] == ["b", "d"]


def test_marks_words_and_their_longer_forms_case_insensitively() -> None:
    marked = mark_terms("Distillation of Reward models", parse_query("distil reward"))
    assert marked == "<mark>Distillation</mark> of <mark>Reward</mark> models"


def test_text_is_escaped_before_marking() -> None:
    marked = mark_terms("<b>reward</b> & more", parse_query("reward"))
    assert marked == "&lt;b&gt;<mark>reward</mark>&lt;/b&gt; &amp; more"


def test_snippet_moves_to_the_first_match_when_it_lies_beyond_the_window() -> None:
    text = " ".join(f"w{i}" for i in range(100)) + " target word " + "tail " * 50
    snippet = mark_terms(text, parse_query("target"), max_words=20)
    assert snippet.startswith("…w92 ") and "<mark>target</mark>" in snippet
    assert snippet.endswith("…")
    start = mark_terms("target first " + text, parse_query("target"), max_words=20)
    assert start.startswith("<mark>target</mark> first")
