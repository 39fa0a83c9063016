"""Language analysis: the words a customer types meet the words an article uses."""

from __future__ import annotations

import importlib
import re
from functools import partial
from pathlib import Path

import pytest
import Stemmer
from whoosh.analysis import LanguageAnalyzer

from portal.content.loader import load_content, parse_synonyms
from portal.i18n import LOCALES
from portal.search.analysis import (
    SHOP_SYNONYMS,
    _stemmer,
    fold,
    polish_stem,
    query_words,
    shop_synonyms,
    stem_function,
    stopwords,
    terms,
)

from .helpers import BASIC, MORE_LOCALES, ids


@pytest.mark.parametrize(
    "locale, typed, written",
    [
        ("pl", "zwrotu", "zwrot"),
        ("pl", "zwroty", "zwrot"),
        ("pl", "paczki", "paczka"),
        ("sv", "returnerar", "returnera"),
        ("sv", "paketet", "paket"),
        ("da", "pakken", "pakke"),
        ("nb", "pakken", "pakke"),
        ("en", "returning", "return"),
        ("sv-SE", "paketet", "paket"),  # a region subtag uses its language's rules
    ],
)
def test_inflected_form_meets_the_written_form(locale, typed, written):
    """An inflected query word is indexed as the same term as the article's word."""
    assert terms(locale, typed) == terms(locale, written)
    assert len(terms(locale, typed)) == 1


@pytest.mark.parametrize(
    "written, typed",
    [
        ("wystawia", "wystawiamy"),  # Snowball: wystaw / wystawi
        ("punkt", "punkcie"),  # punkt / punk
        ("konto", "koncie"),  # kont / kon
        ("karta", "karcie"),  # kart / kar
        ("paczka", "paczce"),  # paczk / paczc
        ("ręka", "ręce"),  # ręk / ręc
        ("kod", "kodzie"),  # kod / kodz
        ("faktura", "fakturze"),  # faktur / fakturz
        ("droga", "drodze"),  # drog / drodz
        ("wzrost", "wzroście"),  # wzrost / wzrośc
        ("zmienia", "zmieniamy"),  # zmien / zmieni
    ],
)
def test_polish_forms_that_snowball_splits_share_a_term(written, typed):
    """A Polish word whose last consonant alternates ('punkt' / 'w punkcie'), or whose verb
    ending leaves an 'i' behind, is one term, as its other forms are."""
    snowball = _stemmer("polish").stemWord
    assert snowball(written) != snowball(typed), "the pair no longer tests the Polish step"
    assert terms("pl", typed) == terms("pl", written)
    assert len(terms("pl", typed)) == 1


@pytest.mark.parametrize(
    "one, other",
    [
        ("macie", "mat"),  # a verb ending in -cie is not a t-word's locative
        ("tablice", "tablik"),  # -ce after a vowel is not a k-word's form
        ("miejsce", "miejsk"),
        ("pieniądze", "pieniąg"),  # -dze after a consonant is not a g-word's form
        ("karta", "kartka"),
        ("dostawa", "dostawca"),
        ("kupić", "kupon"),
    ],
)
def test_polish_step_keeps_different_words_apart(one, other):
    assert terms("pl", one) != terms("pl", other)


@pytest.mark.parametrize(
    "one, other",
    [
        ("dotyczy", "dotyczące"),  # a participle's -ące is no k-word's form
        ("kosztuje", "kosztujące"),
        ("pobrać", "pobraliście"),  # a verb's -liście is no st-word's form
        ("zrobić", "zrobiliście"),
    ],
)
def test_polish_step_keeps_forms_snowball_joins_together(one, other):
    assert _stemmer("polish").stemWord(one) == _stemmer("polish").stemWord(other)
    assert terms("pl", one) == terms("pl", other)


