"""Rendered pages are kept per process, and nothing of one visitor reaches another."""

from __future__ import annotations

import gzip
import os

import pytest
from sqlalchemy import select
from werkzeug.http import generate_etag

from portal.content.repository import ContentRepository
from portal.models import Event
from portal.page_cache import PageCache

ARTICLE = "/en/delivery/track-your-order"
SWEDISH = "/sv/returns/returnera-en-vara"
ENGLISH = "/en/returns/return-an-item"
VISITOR = "a" * 32


@pytest.fixture
def app(app_factory):
    return app_factory(ALLOWED_HOSTS=["localhost", "help.example", "hjalp.example"])


def cookies(response):
    return response.headers.getlist("Set-Cookie")


def test_an_article_is_rendered_once_and_served_again_from_the_cache(app):
    client = app.test_client()
    first = client.get(ARTICLE)
    assert first.status_code == 200
    assert len(app.extensions["page_cache"]) == 1
    second = client.get(ARTICLE)
    assert second.data == first.data
    assert len(app.extensions["page_cache"]) == 1


def test_one_visitors_cookie_never_reaches_another(app):
    client = app.test_client()
    client.set_cookie("visit", VISITOR)
    mine = client.get(ARTICLE)
    assert any(header.startswith(f"visit={VISITOR}") for header in cookies(mine))

    stranger = app.test_client().get(ARTICLE)  # served from the cache
    assert VISITOR not in stranger.get_data(as_text=True)
    assert not any(VISITOR in header for header in cookies(stranger))
    assert any(header.startswith("visit=") for header in cookies(stranger))
    # A response with a cookie is for its visitor's browser only, cached page or not.
    assert stranger.headers["Cache-Control"] == "private, no-cache"


def test_a_visitor_who_asks_not_to_be_tracked_gets_no_cookie_from_a_cached_page(app):
    app.test_client().get(ARTICLE)
    response = app.test_client().get(ARTICLE, headers={"DNT": "1"})
    assert not cookies(response)
    assert "public" in response.headers["Cache-Control"]


def test_each_language_gets_its_own_page(app):
    client = app.test_client()
    english = client.get(ENGLISH).get_data(as_text=True)
    # The Swedish visitor's language choice is remembered; the English page was cached first.
    client.set_cookie("locale", "en")
    swedish = client.get(SWEDISH).get_data(as_text=True)
    assert '<html lang="en"' in english and "Was this article helpful?" in english
    assert '<html lang="sv"' in swedish and "Var artikeln till hjälp?" in swedish
    assert "Was this article helpful?" not in swedish
    assert client.get(ENGLISH).get_data(as_text=True) == english


def test_each_host_gets_its_own_absolute_urls(app):
    client = app.test_client()
    one = client.get(ARTICLE, base_url="http://help.example").get_data(as_text=True)
    other = client.get(ARTICLE, base_url="http://hjalp.example").get_data(as_text=True)
    assert f'href="http://help.example{ARTICLE}"' in one
    assert f'href="http://hjalp.example{ARTICLE}"' in other and "help.example/" not in other


def test_the_feedback_step_is_part_of_the_page(app):
    client = app.test_client()
    assert "Was this article helpful?" in client.get(ARTICLE).get_data(as_text=True)
    thanks = client.get(f"{ARTICLE}?feedback=yes").get_data(as_text=True)
    assert "We are glad the article helped." in thanks
    assert "Was this article helpful?" in client.get(f"{ARTICLE}?feedback=nonsense").get_data(as_text=True)


