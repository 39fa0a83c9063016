"""Whole-site checks behind `flask content check`: what one file read alone cannot tell.

The loader reports files it cannot read. This module looks at the loaded site as a whole:
links and images that lead nowhere, addresses two things claim, drafts that published
pages link to. The files other features read from the folder are checked by portal/checks.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .frontmatter import ContentError, split_front_matter
from .links import link_locales, linked_article_id, media_file, relative_path
from .loader import LoadedContent, load_content
from .model import MEDIA_SUFFIXES, Article, Problem

# What /media/ serves from the content folder (portal/views/root.py).
SOURCE_HASH = re.compile(r"^[0-9a-f]{16}$")
Finding = tuple[str, str]  # (message, severity) for one link

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+).*?\1")
_INLINE_LINK = re.compile(r"(!?)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^\s{0,3}\[(?!\^)[^\]]+\]:\s*<?([^\s>]+)>?")
_HTML_LINK = re.compile(r"<(a|img)\b[^>]*?\b(href|src)\s*=\s*[\"']([^\"']*)[\"']", re.I)
_HEADING_ID = re.compile(r"^\s{0,3}#{1,6}\s.*\{[^}]*#([\w-]+)[^}]*\}\s*$")
_HTML_ID = re.compile(r"""\bid=["']([^"']+)["']""")


@dataclass
class LintReport:
    loaded: LoadedContent
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


def lint_content(content_dir: str | Path) -> LintReport:
    """Every problem in the articles: the loader's, then the whole-site checks (links, anchors,
    redirects, ids). portal/checks adds what other features read from the folder."""
    content_dir = Path(content_dir)
    loaded = load_content(content_dir)
    problems = list(loaded.problems)
    addresses = _Addresses(loaded, content_dir)
    texts = {}
    for article in loaded.articles:
        try:
            text = texts[article.path] = (content_dir / article.path).read_text("utf-8")
            meta, body, body_line = split_front_matter(text)
        except (OSError, UnicodeDecodeError, ContentError):
            continue  # the loader has reported it
        problems += _check_front_matter(article, meta, text, loaded)
        problems += _check_body(article, body, body_line, addresses)
        problems += _check_redirects(article, text, addresses)
    # A file the loader left out for a front-matter error still has its links checked: every
    # problem of a file is reported in one run.
    for article, body, body_line in _left_out_articles(content_dir, loaded):
        problems += _check_body(article, body, body_line, addresses)
    problems += _check_id_collisions(loaded, texts)
    unique = list(dict.fromkeys(problems))
    return LintReport(loaded, sorted(unique, key=lambda p: (p.path, p.line or 0)))


def _left_out_articles(content_dir: Path, loaded: LoadedContent) -> Iterator[tuple[Article, str, int]]:
    """(stand-in article, body, first body line) for each article file the loader could not read."""
    read = {article.path for article in loaded.articles}
    for locale in loaded.site.locales:
        for path in sorted((content_dir / locale).glob("*/*.md")):
            relative = path.relative_to(content_dir).as_posix()
            if relative in read or path.parent.name.startswith("."):
                continue
            try:
                text = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            lines = text.lstrip("\ufeff").split("\n")
            if not lines or lines[0].strip() != "---":
                continue
            end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
            if end is None:
                continue
            draft = any(re.match(r"^draft\s*:\s*true\b", line) for line in lines[1:end])
            stand_in = Article(id=f"{path.parent.name}/{path.stem}", locale=locale, category=path.parent.name,
                               title="", slug=path.stem, description="", body_text="", html="",
                               draft=draft, path=relative)
            yield stand_in, "\n".join(lines[end + 1:]), end + 2


def _severity(article: Article, severity: str = "error") -> str:
    """A draft is work in progress: what would break on a published page only warns there."""
    return "warning" if article.draft else severity


# The portal's own pages under each locale, beside its categories and articles: editors link them
# ("write to us at /en/contact"). tests/content/test_lint.py holds this list to the app's routes.
LOCALE_PAGES = ("search", "contact")


class _Addresses:
    """Every URL the content answers, and who owns it."""

    def __init__(self, loaded: LoadedContent, content_dir: Path):
        self.content_dir = content_dir
        self.site = loaded.site
        self.by_locale_id = {(a.locale, a.id): a for a in loaded.articles}
        self.by_url: dict[str, Article] = {}
        self.by_id_url: dict[str, Article] = {}
        self.categories = set()
        for article in loaded.articles:
            self.by_url.setdefault(article.url, article)
            self.by_id_url.setdefault(f"/{article.locale}/{article.id}", article)
            if not article.draft:
                self.categories.add(f"/{article.locale}/{article.category}/")
        self.pages = {"/"} | {f"/{locale}/" for locale in self.site.locales} | {
            f"/{locale}/{page}" for locale in self.site.locales for page in LOCALE_PAGES}
        self.redirects: dict[str, Article] = {}
        for article in loaded.articles:
            for old in article.redirect_from:
                self.redirects.setdefault(old, article)

    def article_at(self, path: str) -> Article | None:
        """The article at a site path: its localized URL or its id URL, drafts included."""
        return self.by_url.get(path) or self.by_id_url.get(path)

    def live_owner(self, path: str) -> Article | str | None:
        """What a visitor gets at `path` today, before any redirect_from: an article, a page or None."""
        path = "/" + path.strip("/")
        article = self.article_at(path)
        if article is not None and not article.draft:
            return article
        for candidate in (path, path.rstrip("/") + "/"):
            if candidate in self.pages or candidate in self.categories:
                return candidate
        return None

    def article_for_link(self, locale: str, article_id: str) -> Article | None:
        """The article a relative link names: the same language first, as the renderer does."""
        return next((found for other in link_locales(locale, self.site.default_locale)
                     if (found := self.by_locale_id.get((other, article_id))) is not None), None)


def _links(body: str, body_line: int) -> Iterator[tuple[int, str, str]]:
    """(line, 'href' or 'src', url) for every link and image in the Markdown and raw HTML."""
    fenced = False
    for number, line in enumerate(body.split("\n"), body_line):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        line = _CODE_SPAN.sub("", line)
        for bang, url in _INLINE_LINK.findall(line):
            yield number, "src" if bang else "href", url
        for match in _REFERENCE.finditer(line):
            yield number, "href", match.group(1)
        for tag, _attribute, url in _HTML_LINK.findall(line):
            yield number, "src" if tag.lower() == "img" else "href", url


def _check_body(article: Article, body: str, body_line: int, addresses: _Addresses) -> list[Problem]:
    problems = []
    if not body.strip():
        problems.append(Problem(article.path, "the article has no text below the front matter",
                                body_line - 1, "warning"))
    for number, attribute, url in _links(body, body_line):
        found = _check_link(article, attribute, url.strip(), addresses)
        if found:
            message, severity = found
            problems.append(Problem(article.path, message, number,
                                    _severity(article) if severity == "error" else severity))
    seen: dict[str, int] = {}
    fenced = False
    for number, line in enumerate(body.split("\n"), body_line):
        fenced = fenced != bool(_FENCE.match(line))
        match = None if fenced else _HEADING_ID.match(line)
        if match and match.group(1) in seen:
            problems.append(Problem(article.path, f"heading id '#{match.group(1)}' is already used on "
                                    f"line {seen[match.group(1)]}: links to it find only the first",
                                    number, "warning"))
        elif match:
            seen[match.group(1)] = number
    return problems


def _check_link(article: Article, attribute: str, url: str, addresses: _Addresses) -> Finding | None:
    """(message, severity) for a link or image that does not lead where it should, else None."""
    if not url:
        return "empty link: write the address between the ( )", "error"
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    if url.startswith("#"):
        return _check_anchor(url, article, parts.fragment, "this article") if article.html else None
    path = unquote(parts.path)
    if url.startswith("/"):
        found = _check_site_path(article, path, addresses)
        target = addresses.article_at("/" + "/".join(s for s in path.split("/") if s))
        if found is None and parts.fragment and target is not None:
            return _check_anchor(url, target, parts.fragment, target.path)
        return found
    relative = relative_path(article.category, path)
    suffix = posixpath.splitext(relative)[1].lower()
    if attribute == "src" or suffix in MEDIA_SUFFIXES:
        file = media_file(article.locale, relative)
        if file.startswith("../"):
            return f"'{url}' points outside the content folder", "error"
        if attribute == "href":
            return f"'{url}' is a file, which a relative link cannot open: write /media/{file}", "error"
        if not (addresses.content_dir / file).is_file():
            return f"image '{url}' not found: there is no file {file}", "error"
        if suffix not in MEDIA_SUFFIXES:
            return f"image '{url}' is not served: use {', '.join(sorted(MEDIA_SUFFIXES))}", "error"
        return None
    article_id = linked_article_id(relative)
    if "/" not in article_id:  # ../delivery/ is the category page
        if f"/{article.locale}/{article_id}/" in addresses.categories:
            return None
        return (f"link '{url}' leads nowhere: there is no category '{article_id}' in {article.locale}/",
                "error")
    linked = addresses.article_for_link(article.locale, article_id)
    default = addresses.site.default_locale
    if linked is None:
        where = f"{article.locale}/" + (f" or {default}/" if article.locale != default else "")
        return f"link '{url}' leads nowhere: there is no article '{article_id}' in {where}", "error"
    if linked.draft and not article.draft:
        return f"link '{url}' goes to the draft {linked.path}, which visitors cannot open", "error"
    if parts.fragment:
        return _check_anchor(url, linked, parts.fragment, linked.path)
    return None


def _check_anchor(url: str, target: Article, fragment: str, where: str) -> Finding | None:
    """A '#anchor' must name a heading (or another id) on the page it points to."""
    ids = set(_HTML_ID.findall(target.html))
    fragment = unquote(fragment)
    if not fragment or fragment in ids:
        return None
    close = difflib.get_close_matches(fragment, sorted(ids), n=1)
    hint = f": did you mean '#{close[0]}'?" if close else (
        f"; its headings are {', '.join('#' + i for i in sorted(ids))}" if ids else ": it has no headings")
    return f"link '{url}' leads to no heading: {where} has no '#{fragment}'{hint}", "error"


def _check_site_path(article: Article, path: str, addresses: _Addresses) -> Finding | None:
    segments = [s for s in path.split("/") if s]
    if segments[:1] == ["media"]:
        file = "/".join(segments[1:])
        if posixpath.splitext(file)[1].lower() not in MEDIA_SUFFIXES:
            return f"'{path}' is not served: /media/ serves only {', '.join(sorted(MEDIA_SUFFIXES))}", "error"
        if ".." in segments or not (addresses.content_dir / file).is_file():
            return f"'{path}' not found: there is no file {file} in the content folder", "error"
        return None
    normalized = "/" + "/".join(segments)
    moved = addresses.redirects.get(normalized)
    if moved is not None:
        return f"'{path}' is an old address of {moved.path}: link {moved.url} instead", "warning"
    if not segments or segments[0] not in addresses.site.locales:
        return None  # not an address the content owns (/contact, /api/...)
    if len(segments) <= 2:
        if addresses.live_owner(normalized) is not None:
            return None
        return f"link '{path}' leads nowhere: no page has that address", "error"
    target = addresses.article_at(normalized)
    if target is not None and target.draft and not article.draft:
        return f"link '{path}' goes to the draft {target.path}, which visitors cannot open", "error"
    if target is not None:
        return None
    if len(segments) == 3:
        for other in addresses.by_url.values():
            if (other.category == segments[1] and not other.draft
                    and segments[2] in (other.slug, other.id.split("/", 1)[1])):
                return (f"'{path}' has no {segments[0]} version: link ../{other.id} to get the best "
                        "language automatically", "warning")
    return f"link '{path}' leads nowhere: no page has that address", "error"


def _line_of(text: str, needle: str, key: str) -> int | None:
    """The front-matter line holding `needle`, else the line of `key`."""
    head = text.split("\n---", 1)[0]
    if needle:
        for number, line in enumerate(head.split("\n"), 1):
            if needle in line:
                return number
    match = re.search(rf"^{re.escape(key)}\s*:", head, re.M)
    return head.count("\n", 0, match.start()) + 1 if match else None


def _check_redirects(article: Article, text: str, addresses: _Addresses) -> list[Problem]:
    problems = []
    for old in article.redirect_from:
        owner = addresses.live_owner(old)
        first = addresses.redirects.get(old)
        if old in (article.url, f"/{article.locale}/{article.id}"):
            message = f"redirect_from '{old}' is this article's own address: visitors would loop"
        elif owner is not None:
            what = owner.path if isinstance(owner, Article) else f"the page {owner}"
            message = (f"redirect_from '{old}' is the live address of {what}: "
                       "that page could no longer be opened")
        elif first is not None and first is not article:
            message = (f"redirect_from '{old}' is also claimed by {first.path}: "
                       "only one of them gets the visitors")
        else:
            continue
        line = _line_of(text, old.strip("/") or "/", "redirect_from")
        problems.append(Problem(article.path, message, line, _severity(article)))
    return problems


def _check_front_matter(article: Article, meta: dict[str, Any], text: str,
                        loaded: LoadedContent) -> list[Problem]:
    problems = []
    default = loaded.site.default_locale
    description = meta.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(Problem(article.path, "'description' must be one sentence of text",
                                _line_of(text, "", "description")))
    source_hash = meta.get("source_hash")
    if article.locale == default and "source_hash" in meta:
        problems.append(Problem(article.path, f"'source_hash' belongs in translations, not in the source "
                                f"({default}/) article", _line_of(text, "", "source_hash"), "warning"))
    elif source_hash is not None and not SOURCE_HASH.match(str(source_hash)):
        problems.append(Problem(article.path, f"source_hash '{source_hash}' is not 16 hex digits: let "
                                "'flask --app portal i18n mark-current' write it",
                                _line_of(text, "", "source_hash"), "warning"))
    if article.locale != default and "translate" in meta:
        problems.append(Problem(article.path, f"'translate' is read only in the source ({default}/) "
                                "article", _line_of(text, "", "translate"), "warning"))
    return problems


def _check_id_collisions(loaded: LoadedContent, texts: dict[str, str]) -> list[Problem]:
    problems = []
    folded = defaultdict(list)
    for article in loaded.articles:
        folded[(article.locale, article.id.casefold())].append(article)
    for same in folded.values():
        for other in same[1:]:
            problems.append(Problem(other.path, f"the id '{other.id}' differs from {same[0].path} only in "
                                    "upper/lower case: on Windows and macOS they are the same file"))
    names = {(a.locale, a.category, a.id.split("/", 1)[1]): a for a in loaded.articles}
    for article in loaded.articles:
        owner = names.get((article.locale, article.category, article.slug))
        if owner is not None and owner is not article:
            problems.append(Problem(
                article.path, f"slug '{article.slug}' is the file name of {owner.path}: {article.url} "
                "shows this article, so that file's own address no longer leads to it",
                _line_of(texts.get(article.path, ""), "", "slug"), "warning"))
    return problems
