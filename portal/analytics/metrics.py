"""Deflection metrics, computed from events (definitions: docs/deflection.md).

Visit-level facts come from one GROUP BY query; contacts are linked to the self-service
before them by visit id (the sitting) or attribution id (24 hours). Everything else is
counting in Python over those rows, which keeps the SQL identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Row, and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from ..models import Event, utcnow

# The reason of a search event whose best answer search by meaning judged unlikely (views/search.py).
NOT_CONFIDENT = "not_confident"

CONTACT_WINDOW = dt.timedelta(hours=24)
SELF_SERVICE_TYPES = ("search", "view")
# Figures that mean nothing for one article or category (a contact is not about an article).
_TOTALS_ONLY = ("contacts", "contacts_untracked", "searches", "zero_result_searches")

# What contact_journeys() reads: a contact, and a search or view before it.
ContactRow = Row[int, str | None, str | None, dt.datetime, str]
JourneyEvent = Row[int, str | None, str | None, str, dt.datetime, str | None, str | None, str | None]
# How one self-service visit ended: the arguments of Counts.add_visits after `number`.
Outcome = tuple[bool, bool, bool, bool, bool, bool]


@dataclass
class Counts:
    self_service_visits: int = 0
    deflected_visits_sitting: int = 0
    # Visits followed for a full 24 hours: an attribution id, and the window has closed.
    self_service_visits_24h: int = 0
    deflected_visits_24h: int = 0
    open_window_visits: int = 0
    unattributed_visits: int = 0
    confirmed_deflections: int = 0
    search_exits: int = 0
    contacts: int = 0
    contacts_untracked: int = 0
    contacts_after_self_service: int = 0
    searches: int = 0
    zero_result_searches: int = 0
    votes: int = 0
    helpful_votes: int = 0

    @property
    def deflection_rate_sitting(self) -> float | None:
        return _share(self.deflected_visits_sitting, self.self_service_visits)

    @property
    def deflection_rate_24h(self) -> float | None:
        return _share(self.deflected_visits_24h, self.self_service_visits_24h)

    @property
    def self_service_score(self) -> float | None:
        return self.self_service_visits / self.contacts if self.contacts else None

    @property
    def contacts_after_self_service_share(self) -> float | None:
        return _share(self.contacts_after_self_service, self.contacts - self.contacts_untracked)

    @property
    def helpful_share(self) -> float | None:
        return _share(self.helpful_votes, self.votes)

    def add_visits(self, number: int, in_sitting: bool, within_24h: bool, followed: bool, settled: bool,
                   helpful: bool, searched_only: bool) -> None:
        """`number` self-service visits with the same outcome."""
        self.self_service_visits += number
        self.deflected_visits_sitting += number * (not in_sitting)
        self.unattributed_visits += number * (not followed)
        self.open_window_visits += number * (followed and not settled)
        self.self_service_visits_24h += number * settled
        self.deflected_visits_24h += number * (settled and not within_24h)
        self.confirmed_deflections += number * (settled and not within_24h and helpful)
        self.search_exits += number * (searched_only and within_24h)

    def as_dict(self, totals: bool = True) -> dict[str, int | float | None]:
        """Every metric by its stable key (docs/deflection.md); per article or category the
        totals that cannot belong to one article are None."""
        values = {**self.__dict__, "deflection_rate_sitting": self.deflection_rate_sitting,
                  "deflection_rate_24h": self.deflection_rate_24h,
                  "self_service_score": self.self_service_score,
                  "contacts_after_self_service_share": self.contacts_after_self_service_share,
                  "helpful_share": self.helpful_share}
        if not totals:
            values.update(dict.fromkeys((*_TOTALS_ONLY, "self_service_score",
                                         "contacts_after_self_service_share")))
        return values


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


METRIC_KEYS = tuple(Counts().as_dict())


@dataclass
class Report:
    start: dt.date
    end: dt.date
    locale: str | None
    now: dt.datetime = field(default_factory=utcnow)
    total: Counts = field(default_factory=Counts)
    by_day: defaultdict[dt.date, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_locale: defaultdict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_category: defaultdict[str | None, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_article: defaultdict[str | None, Counts] = field(default_factory=lambda: defaultdict(Counts))
    # article id -> (contacts that read it in the 24 hours before, of which it was the last read)
    read_before_contact: defaultdict[str | None, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0]))
    searched_before_contact: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """The report as `analytics metrics --format json` prints it."""
        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(), "locale": self.locale,
            "computed_at": self.now.replace(microsecond=0).isoformat() + "Z",
            **self.total.as_dict(),
            "by_day": [{"day": day.isoformat(), **counts.as_dict()}
                       for day, counts in sorted(self.by_day.items())],
            "by_locale": {tag: counts.as_dict() for tag, counts in sorted(self.by_locale.items())},
            "by_category": {name: counts.as_dict(totals=False)
                            for name, counts in sorted(self.by_category.items(), key=_by_name)},
            "by_article": {name: counts.as_dict(totals=False)
                           for name, counts in sorted(self.by_article.items(), key=_by_name)},
            "articles_read_before_contact": [
                {"article": article, "contacts": read, "read_last": last}
                for article, (read, last) in self.articles_read_before_contact()],
        }

    def articles_read_before_contact(self, limit: int | None = None) -> list[tuple[str | None, list[int]]]:
        """The agent's list: articles customers read before they still contacted us, most first."""
        ranked = sorted(self.read_before_contact.items(), key=lambda item: (-item[1][0], -item[1][1],
                                                                            item[0]))
        return ranked[:limit]