@pytest.mark.parametrize(
    "locale, one, other",
    [("sv", "paket", "pengar"), ("pl", "paczka", "zwrot"), ("da", "pakke", "penge")],
)
def test_different_words_stay_different(locale, one, other):
    """Stemming does not collapse unrelated words (the control for the test above)."""
    assert terms(locale, one) != terms(locale, other)


@pytest.mark.parametrize(
    "text, folded",
    [
        ("zwrócić", "zwrocic"),
        ("ø", "o"),
        ("Søren", "Soren"),
        ("æble", "aeble"),
        ("łódź", "lodz"),
        ("försändelse", "forsandelse"),
        ("straße", "strasse"),
        ("plain", "plain"),
    ],
)
def test_fold_removes_diacritics(text, folded):
    """fold() leaves plain letters, so a query without diacritics can meet the article."""
    assert fold(text) == folded


@pytest.mark.parametrize(
    "locale, written, expected",
    [("pl", "zwrócić", ["zwroc"]), ("sv", "försändelse", ["forsand"]), ("da", "købt", ["kobt"])],
)
def test_index_terms_are_stemmed_then_folded(locale, written, expected):
    """Stemming sees the diacritics it needs; the stored term is folded."""
    assert terms(locale, written) == expected


@pytest.mark.parametrize(
    "locale, stop_word, content_word",
    [
        ("en", "the", "parcel"),
        ("en", "how", "parcel"),
        ("sv", "och", "paket"),
        ("sv", "jag", "paket"),
        ("da", "og", "pakke"),
        ("nb", "og", "pakke"),
        ("pl", "jak", "paczka"),
        ("pl", "się", "paczka"),
        ("de", "und", "paket"),
    ],
)
def test_stop_words_are_removed_per_language(locale, stop_word, content_word):
    """A language's stop words add no terms, and are in that language's list."""
    assert stop_word in stopwords(locale)
    assert terms(locale, f"{stop_word} {content_word} {stop_word}") == terms(locale, content_word)


@pytest.mark.parametrize("locale, word", [("en", "jag"), ("sv", "the"), ("pl", "og")])
def test_stop_words_of_another_language_are_kept(locale, word):
    """Stop lists are per language: Swedish 'jag' is a word in an English index."""
    assert word not in stopwords(locale)
    assert terms(locale, word)


@pytest.mark.parametrize("locale", ["nb", "nn"])
def test_norwegian_is_stemmed_unlike_whoosh_language_analyzer(locale):
    """'pakken' meets 'pakke' in nb/nn, which Whoosh's own LanguageAnalyzer leaves unstemmed."""
    whoosh_terms = [token.text for token in LanguageAnalyzer(locale)("pakken pakke")]
    assert whoosh_terms[0] != whoosh_terms[1]
    assert terms(locale, "pakken") == terms(locale, "pakke") == ["pakk"]


@pytest.mark.parametrize(
    "locale, text, expected",
    [
        pytest.param("xx", "Foo BARS baz", ["foo", "bars", "baz"], id="xx"),
        pytest.param("ja", "荷物 の 追跡", ["荷物", "の", "追跡"], id="ja"),
        pytest.param("cs", "balíku", ["balik"], id="cs"),  # Snowball knows Czech; Whoosh has no stop list
    ],
)
def test_locale_without_stemmer_or_stop_list_still_tokenizes(locale, text, expected):
    """Any locale a site may list gets lowercase, folded word terms (stemmed where Snowball can)."""
    assert stopwords(locale) == frozenset()
    assert terms(locale, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("Hasn't my PARCEL come?", ["hasn't", "my", "parcel", "come"], id="en"),
        pytest.param("ZWRÓCIĆ Paczkę", ["zwrócić", "paczkę"], id="pl"),
        # 'İ' lowercases to 'i' and a combining dot, no word character: the word stays whole.
        pytest.param("İade ŞARTLARI", ["i\u0307ade", "şartlari"], id="tr"),
    ],
)
def test_query_words_are_whole_and_lowercase(text, expected):
    assert query_words(text) == expected


