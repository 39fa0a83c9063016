"""The search page, as-you-type suggestions and the public JSON API."""

from __future__ import annotations

import json
import math
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from flask_babel import force_locale, gettext
from markupsafe import escape

from ..analytics import record
from ..content import get_content
from ..i18n import LOCALES, language_name, localized_blueprint
from ..page_cache import cached_page
from ..params import clean_text, positive_int
from ..search import SearchUnavailable, get_search
from .seo import public_base

bp = localized_blueprint("search", __name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")

PER_PAGE = 10
MAX_QUERY_LENGTH = 500
MAX_API_LIMIT = 50
OPENAPI = json.loads((Path(__file__).parent / "openapi.json").read_text("utf-8"))


def _other_language_notice(results, site_locale):
    """'The answers are in Swedish', in the language the question was typed in when we speak it."""
    detected = getattr(results, "detected_language", None)
    if not getattr(results, "other_language", False):
        return None
    if detected not in LOCALES:  # a language we have no translation for: the page's own language
        detected = g.locale
    with force_locale(detected):
        return {"lang": detected, "text": gettext(
            "You asked in %(asked)s; these answers are in %(language)s.",
            asked=language_name(detected, detected), language=language_name(site_locale, detected))}


def _recommended_channel(entries):
    """The best channel for the topic of the best guess (the contact page's recommendation)."""
    if not entries or "contact.page" not in current_app.view_functions:
        return None
    from ..handoff.views import recommendation_for_article

    return recommendation_for_article(entries[0][1].id)


def _entries(results, locale):
    """Hits joined with their articles; a hit whose article vanished in a reload is dropped."""
    content = get_content()
    pairs = ((hit, content.article_by_id(locale, hit.article_id)) for hit in results.hits)
    return [(hit, article) for hit, article in pairs if article is not None]


@bp.route("/search")
def page():
    """The results are cached (portal/search) and so is the page made of them, per question and
    index generation (portal/page_cache.py); the search event is recorded every time."""
    content = get_content()
    generation = get_search().generation()  # before searching: a swap meanwhile changes the key
    text = clean_text(request.args.get("q"))
    query = text.strip()[:MAX_QUERY_LENGTH]
    category = request.args.get("category") or None
    if category and content.category(g.locale, category) is None:
        category = None
    page_number = positive_int(request.args.get("page"), 1)
    context = dict(text=text, query=query, category=category, page_number=page_number,
                   results=None, entries=[], fallback=None, fallback_entries=[], elsewhere_entries=[],
                   pages=0, categories={c.id: c for c in content.categories(g.locale)},
                   unsure=False, channel=None, language_notice=None)
    status = 200
    if query:
        try:
            results = get_search().query(g.locale, query, category=category, limit=PER_PAGE,
                                         offset=(page_number - 1) * PER_PAGE)
            context.update(results=results, entries=_entries(results, g.locale),
                           pages=math.ceil(results.total / PER_PAGE))
            # Search by meaning always finds something: below the confidence threshold we say so.
            unsure = getattr(results, "confident", None) is False and page_number == 1
            context.update(unsure=unsure, language_notice=_other_language_notice(results, g.locale))
            if unsure:
                context["channel"] = _recommended_channel(context["entries"])
            if page_number == 1:
                record("search", query=query, result_count=results.total, category=category,
                       reason="not_confident" if unsure else None)
            if results.total == 0 and g.locale != content.default_locale:
                fallback = get_search().query(content.default_locale, query, limit=5)
                context.update(fallback=fallback,
                               fallback_entries=_entries(fallback, content.default_locale))
            if page_number == 1:
                shown = {article.id for _hit, article in context["fallback_entries"]}
                context["elsewhere_entries"] = [
                    (hit, article) for hit, article in _found_only_elsewhere(content, query, category)
                    if article.id not in shown]
        except SearchUnavailable:
            context["unavailable"] = True
            status = 503
    context["language_links"] = _search_in_other_languages(content, text, category)
    if status != 200:
        return render_template("search.html", **context), status, {"X-Robots-Tag": "noindex"}
    response = cached_page(lambda: render_template("search.html", **context),
                           text, category, page_number, generation)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _found_only_elsewhere(content, query, category, limit=5):
    """Matches among the articles that have no version in the visitor's language: searched in
    the language they are written in, so the visitor finds them too (labelled by the page)."""
    by_locale = {}
    for article in content.only_elsewhere(g.locale, category):
        by_locale.setdefault(article.locale, set()).add(article.id)
    found = []
    for locale, ids in by_locale.items():
        results = get_search().query(locale, query, category=category, limit=limit * 4)
        found += [(hit, article) for hit, article in _entries(results, locale) if article.id in ids]
    return sorted(found, key=lambda pair: -pair[0].score)[:limit]


def _search_in_other_languages(content, text, category):
    """The language switch keeps the search: the same words (and category, where it exists)."""
    return {locale: url_for("search.page", locale=locale, q=text or None,
                            category=category if category and content.category(locale, category) else None)
            for locale in content.locales}


@api.route("/search")
def search_api():
    content = get_content()
    args = request.args
    query = args.get("q", "").strip()  # stored nowhere: the engine takes any text
    locale = args.get("locale") or content.default_locale
    category = args.get("category") or None
    problems = []
    if not query:
        problems.append("'q' is required: the words to search for")
    elif len(query) > MAX_QUERY_LENGTH:
        problems.append(f"'q' is longer than {MAX_QUERY_LENGTH} characters")
    if locale not in content.locales:
        problems.append(f"'locale' must be one of: {', '.join(content.locales)}")
    limit = args.get("limit", "10")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_API_LIMIT:
        problems.append(f"'limit' must be a whole number from 1 to {MAX_API_LIMIT}")
    if category and locale in content.locales and content.category(locale, category) is None:
        problems.append(f"'category' {category!r} does not exist in locale {locale!r}")
    if problems:
        return jsonify(error="; ".join(problems)), 400
    try:
        results = get_search().query(locale, query, category=category, limit=int(limit))
    except SearchUnavailable as error:
        return jsonify(error=f"search is unavailable: {error}"), 503
    return jsonify(
        query=query,
        locale=locale,
        total=results.total,
        suggestion=results.suggestion,
        # Search by meaning (docs/search.md): null when it is off or unavailable.
        confident=getattr(results, "confident", None),
        detected_language=getattr(results, "detected_language", None),
        ranking="hybrid" if getattr(results, "semantic", False) else "lexical",
        results=[{
            "id": article.id,
            "title": article.title,
            "url": public_base() + article.url,
            "snippet": hit.snippet or str(escape(article.description)),
            "score": hit.score,
            "category": article.category,
            "confidence": getattr(hit, "confidence", None),
        } for hit, article in _entries(results, locale)],
    )


@api.route("/suggest")
def suggest_api():
    """As-you-type suggestions for the search box's combobox."""
    content = get_content()
    locale = request.args.get("locale") or content.default_locale
    text = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    if locale not in content.locales:
        return jsonify(error=f"'locale' must be one of: {', '.join(content.locales)}"), 400
    if len(text.strip()) < 2:
        return jsonify(query=text, results=[])
    try:
        hits = get_search().suggest(locale, text)
    except SearchUnavailable:
        return jsonify(query=text, results=[], error=gettext("Search is unavailable right now.")), 503
    articles = (content.article_by_id(locale, hit.article_id) for hit in hits)
    return jsonify(query=text, results=[
        {"id": a.id, "title": a.title, "url": a.url, "category": a.category}
        for a in articles if a is not None])


@api.route("/openapi.json")
def openapi():
    return jsonify(OPENAPI)
