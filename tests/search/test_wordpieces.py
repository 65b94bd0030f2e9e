"""The cached word pieces give the tokenizer's own ids: on real abstracts, on the text it
must hand to the tokenizer (accents, control characters, special tokens written out), past
the token limit, and after its cache fills up."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from model2vec import StaticModel
from tokenizers import Tokenizer

from paperwire.search import wordpieces
from paperwire.search.embedder import StaticEmbedder
from paperwire.search.wordpieces import CachedWordPieces
from tests.factories import shared_file

DATA = Path(__file__).resolve().parents[1] / "data"

ODD_TEXTS = [
    "",
    "   \n\t ",
    "Zoë's café: naïve Bayes über alles",
    "日本語のテキスト with English",
    "A [MASK] token, an [UNK] one, a [PAD] one and [unk] in lower case",
    "control\x0bcharacters\x0cand\x7fdelete and a \x00 NUL",
    "$\\mathcal{O}(n^2)$ bounds, p<0.05; e.g. {a|b} ~ x_1^2 @ 10% #1 & 'q' \"r\" `s`",
    "Self-supervised ViT pre-training (MAE) at 10^9 images",
    "a" * 150 + " overlong word, and " + "x" * 99 + " just short enough",
    "GPT-4o vs. LLaMA-3.1-70B-Instruct: 3.5x faster\r\non A100s",
]


def _model() -> StaticModel:
    return StaticEmbedder.bundled()._model


def _cache(model: StaticModel) -> CachedWordPieces:
    cache = CachedWordPieces.for_tokenizer(
        model.tokenizer, model.tokenize, max_tokens=model.max_length, unk_id=model.unk_token_id
    )
    assert cache is not None
    return cache


def _abstracts(lines: Iterable[str]) -> list[str]:
    return [
        record["title"] + "\n" + record["abstract"]
        for record in map(json.loads, lines)
        if record.get("abstract")
    ]


def _sample_abstracts() -> list[str]:
    ai = (DATA / "cs-ai-sample.jsonl").read_text().splitlines()
    with gzip.open(DATA / "cs-cv-sample.jsonl.gz", "rt") as cv:
        return _abstracts(ai) + _abstracts(cv)


def test_real_abstracts_and_odd_text_get_the_tokenizers_ids() -> None:
    model = _model()
    texts = _sample_abstracts() + ODD_TEXTS
    assert len(texts) > 40
    assert _cache(model).ids(texts) == model.tokenize(texts)


def test_text_past_the_token_limit_is_cut_where_the_tokenizer_cuts_it() -> None:
    model = _model()
    cache = _cache(model)
    long_text = " ".join(_sample_abstracts()[:6])
    overlong_word_first = "z" * 120 + " " + long_text  # one [UNK], dropped after the cut
    special_token_first = "[UNK] " + long_text  # read by the tokenizer itself
    for text, length in ((long_text, 512), (overlong_word_first, 511), (special_token_first, 511)):
        ids = cache.ids([text])[0]
        assert ids == model.tokenize([text])[0]
        assert len(ids) == length == model.max_length - (text != long_text)


def test_a_full_cache_starts_again_and_still_gives_the_same_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wordpieces, "MAX_CACHED_WORDS", 50)
    model = _model()
    cache = _cache(model)
    texts = _sample_abstracts()
    most_words_in_a_text = max(len(set(wordpieces._WORD.findall(t.lower()))) for t in texts)
    for text in texts:
        assert cache.ids([text]) == model.tokenize([text])
        assert len(cache._pieces) <= 50 + most_words_in_a_text


def test_a_tokenizer_that_keeps_case_is_left_to_itself() -> None:
    config = json.loads(_model().tokenizer.to_str())
    config["normalizer"]["lowercase"] = False
    cased = Tokenizer.from_str(json.dumps(config))
    assert (
        CachedWordPieces.for_tokenizer(cased, lambda texts: [], max_tokens=None, unk_id=None)
        is None
    )


def test_twenty_thousand_real_abstracts_get_the_tokenizers_ids() -> None:
    path = shared_file("arxiv/cs-ai-2024-2026.jsonl.gz")
    model = _model()
    cache = _cache(model)
    cut = model.max_length * model.median_token_length  # model2vec's cut before tokenizing
    with gzip.open(path, "rt") as lines:
        texts = _abstracts(itertools.islice(lines, 20_000))
    for start in range(0, len(texts), 2_000):
        batch = [text[:cut] for text in texts[start : start + 2_000]]
        assert cache.ids(batch) == model.tokenize(batch)
