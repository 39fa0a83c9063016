"""Deflection metrics, computed from events (definitions: docs/deflection.md).

Visit-level facts come from one GROUP BY query; everything else is counting in Python
over those rows, which keeps the SQL identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, delete, func, or_, select

from ..models import Event

# The reason of a search event whose best answer search by meaning judged unlikely (views/search.py).
NOT_CONFIDENT = "not_confident"

CONTACT_WINDOW = dt.timedelta(hours=24)
SELF_SERVICE_TYPES = ("search", "view")


@dataclass
class Counts:
    self_service_visits: int = 0
    deflected_visits: int = 0
    confirmed_deflections: int = 0
    search_exits: int = 0
    contacts: int = 0
    searches: int = 0
    zero_result_searches: int = 0

    @property
    def deflection_rate(self) -> float | None:
        return self.deflected_visits / self.self_service_visits if self.self_service_visits else None

    @property
    def self_service_score(self) -> float | None:
        return self.self_service_visits / self.contacts if self.contacts else None

    def as_dict(self):
        return {**self.__dict__, "deflection_rate": self.deflection_rate,
                "self_service_score": self.self_service_score}


@dataclass
class Report:
    start: dt.date
    end: dt.date
    locale: str | None
    total: Counts = field(default_factory=Counts)
    by_day: dict = field(default_factory=lambda: defaultdict(Counts))
    by_locale: dict = field(default_factory=lambda: defaultdict(Counts))
    by_category: dict = field(default_factory=lambda: defaultdict(Counts))
    by_article: dict = field(default_factory=lambda: defaultdict(Counts))


def _bounds(start: dt.date, end: dt.date):
    begin = dt.datetime.combine(start, dt.time())
    return begin, dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def _locale_filter(locale):
    return [Event.locale == locale] if locale else []


def deflection_report(session, start: dt.date, end: dt.date, locale: str | None = None) -> Report:
    """Every metric of docs/deflection.md for visits whose first search or view is in [start, end]."""
    begin, finish = _bounds(start, end)
    report = Report(start, end, locale)
    is_self_service = Event.type.in_(SELF_SERVICE_TYPES)
    visits = session.execute(
        select(
            Event.visit_id,
            func.min(case((is_self_service, Event.created_at))).label("first_self_service"),
            func.min(case((Event.type == "contact_submitted", Event.created_at))).label("first_contact"),
            func.max(case((Event.type == "search", 1), else_=0)).label("searched"),
            func.max(case((Event.type == "click", 1), else_=0)).label("clicked"),
            func.max(case((and_(Event.type == "vote", Event.helpful.is_(True)), 1),
                          else_=0)).label("helpful"),
            func.min(Event.locale).label("locale"),
        )
        .where(Event.visit_id.is_not(None), Event.created_at >= begin - CONTACT_WINDOW,
               Event.created_at < finish + CONTACT_WINDOW, *_locale_filter(locale))
        .group_by(Event.visit_id)
    ).all()
    viewed = defaultdict(set)
    for visit_id, article_id, category in session.execute(
        select(Event.visit_id, Event.article_id, Event.category).distinct()
        .where(Event.type == "view", Event.visit_id.is_not(None), Event.created_at >= begin,
               Event.created_at < finish, *_locale_filter(locale))
    ):
        viewed[visit_id].add((article_id, category))

    for row in visits:
        first = row.first_self_service
        if first is None or not begin <= first < finish:
            continue
        contacted = row.first_contact is not None and abs(row.first_contact - first) <= CONTACT_WINDOW
        deflected = not contacted
        buckets = [report.total, report.by_day[first.date()], report.by_locale[row.locale]]
        buckets += [report.by_article[article] for article, _ in viewed[row.visit_id]]
        buckets += [report.by_category[category] for category in {c for _, c in viewed[row.visit_id]}]
        for counts in buckets:
            counts.self_service_visits += 1
            counts.deflected_visits += deflected
            counts.confirmed_deflections += deflected and bool(row.helpful)
            counts.search_exits += bool(row.searched) and not row.clicked and contacted

    in_range = [Event.created_at >= begin, Event.created_at < finish, *_locale_filter(locale)]
    for created_at, event_locale, type_, result_count, reason in session.execute(
        select(Event.created_at, Event.locale, Event.type, Event.result_count, Event.reason)
        .where(Event.type.in_(("contact_submitted", "search")), *in_range)
    ):
        for counts in (report.total, report.by_day[created_at.date()], report.by_locale[event_locale]):
            if type_ == "contact_submitted":
                counts.contacts += 1
            else:
                counts.searches += 1
                # Search by meaning always shows its best guesses: "not confident" is its "no result".
                counts.zero_result_searches += result_count == 0 or reason == NOT_CONFIDENT
    return report


# -- tables for editors -------------------------------------------------------------

def top_searches(session, start, end, locale=None, limit=50, zero_results_only=False):
    """(query, searches, average results) by frequency; the zero-result ones are content gaps."""
    begin, finish = _bounds(start, end)
    normalized = func.lower(Event.query)
    conditions = [Event.type == "search", Event.created_at >= begin, Event.created_at < finish,
                  *_locale_filter(locale)]
    if zero_results_only:
        conditions.append(or_(Event.result_count == 0, Event.reason == NOT_CONFIDENT))
    rows = session.execute(
        select(normalized.label("query"), func.count().label("searches"),
               func.avg(Event.result_count).label("results"))
        .where(*conditions).group_by(normalized).order_by(func.count().desc(), normalized).limit(limit))
    return [(r.query, r.searches, round(float(r.results or 0), 1)) for r in rows]


def _visit_events(session, start, end, locale, types):
    begin, finish = _bounds(start, end)
    rows = session.execute(
        select(Event.visit_id, Event.type, Event.created_at, Event.query, Event.article_id)
        .where(Event.visit_id.is_not(None), Event.type.in_(types), Event.created_at >= begin,
               Event.created_at < finish + CONTACT_WINDOW, *_locale_filter(locale))
        .order_by(Event.visit_id, Event.created_at, Event.id))
    by_visit = defaultdict(list)
    for row in rows:
        by_visit[row.visit_id].append(row)
    return by_visit


def searches_before_contact(session, start, end, locale=None, limit=50):
    """Searches of visits that then contacted support: questions the articles did not answer."""
    found = Counter()
    for events in _visit_events(session, start, end, locale, ("search", "contact_submitted")).values():
        contact = next((e.created_at for e in events if e.type == "contact_submitted"), None)
        if contact is None:
            continue
        for query in {e.query.lower() for e in events if e.type == "search" and e.query
                      and e.created_at <= contact}:
            found[query] += 1
    return found.most_common(limit)


def contacts_by_last_article(session, start, end, locale=None, limit=50):
    """For each contact, the article read just before it in the same visit."""
    found = Counter()
    for events in _visit_events(session, start, end, locale, ("view", "contact_submitted")).values():
        last_article = None
        for event in events:
            if event.type == "view":
                last_article = event.article_id
            elif last_article:
                found[last_article] += 1
    return found.most_common(limit)


def least_helpful_articles(session, start, end, locale=None, limit=50):
    """(article, yes, no, share helpful, {reason: count}) with the least helpful first."""
    begin, finish = _bounds(start, end)
    rows = session.execute(
        select(Event.article_id, Event.type, Event.helpful, Event.reason)
        .where(Event.type.in_(("vote", "vote_reason")), Event.created_at >= begin,
               Event.created_at < finish, *_locale_filter(locale)))
    votes = defaultdict(lambda: [0, 0, Counter()])
    for article_id, type_, helpful, reason in rows:
        entry = votes[article_id]
        if type_ == "vote":
            entry[0 if helpful else 1] += 1
        elif reason:
            entry[2][reason] += 1
    table = [(article, yes, no, yes / (yes + no) if yes + no else 0.0, dict(reasons))
             for article, (yes, no, reasons) in votes.items() if yes + no]
    return sorted(table, key=lambda r: (r[3], -r[2]))[:limit]


def purge_events(session, older_than: dt.datetime) -> int:
    return session.execute(delete(Event).where(Event.created_at < older_than)).rowcount
