"""Article vectors: what is embedded, a cache of embeddings, and the matrix stored with each build.

Cache: <data dir>/vectors/<model id>.sqlite3, one row per distinct embedded text, keyed by the
text's SHA-256. A rebuild embeds only the articles whose text changed; `content deploy` and a
preview reuse it. Any number of processes may share it (SQLite with WAL).

Build matrix: <data dir>/index/<build>/<locale>/vectors.npy (float32, one row per article) and
vectors.json (model id, article ids, categories), written into the new build folder before it goes
live (builds.IndexedSearch.build's `add_to_build`), so words and meanings go live with one swap
and are pruned together. Workers map the .npy: one copy in the page cache for every worker on
the machine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .embedding import Embedder

log = logging.getLogger(__name__)

# What is embedded per article: measured on the dev sets (docs/search.md, "Meaning").
BODY_CHARS = 800
MATRIX = "vectors.npy"
MANIFEST = "vectors.json"

_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[#*_`>|]+|^\s*[-+]\s+|<[^>]+>", re.M)


def plain(markdown: str) -> str:
    """Markdown source reduced to its words: link texts kept, markup dropped."""
    text = _MARKUP.sub(lambda m: m.group(1) or " ", markdown)
    return " ".join(text.split())


def passage_text(article, body_chars: int = BODY_CHARS, questions: bool = True) -> str:
    """Title, the questions it answers, then the start of the body cut at a word boundary."""
    parts = [article.title.strip().rstrip(".") + "."]
    if questions and article.questions:
        parts.append(" ".join(q.strip() for q in article.questions))
    body = plain(article.body_text)
    if body_chars and body:
        if len(body) > body_chars:
            body = body[:body_chars].rsplit(" ", 1)[0]
        parts.append(body)
    return " ".join(parts)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    """Embeddings of texts already seen, per model, kept across builds."""

    def __init__(self, data_dir, model_id: str):
        folder = Path(data_dir) / "vectors"
        folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", model_id)
        self.path = folder / f"{safe}.sqlite3"
        self._local = threading.local()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (text_sha256 TEXT PRIMARY KEY, vector BLOB)")

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def get_many(self, keys) -> dict[str, np.ndarray]:
        keys = list(keys)
        found = {}
        db = self._connect()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in db.execute(
                    f"SELECT text_sha256, vector FROM vectors WHERE text_sha256 IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]):
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                           [(key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items.items()])

    def close(self):
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def embed_articles(articles, embedder: Embedder, cache: VectorCache | None) -> np.ndarray:
    """One row per article, from the cache where the embedded text is unchanged."""
    texts = [passage_text(article) for article in articles]
    keys = [text_key(text) for text in texts]
    known = cache.get_many(set(keys)) if cache else {}
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
    if missing:
        log.info("embedding %d article texts with %s (%d from the cache)", len(missing),
                 embedder.model_id, len(keys) - len(missing))
        fresh = embedder.embed_passages(list(missing.values()))
        new = dict(zip(missing, fresh, strict=True))
        if cache:
            cache.put_many(new)
        known.update(new)
    if not articles:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([known[key] for key in keys]).astype(np.float32)


def write_vectors(folder, articles, embedder: Embedder, cache: VectorCache | None,
                  matrices: dict | None = None) -> dict[str, int]:
    """Write each locale's matrix into a build folder; returns the article count per locale.

    `matrices` ({locale: (articles, matrix)}) are vectors already computed (by `embed_build`),
    so the slow part can happen before the lexical index goes live.
    """
    folder = Path(folder)
    matrices = matrices if matrices is not None else embed_build(articles, embedder, cache)
    written = {}
    for locale, (items, matrix) in matrices.items():
        target = folder / locale
        target.mkdir(parents=True, exist_ok=True)
        # The manifest goes last and names the matrix's shape: a reader never pairs halves.
        staging = target / f".{MATRIX}.tmp"
        with open(staging, "wb") as handle:
            np.save(handle, np.ascontiguousarray(matrix, dtype=np.float32))
            handle.flush()
            os.fsync(handle.fileno())  # CURRENT never names a build whose matrix a power cut emptied
        os.replace(staging, target / MATRIX)
        manifest = {"model": embedder.model_id, "ids": [a.id for a in items],
                    "categories": [a.category for a in items],
                    "dim": int(matrix.shape[1]) if len(items) else 0}
        staging = target / f".{MANIFEST}.tmp"
        staging.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
        os.replace(staging, target / MANIFEST)
        written[locale] = len(items)
    return written


def embed_build(articles, embedder: Embedder, cache: VectorCache | None) -> dict:
    """{locale: (published articles, matrix)}: the embedding work of a build."""
    by_locale = defaultdict(list)
    for article in articles:
        if not article.draft:
            by_locale[article.locale].append(article)
    return {locale: (items, embed_articles(items, embedder, cache)) for locale, items in by_locale.items()}


@dataclass(frozen=True)
class LocaleVectors:
    model_id: str
    ids: tuple[str, ...]
    categories: tuple[str, ...]
    matrix: np.ndarray  # (len(ids), dim) float32, memory-mapped

    def scores(self, query_vector: np.ndarray) -> np.ndarray:
        # einsum runs on this thread: `@` hands a matrix-vector product to BLAS threads, whose
        # waiting for busy cores made it 10-50x slower on a loaded machine (docs/search.md).
        return np.einsum("ij,j->i", self.matrix, query_vector)

    @cached_property
    def position(self) -> dict[str, int]:
        return {article_id: row for row, article_id in enumerate(self.ids)}

    @cached_property
    def category_of(self) -> dict[str, str]:
        return dict(zip(self.ids, self.categories, strict=True))


def read_vectors(folder) -> dict[str, LocaleVectors]:
    """Every locale's vectors in a build folder; a locale without them is left out."""
    found: dict[str, LocaleVectors] = {}
    folder = Path(folder)
    if not folder.is_dir():
        return found
    for target in sorted(p for p in folder.iterdir() if p.is_dir()):
        try:
            manifest = json.loads((target / MANIFEST).read_text("utf-8"))
            matrix = np.load(target / MATRIX, mmap_mode="r")
        except (OSError, ValueError):
            continue
        if len(matrix.shape) != 2 or matrix.shape[0] != len(manifest["ids"]):
            continue
        found[target.name] = LocaleVectors(manifest["model"], tuple(manifest["ids"]),
                                           tuple(manifest["categories"]), matrix)
    return found
