"""The contact page without a browser: recommendations, validation in every locale,
abuse protection, context handover, and nothing lost when the database is down."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
import redis
from flask import g
from flask_babel import force_locale, gettext
from sqlalchemy import select

from portal.models import Event, Handoff, OutboxMessage
from tests.helpers import CONTACT_FORM as VALID
from tests.helpers import DATA, hidden, open_form, post

LOCALES = ["en", "sv", "da", "pl"]


@pytest.fixture
def app(app_factory):
    return app_factory(CONTACT_MIN_FILL_SECONDS=0)


def handoffs(app):
    with app.extensions["db"].session() as session:
        return session.scalars(select(Handoff)).all(), session.scalars(select(OutboxMessage)).all()


@pytest.mark.parametrize("locale", LOCALES)
def test_contact_page_in_every_locale(app, locale):
    client = app.test_client()
    first = client.get(f"/{locale}/contact")
    assert first.status_code == 200 and f'<html lang="{locale}"' in first.get_data(as_text=True)
    html = open_form(client, locale)
    assert 'class="channel-list"' in html and 'id="contact-form"' in html


def test_article_page_links_to_contact_with_the_article(app):
    html = app.test_client().get("/en/returns/return-an-item").get_data(as_text=True)
    assert "/en/contact?article=returns%2Freturn-an-item" in html or \
        "/en/contact?article=returns/return-an-item" in html


def test_topic_is_preselected_from_the_article_read(app):
    html = app.test_client().get("/en/contact?article=returns/return-an-item").get_data(as_text=True)
    assert re.search(r'value="return-or-refund"\s+checked', html)


def test_recommendations_have_reasons_and_the_description_suggests_articles(app):
    html = open_form(app.test_client(), description="how do I return my jacket")
    assert re.findall(r'<p class="channel-reason">[^<]+</p>', html)
    assert "?from=contact" in html and "These articles may answer your question" in html


@pytest.mark.parametrize("locale", LOCALES)
def test_every_error_is_next_to_its_field_in_the_visitors_language(app, locale):
    client = app.test_client()
    html = open_form(client, locale)
    response = post(client, html, locale, name="", email="not-an-email", message="short",
                    order_number="NV 12/3")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    english = {
        "name": "Please tell us your name.",
        "email": "Please enter an e-mail address we can reply to, like name@example.com.",
        "order_number": "An order number has only letters, digits and dashes, like NV-123456.",
    }
    with app.test_request_context(f"/{locale}/"):
        g.locale = locale
        with force_locale(locale):
            expected = {field: gettext(text) for field, text in english.items()}
    for field, message in expected.items():
        assert (message == english[field]) == (locale == "en"), f"{locale} translates {field}"
        assert f'id="{field}-error">{message}</p>' in page.replace("&#39;", "'")
        assert f'aria-describedby="{field}-error' in page
    assert 'value="not-an-email"' in page and ">short</textarea>" in page and 'value="NV 12/3"' in page
    assert handoffs(app) == ([], [])


def test_a_message_is_stored_with_its_outbox_row_and_confirmed(app):
    client = app.test_client()
    response = post(client, open_form(client))
    assert response.status_code == 303
    reference = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert reference in page and "We usually reply within" in page
    (handoff,), (outbox,) = handoffs(app)
    assert handoff.reference == reference and outbox.handoff_id == handoff.id
    assert (handoff.name, handoff.email) == ("Anna Berg", "anna@example.com")
    assert handoff.order_number == "NV-123456"
    assert handoff.topic == "return-or-refund" and handoff.locale == "en" and handoff.status == "pending"
    # For the agent: the channel offered first and why, in the shop's default language.
    recommended = handoff.context["recommended"]
    channel_ids = {channel.id for channel in app.extensions["channels"].channels}
    assert recommended["channel"] in channel_ids and recommended["reason"].count(":") >= 1
    app.extensions["analytics"].flush()
    with app.extensions["db"].session() as session:
        assert "contact_submitted" in session.scalars(select(Event.type)).all()


def test_context_is_shown_and_the_visitor_can_remove_it(app):
    client = app.test_client()
    client.get("/en/search?q=refund+jacket")
    client.get("/en/returns/return-an-item")
    app.extensions["analytics"].flush()
    html = open_form(client)
    assert "Searched for “refund jacket”" in html and "Read “How do I return an item?”" in html
    keep = ["article:returns/return-an-item"]
    data = {"csrf_token": hidden(html, "csrf_token"), "started": hidden(html, "started"),
            "topic": "return-or-refund", **VALID, "context": keep,
            "context_shown": ["search:refund jacket", "article:returns/return-an-item"]}
    assert client.post("/en/contact", data=data).status_code == 303
    (handoff,), _ = handoffs(app)
    assert handoff.context["searches"] == []
    assert handoff.context["articles"][0]["id"] == "returns/return-an-item"


def test_honeypot_stores_nothing(app):
    client = app.test_client()
    response = post(client, open_form(client), website="http://spam.example")
    assert response.status_code == 303 and handoffs(app) == ([], [])


def test_a_form_sent_within_seconds_is_refused_and_kept(app_factory):
    app = app_factory()  # the default minimum fill time
    client = app.test_client()
    response = post(client, open_form(client))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That was very quick" in page and 'value="Anna Berg"' in page
    assert handoffs(app) == ([], [])


def test_missing_csrf_token_keeps_the_text(app):
    client = app.test_client()
    response = client.post("/en/contact", data={**VALID, "topic": "return-or-refund", "csrf_token": "bad"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please check it and send it again" in page and "My jacket has a broken zip." in page


def test_database_down_keeps_everything_typed(app_factory):
    app = app_factory(DATABASE_URL="postgresql://portal@127.0.0.1:1/nowhere", MIGRATE=False,
                      CONTACT_MIN_FILL_SECONDS=0)
    client = app.test_client()
    html = open_form(client, "sv")
    response = post(client, html, "sv")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert '<html lang="sv"' in page and "teknisk" in page.lower()
    assert 'value="Anna Berg"' in page and "My jacket has a broken zip.</textarea>" in page


def test_rate_limit_is_shared_through_redis(app_factory, redis_url):
    prefix = f"portal-test-{secrets.token_hex(4)}"
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, REDIS_URL=redis_url,
                      RATELIMIT_KEY_PREFIX=prefix, CONTACT_LIMIT_PER_VISIT="2 per minute")
    store = redis.Redis.from_url(redis_url)
    try:
        client = app.test_client()
        html = open_form(client)
        assert post(client, html).status_code == 303
        assert post(client, html).status_code == 303
        limited = post(client, html)
        assert limited.status_code == 429
        assert "wait a few minutes" in limited.get_data(as_text=True)
        assert "My jacket has a broken zip." in limited.get_data(as_text=True)
        assert store.keys(f"*{prefix}*"), "the limiter counted in Redis"
        # A second app (another worker or node) sees the same count.
        other = app_factory(CONTACT_MIN_FILL_SECONDS=0, REDIS_URL=redis_url,
                            RATELIMIT_KEY_PREFIX=prefix, CONTACT_LIMIT_PER_VISIT="2 per minute",
                            DATABASE_URL=app.config["DATABASE_URL"])
        other_client = other.test_client()
        other_client.set_cookie("visit", client.get_cookie("visit").value)
        assert post(other_client, open_form(other_client)).status_code == 429
    finally:
        keys = store.keys(f"*{prefix}*")
        if keys:
            store.delete(*keys)
        store.close()


# -- first use (issue 17): land on the answer, closed channels, switching language ----------------

SATURDAY_AFTERNOON = dt.datetime(2026, 12, 5, 15, 33, tzinfo=dt.UTC)  # 16:33 in Stockholm


@pytest.fixture
def shop(app_factory):
    """Chat (Mon-Fri 08-20, Sat 10-16), phone (Mon-Fri 09-17) and the form, at a fixed time."""
    def make(now=SATURDAY_AFTERNOON):
        return app_factory(DATA / "first-use", FIXED_NOW=now, CONTACT_MIN_FILL_SECONDS=0).test_client()
    return make


def answer(html):
    """The part of the page "Show me how to get help" lands on."""
    return html[html.index('<section id="help"'):html.index("</section>", html.index('<section id="help"'))]


def test_show_me_how_lands_on_the_answer_with_the_recommendation_first(shop):
    html = open_form(shop(), "en", "payment-problem", description="charged twice")
    assert re.search(r'<form method="get" action="/en/contact#help" class="contact-describe"', html)
    assert '<section id="help" class="contact-answer" tabindex="-1" aria-labelledby="channels-title">' in html
    part = answer(html)
    first_item = part[part.index("<li"):part.index("</li>")]
    assert "Contact form" in first_item and "Recommended" in first_item
    assert html.index('id="help"') < html.index('id="contact-form"')


def test_closed_channels_come_below_the_open_ones_with_their_next_opening(shop):
    part = answer(open_form(shop(), "en", "payment-problem", description="x"))
    open_list, closed = part.split('<h3 id="closed-title">Closed right now</h3>', 1)
    assert "Contact form" in open_list and "Chat" not in open_list and "Phone" not in open_list
    chat, phone = closed.index(">Chat<"), closed.index(">Phone<")
    assert chat < phone  # the soonest opening first
    assert ('<time datetime="2026-12-07T07:00:00+00:00">Closed now. Opens Monday 7 December at 8:00\u202fAM'
            '</time> (Sweden Time)') in closed
    assert "Opens Monday 7 December at 9:00\u202fAM</time> (Sweden Time)" in closed


def test_closed_channels_in_the_visitors_language_and_time_zone(shop):
    client = shop()
    sv = answer(open_form(client, "sv", "payment-problem", description="x"))
    assert "<h3 id=\"closed-title\">Stängt just nu</h3>" in sv
    assert "Stängt nu. Öppnar måndag 7 december kl. 08:00</time> (Sverigetid)" in sv
    pl = answer(open_form(client, "pl", "payment-problem", description="x", tz="Europe/Warsaw"))
    assert "Teraz zamknięte. Otwarte od: poniedziałek 7 grudnia, godz. 08:00</time></p>" in pl  # same offset
    new_york = answer(open_form(client, "en", "payment-problem", description="x", tz="America/New_York"))
    assert "Opens Monday 7 December at 2:00\u202fAM</time></p>" in new_york  # 08:00 in Stockholm
    bad_zone = answer(open_form(client, "en", "payment-problem", description="x", tz="Mars/Olympus"))
    assert "(Sweden Time)" in bad_zone


@pytest.mark.parametrize(("now", "expected"), [
    (dt.datetime(2026, 12, 4, 19, 30, tzinfo=dt.UTC), "Closed now. Opens tomorrow at 10:00\u202fAM"),
    (dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC), "Closed now. Opens today at 8:00\u202fAM"),
])
def test_today_and_tomorrow_are_named(shop, now, expected):
    part = answer(open_form(shop(now), "en", "payment-problem", description="x"))
    closed = part.split("closed-title", 1)[1]
    assert expected in closed


def test_no_closed_list_when_everything_is_open(shop):
    tuesday_noon = dt.datetime(2026, 12, 8, 11, 0, tzinfo=dt.UTC)
    part = answer(open_form(shop(tuesday_noon), "en", "payment-problem", description="x"))
    assert "closed-title" not in part and ">Chat<" in part and ">Phone<" in part


def test_the_language_buttons_carry_what_was_typed_to_the_other_language(shop):
    client = shop()
    html = open_form(client, "en", "payment-problem", description="I was charged twice")
    assert re.search(r'<button type="submit" form="contact-form" class="link-button" lang="sv"\s+'
                     r'formaction="/language/sv\?next=/sv/contact/continue"\s+formmethod="post"', html)
    typed = {"topic": "payment-problem", "name": "Anna Berg", "email": "anna@example.com",
             "message": "Dubbel debitering på kortet, ordernummer saknas", "urgent": "1", "tz": "",
             "csrf_token": hidden(html, "csrf_token"), "started": hidden(html, "started")}
    switched = client.post("/language/sv?next=/sv/contact/continue", data=typed)
    assert switched.status_code == 307 and switched.headers["Location"] == "/sv/contact/continue"
    assert "locale=sv" in switched.headers["Set-Cookie"]
    page = client.post("/sv/contact/continue", data=typed)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="sv"' in text
    assert ">Dubbel debitering på kortet, ordernummer saknas</textarea>" in text
    assert 'value="Anna Berg"' in text and 'value="anna@example.com"' in text
    assert 'id="topic-payment-problem" name="topic" value="payment-problem" checked' in text
    assert 'id="urgent" name="urgent" value="1" checked' in text
    assert handoffs(client.application) == ([], [])  # switching language sends nothing


def test_the_first_step_carries_its_description_too(shop):
    client = shop()
    page = client.post("/language/pl?next=/pl/contact/continue", follow_redirects=True,
                       data={"topic": "", "description": "Gdzie jest moja paczka?", "article": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.request.path == "/pl/contact/continue"
    assert ">Gdzie jest moja paczka?</textarea>" in text


def test_the_continue_address_opened_directly_goes_to_the_contact_page(shop):
    response = shop().get("/sv/contact/continue")
    assert response.status_code == 303 and response.headers["Location"] == "/sv/contact"


def test_a_language_choice_by_post_only_goes_to_the_same_site(shop):
    response = shop().post("/language/sv?next=https://evil.example/", data={"message": "x"})
    assert response.status_code == 307 and response.headers["Location"] == "/sv/"


# --- the security review (docs/operations.md#security) -----------------------------------

def test_a_nul_in_the_form_is_removed_not_a_database_outage(app_factory, database_url):
    """M1: on PostgreSQL a NUL (pasted from a PDF) used to give a permanent 503."""
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, DATABASE_URL=database_url)
    client = app.test_client()
    response = post(client, open_form(client), name="Anna\x00Berg", message="Zip broken\x00 please help me")
    assert response.status_code == 303
    stored, _ = handoffs(app)
    assert [(h.name, h.message) for h in stored] == [("AnnaBerg", "Zip broken please help me")]
    assert app.extensions["analytics"].flush()  # the writer thread's connection, before the pool goes
    app.extensions["db"].engine.dispose()


def test_the_same_form_sent_twice_is_one_handoff(app):
    """L3: a double click (or a retry after a slow answer) stores one request, one ticket."""
    client = app.test_client()
    html = open_form(client)
    form_id = hidden(html, "form_id")
    first = post(client, html, form_id=form_id)
    second = post(client, html, form_id=form_id)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(handoffs(app)[0]) == 1
    # A new form is a new request.
    assert post(client, open_form(client), form_id=hidden(open_form(client), "form_id")).status_code == 303
    assert len(handoffs(app)[0]) == 2


def test_the_form_id_stays_when_the_form_comes_back_with_an_error(app):
    client = app.test_client()
    html = open_form(client)
    again = post(client, html, email="anna@example", form_id=hidden(html, "form_id"))
    assert again.status_code == 422
    assert hidden(again.get_data(as_text=True), "form_id") == hidden(html, "form_id")


def test_the_confirmation_page_shows_only_this_visits_references(app):
    """L4: /contact/sent/<any text> used to print the text on the official page."""
    client = app.test_client()
    sent = post(client, open_form(client))
    location = sent.headers["Location"]
    assert client.get(location).status_code == 200
    assert app.test_client().get(location).status_code == 404  # another visitor
    spoof = "/en/contact/sent/PLEASE%20CALL%20%2B46-70-000-0000%20AND%20GIVE%20YOUR%20CARD%20NUMBER"
    response = client.get(spoof)
    assert response.status_code == 404 and "reference number" not in response.get_data(as_text=True)
    assert client.get("/en/contact/sent/NV-RECEIVED").status_code == 404


def test_the_honeypot_answers_with_an_ordinary_looking_reference_and_stores_nothing(app):
    client = app.test_client()
    response = post(client, open_form(client), website="http://spam.example")
    assert response.status_code == 303
    assert re.fullmatch(r"/en/contact/sent/NV-[0-9A-HJKMNP-TV-Z]{8}", response.headers["Location"])
    assert client.get(response.headers["Location"]).status_code == 200
    assert handoffs(app)[0] == []


def test_only_accepted_submissions_count_toward_the_limit(app_factory):
    """L2: five typos used to use up the five messages a visit may send."""
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, CONTACT_LIMIT_PER_VISIT="2 per minute")
    client = app.test_client()
    html = open_form(client)
    assert [post(client, html, email="anna@example").status_code for _ in range(4)] == [422] * 4
    assert [post(client, html).status_code for _ in range(2)] == [303, 303]
    limited = post(client, html)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_an_unknown_or_over_long_article_is_not_echoed(app):
    client = app.test_client()
    html = open_form(client, article="x" * 300)
    assert "x" * 300 not in html
    known = open_form(client, article="returns/return-an-item")
    assert 'name="article" value="returns/return-an-item"' in known


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 303),  # no Referer, no Origin: some browsers, extensions and proxies send neither
    ({"Origin": "https://localhost"}, 303),
    ({"Referer": "https://localhost/en/contact"}, 303),
    ({"Origin": "https://evil.example"}, 400),
    ({"Referer": "https://evil.example/form"}, 400),
    ({"Referer": "http://localhost/en/contact"}, 400),  # another scheme is another origin
])
def test_https_mode_checks_the_origin_when_sent_and_accepts_a_post_without_referer(app_factory, headers,
                                                                                   status):
    """L7: in HTTPS mode a POST without a Referer was always refused, as "open for a long time"."""
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, HTTPS=True)
    client = app.test_client()
    html = client.get("/en/contact?topic=return-or-refund", base_url="https://localhost").get_data(as_text=True)
    data = {"csrf_token": hidden(html, "csrf_token"), "started": hidden(html, "started"),
            "topic": "return-or-refund", **VALID}
    response = client.post("/en/contact", data=data, headers=headers, base_url="https://localhost")
    assert response.status_code == status
    if status == 400:
        assert "My jacket has a broken zip." in response.get_data(as_text=True)
