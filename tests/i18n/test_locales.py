"""UI strings: complete catalogs for every LOCALES entry, correct plurals, served per locale."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from babel.plural import PluralRule

from portal.i18n import LOCALES, locale_name
from tests.helpers import ROOT

TRANSLATED = [locale for locale in LOCALES if locale != "en"]


def catalog(locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def template():
    with open(ROOT / "translations" / "messages.pot", "rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_is_complete_and_not_fuzzy(locale):
    messages = catalog(locale)
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    have = {m.id if isinstance(m.id, str) else m.id[0]: m for m in messages if m.id}
    assert wanted <= set(have), f"missing in {locale}: {wanted - set(have)}"
    for key in wanted:
        message = have[key]
        assert not message.fuzzy, f"{locale}: fuzzy {key!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{locale}: untranslated {key!r}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_placeholders_survive_translation(locale):
    import re

    for message in catalog(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(re.findall(r"%\(\w+\)[sd]", " ".join(ids)))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", string)) == wanted, (locale, message.id, string)


def test_polish_has_three_plural_forms():
    messages = catalog("pl")
    assert messages.num_plurals == 3
    plural = PluralRule.parse({"one": "n is 1", "few": "n mod 10 in 2..4 and n mod 100 not in 12..14"})
    assert plural(1) == "one" and plural(3) == "few" and plural(5) == "other"
    plurals = [m for m in messages if m.pluralizable]
    assert plurals and all(len(m.string) == 3 for m in plurals)


@pytest.mark.parametrize(("locale", "words"), [
    ("sv", "Sök"), ("da", "Søg"), ("pl", "Szukaj"),
])
def test_pages_use_the_locale_catalog(client, locale, words):
    assert words in client.get(f"/{locale}/").get_data(as_text=True)


@pytest.mark.parametrize(("locale", "total", "expected"), [
    ("pl", 1, "1 artykuł"), ("pl", 3, "3 artykuły"), ("pl", 5, "5 artykułów"), ("pl", 22, "22 artykuły"),
])
def test_polish_plural_forms_render(demo_app, locale, total, expected):
    from flask_babel import ngettext

    with demo_app.test_request_context(f"/{locale}/"):
        from flask import g

        g.locale = locale
        assert expected in ngettext("%(num)d article found", "%(num)d articles found", total)


def test_locale_names_are_native():
    assert [locale_name(tag) for tag in ("en", "sv", "da", "pl", "nb")] == [
        "English", "Svenska", "Dansk", "Polski", "Norsk bokmål"]
