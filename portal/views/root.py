"""Routes outside the locale prefix: the entry redirect, language choice, media files."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request, send_from_directory

from ..content import get_content
from ..content.model import MEDIA_SUFFIXES
from ..i18n import LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE, negotiate_locale

bp = Blueprint("root", __name__)



@bp.route("/")
def index():
    content = get_content()
    response = redirect(f"/{negotiate_locale(content.locales, content.default_locale)}/", code=302)
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.route("/language/<locale>", methods=["GET", "POST"])
def choose_language(locale):
    """An explicit language choice: remembered in a cookie, then back to the page asked for.

    A POST (the contact page's language buttons submit its form here) goes on with 307, so the
    text the visitor typed travels along in the body and nothing typed is lost."""
    content = get_content()
    if locale not in content.locales:
        abort(404)
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith(f"/{locale}/") or target.startswith("//")
            or any(ord(character) < 32 for character in target)):  # no header injection, no 500
        target = f"/{locale}/"
    response = redirect(target, code=307 if request.method == "POST" else 303)
    response.set_cookie(LOCALE_COOKIE, locale, max_age=LOCALE_COOKIE_MAX_AGE, samesite="Lax",
                        httponly=True, secure=request.is_secure)
    return response


@bp.route("/media/<path:path>")
def media(path):
    """Images that articles embed, served from the content folder."""
    if "." + path.rsplit(".", 1)[-1].lower() not in MEDIA_SUFFIXES:
        abort(404)
    return send_from_directory(current_app.config["CONTENT_DIR"], path, max_age=86400)
