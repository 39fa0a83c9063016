"""What search engines read: hreflang alternates, sitemap entries, JSON-LD.

Pure functions over content objects: no Flask, no request. Paths are site-relative
("/en/returns/"); the caller turns them into absolute URLs with `base`, the public
origin ("https://help.example.com").

An article counts as questions and answers (FAQPage) when its body, after an optional
introduction without headings, is nothing but two or more questions, each followed by its
answer:

- `??? question "..."` (or `???+ question`) blocks, whose body is the answer; or
- `## ...?` / `### ...?` headings ending in a question mark, answered by everything up to
  the next heading.

The two forms may be mixed. Any heading that is not a question, or loose text between
`???` blocks or after the last one, means the page is an article with some questions in
it, not a FAQ: it gets Article markup only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from xml.sax.saxutils import escape, quoteattr

from babel.core import get_global

from .content.model import Article, Category, packed, unpack_texts

# sitemaps.org: at most 50,000 URLs (and 50 MB) per sitemap file; beyond it, an index.
SITEMAP_MAX_URLS = 50_000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
SCHEMA_ORG = "https://schema.org"

Alternates = Sequence[tuple[str, str]]  # (locale, path) of every version of one page


# --- hreflang -------------------------------------------------------------------------

def hreflang_links(alternates: Alternates, default_locale: str) -> list[tuple[str, str]]:
    """Every language version (the page itself included) plus x-default.

    x-default is the default locale's version, else the first one listed.
    """
    if not alternates:
        return []
    default = next((path for locale, path in alternates if locale == default_locale), alternates[0][1])
    return [*alternates, ("x-default", default)]


def og_locale(tag: str) -> str:
    """Open Graph wants language_TERRITORY: 'sv' -> 'sv_SE', 'en' -> 'en_US', 'pt-BR' -> 'pt_BR'."""
    if "-" in tag or "_" in tag:
        return tag.replace("-", "_")
    likely = get_global("likely_subtags").get(tag.lower(), "")  # 'sv_Latn_SE'
    territory = likely.split("_")[-1] if likely.count("_") else ""
    return f"{tag}_{territory}" if territory.isalpha() and territory.isupper() else tag


def home_alternates(content) -> list[tuple[str, str]]:
    return [(locale, f"/{locale}/") for locale in content.locales]


def category_alternates(content, category_id: str) -> list[tuple[str, str]]:
    return [(locale, f"/{locale}/{category_id}/") for locale in content.locales
            if _published(content.articles_in(locale, category_id))]


def article_alternates(content, article_id: str) -> list[tuple[str, str]]:
    return [(a.locale, a.url) for a in content.translations(article_id) if not a.draft]


def _published(articles: Iterable[Article]) -> list[Article]:
    return [a for a in articles if not a.draft]


# --- sitemap --------------------------------------------------------------------------

@dataclass(frozen=True)
class SitemapEntry:
    path: str
    lastmod: dt.date | None
    alternates: tuple[tuple[str, str], ...] = ()  # hreflang links, x-default included


def _latest(articles: Iterable[Article]) -> dt.date | None:
    dates = [a.updated for a in articles if a.updated]
    return max(dates) if dates else None


def sitemap_entries(content) -> list[SitemapEntry]:
    """Every published page a search engine should know: home, categories, articles, per locale.

    Drafts never appear, even when the server previews them; search pages never do.
    """
    default = content.default_locale
    homes = hreflang_links(home_alternates(content), default)
    entries = []
    for locale in content.locales:
        categories = content.categories(locale)
        in_locale = [a for c in categories for a in _published(content.articles_in(locale, c.id))]
        if not in_locale:
            continue
        entries.append(SitemapEntry(f"/{locale}/", _latest(in_locale), tuple(homes)))
        for category in categories:
            articles = _published(content.articles_in(locale, category.id))
            if not articles:
                continue
            links = hreflang_links(category_alternates(content, category.id), default)
            entries.append(SitemapEntry(f"/{locale}/{category.id}/", _latest(articles), tuple(links)))
            for article in articles:
                links = hreflang_links(article_alternates(content, article.id), default)
                entries.append(SitemapEntry(article.url, article.updated, tuple(links)))
    return entries


def sitemap_pages(entries: Sequence[SitemapEntry], max_urls: int = SITEMAP_MAX_URLS):
    """The entries cut into files of at most `max_urls` URLs each."""
    return [entries[start:start + max_urls] for start in range(0, len(entries), max_urls)] or [[]]


def render_urlset(entries: Iterable[SitemapEntry], base: str) -> str:
    base = base.rstrip("/")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">']
    for entry in entries:
        lines.append(f"<url><loc>{escape(base + entry.path)}</loc>")
        if entry.lastmod:
            lines.append(f"<lastmod>{entry.lastmod.isoformat()}</lastmod>")
        for hreflang, path in entry.alternates:
            lines.append(f'<xhtml:link rel="alternate" hreflang={quoteattr(hreflang)} '
                         f"href={quoteattr(base + path)}/>")
        lines.append("</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def render_sitemap_index(sitemaps: Iterable[tuple[str, dt.date | None]], base: str) -> str:
    """An index of sitemap files: (path, lastmod) each."""
    base = base.rstrip("/")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for path, lastmod in sitemaps:
        lines.append(f"<sitemap><loc>{escape(base + path)}</loc>"
                     + (f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "") + "</sitemap>")
    lines.append("</sitemapindex>")
    return "\n".join(lines) + "\n"


def latest_lastmod(entries: Iterable[SitemapEntry]) -> dt.date | None:
    dates = [e.lastmod for e in entries if e.lastmod]
    return max(dates) if dates else None


def robots_txt(locales: Iterable[str], sitemap_url: str) -> str:
    """Crawl everything but search results, the JSON API, the language switcher and admin."""
    lines = ["User-agent: *", "Allow: /", "Disallow: /api/", "Disallow: /language/", "Disallow: /admin/"]
    for locale in locales:
        # '$' and '?' so a category whose id starts with "search" stays crawlable.
        lines += [f"Disallow: /{locale}/search$", f"Disallow: /{locale}/search?"]
    return "\n".join([*lines, "", f"Sitemap: {sitemap_url}", ""])


# --- questions and answers ------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_QUESTION_HEADINGS = {"h2", "h3"}
_BLOCKS = _HEADINGS | {"p", "li", "dt", "dd", "tr", "div", "summary", "details", "blockquote", "pre",
                       "table", "ul", "ol", "dl"}


@dataclass
class _Node:
    tag: str
    attrs: dict
    children: list

    def text(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            else:
                inner = child.text()
                parts.append(f" {inner} " if child.tag in _BLOCKS or child.tag == "br" else inner)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _TreeBuilder(HTMLParser):
    """Sanitized article HTML (well-formed, from nh3) as a small tree."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {}, [])
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs), [])
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def faq_from_html(html: str) -> tuple[tuple[str, str], ...]:
    """(question, answer text) pairs when the article is a Q&A list (see the module doc), else ()."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    blocks = [c for c in builder.root.children if isinstance(c, _Node) or c.strip()]
    pairs: list[list] = []
    open_answer: list | None = None  # the answer a question heading is collecting
    for block in blocks:
        if isinstance(block, str):
            text = block.strip()
            if open_answer is not None:
                open_answer.append(text)
            elif pairs:
                return ()
            continue
        if block.tag == "details" and "question" in block.classes:
            summary = next((c for c in block.children if isinstance(c, _Node) and c.tag == "summary"), None)
            if summary is None:
                return ()
            answer = _Node("div", {}, [c for c in block.children if c is not summary])
            pairs.append([summary.text(), [answer.text()]])
            open_answer = None
        elif block.tag in _QUESTION_HEADINGS and block.text().endswith(("?", "？")):
            open_answer = []
            pairs.append([block.text(), open_answer])
        elif block.tag in _HEADINGS:
            return ()  # a section that is not a question: an article, not a FAQ
        elif open_answer is not None:
            open_answer.append(block.text())
        elif pairs:
            return ()
    result = tuple((question, " ".join(p for p in answer if p).strip()) for question, answer in pairs)
    if len(result) < 2 or not all(question and answer for question, answer in result):
        return ()
    return result


def faq_pairs(article: Article) -> tuple[tuple[str, str], ...]:
    """The article's questions and answers, read from its HTML."""
    return _faq_of_packed(packed(article))


