"""The recommender: which channels a visitor is offered, in what order, and how it is explained.
Times are fixed aware datetimes; the demo channels are content/channels.yml."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from flask import g

from portal.handoff.channels import Channel, is_open
from portal.handoff.channels_file import load_channels
from portal.handoff.recommend import Recommendation, assess_channel, describe, recommend_channels
from tests.helpers import DEMO_CONTENT

LOCALES = ("en", "sv", "da", "pl")
TOPICS = ("where-is-my-order", "return-or-refund", "payment-problem", "account", "product-question",
          "something-else")


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


# 2026-06-01 is a Monday; Stockholm is UTC+2 then. Chat 08-20 (Sat 10-16), phone Mon-Fri 09-17,
# WhatsApp every day 09-21, closed 24-26 and 31 December and 1 January.
MON_0830 = utc(2026, 6, 1, 6, 30)    # chat open; phone and WhatsApp not yet
MON_1000 = utc(2026, 6, 1, 8, 0)     # every live channel open
MON_2030 = utc(2026, 6, 1, 18, 30)   # WhatsApp only
MON_2200 = utc(2026, 6, 1, 20, 0)    # no live channel
SUN_1200 = utc(2026, 6, 7, 10, 0)    # WhatsApp only
CHRISTMAS_EVE = utc(2026, 12, 24, 9, 0)  # 10:00, closed


@pytest.fixture(scope="module")
def demo():
    channels, _topics, problems = load_channels(DEMO_CONTENT, LOCALES)
    assert problems == []
    return channels


def ids(recommendations):
    return [rec.channel.id for rec in recommendations]


@pytest.mark.parametrize(("topic", "urgency", "locale", "now", "expected"), [
    # live channels in the visitor's language first, fastest first; then e-mail and form; the
    # 1440-minute tie between e-mail and form goes to the form, which carries the context
    ("where-is-my-order", "normal", "sv", MON_1000, ["chat", "phone", "whatsapp", "form", "email"]),
    ("where-is-my-order", "normal", "en", MON_1000, ["chat", "phone", "whatsapp", "form", "email"]),
    # Danish: the phone (sv, en) is not in the visitor's language, so it comes last ...
    ("where-is-my-order", "normal", "da", MON_1000, ["chat", "whatsapp", "form", "email", "phone"]),
    # ... unless it is urgent: a live channel in English then beats e-mail in Danish
    ("where-is-my-order", "urgent", "da", MON_1000, ["chat", "whatsapp", "phone", "form", "email"]),
    # Polish: only WhatsApp, the form and e-mail speak it
    ("where-is-my-order", "normal", "pl", MON_1000, ["whatsapp", "form", "email", "chat", "phone"]),
    ("where-is-my-order", "urgent", "pl", MON_1000, ["whatsapp", "chat", "phone", "form", "email"]),
    # a Polish visitor while only the chat (sv, en, da) is open: e-mail and form first, chat last
    ("where-is-my-order", "normal", "pl", MON_0830, ["form", "email", "chat"]),
    ("where-is-my-order", "urgent", "pl", MON_0830, ["chat", "form", "email"]),
    # urgency changes nothing when a live channel speaks the visitor's language
    ("where-is-my-order", "urgent", "sv", MON_0830, ["chat", "form", "email"]),
    # closed live channels are left out
    ("where-is-my-order", "normal", "sv", MON_2030, ["whatsapp", "form", "email"]),
    ("where-is-my-order", "normal", "sv", SUN_1200, ["whatsapp", "form", "email"]),
    # no live channel open: the fastest asynchronous channel first
    ("where-is-my-order", "normal", "sv", MON_2200, ["form", "email"]),
    ("where-is-my-order", "urgent", "sv", MON_2200, ["form", "email"]),
    ("where-is-my-order", "normal", "sv", CHRISTMAS_EVE, ["form", "email"]),
    # channels that cannot handle the topic are left out: WhatsApp takes no payments, ...
    ("payment-problem", "normal", "sv", MON_1000, ["chat", "phone", "form", "email"]),
    ("payment-problem", "normal", "pl", SUN_1200, ["form", "email"]),
    ("payment-problem", "urgent", "pl", MON_1000, ["chat", "phone", "form", "email"]),
    # ... and the phone takes no photos of faulty items
    ("product-question", "normal", "sv", MON_1000, ["chat", "whatsapp", "form", "email"]),
    # a topic no channel knows is offered only where `resolves: all`
    ("no-such-topic", "normal", "sv", MON_1000, ["chat", "phone", "whatsapp", "form", "email"]),
])
def test_demo_recommendations(demo, topic, urgency, locale, now, expected):
    assert ids(recommend_channels(topic, urgency, locale, now, demo)) == expected


def test_what_a_recommendation_says(demo):
    form, email, chat = recommend_channels("account", "normal", "pl", MON_0830, demo)
    assert chat == Recommendation(channel=demo[0], open_now=True, speaks_locale=False, wait_minutes=2,
                                  next_opening=None, locale="pl", language="en")
    assert (email.speaks_locale, email.language, email.wait_minutes, email.open_now) == (
        True, "pl", 1440, True)
    assert (form.channel.kind, form.next_opening) == ("form", None)


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("urgency", ["normal", "urgent"])
def test_never_a_closed_live_channel_nor_one_that_cannot_help(demo, topic, locale, urgency):
    """Every half hour of a week with a holiday in it (Mon 21 to Mon 28 December 2026)."""
    start = utc(2026, 12, 20, 23, 0)
    for step in range(7 * 48):
        now = start + dt.timedelta(minutes=30 * step)
        offered = recommend_channels(topic, urgency, locale, now, demo)
        assert offered, f"nothing offered at {now}"
        for rec in offered:
            assert rec.channel.handles(topic)
            assert rec.open_now == is_open(rec.channel, now)
            assert rec.open_now or not rec.channel.live, f"{rec.channel.id} is closed at {now}"
        assert "form" in ids(offered)


def channel(id, *, live=False, minutes=1440, languages=("en", "sv"), **fields):
    return Channel(id=id, kind="chat" if live else "email", names={"en": id.title()}, languages=languages,
                   timezone="Europe/Stockholm", response_minutes=minutes, live=live, address="x@example.com",
                   **fields)


WEEKDAYS_9_17 = {day: ((dt.time(9), dt.time(17)),) for day in range(5)}


def test_the_fastest_asynchronous_channel_first_with_its_honest_wait():
    """Sunday 12:00: the live chat is closed; the back office answers 30 minutes after it
    opens on Monday 09:00, which is 21 hours away: slower than the SMS line's 3 hours."""
    channels = [
        channel("chat", live=True, minutes=2, hours=WEEKDAYS_9_17),
        channel("email", minutes=1440),
        channel("sms", minutes=180),
        channel("back-office", minutes=30, hours=WEEKDAYS_9_17),
    ]
    offered = recommend_channels("something-else", "urgent", "sv", SUN_1200, channels)
    assert [(rec.channel.id, rec.wait_minutes, rec.open_now) for rec in offered] == [
        ("sms", 180, True), ("back-office", 21 * 60 + 30, False), ("email", 1440, True)]
    assert offered[1].next_opening == utc(2026, 6, 8, 7, 0)


