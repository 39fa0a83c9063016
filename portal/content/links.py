"""How a relative link in an article is read: one rule for the renderer (loader.py) and the
checker (lint.py), so a link lint accepts is the link visitors get.

A relative link names a file next to the article's category folder: `../delivery/track.md`
(or without `.md`) is the article with id `delivery/track`, in the reader's language when it
exists, else in the default locale; an image path is a file under the article's locale folder.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator


def relative_path(category: str, path: str) -> str:
    """The link's path inside the locale folder, as seen from an article of `category`."""
    return posixpath.normpath(posixpath.join(category, path))


def media_file(locale: str, relative: str) -> str:
    """The linked file inside the content folder (it starts with '../' when the link leaves it)."""
    return posixpath.normpath(posixpath.join(locale, relative))


def linked_article_id(relative: str) -> str:
    """'delivery/track.md' -> 'delivery/track'; a bare category ('delivery') is its page."""
    return relative.removesuffix(".md").strip("/")


def link_locales(locale: str, default_locale: str) -> Iterator[str]:
    """Where a linked article is looked for: the linking article's language, then the default."""
    yield locale
    if default_locale != locale:
        yield default_locale
