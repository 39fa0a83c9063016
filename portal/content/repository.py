"""Look-ups over a loaded help centre: what the views and the indexer ask of the content."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import cached_property
from pathlib import Path

from .loader import LoadedContent, load_content
from .model import Article, Category


class ContentRepository:
    """An immutable snapshot of the content folder; a reload builds a new one."""

    def __init__(self, loaded: LoadedContent, include_drafts: bool = False):
        self.site = loaded.site
        self.problems = loaded.problems
        visible = [a for a in loaded.articles if include_drafts or not a.draft]
        self.all_articles = tuple(loaded.articles)
        self._by_url = {(a.locale, a.category, a.slug): a for a in visible}
        self._by_id = {(a.locale, a.id): a for a in visible}
        # Counted once: counting by listing would touch every article object, and in a forked
        # worker touching an object copies its memory page (a /readyz poll would unshare them all).
        self.article_count = len(self._by_id)
        self._translations = defaultdict(list)
        for article in visible:
            self._translations[article.id].append(article)
        self._categories = {(c.locale, c.id): c for c in loaded.categories}
        self._articles_in = defaultdict(list)
        for article in sorted(visible, key=lambda a: a.title.casefold()):
            self._articles_in[(article.locale, article.category)].append(article)
        self._elsewhere = {locale: self._missing_in(locale) for locale in self.locales}
        self._redirects: dict[str, Article] = {}
        for article in visible:
            for old_path in article.redirect_from:
                self._redirects.setdefault(old_path, article)

    @classmethod
    def from_folder(cls, content_dir: str | Path, include_drafts: bool = False) -> ContentRepository:
        return cls(load_content(content_dir), include_drafts=include_drafts)

    @cached_property
    def revision(self) -> str:
        """A short fingerprint of the articles served: equal on every node serving one release."""
        digest = hashlib.sha256()
        for path, text_hash in sorted((a.path, a.content_hash) for a in self.all_articles):
            digest.update(f"{path}\0{text_hash}\n".encode())
        return digest.hexdigest()[:12]

    @property
    def locales(self) -> tuple[str, ...]:
        return self.site.locales

    @property
    def default_locale(self) -> str:
        return self.site.default_locale

    def articles(self, locale: str | None = None) -> list[Article]:
        return [a for key, a in self._by_id.items() if locale is None or key[0] == locale]

    def article(self, locale: str, category: str, slug: str) -> Article | None:
        return self._by_url.get((locale, category, slug))

    def article_by_id(self, locale: str, article_id: str) -> Article | None:
        return self._by_id.get((locale, article_id))

    def article_or_default(self, locale: str, article_id: str) -> Article | None:
        """The article in `locale`, else in the default locale (a page in another language names
        an article every visitor can still read)."""
        return self.article_by_id(locale, article_id) or self.article_by_id(self.default_locale, article_id)

    def translations(self, article_id: str) -> list[Article]:
        """Every language version of one article, in the site's locale order."""
        order = {locale: i for i, locale in enumerate(self.locales)}
        return sorted(self._translations.get(article_id, ()), key=lambda a: order.get(a.locale, 99))

    def source_of(self, article: Article) -> Article | None:
        return self.article_by_id(self.default_locale, article.id)

    def is_outdated(self, article: Article) -> bool:
        """A translation made from an older version of its source article."""
        source = self.source_of(article)
        return bool(source and article.locale != self.default_locale and article.source_hash
                    and article.source_hash != source.content_hash)

    def find_elsewhere(self, locale: str, category: str, slug: str) -> list[Article]:
        """Versions in other languages of an article a URL in `locale` names but that locale lacks."""
        for other in self.locales:
            found = self.article(other, category, slug) or self.article_by_id(other, f"{category}/{slug}")
            if found is not None and self.article_by_id(locale, found.id) is None:
                return self.translations(found.id)
        return []

    def only_elsewhere(self, locale: str, category_id: str | None = None) -> list[Article]:
        """Articles that have no `locale` version (one per id: the default locale's, else the
        first in site order), so visitors in `locale` can still find them, marked as in another
        language. With `category_id`, only that category's."""
        found = self._elsewhere.get(locale)
        if found is None:
            found = self._missing_in(locale)
        if category_id is None:
            return found
        return [a for a in found if a.id.split("/", 1)[0] == category_id]

    def _missing_in(self, locale: str) -> list[Article]:
        # Listed once per locale: every search and category page asks, and walking every
        # article per request would cost CPU and, in a forked worker, unshare their pages.
        found = [min(versions, key=lambda a: (a.locale != self.default_locale, self._locale_order(a.locale)))
                 for versions in self._translations.values() if all(a.locale != locale for a in versions)]
        return sorted(found, key=lambda a: a.title.casefold())

    def _locale_order(self, locale: str) -> int:
        return self.locales.index(locale) if locale in self.locales else len(self.locales)

    def categories(self, locale: str) -> list[Category]:
        found = [c for (loc, cid), c in self._categories.items()
                 if loc == locale and self._articles_in.get((loc, cid))]
        return sorted(found, key=lambda c: (c.order, c.title.casefold()))

    def category(self, locale: str, category_id: str) -> Category | None:
        return self._categories.get((locale, category_id))

    def articles_in(self, locale: str, category_id: str) -> list[Article]:
        return self._articles_in.get((locale, category_id), [])

    def redirect_for(self, path: str) -> Article | None:
        return self._redirects.get("/" + path.strip("/"))
