"""Key terms shown as words a reader can read, heaviest first, never stop words."""

from __future__ import annotations

from paperwire.recommend.explain import shared_key_terms, surface_words
from paperwire.terms import analyze

CANDIDATE = (
    "Distilling Video Diffusion Models for Real-Time Generation",
    "We use distillation to make video diffusion models run in real time on a phone, "
    "and we show that distillation keeps the quality of the video model.",
)


def test_shared_key_terms_are_readable_words_heaviest_first() -> None:
    weights = {"diffus": 3.0, "video": 2.0, "distil": 1.0, "model": 0.5}
    text = f"{CANDIDATE[0]}\n{CANDIDATE[1]}"
    shared = shared_key_terms(analyze(text), weights)
    assert shared == ["diffus", "video", "distil"]
    words = surface_words(text)
    assert [words[term] for term in shared] == ["diffusion", "video", "distillation"]


def test_stop_words_and_short_terms_never_appear() -> None:
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
