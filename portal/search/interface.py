"""What the rest of the portal may ask of a search engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..content.model import Article


@dataclass(frozen=True)
class Hit:
    article_id: str
    score: float
    snippet: str = ""  # HTML: escaped text with <mark> around matched words


@dataclass(frozen=True)
class SearchResults:
    query: str
    locale: str
    total: int
    hits: tuple[Hit, ...] = ()
    suggestion: str | None = None  # "did you mean", from the index vocabulary
    fuzzy: bool = False  # the exact words found too little; typo-tolerant matching was used
    categories: dict = field(default_factory=dict)  # category id -> hits, for the filter


class SearchUnavailable(Exception):
    """The index is missing or unreadable: pages still work, search says so."""


class SearchBackend(Protocol):
    def build(self, articles: Iterable[Article], synonyms: dict | None = None, progress=None,
              add_to_build=None) -> str | None:
        """Index every published article, all locales, replacing the live index atomically;
        `progress(locale, done, total)` hears how far each locale got; `add_to_build(folder)`
        writes more into the new build (the article vectors) before it goes live."""

    def query(self, locale: str, text: str, *, category: str | None = None,
              limit: int = 10, offset: int = 0) -> SearchResults:
        """Best articles first for a customer's words in `locale`."""

    def suggest(self, locale: str, text: str, *, limit: int = 6) -> list[Hit]:
        """As-you-type: articles for the words so far, the last one possibly unfinished."""

    def generation(self) -> str:
        """Changes whenever a new index goes live; caches key on it."""

    def warm(self, locales: Iterable[str]) -> None:
        """Open now what queries in `locales` would open on first use (in the gunicorn master,
        so the workers forked from it share it)."""


class NullSearch:
    """Finds nothing; for tests of everything around search."""

    def build(self, articles, synonyms=None, progress=None, add_to_build=None):
        self.articles = list(articles)  # no build folder: nothing is added

    def query(self, locale, text, *, category=None, limit=10, offset=0):
        return SearchResults(query=text, locale=locale, total=0)

    def suggest(self, locale, text, *, limit=6):
        return []

    def generation(self):
        return "null"

    def warm(self, locales):
        pass
