"""A new article file for editors: `flask --app portal content new CATEGORY/SLUG`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml

from .loader import CATEGORY_FILE, CATEGORY_ID, SLUG, load_site_file

ARTICLE_TEMPLATE = """\
---
title: {title}
description:  # one sentence for search results; when empty, the first paragraph is used
questions:  # other ways customers ask this: one per line below, each starting with "  - "
  # - where is my parcel
tags: []
updated: {updated}
{draft}---
Write the answer here, the most important sentence first.
"""


class ScaffoldError(Exception):
    pass


def new_article(content_dir: str | Path, spec: str, title: str | None = None, draft: bool = True,
                today: dt.date | None = None) -> Path:
    """Write `<default locale>/<category>/<slug>.md`; a new category gets a `_category.yml` too."""
    content_dir = Path(content_dir)
    site, problems = load_site_file(content_dir)
    if site is None:
        raise ScaffoldError(str(problems[0]))
    category, _, slug = spec.strip().strip("/").removesuffix(".md").partition("/")
    if not CATEGORY_ID.match(category) or not slug:
        raise ScaffoldError(f"'{spec}' is not CATEGORY/SLUG: write e.g. returns/return-an-item "
                            "(lowercase letters, digits and '-')")
    if not SLUG.match(slug) or "/" in slug:
        raise ScaffoldError(f"'{slug}' may hold only letters, digits and '-'")
    folder = content_dir / site.default_locale / category
    path = folder / f"{slug}.md"
    if path.exists():
        raise ScaffoldError(f"{path.relative_to(content_dir).as_posix()} already exists")
    if not folder.is_dir():
        folder.mkdir(parents=True)
        (folder / CATEGORY_FILE).write_text(
            f"title: {category.replace('-', ' ').capitalize()}\ndescription:\n", "utf-8")
    title = title or slug.replace("-", " ").capitalize()
    path.write_text(ARTICLE_TEMPLATE.format(
        title=title if _reads_back(title) else json.dumps(title, ensure_ascii=False),
        updated=(today or dt.date.today()).isoformat(),
        draft="draft: true  # delete this line to publish\n" if draft else ""), "utf-8")
    return path


def _reads_back(value: str) -> bool:
    """True when `title: value` is YAML for exactly this text, so it needs no quotes."""
    try:
        return bool(yaml.safe_load(f"title: {value}") == {"title": value})
    except yaml.YAMLError:
        return False
