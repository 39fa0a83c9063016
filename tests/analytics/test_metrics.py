"""Deflection metrics (docs/deflection.md) from scripted visits, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.analytics.metrics import (
    METRIC_KEYS,
    deflection_report,
    least_helpful_articles,
    top_searches,
)
from portal.analytics.recorder import EventRecorder
from portal.db import Database
from portal.models import Event

DAY = dt.date(2026, 11, 2)
T0 = dt.datetime(2026, 11, 2, 10, 0)
LATER = T0 + dt.timedelta(days=3)  # every 24-hour window of DAY has closed


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.engine.dispose()


def store(db, *events):
    assert EventRecorder(db).write([dict(e) for e in events])


def event(type_, visit, minutes, locale="en", attribution="default", **fields):
    """An event; its attribution id is the visit's first letter repeated unless given."""
    if attribution == "default":
        attribution = visit[0] * 31 + "0" if visit else None
    return {"type": type_, "visit_id": visit, "attribution_id": attribution, "created_at": at(minutes),
            "locale": locale, **fields}


@pytest.fixture
def two_visits(db):
    """A self-served visit and one that found nothing and contacted support."""
    store(db,
          event("search", "a" * 32, 0, query="where is my parcel", result_count=5),
          event("click", "a" * 32, 1, article_id="delivery/track", category="delivery", position=1),
          event("view", "a" * 32, 1, article_id="delivery/track", category="delivery"),
          event("vote", "a" * 32, 3, article_id="delivery/track", category="delivery", helpful=True),
          event("search", "b" * 32, 5, locale="sv", query="reklamera jacka", result_count=0),
          event("contact_submitted", "b" * 32, 9, locale="sv"))
    return db


def report(db, now=LATER, **kwargs):
    with db.session() as session:
        return deflection_report(session, DAY, DAY, now=now, **kwargs)


def test_scripted_visits_give_exactly_the_expected_metrics(two_visits):
    total = report(two_visits).total
    assert total.as_dict() == {
        "self_service_visits": 2, "deflected_visits_sitting": 1,
        "self_service_visits_24h": 2, "deflected_visits_24h": 1, "open_window_visits": 0,
        "unattributed_visits": 0, "confirmed_deflections": 1, "search_exits": 1,
        "contacts": 1, "contacts_untracked": 0, "contacts_after_self_service": 1,
        "searches": 2, "zero_result_searches": 1, "votes": 1, "helpful_votes": 1,
        "deflection_rate_sitting": 0.5, "deflection_rate_24h": 0.5, "self_service_score": 2.0,
        "contacts_after_self_service_share": 1.0, "helpful_share": 1.0,
    }
    assert tuple(total.as_dict()) == METRIC_KEYS


def test_metrics_per_day_locale_category_and_article(two_visits):
    result = report(two_visits)
    assert result.by_day[DAY].deflected_visits_24h == 1
    assert result.by_locale["en"].deflection_rate_24h == 1.0
    assert result.by_locale["sv"].deflection_rate_24h == 0.0
    assert result.by_locale["sv"].contacts == 1 and result.by_locale["sv"].zero_result_searches == 1
    assert result.by_category["delivery"].confirmed_deflections == 1
    assert result.by_article["delivery/track"].self_service_visits == 1


def test_locale_filter(two_visits):
    assert report(two_visits, locale="sv").total.self_service_visits == 1
    assert report(two_visits, locale="sv").total.deflected_visits_24h == 0


def test_contact_within_24_hours_is_not_deflected_but_later_is(db):
    store(db,
          event("view", "c" * 32, 0, article_id="returns/x", category="returns"),
          event("contact_submitted", "c" * 32, 23 * 60),
          event("view", "d" * 32, 0, article_id="returns/x", category="returns"),
          event("contact_submitted", "d" * 32, 25 * 60))
    total = report(db).total
    assert (total.self_service_visits, total.deflected_visits_sitting,
            total.deflected_visits_24h) == (2, 1, 1)


