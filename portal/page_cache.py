"""Rendered pages kept per process: an article is the same bytes for every visitor of a locale
until the content changes, so it is rendered, and hashed for its ETag, once.

Nothing that differs per visitor enters the cache: cookies, and the Cache-Control that follows
from them, are added to each response by the after_request hooks (portal/analytics, portal/http),
and the views record their events on every request, cached or not. A key holds everything the
bytes depend on: the path (so the locale), the page's own arguments and the origin its absolute
URLs are built on. The cache belongs to one content snapshot: when the content is reloaded
(preview, a deploy) the next request finds another snapshot and the cache starts empty. Its size
is bounded in bytes (PORTAL_PAGE_CACHE_MB per process, 0 turns it off); the page read least
recently leaves first. In debug mode it is off unless set: a saved template shows at once there.

A cached page is compressed once per encoding, too: Flask-Compress keeps what it compressed with
the page (CompressedPages, its cache backend), when the body leaving is that page's own bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from flask import Flask, Response, current_app, g, request
from werkzeug.http import generate_etag

from .content import get_content

DEFAULT_MEGABYTES = 32  # ~3,400 article pages of 9.5 KB (the demo's mean): the most read, per worker


class CachedPage(NamedTuple):
    body: bytes
    etag: str
    encoded: dict  # Flask-Compress's key ("gzip;page") -> the body compressed so


class PageCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple, CachedPage] = OrderedDict()
        self._size = 0
        self._content = None
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._pages)

    def page(self, content, key: tuple, render: Callable[[], str]) -> CachedPage:
        """The page of `key` rendered from `content`: from the cache, or rendered and kept."""
        with self._lock:
            if content is not self._content:  # a reload: every page of the old snapshot is stale
                self._pages.clear()
                self._size, self._content = 0, content
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        body = render().encode()
        page = CachedPage(body, generate_etag(body), {})
        with self._lock:
            # Another thread may have reloaded the content while this one rendered: not kept then.
            if content is self._content and key not in self._pages and len(body) <= self.max_bytes:
                self._pages[key] = page
                self._size += len(body)
                while self._size > self.max_bytes:
                    _key, oldest = self._pages.popitem(last=False)
                    self._size -= len(oldest.body)
        return page


def init_app(app: Flask):
    megabytes = app.config.get("PAGE_CACHE_MB")
    if megabytes is None:
        megabytes = 0 if app.debug else DEFAULT_MEGABYTES
    app.extensions["page_cache"] = PageCache(int(megabytes * 1024 * 1024))
    app.after_request(_compress_once)  # registered after portal/http's: runs before compression


def _compress_once(response):
    """The body leaving is a cached page's own bytes (not an error page, not a 304): its
    compressed forms may be kept with it."""
    page = g.pop("cached_page", None)
    if (page is not None and response.status_code == 200 and isinstance(response.response, list)
            and len(response.response) == 1 and response.response[0] is page.body):
        g.compressible_page = page
    return response


def compression_key(_request) -> str:
    """Flask-Compress's COMPRESS_CACHE_KEY; the page itself is found by CompressedPages."""
    return "page"


class CompressedPages:
    """Flask-Compress's COMPRESS_CACHE_BACKEND: keeps each encoding of a cached page with the
    page; any other response is compressed as before, and kept nowhere."""

    def get(self, key: str) -> bytes | None:
        page = g.get("compressible_page")
        return page.encoded.get(key) if page is not None else None

    def set(self, key: str, value: bytes):
        page = g.get("compressible_page")
        if page is not None:
            page.encoded[key] = value


def cached_page(render: Callable[[], str], *arguments) -> Response:
    """A response with the page this request's path and `arguments` name, rendered by `render`
    at most once per content snapshot; its ETag comes along, so nothing hashes it again."""
    origin = current_app.config.get("PUBLIC_URL") or request.host_url
    key = (request.path, origin, *arguments)
    page = current_app.extensions["page_cache"].page(get_content(), key, render)
    response = current_app.response_class(page.body, mimetype="text/html")
    response.set_etag(page.etag)
    g.cached_page = page
    return response