def test_polish_query_without_diacritics_finds_the_article(basic_index):
    """'zwrocic' is stemmed as 'zwrócić', restored from the index vocabulary."""
    for query in ("zwrocic", "jak zwrocic towar", "zwrócić"):
        assert ids(basic_index.query("pl", query))[:1] == ["returns/return-an-item"], query


@pytest.mark.parametrize(
    "locale, query, article",
    [
        ("pl", "paczki", "delivery/track-parcel"),
        ("pl", "zwroty", "returns/return-an-item"),
        ("sv", "returnerar", "returns/return-an-item"),
        ("da", "pakken", "delivery/track-parcel"),
    ],
)
def test_inflected_query_finds_the_article(basic_index, locale, query, article):
    """Through the whole backend, an inflected word finds the article with the base form."""
    assert ids(basic_index.query(locale, query))[:1] == [article]


@pytest.mark.parametrize(
    "locale, query",
    [
        pytest.param("nb", "pakke", id="nb"),
        pytest.param("cs", "balíku", id="cs"),
        pytest.param("cs", "balik", id="cs-without-diacritics"),
        pytest.param("ja", "荷物", id="ja"),
    ],
)
def test_locale_lacking_a_stop_list_is_indexed_and_found(make_search, locale, query):
    """Articles in nb, cs or ja build an index, and a query in that locale finds them."""
    loaded = load_content(MORE_LOCALES)
    backend = make_search()
    backend.build([article for article in loaded.articles if article.locale == locale])
    assert ids(backend.query(locale, query)) == ["delivery/track"]


def test_fixture_has_the_polish_diacritics_the_query_lacks():
    """Guards the fixture: the Polish article really spells 'zwrócić' with diacritics."""
    text = (BASIC / "pl" / "returns" / "return-an-item.md").read_text("utf-8")
    assert "zwrócić" in text and "zwrocic" not in text


@pytest.mark.parametrize("locale, algorithm", [("en", "english"), ("sv", "swedish"), ("da", "danish"),
                                               ("pl", "polish")])
def test_compiled_stemmer_is_used_and_stems_as_the_python_one(locale, algorithm):
    """pystemmer makes indexing 70x faster; it must not change a single stem. Only Polish adds a
    step of its own around Snowball (polish_stem); every other language's stems are Snowball's."""
    content = Path(__file__).resolve().parents[2] / "content" / locale
    words = {w.lower() for path in content.rglob("*.md") for w in re.findall(r"\w+", path.read_text("utf-8"))}
    module = importlib.import_module(f"snowballstemmer.{algorithm}_stemmer")
    python_stemmer = getattr(module, f"{algorithm.capitalize()}Stemmer")()
    assert isinstance(_stemmer(algorithm), Stemmer.Stemmer)
    assert len(words) > 500
    words = sorted(words)
    assert [_stemmer(algorithm).stemWord(w) for w in words] == [python_stemmer.stemWord(w) for w in words]
    expected = python_stemmer.stemWord
    if locale == "pl":
        expected = partial(polish_stem, snowball_stem=python_stemmer.stemWord)
    assert [stem_function(locale)(w) for w in words] == [expected(w) for w in words]


# -- the built-in shop vocabulary -------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_a_clean_builtin_vocabulary(locale):
    """Each supported locale ships a synonym list in the editors' format, with no bad line and
    no phrase of stop words only (it could never match)."""
    path = SHOP_SYNONYMS / f"{locale}.txt"
    groups, errors = parse_synonyms(path.read_text("utf-8"))
    assert errors == [] and len(groups) >= 30
    assert shop_synonyms(f"{locale}-XX") == groups, "a region subtag uses its language's list"
    assert [phrase for group in groups for phrase in group if not terms(locale, phrase)] == []


def test_a_language_without_a_builtin_vocabulary_has_none():
    assert shop_synonyms("ja") == ()
