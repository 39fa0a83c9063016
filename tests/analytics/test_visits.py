"""Anonymous visits and event recording through real requests."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from sqlalchemy import select

from portal.analytics.metrics import deflection_report
from portal.models import Event, Handoff, utcnow

ARTICLE = "/en/delivery/track-your-order"


@pytest.fixture
def app(app_factory, database_url):
    app = app_factory(DATABASE_URL=database_url)
    yield app
    app.extensions["db"].engine.dispose()


def stored_events(app):
    assert app.extensions["analytics"].flush()
    with app.extensions["db"].session() as session:
        return session.scalars(select(Event).order_by(Event.id)).all()


def visit_cookie(response):
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith("visit=")), None)


def test_a_visit_is_a_random_first_party_cookie_that_idles_out(app):
    client = app.test_client()
    first = client.get(ARTICLE)
    cookie = visit_cookie(first)
    assert cookie and "Max-Age=1800" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    visit_id = cookie.split(";")[0].split("=")[1]
    assert len(visit_id) == 32
    client.get("/en/search?q=refund")
    assert {e.visit_id for e in stored_events(app)} == {visit_id}


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_do_not_track_gets_no_cookie_and_only_anonymous_counts(app, header):
    client = app.test_client()
    response = client.get(ARTICLE, headers=header)
    assert visit_cookie(response) is None
    client.get("/en/search?q=refund", headers=header)
    events = stored_events(app)
    assert [e.type for e in events] == ["view", "search"]
    assert all(e.visit_id is None for e in events)


def test_nothing_identifying_is_stored(app):
    client = app.test_client()
    client.get("/en/search?q=order+NV-123456+for+anna%40example.com",
               environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"User-Agent": "Mozilla/5.0 (Test)"})
    (event,) = stored_events(app)
    assert event.query == "order [order] for [email]"
    stored = " ".join(str(getattr(event, c.name)) for c in Event.__table__.columns)
    assert "203.0.113.9" not in stored and "Mozilla" not in stored and "anna" not in stored


def test_crawlers_are_not_counted(app):
    app.test_client().get(ARTICLE, headers={"User-Agent": "Googlebot/2.1"})
    assert stored_events(app) == []


def test_scripted_visits_through_the_site(app):
    """Search, click, vote and no contact; then search, nothing found, contact."""
    happy = app.test_client()
    happy.get("/en/search?q=where+is+my+parcel")
    happy.get(ARTICLE + "?from=search&position=1")
    happy.post("/en/feedback", data={"article": "delivery/track-your-order", "helpful": "yes"})
    unhappy = app.test_client()
    unhappy.get("/sv/search?q=xyzzyqwerty")
    with app.test_request_context("/sv/"):
        # The contact form (handoff) records this event; here it is written directly.
        visit_id = visit_cookie(unhappy.get("/sv/")).split(";")[0].split("=")[1]
        app.extensions["analytics"].write([{"type": "contact_submitted", "visit_id": visit_id,
                                            "locale": "sv"}])
    types = [(e.type, e.position, e.helpful, e.result_count) for e in stored_events(app)]
    assert ("click", 1, None, None) in types and ("vote", None, True, None) in types
    assert ("search", None, None, 0) in types
    today = dt.datetime.now(dt.UTC).date()
    with app.extensions["db"].session() as session:
        total = deflection_report(session, today, today, now=utcnow() + dt.timedelta(days=1)).total
    assert (total.self_service_visits, total.deflected_visits_sitting,
            total.confirmed_deflections) == (2, 1, 1)
    assert (total.search_exits, total.contacts, total.zero_result_searches) == (1, 1, 1)


def test_pages_work_when_the_database_is_down(app_factory, caplog):
    app = app_factory(DATABASE_URL="postgresql://portal@127.0.0.1:1/nowhere", MIGRATE=False)
    client = app.test_client()
    recorder = app.extensions["analytics"]
    with caplog.at_level(logging.WARNING, logger="portal.analytics.recorder"):
        assert client.get(ARTICLE).status_code == 200
        assert client.get("/en/search?q=parcel").status_code == 200
        assert client.post("/en/feedback", data={"article": "delivery/track-your-order",
                                                 "helpful": "no"}).status_code == 303
        assert recorder.flush()
    assert recorder.lost == 3 and recorder.written == 0
    assert "event(s) lost" in caplog.text and "lost since start" in caplog.text


# -- the 24-hour attribution window, through the site with a controllable clock ------------

T0 = dt.datetime(2026, 11, 2, 10, 0)
DAY = T0.date()
ARTICLE_ID = "delivery/track-your-order"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class Browser:
    """A test client that forgets cookies when their Max-Age has passed on the fake clock."""

    def __init__(self, app, clock, headers=None):
        self.client = app.test_client()
        self.clock = clock
        self.headers = headers or {}
        self.expires = {}

    def forget_expired(self):
        for name, when in list(self.expires.items()):
            if when <= self.clock.now:
                self.client.delete_cookie(name)
                del self.expires[name]

    def request(self, method, path, **kwargs):
        self.forget_expired()
        response = self.client.open(path, method=method, headers=self.headers, **kwargs)
        for header in response.headers.getlist("Set-Cookie"):
            name = header.split("=", 1)[0]
            max_age = re.search(r"Max-Age=(\d+)", header)
            if max_age:
                self.expires[name] = self.clock.now + dt.timedelta(seconds=int(max_age.group(1)))
        return response

    def read_article(self):
        return self.request("GET", ARTICLE)

    def contact_us(self):
        html = self.request("GET", "/en/contact", query_string={"topic": "return-or-refund"}).get_data(
            as_text=True)
        data = {"csrf_token": hidden(html, "csrf_token"), "started": hidden(html, "started"),
                "topic": "return-or-refund", "name": "Anna Berg", "email": "anna@example.com",
                "message": "My parcel still has not arrived."}
        response = self.request("POST", "/en/contact", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def cookie_header(response, name):
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")), None)


@pytest.fixture
def clocked(app_factory, database_url):
    app = app_factory(DATABASE_URL=database_url, CONTACT_MIN_FILL_SECONDS=0)
    clock = Clock(T0)
    app.extensions["analytics"].clock = clock
    yield app, clock
    assert app.extensions["analytics"].flush()  # no write in flight when the pool goes
    app.extensions["db"].engine.dispose()


def report_of(app, day=DAY, now=T0 + dt.timedelta(days=3)):
    assert app.extensions["analytics"].flush()
    with app.extensions["db"].session() as session:
        return deflection_report(session, day, day, now=now)


def test_the_attribution_cookie_is_a_random_id_for_24_hours_never_renewed(clocked):
    app, clock = clocked
    browser = Browser(app, clock)
    first = browser.read_article()
    cookie = cookie_header(first, "attribution")
    assert cookie is not None
    value, *attributes = [part.strip() for part in cookie.split(";")]
    assert re.fullmatch(r"attribution=[0-9a-f]{32}", value)
    assert {"Max-Age=86400", "HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)
    assert "Secure" not in attributes and not any(a.startswith("Domain") for a in attributes)
    clock.now += dt.timedelta(hours=1)
    second = browser.read_article()
    assert cookie_header(second, "visit") is not None  # a new sitting
    assert cookie_header(second, "attribution") is None  # the same attribution, not extended
    secure = app.test_client().get(ARTICLE, base_url="https://shop.example")
    assert "Secure" in cookie_header(secure, "attribution").split("; ")


def test_read_then_contact_an_hour_later_is_deflected_in_the_sitting_but_not_within_24_hours(clocked):
    app, clock = clocked
    browser = Browser(app, clock)
    browser.read_article()
    clock.now += dt.timedelta(hours=1)  # the visit cookie has expired; the 24-hour one has not
    browser.forget_expired()
    assert browser.client.get_cookie("visit") is None and browser.client.get_cookie("attribution")
    browser.contact_us()
    events = stored_events(app)
    view = next(e for e in events if e.type == "view")
    contact = next(e for e in events if e.type == "contact_submitted")
    assert view.visit_id != contact.visit_id and view.attribution_id == contact.attribution_id
    assert contact.created_at == T0 + dt.timedelta(hours=1)

    total = report_of(app).total
    assert (total.self_service_visits, total.deflected_visits_sitting) == (1, 1)
    assert (total.self_service_visits_24h, total.deflected_visits_24h) == (1, 0)
    assert (total.deflection_rate_sitting, total.deflection_rate_24h) == (1.0, 0.0)
    assert (total.contacts, total.contacts_after_self_service) == (1, 1)
    assert report_of(app).articles_read_before_contact() == [(ARTICLE_ID, [1, 1])]
    # Before the 24 hours have passed the visit is not counted as deflected or not.
    early = report_of(app, now=T0 + dt.timedelta(hours=2)).total
    assert (early.open_window_visits, early.self_service_visits_24h,
            early.deflection_rate_24h) == (1, 0, None)
    # The attribution id stays in the events: nothing joins it to the customer's contact request.
    with app.extensions["db"].session() as session:
        handoff = session.scalars(select(Handoff)).one()
        stored = " ".join(str(getattr(handoff, c.name)) for c in Handoff.__table__.columns)
    assert contact.attribution_id not in stored and contact.visit_id not in stored


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_do_not_track_gets_no_attribution_and_counts_only_in_anonymous_totals(clocked, header):
    app, clock = clocked
    browser = Browser(app, clock, headers=header)
    responses = [browser.read_article()]
    clock.now += dt.timedelta(hours=1)
    responses.append(browser.contact_us())
    for response in responses:
        assert cookie_header(response, "attribution") is None and cookie_header(response, "visit") is None
    events = stored_events(app)
    assert {e.type for e in events} >= {"view", "contact_submitted"}
    assert all(e.visit_id is None and e.attribution_id is None for e in events)
    total = report_of(app).total
    # The documented fallback: no visit to judge, so neither rate counts it; the contact is
    # counted, and reported as one we could not follow.
    assert (total.self_service_visits, total.deflected_visits_sitting,
            total.deflected_visits_24h) == (0, 0, 0)
    assert (total.deflection_rate_sitting, total.deflection_rate_24h) == (None, None)
    assert (total.contacts, total.contacts_untracked, total.contacts_after_self_service) == (1, 1, 0)
    assert total.contacts_after_self_service_share is None


def test_a_browser_that_turns_on_gpc_loses_its_ids(clocked):
    app, clock = clocked
    browser = Browser(app, clock)
    browser.read_article()
    assert browser.client.get_cookie("visit") and browser.client.get_cookie("attribution")
    browser.headers = {"Sec-GPC": "1"}
    response = browser.read_article()
    assert "Max-Age=0" in cookie_header(response, "attribution")
    assert browser.client.get_cookie("visit") is None and browser.client.get_cookie("attribution") is None
    assert stored_events(app)[-1].attribution_id is None


def test_a_contact_25_hours_later_is_deflected_in_both(clocked):
    app, clock = clocked
    browser = Browser(app, clock)
    browser.read_article()
    clock.now += dt.timedelta(hours=25)  # both cookies have expired
    browser.contact_us()
    events = stored_events(app)
    view = next(e for e in events if e.type == "view")
    contact = next(e for e in events if e.type == "contact_submitted")
    assert contact.attribution_id and contact.attribution_id != view.attribution_id
    total = report_of(app).total
    assert (total.self_service_visits, total.deflected_visits_sitting,
            total.deflected_visits_24h) == (1, 1, 1)
    assert total.deflection_rate_24h == 1.0
    next_day = report_of(app, day=DAY + dt.timedelta(days=1)).total
    assert (next_day.contacts, next_day.contacts_after_self_service) == (1, 0)


def test_attribution_can_be_switched_off(app_factory, database_url):
    app = app_factory(DATABASE_URL=database_url, ANALYTICS_ATTRIBUTION=False)
    clock = Clock(T0)
    app.extensions["analytics"].clock = clock
    response = Browser(app, clock).read_article()
    assert cookie_header(response, "visit") and cookie_header(response, "attribution") is None
    total = report_of(app).total
    assert (total.self_service_visits, total.deflected_visits_sitting, total.unattributed_visits) == (1, 1, 1)
    assert total.self_service_visits_24h == 0 and total.deflection_rate_24h is None
    app.extensions["db"].engine.dispose()


def test_bad_text_never_costs_other_visitors_their_events(app, caplog):
    """The review's M1: on PostgreSQL a NUL or an over-long article id used to drop the batch
    and stop the writer for 5 s. Now the text is cleaned at the edge and every event is kept."""
    client = app.test_client()
    recorder = app.extensions["analytics"]
    with caplog.at_level(logging.WARNING, logger="portal.analytics.recorder"):
        assert client.get("/en/search?q=return%00label").status_code == 200
        assert client.post("/en/feedback", data={"article": "delivery/track-your-order", "reason": "other",
                                                 "comment": "Zip\x00 broken"}).status_code == 303
        assert client.get("/en/contact", query_string={"article": "a" * 300}).status_code == 200
        for _ in range(3):
            assert client.get(ARTICLE).status_code == 200
        events = stored_events(app)
    assert recorder.lost == 0, caplog.text
    by_type = {event.type: event for event in events}
    assert by_type["search"].query == "returnlabel"
    assert by_type["vote_reason"].comment == "Zip broken"
    assert by_type["contact_opened"].article_id is None
    assert sum(event.type == "view" for event in events) == 3


def test_a_row_the_database_refuses_is_dropped_alone(app, database_url):
    """Only a connection error is an outage: a bad row loses itself, not its batch or the next ones."""
    recorder = app.extensions["analytics"]
    good = {"type": "view", "locale": "en", "article_id": "delivery/track-your-order"}
    bad = {"type": "search", "locale": "en", "query": "x", "result_count": "not a number"}
    if database_url.startswith("sqlite"):
        bad["created_at"] = "not a date"  # SQLite takes any text as an integer; not as a date
    assert recorder.write([good, bad, good]) is False
    assert recorder.lost == 1 and recorder.written == 2
    assert recorder.write([good]) is True  # not marked unavailable
    assert len(stored_events(app)) == 3


def test_over_long_and_nul_values_are_stored_cut_to_their_columns(app):
    recorder = app.extensions["analytics"]
    assert recorder.write([{"type": "contact_opened", "locale": "en", "article_id": "x" * 400,
                            "query": "a\x00b", "comment": "c\x00d"}])
    event = stored_events(app)[0]
    assert len(event.article_id) == 255 and event.query == "ab" and event.comment == "cd"
