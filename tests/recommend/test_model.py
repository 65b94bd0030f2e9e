"""The reader model: who it ranks first, how negatives and keywords move papers, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.recommend.model import (
    Papers,
    TermRows,
    stored_rows,
    term_rows,
    train_reader_model,
)
from paperwire.terms import encode_paper, term_hash

DIMS = 6


def unit(*pairs: tuple[int, float]) -> np.ndarray:
    """A unit vector with the given (dimension, value) components."""
    vector = np.zeros(DIMS, dtype=np.float32)
    for dim, value in pairs:
        vector[dim] = value
    return vector / np.linalg.norm(vector)


def ordinary() -> np.ndarray:
    """A background spread evenly over every axis, both ways: its mean is zero."""
    axes = np.eye(DIMS, dtype=np.float32)
    return np.concatenate([axes, -axes])


def ranking(scores: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-scores, kind="stable")]


def test_positives_in_one_direction_rank_near_candidates_above_far_ones() -> None:
    positives = np.stack([unit((0, 1), (1, 0.2)), unit((0, 1), (2, 0.2)), unit((0, 1))])
    candidates = np.stack(
        [unit((3, 1)), unit((0, 1), (3, 0.3)), unit((0, 1), (1, 1)), unit((4, 1))]
    )
    model = train_reader_model(positives, np.zeros((0, DIMS), np.float32), ordinary())
    scores = model.scores(candidates)
    assert scores.shape == (4,) and scores.dtype == np.float32
    assert ranking(scores)[:2] == [1, 2]
    assert min(scores[1], scores[2]) > max(scores[0], scores[3])


def test_an_explicit_negative_pushes_a_candidate_down() -> None:
    positives = np.stack([unit((0, 1), (1, 0.6)), unit((0, 1), (2, 0.6))])
    # Candidate 0 is close to the reader's papers but leans towards what they turned down.
    candidates = np.stack(
        [unit((0, 1), (1, 0.6)), unit((0, 1), (2, 0.3), (3, 0.3)), unit((0, 1), (4, 0.8))]
    )
    without = train_reader_model(positives, np.zeros((0, DIMS), np.float32), ordinary())
    with_negative = train_reader_model(positives, unit((1, 1))[None, :], ordinary())
    assert ranking(without.scores(candidates))[0] == 0
    assert ranking(with_negative.scores(candidates))[-1] == 0


def test_one_positive_ranks_like_its_centroid() -> None:
    positive = unit((0, 1), (1, 0.5), (2, 0.25))
    candidates = np.stack([unit((i % DIMS, 1), ((i * 5) % DIMS, 0.7)) for i in range(12)])
    model = train_reader_model(positive[None, :], np.zeros((0, DIMS), np.float32), ordinary())
    assert ranking(model.scores(candidates)) == ranking(candidates @ positive)


def test_a_reader_without_positives_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one positive"):
        train_reader_model(np.zeros((0, DIMS), np.float32), np.zeros((0, DIMS)), ordinary())


BACKGROUND_TEXTS = [
    ("Image segmentation with transformers", "We segment images with a vision transformer."),
    ("Reinforcement learning for robots", "A policy learns to grasp objects in simulation."),
    ("Speech recognition at scale", "We train an acoustic model on many hours of speech."),
    ("Graph neural networks for molecules", "Message passing predicts molecular properties."),
    ("Large language model evaluation", "We evaluate language models on reasoning benchmarks."),
    ("Federated learning with privacy", "Clients train a shared model without sharing data."),
]


def papers(texts: list[tuple[str, str]]) -> Papers:
    """Papers whose embeddings are all alike, so that only their words tell them apart."""
    return Papers(np.tile(unit((0, 1)), (len(texts), 1)), term_rows(texts))


def test_shared_rare_terms_rank_a_paper_first() -> None:
    liked = papers(
        [
            ("Sarcasm detection in tweets", "We detect sarcasm with contrastive learning."),
            ("Multimodal sarcasm detection", "Sarcasm detection from images and captions."),
        ]
    )
    candidates = papers(
        [
            ("Language models on benchmarks", "We evaluate reasoning of language models."),
            ("Irony and sarcasm detection in reviews", "A new sarcasm detection data set."),
            ("Robots that grasp", "A policy for grasping objects."),
        ]
    )
    nothing = papers([])
    model = train_reader_model(liked, nothing, papers(BACKGROUND_TEXTS))
    assert ranking(model.scores(candidates))[0] == 1


def test_the_words_of_turned_down_papers_push_a_paper_down() -> None:
    liked = papers([("Speech recognition for children", "Children's speech and dialects.")])
    candidates = papers(
        [
            ("Speech recognition of dialects with prompts", "Prompts adapt speech models."),
            ("Speech recognition for children's voices", "Children speak differently."),
        ]
    )
    turned_down = papers([("Dialects and prompts", "Prompts for dialects in speech.")])
    background = papers(BACKGROUND_TEXTS)
    before = train_reader_model(liked, papers([]), background).scores(candidates)
    after = train_reader_model(liked, turned_down, background).scores(candidates)
    assert after[0] - after[1] < before[0] - before[1]
    assert ranking(after)[0] == 1


def test_term_rows_are_unit_length_and_pick_rows_out() -> None:
    rows = term_rows([("Video diffusion", "Distilling video diffusion models."), ("A", "")])
    lengths = np.diff(rows.offsets)
    first = rows.weights[: lengths[0]]
    assert lengths.tolist()[1] == 0  # "a" is a stop word: no terms
    assert np.isclose(np.linalg.norm(first), 1.0)
    # video, diffus, distil, model + bigrams "video diffus" (twice), "distil video", "diffus model"
    assert lengths[0] == 7
    picked = rows.take(np.array([1, 0]))
    assert np.diff(picked.offsets).tolist() == [0, 7]
    assert sorted(picked.hashes.tolist()) == sorted(rows.hashes.tolist())


def test_plain_arrays_and_papers_without_terms_score_alike() -> None:
    positives = np.stack([unit((0, 1), (1, 0.3))])
    candidates = np.stack([unit((0, 1)), unit((1, 1)), unit((2, 1))])
    plain = train_reader_model(positives, np.zeros((0, DIMS), np.float32), ordinary())
    wrapped = train_reader_model(Papers(positives), Papers(positives[:0]), Papers(ordinary()))
    assert np.allclose(plain.scores(candidates), wrapped.scores(Papers(candidates)))


def rows(*papers: list[int]) -> TermRows:
    """Term rows straight from term hashes, each term once, rows of unit length."""
    lengths = [len(terms) for terms in papers]
    weights = np.array([1 / np.sqrt(n) for n in lengths for _ in range(n)], np.float32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return TermRows(offsets, np.array([t for p in papers for t in p], np.uint32), weights)


def test_one_rare_shared_term_outweighs_two_commoner_ones() -> None:
    rare, common_1, common_2 = 1, 2, 3
    # 40 ordinary papers of their own terms; the two common terms are in 2 of them each.
    ordinary_terms = [[100 + i, 200 + i] for i in range(40)]
    for i in range(2):
        ordinary_terms[i] += [common_1, common_2]
    vectors = np.tile(unit((0, 1)), (40, 1))
    background = Papers(vectors, rows(*ordinary_terms))
    liked = Papers(vectors[:1], rows([rare, common_1, common_2]))
    candidates = Papers(vectors[:2], rows([rare, 50, 51], [common_1, common_2, 52]))
    model = train_reader_model(liked, Papers(vectors[:0], rows()), background)
    assert ranking(model.scores(candidates)) == [0, 1]


def test_stored_terms_and_pairs_give_the_rows_of_the_text() -> None:
    texts = [
        ("Distilling video diffusion models", "We distil video diffusion models. Again: video!"),
        ("", ""),
        ("Graph networks", ""),
    ]
    stored = [encode_paper(title, ["Ada Lovelace"], abstract) for title, abstract in texts]
    from_store = stored_rows([terms for terms, _ in stored], [pairs for _, pairs in stored])
    from_text = term_rows(texts)
    assert from_store.offsets.tolist() == from_text.offsets.tolist()
    for row in range(len(texts)):
        assert _as_dict(from_store, row) == pytest.approx(_as_dict(from_text, row))
    assert term_hash("ada") not in from_store.hashes.tolist()  # author names are no terms


def _as_dict(rows: TermRows, row: int) -> dict[int, float]:
    start, stop = rows.offsets[row], rows.offsets[row + 1]
    return dict(
        zip(rows.hashes[start:stop].tolist(), rows.weights[start:stop].tolist(), strict=True)
    )
