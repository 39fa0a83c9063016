"""portal/http.py: caching and 304s, compression, page weight, security headers, HTTPS mode."""

from __future__ import annotations

import gzip
import re

import pytest
from flask import session

from portal.content.loader import load_content
from portal.http import https_mode
from tests.helpers import DEMO_CONTENT

DEMO = load_content(DEMO_CONTENT)
ARTICLE = next(a.url for a in DEMO.articles if a.locale == "sv" and a.id == "delivery/track-your-order")
PAGE_BUDGET = 60 * 1024  # an article with everything it loads, compressed
NO_TRACKING = {"DNT": "1"}  # no visit cookie: the response a shared cache may keep


def asset_urls(html):
    """Every URL the page makes the browser fetch on load."""
    return (re.findall(r'<link rel="(?:stylesheet|icon)" href="([^"]+)"', html)
            + re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<img [^>]*src="([^"]+)"', html))


# --- caching --------------------------------------------------------------------------

def test_article_pages_have_validators_and_answer_304(client):
    first = client.get(ARTICLE, headers=NO_TRACKING)
    assert first.status_code == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(ARTICLE, headers={**NO_TRACKING, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(ARTICLE, headers={**NO_TRACKING, "If-Modified-Since": last_modified})
    assert since.status_code == 304
    changed = client.get(ARTICLE, headers={**NO_TRACKING, "If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_compressed_article_has_its_own_etag_and_still_answers_304(client):
    first = client.get(ARTICLE, headers={**NO_TRACKING, "Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in first.headers["Vary"]
    assert first.headers["ETag"].endswith(':gzip"')
    assert gzip.decompress(first.data).decode().startswith("<!doctype html>")
    again = client.get(ARTICLE, headers={**NO_TRACKING, "Accept-Encoding": "gzip",
                                         "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_pages_that_set_a_cookie_are_never_stored_by_shared_caches(client):
    response = client.get(ARTICLE)  # tracking allowed: a visit cookie is set
    assert response.headers.getlist("Set-Cookie")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert client.get(ARTICLE, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_pages_that_read_the_session_are_private(app_factory):
    """A form with a per-visitor token (kept in the session) must not be cached for everyone."""
    public = app_factory().test_client().get("/en/", headers=NO_TRACKING)
    assert public.headers["Cache-Control"] == "public, max-age=300" and "Cookie" not in public.headers["Vary"]

    app = app_factory()

    @app.after_request
    def read_the_session(response):  # as a CSRF token in a template would
        session.get("csrf_token")
        return response

    private = app.test_client().get("/en/", headers=NO_TRACKING)
    assert private.headers["Cache-Control"] == "private, no-cache" and "Cookie" in private.headers["Vary"]


def test_search_and_errors_are_not_marked_cacheable(client):
    search = client.get("/en/search?q=parcel", headers=NO_TRACKING)
    assert "public" not in search.headers.get("Cache-Control", "")
    assert "ETag" not in client.get("/en/no/such-page", headers=NO_TRACKING).headers


def test_versioned_static_files_are_immutable_for_a_year(client):
    html = client.get("/en/", headers=NO_TRACKING).get_data(as_text=True)
    for url in asset_urls(html):
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        response.close()


def test_unversioned_or_stale_static_urls_are_revalidated(client):
    for url in ("/static/css/portal.css", "/static/css/portal.css?v=000000000000"):
        response = client.get(url)
        assert "immutable" not in response.headers["Cache-Control"]
        response.close()


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_css_and_js_are_compressed(client, encoding):
    html = client.get("/en/", headers=NO_TRACKING).get_data(as_text=True)
    for url in asset_urls(html):
        if ".css" in url or ".js" in url:
            response = client.get(url, headers={"Accept-Encoding": encoding})
            assert response.headers["Content-Encoding"] == encoding, url
            response.close()


# --- weight and third parties ---------------------------------------------------------

def page_weight(client, url):
    """Bytes on the wire for the page and everything it loads, gzip-compressed."""
    page = client.get(url, headers={**NO_TRACKING, "Accept-Encoding": "gzip"})
    total = len(page.data)
    assert page.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.data).decode()
    for asset in asset_urls(html):
        response = client.get(asset, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, asset
        total += len(response.data)
        response.close()
    return total


@pytest.mark.parametrize("locale", DEMO.site.locales)
def test_the_heaviest_article_weighs_under_60_kb_compressed_with_its_assets(client, locale):
    heaviest = max((a for a in DEMO.articles if a.locale == locale), key=lambda a: len(a.html))
    weight = page_weight(client, heaviest.url)
    assert weight <= PAGE_BUDGET, f"{heaviest.url}: {weight / 1024:.1f} KB"


@pytest.mark.parametrize("path", ["/en/", "/sv/delivery/", ARTICLE, "/da/search?q=pakke", "/pl/no/such-page"])
def test_nothing_is_loaded_from_elsewhere_and_nothing_blocks_rendering(client, path):
    html = client.get(path, headers=NO_TRACKING).get_data(as_text=True)
    for url in asset_urls(html):
        assert url.startswith("/") and not url.startswith("//"), url
    assert re.findall(r"<script src=[^>]*>", html) == [s for s in re.findall(r"<script src=[^>]*>", html)
                                                       if " defer" in s or " async" in s]
    assert not re.search(r"<script(?![^>]*(src=|application/ld\+json))[^>]*>", html), "no inline script"
    assert "fonts.googleapis" not in html and "@import" not in html


def test_the_stylesheet_has_no_web_fonts_or_imports(client):
    css = client.get("/static/css/portal.css")
    text = css.get_data(as_text=True)
    css.close()
    assert "@font-face" not in text and "@import" not in text and "url(http" not in text
    assert "prefers-reduced-motion" in text and "prefers-color-scheme: dark" in text


# --- security headers -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/en/", ARTICLE, "/en/search?q=x", "/en/no/such-page", "/sitemap.xml",
                                  "/api/v1/search?q=parcel"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in headers["Content-Security-Policy"]
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["font-src"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers, "no HSTS over plain HTTP in development"


def test_https_mode_sends_hsts_and_secure_host_only_session_cookie(app_factory):
    app = app_factory(HTTPS=True)

    @app.route("/_test/login")
    def _login():
        session["who"] = "someone"
        return "ok"

    client = app.test_client()
    response = client.get("/_test/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain=" not in cookie
    page = client.get("/en/").get_data(as_text=True)
    assert '<link rel="canonical" href="https://localhost/en/">' in page


@pytest.mark.parametrize(("config", "expected"), [
    ({"HTTPS": None, "TESTING": False, "DEBUG": False, "SECRET_KEY": "a-real-secret"}, True),
    ({"HTTPS": None, "TESTING": True, "DEBUG": False, "SECRET_KEY": "a-real-secret"}, False),
    ({"HTTPS": None, "TESTING": False, "DEBUG": True, "SECRET_KEY": "a-real-secret"}, False),
    ({"HTTPS": True, "TESTING": True, "DEBUG": True, "SECRET_KEY": ""}, True),
    ({"HTTPS": False, "TESTING": False, "DEBUG": False, "SECRET_KEY": "a-real-secret"}, False),
])
def test_https_mode_is_on_in_production_or_when_asked(config, expected):
    class App:
        def __init__(self):
            self.config = dict(config)
            self.debug, self.testing = config["DEBUG"], config["TESTING"]

    assert https_mode(App()) is expected


def test_portal_https_env_values():
    from portal.config import Config

    assert Config({"PORTAL_HTTPS": "1"}).HTTPS is True
    assert Config({"PORTAL_HTTPS": "0"}).HTTPS is False
    assert Config({}).HTTPS is None
