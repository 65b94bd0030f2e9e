"""The words a paper is indexed by for keyword ranking in memory, and their stored format.

A text becomes terms by folding case and accents, splitting on anything that is not a
letter or digit, leaving out STOPWORDS and reducing each word to its Porter stem (the
stemmer SQLite's FTS5 index uses too), so that "distilled" and "distillation" meet. A
term is stored as the CRC-32 of its stem: four bytes instead of the word. Among the
268,556 distinct terms of 137k arXiv papers about 8 pairs are expected to share a hash,
which costs a few spurious matches of rare words and nothing else.

Stored format of one paper's terms (docs/search.md): n little-endian uint32 term hashes,
ascending, then n rows of three uint8 counts: in the title, the authors, the abstract
(each capped at 255).

Stored beside them, a paper's pairs: the hashes of adjacent terms ("diffus model") within
its title and within its abstract, which the reader model weighs with the terms
(paperwire/recommend/model.py): n little-endian uint32 hashes of "stem stem", ascending,
then n uint8 counts (title and abstract together, capped at 255).
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import Stemmer

# Stored beside each paper's terms: a paper whose terms were made by another analyzer is
# analyzed again by `paperwire embed`. Change it whenever analyze() changes.
ANALYZER = "porter-1"
FIELDS = 3  # title, authors, abstract
TITLE, AUTHORS, ABSTRACT = range(FIELDS)
HASH_DTYPE = np.dtype("<u4")
MAX_COUNT = 255
# Left out of the term index and of any-term queries, where they would match nearly every
# paper and only slow the ranking down; they still count inside "quoted phrases".
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "more",
        "most",
        "not",
        "of",
        "on",
        "or",
        "our",
        "over",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "under",
        "using",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "within",
        "without",
        "you",
    ]
)
_WORD_RE = re.compile(r"[^\W_]+")
_MAX_CACHED_STEMS = 500_000
_stems: dict[str, str] = {}
_term_bytes: dict[str, tuple[int, bytes]] = {}
# A folded word's term hash and tail, for _term_keys.
_word_keys: dict[str, tuple[int, bytes]] = {}
_local = threading.local()


def analyze(text: str) -> list[str]:
    """The terms of a text, in order, repeats kept."""
    return [_stem(word) for word in _words(text)]


def _words(text: str) -> list[str]:
    """The words of a text that become terms: folded, stopwords left out, not yet stemmed."""
    return [word for word in _WORD_RE.findall(_fold(text)) if word not in STOPWORDS]


def term_hash(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


def query_hashes(text: str) -> np.ndarray:
    """The distinct term hashes of a query, ascending."""
    return np.unique(np.fromiter((term_hash(t) for t in analyze(text)), HASH_DTYPE))


def prefix_stem(word: str) -> str:
    """The stem a typed prefix is matched as: folded and stemmed like a word, so that
    "transformers*" and "happy*" find the stems "transform" and "happi" begin."""
    return _stem(_fold(word))


def encode_paper_terms(title: str, authors: Iterable[str], abstract: str) -> bytes:
    """One paper's terms in the stored format."""
    return encode_paper(title, authors, abstract)[0]


def encode_paper(title: str, authors: Iterable[str], abstract: str) -> tuple[bytes, bytes]:
    """One paper's terms and pairs in their stored formats, each text analysed once."""
    fields = [_term_keys(text) for text in (title, ", ".join(authors), abstract)]
    return _encode_fields(fields), _encode_pairs([fields[TITLE], fields[ABSTRACT]])


def _term_keys(text: str) -> list[tuple[int, bytes]]:
    """_hash_and_tail() of each term analyze() finds, with one cached lookup per word
    instead of a stem and then a hash: a bulk load analyses a million abstracts, whose
    words repeat (a fifth less time per paper)."""
    keys = []
    cached = _word_keys.get
    for word in _words(text):
        key = cached(word)
        if key is None:
            key = _hash_and_tail(_stem(word))
            if len(_word_keys) < _MAX_CACHED_STEMS:
                _word_keys[word] = key
        keys.append(key)
    return keys


