"""A reader's model: what their papers share, against ordinary papers, used to score new ones.

The profile is Rocchio's relevance feedback in two spaces. In keyword space, each term of
the reader's papers weighs idf⁴ · (its mean weight in the positives − in the background
− NEGATIVE_WEIGHT · in the explicit negatives); a paper's keyword score is the dot product
with its L2-normalised sublinear term frequencies (unigrams and bigrams of Porter stems).
In embedding space the profile is the same difference of means. The score is the keyword
score plus EMBEDDING_SHARE of the embedding score, each divided by its spread over the
background. docs/recommend.md gives the benchmark that chose this over a centroid, logistic
regression and linear SVMs: the strong idf power lets the rare terms a reader's papers
share (a method, a dataset, a disease) decide, which is what arxiv-sanity's tf-idf SVM
does well and static embeddings blur.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from paperwire.terms import (
    ABSTRACT,
    TITLE,
    analyze,
    decode_pairs,
    decode_terms,
    pair_terms,
    term_hash,
)

# Rare shared terms should decide: idf¹ lost to the tf-idf SVM on author readers, idf⁴ won.
IDF_POWER = 4
NEGATIVE_WEIGHT = 2.0  # an explicit "not interested" weighs twice a background paper
# Embeddings neither helped nor hurt the benchmark beside the terms; a small share keeps
# papers that share no term with the library in a sensible order.
EMBEDDING_SHARE = 0.1
MAX_DOCUMENT_SHARE = 0.05  # profile terms in more ordinary papers than this are left out


@dataclass(frozen=True, slots=True)
class TermRows:
    """Papers' keyword terms as sparse rows: row i is entries offsets[i]:offsets[i + 1]."""

    offsets: np.ndarray  # int64, one more than papers
    hashes: np.ndarray  # uint32 term hashes, distinct within a row
    weights: np.ndarray  # float32, 1 + log(count), each row of unit length

    def take(self, rows: np.ndarray) -> TermRows:
        starts, lengths = self.offsets[rows], np.diff(self.offsets)[rows]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        picks = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return TermRows(offsets, self.hashes[picks], self.weights[picks])


def term_rows(papers: Sequence[tuple[str, str]]) -> TermRows:
    """The term rows of (title, abstract) pairs."""
    return rows_of_counts([paper_terms(title, abstract) for title, abstract in papers])


def rows_of_counts(counts: Sequence[Counter[int]]) -> TermRows:
    """The term rows of papers' term counts (paper_terms)."""
    lengths = np.fromiter((len(c) for c in counts), np.int64, count=len(counts))
    hashes = np.fromiter((h for c in counts for h in c), np.uint32, count=int(lengths.sum()))
    tf = np.fromiter((n for c in counts for n in c.values()), np.float32, count=len(hashes))
    return _rows(lengths, hashes, tf)


def stored_rows(terms: Sequence[bytes], pairs: Sequence[bytes]) -> TermRows:
    """The term rows of papers from their stored terms and pairs (paperwire/terms.py), one
    of each per paper: the rows term_rows makes of their texts (counts capped at 255),
    without analysing any text. A stem and a pair that share a hash (about one paper in
    200,000) stay two entries of one term."""
    sizes, hashes, fields = decode_terms(terms)
    tf = fields[:, TITLE].astype(np.float32) + fields[:, ABSTRACT]
    owners = np.repeat(np.arange(len(terms)), sizes)
    in_text = tf > 0  # a stem of the author names only is no term of the model
    pair_sizes, pair_hashes, pair_counts = decode_pairs(pairs)
    owners = np.concatenate([owners[in_text], np.repeat(np.arange(len(pairs)), pair_sizes)])
    order = np.argsort(owners, kind="stable")
    hashes = np.concatenate([hashes[in_text], pair_hashes])[order]
    tf = np.concatenate([tf[in_text], pair_counts.astype(np.float32)])[order]
    return _rows(np.bincount(owners, minlength=len(terms)), hashes, tf)


