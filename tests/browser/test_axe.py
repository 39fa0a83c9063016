"""axe-core in Chromium: no WCAG 2.2 A/AA violation on any page of the sitemap at phone and
desktop size, nor on any other page type, in any locale, light or dark."""

from __future__ import annotations

import re
import urllib.request

import pytest

from portal.content.loader import load_content
from tests.helpers import DEMO_CONTENT

from .live import VIEWPORTS, WCAG_TAGS, axe_violations

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




def sitemap_paths(base_url):
    """Every page the sitemap lists, following a sitemap index."""
    def locs(url):
        with urllib.request.urlopen(url, timeout=30) as response:
            return re.findall(r"<loc>([^<]+)</loc>", response.read().decode("utf-8"))

    paths, queue = [], [base_url + "/sitemap.xml"]
    while queue:
        for loc in locs(queue.pop()):
            if loc.endswith(".xml"):
                queue.append(loc)
            else:
                paths.append(loc.removeprefix(base_url))
    return paths


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_every_page_of_the_sitemap_has_no_wcag_violations(browser, live_url, axe_source, device):
    """One page reused for the whole sweep (a page per URL would cost minutes)."""
    paths = sitemap_paths(live_url)
    assert len(paths) > 100 and len({p.split("/")[1] for p in paths}) == len(LOCALES)
    context = browser.new_context(base_url=live_url, viewport=VIEWPORTS[device],
                                  is_mobile=device == "phone", has_touch=device == "phone")
    context.add_init_script(axe_source)
    page = context.new_page()
    failures = {}
    for path in paths:
        response = page.goto(path, wait_until="load")
        assert response.status == 200, path
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS)
        found = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]
        if found:
            failures[path] = found
    context.close()
    assert failures == {}


SWEPT = {"home", "category", "article"}  # in the sitemap: the sweep above covers them
CASES = [(locale, kind, path) for locale in LOCALES for kind, path in page_paths(locale).items()
         if kind not in SWEPT]


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