def pair_terms(stems: Sequence[str]) -> Iterator[str]:
    """The pairs of adjacent stems of one text, as the reader model names them."""
    return (f"{a} {b}" for a, b in itertools.pairwise(stems))


def decode_terms(blobs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many papers' stored terms at once: (terms per paper, all term hashes, all counts
    (n, FIELDS)), papers one after another; ValueError for a blob of impossible length."""
    sizes, hashes, counts = _decode(blobs, FIELDS, "term")
    return sizes, hashes, counts.reshape(-1, FIELDS)


def decode_pairs(blobs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many papers' stored pairs at once: (pairs per paper, all pair hashes, all counts),
    papers one after another; ValueError for a blob of impossible length."""
    return _decode(blobs, 1, "pair")


def _encode_fields(fields: Sequence[Sequence[tuple[int, bytes]]]) -> bytes:
    field_hashes = [np.array([h for h, _ in terms], dtype=HASH_DTYPE) for terms in fields]
    hashes = np.unique(np.concatenate(field_hashes))
    table = np.zeros((len(hashes), FIELDS), dtype=np.int64)
    for field, found in enumerate(field_hashes):
        np.add.at(table[:, field], np.searchsorted(hashes, found), 1)
    counts = np.minimum(table, MAX_COUNT).astype(np.uint8)
    return hashes.astype(HASH_DTYPE).tobytes() + counts.tobytes()


def _encode_pairs(texts: Sequence[Sequence[tuple[int, bytes]]]) -> bytes:
    # crc32 continues a checksum: the pair "a b" is the hash of "a" carried over " b".
    found = [
        zlib.crc32(tail, first)
        for terms in texts
        for (first, _), (_, tail) in itertools.pairwise(terms)
    ]
    hashes, counts = np.unique(np.array(found, dtype=HASH_DTYPE), return_counts=True)
    return hashes.tobytes() + np.minimum(counts, MAX_COUNT).astype(np.uint8).tobytes()


def _hash_and_tail(term: str) -> tuple[int, bytes]:
    """The term's hash, and " term" in UTF-8 for the hash of a pair that ends with it;
    cached: a corpus repeats its terms."""
    found = _term_bytes.get(term)
    if found is None:
        encoded = term.encode("utf-8")
        found = (zlib.crc32(encoded), b" " + encoded)
        if len(_term_bytes) < _MAX_CACHED_STEMS:
            _term_bytes[term] = found
    return found


def _decode(
    blobs: Sequence[bytes], counts_per_hash: int, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width = HASH_DTYPE.itemsize + counts_per_hash
    lengths = np.fromiter((len(blob) for blob in blobs), np.int64, count=len(blobs))
    if np.any(lengths % width):
        raise ValueError(f"a stored {what} list is not a whole number of {width}-byte {what}s")
    sizes = lengths // width
    joined = np.frombuffer(b"".join(blobs), np.uint8)
    # Each blob is its hash bytes, then its count bytes: mark which bytes are which.
    runs = np.column_stack([sizes * HASH_DTYPE.itemsize, sizes * counts_per_hash]).ravel()
    is_hash = np.repeat(np.tile([True, False], len(blobs)), runs)
    return sizes, joined[is_hash].view(HASH_DTYPE), joined[~is_hash]


def _fold(text: str) -> str:
    """Lower case without accents: "Schrödinger" and "schrodinger" are one word."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    stem = _stems.get(word)
    if stem is None:
        stem = _stemmer().stemWord(word)
        if len(_stems) < _MAX_CACHED_STEMS:
            _stems[word] = stem
    return stem


def _stemmer() -> Stemmer.Stemmer:
    # A Stemmer object must not be shared between threads.
    stemmer: Stemmer.Stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("porter")
    return stemmer
