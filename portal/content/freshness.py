"""Which version of its source each translation was made from, and what changed since.

A translation records its source's `content_hash` as `source_hash` in its front matter.
`mark_current` writes that one line (the rest of the file stays byte for byte) and keeps a
copy of the source text under `<content>/.i18n/sources/<article id>/<hash>.md`: the copy is
committed with the content, so `source_diff` works on every checkout and after every deploy,
even from a shallow clone. Without a copy, the git history of the source file is searched
for the version with the recorded hash.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from .frontmatter import ContentError, split_front_matter
from .loader import LoadedContent, content_hash, load_site_file
from .model import Article, Site

STORE = ".i18n/sources"
KEY = "source_hash"
ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*/[^/\\.][^/\\]*$")
GIT_HISTORY_LIMIT = 500  # commits of one source file searched for an old version

CURRENT, OUTDATED, UNKNOWN, MISSING = "current", "outdated", "unknown", "missing"
STATES = (CURRENT, OUTDATED, UNKNOWN, MISSING)


class TranslationError(Exception):
    """A translation command that cannot do what was asked; the message says why."""


def translation_state(source: Article, translation: Article | None) -> str:
    """current, outdated, unknown (no source_hash recorded) or missing (none, or still a draft)."""
    if translation is None or translation.draft:
        return MISSING
    if not translation.source_hash:
        return UNKNOWN
    return CURRENT if translation.source_hash == source.content_hash else OUTDATED


def sources_to_translate(loaded: LoadedContent) -> list[Article]:
    """Published source articles that every other locale should have."""
    default = loaded.site.default_locale
    return [a for a in loaded.articles if a.locale == default and not a.draft and a.translate]


def translation_states(loaded: LoadedContent, locale: str) -> dict[str, list[str]]:
    """Article ids of `locale` by state."""
    translations = {a.id: a for a in loaded.articles if a.locale == locale}
    states: dict[str, list[str]] = {state: [] for state in STATES}
    for source in sorted(sources_to_translate(loaded), key=lambda a: a.id):
        states[translation_state(source, translations.get(source.id))].append(source.id)
    return states


def set_source_hash(text: str, value: str) -> str:
    """`text` with `source_hash: value` in its front matter; nothing else changes."""
    newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
    lines = text.split("\n")
    if not lines or lines[0].lstrip("\ufeff").strip() != "---":
        raise TranslationError("the file has no front matter")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise TranslationError("the front matter is not closed by a '---' line")
    # Quoted only when YAML would read the bare digits as something else (a number).
    written = value if yaml.safe_load(value) == value else f'"{value}"'
    carriage = "\r" if newline == "\r\n" else ""
    new_line = f"{KEY}: {written}{carriage}"
    for index in range(1, end):
        if re.match(rf"{KEY}\s*:", lines[index]):
            following = index + 1
            while following < end and lines[following][:1] in (" ", "\t"):
                following += 1  # a value continued on indented lines
            lines[index:following] = [new_line]
            break
    else:
        lines.insert(end, new_line)
    return "\n".join(lines)


def _site(content_dir: Path) -> Site:
    site, problems = load_site_file(content_dir)
    if site is None:
        raise TranslationError(str(problems[0]))
    return site


def _article_files(content_dir: Path, locale: str, article_id: str) -> tuple[Site, Path, Path]:
    site = _site(content_dir)
    if locale not in site.locales:
        raise TranslationError(f"'{locale}' is not a locale of this site ({', '.join(site.locales)})")
    if locale == site.default_locale:
        raise TranslationError(f"'{locale}' is the source language: its articles are not translations")
    article_id = article_id.removesuffix(".md").strip("/")
    if not ARTICLE_ID.match(article_id):
        raise TranslationError(f"'{article_id}' is not an article id: write category/name, "
                               "e.g. returns/return-an-item")
    source = content_dir / site.default_locale / f"{article_id}.md"
    translation = content_dir / locale / f"{article_id}.md"
    if not source.is_file():
        raise TranslationError(f"there is no source article {site.default_locale}/{article_id}.md")
    if not translation.is_file():
        raise TranslationError(f"there is no translation {locale}/{article_id}.md yet")
    return site, source, translation


def recorded_hash(text: str) -> str | None:
    try:
        meta = split_front_matter(text)[0]
    except ContentError:
        return None
    value = meta.get(KEY)
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class Marked:
    path: str  # the translation, relative to the content folder
    previous: str | None
    current: str

    @property
    def changed(self) -> bool:
        return self.previous != self.current


def mark_current(content_dir: str | Path, locale: str, article_id: str) -> Marked:
    """Record that the translation now follows the current source; keep a copy of that source."""
    content_dir = Path(content_dir)
    site, source, translation = _article_files(content_dir, locale, article_id)
    article_id = article_id.removesuffix(".md").strip("/")
    source_text = source.read_text("utf-8")
    current = content_hash(source_text)
    raw = translation.read_bytes().decode("utf-8")
    previous = recorded_hash(raw)
    if previous != current:
        translation.write_bytes(set_source_hash(raw, current).encode("utf-8"))
    stored = content_dir / STORE / article_id / f"{current}.md"
    if not stored.is_file():
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(source.read_bytes())
    prune_store(content_dir, site, article_id)
    return Marked(translation.relative_to(content_dir).as_posix(), previous, current)


def prune_store(content_dir: Path, site: Site, article_id: str) -> None:
    """Drop stored source versions that no translation of the article records any more."""
    folder = content_dir / STORE / article_id
    if not folder.is_dir():
        return
    wanted = set()
    for locale in site.locales:
        path = content_dir / locale / f"{article_id}.md"
        if locale != site.default_locale and path.is_file():
            wanted.add(recorded_hash(path.read_text("utf-8")))
    for stored in folder.glob("*.md"):
        if stored.stem not in wanted:
            stored.unlink()
    while folder != content_dir / STORE and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def source_version(content_dir: str | Path, article_id: str, source: Path,
                   wanted: str) -> tuple[str, str] | None:
    """(text, where it was found) of the source version whose hash is `wanted`, or None."""
    stored = Path(content_dir) / STORE / article_id / f"{wanted}.md"
    if stored.is_file():
        text = stored.read_text("utf-8")
        if content_hash(text) == wanted:
            return text, f"stored copy {stored.relative_to(content_dir).as_posix()}"
    return _from_git_history(source, wanted)


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=True,
                              timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", errors="replace")


def _from_git_history(source: Path, wanted: str) -> tuple[str, str] | None:
    log = _git(source.parent, "log", f"-n{GIT_HISTORY_LIMIT}", "--format=%H", "--", source.name)
    for commit in (log or "").split():
        text = _git(source.parent, "show", f"{commit}:./{source.name}")
        if text is not None and content_hash(text) == wanted:
            return text, f"git commit {commit[:10]}"
    return None


@dataclass(frozen=True)
class SourceDiff:
    source_path: str
    recorded: str
    current: str
    origin: str  # where the old text came from; "" when nothing changed
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def source_diff(content_dir: str | Path, locale: str, article_id: str) -> SourceDiff:
    """A unified diff of the source text the translation was made from against the source now."""
    content_dir = Path(content_dir)
    site, source, translation = _article_files(content_dir, locale, article_id)
    article_id = article_id.removesuffix(".md").strip("/")
    relative = source.relative_to(content_dir).as_posix()
    recorded = recorded_hash(translation.read_text("utf-8"))
    if recorded is None:
        raise TranslationError(
            f"{locale}/{article_id}.md records no source_hash, so the version it was translated from is "
            f"unknown: compare it with {relative}, then run 'flask --app portal i18n mark-current "
            f"{locale} {article_id}'")
    now = source.read_text("utf-8")
    current = content_hash(now)
    if recorded == current:
        return SourceDiff(relative, recorded, current, "", ())
    found = source_version(content_dir, article_id, source, recorded)
    if found is None:
        raise TranslationError(
            f"the source version {recorded} of {relative} is neither in {STORE}/{article_id}/ nor in "
            "its git history: compare the translation with the source by hand")
    then, origin = found
    lines = difflib.unified_diff(
        _normalized(then), _normalized(now), lineterm="",
        fromfile=f"{relative} ({recorded}, translated from)", tofile=f"{relative} ({current}, now)")
    return SourceDiff(relative, recorded, current, origin, tuple(lines))


def _normalized(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n")]