def _rows(lengths: np.ndarray, hashes: np.ndarray, tf: np.ndarray) -> TermRows:
    """Rows of lengths[i] entries each, from raw counts: sublinear, of unit length."""
    weights = 1 + np.log(tf)
    owners = np.repeat(np.arange(len(lengths)), lengths)
    norms = np.sqrt(np.bincount(owners, weights**2, minlength=len(lengths)))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return TermRows(offsets, hashes.astype(np.uint32), (weights / norms[owners]).astype(np.float32))


def paper_terms(title: str, abstract: str) -> Counter[int]:
    """Term hashes and counts: the stems of title and abstract, and their pairs within
    each (a pair of words names a method far better than either word)."""
    counts: Counter[int] = Counter()
    for text in (title, abstract):
        stems = analyze(text)
        counts.update(term_hash(stem) for stem in stems)
        counts.update(term_hash(pair) for pair in pair_terms(stems))
    return counts


@dataclass(frozen=True)
class Papers:
    """Papers as the model reads them: embeddings and, when known, their term rows."""

    vectors: np.ndarray  # float32, L2-normalised rows
    terms: TermRows | None = None

    def take(self, rows: np.ndarray) -> Papers:
        return Papers(self.vectors[rows], None if self.terms is None else self.terms.take(rows))

    @cached_property
    def postings(self) -> _Postings:
        """The entries sorted by term, built once: a feed reuses its candidates and background."""
        if self.terms is None:
            raise ValueError("these papers have no term rows")
        return _Postings.of(self.terms)


