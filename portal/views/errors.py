"""Error pages in the visitor's language, and 301s for article URLs that moved."""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, redirect, render_template, request

from ..content import get_content
from ..i18n import negotiate_locale


def init_app(app: Flask):
    app.before_request(redirect_moved_article)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, method_not_allowed)
    app.register_error_handler(413, body_too_large)  # the limit is MAX_CONTENT_LENGTH (portal/security.py)


def error_locale():
    content = get_content()
    prefix = request.path.strip("/").split("/", 1)[0]
    if prefix in content.locales:
        return prefix
    return negotiate_locale(content.locales, content.default_locale)


def redirect_moved_article():
    """Old URLs listed in `redirect_from` answer 301, before routing can claim them."""
    moved = get_content().redirect_for(request.path)
    if moved is not None:
        return redirect(moved.url, code=301)
    return None


def not_found(error):
    if request.path.startswith("/api/"):
        return jsonify(error="no such API endpoint"), 404
    g.locale = error_locale()
    return render_template("errors/404.html"), 404


def method_not_allowed(error):
    g.locale = error_locale()
    return render_template("errors/405.html"), 405


def body_too_large(error):
    g.locale = error_locale()
    limit_kb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024
    return render_template("errors/413.html", limit_kb=limit_kb), 413
