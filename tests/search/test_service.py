"""SearchService: one backend call per normalized query and index generation."""

from __future__ import annotations

import pytest

from portal.content.repository import ContentRepository
from portal.search import SearchService, make_backend, normalize_query
from portal.search.builds import IndexedSearch
from portal.search.interface import NullSearch
from portal.search.tantivy_engine import TantivyEngine
from portal.search.whoosh_engine import WhooshEngine

from .helpers import BASIC, ids


class CountingBackend:
    """A real tantivy index that counts the queries and suggestions reaching it."""

    def __init__(self, data_dir):
        self.inner = make_backend({"SEARCH_BACKEND": "tantivy", "DATA_DIR": data_dir})
        self.queries = []
        self.suggestions = []

    def build(self, articles, synonyms=None, progress=None, add_to_build=None):
        return self.inner.build(articles, synonyms, progress, add_to_build)

    def generation(self):
        return self.inner.generation()

    def query(self, locale, text, **options):
        self.queries.append((locale, text, options))
        return self.inner.query(locale, text, **options)

    def suggest(self, locale, text, **options):
        self.suggestions.append((locale, text))
        return self.inner.suggest(locale, text, **options)


@pytest.fixture
def service(tmp_path):
    backend = CountingBackend(tmp_path / "data")
    service = SearchService(backend)
    service.build(ContentRepository.from_folder(BASIC))
    yield service
    backend.inner.close()


@pytest.mark.parametrize(
    "locale, first, second",
    [
        ("en", "where is my parcel", "Where is my PARCEL"),
        ("en", "where is my parcel", "  where   is\tmy parcel  "),
        ("en", "where is my parcel", "where\x00is my parcel"),  # a control character is a space
        ("pl", "zwrócić", "zwro\u0301cic\u0301"),  # composed and decomposed Unicode
    ],
)
def test_same_normalized_query_is_served_from_the_cache(service, locale, first, second):
    """Queries differing only in case, spacing or Unicode form reach the backend once."""
    answer = service.query(locale, first)
    assert answer.total > 0
    assert service.query(locale, second) is answer
    assert len(service.backend.queries) == 1
    assert normalize_query(first) == normalize_query(second)


BASE_QUERY = {"locale": "en", "text": "parcel", "category": None, "limit": 10, "offset": 0}


@pytest.mark.parametrize(
    "change",
    [{"locale": "sv"}, {"text": "return"}, {"category": "delivery"}, {"limit": 5}, {"offset": 10}],
    ids=lambda change: next(iter(change)),
)
def test_different_queries_are_not_conflated(service, change):
    """Locale, words, category, limit and offset are each part of the cache key."""
    first = service.query(**BASE_QUERY)
    second = service.query(**{**BASE_QUERY, **change})
    assert len(service.backend.queries) == 2
    assert second is not first


def test_new_build_drops_cached_results(service, content_copy):
    """After a rebuild (a new generation) the same query is asked again and sees new content."""
    assert service.query("en", "aardvark").total == 0
    folder = content_copy("search-basic")
    article = folder / "en" / "delivery" / "track-parcel.md"
    article.write_text(article.read_text("utf-8") + "\nAn aardvark can track it too.\n", "utf-8")
    old_generation = service.backend.generation()
    service.build(ContentRepository.from_folder(folder))
    assert service.backend.generation() != old_generation
    assert ids(service.query("en", "aardvark")) == ["delivery/track-parcel"]
    assert len(service.backend.queries) == 2


def test_cache_keeps_only_the_most_recent_entries(tmp_path):
    """The cache is bounded: with room for two, the oldest of three queries is asked again."""
    backend = CountingBackend(tmp_path / "data")
    service = SearchService(backend, cache_size=2)
    service.build(ContentRepository.from_folder(BASIC))
    for text in ("parcel", "return", "refund", "refund", "return", "parcel"):
        service.query("en", text)
    backend.inner.close()
    assert [text for _locale, text, _options in backend.queries] == ["parcel", "return", "refund", "parcel"]


def test_suggestions_are_cached_too(service):
    """As-you-type repeats a prefix often: one backend call per normalized prefix."""
    first = service.suggest("en", "Retu")
    assert service.suggest("en", "retu") is first
    assert len(service.backend.suggestions) == 1
    assert any(hit.article_id == "returns/return-an-item" for hit in first)


def test_backend_without_suggest_gives_no_suggestions():
    """A backend that only searches (like NullSearch) answers suggest() with an empty list."""
    assert SearchService(NullSearch()).suggest("en", "retu") == []


@pytest.mark.parametrize("name, kind", [("tantivy", TantivyEngine), ("whoosh", WhooshEngine), ("null", None)])
def test_make_backend_makes_the_named_backend(tmp_path, name, kind):
    backend = make_backend({"SEARCH_BACKEND": name, "DATA_DIR": tmp_path})
    if kind is None:
        assert isinstance(backend, NullSearch)
    else:
        assert isinstance(backend, IndexedSearch) and isinstance(backend.engine, kind)


def test_make_backend_refuses_an_unknown_name(tmp_path):
    """A misspelt PORTAL_SEARCH_BACKEND (or a benchmark asking for a backend this build lacks)
    fails loudly instead of quietly running another engine."""
    with pytest.raises(ValueError, match="must be one of tantivy, whoosh, null, not 'lokal'"):
        make_backend({"SEARCH_BACKEND": "lokal", "DATA_DIR": tmp_path})
