"""Pages under /<locale>/: home, category, article.

Each is rendered once per content snapshot and locale (portal/page_cache.py); the events of
an article view are recorded on every request all the same.
"""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from .. import seo
from ..analytics import record
from ..content import get_content
from ..i18n import localized_blueprint
from ..page_cache import cached_page
from ..params import positive_int
from .feedback import feedback_state

bp = localized_blueprint("pages", __name__)


@bp.route("/")
def home():
    content = get_content()
    return cached_page(lambda: render_template(
        "home.html", alternates=seo.home_alternates(content),
        sections=[(c, content.articles_in(g.locale, c.id)) for c in content.categories(g.locale)]))


@bp.route("/<category>/")
def category(category):
    content = get_content()
    found = content.category(g.locale, category)
    articles = content.articles_in(g.locale, category)
    if found is None or not articles:
        abort(404)
    return cached_page(lambda: render_template(
        "category.html", category=found, articles=articles,
        elsewhere=content.only_elsewhere(g.locale, category),
        alternates=seo.category_alternates(content, category),
        language_links={locale: url_for("pages.category", locale=locale, category=category)
                        for locale in content.locales if content.articles_in(locale, category)}))


@bp.route("/<category>/<slug>")
def article(category, slug):
    content = get_content()
    found = content.article(g.locale, category, slug)
    if found is None:
        # The article id always works, in any locale: /sv/returns/return-an-item.
        by_id = content.article_by_id(g.locale, f"{category}/{slug}")
        if by_id is not None:
            return redirect(by_id.url, code=301)
        elsewhere = content.find_elsewhere(g.locale, category, slug)
        if elsewhere:
            return render_template("not_translated.html", versions=elsewhere,
                                   language_links={a.locale: a.url for a in elsewhere},
                                   category=content.category(g.locale, category))
        abort(404)
    record("view", article_id=found.id, category=found.category)
    if request.args.get("from") == "search":
        record("click", article_id=found.id, category=found.category,
               position=positive_int(request.args.get("position")))
    elif request.args.get("from") == "contact":
        record("contact_suggestion_click", article_id=found.id, category=found.category)
    feedback = feedback_state(found)
    return cached_page(lambda: _render_article(content, found, feedback), feedback["step"])


def _render_article(content, found, feedback):
    translations = content.translations(found.id)
    return render_template(
        "article.html",
        article=found,
        category=content.category(g.locale, found.category),
        related=[a for a in content.articles_in(g.locale, found.category) if a.id != found.id][:5],
        translations=translations,
        alternates=seo.article_alternates(content, found.id),
        language_links={a.locale: a.url for a in translations},
        source=content.source_of(found) if content.is_outdated(found) else None,
        feedback=feedback,
    )