def test_the_wait_of_a_closed_channel_counts_real_minutes_over_a_dst_change():
    """Saturday 28 March 2026 12:00 CET to Monday 09:00 CEST is 44 hours, not 45."""
    back_office = channel("back-office", minutes=30, hours=WEEKDAYS_9_17)
    now = utc(2026, 3, 28, 11, 0)
    rec = assess_channel(back_office, "sv", now)
    assert rec.wait_minutes == 44 * 60 + 30
    assert assess_channel(back_office, "sv", now.astimezone(back_office.zone)) == rec


def test_an_asynchronous_channel_that_does_not_open_within_14_days_is_left_out():
    channels = [channel("email"), channel("closed-inbox", minutes=5, hours={})]
    assert ids(recommend_channels("something-else", "normal", "sv", MON_1000, channels)) == ["email"]


@pytest.mark.parametrize(("urgency", "expected"), [
    ("normal", ["chat-sv", "form-sv", "chat-en", "chat-de"]),   # English before German, then speed
    ("urgent", ["chat-sv", "chat-en", "form-sv", "chat-de"]),
])
def test_urgency_promotes_live_channels_in_a_fallback_language_only(urgency, expected):
    """A live channel in English may go before a form in Swedish when urgent; one in German never."""
    channels = [
        channel("chat-sv", live=True, minutes=10, languages=("sv",)),
        channel("chat-en", live=True, minutes=1, languages=("en",)),
        channel("chat-de", live=True, minutes=0, languages=("de",)),
        channel("form-sv", minutes=600, languages=("sv",)),
    ]
    offered = recommend_channels("something-else", urgency, "sv", MON_1000, channels)
    assert ids(offered) == expected
    language = {"chat-sv": "sv", "chat-en": "en", "chat-de": "de", "form-sv": "sv"}
    assert [rec.language for rec in offered] == [language[i] for i in expected]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_the_order_does_not_depend_on_the_input_order(order):
    channels = [channel("b-mail"), channel("a-mail"), channel("c-chat", live=True, minutes=5),
                channel("a-chat", live=True, minutes=5)]
    shuffled = [channels[i] for i in order]
    assert ids(recommend_channels("something-else", "normal", "en", MON_1000, shuffled)) == [
        "a-chat", "c-chat", "a-mail", "b-mail"]


