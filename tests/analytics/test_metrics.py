"""Deflection metrics (docs/deflection.md) from scripted visits, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.analytics.metrics import (
    contacts_by_last_article,
    deflection_report,
    least_helpful_articles,
    searches_before_contact,
    top_searches,
)
from portal.analytics.recorder import EventRecorder
from portal.db import Database
from portal.models import Event

DAY = dt.date(2026, 11, 2)
T0 = dt.datetime(2026, 11, 2, 10, 0)


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.engine.dispose()


def store(db, *events):
    assert EventRecorder(db).write([dict(e) for e in events])


def event(type_, visit, minutes, locale="en", **fields):
    return {"type": type_, "visit_id": visit, "created_at": at(minutes), "locale": locale, **fields}


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


def report(db, **kwargs):
    with db.session() as session:
        return deflection_report(session, DAY, DAY, **kwargs)


def test_scripted_visits_give_exactly_the_expected_metrics(two_visits):
    total = report(two_visits).total
    assert total.as_dict() == {
        "self_service_visits": 2, "deflected_visits": 1, "confirmed_deflections": 1, "search_exits": 1,
        "contacts": 1, "searches": 2, "zero_result_searches": 1,
        "deflection_rate": 0.5, "self_service_score": 2.0,
    }


def test_metrics_per_day_locale_category_and_article(two_visits):
    result = report(two_visits)
    assert result.by_day[DAY].deflected_visits == 1
    assert result.by_locale["en"].deflection_rate == 1.0
    assert result.by_locale["sv"].deflection_rate == 0.0
    assert result.by_locale["sv"].contacts == 1 and result.by_locale["sv"].zero_result_searches == 1
    assert result.by_category["delivery"].confirmed_deflections == 1
    assert result.by_article["delivery/track"].self_service_visits == 1


def test_locale_filter(two_visits):
    assert report(two_visits, locale="sv").total.self_service_visits == 1
    assert report(two_visits, locale="sv").total.deflected_visits == 0


def test_contact_within_24_hours_is_not_deflected_but_later_is(db):
    store(db,
          event("view", "c" * 32, 0, article_id="returns/x", category="returns"),
          event("contact_submitted", "c" * 32, 23 * 60),
          event("view", "d" * 32, 0, article_id="returns/x", category="returns"),
          event("contact_submitted", "d" * 32, 25 * 60))
    total = report(db).total
    assert (total.self_service_visits, total.deflected_visits) == (2, 1)


def test_contact_without_self_service_is_not_a_self_service_visit(db):
    store(db, event("contact_submitted", "e" * 32, 0), event("contact_opened", "f" * 32, 0))
    total = report(db).total
    assert total.self_service_visits == 0 and total.contacts == 1
    assert total.deflection_rate is None and total.self_service_score == 0.0


def test_search_with_click_then_contact_is_not_a_search_exit(db):
    store(db,
          event("search", "g" * 32, 0, query="refund", result_count=3),
          event("click", "g" * 32, 1, article_id="returns/refund", position=2),
          event("contact_submitted", "g" * 32, 5))
    total = report(db).total
    assert total.search_exits == 0 and total.deflected_visits == 0


def test_anonymous_events_count_only_in_totals(db):
    store(db, event("search", None, 0, query="parcel", result_count=0), event("contact_submitted", None, 1))
    total = report(db).total
    assert total.self_service_visits == 0
    assert (total.searches, total.zero_result_searches, total.contacts) == (1, 1, 1)


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
    with db.session() as session:
        assert top_searches(session, DAY, DAY)[0] == ("where is my parcel", 2, 5.0)
        assert top_searches(session, DAY, DAY, zero_results_only=True) == [("reklamera jacka", 1, 0.0)]
        assert searches_before_contact(session, DAY, DAY) == [("reklamera jacka", 1)]
        assert contacts_by_last_article(session, DAY, DAY) == [("returns/refund", 1)]
        least = least_helpful_articles(session, DAY, DAY)
        assert least[0] == ("returns/refund", 0, 1, 0.0, {"incomplete": 1})
        assert least[1] == ("delivery/track", 1, 0, 1.0, {})


def test_events_are_stored_as_given(db):
    store(db, event("search", "k" * 32, 0, query="x", result_count=1))
    with db.session() as session:
        stored = session.query(Event).one()
        assert (stored.type, stored.visit_id, stored.query) == ("search", "k" * 32, "x")
        assert stored.created_at == T0


def test_a_search_without_a_confident_answer_counts_as_a_content_gap(db):
    store(db,
          event("search", "k" * 32, 0, query="early exit penalty", result_count=4, reason="not_confident"),
          event("search", "k" * 32, 1, query="track parcel", result_count=3))
    assert (report(db).total.searches, report(db).total.zero_result_searches) == (2, 1)
    with db.session() as session:
        assert top_searches(session, DAY, DAY, zero_results_only=True) == [("early exit penalty", 1, 4.0)]
