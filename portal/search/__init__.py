"""Search for the views: three small calls, so no view ever touches the engine."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import OrderedDict

from flask import Flask, current_app

from .interface import Hit, NullSearch, SearchBackend, SearchResults, SearchUnavailable

__all__ = ["Hit", "SearchResults", "SearchUnavailable", "get_search", "init_app", "make_backend"]
log = logging.getLogger(__name__)


def make_backend(config) -> SearchBackend:
    name = config.get("SEARCH_BACKEND", "local")
    if name == "null":
        return NullSearch()
    if name != "local":
        raise ValueError(f"unknown search backend {name!r} (PORTAL_SEARCH_BACKEND): use local or null")
    from .local import LocalSearch

    return LocalSearch(config["DATA_DIR"], builtin_synonyms=config.get("SEARCH_BUILTIN_SYNONYMS", True))


def normalize_query(text: str) -> str:
    """Queries that differ only in case, spacing or Unicode form share a cache entry."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.casefold().split())


class SearchService:
    """The backend plus a result cache keyed by index generation, locale, query and filters."""

    def __init__(self, backend: SearchBackend, cache_size: int = 2048):
        self.backend = backend
        self.cache_size = cache_size
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def build(self, content):
        return self.backend.build(content.all_articles, content.site.synonyms)

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

    def query(self, locale, text, *, category=None, limit=10, offset=0) -> SearchResults:
        normalized = normalize_query(text)
        # The generation in the key drops every cached result when a new index goes live.
        key = ("q", self.backend.generation(), locale, normalized, category, limit, offset)
        return self._cached(key, lambda: self.backend.query(
            locale, normalized, category=category, limit=limit, offset=offset))

    def check(self, locales) -> str:
        """Open the live index of each locale, bypassing the cache; SearchUnavailable if it cannot."""
        for locale in locales:
            self.backend.query(locale, "", limit=1)
        return self.backend.generation()

    def suggest(self, locale, text, *, limit=6) -> list[Hit]:
        normalized = normalize_query(text) + (" " if text[-1:].isspace() else "")
        key = ("s", self.backend.generation(), locale, normalized, limit)
        return self._cached(key, lambda: self.backend.suggest(locale, normalized, limit=limit))


def init_app(app: Flask):
    service = SearchService(make_backend(app.config), app.config.get("SEARCH_CACHE_SIZE", 2048))
    app.extensions["search"] = service
    index_missing = not getattr(service.backend, "available", lambda: True)()
    if index_missing and app.config.get("SEARCH_BUILD_ON_START", True):
        log.info("no search index yet: building one")
        try:
            service.build(app.extensions["content"])
        except OSError as error:
            log.error("search index could not be built: %s", error)


def get_search() -> SearchService:
    return current_app.extensions["search"]
