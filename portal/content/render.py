"""The one Markdown configuration and the sanitizer that runs after it."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

MARKDOWN_EXTENSIONS = [
    "attr_list",  # explicit heading ids: ## Title {#my-id}
    "tables",
    "admonition",
    "def_list",
    "fenced_code",
    "sane_lists",
    "toc",
    "pymdownx.details",
    "pymdownx.tilde",
]
EXTENSION_CONFIGS = {"toc": {"permalink": False}}

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"details", "summary", "figure", "figcaption", "mark"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "width", "height", "title", "loading"},
    "details": {"open"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start", "type"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

LinkResolver = Callable[[str, str], str | None]  # (attribute, url) -> new url, or None to keep


class _LinkRewriter(Treeprocessor):
    """Rewrites links with the resolver of the article being rendered; none: leaves them."""

    resolve: LinkResolver | None = None

    def run(self, root):
        if self.resolve is None:
            return
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            if attribute and element.get(attribute):
                new = self.resolve(attribute, element.get(attribute))
                if new is not None:
                    element.set(attribute, new)
            if element.tag == "img":
                element.set("loading", "lazy")


class _LinkRewriterExtension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_LinkRewriter(md), "portal_links", 1)


_per_thread = threading.local()


def _markdown() -> markdown.Markdown:
    """One Markdown object per thread, reset between articles: building one with its
    extensions took a fifth of the time of rendering an article."""
    md = getattr(_per_thread, "markdown", None)
    if md is None:
        md = _per_thread.markdown = markdown.Markdown(
            extensions=[*MARKDOWN_EXTENSIONS, _LinkRewriterExtension()], extension_configs=EXTENSION_CONFIGS)
    return md


def render_markdown(text: str, resolve_link: LinkResolver | None = None) -> str:
    """Markdown to safe HTML: rendering first, then nh3, so raw HTML is cleaned too."""
    md = _markdown()
    md.treeprocessors["portal_links"].resolve = resolve_link
    try:
        rendered = md.reset().convert(text)
    finally:
        md.treeprocessors["portal_links"].resolve = None
    return sanitize(rendered)


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


_TAG = re.compile(r"</?[A-Za-z][^>]*>")
# Editors' notes: never published, so never in descriptions, snippets or the index either.
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# Raw HTML whose content the sanitiser drops entirely: its text is not the article's.
_DROPPED_BLOCK = re.compile(
    r"<(script|style|template|textarea|iframe|object|noscript|select)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_AUTOLINK = re.compile(r"<((?:https?|mailto|tel):[^>\s]+)>")
_MARKUP = re.compile(
    r"(!?\[([^\]]*)\]\([^)]*\))"  # links and images: keep the text
    r"|^\s*(!!!|\?\?\?\+?)\s*\w+"  # admonition and details markers: keep the title
    r"|^\s*([-+*]|\d+\.)\s+"  # list markers
    r"|^\s*\|?[\s:|-]+\|[\s:|-]*$"  # table rule lines
    r"|\{[#.][^}]*\}"  # attribute lists
    r"|[#*_`>|~\"]+",
    re.M,
)


def strip_comments(markdown_text: str) -> str:
    """Markdown without HTML comments (an unclosed one runs to the end, as in a browser)."""
    return _COMMENT.sub("", markdown_text)


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to readable words, for snippets, descriptions and the index.

    Comments and raw HTML go first: `>` is also Markdown (a quote), so once markup characters
    are removed a tag or comment can no longer be recognised."""
    text = _DROPPED_BLOCK.sub(" ", strip_comments(markdown_text))
    text = _TAG.sub(" ", _AUTOLINK.sub(r"\1", text))
    text = _MARKUP.sub(lambda m: m.group(2) or " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def first_sentences(text: str, limit: int = 160) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if stop > limit // 2:
        return cut[: stop + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…"