def test_contact_without_self_service_is_not_a_self_service_visit(db):
    store(db, event("contact_submitted", "e" * 32, 0), event("contact_opened", "f" * 32, 0))
    total = report(db).total
    assert total.self_service_visits == 0 and total.contacts == 1
    assert total.deflection_rate_sitting is None and total.deflection_rate_24h is None
    assert total.self_service_score == 0.0 and total.contacts_after_self_service == 0


def test_search_with_click_then_contact_is_not_a_search_exit(db):
    store(db,
          event("search", "g" * 32, 0, query="refund", result_count=3),
          event("click", "g" * 32, 1, article_id="returns/refund", position=2),
          event("contact_submitted", "g" * 32, 5))
    total = report(db).total
    assert total.search_exits == 0 and total.deflected_visits_24h == 0


def test_anonymous_events_count_only_in_totals(db):
    store(db, event("search", None, 0, query="parcel", result_count=0), event("contact_submitted", None, 1))
    total = report(db).total
    assert total.self_service_visits == 0
    assert (total.searches, total.zero_result_searches, total.contacts) == (1, 1, 1)
    assert total.contacts_untracked == 1 and total.contacts_after_self_service_share is None


def test_visits_outside_the_range_are_left_out(db):
    store(db, event("view", "h" * 32, -24 * 60, article_id="a/b"))
    assert report(db).total.self_service_visits == 0


def test_editor_tables(two_visits, db):
    store(db,
          event("view", "i" * 32, 20, article_id="returns/refund", category="returns"),
          event("vote", "i" * 32, 21, article_id="returns/refund", helpful=False),
          event("vote_reason", "i" * 32, 22, article_id="returns/refund", reason="incomplete"),
          event("contact_submitted", "i" * 32, 25),
          event("search", "j" * 32, 30, query="Where is my parcel", result_count=5))
    result = report(db)
    assert result.searched_before_contact.most_common() == [("reklamera jacka", 1)]
    assert result.articles_read_before_contact() == [("returns/refund", [1, 1])]
    with db.session() as session:
        assert top_searches(session, DAY, DAY)[0] == ("where is my parcel", 2, 5.0)
        assert top_searches(session, DAY, DAY, zero_results_only=True) == [("reklamera jacka", 1, 0.0)]
        least = least_helpful_articles(session, DAY, DAY)
        assert least[0] == ("returns/refund", 0, 1, 0.0, {"incomplete": 1})
        assert least[1] == ("delivery/track", 1, 0, 1.0, {})


def test_events_are_stored_as_given(db):
    store(db, event("search", "k" * 32, 0, query="x", result_count=1))
    with db.session() as session:
        stored = session.query(Event).one()
        assert (stored.type, stored.visit_id, stored.query) == ("search", "k" * 32, "x")
        assert stored.created_at == T0


# -- the 24-hour window against a plain reading of docs/deflection.md ----------------------

def test_contact_from_the_same_browser_in_another_sitting_counts_within_24_hours(db):
    store(db,
          event("view", "m" * 32, 0, article_id="returns/x", category="returns", attribution="1" * 32),
          event("contact_submitted", "n" * 32, 60, attribution="1" * 32),
          # A contact sent before the reading does not un-deflect it.
          event("contact_submitted", "o" * 32, 100, attribution="2" * 32),
          event("view", "p" * 32, 120, article_id="returns/x", category="returns", attribution="2" * 32))
    result = report(db)
    total = result.total
    assert (total.self_service_visits, total.deflected_visits_sitting,
            total.deflected_visits_24h) == (2, 2, 1)
    assert (total.contacts, total.contacts_after_self_service) == (2, 1)
    assert result.by_article["returns/x"].contacts_after_self_service == 1
    assert result.by_category["returns"].deflection_rate_24h == 0.5


def test_visits_without_attribution_are_left_out_of_the_24_hour_figure(db):
    store(db, event("view", "q" * 32, 0, article_id="a/b", attribution=None),
          event("view", "r" * 32, 0, article_id="a/b"))
    total = report(db).total
    assert (total.self_service_visits, total.unattributed_visits, total.self_service_visits_24h) == (2, 1, 1)
    assert total.deflection_rate_sitting == 1.0 and total.deflection_rate_24h == 1.0


