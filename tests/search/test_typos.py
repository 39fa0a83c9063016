"""'Did you mean' on every engine: short typos and swapped letters are found; a word the index
knows, as written, by its stem or from a synonym group, is never 'corrected'."""

from __future__ import annotations

import pytest

from .helpers import build_from, ids

SITE = "name: Shop\ndefault_locale: en\nlocales: [en, da, pl]\n"
ARTICLES = {
    "en/costs/fees.md": "---\ntitle: Fees and free delivery\n---\nNo fee: delivery is free over 50 EUR.\n",
    "en/help/resolve.md": "---\ntitle: How we resolve problems\n---\nWe resolve problems within a day.\n",
    "da/levering/pakke.md": "---\ntitle: Hvor er min pakke?\n---\nDin pakke er på vej. Følg pakken online.\n",
    "pl/zwroty/zwrot.md": "---\ntitle: Zwrot towaru\n---\nZwrot jest bezpłatny. Wpisz kod rabatowy, "
                          "aby dostać zniżkę; kodu nie trzeba podawać przy zwrocie.\n",
    "pl/dane/dane.md": "---\ntitle: Komu przekazujemy dane?\n---\nDane przekazujemy przewoźnikowi.\n",
}


@pytest.fixture
def typo_index(make_search, tmp_path):
    content = tmp_path / "content"
    for path, text in ARTICLES.items():
        (content / path).parent.mkdir(parents=True, exist_ok=True)
        (content / path).write_text(text, "utf-8")
    (content / "site.yml").write_text(SITE, "utf-8")
    (content / "en" / "synonyms.txt").write_text("delete account = remove account\n", "utf-8")
    backend = make_search(SEARCH_BUILTIN_SYNONYMS=False)
    build_from(backend, content)
    return backend


@pytest.mark.parametrize("locale, typed, meant, article", [
    ("da", "pkake", "pakke", "levering/pakke"),
    ("pl", "zwort", "zwrot", "zwroty/zwrot"),
    ("pl", "zwrto", "zwrot", "zwroty/zwrot"),
    ("en", "feees", "fees", "costs/fees"),
])
def test_short_typos_and_swapped_letters_are_corrected(typo_index, locale, typed, meant, article):
    results = typo_index.query(locale, typed)
    assert results.suggestion == meant
    assert results.fuzzy and ids(results)[:1] == [article]


@pytest.mark.parametrize("locale, word", [
    ("en", "free"),  # one letter from 'fee', and in the index
    ("en", "remove"),  # no article says it, but a synonym group does: not 'resolve'
    ("pl", "komu"),  # one letter from 'kodu', and in the index
])
def test_a_word_the_index_knows_is_never_corrected(typo_index, locale, word):
    assert typo_index.query(locale, word).suggestion is None
