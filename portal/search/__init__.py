"""Search for the views: three small calls, so no view ever touches the engine."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from flask import Flask, current_app

from ..content import content_reloaded
from . import hybrid
from .embedding import Embedder, EmbedderUnavailable, make_embedder
from .interface import Hit, NullSearch, SearchBackend, SearchResults, SearchUnavailable
from .language import detect_language
from .vectors import VectorCache, embed_build, passage_text, read_vectors, text_key, write_vectors

# Articles a starting node embeds itself (PORTAL_SEARCH_START_EMBED_LIMIT): none by default, since
# a start must take seconds; `flask search build` (make run, make serve, content deploy) embeds.
START_EMBED_LIMIT = 0

__all__ = ["Hit", "SearchResults", "SearchUnavailable", "get_search", "init_app", "make_backend"]
log = logging.getLogger(__name__)


BACKENDS = ("tantivy", "whoosh", "null")


def make_backend(config) -> SearchBackend:
    """The configured engine: tantivy by default, Whoosh in pure Python, or none (tests)."""
    name = config.get("SEARCH_BACKEND") or "tantivy"
    if name == "null":
        return NullSearch()
    from .builds import Engine, IndexedSearch

    engine: Engine
    if name == "tantivy":
        from .tantivy_engine import TantivyEngine
        engine = TantivyEngine()
    elif name == "whoosh":
        from .whoosh_engine import WhooshEngine
        engine = WhooshEngine()
    else:
        raise ValueError(f"PORTAL_SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return IndexedSearch(config["DATA_DIR"], engine,
                         builtin_synonyms=config.get("SEARCH_BUILTIN_SYNONYMS", True))


def normalize_query(text: str) -> str:
    """Queries that differ only in case, spacing or Unicode form share a cache entry."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.casefold().split())


