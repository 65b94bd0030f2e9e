"""Reader-model benchmark: recall@50 of the "for you" ranking against arxiv-sanity's tf-idf SVM.

Run from the repository root: `.venv/bin/python bench/run_recommend.py`. It needs the two
AI listing files of the shared data folder; without them it says which is missing and
exits 0.

Readers are built from the listings alone, and every method sees content only (title and
abstract), never author names, so that author readers do not leak their answer:

- author readers: authors with at least 5 papers before the cutoff and 2 in the 30 days
  after it; library = their papers before the cutoff, targets = their papers in the window;
- topic readers: a rare, topical title term (a Porter stem in the titles of 10 to 150
  papers before the cutoff, of at least 2 in the window, and in the title of at least 15%
  of the earlier papers that use it anywhere); library = the 30 latest (at most) papers
  before the cutoff with it in the title, targets = the window's papers with it in the title.

Candidates are every paper in the evaluation window (a reader's own library removed), the
background 2,000 papers of the 90 days before the cutoff. Each method ranks the
candidates; recall@50 (the share of a reader's targets in its top 50) and nDCG@50 are
averaged over readers, with the median time to train and score per reader and the gain
over the baseline on the same readers (95% interval). The default cutoff is held out: the
model's settings were chosen on the readers of TUNING_CUTOFF. Last, a speed run trains
and scores 10,000 readers' feeds of 50 positives each over 5,000 candidates.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import math
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import RESULTS_DIR, SHARED_DATA, machine_info, write_json

from paperwire.recommend import model
from paperwire.recommend.model import Papers, term_rows, train_reader_model
from paperwire.search.embedder import load_embedder
from paperwire.storage.embeddings import embedding_text
from paperwire.terms import STOPWORDS, analyze

LISTING_FILES = ("cs-ai-2024-2026.jsonl.gz", "cs-cv-cl-ai-2025-2026.jsonl.gz")
# Held out: the model's settings were chosen on readers of TUNING_CUTOFF.
CUTOFF = date(2026, 1, 15)
TUNING_CUTOFF = date(2025, 12, 1)
WINDOW_DAYS = 30
DEPTH = 50
READERS_PER_KIND = 800  # fewer leave the author gain inside the noise (300: ±0.025)
BACKGROUND_PAPERS = 2_000
BACKGROUND_DAYS = 90  # the background is drawn from the papers of the days before the cutoff
AUTHOR_MIN_LIBRARY, AUTHOR_MIN_TARGETS = 5, 2
TOPIC_MIN_PAPERS, TOPIC_MAX_PAPERS, TOPIC_LIBRARY = 10, 150, 30
TOPIC_MIN_TITLE_SHARE = 0.15
RANDOM_SEED = 20251201
SPEED_READERS, SPEED_POSITIVES, SPEED_CANDIDATES = 10_000, 50, 5_000
TARGET_MEDIAN_MS, TARGET_FEEDS_S = 5.0, 60.0
# Settings of paperwire.recommend.model measured and not kept (--variants).
VARIANTS: dict[str, dict[str, float]] = {
    "idf power 1": {"IDF_POWER": 1},
    "idf power 2": {"IDF_POWER": 2},
    "no embedding share": {"EMBEDDING_SHARE": 0.0},
    "embedding share 0.5": {"EMBEDDING_SHARE": 0.5},
    "every profile term kept": {"MAX_DOCUMENT_SHARE": 1.0},
}
_ID_VERSION_RE = re.compile(r"v\d+$")


@dataclass(frozen=True, slots=True)
class Corpus:
    """Every paper of the listing files once, in a fixed order (the embedding rows)."""

    ids: list[str]
    days: np.ndarray  # int64 proleptic ordinals of the first listing (or v1) day
    titles: list[str]
    abstracts: list[str]
    authors: list[tuple[str, ...]]

    def texts(self, rows: Iterable[int]) -> list[str]:
        return [embedding_text(self.titles[r], self.abstracts[r]) for r in rows]

    def papers(self, rows: Iterable[int]) -> list[tuple[str, str]]:
        return [(self.titles[r], self.abstracts[r]) for r in rows]


@dataclass(frozen=True, slots=True)
class Reader:
    kind: str  # "author" | "topic"
    name: str
    library: np.ndarray  # corpus rows
    targets: np.ndarray  # corpus rows, all among the candidates


@dataclass(frozen=True, slots=True)
class Split:
    """What every method shares: the candidates and the background sample (corpus rows)."""

    candidates: np.ndarray
    background: np.ndarray


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers-dir", type=Path, default=SHARED_DATA / "arxiv")
    parser.add_argument("--readers", type=int, default=READERS_PER_KIND, help="per kind")
    parser.add_argument("--cutoff", type=date.fromisoformat, default=CUTOFF)
    parser.add_argument(
        "--variants", action="store_true", help="also the shipped model's settings not kept"
    )
    parser.add_argument("--speed-readers", type=int, default=SPEED_READERS)
    parser.add_argument("--speed-only", action="store_true", help="skip the quality phase")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "recommend.json")
    return parser.parse_args(argv)


# --- the papers and their embeddings ---------------------------------------------------


def load_corpus(files: Sequence[Path]) -> Corpus:
    """The papers of every file once (ids without version), each on its earliest day."""
    found: dict[str, dict[str, Any]] = {}
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                arxiv_id = _ID_VERSION_RE.sub("", record["id"])
                day = (record.get("published") or record["first_listed"])[:10]
                if arxiv_id in found:
                    found[arxiv_id]["day"] = min(found[arxiv_id]["day"], day)
                else:
                    found[arxiv_id] = record | {"day": day}
    ids = sorted(found)
    records = [found[i] for i in ids]
    return Corpus(
        ids=ids,
        days=np.array([date.fromisoformat(r["day"]).toordinal() for r in records], np.int64),
        titles=[r["title"] for r in records],
        abstracts=[r["abstract"] for r in records],
        authors=[tuple(r["authors"]) for r in records],
    )


def corpus_embeddings(corpus: Corpus, files: Sequence[Path]) -> tuple[np.ndarray, float | None]:
    """Every paper's vector (float32), cached under bench/results/ keyed by the input files;
    also the embedding rate in papers/s when they had to be computed."""
    embedder = load_embedder("bundled")
    key = hashlib.blake2b(digest_size=8)
    for path in files:
        stat = path.stat()
        key.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    key.update(embedder.name.encode())
    cache = RESULTS_DIR / f"recommend-embeddings-{key.hexdigest()}.npy"
    if cache.is_file():
        vectors = np.load(cache)
        if len(vectors) == len(corpus.ids):
            return vectors.astype(np.float32), None
    started = time.perf_counter()
    vectors = embedder.embed(corpus.texts(range(len(corpus.ids))))
    rate = len(vectors) / (time.perf_counter() - started)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors.astype(np.float16))  # as the service stores them
    return vectors.astype(np.float16).astype(np.float32), rate


# --- readers -------------------------------------------------------------------------


def make_split(corpus: Corpus, cutoff: date, readers: Sequence[Reader], seed: int) -> Split:
    """The window's papers, and a background drawn from the days before the cutoff (no
    reader's library paper in it: one background serves every reader, as in a feed)."""
    start = cutoff.toordinal()
    window = (corpus.days >= start) & (corpus.days < start + WINDOW_DAYS)
    recent = (corpus.days >= start - BACKGROUND_DAYS) & (corpus.days < start)
    libraries = np.concatenate([reader.library for reader in readers])
    recent[libraries] = False
    rng = np.random.default_rng(seed)
    background = rng.choice(np.flatnonzero(recent), size=BACKGROUND_PAPERS, replace=False)
    return Split(candidates=np.flatnonzero(window), background=np.sort(background))


