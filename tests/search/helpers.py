"""Paths and small helpers shared by the search tests."""

from __future__ import annotations

from pathlib import Path

from portal.content.loader import load_content

DATA = Path(__file__).resolve().parent.parent / "data"
BASIC = DATA / "search-basic"  # en, sv, da, pl articles, synonyms, a draft
MANY = DATA / "search-many"  # 23 articles that all match "voucher"
MORE_LOCALES = DATA / "search-more-locales"  # nb, and cs/ja: no Whoosh stop-word list
ENGINES = ("tantivy", "whoosh")  # every engine PORTAL_SEARCH_BACKEND offers


def build_from(backend, content_dir, *, synonyms=True) -> str:
    """Index a content folder the way `flask search build` does; returns the build name."""
    loaded = load_content(content_dir)
    return backend.build(loaded.articles, loaded.site.synonyms if synonyms else None)


def ids(results) -> list[str]:
    return [hit.article_id for hit in results.hits]