class SearchService:
    """The lexical backend, search by meaning above it, and a result cache keyed by index
    generation, locale, query and filters.

    With an embedder, `build` stores article vectors in the backend's build folder and `query`
    fuses lexical and dense rankings (portal/search/hybrid.py). Whatever goes wrong with the
    model, the lexical backend still answers: `semantic_status()` says why not.
    """

    def __init__(self, backend: SearchBackend, cache_size: int = 2048, *,
                 embedder: Embedder | None = None, data_dir=None):
        self.backend = backend
        self.cache_size = cache_size
        self.embedder = embedder
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._vectors: tuple[str, dict] = ("", {})
        self._problem: str | None = None  # why search by meaning is not serving, logged once
        # () -> {(locale, article id): [question, ...]}: questions editors accepted from visitors
        # (portal/learning/), indexed exactly like the articles' own `questions:`.
        self.learned_questions = None

    # -- search by meaning: building and reading the vectors ---------------------------

    @property
    def semantic(self) -> bool:
        return self.embedder is not None and self.data_dir is not None

    def build_folder(self, generation: str | None = None) -> Path | None:
        """The live build's folder: the backend's own if it says, else <data dir>/index/<generation>."""
        generation = generation if generation is not None else self.backend.generation()
        folder_of = getattr(self.backend, "build_folder", None)
        if callable(folder_of):
            return Path(folder_of(generation))
        if self.data_dir is None or not generation:
            return None
        return self.data_dir / "index" / generation

    @property
    def model(self) -> Embedder:
        """The embedder, asked for only when search by meaning is on."""
        if self.embedder is None:
            raise RuntimeError("search by meaning is off")
        return self.embedder

    def vector_cache(self) -> VectorCache:
        return VectorCache(self.data_dir, self.model.model_id)

    def _report(self, problem: str | None):
        if problem and problem != self._problem:
            log.warning("search by meaning is off, lexical search serves: %s", problem)
        self._problem = problem

    def _embed(self, articles):
        """{locale: (articles, matrix)}, or None with the reason logged when the model fails."""
        if not self.semantic:
            return None
        cache = self.vector_cache()
        try:
            return embed_build(articles, self.embedder, cache)
        except EmbedderUnavailable as error:
            self._report(str(error))
            return None
        finally:
            cache.close()

    def _too_many_to_embed(self, articles, limit: int | None) -> bool:
        if limit is None:
            return False
        cache = self.vector_cache()
        keys = {text_key(passage_text(a)) for a in articles if not a.draft}
        new = len(keys) - len(cache.get_many(keys))
        cache.close()
        if new > limit:
            self._report(f"the live index has no article vectors and {new} articles would need "
                         "embedding; run 'flask --app portal search build'")
        return new > limit

    def build(self, content, *, embed_limit: int | None = None, progress=None):
        """Build the lexical index and, with search by meaning, its vectors in the same build folder,
        so one swap makes both live; `embed_limit`: build without vectors when more articles than
        that need embedding (a start must not take hours); `progress(locale, done, total)` hears how
        far the lexical build got."""
        articles = with_questions(list(content.all_articles),
                                  self.learned_questions() if self.learned_questions else {})
        matrices = None
        if self.semantic and not self._too_many_to_embed(articles, embed_limit):
            matrices = self._embed(articles)
        add_vectors = None
        if matrices is not None:
            def add_vectors(folder):
                write_vectors(folder, (), self.model, None, matrices=matrices)
        return self.backend.build(articles, content.site.synonyms, progress=progress,
                                  add_to_build=add_vectors)

    def ensure_vectors(self, content, max_new: int | None = None) -> bool:
        """Add vectors to a live build made without them (e.g. before search by meaning was on).

        `max_new`: give up when more article texts than that are not in the cache (a start must not
        take minutes); the index is then served lexically until `search build`.
        """
        folder = self.build_folder()
        if not self.semantic or folder is None or not folder.is_dir() or read_vectors(folder):
            return False
        articles = [a for a in content.all_articles if not a.draft]
        if self._too_many_to_embed(articles, max_new):
            return False
        matrices = self._embed(articles)
        if matrices is None:
            return False
        write_vectors(folder, (), self.model, None, matrices=matrices)
        return True

    def _live_vectors(self, generation: str) -> dict:
        """The live build's own vectors (a build goes live with them); none: lexical only, looked
        for again on the next query, as `ensure_vectors` may add them."""
        loaded_for, vectors = self._vectors
        if loaded_for != generation:
            folder = self.build_folder(generation)
            vectors = read_vectors(folder) if folder is not None else {}
            with self._lock:
                self._vectors = (generation if vectors else "", vectors)
        return vectors

    def semantic_status(self) -> dict:
        """{"state": "on" | "off" | "degraded", "detail": why}: for /readyz."""
        if not self.semantic:
            return {"state": "off", "detail": "search by meaning is switched off (PORTAL_SEARCH_SEMANTIC)"}
        try:
            load = getattr(self.embedder, "load", None)
            if load:
                load()
        except EmbedderUnavailable as error:
            self._report(str(error))
            return {"state": "degraded", "detail": f"lexical search only: {error}"}
        vectors = self._live_vectors(self.backend.generation())
        if not vectors:
            return {"state": "degraded", "detail": "lexical search only: the live index has no article "
                    "vectors; rebuild it with 'flask --app portal search build'"}
        stale = sorted(locale for locale, v in vectors.items() if v.model_id != self.model.model_id)
        if stale:
            return {"state": "degraded", "detail": f"lexical search only in {', '.join(stale)}: vectors from "
                    "another model; rebuild the index"}
        count = sum(len(v.ids) for v in vectors.values())
        return {"state": "on", "detail": f"{self.model.model_id}, {count} article vectors"}

    def _cached(self, key, compute):
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return value

    def generation(self) -> str:
        """The live index's generation: results, and pages made of them, change with it."""
        return self.backend.generation()

    def query(self, locale, text, *, category=None, limit=10, offset=0, semantic=True) -> SearchResults:
        """Best articles first. With search by meaning: `hybrid.RankedResults`, with the
        detected language, a confidence per hit and whether the best one is a good answer."""
        normalized = normalize_query(text)
        generation = self.backend.generation()
        semantic = semantic and self.semantic
        # The generation in the key drops every cached result when a new index goes live.
        key = ("q", generation, locale, normalized, category, limit, offset, semantic)
        if not semantic:
            return self._cached(key, lambda: self.backend.query(
                locale, normalized, category=category, limit=limit, offset=offset))
        return self._cached(key, lambda: self._hybrid(
            generation, locale, text.strip(), normalized, category, limit, offset))

    def _hybrid(self, generation, locale, text, normalized, category, limit, offset):
        vectors = self._live_vectors(generation).get(locale)
        if vectors is None or vectors.model_id != self.embedder.model_id or not text:
            return self.backend.query(locale, normalized, category=category, limit=limit, offset=offset)
        try:
            query_vector = self.embedder.embed_query(text)
        except EmbedderUnavailable as error:
            self._report(str(error))
            return self.backend.query(locale, normalized, category=category, limit=limit, offset=offset)
        self._report(None)
        site_language = locale.split("-")[0]
        detected = detect_language(text, default=site_language)
        # Facets need every category: the lexical candidates come unfiltered.
        lexical = self.backend.query(locale, normalized, limit=hybrid.CANDIDATES)
        other_language = detected is not None and detected != site_language
        # Another language, or no word in common: meaning alone ranks.
        weight = 1.0 if other_language or lexical.total == 0 else hybrid.DENSE_WEIGHT
        ranked = hybrid.fuse(lexical, vectors.scores(query_vector), vectors.ids, dense_weight=weight,
                             position=vectors.position)
        return hybrid.ranked_results(
            lexical, ranked, limit=limit, offset=offset, detected_language=detected,
            other_language=other_language, category=category, categories_of=vectors.category_of)

    def warm(self, locales) -> None:
        """Open each locale's index and its spelling dictionary now: in the gunicorn master,
        before forking, so every worker shares them."""
        self.backend.warm(locales)

    def check(self, locales) -> str:
        """Open the live index of each locale, bypassing the cache; SearchUnavailable if it cannot."""
        for locale in locales:
            self.backend.query(locale, "", limit=1)
        return self.backend.generation()

    def suggest(self, locale, text, *, limit=6) -> list[Hit]:
        normalized = normalize_query(text) + (" " if text[-1:].isspace() else "")
        key = ("s", self.backend.generation(), locale, normalized, limit)
        return self._cached(key, lambda: self.backend.suggest(locale, normalized, limit=limit))


