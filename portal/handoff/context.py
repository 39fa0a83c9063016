"""What the visitor already tried in this visit: shown to them, sent to the agent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Event, utcnow

MAX_ITEMS = 20
LOOKBACK = dt.timedelta(hours=24)


def visit_context(session: Session, visit_id: str | None) -> list[tuple[str, str]]:
    """[("search", text) | ("article", id)] in the order they happened, without repeats."""
    if not visit_id:
        return []
    rows = session.execute(
        select(Event.type, Event.query, Event.article_id)
        .where(Event.visit_id == visit_id, Event.type.in_(("search", "view")),
               Event.created_at >= utcnow() - LOOKBACK)
        .order_by(Event.created_at, Event.id))
    items: list[tuple[str, str]] = []
    for type_, query, article_id in rows:
        kind, value = ("search", query) if type_ == "search" else ("article", article_id)
        if value and (kind, value) not in items:
            items.append((kind, value))
    return items[-MAX_ITEMS:]


def unanswered_searches(session: Session, visit_id: str | None) -> set[str]:
    """This visit's searches that search itself judged not confidently answered."""
    if not visit_id:
        return set()
    rows = session.scalars(
        select(Event.query).where(Event.visit_id == visit_id, Event.type == "search",
                                  Event.reason == "not_confident", Event.created_at >= utcnow() - LOOKBACK))
    return {query for query in rows if query}


def encode_item(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def decode_items(values: Sequence[str]) -> list[tuple[str, str]]:
    """The context items the visitor left ticked; anything malformed is dropped."""
    items = []
    for value in values[:MAX_ITEMS]:
        kind, _, rest = value.partition(":")
        if kind in ("search", "article") and rest and len(rest) <= 500 and (kind, rest) not in items:
            items.append((kind, rest))
    return items
