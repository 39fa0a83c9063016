"""The help centre learns from its visitors (docs/deflection.md, "Learned questions").

Questions that visitors asked before they found an article some other way become proposed
questions for that article; editors accept or reject them in /admin/questions or with
`flask --app portal learn`; accepted ones are searched like the article's own `questions:`
from the next index build on.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..content import get_content
from ..search import SearchUnavailable, get_search
from . import proposals
from .grouping import merge_by_meaning

if TYPE_CHECKING:
    from ..db import Database

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    database = app.extensions["db"]
    search = app.extensions.get("search")
    if search is not None:
        search.learned_questions = lambda: accepted_questions(database)
    from . import cli

    app.cli.add_command(cli.learn_cli)


def accepted_questions(database: Database) -> dict[tuple[str, str], list[str]]:
    """The accepted questions per (locale, article); none when the database is down (the build
    must still work: the questions join at the next one)."""
    try:
        with database.session() as session:
            return proposals.accepted_questions(session)
    except SQLAlchemyError as error:
        log.warning("learned questions are left out of this index build: %s", error)
        return {}


def refresh_proposals(session: Session) -> int:
    """Proposals up to date with the events of the last LEARN_WINDOW_DAYS (the analytics clock)."""
    config = current_app.config
    content = get_content()
    search = current_app.extensions.get("search")
    embedder = search.embedder if search is not None and search.semantic else None
    return proposals.refresh(
        session, now=current_app.extensions["analytics"].clock(),
        window=dt.timedelta(days=int(config["LEARN_WINDOW_DAYS"])),
        min_visits=int(config["LEARN_MIN_VISITS"]),
        article_exists=lambda locale, article_id: content.article_by_id(locale, article_id) is not None,
        found_first=_found_first,
        group=(lambda locale, evidence: merge_by_meaning(evidence, embedder)) if embedder else None)


def _found_first(locale: str, query: str, article_id: str) -> bool:
    """Whether search already answers `query` with this article first."""
    try:
        hits = get_search().query(locale, query, limit=1).hits
    except SearchUnavailable:
        return False
    return bool(hits) and hits[0].article_id == article_id