def _by_name(item: tuple[str | None, Counts]) -> str:
    return item[0] or ""


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    begin = dt.datetime.combine(start, dt.time())
    return begin, dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def _locale_filter(locale: str | None) -> list[ColumnElement[bool]]:
    return [Event.locale == locale] if locale else []


def deflection_report(session: Session, start: dt.date, end: dt.date, locale: str | None = None,
                      now: dt.datetime | None = None) -> Report:
    """Every metric of docs/deflection.md for visits whose first search or view is in [start, end].

    `now` decides which visits' 24-hour windows have closed; only those count in the 24-hour figure.
    """
    begin, finish = _bounds(start, end)
    report = Report(start, end, locale, now or utcnow())
    _count_visits(session, report, begin, finish)
    _count_contacts(session, report, begin, finish)
    in_range = [Event.created_at >= begin, Event.created_at < finish, *_locale_filter(locale)]
    rows = session.execute(
        select(Event.created_at, Event.locale, Event.type, Event.result_count, Event.reason, Event.helpful,
               Event.article_id, Event.category)
        .where(Event.type.in_(("search", "vote")), *in_range))
    for created_at, event_locale, type_, result_count, reason, helpful, article_id, category in rows:
        if type_ == "search":
            for counts in (report.total, report.by_day[created_at.date()], report.by_locale[event_locale]):
                counts.searches += 1
                # Search by meaning always shows its best guesses: "not confident" is its "no result".
                counts.zero_result_searches += result_count == 0 or reason == NOT_CONFIDENT
            continue
        buckets = [report.total, report.by_day[created_at.date()], report.by_locale[event_locale]]
        if article_id:
            buckets.append(report.by_article[article_id])
        if category:
            buckets.append(report.by_category[category])
        for counts in buckets:
            counts.votes += 1
            counts.helpful_votes += bool(helpful)
    return report