def author_readers(corpus: Corpus, cutoff: date, count: int, seed: int) -> list[Reader]:
    """Authors with ≥ 5 papers before the cutoff and ≥ 2 in the window, a sample of count."""
    before, after = _grouped(corpus, cutoff, lambda row: corpus.authors[row])
    names = sorted(
        name
        for name, rows in after.items()
        if len(rows) >= AUTHOR_MIN_TARGETS and len(before.get(name, ())) >= AUTHOR_MIN_LIBRARY
    )
    chosen = random.Random(seed).sample(names, min(count, len(names)))
    return [_reader("author", name, before[name], after[name]) for name in chosen]


def topic_readers(corpus: Corpus, cutoff: date, count: int, seed: int) -> list[Reader]:
    """Rare, topical title terms: in 10–150 titles before the cutoff, ≥ 2 in the window, and
    in the title of at least TOPIC_MIN_TITLE_SHARE of the earlier papers that use them at
    all (which keeps "cardiac" and "sarcasm" and leaves out "truly" and "enough")."""
    before, after = _grouped(corpus, cutoff, lambda row: _title_terms(corpus.titles[row]))
    rare = {t for t, rows in before.items() if TOPIC_MIN_PAPERS <= len(rows) <= TOPIC_MAX_PAPERS}
    used = _papers_using(corpus, cutoff, rare & after.keys())
    terms = sorted(
        term
        for term in rare & after.keys()
        if len(after[term]) >= 2 and len(before[term]) >= TOPIC_MIN_TITLE_SHARE * used[term]
    )
    chosen = random.Random(seed).sample(terms, min(count, len(terms)))
    # The topic's latest papers: rows are in id order, so sort them by day.
    latest = {
        t: sorted(before[t], key=lambda r: int(corpus.days[r]))[-TOPIC_LIBRARY:] for t in chosen
    }
    return [_reader("topic", term, latest[term], after[term]) for term in chosen]


