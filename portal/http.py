"""HTTP around every response: compression, cache validators, security headers, secure cookies.

HTTPS mode (HSTS, Secure `__Host-` session cookie, https URLs) is on when PORTAL_HTTPS=1,
off when PORTAL_HTTPS=0, and otherwise on exactly when the app is neither in debug nor in
testing mode: a production deployment (which cannot start without PORTAL_SECRET_KEY). In HTTPS mode every
request is treated as HTTPS, because visitors only ever reach the app through HTTPS (a
TLS-terminating proxy in front of it included).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import compress
from .page_cache import CompressedPages, compression_key

# No inline script or style anywhere; JSON-LD blocks are data, not script, so CSP allows them.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'none'",  # no web fonts, by design
    "connect-src 'self'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=63072000; includeSubDomains"
STATIC_IMMUTABLE_SECONDS = 365 * 24 * 3600
PAGE_MAX_AGE = 300  # five minutes: a fixed article reaches readers quickly, ETags make re-checks cheap

_snapshot_seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def init_app(app: Flask):
    """Call before the other init_apps: after_request hooks run last-registered first, so these
    see the response after every other hook has set its cookies and headers."""
    https = https_mode(app)
    app.config["HTTPS"] = https
    app.config.setdefault("CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
    if https:
        app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-session",
                          SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None,
                          PREFERRED_URL_SCHEME="https")
        app.wsgi_app = _ForceHTTPS(app.wsgi_app)
    if app.config.get("PROXY_HOPS"):
        # Behind nginx or a CDN: the visitor's address (for the per-network contact limit) and
        # scheme come from the X-Forwarded-* headers the trusted proxies set (docs/deploy.md).
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.session_interface = PrivateWhenUsedSessionInterface()
    app.after_request(add_security_headers)
    # Streamed bodies are left alone (a 206 range must not be compressed); whole files are read
    # into memory first by add_cache_headers, so CSS, JS and SVG are compressed all the same.
    app.config.setdefault("COMPRESS_STREAMS", False)
    # A cached page (portal/page_cache.py) is compressed once per encoding, not per request.
    app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedPages)
    app.config.setdefault("COMPRESS_CACHE_KEY", compression_key)
    # Compresses after the validators below are set (and keeps ETags apart per encoding).
    compress.init_app(app)
    app.after_request(add_cache_headers)


def https_mode(app: Flask) -> bool:
    setting = app.config.get("HTTPS")
    if setting is not None:
        return bool(setting)
    return not (app.debug or app.testing)


class _ForceHTTPS:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ["wsgi.url_scheme"] = "https"
        return self.wsgi_app(environ, start_response)


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if current_app.config.get("HTTPS") or request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _snapshot_time(content) -> dt.datetime:
    """When this process started serving this content snapshot: no page of it changed since."""
    if content not in _snapshot_seen:
        _snapshot_seen[content] = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return _snapshot_seen[content]


def add_cache_headers(response):
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.direct_passthrough and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]:
        response.direct_passthrough = False
        response.get_data()  # a small text file: buffered, and its file closed with the response
    if request.endpoint == "static":
        version = request.args.get("v")
        if version and version == _static_version(request.view_args.get("filename", "")):
            # The URL names the content (static_url() adds ?v=hash): it can never change.
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_IMMUTABLE_SECONDS
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
    if (request.blueprint or "") != "pages" or response.is_streamed:
        return response
    response.add_etag()
    response.last_modified = _snapshot_time(current_app.extensions["content"])
    if response.headers.getlist("Set-Cookie"):
        make_private(response)
    else:
        response.cache_control.public = True
        response.cache_control.max_age = PAGE_MAX_AGE
    return response.make_conditional(request)


def make_private(response):
    """Per-visitor responses (cookies, session) must never be stored by a shared cache."""
    response.cache_control.public = False
    response.cache_control.max_age = None
    response.cache_control.private = True
    response.cache_control.no_cache = True


class PrivateWhenUsedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, which also turns a page that read the session private.

    Checked here, where the session object itself is at hand: in Flask 3.1 merely looking at
    `flask.session` from an after_request hook would mark it accessed.
    """

    def save_session(self, app, session, response):
        super().save_session(app, session, response)
        if session.accessed and response.cache_control.public:
            make_private(response)


@lru_cache(maxsize=64)
def file_version(path: str) -> str:
    """A short hash of a static file's bytes: its URL's `v=` and its cache validator."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _static_version(filename: str) -> str | None:
    folder = Path(str(current_app.static_folder))
    path = (folder / filename).resolve()
    if not path.is_file() or folder.resolve() not in path.parents:
        return None
    return file_version(str(path))
