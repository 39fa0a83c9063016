"""Pages customers see: every demo article in every language, locale choice, fallbacks, 404s."""

from __future__ import annotations

import re

import pytest

from portal.content.loader import load_content
from tests.helpers import DATA, DEMO_CONTENT

DEMO = load_content(DEMO_CONTENT)


@pytest.mark.parametrize("article", DEMO.articles, ids=lambda a: f"{a.locale}:{a.id}")
def test_every_demo_article_answers_in_its_language(client, article):
    response = client.get(article.url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{article.locale}"' in html
    assert f"<h1>{article.title}</h1>".replace("'", "&#39;") in html.replace("&#x27;", "&#39;")


@pytest.mark.parametrize("locale", DEMO.site.locales)
def test_home_and_category_pages_in_every_locale(client, locale):
    home = client.get(f"/{locale}/")
    assert home.status_code == 200 and f'<html lang="{locale}"' in home.get_data(as_text=True)
    categories = sorted({a.category for a in DEMO.articles if a.locale == locale})
    assert len(categories) >= 6
    for category in categories:
        page = client.get(f"/{locale}/{category}/")
        assert page.status_code == 200
        assert 'aria-current="page"' in page.get_data(as_text=True)


def test_demo_content_is_big_enough_and_translated():
    english = {a.id for a in DEMO.articles if a.locale == "en"}
    assert len(english) >= 40
    assert len({a.category for a in DEMO.articles}) >= 6
    only_english = [i for i in english if not any(a.id == i and a.locale != "en" for a in DEMO.articles)]
    assert only_english, "at least one article is deliberately only in English"
    for locale in ("sv", "da", "pl"):
        translated = {a.id for a in DEMO.articles if a.locale == locale}
        assert translated == english - set(only_english)


@pytest.mark.parametrize(("accept", "expected"), [
    ("sv-SE,sv;q=0.9,en;q=0.5", "/sv/"),
    ("da", "/da/"),
    ("pl-PL", "/pl/"),
    ("fr-FR,en;q=0.3", "/en/"),
    ("ja", "/en/"),
    ("", "/en/"),
])
def test_root_redirects_by_accept_language(client, accept, expected):
    response = client.get("/", headers={"Accept-Language": accept})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_explicit_language_choice_is_remembered(client):
    response = client.get("/language/da?next=/da/returns/")
    assert response.status_code == 303 and response.headers["Location"] == "/da/returns/"
    assert "locale=da" in response.headers["Set-Cookie"]
    again = client.get("/", headers={"Accept-Language": "sv"})
    assert again.headers["Location"] == "/da/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/sv/",
                                    "/da/%0aX", "/da/%0d%0aSet-Cookie:%20x=1"])
def test_language_choice_never_redirects_elsewhere(client, target):
    response = client.get(f"/language/da?next={target}")  # a line break used to give 500 (review L5)
    assert response.status_code == 303 and response.headers["Location"] == "/da/"


def test_article_links_to_its_translations(client):
    html = client.get("/en/delivery/track-your-order").get_data(as_text=True)
    for locale in ("sv", "da", "pl"):
        url = next(a.url for a in DEMO.articles if a.locale == locale and a.id == "delivery/track-your-order")
        assert f'hreflang="{locale}" href="http://localhost{url}"' in html
        assert f'href="/language/{locale}?next={url}"' in html
    assert 'hreflang="x-default" href="http://localhost/en/delivery/track-your-order"' in html


def test_article_id_url_redirects_to_the_localized_slug(client):
    swedish = next(a for a in DEMO.articles if a.locale == "sv" and a.id == "returns/return-an-item")
    response = client.get("/sv/returns/return-an-item")
    assert response.status_code == 301 and response.headers["Location"] == swedish.url


@pytest.mark.parametrize("locale", ["sv", "da", "pl"])
def test_untranslated_article_shows_a_notice_not_a_404(client, locale):
    response = client.get(f"/{locale}/orders/order-by-phone")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/en/orders/order-by-phone"' in html
    assert '<meta name="robots" content="noindex">' in html
    assert f'<html lang="{locale}"' in html