def _grouped(
    corpus: Corpus, cutoff: date, keys: Callable[[int], Iterable[str]]
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The rows of each key before the cutoff, and in the window after it."""
    start = cutoff.toordinal()
    before: dict[str, list[int]] = {}
    after: dict[str, list[int]] = {}
    for row in range(len(corpus.ids)):
        day = int(corpus.days[row])
        if day < start + WINDOW_DAYS:
            for key in keys(row):
                (before if day < start else after).setdefault(key, []).append(row)
    return before, after


def _papers_using(corpus: Corpus, cutoff: date, terms: set[str]) -> Counter[str]:
    """How many papers before the cutoff have each term in their title or abstract."""
    used: Counter[str] = Counter()
    for row in np.flatnonzero(corpus.days < cutoff.toordinal()):
        text = f"{corpus.titles[row]}\n{corpus.abstracts[row]}"
        used.update(terms.intersection(analyze(text)))
    return used


def _title_terms(title: str) -> set[str]:
    return {t for t in analyze(title) if len(t) >= 3 and not t.isdigit()}


def _reader(kind: str, name: str, library: list[int], targets: list[int]) -> Reader:
    return Reader(kind, name, np.array(sorted(library)), np.array(sorted(set(targets))))


# --- the baseline: arxiv-sanity-lite's tf-idf and linear SVM ---------------------------

SANITY_MAX_FEATURES = 20_000
SANITY_MIN_DF, SANITY_MAX_DF = 5, 0.1
SANITY_C = 0.01
_SANITY_TOKEN_RE = re.compile(r"\b[a-z_][a-z0-9_]+\b")


@dataclass(frozen=True, slots=True)
class SparseRows:
    """A CSR matrix in plain numpy (scipy is not installed): rows of (column, value)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    width: int
    owners: np.ndarray  # the row of each entry

    @classmethod
    def of(
        cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, width: int
    ) -> SparseRows:
        return cls(
            indptr, indices, data, width, np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        )

    @property
    def height(self) -> int:
        return len(self.indptr) - 1

    def take(self, rows: np.ndarray) -> SparseRows:
        starts, lengths = self.indptr[rows], np.diff(self.indptr)[rows]
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        picks = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        return SparseRows.of(indptr, self.indices[picks], self.data[picks], self.width)

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """self @ vector."""
        products = self.data * vector[self.indices]
        return np.bincount(self.owners, products, minlength=self.height)

    def tdot(self, vector: np.ndarray) -> np.ndarray:
        """self.T @ vector."""
        products = self.data * vector[self.owners]
        return np.bincount(self.indices, products, minlength=self.width)


def sanity_ngrams(text: str) -> list[str]:
    """arxiv-sanity-lite's analyzer: accents stripped, lower case, words of 2+ characters
    starting with a letter, stop words out (paperwire's list stands in for scikit-learn's),
    then unigrams and bigrams."""
    folded = unicodedata.normalize("NFKD", text.lower())
    words = [
        w
        for w in _SANITY_TOKEN_RE.findall(folded.encode("ascii", "ignore").decode())
        if w not in STOPWORDS
    ]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def sanity_tfidf(texts: Sequence[str]) -> SparseRows:
    """TfidfVectorizer(ngram_range=(1, 2), max_features=20000, min_df=5, max_df=0.1,
    sublinear_tf=True, smooth_idf=True, norm='l2') fitted on texts, as arxiv-sanity-lite
    fits it on its whole database."""
    counts = [Counter(sanity_ngrams(text)) for text in texts]
    df = Counter(term for c in counts for term in c)
    total = Counter[str]()
    for c in counts:
        total.update(c)
    kept = [t for t, n in df.items() if SANITY_MIN_DF <= n <= SANITY_MAX_DF * len(texts)]
    kept = sorted(kept, key=lambda t: (-total[t], t))[:SANITY_MAX_FEATURES]
    column = {term: i for i, term in enumerate(kept)}
    idf = np.array([math.log((1 + len(texts)) / (1 + df[t])) + 1 for t in kept])
    return _tfidf_rows(counts, column, idf)


def _tfidf_rows(counts: list[Counter[str]], column: dict[str, int], idf: np.ndarray) -> SparseRows:
    indptr, indices, data = [0], [], []
    for c in counts:
        cols = np.array([column[t] for t in c if t in column], dtype=np.int64)
        tf = np.array([c[t] for t in c if t in column], dtype=np.float64)
        values = (1 + np.log(tf)) * idf[cols] if len(cols) else tf
        norm = np.linalg.norm(values)
        indices.append(cols)
        data.append(values / norm if norm else values)
        indptr.append(indptr[-1] + len(cols))
    return SparseRows.of(np.array(indptr), np.concatenate(indices), np.concatenate(data), len(idf))


# --- linear models, solved to convergence (Newton-CG, as liblinear's primal solver) ----

NEWTON_STEPS, CG_STEPS = 30, 100
Product = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Design:
    """A training matrix by its two products, with a constant 1 feature for the bias."""

    dot: Product  # X @ w
    tdot: Product  # X.T @ v
    width: int

    def margins(self, w: np.ndarray) -> np.ndarray:
        margins: np.ndarray = self.dot(w[:-1]) + w[-1]
        return margins

    def back(self, v: np.ndarray) -> np.ndarray:
        return np.append(self.tdot(v), v.sum())


def train_linear(design: Design, labels: np.ndarray, costs: np.ndarray, loss: str) -> np.ndarray:
    """argmin ½‖w‖² + Σ costs·loss(labels·(Xw + b)), loss "logistic" or "squared-hinge"
    (LinearSVC's default); returns w with the bias last."""
    w = np.zeros(design.width + 1)
    first = None
    for _ in range(NEWTON_STEPS):
        slope, curve = _loss_derivatives(labels * design.margins(w), labels, costs, loss)
        gradient = w + design.back(slope)
        first = first or float(np.linalg.norm(gradient))
        if np.linalg.norm(gradient) <= 1e-5 * first:
            break
        step = _conjugate_gradient(_hessian_product(design, curve), -gradient)
        w = _line_search(design, labels, costs, loss, w, step, gradient)
    return w


def _hessian_product(design: Design, curve: np.ndarray) -> Product:
    return lambda v: v + design.back(curve * design.margins(v))


def _loss_derivatives(
    m: np.ndarray, labels: np.ndarray, costs: np.ndarray, loss: str
) -> tuple[np.ndarray, np.ndarray]:
    """d loss / d z and d² loss / d z² per example, for z = Xw + b and m = label·z."""
    if loss == "logistic":
        p = 1 / (1 + np.exp(np.clip(m, -30, 30)))  # sigmoid(-m)
        return -costs * labels * p, costs * p * (1 - p)
    short = np.maximum(0.0, 1 - m)
    return -2 * costs * labels * short, 2 * costs * (short > 0)


def _objective(
    design: Design, labels: np.ndarray, costs: np.ndarray, loss: str, w: np.ndarray
) -> float:
    m = labels * design.margins(w)
    losses = np.logaddexp(0, -m) if loss == "logistic" else np.maximum(0.0, 1 - m) ** 2
    return float(0.5 * w @ w + costs @ losses)


def _line_search(
    design: Design,
    labels: np.ndarray,
    costs: np.ndarray,
    loss: str,
    w: np.ndarray,
    step: np.ndarray,
    gradient: np.ndarray,
) -> np.ndarray:
    start = _objective(design, labels, costs, loss, w)
    size = 1.0
    while size > 1e-6:
        moved = w + size * step
        if _objective(design, labels, costs, loss, moved) <= start + 1e-4 * size * gradient @ step:
            return moved
        size /= 2
    return w


def _conjugate_gradient(product: Product, b: np.ndarray) -> np.ndarray:
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = r @ r
    for _ in range(CG_STEPS):
        if math.sqrt(rr) <= 0.1 * np.linalg.norm(b):
            break
        hp = product(p)
        alpha = rr / (p @ hp)
        x += alpha * p
        r -= alpha * hp
        rr, previous = r @ r, rr
        p = r + (rr / previous) * p
    return x


def balanced_costs(labels: np.ndarray, c: float) -> np.ndarray:
    """class_weight='balanced': each class weighs as much as the other in total."""
    positives = int((labels > 0).sum())
    weights = np.where(
        labels > 0, len(labels) / (2 * positives), len(labels) / (2 * (len(labels) - positives))
    )
    return c * weights


def dense_design(x: np.ndarray) -> Design:
    return Design(lambda w: x @ w, lambda v: v @ x, x.shape[1])


def sparse_design(x: SparseRows) -> Design:
    return Design(x.dot, x.tdot, x.width)


# --- methods and their evaluation ------------------------------------------------------

# A method trains on a reader's library (corpus rows) against the split's background and
# scores the split's candidates, higher = better. Anything a feed computes once for all
# its readers (features of the candidates and of the background) is built beforehand.
Method = Callable[[np.ndarray], np.ndarray]
LOGISTIC_C, SVM_C = 1.0, 0.1  # the best of 0.01–10 at the tuning cutoff


def embedding_methods(vectors: np.ndarray, split: Split) -> dict[str, Method]:
    candidates = vectors[split.candidates]
    background = vectors[split.background].astype(np.float64)

    def centroid(library: np.ndarray) -> np.ndarray:
        scores: np.ndarray = candidates @ vectors[library].mean(axis=0)
        return scores

    def linear(loss: str, c: float) -> Method:
        def method(library: np.ndarray) -> np.ndarray:
            x = np.concatenate([vectors[library], background])
            labels = np.where(np.arange(len(x)) < len(library), 1.0, -1.0)
            w = train_linear(dense_design(x), labels, balanced_costs(labels, c), loss)
            scores: np.ndarray = candidates @ w[:-1] + w[-1]
            return scores

        return method

    return {
        "centroid (embeddings)": centroid,
        f"logistic regression (embeddings, C={LOGISTIC_C:g})": linear("logistic", LOGISTIC_C),
        f"linear SVM (embeddings, C={SVM_C:g})": linear("squared-hinge", SVM_C),
    }


def shipped_methods(
    corpus: Corpus, vectors: np.ndarray, split: Split, pool: np.ndarray
) -> dict[str, Method]:
    """train_reader_model as the feed can call it: with term rows, and with plain vectors."""
    papers = Papers(vectors[pool], term_rows(corpus.papers(pool)))
    candidates = papers.take(np.searchsorted(pool, split.candidates))
    background = papers.take(np.searchsorted(pool, split.background))
    none = papers.take(np.zeros(0, np.int64))
    _ = candidates.postings, background.postings  # built once per feed

    def shipped(library: np.ndarray) -> np.ndarray:
        model = train_reader_model(papers.take(np.searchsorted(pool, library)), none, background)
        return model.scores(candidates)

    def plain(library: np.ndarray) -> np.ndarray:
        model = train_reader_model(vectors[library], vectors[:0], background.vectors)
        return model.scores(candidates.vectors)

    return {SHIPPED: shipped, "shipped, embeddings only": plain}


def sanity_method(corpus: Corpus, split: Split, pool: np.ndarray) -> Method:
    """The baseline: positives = the library, negatives = every other paper of the pool
    (the background and the candidates themselves, as arxiv-sanity-lite trains on its
    whole database and ranks those same papers)."""
    features = sanity_tfidf(corpus.texts(pool))
    shared_rows = np.concatenate([split.background, split.candidates])
    shared = features.take(np.searchsorted(pool, shared_rows))
    candidates = features.take(np.searchsorted(pool, split.candidates))

    def method(library: np.ndarray) -> np.ndarray:
        x = _stack(features.take(np.searchsorted(pool, library)), shared)
        labels = np.where(np.arange(x.height) < len(library), 1.0, -1.0)
        costs = balanced_costs(labels, SANITY_C)
        w = train_linear(sparse_design(x), labels, costs, "squared-hinge")
        scores: np.ndarray = candidates.dot(w[:-1]) + w[-1]
        return scores

    return method


def _stack(top: SparseRows, bottom: SparseRows) -> SparseRows:
    return SparseRows.of(
        np.concatenate([top.indptr, bottom.indptr[1:] + top.indptr[-1]]),
        np.concatenate([top.indices, bottom.indices]),
        np.concatenate([top.data, bottom.data]),
        top.width,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """One method on one kind of reader: per-reader recall@50, nDCG@50 and seconds."""

    recalls: np.ndarray
    ndcgs: np.ndarray
    seconds: np.ndarray

    def summary(self) -> dict[str, float]:
        return {
            "recall50": round(float(self.recalls.mean()), 4),
            "ndcg50": round(float(self.ndcgs.mean()), 4),
            "median_ms": round(float(np.median(self.seconds)) * 1000, 2),
        }


def evaluate(method: Method, readers: Sequence[Reader], split: Split) -> Outcome:
    discounts = 1 / np.log2(np.arange(DEPTH) + 2)
    recalls, ndcgs, seconds = [], [], []
    for reader in readers:
        started = time.perf_counter()
        scores = method(reader.library)
        seconds.append(time.perf_counter() - started)
        scores = np.where(np.isin(split.candidates, reader.library), -np.inf, scores)
        top = split.candidates[np.argsort(-scores, kind="stable")[:DEPTH]]
        hits = np.isin(top, reader.targets)
        recalls.append(hits.sum() / len(reader.targets))
        ndcgs.append(float(hits @ discounts) / discounts[: len(reader.targets)].sum())
    return Outcome(np.array(recalls), np.array(ndcgs), np.array(seconds))


def paired_gain(ours: Outcome, baseline: Outcome) -> dict[str, float]:
    """Mean recall@50 gain over the baseline on the same readers, with a 95% interval."""
    gains = ours.recalls - baseline.recalls
    half = 1.96 * float(gains.std(ddof=1)) / math.sqrt(len(gains))
    mean = float(gains.mean())
    return {"gain": round(mean, 4), "low": round(mean - half, 4), "high": round(mean + half, 4)}


def variant_outcomes(
    method: Method, readers: dict[str, list[Reader]], split: Split
) -> dict[tuple[str, str], Outcome]:
    """The shipped method again with each of VARIANTS' settings in turn."""
    outcomes = {}
    for name, settings in VARIANTS.items():
        kept = {key: getattr(model, key) for key in settings}
        for key, value in settings.items():
            setattr(model, key, value)
        try:
            for kind, group in readers.items():
                outcomes[f"shipped, {name}", kind] = evaluate(method, group, split)
        finally:
            for key, value in kept.items():
                setattr(model, key, value)
    return outcomes


def speed_phase(corpus: Corpus, vectors: np.ndarray, split: Split, readers: int) -> dict[str, Any]:
    """Feeds of `readers` readers, one after another in this one process: each has 50
    positives drawn at random from the year before the cutoff (more varied words than a
    real reader's, so more terms to look up) and 5,000 candidates to score."""
    start = int(corpus.days[split.candidates].min())
    year = np.flatnonzero((corpus.days >= start - 365) & (corpus.days < start))
    rng = np.random.default_rng(RANDOM_SEED)
    sample = np.sort(rng.choice(year, size=min(20_000, len(year)), replace=False))
    library = Papers(vectors[sample], term_rows(corpus.papers(sample)))
    rows = split.candidates[:SPEED_CANDIDATES]
    candidates = Papers(vectors[rows], term_rows(corpus.papers(rows)))
    background = Papers(vectors[split.background], term_rows(corpus.papers(split.background)))
    none = library.take(np.zeros(0, np.int64))
    _ = candidates.postings, background.postings  # built once per feed run
    seconds, cpu_seconds = [], []
    began = time.perf_counter()
    for _reader in range(readers):
        started, cpu_started = time.perf_counter(), time.process_time()
        positives = library.take(rng.choice(len(sample), size=SPEED_POSITIVES, replace=False))
        train_reader_model(positives, none, background).scores(candidates)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    return {
        "readers": readers,
        "positives": SPEED_POSITIVES,
        "candidates": len(rows),
        "background": len(split.background),
        "median_ms": round(float(np.median(seconds)) * 1000, 2),
        "p95_ms": round(float(np.percentile(seconds, 95)) * 1000, 2),
        # CPU time is what other work on a shared machine inflates least.
        "median_cpu_ms": round(float(np.median(cpu_seconds)) * 1000, 2),
        "total_s": round(time.perf_counter() - began, 1),
        "targets": {"median_ms": TARGET_MEDIAN_MS, "total_s_for_10000": TARGET_FEEDS_S},
    }


# --- the run -------------------------------------------------------------------------


def run(args: argparse.Namespace, files: Sequence[Path]) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine_info(), "date": datetime.now(UTC).isoformat()}
    corpus = load_corpus(files)
    vectors, rate = corpus_embeddings(corpus, files)
    readers = {
        "author": author_readers(corpus, args.cutoff, args.readers, RANDOM_SEED),
        "topic": topic_readers(corpus, args.cutoff, args.readers, RANDOM_SEED),
    }
    split = make_split(corpus, args.cutoff, [*readers["author"], *readers["topic"]], RANDOM_SEED)
    results["setup"] = _setup(corpus, args.cutoff, readers, split, rate)
    if not args.speed_only:
        results["methods"] = quality_phase(corpus, vectors, readers, split, args.variants)
    results["speed"] = speed_phase(corpus, vectors, split, args.speed_readers)
    return results


def quality_phase(
    corpus: Corpus,
    vectors: np.ndarray,
    readers: dict[str, list[Reader]],
    split: Split,
    variants: bool,
) -> list[dict[str, Any]]:
    """Every method on every reader, with its gain over the baseline on the same readers."""
    libraries = [reader.library for group in readers.values() for reader in group]
    pool = np.unique(np.concatenate([split.candidates, split.background, *libraries]))
    methods = {BASELINE: sanity_method(corpus, split, pool)}
    methods |= embedding_methods(vectors, split)
    methods |= shipped_methods(corpus, vectors, split, pool)
    outcomes = {
        (name, kind): evaluate(method, group, split)
        for name, method in methods.items()
        for kind, group in readers.items()
    }
    if variants:
        outcomes |= variant_outcomes(methods[SHIPPED], readers, split)
    return [
        {"method": name, "readers": kind, **outcome.summary()}
        | ({} if name == BASELINE else paired_gain(outcome, outcomes[BASELINE, kind]))
        for (name, kind), outcome in outcomes.items()
    ]


BASELINE = "baseline: tf-idf SVM (arxiv-sanity-lite)"
SHIPPED = "shipped: train_reader_model"


def _setup(
    corpus: Corpus, cutoff: date, readers: dict[str, list[Reader]], split: Split, rate: float | None
) -> dict[str, Any]:
    return {
        "papers": len(corpus.ids),
        "cutoff": cutoff.isoformat(),
        "window": f"{cutoff} + {WINDOW_DAYS} days",
        "candidates": len(split.candidates),
        "background": len(split.background),
        "embedded_per_s": None if rate is None else round(rate),
        "content_only": "every method reads title + abstract only, never author names",
        "readers": {
            kind: {
                "count": len(group),
                "median_library": float(np.median([len(r.library) for r in group])),
                "median_targets": float(np.median([len(r.targets) for r in group])),
            }
            for kind, group in readers.items()
        },
    }


def print_results(results: dict[str, Any]) -> None:
    setup = results["setup"]
    print(
        f"\n{setup['papers']} papers; candidates: the {setup['candidates']} papers of "
        f"{setup['window']}; background: {setup['background']} papers of the "
        f"{BACKGROUND_DAYS} days before; {setup['content_only']}"
    )
    for kind, about in setup["readers"].items():
        print(
            f"  {kind} readers: {about['count']}, median library {about['median_library']:g}, "
            f"median targets {about['median_targets']:g}"
        )
    print(f"\n{'method':<44} {'readers':<7} recall@50  nDCG@50  ms/reader  gain vs baseline")
    for row in results.get("methods", []):
        gain = (
            f"{row['gain']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]" if "gain" in row else ""
        )
        print(
            f"{row['method']:<44} {row['readers']:<7} {row['recall50']:9.3f}  {row['ndcg50']:7.3f}"
            f"  {row['median_ms']:9.2f}  {gain}"
        )


def print_speed(speed: dict[str, Any]) -> None:
    verdict = "PASS" if speed["median_ms"] <= TARGET_MEDIAN_MS else "FAIL"
    print(
        f"\nspeed: {speed['readers']} readers × {speed['positives']} positives, "
        f"{speed['candidates']} candidates, {speed['background']} background papers, one "
        f"process: median {speed['median_ms']} ms ({verdict}, target ≤ {TARGET_MEDIAN_MS:g}), "
        f"p95 {speed['p95_ms']} ms, median CPU {speed['median_cpu_ms']} ms; all "
        f"{speed['total_s']} s (target ≤ {TARGET_FEEDS_S:g} s for 10,000)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    files = [args.papers_dir / name for name in LISTING_FILES]
    missing = [path for path in files if not path.is_file()]
    if missing:
        print(f"skipped: shared data file {missing[0]} is missing")
        return 0
    results = run(args, files)
    print_results(results)
    print_speed(results["speed"])
    write_json(args.out, results)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