def test_votes_give_satisfaction_per_article_category_and_locale(db):
    store(db,
          event("vote", "s" * 32, 0, article_id="returns/x", category="returns", helpful=True),
          event("vote", "t" * 32, 1, article_id="returns/x", category="returns", helpful=False),
          event("vote", "u" * 32, 2, locale="sv", article_id="returns/y", category="returns", helpful=True))
    result = report(db)
    assert (result.by_article["returns/x"].votes, result.by_article["returns/x"].helpful_share) == (2, 0.5)
    assert (result.by_category["returns"].votes, result.by_category["returns"].helpful_votes) == (3, 2)
    assert result.by_locale["sv"].helpful_share == 1.0 and result.total.helpful_share == pytest.approx(2 / 3)
    assert result.as_dict()["by_article"]["returns/x"]["contacts"] is None


VISITS = "vwxyz"


def reference(events, now):
    """docs/deflection.md read literally, one visit at a time (the events lie within the day
    and the 24 hours either side of it, the stretch a report reads)."""
    window = dt.timedelta(hours=24)
    begin = dt.datetime.combine(DAY, dt.time())
    sitting = twenty_four = followed = 0
    for visit in {e["visit_id"] for e in events if e["visit_id"]}:
        own = [e for e in events if e["visit_id"] == visit]
        reads = [e for e in own if e["type"] in ("search", "view")]
        if not reads:
            continue
        first = min(e["created_at"] for e in reads)
        if not begin <= first < begin + dt.timedelta(days=1):
            continue
        ids = {e["attribution_id"] for e in reads if e["attribution_id"]}
        in_visit = any(abs(e["created_at"] - first) <= window
                       for e in own if e["type"] == "contact_submitted")
        later = any(e["type"] == "contact_submitted" and e["attribution_id"] in ids
                    and first <= e["created_at"] <= first + window for e in events)
        sitting += not in_visit
        if ids and first + window <= now:
            followed += 1
            twenty_four += not (in_visit or later)
    return sitting, followed, twenty_four


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(st.tuples(st.sampled_from(["search", "view", "contact_submitted", "vote"]),
                                 st.sampled_from(VISITS + "-"), st.sampled_from("12-"),
                                 st.integers(-20 * 60, 37 * 60)), max_size=14),
       now_hours=st.integers(0, 70))
def test_the_24_hour_figure_follows_the_definition_and_never_exceeds_the_sitting_one(db, script, now_hours):
    with db.engine.begin() as connection:
        connection.execute(Event.__table__.delete())
    events = [event(type_, visit * 32 if visit != "-" else None, minutes,
                    attribution=attribution * 32 if attribution != "-" and visit != "-" else None,
                    article_id="returns/x", category="returns", helpful=True)
              for type_, visit, attribution, minutes in script]
    if events:
        store(db, *events)
    now = T0 + dt.timedelta(hours=now_hours)
    total = report(db, now=now).total
    assert (total.deflected_visits_sitting, total.self_service_visits_24h,
            total.deflected_visits_24h) == reference(events, now)
    assert total.self_service_visits == (total.self_service_visits_24h + total.open_window_visits
                                         + total.unattributed_visits)
    assert total.deflected_visits_24h <= total.deflected_visits_sitting
    assert total.contacts_after_self_service <= total.contacts - total.contacts_untracked


def test_a_search_without_a_confident_answer_counts_as_a_content_gap(db):
    store(db,
          event("search", "k" * 32, 0, query="early exit penalty", result_count=4, reason="not_confident"),
          event("search", "k" * 32, 1, query="track parcel", result_count=3))
    assert (report(db).total.searches, report(db).total.zero_result_searches) == (2, 1)
    with db.session() as session:
        assert top_searches(session, DAY, DAY, zero_results_only=True) == [("early exit penalty", 1, 4.0)]
