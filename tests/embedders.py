"""A deterministic tiny embedder for unit tests: hashed words, so overlap means similarity."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from paperwire.search.embedder import normalised

_WORD_RE = re.compile(r"\w+")
# Words that mean the same to this embedder, so that a test can find a paper by a word
# its text does not contain (what a real model does for synonyms).
SYNONYMS = {"automobile": "car", "vehicle": "car", "physician": "doctor"}


class HashingEmbedder:
    """Each word adds one to a hashed dimension; vectors are L2-normalised."""

    name = "test-hashing-v1"
    dims = 512

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD_RE.findall(text.lower()):
                word = SYNONYMS.get(word, word)
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % self.dims] += 1.0
        return normalised(vectors)
