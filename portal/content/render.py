"""The one Markdown configuration and the sanitizer that runs after it."""

from __future__ import annotations

import html
import re
import threading
import unicodedata
import xml.etree.ElementTree as etree
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
# Letters that Unicode does not decompose into a base letter plus accents, written out as
# their languages do in plain ASCII, so heading anchors keep every letter: "złożyć" -> "zlozyc".
TRANSLITERATION = {
    "ł": "l", "Ł": "L", "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "ø": "oe", "Ø": "OE",
    "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH",
    "ı": "i", "ŀ": "l", "Ŀ": "L",
}
# Where a language writes a letter out differently from the accent-stripped default.
TRANSLITERATION_BY_LANGUAGE = {
    "da": {"å": "aa", "Å": "AA"},
    "nb": {"å": "aa", "Å": "AA"},
    "nn": {"å": "aa", "Å": "AA"},
    "no": {"å": "aa", "Å": "AA"},
    "de": {"ä": "ae", "Ä": "AE", "ö": "oe", "Ö": "OE", "ü": "ue", "Ü": "UE"},
}


def slugify(text: str, separator: str = "-", locale: str | None = None) -> str:
    """A readable ASCII anchor for a heading in `locale`:
    'Jak złożyć reklamację?' -> 'jak-zlozyc-reklamacje'."""
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    table = {**TRANSLITERATION, **TRANSLITERATION_BY_LANGUAGE.get(language, {})}
    text = "".join(table.get(char, char) for char in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(rf"[{re.escape(separator)}\s]+", separator, text).strip(separator)


def _slugify_for_article(text: str, separator: str) -> str:
    return slugify(text, separator, getattr(_per_thread, "locale", None))


EXTENSION_CONFIGS = {"toc": {"permalink": False, "slugify": _slugify_for_article}}

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"details", "summary", "figure", "figcaption", "mark"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "title", "lang", "dir"},
    "div": {"tabindex", "role", "aria-label"},
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

    def run(self, root: etree.Element) -> None:
        if self.resolve is None:
            return
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            url = element.get(attribute) if attribute else None
            if attribute and url:
                new = self.resolve(attribute, url)
                if new is not None:
                    element.set(attribute, new)
            if element.tag == "img":
                element.set("loading", "lazy")


class _TableWrapper(Treeprocessor):
    """A wide table scrolls inside its own box on a phone: a named region that keyboard users
    can reach and scroll (WCAG scrollable-region-focusable), never the table itself."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag != "table":
                    continue
                wrapper = etree.Element("div", {"class": "table-scroll", "tabindex": "0", "role": "region",
                                                "aria-label": _table_label(child)})
                parent.remove(child)
                wrapper.append(child)
                parent.insert(index, wrapper)


def _table_label(table: etree.Element) -> str:
    """The table's column headings, which say what it holds in the article's own language."""
    headings = ["".join(cell.itertext()).strip() for cell in table.iter("th")]
    return ", ".join(h for h in headings if h)[:200] or "Table"


class _LinkRewriterExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinkRewriter(md), "portal_links", 1)
        md.treeprocessors.register(_TableWrapper(md), "portal_tables", 0)


_per_thread = threading.local()


def _markdown() -> markdown.Markdown:
    """One Markdown object per thread, reset between articles: building one with its
    extensions took a fifth of the time of rendering an article."""
    md = getattr(_per_thread, "markdown", None)
    if md is None:
        md = _per_thread.markdown = markdown.Markdown(
            extensions=[*MARKDOWN_EXTENSIONS, _LinkRewriterExtension()], extension_configs=EXTENSION_CONFIGS)
    return md


def render_markdown(text: str, resolve_link: LinkResolver | None = None, locale: str | None = None) -> str:
    """Markdown to safe HTML: rendering first, then nh3, so raw HTML is cleaned too.
    `locale` is the article's language, for heading anchors (`slugify`)."""
    md = _markdown()
    md.treeprocessors["portal_links"].resolve = resolve_link
    _per_thread.locale = locale
    try:
        rendered = md.reset().convert(text)
    finally:
        md.treeprocessors["portal_links"].resolve = None
        _per_thread.locale = None
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
_ADMONITION = r"^\s*(?:!!!|\?\?\?\+?)\s*\w+"  # an admonition or details marker and its type
_TABLE_RULE = r"^\s*\|?[\s:|-]+\|[\s:|-]*$"  # the |---|---| line under a table's header
_MARKUP = re.compile(
    r"(!?\[([^\]]*)\]\([^)]*\))"  # links and images: keep the text
    rf"|{_ADMONITION}"  # keep the title
    r"|^\s*([-+*]|\d+\.)\s+"  # list markers
    rf"|{_TABLE_RULE}"
    r"|\{[#.][^}]*\}"  # attribute lists
    r"|[#*_`>|~\"]+",
    re.M,
)


def strip_comments(markdown_text: str) -> str:
    """Markdown without HTML comments (an unclosed one runs to the end, as in a browser)."""
    return _COMMENT.sub("", markdown_text)


_HEADING_LINE = re.compile(r"^( {0,3}#{1,6}\s+.*?)[\s#]*$")
_ADMONITION_LINE = re.compile(_ADMONITION)
_TABLE_ROW = re.compile(r"^\s*\|(.*?)\|?\s*$")
_TABLE_RULE_LINE = re.compile(_TABLE_RULE)
_LIST_ITEM = re.compile(r"^\s*(?:[-+*]|\d+\.)\s+\S")
_SENTENCE_END = (".", "!", "?", ":", ";", "…", "。", "？", "！")
_SPACE_BEFORE_STOP = re.compile(r" ([.,])(?=\s|$)")


def _end_blocks(markdown_text: str) -> str:
    """Headings, admonition titles, table rows and list items end like sentences, and table
    cells are set apart: once line breaks are gone, a heading's words would run into the text
    after it in a snippet ("Payment method Where the money goes Card")."""
    lines = markdown_text.split("\n")
    in_item = False  # within a list item, whose last line ends it
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        in_item = bool(_LIST_ITEM.match(line)) or (in_item and not _starts_block(line))
        if _TABLE_RULE_LINE.match(line):
            continue
        if heading := _HEADING_LINE.match(line):
            line = heading.group(1)
        elif row := _TABLE_ROW.match(line):
            line = " · ".join(cell.strip() for cell in row.group(1).split("|"))
        elif not (_ADMONITION_LINE.match(line) or in_item and _starts_block(following)):
            continue
        line = line.rstrip()
        lines[number] = line if line.endswith(_SENTENCE_END) else line + "."
    return "\n".join(lines)


def _starts_block(line: str) -> bool:
    return not line.strip() or any(pattern.match(line) for pattern in (
        _LIST_ITEM, _HEADING_LINE, _ADMONITION_LINE, _TABLE_ROW))


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to readable words, for snippets, descriptions and the index.

    Comments and raw HTML go first: `>` is also Markdown (a quote), so once markup characters
    are removed a tag or comment can no longer be recognised."""
    text = _DROPPED_BLOCK.sub(" ", _end_blocks(strip_comments(markdown_text)))
    text = _TAG.sub(" ", _AUTOLINK.sub(r"\1", text))
    text = _MARKUP.sub(lambda m: m.group(2) or " ", text)
    # Emphasis marks leave a space where they stood: "**14 days**." must not read "14 days ."
    return _SPACE_BEFORE_STOP.sub(r"\1", re.sub(r"\s+", " ", html.unescape(text))).strip()


def first_sentences(text: str, limit: int = 160) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if stop > limit // 2:
        return cut[: stop + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…"