def test_resolves_and_cannot_are_both_obeyed():
    channels = [
        channel("payments-only", resolves=("payment-problem",)),
        channel("no-payments", cannot={"payment-problem": {"": "Call us."}}),
        channel("anything"),
    ]
    assert ids(recommend_channels("payment-problem", "normal", "en", MON_1000, channels)) == [
        "anything", "payments-only"]
    assert ids(recommend_channels("account", "normal", "en", MON_1000, channels)) == [
        "anything", "no-payments"]


def test_bad_arguments_are_refused(demo):
    with pytest.raises(ValueError, match="urgency"):
        recommend_channels("account", "asap", "sv", MON_1000, demo)
    with pytest.raises(ValueError, match="aware"):
        recommend_channels("account", "normal", "sv", dt.datetime(2026, 6, 1, 10, 0), demo)


# -- describe ----------------------------------------------------------------------------


def described(app, locale, recommendation):
    with app.test_request_context(f"/{locale}/"):
        g.locale = locale
        return describe(recommendation, locale)


def first(demo, topic, locale, now, channel_id):
    return next(rec for rec in recommend_channels(topic, "normal", locale, now, demo)
                if rec.channel.id == channel_id)


@pytest.mark.parametrize(("visitor", "now", "channel_id", "text"), [
    ("sv", MON_1000, "chat", "Chat: open now, answers in about 2 minutes, in Swedish"),
    ("en", MON_1000, "phone", "Phone: open now, answers in about 5 minutes, in English"),
    ("pl", MON_1000, "whatsapp", "WhatsApp: open now, answers in about 15 minutes, in Polish"),
    ("pl", MON_0830, "chat", "Chat: open now, answers in about 2 minutes, in English (not in Polish)"),
    ("da", MON_1000, "phone", "Phone: open now, answers in about 5 minutes, in English (not in Danish)"),
    ("en", MON_2200, "email", "E-mail: we reply within 1 day, in English"),
    ("sv", MON_2200, "form", "Contact form: we reply within 1 day, in Swedish"),
])
def test_describe_in_english(demo_app, demo, visitor, now, channel_id, text):
    assert described(demo_app, "en", first(demo, "account", visitor, now, channel_id)) == text


@pytest.mark.parametrize(("fields", "text"), [
    ({"live": True, "minutes": 1}, "Inbox: open now, answers in about 1 minute, in English"),
    ({"minutes": 1}, "Inbox: we reply within 1 minute, in English"),
    ({"minutes": 45}, "Inbox: we reply within 45 minutes, in English"),
    ({"minutes": 60}, "Inbox: we reply within 1 hour, in English"),
    ({"minutes": 61}, "Inbox: we reply within 2 hours, in English"),
    ({"minutes": 1439}, "Inbox: we reply within 24 hours, in English"),
    ({"minutes": 2880}, "Inbox: we reply within 2 days, in English"),
    ({"minutes": 600, "languages": ("de", "en")},
     "Inbox: we reply within 10 hours, in English (not in Swedish)"),
    ({"minutes": 4000, "languages": ("de",)}, "Inbox: we reply within 3 days, in German (not in Swedish)"),
])
def test_describe_rounds_the_reply_time_up(demo_app, fields, text):
    rec = assess_channel(channel("inbox", **fields), "sv" if "languages" in fields else "en", MON_1000)
    assert described(demo_app, "en", rec) == text


@pytest.mark.parametrize(("visitor", "now", "channel_id", "name", "numbers", "languages"), [
    ("sv", MON_1000, "chat", "Chatt", "2", ["svenska"]),
    ("sv", MON_2200, "email", "E-post", "1", ["svenska"]),
    ("pl", MON_0830, "chat", "Chatt", "2", ["engelska", "polska"]),
])
def test_describe_in_swedish(demo_app, demo, visitor, now, channel_id, name, numbers, languages):
    """Channel and language names come in Swedish; the sentence from the Swedish catalog
    (English until translators add it)."""
    text = described(demo_app, "sv", first(demo, "account", visitor, now, channel_id))
    assert text.startswith(f"{name}: ")
    assert numbers in text
    for language in languages:
        assert language in text
    for english in ("Swedish", "English", "Polish"):
        assert english not in text


def test_describe_follows_its_locale_argument_not_the_request(demo_app, demo):
    rec = first(demo, "account", "sv", MON_1000, "chat")
    with demo_app.test_request_context("/sv/"):
        g.locale = "sv"
        assert describe(rec, "en") == "Chat: open now, answers in about 2 minutes, in Swedish"


def test_recommendations_are_frozen(demo):
    rec = recommend_channels("account", "normal", "sv", MON_1000, demo)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.wait_minutes = 0
