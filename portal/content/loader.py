"""Read a content folder (docs/content-format.md) into plain objects, reporting bad files.

Everything is read first, then rendered: links between articles can only be resolved
once every article's localized URL is known.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .frontmatter import ContentError, key_line, load_yaml, split_front_matter
from .links import link_locales, linked_article_id, media_file, relative_path
from .model import Article, Category, Problem, Site
from .render import LinkResolver, first_sentences, plain_text, render_markdown, strip_comments

SITE_FILE = "site.yml"
CATEGORY_FILE = "_category.yml"
SYNONYMS_FILE = "synonyms.txt"
KNOWN_KEYS = {
    "title", "description", "slug", "questions", "tags", "updated",
    "redirect_from", "draft", "translate", "source_hash",
}
CATEGORY_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LOCALE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
REFERENCE_PREFIX = re.compile(r"^[A-Z0-9]{0,5}-?$")
SLUG = re.compile(r"^[^\W_][\w-]*$")
MEDIA_PREFIX = "/media/"

CategoryMeta = dict[tuple[str, str], dict[str, Any]]  # (locale, category id) -> its _category.yml
SynonymGroups = tuple[tuple[str, ...], ...]


@dataclass
class _Draft:
    """An article file parsed but not yet rendered."""

    meta: dict[str, Any]
    body: str
    locale: str
    category: str
    name: str
    path: str
    content_hash: str
    slug_line: int | None = None

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"


@dataclass
class LoadedContent:
    site: Site
    articles: list[Article] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def content_hash(text: str) -> str:
    """The version of an article's text that translations record as `source_hash`."""
    normalized = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


def _string_list(meta: dict[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str | int | float):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str | int | float) for item in value):
        raise ContentError(f"'{key}' must be a list of texts")
    return tuple(str(item).strip() for item in value if str(item).strip())


def _parse_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ContentError(f"'updated' must be a date written YYYY-MM-DD, not {value!r}") from None


