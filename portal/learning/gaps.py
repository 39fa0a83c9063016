"""Content gaps: the questions search could not answer, grouped, with what those visitors did next.

A search is unanswered when it found nothing, when search by meaning was not confident of its
best answer, or when the visit sent a contact request after it. Questions are grouped by their
folded words (evidence.question_key), and by meaning with the search embedder when it is on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import Session

from ..analytics.metrics import NOT_CONFIDENT
from ..models import Event
from ..search.analysis import terms
from .evidence import REDACTED, most_typed, wording
from .grouping import leaders

if TYPE_CHECKING:
    from ..search.embedding import Embedder

EXAMPLES = 3
# id, visit_id, type, created_at, locale, article_id, query, result_count, reason
GapRow = Row[int, str | None, str, dt.datetime, str, str | None, str | None, int | None, str | None]


@dataclass
class Gap:
    locale: str
    visits: int = 0
    wordings: Counter[str] = field(default_factory=Counter)
    per_day: Counter[dt.date] = field(default_factory=Counter)  # date -> visits
    read_next: Counter[str] = field(default_factory=Counter)  # article id -> visits that read it after
    contacted: Counter[str] = field(default_factory=Counter)  # channel -> visits that contacted us after

    @property
    def question(self) -> str:
        return most_typed(self.wordings)

    @property
    def examples(self) -> list[str]:
        return [text for text, _ in sorted(self.wordings.items(), key=lambda i: (-i[1], len(i[0]), i[0]))
                ][:EXAMPLES]

    def trend(self, start: dt.date, end: dt.date) -> int:
        """Visits in the second half of the period minus those in the first."""
        middle = start + (end - start) / 2
        return sum(n if day > middle else -n for day, n in self.per_day.items())

    def merge(self, other: Gap) -> None:
        self.visits += other.visits
        self.wordings.update(other.wordings)
        self.per_day.update(other.per_day)
        self.read_next.update(other.read_next)
        self.contacted.update(other.contacted)


def gap_key(locale: str, text: str) -> str:
    """Like question_key, but a redacted question is a gap too: its placeholders are left out."""
    return " ".join(sorted(set(terms(locale, REDACTED.sub(" ", text))))) or wording(text)


def content_gaps(session: Session, begin: dt.datetime, finish: dt.datetime, locale: str | None = None,
                 embedder: Embedder | None = None, limit: int = 50) -> list[Gap]:
    """Unanswered questions asked in [begin, finish), most visits first."""
    conditions: list[ColumnElement[bool]] = [
        Event.created_at >= begin, Event.created_at < finish,
        Event.type.in_(("search", "view", "contact_submitted"))]
    if locale:
        conditions.append(Event.locale == locale)
    rows = session.execute(
        select(Event.id, Event.visit_id, Event.type, Event.created_at, Event.locale, Event.article_id,
               Event.query, Event.result_count, Event.reason)
        .where(*conditions).order_by(Event.visit_id, Event.created_at, Event.id))
    visits: defaultdict[str, list[GapRow]] = defaultdict(list)
    for row in rows:
        # Untracked events (DNT/GPC) are each their own visit: counted, never linked.
        visits[row.visit_id or f"untracked-{row.id}"].append(row)
    gaps: dict[tuple[str, str], Gap] = {}
    for events in visits.values():
        _read_visit(events, gaps)
    return _grouped(gaps, embedder)[:limit]


def _read_visit(events: list[GapRow], gaps: dict[tuple[str, str], Gap]) -> None:
    seen: set[tuple[str, str]] = set()
    for index, event in enumerate(events):
        if event.type != "search" or not event.query:
            continue
        later = events[index + 1:]
        contacted = [e.reason or "form" for e in later if e.type == "contact_submitted"]
        if not (event.result_count == 0 or event.reason == NOT_CONFIDENT or contacted):
            continue
        key = (event.locale, gap_key(event.locale, event.query))
        if key in seen:
            continue  # one visit counts once per question
        seen.add(key)
        gap = gaps.setdefault(key, Gap(event.locale))
        gap.visits += 1
        gap.wordings[wording(event.query)] += 1
        gap.per_day[event.created_at.date()] += 1
        gap.read_next.update({e.article_id for e in later if e.type == "view" and e.article_id})
        gap.contacted.update(set(contacted))


def _grouped(gaps: dict[tuple[str, str], Gap], embedder: Embedder | None) -> list[Gap]:
    ranked = sorted(gaps.values(), key=lambda gap: (-gap.visits, gap.locale, gap.question))
    if embedder is not None:
        merged: list[Gap] = []
        for locale in sorted({gap.locale for gap in ranked}):
            here = [gap for gap in ranked if gap.locale == locale]
            heads = leaders([gap.question for gap in here], embedder)
            for gap, head in zip(here, heads, strict=True):
                if here[head] is not gap:
                    here[head].merge(gap)
            merged += [gap for gap, head in zip(here, heads, strict=True) if here[head] is gap]
        ranked = sorted(merged, key=lambda gap: (-gap.visits, gap.locale, gap.question))
    return ranked