def _count_visits(session: Session, report: Report, begin: dt.datetime, finish: dt.datetime) -> None:
    """Self-service visits, and whether a contact followed in the sitting and within 24 hours."""
    locale = _locale_filter(report.locale)
    window = [Event.visit_id.is_not(None), Event.created_at >= begin - CONTACT_WINDOW,
              Event.created_at < finish + CONTACT_WINDOW]
    is_self_service = Event.type.in_(SELF_SERVICE_TYPES)
    visits = session.execute(
        select(
            Event.visit_id,
            func.min(case((is_self_service, Event.created_at))).label("first_self_service"),
            func.max(case((Event.type == "search", 1), else_=0)).label("searched"),
            func.max(case((Event.type == "click", 1), else_=0)).label("clicked"),
            func.max(case((and_(Event.type == "vote", Event.helpful.is_(True)), 1),
                          else_=0)).label("helpful"),
            func.min(Event.locale).label("locale"),
            # A visit has one attribution id, or two when the 24-hour cookie expired during it.
            func.min(case((is_self_service, Event.attribution_id))).label("attribution_first"),
            func.max(case((is_self_service, Event.attribution_id))).label("attribution_last"),
        )
        .where(*window, *locale)
        .group_by(Event.visit_id)
    ).all()
    # A contact is a contact whatever language its form was in: no locale filter here.
    contacts_of_visit: defaultdict[str | None, list[dt.datetime]] = defaultdict(list)
    contacts_of_attribution: defaultdict[str, list[dt.datetime]] = defaultdict(list)
    for visit_id, attribution_id, created_at in session.execute(
        select(Event.visit_id, Event.attribution_id, Event.created_at)
        .where(Event.type == "contact_submitted", *window)
    ):
        contacts_of_visit[visit_id].append(created_at)
        if attribution_id:
            contacts_of_attribution[attribution_id].append(created_at)
    viewed: defaultdict[str | None, set[tuple[str | None, str | None]]] = defaultdict(set)
    for visit_id, article_id, category in session.execute(
        select(Event.visit_id, Event.article_id, Event.category).distinct()
        .where(Event.type == "view", Event.visit_id.is_not(None), Event.created_at >= begin,
               Event.created_at < finish, *locale)
    ):
        viewed[visit_id].add((article_id, category))

    # Visits are tallied by (bucket, outcome) first: one Counter update per bucket instead of
    # eight attribute updates keeps the report fast on months of traffic.
    outcomes: Counter[tuple[str, object, Outcome]] = Counter()
    empty: tuple[()] = ()
    for row in visits:
        first = row.first_self_service
        if first is None or not begin <= first < finish:
            continue
        ids = {row.attribution_first, row.attribution_last} - {None}
        in_sitting = any(abs(t - first) <= CONTACT_WINDOW for t in contacts_of_visit.get(row.visit_id, empty))
        within_24h = in_sitting or any(first <= t <= first + CONTACT_WINDOW
                                       for a in ids for t in contacts_of_attribution.get(a, empty))
        outcome: Outcome = (in_sitting, within_24h, bool(ids),
                            bool(ids) and first + CONTACT_WINDOW <= report.now,
                            bool(row.helpful), bool(row.searched) and not row.clicked)
        seen = viewed.get(row.visit_id, empty)
        outcomes[("total", None, outcome)] += 1
        outcomes[("day", first.date(), outcome)] += 1
        outcomes[("locale", row.locale, outcome)] += 1
        for article, _ in seen:
            outcomes[("article", article, outcome)] += 1
        for category in {c for _, c in seen if c}:
            outcomes[("category", category, outcome)] += 1
    for (kind, key, outcome), visits_count in outcomes.items():
        counts = report.total if kind == "total" else getattr(report, f"by_{kind}")[key]
        counts.add_visits(visits_count, *outcome)


def _count_contacts(session: Session, report: Report, begin: dt.datetime, finish: dt.datetime) -> None:
    """Contacts, and what the same browser searched and read in the 24 hours before each."""
    for contact, before in contact_journeys(session, begin, finish, report.locale):
        buckets = [report.total, report.by_day[contact.created_at.date()], report.by_locale[contact.locale]]
        for counts in buckets:
            counts.contacts += 1
            counts.contacts_untracked += contact.visit_id is None
            counts.contacts_after_self_service += bool(before)
        views = [event for event in before if event.type == "view" and event.article_id]
        for article_id in {event.article_id for event in views}:
            report.read_before_contact[article_id][0] += 1
            report.by_article[article_id].contacts_after_self_service += 1
        for category in {event.category for event in views if event.category}:
            report.by_category[category].contacts_after_self_service += 1
        if views:
            report.read_before_contact[views[-1].article_id][1] += 1
        for query in {event.query.lower() for event in before if event.type == "search" and event.query}:
            report.searched_before_contact[query] += 1