@dataclass(frozen=True, slots=True)
class _Postings:
    terms: np.ndarray  # distinct hashes, ascending
    starts: np.ndarray  # where each term's entries begin, then the end
    rows: np.ndarray  # the paper of each entry
    weights: np.ndarray
    totals: np.ndarray  # each term's summed weight…
    squares: np.ndarray  # …and summed squared weight
    papers: int

    @classmethod
    def of(cls, terms: TermRows) -> _Postings:
        order = np.argsort(terms.hashes, kind="stable")
        distinct, starts = np.unique(terms.hashes[order], return_index=True)
        papers = len(terms.offsets) - 1
        owners = np.repeat(np.arange(papers), np.diff(terms.offsets))
        weights = terms.weights[order]
        totals, squares = (
            np.add.reduceat(w, starts) if len(starts) else w for w in (weights, weights**2)
        )
        ends = np.append(starts, len(order))
        return cls(distinct, ends, owners[order], weights, totals, squares, papers)

    def find(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each hash: its position among terms, and whether it is there at all."""
        if not len(self.terms):
            return np.zeros(len(hashes), np.int64), np.zeros(len(hashes), bool)
        at = np.minimum(np.searchsorted(self.terms, hashes), len(self.terms) - 1)
        return at, self.terms[at] == hashes

    def statistics(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each term's mean weight and mean squared weight per paper, and its document
        frequency (all 0 for a term no paper has)."""
        at, found = self.find(hashes)
        means = np.where(found, self.totals[at], 0.0) / max(self.papers, 1)
        squares = np.where(found, self.squares[at], 0.0) / max(self.papers, 1)
        return means, squares, np.where(found, self.starts[at + 1] - self.starts[at], 0)

    def scores(self, hashes: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each paper's dot product with a sparse profile, reading only the profile's terms."""
        at, found = self.find(hashes)
        firsts, lasts = self.starts[at[found]], self.starts[at[found] + 1]
        lengths = lasts - firsts
        # The entries of every profile term, one run after another.
        before = np.cumsum(lengths) - lengths
        entries = np.repeat(firsts - before, lengths) + np.arange(int(lengths.sum()))
        products = self.weights[entries] * np.repeat(weights[found], lengths)
        return np.bincount(self.rows[entries], products, minlength=self.papers)


@dataclass(frozen=True)
class ReaderModel:
    """Scores papers for one reader; the two spreads are folded into the weights."""

    vector: np.ndarray  # embedding profile
    term_hashes: np.ndarray  # keyword profile: its terms, ascending
    term_weights: np.ndarray

    def scores(self, candidates: Papers | np.ndarray) -> np.ndarray:
        """One score per candidate, higher = better for this reader."""
        papers = _as_papers(candidates)
        scores = papers.vectors @ self.vector
        if papers.terms is not None and len(self.term_hashes):
            scores = scores + papers.postings.scores(self.term_hashes, self.term_weights)
        return np.asarray(scores, dtype=np.float32)


def train_reader_model(
    positives: Papers | np.ndarray, negatives: Papers | np.ndarray, background: Papers | np.ndarray
) -> ReaderModel:
    """The model of a reader who keeps positives (≥ 1) and turned negatives down (maybe none),
    against background: a sample of ordinary papers (1,000–2,000), the same for every
    reader of a feed so that its postings are built once. Plain arrays are embeddings
    without terms: the model then has its embedding half only."""
    liked, disliked, ordinary = (_as_papers(p) for p in (positives, negatives, background))
    if not len(liked.vectors):
        raise ValueError("a reader model needs at least one positive paper")
    vector = liked.vectors.mean(axis=0) - _mean(ordinary.vectors)
    vector = vector - NEGATIVE_WEIGHT * _mean(disliked.vectors)
    vector = EMBEDDING_SHARE * vector / _spread(ordinary.vectors @ vector)
    hashes, weights = _term_profile(liked, disliked, ordinary)
    return ReaderModel(vector.astype(np.float32), hashes, weights.astype(np.float32))


def _term_profile(
    liked: Papers, disliked: Papers, ordinary: Papers
) -> tuple[np.ndarray, np.ndarray]:
    """The keyword profile over the terms of the reader's papers (none without terms), in
    units of the spread of background scores."""
    if liked.terms is None or ordinary.terms is None:
        return np.zeros(0, np.uint32), np.zeros(0)
    rows = [(liked.terms, 1.0 / len(liked.vectors))]
    if disliked.terms is not None and len(disliked.vectors):
        rows.append((disliked.terms, -NEGATIVE_WEIGHT / len(disliked.vectors)))
    hashes = np.concatenate([terms.hashes for terms, _ in rows])
    weights = np.concatenate([terms.weights * share for terms, share in rows])
    distinct, inverse = np.unique(hashes, return_inverse=True)
    means = np.bincount(inverse, weights, minlength=len(distinct))
    background, squares, frequency = ordinary.postings.statistics(distinct)
    # Terms in more than one ordinary paper in 20 say little about a reader and have the
    # longest postings: leaving them out makes scoring several times faster.
    keep = frequency <= MAX_DOCUMENT_SHARE * ordinary.postings.papers
    idf = np.log((1 + ordinary.postings.papers) / (1 + frequency[keep])) + 1
    profile = (means[keep] - background[keep]) * idf**IDF_POWER
    # The spread of background scores as if terms were independent: scoring the whole
    # background would cost as much as scoring the candidates.
    variance = profile**2 @ (squares[keep] - background[keep] ** 2)
    return distinct[keep], profile / (math.sqrt(variance) if variance > 1e-24 else 1.0)


def _as_papers(papers: Papers | np.ndarray) -> Papers:
    return papers if isinstance(papers, Papers) else Papers(np.asarray(papers, dtype=np.float32))


def _mean(vectors: np.ndarray) -> np.ndarray:
    return vectors.mean(axis=0) if len(vectors) else np.zeros(vectors.shape[1], np.float32)


def _spread(scores: np.ndarray) -> float:
    """The standard deviation of background scores: the unit both halves are measured in."""
    spread = float(np.std(scores)) if len(scores) else 0.0
    return spread if spread > 1e-12 else 1.0
