"""Plain, immutable objects for a loaded help centre. No Flask, no I/O."""

from __future__ import annotations

import datetime as dt
import zlib
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


class _Text:
    """An article's `body_text` or `html`: both are kept in one zlib stream and given back as str
    when read.

    They are most of a loaded help centre (124 MB as Python strings for 40,000 articles) and share
    most of their words, so one stream of both takes a third of that (a sixth on the demo's).
    Every worker forked from the master pays its part of what the master holds, and an article's
    text is read far less often than it is kept (pages are cached once rendered, the index holds
    what search reads)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, article: object, owner: type | None = None) -> str:
        if article is None:
            raise AttributeError(self.name)  # read on the class: a field without a default
        return unpack_texts(packed(article))[self.name == "html"]

    def __set__(self, article: object, text: str) -> None:
        # The frozen dataclass's __init__ sets body_text, then html (their order in Article); its
        # __setattr__ refuses any later change. body_text waits in the slot until html joins it.
        if self.name == "body_text":
            object.__setattr__(article, "_texts", text)
        else:
            body_text: str = object.__getattribute__(article, "_texts")
            object.__setattr__(article, "_texts", pack_texts(body_text, text))


def pack_texts(body_text: str, html: str) -> bytes:
    body = body_text.encode()
    return zlib.compress(len(body).to_bytes(4, "little") + body + html.encode(), 6)


def unpack_texts(data: bytes) -> tuple[str, str]:
    """(body_text, html) from pack_texts' bytes."""
    texts = zlib.decompress(data)
    split = 4 + int.from_bytes(texts[:4], "little")
    return texts[4:split].decode(), texts[split:].decode()


def packed(article: object) -> bytes:
    """An article's body_text and html as pack_texts wrote them: the same object on every read,
    so a cache can key on it without holding a copy of the text."""
    data: bytes = object.__getattribute__(article, "_texts")
    return data


@dataclass(frozen=True)
class Article:
    id: str  # "returns/return-an-item": the same in every locale
    locale: str
    category: str
    title: str
    slug: str
    description: str
    body_text: _Text = _Text()  # Markdown source without front matter, for search and snippets
    html: _Text = _Text()
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