def with_questions(articles, extra: dict) -> list:
    """Articles with more questions of their own: `extra` maps (locale, article id) to them."""
    if not extra:
        return articles
    return [replace(a, questions=tuple(dict.fromkeys((*a.questions, *extra[(a.locale, a.id)]))))
            if (a.locale, a.id) in extra else a for a in articles]


def init_app(app: Flask):
    embedder = make_embedder(app.config) if app.config.get("SEARCH_SEMANTIC", True) else None
    service = SearchService(make_backend(app.config), app.config.get("SEARCH_CACHE_SIZE", 2048),
                            embedder=embedder, data_dir=app.config["DATA_DIR"])
    app.extensions["search"] = service
    # Preview reloaded the content (portal/content/preview.py): the index follows its text.
    content_reloaded.connect(lambda _app, content, text_changed: text_changed and service.build(content),
                             sender=app, weak=False)
    # No index yet, or one this engine and format cannot read: build one.
    index_missing = not getattr(service.backend, "available", lambda: True)()
    if app.config.get("SEARCH_BUILD_ON_START", True):
        limit = int(app.config.get("SEARCH_START_EMBED_LIMIT", START_EMBED_LIMIT))
        try:
            if index_missing:
                log.info("no search index this portal can read: building one")
                service.build(app.extensions["content"], embed_limit=limit)
            elif service.ensure_vectors(app.extensions["content"], max_new=limit):
                log.info("article vectors added to the live search index")
        except OSError as error:
            log.error("search index could not be built: %s", error)


def get_search() -> SearchService:
    return current_app.extensions["search"]
