"""Evidence that an article answers a question, read from visits (docs/deflection.md).

A visit that searched for q, then reached article a some other way than from q's own results
(browsing, a later search, a suggestion), and voted a helpful or did not contact us within 24
hours, is evidence that a answers q. Each visitor counts once per (q, a), however often they
repeat it; events without a visit id (DNT/GPC) count nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from ..analytics.metrics import CONTACT_WINDOW
from ..models import Event
from ..search.analysis import terms

# A visit that votes more articles helpful than this is not reading, it is voting: its votes
# count nothing (a real visitor finds one answer, maybe two).
MAX_HELPFUL_VOTES_PER_VISIT = 3
# What redaction left in a question (analytics/redact.py): such a wording is about one
# customer's order or address, never a question for everybody.
REDACTED = re.compile(r"\[(?:link|email|iban|order|phone)\]")
EVIDENCE_TYPES = ("search", "view", "click", "vote", "contact_submitted")
# id, visit_id, attribution_id, type, created_at, locale, article_id, query, helpful
EvidenceRow = Row[int, str | None, str | None, str, dt.datetime, str, str | None, str | None, bool | None]


def question_key(locale: str, text: str) -> str:
    """The question with case, punctuation, diacritics, word forms and word order folded:
    'Returning  items?' and 'return item' share one key. Empty for a question to ignore."""
    if not text or REDACTED.search(text):
        return ""
    return " ".join(sorted(set(terms(locale, text))))


def wording(text: str) -> str:
    """How a question is shown: lower case, single spaces, no end punctuation."""
    return " ".join(text.casefold().split()).strip(" .,;:!?¿¡")


def most_typed(wordings: Counter[str]) -> str:
    """The wording most visitors typed; of equals the shortest, then the first alphabetically."""
    return min(wordings.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]


@dataclass
class Evidence:
    """What the visits of one locale say: (question key, article) -> the visitors who found it."""

    visitors: defaultdict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    # question key -> every visitor who gave evidence for any article, and the wordings they typed
    asked_by: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    wordings: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, key: str, text: str, article_id: str, visitor: str) -> None:
        self.visitors[(key, article_id)].add(visitor)
        if visitor not in self.asked_by[key]:
            self.asked_by[key].add(visitor)
            self.wordings[key][wording(text)] += 1


def read_evidence(session: Session, now: dt.datetime, since: dt.datetime) -> dict[str, Evidence]:
    """{locale: Evidence} from the tracked visits whose events are in [since, now]."""
    rows = session.execute(
        select(Event.id, Event.visit_id, Event.attribution_id, Event.type, Event.created_at, Event.locale,
               Event.article_id, Event.query, Event.helpful)
        .where(Event.type.in_(EVIDENCE_TYPES), Event.visit_id.is_not(None), Event.created_at >= since,
               Event.created_at <= now)
        .order_by(Event.visit_id, Event.created_at, Event.id))
    visits: defaultdict[str | None, list[EvidenceRow]] = defaultdict(list)
    contacts: defaultdict[str | None, list[dt.datetime]] = defaultdict(list)  # by visit or 24-hour id
    for row in rows:
        if row.type == "contact_submitted":
            # A contact belongs to its sitting and, through the 24-hour id, to the day before it.
            contacts[row.visit_id].append(row.created_at)
            if row.attribution_id:
                contacts[row.attribution_id].append(row.created_at)
        else:
            visits[row.visit_id].append(row)
    by_locale: dict[str, Evidence] = defaultdict(Evidence)
    for events in visits.values():
        _read_visit(events, contacts, now, by_locale)
    return by_locale


@dataclass
class _View:
    """An article opened in a visit."""

    article_id: str
    when: dt.datetime
    from_results_of: str | None  # the key of the search whose results it was opened from
    searches_before: int  # how many searches the visit made before it


def _read_visit(events: list[EvidenceRow], contacts: dict[str | None, list[dt.datetime]], now: dt.datetime,
                by_locale: dict[str, Evidence]) -> None:
    first = events[0]
    # A visitor is the 24-hour id when there is one: the same person in several sittings counts once.
    visitor = first.attribution_id or first.visit_id
    contact_times = contacts.get(first.visit_id, []) + contacts.get(first.attribution_id or "", [])
    helpful = {e.article_id for e in events if e.type == "vote" and e.helpful}
    unhelpful = {e.article_id for e in events if e.type == "vote" and e.helpful is False}
    if len(helpful) > MAX_HELPFUL_VOTES_PER_VISIT:
        helpful = set()
    searches: list[tuple[str, str, str]] = []  # (question key, text as typed, locale), in order
    views: list[_View] = []
    for event in events:
        if event.type == "search" and event.query:
            searches.append((question_key(event.locale, event.query), event.query, event.locale))
        elif event.type == "view" and event.article_id:
            views.append(_View(event.article_id, event.created_at, None, len(searches)))
        elif event.type == "click" and views and views[-1].article_id == event.article_id and searches:
            # Recorded by the same request as the view before it: that view came from the results
            # of the latest search.
            views[-1].from_results_of = searches[-1][0]
    for view in views:
        article_id, when = view.article_id, view.when
        if article_id in unhelpful:
            continue
        answered = article_id in helpful or (
            now - when >= CONTACT_WINDOW
            and not any(when <= t <= when + CONTACT_WINDOW for t in contact_times))
        if not answered:
            continue
        for key, text, locale in searches[:view.searches_before]:
            if key and key != view.from_results_of:
                by_locale[locale].add(key, text, article_id, visitor)
