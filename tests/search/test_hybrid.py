"""Score fusion and the marking of query words in text found by meaning."""

from __future__ import annotations

from paperwire.search.hybrid import mark_terms, score_fusion
from paperwire.search.keyword import parse_query


def test_fusion_favours_items_high_in_both_lists_and_honours_weights() -> None:
    keyword = [("a", 12.0), ("b", 11.0), ("c", 2.0)]
    semantic = [("c", 0.9), ("a", 0.8), ("d", 0.1)]
    fused = score_fusion([keyword, semantic], [1.0, 1.0])
    assert [item for item, _ in fused][:2] == ["a", "c"]
    keyword_heavy = score_fusion([[("b", 3.0)], [("d", 0.7)]], [0.7, 0.3])
    assert [item for item, _ in keyword_heavy] == ["b", "d"]


def test_fusion_compares_scores_on_each_lists_own_scale() -> None:
    # bm25 runs into the tens, cosine stays under 1: each list is scaled to [0, 1] first,
    # so a clear semantic winner beats a keyword runner-up despite its smaller raw score.
    keyword = [("a", 40.0), ("b", 39.0), ("c", 10.0)]
    semantic = [("c", 0.95), ("b", 0.2), ("a", 0.1)]
    fused = dict(score_fusion([keyword, semantic], [0.5, 0.5]))
    assert fused["a"] == 0.5 and fused["c"] == 0.5
    assert fused["b"] > 0.5  # high in both


def test_fusion_of_empty_and_single_item_lists() -> None:
    assert score_fusion([[], []], [0.7, 0.3]) == []
    assert score_fusion([[("x", 5.0)], []], [0.7, 0.3]) == [("x", 0.7)]


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
