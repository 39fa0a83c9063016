"""Plain, immutable objects for a loaded help centre. No Flask, no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The files of the content folder /media/ serves, and so the only ones articles may show or link.
MEDIA_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".pdf"})


@dataclass(frozen=True)
class Problem:
    """Something wrong in a content file: where, and why."""

    path: str
    message: str
    line: int | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Article:
    id: str  # "returns/return-an-item": the same in every locale
    locale: str
    category: str
    title: str
    slug: str
    description: str
    body_text: str  # Markdown source without front matter, for search and snippets
    html: str
    questions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    updated: dt.date | None = None
    redirect_from: tuple[str, ...] = ()
    draft: bool = False
    translate: bool = True  # false: a source article deliberately kept in the default locale only
    source_hash: str | None = None
    content_hash: str = ""
    path: str = ""  # the file, relative to the content folder

    @property
    def url(self) -> str:
        return f"/{self.locale}/{self.category}/{self.slug}"


@dataclass(frozen=True)
class Category:
    id: str
    locale: str
    title: str
    description: str = ""
    order: int = 1000

    @property
    def url(self) -> str:
        return f"/{self.locale}/{self.id}/"


@dataclass(frozen=True)
class Site:
    name: str  # in the default locale
    default_locale: str
    locales: tuple[str, ...]
    support_email: str | None = None
    reference_prefix: str = "HC-"  # before a contact request's reference, e.g. HC-7K3M9QXD
    # locale -> its synonym groups
    synonyms: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict, compare=False)
    names: dict[str, str] = field(default_factory=dict, compare=False)  # locale -> the name in that language

    def name_in(self, locale: str | None) -> str:
        """The site's name as visitors of `locale` read it; the default locale's when not given."""
        return (self.names.get(locale) if locale else None) or self.name
