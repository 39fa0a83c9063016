"""The analysis benchmarks rewrite what every engine sees the way they say they do."""

from __future__ import annotations

import pytest

from bench import compounds, polish_stems
from portal.content.model import Article
from portal.search import analysis


def article(locale, title, body):
    return Article(id="help/a", locale=locale, category="help", title=title, slug="a", description="",
                   body_text=body, html="", questions=(f"{title}?",))


def test_compound_parts_join_the_field_and_the_query():
    articles = [article("sv", "Returfrakt", "Frakt och retur av varor.")]
    queries = [{"id": "q", "text": "returfrakt kostar", "locale": "sv"}]
    where, in_query, options = compounds.VARIANTS["same field + query"]
    rewritten, asked = compounds.preparer(where, in_query, options)(articles, queries)
    assert rewritten[0].title == "Returfrakt retur frakt"
    assert rewritten[0].questions == ("Returfrakt? retur frakt",)
    assert rewritten[0].body_text == "Frakt och retur av varor."
    assert asked[0]["text"] == "returfrakt kostar retur frakt"


def test_compound_variant_without_splitting_changes_nothing():
    articles = [article("sv", "Returfrakt", "Frakt och retur.")]
    queries = [{"id": "q", "text": "returfrakt", "locale": "sv"}]
    where, in_query, options = compounds.VARIANTS["none"]
    assert compounds.preparer(where, in_query, options)(articles, queries) == (articles, queries)


@pytest.fixture
def restore_stems():
    yield
    analysis.stem_function = polish_stems.ORIGINAL_STEM_FUNCTION
    analysis.term_function.cache_clear()


def test_a_polish_candidate_replaces_only_the_polish_stems(restore_stems):
    english = analysis.terms("en", "returning parcels")
    polish_stems.use(polish_stems.truncated(3)())
    assert analysis.terms("pl", "zwrotu paczki") == ["zwr", "pac"]
    assert analysis.terms("en", "returning parcels") == english