def contact_journeys(session: Session, begin: dt.datetime, finish: dt.datetime, locale: str | None = None,
                     ) -> list[tuple[ContactRow, list[JourneyEvent]]]:
    """[(contact event, [searches and views of the same visit or attribution id in the 24 hours
    before it, oldest first])] for contacts sent in [begin, finish)."""
    in_range = [Event.type == "contact_submitted", Event.created_at >= begin,
                Event.created_at < finish, *_locale_filter(locale)]
    contacts = session.execute(
        select(Event.id, Event.visit_id, Event.attribution_id, Event.created_at, Event.locale)
        .where(*in_range).order_by(Event.created_at, Event.id)).all()
    tracked_visits = select(Event.visit_id).where(*in_range, Event.visit_id.is_not(None))
    tracked_attributions = select(Event.attribution_id).where(*in_range, Event.attribution_id.is_not(None))
    by_visit: defaultdict[str | None, list[JourneyEvent]] = defaultdict(list)
    by_attribution: defaultdict[str, list[JourneyEvent]] = defaultdict(list)
    for event in session.execute(
        select(Event.id, Event.visit_id, Event.attribution_id, Event.type, Event.created_at,
               Event.article_id, Event.category, Event.query)
        .where(Event.type.in_(SELF_SERVICE_TYPES), Event.created_at >= begin - CONTACT_WINDOW,
               Event.created_at < finish,
               or_(Event.visit_id.in_(tracked_visits), Event.attribution_id.in_(tracked_attributions)))
        .order_by(Event.created_at, Event.id)
    ):
        by_visit[event.visit_id].append(event)
        if event.attribution_id:
            by_attribution[event.attribution_id].append(event)
    journeys = []
    for contact in contacts:
        candidates = by_visit.get(contact.visit_id, []) if contact.visit_id else []
        if contact.attribution_id:
            candidates = candidates + by_attribution.get(contact.attribution_id, [])
        seen: set[int] = set()
        before: list[JourneyEvent] = []
        for event in sorted(candidates, key=lambda e: (e.created_at, e.id)):
            if event.id not in seen and contact.created_at - CONTACT_WINDOW <= event.created_at \
                    <= contact.created_at:
                seen.add(event.id)
                before.append(event)
        journeys.append((contact, before))
    return journeys


# -- tables for editors -------------------------------------------------------------

def top_searches(session: Session, start: dt.date, end: dt.date, locale: str | None = None, limit: int = 50,
                 zero_results_only: bool = False) -> list[tuple[str, int, float]]:
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


@dataclass
class _ArticleVotes:
    yes: int = 0
    no: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def least_helpful_articles(session: Session, start: dt.date, end: dt.date, locale: str | None = None,
                           limit: int = 50) -> list[tuple[str | None, int, int, float, dict[str, int]]]:
    """(article, yes, no, share helpful, {reason: count}) with the least helpful first."""
    begin, finish = _bounds(start, end)
    rows = session.execute(
        select(Event.article_id, Event.type, Event.helpful, Event.reason)
        .where(Event.type.in_(("vote", "vote_reason")), Event.created_at >= begin,
               Event.created_at < finish, *_locale_filter(locale)))
    votes: defaultdict[str | None, _ArticleVotes] = defaultdict(_ArticleVotes)
    for article_id, type_, helpful, reason in rows:
        entry = votes[article_id]
        if type_ == "vote":
            if helpful:
                entry.yes += 1
            else:
                entry.no += 1
        elif reason:
            entry.reasons[reason] += 1
    table = [(article, tally.yes, tally.no, tally.yes / (tally.yes + tally.no), dict(tally.reasons))
             for article, tally in votes.items() if tally.yes + tally.no]
    return sorted(table, key=lambda r: (r[3], -r[2]))[:limit]


def purge_events(session: Session, older_than: dt.datetime) -> int:
    # A DELETE gives a CursorResult; Session.execute() is typed for any statement, so says Result.
    result = cast(CursorResult[Any], session.execute(delete(Event).where(Event.created_at < older_than)))
    return result.rowcount
