"""axe-core in Chromium: no WCAG 2.2 A/AA violation on any page type, in any locale, light or dark."""

from __future__ import annotations

import pytest

from portal.content.loader import load_content
from tests.conftest import DEMO_CONTENT

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEMO = load_content(DEMO_CONTENT)
LOCALES = DEMO.site.locales
SEARCH_WORD = {"en": "parcel", "sv": "paket", "da": "pakke", "pl": "paczka"}


def article_url(locale, article_id="delivery/track-your-order"):
    return next(a.url for a in DEMO.articles if a.locale == locale and a.id == article_id)


def page_paths(locale):
    return {
        "home": f"/{locale}/",
        "category": f"/{locale}/delivery/",
        "article": article_url(locale),
        "search results": f"/{locale}/search?q={SEARCH_WORD[locale]}",
        "no results": f"/{locale}/search?q=zzqxvw",
        "404": f"/{locale}/no/such-page",
        "contact": f"/{locale}/contact",
        "contact with channels and form": f"/{locale}/contact?topic=return-or-refund&description=zip",
    }


def axe_violations(page, axe_source):
    page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in result["violations"]]


CASES = [(locale, kind, path) for locale in LOCALES for kind, path in page_paths(locale).items()]


@pytest.mark.parametrize(("locale", "kind", "path"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_no_wcag_violations(page, axe_source, locale, kind, path):
    response = page.goto(path)
    assert response.status == (404 if kind == "404" else 200)
    assert page.locator("html").get_attribute("lang") == locale
    assert axe_violations(page, axe_source) == []


@pytest.mark.parametrize("kind", list(page_paths("en")))
def test_no_wcag_violations_in_dark_mode(new_page, axe_source, kind):
    page = new_page(color_scheme="dark")
    page.goto(page_paths("en")[kind])
    assert axe_violations(page, axe_source) == []


def test_no_wcag_violations_on_a_page_in_another_language_than_the_article(page, axe_source):
    page.goto("/sv/orders/order-by-phone")  # only in English: a Swedish page linking to it
    assert axe_violations(page, axe_source) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_wcag_violations_with_the_suggestions_open(new_page, axe_source, scheme):
    page = new_page(color_scheme=scheme)
    page.goto("/en/")
    page.focus("#search-q")
    page.keyboard.type("track", delay=20)
    page.locator("#search-q-listbox [role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    assert axe_violations(page, axe_source) == []
