"""The Flask extensions every feature shares, created once here and bound in `create_app`.

Features import them from here (microblog's pattern), never from one another: the contact form
and the editors' area share `csrf`, votes, the contact form and the sign-in share the limiter.
`babel` is bound by `i18n.init_app` (it needs the locale selector) and `compress` by
`http.init_app` (its response hook must be registered first, so it runs last). Compress keeps
its settings on the object; every app of a process has the same ones (http.py sets them).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

from .ratelimit import network_key

babel = Babel()
compress = Compress()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    # CSRF is checked where a form changes something on someone's behalf (the editors' area and
    # the contact form), not on anonymous "was this helpful?" votes of cacheable pages.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # Flask-WTF's HTTPS check refuses any POST without a Referer, which some browsers, extensions
    # and proxies leave out; security.protect_form() checks Origin or Referer when sent, and the token always.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    csrf.init_app(app)
    app.extensions["rate_limiter"] = _make_limiter(app)


def _make_limiter(app: Flask) -> Limiter:
    """One limiter per app: Flask-Limiter keeps its storage on the Limiter object, and each app
    (each test's, too) has its own REDIS_URL and key prefix."""
    # An unreachable Redis host must cost a request half a second, not a TCP timeout (redis-py
    # takes float seconds; Flask-Limiter's annotation says str | int).
    storage_options: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    limiter = Limiter(
        key_func=network_key,
        storage_uri=app.config.get("REDIS_URL") or "memory://",
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or app.config.get("REDIS_KEY_PREFIX", "portal"),
        strategy="moving-window",
        in_memory_fallback_enabled=True,  # Redis down: per-process limits, and a log line
        swallow_errors=True,  # a storage error in a concurrent request: no limit rather than a 500
        storage_options=storage_options,
        headers_enabled=False,
    )
    limiter.init_app(app)
    return limiter

