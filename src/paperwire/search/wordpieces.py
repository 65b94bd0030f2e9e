"""Token ids for a BERT WordPiece tokenizer, with one cached lookup per word.

A static model's vector is the mean of its tokens' vectors, so embedding a paper is mostly
tokenizing it: about 350 µs of an abstract's 500. On plain ASCII text BERT's normalizer and
pre-tokenizer only lower-case and split the text into runs of letters and digits and single
punctuation marks, and each such word always gives the same pieces. A cache of word ->
pieces then stands in for the tokenizer on every word it has seen. Any other text (accents,
control characters, a special token written out) goes to the tokenizer itself. A test checks
that both give the same ids on real abstracts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# Printable ASCII and the three whitespace characters BERT keeps: on anything else its
# normalizer does more than lower-case (drops control characters, strips accents).
_PLAIN = re.compile(r"[\t\n\r -~]*")
# BERT's pre-tokenizer on that alphabet: words of letters and digits, each punctuation mark
# a word of its own, whitespace dropped.
_WORD = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")
# A corpus repeats its words; the bound keeps a bulk load's memory flat (about 100 bytes a
# word) when it meets millions of one-off numbers and names.
MAX_CACHED_WORDS = 300_000


Tokenize = Callable[[Sequence[str]], list[list[int]]]


class CachedWordPieces:
    """The ids `tokenize` gives (a tokenizer's ids cut to max_tokens, without unk_id, as
    model2vec's StaticModel.tokenize), for most texts without calling it."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        tokenize: Tokenize,
        *,
        max_tokens: int | None,
        unk_id: int | None,
    ) -> None:
        self._tokenizer = tokenizer
        self._tokenize = tokenize
        self._max_tokens = max_tokens
        self._unk_id = unk_id
        added = tokenizer.get_added_tokens_decoder().values()
        self._special = [token.content.lower() for token in added]
        self._pieces: dict[str, list[int]] = {}

    @classmethod
    def for_tokenizer(
        cls, tokenizer: Tokenizer, tokenize: Tokenize, *, max_tokens: int | None, unk_id: int | None
    ) -> CachedWordPieces | None:
        """A cache for this tokenizer, or None when its words cannot be cached this way
        (another normalizer, pre-tokenizer or model, or padding)."""
        if not _is_lowercasing_bert_wordpiece(tokenizer):
            return None
        return cls(tokenizer, tokenize, max_tokens=max_tokens, unk_id=unk_id)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        words = [self._words(text) for text in texts]
        pieces = self._pieces_of(
            {word for text_words in words if text_words for word in text_words}
        )
        others = [text for text, text_words in zip(texts, words, strict=True) if text_words is None]
        from_tokenizer = iter(self._tokenize(others) if others else [])
        return [
            next(from_tokenizer) if text_words is None else self._ids_of(text_words, pieces)
            for text_words in words
        ]

    def _words(self, text: str) -> list[str] | None:
        """The pre-tokenized words, or None for text the tokenizer itself must read."""
        if not _PLAIN.fullmatch(text):
            return None
        lowered = text.lower()
        # A special token written out ("[MASK]") is one token, not three words; looking
        # for it in any case also covers tokens matched after normalization.
        if any(token in lowered for token in self._special):
            return None
        return _WORD.findall(lowered)

    def _pieces_of(self, words: set[str]) -> dict[str, list[int]]:
        """The cache, holding at least these words. A full one is replaced, not cleared,
        so that a thread still reading the old one finds its words there."""
        pieces = self._pieces
        new = [word for word in words if word not in pieces]
        if not new:
            return pieces
        if len(pieces) + len(new) > MAX_CACHED_WORDS:
            self._pieces = pieces = {}
            new = list(words)
        encodings = self._tokenizer.encode_batch_fast(new, add_special_tokens=False)
        pieces.update(zip(new, (encoding.ids for encoding in encodings), strict=True))
        return pieces

    def _ids_of(self, words: list[str], pieces: dict[str, list[int]]) -> list[int]:
        ids: list[int] = []
        for word in words:
            ids += pieces[word]
        if self._max_tokens is not None and len(ids) > self._max_tokens:
            del ids[self._max_tokens :]
        if self._unk_id is not None and self._unk_id in ids:
            ids = [token for token in ids if token != self._unk_id]
        return ids


def _is_lowercasing_bert_wordpiece(tokenizer: Tokenizer) -> bool:
    # Read through the tokenizer's own objects: serialising its 450 KB of JSON to look
    # would cost every web worker's start 20 ms. A tokenizers release without these
    # getters gets model2vec's path.
    from tokenizers import models, normalizers, pre_tokenizers

    normalizer = tokenizer.normalizer
    padding = tokenizer.padding
    return (
        isinstance(normalizer, normalizers.BertNormalizer)
        and getattr(normalizer, "clean_text", None) is True
        and getattr(normalizer, "lowercase", None) is True
        and isinstance(tokenizer.pre_tokenizer, pre_tokenizers.BertPreTokenizer)
        and isinstance(tokenizer.model, models.WordPiece)
        and (padding is None or (padding["length"] == 0 and not padding["pad_to_multiple_of"]))
    )