def test_the_etag_is_the_bodys_and_a_revalidation_gets_304(app):
    client = app.test_client()
    first = client.get(ARTICLE, headers={"DNT": "1"})
    second = client.get(ARTICLE, headers={"DNT": "1"})
    assert first.headers["ETag"] == second.headers["ETag"] == f'"{generate_etag(first.data)}"'
    again = client.get(ARTICLE, headers={"DNT": "1", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_every_view_of_a_cached_page_is_recorded(app):
    client = app.test_client()
    for _ in range(3):
        client.get(ARTICLE)
    client.get(f"{ARTICLE}?from=search&position=2")
    assert app.extensions["analytics"].flush()
    with app.extensions["db"].session() as session:
        events = session.scalars(select(Event).order_by(Event.id)).all()
    assert [e.type for e in events] == ["view"] * 4 + ["click"]


def save(path, text):
    """Write and move the modification time on, as a later save by an editor would."""
    before = path.stat().st_mtime_ns
    path.write_text(text, "utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_a_content_reload_shows_on_the_next_request(app_factory, content_copy):
    folder = content_copy("good")
    client = app_factory(folder, PREVIEW=True, PREVIEW_INTERVAL=0).test_client()
    url = "/en/returns/return-an-item"
    assert client.get(url).get_data(as_text=True) == client.get(url).get_data(as_text=True)  # cached
    article = folder / "en" / "returns" / "return-an-item.md"
    save(article, article.read_text().replace("How do I return an item?", "How do I return a kayak?"))
    reloaded = client.get(url).get_data(as_text=True)
    assert "How do I return a kayak?" in reloaded and "How do I return an item?" not in reloaded
    assert "How do I return a kayak?" in client.get("/en/").get_data(as_text=True)


@pytest.mark.parametrize("config", [{"PAGE_CACHE_MB": 0}, {"DEBUG": True}])
def test_pages_are_not_cached_when_turned_off_or_in_debug_mode(app_factory, config):
    app = app_factory(**config)
    assert app.test_client().get(ARTICLE).status_code == 200
    assert len(app.extensions["page_cache"]) == 0


def test_the_cache_keeps_its_size_dropping_the_page_read_least_recently():
    cache, content = PageCache(max_bytes=10), object()
    cache.page(content, ("a",), lambda: "aaaa")
    cache.page(content, ("b",), lambda: "bbbb")
    cache.page(content, ("a",), lambda: "not rendered again")
    cache.page(content, ("c",), lambda: "cccc")  # 12 bytes: b, read least recently, leaves
    assert cache.page(content, ("a",), lambda: "new").body == b"aaaa"
    assert cache.page(content, ("b",), lambda: "new").body == b"new"


def test_another_content_snapshot_empties_the_cache():
    cache = PageCache(max_bytes=100)
    cache.page(object(), ("a",), lambda: "old")
    assert cache.page(object(), ("a",), lambda: "new").body == b"new"
    assert len(cache) == 1


def test_a_search_page_is_cached_per_question_and_each_search_is_recorded(app):
    client = app.test_client()
    first = client.get("/en/search?q=refund")
    assert client.get("/en/search?q=refund").data == first.data
    assert first.headers["X-Robots-Tag"] == "noindex"
    shouted = client.get("/en/search?q=REFUND").get_data(as_text=True)
    assert 'value="REFUND"' in shouted  # the same results, the question as this visitor typed it
    assert len(app.extensions["page_cache"]) == 2
    assert app.extensions["analytics"].flush()
    with app.extensions["db"].session() as session:
        searches = session.scalars(select(Event).where(Event.type == "search")).all()
    assert [(e.query, e.result_count > 0) for e in searches] == [("refund", True)] * 2 + [("REFUND", True)]


def test_a_new_search_index_makes_new_search_pages(app_factory, content_copy):
    folder = content_copy("good")
    app = app_factory(folder)
    client = app.test_client()
    found = 'href="/en/returns/return-an-item'
    assert found not in client.get("/en/search?q=kayak").get_data(as_text=True)
    article = folder / "en" / "returns" / "return-an-item.md"
    article.write_text(article.read_text().replace("How do I return an item?", "How do I return a kayak?"))
    app.extensions["search"].build(ContentRepository.from_folder(folder))  # the index swap of a deploy
    assert found in client.get("/en/search?q=kayak").get_data(as_text=True)


def test_a_cached_page_is_compressed_once_per_encoding_and_only_with_its_own_bytes(app):
    client = app.test_client()
    plain = {url: client.get(url, headers={"DNT": "1"}).data for url in (ARTICLE, SWEDISH)}
    for _ in range(2):
        for url in (ARTICLE, SWEDISH):
            response = client.get(url, headers={"Accept-Encoding": "gzip", "DNT": "1"})
            assert response.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(response.data) == plain[url]
    pages = list(app.extensions["page_cache"]._pages.values())
    assert [list(page.encoded) for page in pages] == [["gzip;page"], ["gzip;page"]]
    api = client.get("/api/v1/search?q=refund&locale=en&limit=50", headers={"Accept-Encoding": "gzip"})
    assert api.headers["Content-Encoding"] == "gzip" and b'"results"' in gzip.decompress(api.data)
    assert [list(page.encoded) for page in pages] == [["gzip;page"], ["gzip;page"]]


def test_a_compressed_page_revalidates_with_its_own_etag(app):
    client = app.test_client()
    headers = {"Accept-Encoding": "gzip", "DNT": "1"}
    first = client.get(ARTICLE, headers=headers)
    assert first.headers["ETag"].endswith(':gzip"')
    again = client.get(ARTICLE, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
