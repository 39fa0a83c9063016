"""The editors' translation status page, /admin/translations: the same figures as `flask i18n status`.

A view of the admin package, so the admin area's login check covers it (admin/__init__.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template

from ..content import get_content
from ..content.freshness import MISSING, OUTDATED, UNKNOWN, TranslationError, source_diff
from ..i18n import LOCALES, negotiate_locale
from ..i18n.status import catalog_folder, translation_status

bp = Blueprint("admin_translations", __name__, url_prefix="/admin/translations")


@bp.before_request
def admin_locale():
    g.locale = negotiate_locale(LOCALES, "en")


@bp.route("/")
def index():
    status = translation_status(current_app.config["CONTENT_DIR"], catalog_folder(current_app.config))
    return render_template("admin/translations.html", status=status, content=get_content(),
                           lists=((OUTDATED, UNKNOWN, MISSING)))


@bp.route("/<locale>/<path:article_id>")
def diff(locale, article_id):
    content = get_content()
    if locale not in content.locales or locale == content.default_locale:
        abort(404)
    try:
        found = source_diff(current_app.config["CONTENT_DIR"], locale, article_id)
        error = None
    except TranslationError as problem:
        found, error = None, str(problem)
    return render_template("admin/translation_diff.html", locale=locale, article_id=article_id,
                           diff=found, error=error,
                           source=content.article_by_id(content.default_locale, article_id),
                           translation=content.article_by_id(locale, article_id))