@pytest.mark.parametrize("path", ["/en/nothing/here", "/sv/no-category/", "/xx/", "/en/orders/nope"])
def test_missing_pages_get_a_localized_404(client, path):
    response = client.get(path, headers={"Accept-Language": "pl"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    expected = path.split("/")[1] if path.split("/")[1] in DEMO.site.locales else "pl"
    assert f'<html lang="{expected}"' in html
    assert 'name="q"' in html, "a 404 offers search"


def test_redirect_from_answers_301(app_factory):
    client = app_factory(DATA / "good").test_client()
    response = client.get("/old/returns-policy")
    assert response.status_code == 301 and response.headers["Location"] == "/en/returns/return-an-item"


def test_drafts_are_not_served(app_factory):
    client = app_factory(DATA / "good").test_client()
    assert client.get("/en/delivery/secret-draft").status_code == 404


def test_article_page_shows_updated_date_breadcrumbs_and_body(client):
    html = client.get("/sv/returns/").get_data(as_text=True)
    link = re.search(r'href="(/sv/returns/[^"]+)"', html).group(1)
    page = client.get(link).get_data(as_text=True)
    assert '<nav class="breadcrumbs"' in page and "<time datetime=" in page
    assert '<div class="article-body">' in page


def test_one_locale_site_with_swedish_default(app_factory):
    client = app_factory(DATA / "sv-only").test_client()
    assert client.get("/", headers={"Accept-Language": "en"}).headers["Location"] == "/sv/"
    page = client.get("/sv/paket/var-ar-paketet")
    assert page.status_code == 200 and "Var är mitt paket?" in page.get_data(as_text=True)
    assert client.get("/en/").status_code == 404


def test_shared_swedish_dev_set_is_served(app_factory):
    """The contract's example: a Swedish-only site from the dev data, with no changes."""
    folder = DEMO_CONTENT.parent.parent / "shared" / "data" / "dev" / "sv-swefaq-dev" / "content"
    folder = folder if folder.is_dir() else DATA / "sv-only"
    client = app_factory(folder).test_client()
    loaded = load_content(folder)
    assert loaded.errors == []
    for article in loaded.articles[:20]:
        assert client.get(article.url).status_code == 200


def test_media_files_only_serve_images(app_factory, tmp_path):
    client = app_factory(DATA / "good").test_client()
    assert client.get("/media/site.yml").status_code == 404
    assert client.get("/media/../../etc/passwd.png").status_code == 404


# -- first use (issue 17): keep the visitor's place, find one-language articles, name the site --------

FIRST_USE = DATA / "first-use"


@pytest.fixture
def first_use(app_factory):
    return app_factory(FIRST_USE).test_client()


def test_a_category_lists_articles_that_exist_only_in_another_language(first_use):
    html = first_use.get("/sv/orders/").get_data(as_text=True)
    own = html.index('href="/sv/orders/lagga-en-bestallning"')
    section = html[html.index('class="elsewhere"'):]
    assert own < html.index('class="elsewhere"')
    assert ('<a href="/en/orders/order-by-phone" hreflang="en" lang="en">Can I order by telephone?</a>'
            in section)
    assert "(engelska)" in section  # the language named in the visitor's own
    assert "place-order" not in section  # translated articles are listed once, in Swedish


def test_a_category_lists_no_other_language_when_everything_is_translated(app_factory, content_copy):
    html = app_factory(content_copy("good")).test_client().get("/sv/returns/").get_data(as_text=True)
    assert 'class="elsewhere"' not in html


@pytest.mark.parametrize(("path", "expected"), [
    ("/sv/orders/", {"en": "/en/orders/", "pl": "/pl/orders/"}),
    ("/en/returns/", {"pl": "/pl/returns/", "sv": "/sv/"}),  # no Swedish returns: its home
])
def test_the_language_switch_keeps_the_category(first_use, path, expected):
    html = first_use.get(path).get_data(as_text=True)
    for locale, target in expected.items():
        assert f'href="/language/{locale}?next={target}"' in html


def test_the_404_page_has_a_search_form_in_the_visitors_language(first_use):
    response = first_use.get("/sv/no/such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    after = html.split("Prova att söka efter det du behöver:", 1)[1]
    form = re.search(r'<form class="search-form" role="search" action="/sv/search" method="get">.*?</form>',
                     after, re.S)
    assert form and 'id="search-not-found"' in form.group(0) and 'name="q"' in form.group(0)
    assert html.count('id="search-q"') == 1  # the header's box keeps its own id


def test_the_404_search_form_leads_to_results(first_use):
    response = first_use.get("/sv/search", query_string={"q": "beställning"})
    assert response.status_code == 200
    assert "/sv/orders/lagga-en-bestallning" in response.get_data(as_text=True)


@pytest.mark.parametrize(("locale", "name"), [
    ("en", "Test Shop Help"), ("sv", "Testbutikens kundtjänst"), ("pl", "Test Shop Help")])
def test_the_site_name_is_in_the_pages_language(first_use, locale, name):
    html = first_use.get(f"/{locale}/").get_data(as_text=True)
    assert f'class="brand" href="/{locale}/">{name}</a>' in html
    assert f'<meta property="og:site_name" content="{name}">' in html
    assert re.search(rf"<title>[^<]* – {name}</title>", html)