def load_site_file(content_dir: Path) -> tuple[Site | None, list[Problem]]:
    path = content_dir / SITE_FILE
    if not path.is_file():
        return None, [Problem(SITE_FILE, f"missing: {content_dir} has no {SITE_FILE}")]
    try:
        data = load_yaml(path.read_text("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        return None, [Problem(SITE_FILE, f"not valid YAML: {error}")]
    locales = data.get("locales") if isinstance(data, dict) else None
    if isinstance(locales, str):
        locales = [locales]
    if not locales or not isinstance(locales, list):
        return None, [Problem(SITE_FILE, "'locales' must list at least one locale, e.g. [en, sv]")]
    locales = tuple(str(locale) for locale in locales)
    bad = [locale for locale in locales if not LOCALE_TAG.match(locale)]
    if bad:
        return None, [Problem(SITE_FILE, f"not a BCP 47 language tag: {', '.join(bad)}")]
    default = str(data.get("default_locale") or locales[0])
    if default not in locales:
        return None, [Problem(SITE_FILE, f"default_locale '{default}' is not in locales {list(locales)}")]
    names, problems = _site_names(data.get("name"), default, locales)
    email = data.get("support_email")
    prefix = data.get("reference_prefix", Site.reference_prefix)
    if not isinstance(prefix, str) or not REFERENCE_PREFIX.match(prefix):
        problems.append(Problem(SITE_FILE, "'reference_prefix' must be up to 5 capital letters or digits "
                                f"and an optional '-', like NV-; {Site.reference_prefix} is used",
                                severity="warning"))
        prefix = Site.reference_prefix
    return Site(name=names.get(default) or DEFAULT_SITE_NAME, default_locale=default, locales=locales,
                support_email=str(email) if email else None, reference_prefix=prefix, names=names), problems


DEFAULT_SITE_NAME = "Help Centre"


def _site_names(value: object, default: str,
                locales: tuple[str, ...]) -> tuple[dict[str, str], list[Problem]]:
    """`name: Shop Help` (every locale) or `name: {en: Shop Help, sv: Butikens hjälp}` (per
    locale; a locale without one gets the default locale's)."""
    if value is None or isinstance(value, str | int | float):
        text = str(value).strip() if value is not None else ""
        return ({default: text} if text else {}), []
    if not isinstance(value, dict):
        return {}, [Problem(SITE_FILE, "'name' must be a text, or one text per locale like "
                            "{en: Shop Help, sv: Butikens hjälp}")]
    names, problems = {}, []
    for locale, text in value.items():
        locale = str(locale)
        if locale not in locales:
            problems.append(Problem(SITE_FILE, f"'name' has a text for '{locale}', which is not in "
                                    f"locales {list(locales)}", severity="warning"))
        elif isinstance(text, str | int | float) and str(text).strip():
            names[locale] = str(text).strip()
    if default not in names:
        problems.append(Problem(SITE_FILE, f"'name' has no text for the default locale '{default}'",
                                severity="warning"))
        if names:
            names[default] = next(iter(names.values()))
    return names, problems


def load_content(content_dir: str | Path) -> LoadedContent:
    """Read the whole content folder, drafts included (the repository decides who sees them); bad
    files are reported in `problems` and left out."""
    content_dir = Path(content_dir)
    site, problems = load_site_file(content_dir)
    if site is None:
        return LoadedContent(site=Site("Help Centre", "en", ("en",)), problems=problems)

    drafts: list[_Draft] = []
    category_meta: CategoryMeta = {}
    synonyms: dict[str, SynonymGroups] = {}
    for entry in sorted(content_dir.iterdir()):
        if entry.name.startswith(".") or entry.is_file():
            continue
        if entry.name not in site.locales:
            problems.append(Problem(entry.name + "/", f"unknown locale folder '{entry.name}': "
                                    f"site.yml lists {', '.join(site.locales)}"))
            continue
        _read_locale(content_dir, entry, drafts, category_meta, synonyms, problems)
    for locale in site.locales:
        if not (content_dir / locale).is_dir():
            problems.append(Problem(SITE_FILE, f"locale '{locale}' has no folder", severity="warning"))

    drafts = _drop_duplicate_urls(drafts, problems)
    site = dataclasses.replace(site, synonyms=synonyms)
    loaded = LoadedContent(site=site, problems=problems)
    loaded.articles = _render_all(drafts, site, problems)
    loaded.categories = _categories(loaded.articles, category_meta, site)
    return loaded


def _read_locale(content_dir: Path, locale_dir: Path, drafts: list[_Draft],
                 category_meta: CategoryMeta, synonyms: dict[str, SynonymGroups],
                 problems: list[Problem]) -> None:
    locale = locale_dir.name
    for entry in sorted(locale_dir.iterdir()):
        relative = entry.relative_to(content_dir).as_posix()
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            if entry.name == SYNONYMS_FILE:
                synonyms[locale] = _read_synonyms(entry, relative, problems)
            elif entry.suffix == ".md":
                problems.append(Problem(relative, "an article must be inside a category folder: "
                                        f"{locale}/<category>/{entry.name}"))
            continue
        if not CATEGORY_ID.match(entry.name):
            problems.append(Problem(relative + "/", f"category folder '{entry.name}' must use only "
                                    "lowercase letters, digits and '-'"))
            continue
        for path in sorted(entry.iterdir()):
            file_relative = path.relative_to(content_dir).as_posix()
            if path.name == CATEGORY_FILE:
                category_meta[(locale, entry.name)] = _read_category(path, file_relative, problems)
            elif path.suffix == ".md" and path.is_file():
                draft = _read_article(path, file_relative, locale, entry.name, problems)
                if draft is not None:
                    drafts.append(draft)
            elif path.is_dir() and any(path.rglob("*.md")):
                problems.append(Problem(file_relative + "/", "articles in sub-folders are not read: "
                                        "keep them directly in the category folder", severity="warning"))


def _read_article(path: Path, relative: str, locale: str, category: str,
                  problems: list[Problem]) -> _Draft | None:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(relative, "not UTF-8 text"))
        return None
    try:
        meta, body, _body_line = split_front_matter(text)
    except ContentError as error:
        problems.append(Problem(relative, error.message, error.line))
        return None
    # Every problem of the file at once, so an editor fixes them in one go.
    errors = []
    title = meta.get("title")
    if not isinstance(title, str | int | float) or not str(title).strip():
        errors.append(ContentError("'title' is required", key_line(text, "title") or 1))
    for key in ("questions", "tags", "redirect_from"):
        try:
            _string_list(meta, key)
        except ContentError as error:
            errors.append(ContentError(error.message, key_line(text, key)))
    try:
        _parse_date(meta.get("updated"))
    except ContentError as error:
        errors.append(ContentError(error.message, key_line(text, "updated")))
    slug = meta.get("slug")
    if slug is not None and not SLUG.match(str(slug)):
        errors.append(ContentError(f"slug '{slug}' may hold only letters, digits and '-'",
                                   key_line(text, "slug")))
    for key in ("draft", "translate"):
        if key in meta and not isinstance(meta[key], bool):
            errors.append(ContentError(f"'{key}' must be true or false", key_line(text, key)))
    problems.extend(Problem(relative, error.message, error.line) for error in errors)
    for key in sorted(set(meta) - KNOWN_KEYS):
        problems.append(Problem(relative, f"unknown front-matter key '{key}' is ignored",
                                key_line(text, key), severity="warning"))
    if errors:
        return None
    return _Draft(meta, body, locale, category, path.stem, relative, content_hash(text),
                  key_line(text, "slug"))


def _read_category(path: Path, relative: str, problems: list[Problem]) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text("utf-8")) or {}
        if not isinstance(data, dict):
            raise ContentError("must be a set of 'key: value' lines")
        return data
    except (yaml.YAMLError, ContentError, UnicodeDecodeError) as error:
        problems.append(Problem(relative, f"category file is not valid: {error}"))
        return {}


