"""How complete each language is: UI strings from the .po catalogs, articles from the content.

One service behind `flask --app portal i18n status` and the admin page. A translation that
records no `source_hash` is counted as "unknown", apart from current and outdated: nobody
can tell which source version it follows until someone compares and runs `mark-current`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

from ..content.freshness import CURRENT, MISSING, OUTDATED, STATES, UNKNOWN, translation_states
from ..content.loader import load_content

UI_SOURCE_LOCALE = "en"  # the UI strings (msgids) are written in English
DOMAIN = "messages"


@dataclass(frozen=True)
class CatalogStatus:
    """UI strings of one locale: translated, fuzzy (need review) and untranslated."""

    locale: str
    total: int = 0
    translated: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    exists: bool = True
    is_source: bool = False

    @property
    def complete(self):
        return self.is_source or (self.exists and self.translated == self.total)

    @property
    def percent(self) -> int:
        """Rounded down: 99.6 % is not done."""
        if not self.exists:
            return 0
        if self.is_source or not self.total:
            return 100
        return self.translated * 100 // self.total

    def as_dict(self):
        return {"exists": self.exists, "source": self.is_source, "total": self.total,
                "translated": self.translated, "fuzzy": self.fuzzy, "untranslated": self.untranslated,
                "percent": self.percent, "complete": self.complete}


@dataclass(frozen=True)
class LocaleStatus:
    locale: str
    is_source: bool
    catalog: CatalogStatus
    articles: dict = field(default_factory=dict)  # state -> tuple of article ids

    def count(self, state) -> int:
        return len(self.articles.get(state, ()))

    @property
    def expected(self) -> int:
        return sum(self.count(state) for state in STATES)

    @property
    def articles_complete(self):
        return self.is_source or self.count(CURRENT) == self.expected

    @property
    def complete(self):
        return self.catalog.complete and self.articles_complete

    def as_dict(self):
        return {"locale": self.locale, "source": self.is_source, "complete": self.complete,
                "catalog": self.catalog.as_dict(),
                "articles": {"expected": self.expected, **{s: self.count(s) for s in STATES}},
                "article_ids": {s: list(self.articles.get(s, ())) for s in (OUTDATED, UNKNOWN, MISSING)}}


@dataclass(frozen=True)
class TranslationStatus:
    source_locale: str
    source_articles: tuple[str, ...]
    source_only: tuple[str, ...]  # kept in the source language on purpose (`translate: false`)
    locales: tuple[LocaleStatus, ...]

    @property
    def translations(self):
        return [status for status in self.locales if not status.is_source]

    @property
    def complete(self):
        return all(status.complete for status in self.locales)

    def totals(self) -> dict:
        others = self.translations
        return {
            "ui_total": sum(s.catalog.total for s in others),
            "ui_translated": sum(s.catalog.translated for s in others),
            "ui_fuzzy": sum(s.catalog.fuzzy for s in others),
            "ui_untranslated": sum(s.catalog.untranslated for s in others),
            "expected": sum(s.expected for s in others),
            **{state: sum(s.count(state) for s in others) for state in STATES},
        }

    def as_dict(self):
        return {"source_locale": self.source_locale, "source_articles": len(self.source_articles),
                "source_only": list(self.source_only), "complete": self.complete,
                "locales": [s.as_dict() for s in self.locales], "totals": self.totals()}


def catalog_folder(config) -> str:
    """The first catalog folder Flask-Babel reads: where `make translations` writes."""
    return str(config["BABEL_TRANSLATION_DIRECTORIES"]).split(";")[0]


def catalog_path(translations_dir, locale) -> Path | None:
    for name in (locale, locale.replace("-", "_")):
        path = Path(translations_dir) / name / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            return path
    return None


def _read_po(path: Path, locale=None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def catalog_status(translations_dir, locale: str) -> CatalogStatus:
    """Completion of one locale's catalog, measured against the template (messages.pot)."""
    if locale == UI_SOURCE_LOCALE:
        return CatalogStatus(locale, is_source=True)
    path = catalog_path(translations_dir, locale)
    template_path = Path(translations_dir) / f"{DOMAIN}.pot"
    if path is None:  # served with the English strings: every one of them is untranslated
        total = sum(1 for m in _read_po(template_path) if m.id) if template_path.is_file() else 0
        return CatalogStatus(locale, total=total, untranslated=total, exists=False)
    catalog = _read_po(path, locale.replace("-", "_"))
    template = _read_po(template_path) if template_path.is_file() else catalog
    translated = fuzzy = untranslated = 0
    for wanted in template:
        if not wanted.id:
            continue  # the header
        message = catalog.get(wanted.id, context=wanted.context)
        strings = () if message is None else (
            message.string if isinstance(message.string, tuple | list) else (message.string,))
        if message is not None and message.fuzzy:
            fuzzy += 1
        elif strings and all(strings):
            translated += 1
        else:
            untranslated += 1
    return CatalogStatus(locale, translated + fuzzy + untranslated, translated, fuzzy, untranslated)


