"""Explanations: the closest library paper, and key terms shown as words a reader can read."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.recommend.explain import (
    close_to_reason,
    closest_library_paper,
    key_terms_reason,
    library_term_weights,
    shared_key_terms,
    surface_words,
)
from paperwire.terms import analyze

LIBRARY = [
    ("Video diffusion distillation", "We distill a video diffusion model into a few steps."),
    ("Fast video generation", "Distillation makes video diffusion models fast."),
    ("Diffusion for images", "An image diffusion model with the usual tricks."),
]
CANDIDATE = (
    "Distilling Video Diffusion Models for Real-Time Generation",
    "We use distillation to make video diffusion models run in real time on a phone, "
    "and we show that distillation keeps the quality of the video model.",
)


def test_the_closest_library_paper_is_named_with_its_cosine() -> None:
    library = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1]], dtype=np.float32)
    candidate = np.array([0.5, 0.866, 0], dtype=np.float32)
    index, cosine = closest_library_paper(candidate, library)
    assert index == 1
    assert cosine == pytest.approx(0.6 * 0.5 + 0.8 * 0.866, abs=1e-5)
    reason = close_to_reason("Attention Is All\n  You Need", "1706.03762")
    assert reason.kind == "close-to"
    assert reason.text == 'close to "Attention Is All You Need" in your library'
    assert reason.arxiv_id == "1706.03762"


def test_an_empty_library_has_no_closest_paper() -> None:
    with pytest.raises(ValueError, match="empty"):
        closest_library_paper(np.ones(3, np.float32), np.zeros((0, 3), np.float32))


def test_terms_many_library_papers_share_and_few_others_use_weigh_most() -> None:
    terms = [analyze(f"{title} {abstract}") for title, abstract in LIBRARY]
    frequency = {"video": 50, "diffus": 80, "distil": 20, "model": 5000, "imag": 900}
    weights = library_term_weights(terms, frequency, papers=10_000)
    # In all three papers, in two, in three but in half of all papers.
    assert weights["diffus"] > weights["video"] > weights["model"]
    assert weights["diffus"] > weights["imag"]  # in all three papers, not one
    assert "we" not in weights and "a" not in weights


def test_shared_key_terms_are_readable_words_heaviest_first() -> None:
    terms = [analyze(f"{title} {abstract}") for title, abstract in LIBRARY]
    frequency = {"video": 50, "diffus": 80, "distil": 20, "model": 5000, "fast": 3000}
    weights = library_term_weights(terms, frequency, papers=10_000)
    text = f"{CANDIDATE[0]}\n{CANDIDATE[1]}"
    shared = shared_key_terms(analyze(text), weights)
    assert shared == ["diffus", "video", "distil"]
    reason = key_terms_reason(shared, surface_words(text))
    assert reason.kind == "key-terms"
    assert reason.text == "shares key terms: diffusion, video, distillation"
    assert reason.arxiv_id is None


def test_stop_words_and_short_terms_never_appear() -> None:
    raw = [["the", "using", "of", "3d", "ai", "x", "2024", "diffus"], ["the", "diffus", "ai"]]
    weights = library_term_weights(raw, {"the": 1, "using": 1, "ai": 1}, papers=1000)
    assert set(weights) == {"diffus"}
    candidate = ["the", "using", "ai", "3d", "diffus"]
    assert shared_key_terms(candidate, {"the": 9.0, "ai": 8.0, "diffus": 1.0}) == ["diffus"]


def test_surface_words_prefer_lower_case_but_keep_acronyms() -> None:
    words = surface_words("Distillation of LLMs. We distill LLMs with ReLU; distillation works.")
    assert words["distil"] == "distillation"
    assert words["llm"] == "LLMs"
    assert words["relu"] == "ReLU"
    assert "we" not in words and "of" not in words


def test_shared_key_terms_respect_the_limit_and_the_library() -> None:
    weights = {"graph": 3.0, "molecul": 2.0, "messag": 1.0}
    assert shared_key_terms(["messag", "graph", "protein", "molecul"], weights, limit=2) == [
        "graph",
        "molecul",
    ]
    assert shared_key_terms(["protein"], weights) == []