# Parsing an article's HTML was a fifth of an article page's time: an article's HTML never
# changes within a content snapshot, so each is parsed once (docs/operations.md). The key is the
# article's packed texts, which the article keeps anyway: the cache holds no copy of the page.
@lru_cache(maxsize=8192)
def _faq_of_packed(texts: bytes) -> tuple[tuple[str, str], ...]:
    return faq_from_html(unpack_texts(texts)[1])


# --- JSON-LD --------------------------------------------------------------------------

def breadcrumb_list(crumbs: Sequence[tuple[str, str]]) -> dict:
    """BreadcrumbList from (name, absolute URL) pairs, home first."""
    return {
        "@context": SCHEMA_ORG,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": number, "name": name, "item": url}
            for number, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def article_data(article: Article, url: str, site_name: str, home_url: str,
                 category: Category | None = None) -> dict:
    """Article: what the page is, in which language, by whom, changed when."""
    organization = {"@type": "Organization", "name": site_name, "url": home_url}
    data = {
        "@context": SCHEMA_ORG,
        "@type": "Article",
        "headline": article.title,
        "description": article.description,
        "inLanguage": article.locale,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "author": organization,
        "publisher": organization,
        "isPartOf": {"@type": "WebSite", "name": site_name, "url": home_url},
    }
    if article.updated:
        data["dateModified"] = article.updated.isoformat()
    if category is not None:
        data["articleSection"] = category.title
    if article.tags:
        data["keywords"] = ", ".join(article.tags)
    return data


def faq_page(pairs: Sequence[tuple[str, str]], url: str, locale: str) -> dict:
    return {
        "@context": SCHEMA_ORG,
        "@type": "FAQPage",
        "url": url,
        "inLanguage": locale,
        "mainEntity": [
            {"@type": "Question", "name": question,
             "acceptedAnswer": {"@type": "Answer", "text": answer}}
            for question, answer in pairs
        ],
    }


def website_data(site_name: str, home_url: str, locale: str, search_url: str) -> dict:
    """WebSite for a home page, with the search as its SearchAction."""
    return {
        "@context": SCHEMA_ORG,
        "@type": "WebSite",
        "name": site_name,
        "url": home_url,
        "inLanguage": locale,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": f"{search_url}?q={{search_term_string}}"},
            "query-input": "required name=search_term_string",
        },
    }
