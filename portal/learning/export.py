"""Accepted questions written into the articles' front matter, for content kept in git."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..content import get_content
from ..models import LearnedQuestion, utcnow
from .proposals import ACCEPTED, EXPORTED


class FrontMatterError(Exception):
    pass


def add_questions(text: str, questions: list[str]) -> tuple[str, int]:
    """`text` with `questions` appended to its front matter `questions:` (those not there yet);
    every other line stays as written. Returns the text and how many were added."""
    newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].lstrip("\ufeff").strip() != "---":
        raise FrontMatterError("the file has no front matter")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise FrontMatterError("the front matter is not closed by a '---' line")
    meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    present = [str(q) for q in meta.get("questions") or []]
    known = {" ".join(q.casefold().split()) for q in present}
    new = [q for q in dict.fromkeys(questions) if " ".join(q.casefold().split()) not in known]
    if not new:
        return text, 0
    block = ["questions:"] + [f"  - {_scalar(q)}" for q in (*present, *new)]
    for index in range(1, end):
        if re.match(r"questions\s*:", lines[index]):
            following = index + 1
            while following < end and (lines[following][:1] in (" ", "\t", "-")):
                following += 1  # the list's items, indented or not
            lines[index:following] = block
            break
    else:
        lines[end:end] = block
    return newline.join(lines), len(new)


def _scalar(value: str) -> str:
    """A list item YAML reads back as this very string."""
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


def export_questions(session: Session, content_dir: str | Path) -> tuple[list[tuple[str, int]], list[str]]:
    """Write every accepted question into its article's file; ([(path, added)], [problem])."""
    content = get_content()
    by_article: defaultdict[tuple[str, str], list[LearnedQuestion]] = defaultdict(list)
    for question in session.scalars(select(LearnedQuestion).where(LearnedQuestion.status == ACCEPTED)
                                    .order_by(LearnedQuestion.id)):
        by_article[(question.locale, question.article_id)].append(question)
    written: list[tuple[str, int]] = []
    problems: list[str] = []
    for (locale, article_id), questions in sorted(by_article.items()):
        article = content.article_by_id(locale, article_id)
        if article is None or not article.path:
            problems.append(f"{locale}/{article_id}: no such article; its questions stay accepted")
            continue
        path = Path(content_dir) / article.path
        try:
            text, added = add_questions(path.read_text("utf-8"), [q.query for q in questions])
            if added:
                path.write_text(text, "utf-8", newline="")
        except (OSError, FrontMatterError, yaml.YAMLError) as error:
            problems.append(f"{article.path}: {error}; its questions stay accepted")
            continue
        for question in questions:
            question.status, question.decided_at = EXPORTED, utcnow()
        written.append((article.path, added))
    return written, problems
