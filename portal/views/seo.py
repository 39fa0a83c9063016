"""/robots.txt, /sitemap.xml, and the head tags templates ask for (hreflang, JSON-LD)."""

from __future__ import annotations

import functools
import json

from flask import Blueprint, Flask, abort, current_app, g, request, url_for
from flask_babel import gettext
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from .. import seo
from ..content import get_content

bp = Blueprint("seo", __name__)

SITEMAP_CACHE = "public, max-age=3600"
_dumps = functools.partial(json.dumps, ensure_ascii=False)


def init_app(app: Flask):
    app.register_blueprint(bp)
    app.jinja_env.filters["og_locale"] = seo.og_locale
    app.jinja_env.globals.update(hreflang_links=hreflang_links, json_ld=json_ld,
                                 article_json_ld=article_json_ld, category_json_ld=category_json_ld,
                                 home_json_ld=home_json_ld)


def public_base() -> str:
    """The origin canonical URLs, hreflang and sitemaps use: PUBLIC_URL, else this request's."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def _max_urls() -> int:
    return int(current_app.config.get("SITEMAP_MAX_URLS") or seo.SITEMAP_MAX_URLS)


def _xml(body: str):
    return body, 200, {"Content-Type": "application/xml; charset=utf-8", "Cache-Control": SITEMAP_CACHE}


@bp.route("/robots.txt")
def robots():
    text = seo.robots_txt(get_content().locales, public_base() + url_for("seo.sitemap"))
    return text, 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": SITEMAP_CACHE}


@bp.route("/sitemap.xml")
def sitemap():
    """One sitemap while it fits in one file; past 50,000 URLs an index of numbered files."""
    pages = seo.sitemap_pages(seo.sitemap_entries(get_content()), _max_urls())
    if len(pages) == 1:
        return _xml(seo.render_urlset(pages[0], public_base()))
    index = [(url_for("seo.sitemap_page", number=n), seo.latest_lastmod(page))
             for n, page in enumerate(pages, start=1)]
    return _xml(seo.render_sitemap_index(index, public_base()))


@bp.route("/sitemap-<int:number>.xml")
def sitemap_page(number):
    pages = seo.sitemap_pages(seo.sitemap_entries(get_content()), _max_urls())
    if len(pages) == 1 or not 1 <= number <= len(pages):
        abort(404)
    return _xml(seo.render_urlset(pages[number - 1], public_base()))


# --- for templates --------------------------------------------------------------------

def hreflang_links(alternates):
    """(hreflang, absolute URL) for every version of this page, and x-default."""
    base = public_base()
    links = seo.hreflang_links(alternates or (), get_content().default_locale)
    return [(tag, base + path) for tag, path in links]


def json_ld(*blocks) -> Markup:
    """<script type="application/ld+json"> blocks; the JSON is escaped for HTML (no '</script>')."""
    return Markup("\n").join(
        Markup('<script type="application/ld+json">{}</script>').format(htmlsafe_json_dumps(b, dumps=_dumps))
        for b in blocks if b)


def _crumbs(*pairs):
    base = public_base()
    home = (gettext("Help centre"), base + url_for("pages.home", locale=g.locale))
    return seo.breadcrumb_list([home, *((name, base + path) for name, path in pairs)])


def article_json_ld(article, category) -> Markup:
    base = public_base()
    site = get_content().site
    url = base + article.url
    home = base + url_for("pages.home", locale=article.locale)
    crumbs = [(category.title, category.url)] if category else []
    pairs = seo.faq_pairs(article)
    return json_ld(
        seo.article_data(article, url, site.name_in(article.locale), home, category),
        _crumbs(*crumbs, (article.title, article.url)),
        seo.faq_page(pairs, url, article.locale) if pairs else None,
    )


def category_json_ld(category) -> Markup:
    return json_ld(_crumbs((category.title, category.url)))


def home_json_ld() -> Markup:
    base = public_base()
    return json_ld(seo.website_data(get_content().site.name_in(g.locale), base + url_for("pages.home"),
                                    g.locale, base + url_for("search.page")))