def parse_synonyms(text: str) -> tuple[SynonymGroups, list[tuple[int, str]]]:
    """Synonym groups of a synonyms.txt, and (line number, message) for each bad line."""
    groups: list[tuple[str, ...]] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        phrases = [p.strip().lower() for p in re.split(r"[=,]", line) if p.strip()]
        if len(phrases) < 2:
            errors.append((number, "a synonym line needs two or more phrases: 'refund = money back'"))
            continue
        groups.append(tuple(phrases))
    return tuple(groups), errors


def _read_synonyms(path: Path, relative: str, problems: list[Problem]) -> SynonymGroups:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(relative, "not UTF-8 text: save the file as UTF-8"))
        return ()
    groups, errors = parse_synonyms(text)
    problems.extend(Problem(relative, message, number) for number, message in errors)
    return groups


def _drop_duplicate_urls(drafts: list[_Draft], problems: list[Problem]) -> list[_Draft]:
    kept: list[_Draft] = []
    seen: dict[tuple[str, str, str], str] = {}
    for draft in drafts:
        key = (draft.locale, draft.category, str(draft.meta.get("slug") or draft.name))
        if key in seen:
            problems.append(Problem(draft.path, f"slug '{key[2]}' is already used by {seen[key]} "
                                    "in this locale and category; this file is left out",
                                    draft.slug_line))
            continue
        seen[key] = draft.path
        kept.append(draft)
    return kept


def _render_all(drafts: list[_Draft], site: Site, problems: list[Problem]) -> list[Article]:
    by_locale_id = {(d.locale, d.id): d for d in drafts}
    articles = []
    for draft in drafts:
        slug = str(draft.meta.get("slug") or draft.name)
        resolver = _link_resolver(draft, by_locale_id, site)
        body_text = plain_text(draft.body)
        meta = draft.meta
        published = strip_comments(draft.body).strip()  # a first paragraph that is a note is skipped
        description = str(meta.get("description") or "").strip() or first_sentences(
            plain_text(published.split("\n\n", 1)[0]) if published else "")
        articles.append(Article(
            id=draft.id,
            locale=draft.locale,
            category=draft.category,
            title=str(meta["title"]).strip(),
            slug=slug,
            description=description,
            body_text=body_text,
            html=render_markdown(draft.body, resolver, draft.locale),
            questions=_string_list(meta, "questions"),
            tags=_string_list(meta, "tags"),
            updated=_parse_date(meta.get("updated")),
            redirect_from=tuple(_normalize_path(p) for p in _string_list(meta, "redirect_from")),
            draft=bool(meta.get("draft", False)) or _source_is_draft(draft, by_locale_id, site),
            translate=meta.get("translate", True) is not False,
            source_hash=str(meta["source_hash"]) if meta.get("source_hash") else None,
            content_hash=draft.content_hash,
            path=draft.path,
        ))
        if not meta.get("draft") and _source_is_draft(draft, by_locale_id, site):
            problems.append(Problem(draft.path, f"translation of the draft '{draft.id}': it stays a draft "
                                    f"until {site.default_locale}/ publishes its source", severity="warning"))
        if draft.locale != site.default_locale and (site.default_locale, draft.id) not in by_locale_id:
            problems.append(Problem(draft.path, f"translation of '{draft.id}', which has no source "
                                    f"article in {site.default_locale}/", severity="warning"))
    return articles


def _source_is_draft(draft: _Draft, by_locale_id: dict[tuple[str, str], _Draft], site: Site) -> bool:
    """A translation is not published before its source article is."""
    source = by_locale_id.get((site.default_locale, draft.id))
    return draft.locale != site.default_locale and source is not None and bool(source.meta.get("draft"))


def _link_resolver(draft: _Draft, by_locale_id: dict[tuple[str, str], _Draft], site: Site) -> LinkResolver:
    """Relative links name other articles by id; turn them into the article's localized URL."""

    def resolve(attribute: str, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(("/", "#")):
            return None
        target = relative_path(draft.category, parts.path)
        if attribute == "src":
            return MEDIA_PREFIX + media_file(draft.locale, target)
        article_id = linked_article_id(target)
        for locale in link_locales(draft.locale, site.default_locale):
            found = by_locale_id.get((locale, article_id))
            if found is not None:
                slug = found.meta.get("slug") or found.name
                fragment = f"#{parts.fragment}" if parts.fragment else ""
                return f"/{locale}/{found.category}/{slug}{fragment}"
        return None

    return resolve


def _normalize_path(path: str) -> str:
    path = urlsplit(path.strip()).path
    return "/" + path.strip("/") if path.strip("/") else "/"


def _categories(articles: list[Article], category_meta: CategoryMeta, site: Site) -> list[Category]:
    present = sorted({(a.locale, a.category) for a in articles})
    categories = []
    for locale, category in present:
        meta = category_meta.get((locale, category)) or category_meta.get(
            (site.default_locale, category)) or {}
        order = meta.get("order")
        categories.append(Category(
            id=category,
            locale=locale,
            title=str(meta.get("title") or category.replace("-", " ").capitalize()),
            description=str(meta.get("description") or ""),
            order=order if isinstance(order, int) else 1000,
        ))
    return categories
