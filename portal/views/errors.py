"""Error pages in the visitor's language; old article URLs answer 301 before any 404."""

from __future__ import annotations

from flask import Flask, g, jsonify, redirect, render_template, request

from ..content import get_content
from ..i18n import negotiate_locale


def init_app(app: Flask):
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, method_not_allowed)


def _error_locale():
    content = get_content()
    prefix = request.path.strip("/").split("/", 1)[0]
    if prefix in content.locales:
        return prefix
    return negotiate_locale(content.locales, content.default_locale)


def not_found(error):
    if request.path.startswith("/api/"):
        return jsonify(error="no such API endpoint"), 404
    moved = get_content().redirect_for(request.path)
    if moved is not None:
        return redirect(moved.url, code=301)
    g.locale = _error_locale()
    return render_template("errors/404.html"), 404


def method_not_allowed(error):
    g.locale = _error_locale()
    return render_template("errors/405.html"), 405