def translation_status(content_dir, translations_dir, locales=None) -> TranslationStatus:
    """Every site locale (or only `locales`), the source language first."""
    loaded = load_content(content_dir)
    site = loaded.site
    wanted = [locale for locale in site.locales if not locales or locale in locales]
    ordered = sorted(wanted, key=lambda locale: locale != site.default_locale)
    statuses = []
    for locale in ordered:
        is_source = locale == site.default_locale
        articles = {} if is_source else {state: tuple(ids) for state, ids in
                                         translation_states(loaded, locale).items()}
        statuses.append(LocaleStatus(locale, is_source, catalog_status(translations_dir, locale), articles))
    sources = [a for a in loaded.articles if a.locale == site.default_locale and not a.draft]
    return TranslationStatus(
        source_locale=site.default_locale,
        source_articles=tuple(sorted(a.id for a in sources)),
        source_only=tuple(sorted(a.id for a in sources if not a.translate)),
        locales=tuple(statuses),
    )


def format_status(status: TranslationStatus) -> str:
    """The plain-text table `flask i18n status` prints."""
    rows: list[tuple[str, ...]] = [
        ("locale", "UI strings", "fuzzy", "articles", CURRENT, OUTDATED, UNKNOWN, MISSING, "")]
    for entry in status.locales:
        catalog = entry.catalog
        if catalog.is_source:
            ui = "source"
        elif not catalog.exists:
            ui = "no catalog"
        else:
            ui = f"{catalog.translated}/{catalog.total} {catalog.percent}%"
        counts: tuple[str, ...]
        if entry.is_source:
            counts = (f"{len(status.source_articles)} source", "", "", "", "")
        else:
            counts = (f"{entry.count(CURRENT)}/{entry.expected}",
                      *(str(entry.count(state)) for state in STATES))
        fuzzy = "" if catalog.is_source or not catalog.exists else str(catalog.fuzzy)
        rows.append((entry.locale, ui, fuzzy, *counts, "complete" if entry.complete else "incomplete"))
    if status.translations:
        totals = status.totals()
        rows.append(("total", f"{totals['ui_translated']}/{totals['ui_total']}", str(totals["ui_fuzzy"]),
                     f"{totals[CURRENT]}/{totals['expected']}", *(str(totals[s]) for s in STATES),
                     "complete" if status.complete else "incomplete"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(0, f"source: {status.source_locale}, {len(status.source_articles)} articles"
                 + (f" ({len(status.source_only)} kept in {status.source_locale} only: "
                    f"{', '.join(status.source_only)})" if status.source_only else ""))
    for entry in status.translations:
        for state in (OUTDATED, UNKNOWN, MISSING):
            for article_id in entry.articles.get(state, ()):
                lines.append(f"{entry.locale}: {state}: {article_id}")
    return "\n".join(lines)
