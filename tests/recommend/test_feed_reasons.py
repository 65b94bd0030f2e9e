"""A feed's "shares key terms" reason names the title words the reader's profile weighs."""

from __future__ import annotations

import numpy as np

from paperwire.recommend.feed import key_words
from paperwire.recommend.model import Papers, term_rows, train_reader_model

TOPICS = ["speech", "robots", "finance", "weather", "music", "chess", "traffic", "poetry"]


def _papers(texts: list[tuple[str, str]]) -> Papers:
    vectors = np.zeros((len(texts), 4), np.float32)
    vectors[:, 0] = 1.0
    return Papers(vectors, term_rows(texts))


def test_key_words_are_the_titles_words_the_library_shares_as_written() -> None:
    library = _papers([("Diffusion models for protein design", "Protein backbones by diffusion.")])
    ordinary = _papers(
        [(f"A study of {t} number {n}", f"About {t}.") for t in TOPICS for n in range(5)]
    )
    model = train_reader_model(library, _papers([]), ordinary)
    words = key_words(model, "Protein Diffusion with LLMs: a study")
    assert words[:2] in (["protein", "diffusion"], ["diffusion", "protein"])
    assert "study" not in words and "a" not in words  # ordinary words and stop words


def test_no_model_no_key_words() -> None:
    assert key_words(None, "Diffusion models for protein design") == []
