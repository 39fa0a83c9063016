"""channels.yml: loading with problems reported by line, and the clock: hours, closed dates,
time zones and DST changes. Every `now` is an explicit aware datetime, never the wall clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
from zoneinfo import ZoneInfo

import pytest

from portal.handoff.channels import ALL, is_open, next_opening, topic_for_category
from portal.handoff.channels_file import CHANNELS_FILE, load_channels
from tests.helpers import DATA, DEMO_CONTENT

SITE_LOCALES = ("en", "sv", "da", "pl")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def local(*args, zone=STOCKHOLM):
    return dt.datetime(*args, tzinfo=zone)


@pytest.fixture(scope="module")
def clock():
    channels, _topics, problems = load_channels(DATA / "channels-clock")
    assert problems == []
    return {channel.id: channel for channel in channels}


def write(tmp_path, text):
    (tmp_path / CHANNELS_FILE).write_text(textwrap.dedent(text), "utf-8")
    return tmp_path


# -- the demo and the default ------------------------------------------------------------


def test_the_demo_channels_load_without_problems():
    channels, topics, problems = load_channels(DEMO_CONTENT, SITE_LOCALES)
    assert [str(p) for p in problems] == []
    assert [c.id for c in channels] == ["chat", "phone", "whatsapp", "form", "email"]
    assert {"where-is-my-order", "return-or-refund", "payment-problem", "account", "product-question",
            "something-else"} <= {t.id for t in topics}
    by_id = {c.id: c for c in channels}
    assert [c.id for c in channels if c.speaks("pl")] == ["whatsapp", "form", "email"]
    assert by_id["form"].kind == "form" and not by_id["form"].live and by_id["form"].hours is None
    assert by_id["email"].address == "service@nordvik.com"
    assert by_id["chat"].closed_dates == {dt.date(2026, 12, d) for d in (24, 25, 26, 31)} | {
        dt.date(2027, 1, 1)}
    assert not by_id["phone"].handles("product-question")
    assert by_id["phone"].handles("payment-problem")


def test_without_channels_yml_the_contact_form_alone_is_offered(tmp_path):
    channels, topics, problems = load_channels(tmp_path, SITE_LOCALES)
    assert problems == []
    (form,) = channels
    assert (form.kind, form.live, form.resolves, form.languages) == ("form", False, ALL, SITE_LOCALES)
    assert is_open(form, utc(2026, 12, 24, 3, 0))
    assert [t.id for t in topics] == ["something-else"]
    assert form.name("sv") == "Kontaktformulär" and form.name("fi", "en") == "Contact form"


# -- problems, each with its line ----------------------------------------------------------


@pytest.fixture(scope="module")
def broken():
    return load_channels(DATA / "channels-broken")


@pytest.mark.parametrize(("entry", "reason", "line"), [
    ("topic 'Bad Topic'", "may hold only lowercase letters", 6),
    ("topic 'flat-names'", "'names' must map each locale to a text", 9),
    ("channel 'typo-kind'", "unknown kind 'emial'", 22),
    ("channel 'bad-range'", "'25:00-26:00' is not a time range", 32),
    ("channel 'bad-weekday'", "unknown weekday 'monday'", 40),
    ("channel 'bad-zone'", "unknown time zone 'Europe/Boras'", 46),
    ("channel 'unknown-resolves'", "'resolves' names topic 'where-is-my-parcel'", 54),
    ("channel 'unknown-cannot'", "'cannot' names topic 'refunds'", 61),
    ("channel 'bad-date'", "'closed' date '2026-02-30' must be written YYYY-MM-DD", 67),
    ("channel 'no-response-time'", "'response_time' must be the minutes", 69),
    ("channel 'no-way-to-reach'", "needs 'url', 'phone' or 'address'", 72),
    ("channel 'no-timezone'", "'timezone' is needed", 76),
    ("channel 'empty-range'", "starts and ends at the same time", 87),
    ("channel 'bad-live'", "'live' must be true or false", 94),
])
def test_each_bad_entry_is_reported_with_its_line_and_left_out(broken, entry, reason, line):
    channels, topics, problems = broken
    found = [p for p in problems if p.message.startswith(entry + ":")]
    assert len(found) == 1, [str(p) for p in problems]
    (problem,) = found
    assert (problem.path, problem.severity, problem.line) == (CHANNELS_FILE, "error", line)
    assert reason in problem.message and problem.message.endswith("is left out")
    entry_id = entry.split("'")[1]
    assert entry_id not in {c.id for c in channels} | {t.id for t in topics}


def test_the_good_entries_of_a_broken_file_still_load(broken):
    channels, topics, problems = broken
    assert [c.id for c in channels] == ["good"]
    assert [t.id for t in topics] == ["orders", "something-else"]
    assert len(problems) == 14


def test_a_file_that_is_not_yaml_is_reported_and_the_form_offered():
    channels, topics, problems = load_channels(DATA / "channels-not-yaml", ("en", "sv"))
    (problem,) = problems
    assert (problem.path, problem.line, problem.severity) == (CHANNELS_FILE, 8, "error")
    assert problem.message.startswith("not valid YAML")
    assert [(c.id, c.kind, c.languages) for c in channels] == [("form", "form", ("en", "sv"))]
    assert [t.id for t in topics] == ["something-else"]


@pytest.mark.parametrize(("text", "severity", "reason", "line"), [
    ("- just\n- a list\n", "error", "must be a set of 'key: value' lines", 1),
    ("channels: [form]\n", "error", "'channels' must map each channel id", 1),
    ("chanels: {}\n", "warning", "unknown key 'chanels' is ignored", 1),
    ("channels:\n  form: {kind: form, languages: [en], response_time: 60}\n"
     "  form: {kind: form, languages: [en], response_time: 30}\n",
     "warning", "channel 'form' is defined twice (line 2)", 3),
    ("channels:\n  form: {kind: form, languages: [en], response_time: 60, colour: blue}\n",
     "warning", "unknown key 'colour' is ignored", 2),
    ("channels:\n  chat: {kind: chat, url: /chat, languages: [en], response_time: 2}\n",
     "warning", "live but has no 'hours'", 2),
    ("channels:\n  form: {kind: form, languages: [sv], response_time: 60}\n",
     "warning", "no channel serves the site locale 'en'", 1),
    ("topics:\n  something-else: {}\n  orders: {}\nchannels:\n"
     "  form: {kind: form, languages: [en], response_time: 60, resolves: [something-else]}\n",
     "warning", "topic 'orders': no channel resolves it", 3),
    ("channels:\n  form: {kind: chat, url: /c, languages: [en], response_time: 2, hours: 'always'}\n",
     "error", "'hours' must map weekdays", 2),
    ("channels:\n  form: {kind: form, names: {no: Skjema}, languages: [en], response_time: 60}\n",
     "error", "write 'no'", 2),
    ("channels: {}\n", "error", "no usable channel: the contact form alone is offered", 1),
    ("topics:\n  Orders: {}\n", "error", "no usable topic: only 'something-else' is offered", 1),
])
def test_other_mistakes_are_reported(tmp_path, text, severity, reason, line):
    (tmp_path / CHANNELS_FILE).write_text(text, "utf-8")
    channels, _topics, problems = load_channels(tmp_path, ("en",))
    found = [p for p in problems if reason in p.message]
    assert len(found) == 1, [str(p) for p in problems]
    assert (found[0].severity, found[0].line) == (severity, line)
    assert channels, "visitors always have a channel"


def test_a_topic_category_without_articles_is_a_warning(tmp_path):
    (tmp_path / "en" / "orders").mkdir(parents=True)
    write(tmp_path, """\
        topics:
          where-is-my-order:
            categories: [orders, deliveries]
        """)
    _channels, _topics, problems = load_channels(tmp_path, ("en",))
    (problem,) = problems
    assert (problem.severity, problem.line) == ("warning", 3)
    assert "no article category 'deliveries'" in problem.message


def test_the_forms_an_entry_may_take(tmp_path):
    write(tmp_path, """\
        topics:
          payment-problem: {names: {en: Payments, sv: Betalning}, categories: [payments]}
          product-question: {categories: [sizing]}
          something-else: {}
        channels:
          whatsapp:
            kind: whatsapp
            phone: "+46 70 000 00 00"
            languages: all
            timezone: America/New_York
            hours:
              mon: "09:00-12:00"
              tue: ["13:00-17:00", "08:00-12:00"]
              sat: ["22:00-24:00"]
              sun:
            closed: ["2026-12-24"]
            response_time: 15
            cannot:
              - product-question
              - payment-problem: {en: Call us., sv: Ring oss.}
          email:
            kind: email
            names: {en: E-mail}
            address: help@example.com
            languages: [en-GB]
            response_time: 1440
            resolves: [something-else]
            cannot: {payment-problem: Call us.}
        """)
    channels, topics, problems = load_channels(tmp_path, SITE_LOCALES)
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", "topic 'payment-problem': no channel resolves it"),
        ("warning", "topic 'product-question': no channel resolves it"),
    ]
    whatsapp, email = channels
    assert whatsapp.live and whatsapp.languages == SITE_LOCALES
    assert dict(whatsapp.hours) == {
        0: ((dt.time(9), dt.time(12)),),
        1: ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))),
        5: ((dt.time(22), dt.time(0)),),
        6: (),
    }
    assert whatsapp.closed_dates == {dt.date(2026, 12, 24)}
    assert not whatsapp.handles("product-question")
    assert whatsapp.cannot_reason("product-question", "en") is None
    assert whatsapp.cannot_reason("payment-problem", "sv") == "Ring oss."
    assert whatsapp.cannot_reason("payment-problem", "pl", "en") == "Call us."
    assert email.cannot_reason("payment-problem", "sv") == "Call us."
    assert email.handles("something-else") and not email.handles("product-question")
    assert email.speaks("en") and not email.speaks("sv")
    assert (email.name("sv", "en"), email.name("sv"), whatsapp.name("sv")) == ("E-mail", "E-mail", "whatsapp")
    assert topics[0].name("sv") == "Betalning" and topics[0].name("pl", "en") == "Payments"
    assert topics[1].name("sv") == "product-question"


@pytest.mark.parametrize(("category", "topic"), [
    ("orders", "where-is-my-order"),
    ("delivery", "where-is-my-order"),
    ("returns", "return-or-refund"),
    ("payments", "payment-problem"),
    ("account", "account"),
    ("sizing", "product-question"),
    ("no-such-category", None),
])
def test_topic_for_category(category, topic):
    _channels, topics, _problems = load_channels(DEMO_CONTENT, SITE_LOCALES)
    found = topic_for_category(topics, category)
    assert (found.id if found else None) == topic


# -- is_open ---------------------------------------------------------------------------
# 2026-06-05 is a Friday; Stockholm is UTC+2 in summer, UTC+1 in winter; New York UTC-4 / -5.


@pytest.mark.parametrize(("channel", "now", "expected"), [
    # a range past midnight: Friday 22:00 to Saturday 02:00
    ("late-friday", local(2026, 6, 5, 21, 59), False),
    ("late-friday", local(2026, 6, 5, 22, 0), True),
    ("late-friday", local(2026, 6, 6, 1, 0), True),
    ("late-friday", local(2026, 6, 6, 1, 59), True),
    ("late-friday", local(2026, 6, 6, 2, 0), False),
    ("late-friday", local(2026, 6, 6, 3, 0), False),
    ("late-friday", local(2026, 6, 4, 23, 0), False),      # Thursday night
    ("late-friday", local(2026, 6, 7, 1, 0), False),       # Sunday 01:00: Saturday has no range
    ("late-friday", utc(2026, 6, 5, 23, 0), True),          # = Saturday 01:00 in Stockholm
    # weekends and the edges of a range
    ("weekdays", local(2026, 6, 6, 12, 0), False),          # Saturday
    ("weekdays", local(2026, 6, 7, 12, 0), False),          # Sunday
    ("weekdays", local(2026, 6, 8, 8, 59), False),
    ("weekdays", local(2026, 6, 8, 9, 0), True),
    ("weekdays", local(2026, 6, 8, 16, 59, 59), True),
    ("weekdays", local(2026, 6, 8, 17, 0), False),
    # several ranges a day
    ("split", local(2026, 6, 8, 11, 59), True),
    ("split", local(2026, 6, 8, 12, 30), False),
    ("split", local(2026, 6, 8, 13, 0), True),
    ("all-monday", local(2026, 6, 8, 0, 0), True),
    ("all-monday", local(2026, 6, 8, 23, 59), True),
    ("all-monday", local(2026, 6, 9, 0, 0), False),
    ("never", local(2026, 6, 8, 12, 0), False),
    # closed dates are the channel's local dates
    ("weekdays", local(2026, 12, 23, 10, 0), True),
    ("weekdays", local(2026, 12, 24, 10, 0), False),
    ("weekdays", local(2026, 12, 25, 10, 0), False),
    ("weekdays", local(2026, 12, 28, 10, 0), True),
    ("inbox-new-york", utc(2026, 12, 25, 3, 0), True),      # still the 24th in New York
    ("inbox-new-york", utc(2026, 12, 26, 3, 0), False),     # the 25th, 22:00 in New York
    ("inbox-new-york", utc(2026, 12, 26, 5, 0), True),      # the 26th in New York
    # a late range and a closed date: the hours after midnight count as the next date
    ("late-every-day", local(2026, 12, 23, 23, 0), True),
    ("late-every-day", local(2026, 12, 24, 1, 0), False),   # the 24th is closed
    ("late-every-day", local(2026, 12, 24, 23, 0), False),
    ("late-every-day", local(2026, 12, 25, 1, 0), True),    # the 25th is not
    # time zones: the visitor's `now` may be in any zone, or UTC
    ("new-york", utc(2026, 6, 8, 12, 59), False),            # 08:59 in New York
    ("new-york", utc(2026, 6, 8, 13, 0), True),              # 09:00
    ("new-york", utc(2026, 6, 8, 20, 59), True),             # 16:59
    ("new-york", utc(2026, 6, 8, 21, 0), False),             # 17:00
    ("new-york", utc(2026, 12, 7, 13, 30), False),           # 08:30 in winter (UTC-5)
    ("new-york", utc(2026, 12, 7, 14, 0), True),
    ("weekdays", utc(2026, 6, 8, 16, 0), False),             # 18:00 in Stockholm ...
    ("new-york", utc(2026, 6, 8, 16, 0), True),              # ... noon in New York
    ("weekdays", local(2026, 6, 8, 16, 0, zone=ZoneInfo("Asia/Tokyo")), True),  # 09:00 in Stockholm
    ("weekdays", local(2026, 6, 8, 7, 0, zone=NEW_YORK), True),                 # 13:00 in Stockholm
    # DST starts 2026-03-29 at 01:00 UTC: the clocks go 01:59:59 CET -> 03:00 CEST
    ("night", utc(2026, 3, 28, 1, 0), True),                 # Saturday 02:00 CET
    ("night", utc(2026, 3, 29, 0, 59), False),               # 01:59 CET
    ("night", utc(2026, 3, 29, 1, 0), True),                 # 03:00 CEST: 02:00-02:59 never happened
    ("night", utc(2026, 3, 29, 1, 59), True),                # 03:59 CEST
    ("night", utc(2026, 3, 29, 2, 0), False),                # 04:00 CEST
    ("weekdays", utc(2026, 3, 27, 8, 0), True),              # Friday 09:00 CET
    ("weekdays", utc(2026, 3, 30, 6, 59), False),            # Monday 08:59 CEST
    ("weekdays", utc(2026, 3, 30, 7, 0), True),              # Monday 09:00 CEST
    # DST ends 2026-10-25 at 01:00 UTC: the clocks go 02:59:59 CEST -> 02:00 CET
    ("night", utc(2026, 10, 24, 23, 59), False),             # 01:59 CEST
    ("night", utc(2026, 10, 25, 0, 0), True),                # 02:00 CEST
    ("night", utc(2026, 10, 25, 0, 59), True),               # 02:59 CEST
    ("night", utc(2026, 10, 25, 1, 0), True),                # 02:00 CET, the second time
    ("night", utc(2026, 10, 25, 2, 59), True),               # 03:59 CET
    ("night", utc(2026, 10, 25, 3, 0), False),               # 04:00 CET
    ("weekdays", utc(2026, 10, 26, 7, 59), False),           # Monday 08:59 CET
    ("weekdays", utc(2026, 10, 26, 8, 0), True),             # Monday 09:00 CET
])
def test_is_open(clock, channel, now, expected):
    assert is_open(clock[channel], now) is expected


def test_the_dst_days_change_how_long_a_night_range_lasts(clock):
    def open_minutes(day):
        """Minutes open from this local midnight to the next, counted in real (UTC) minutes."""
        start = local(*day, 0, 0).astimezone(dt.UTC)
        end = (local(*day, 0, 0) + dt.timedelta(days=1)).astimezone(dt.UTC)
        minutes = int((end - start).total_seconds() // 60)
        return sum(is_open(clock["night"], start + dt.timedelta(minutes=m)) for m in range(minutes))

    assert open_minutes((2026, 3, 28)) == 120
    assert open_minutes((2026, 3, 29)) == 60     # 03:00-04:00 CEST only
    assert open_minutes((2026, 10, 25)) == 180   # 02:00-04:00 CEST and 02:00-03:00 CET again


def test_a_naive_now_is_refused(clock):
    with pytest.raises(ValueError, match="aware"):
        is_open(clock["weekdays"], dt.datetime(2026, 6, 8, 10, 0))
    with pytest.raises(ValueError, match="aware"):
        next_opening(clock["weekdays"], dt.datetime(2026, 6, 8, 10, 0))


# -- next_opening ----------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "now", "expected"), [
    ("weekdays", local(2026, 6, 8, 10, 0), local(2026, 6, 8, 10, 0)),          # open: now
    ("weekdays", local(2026, 6, 8, 7, 30), local(2026, 6, 8, 9, 0)),
    ("weekdays", local(2026, 6, 5, 17, 30), local(2026, 6, 8, 9, 0)),          # Friday -> Monday
    ("weekdays", local(2026, 12, 23, 18, 0), local(2026, 12, 28, 9, 0)),       # over Christmas
    ("weekdays", local(2026, 3, 27, 18, 0), local(2026, 3, 30, 9, 0)),         # over the DST start
    ("split", local(2026, 6, 8, 12, 15), local(2026, 6, 8, 13, 0)),
    ("late-friday", local(2026, 6, 6, 3, 0), local(2026, 6, 12, 22, 0)),
    ("late-every-day", local(2026, 12, 24, 1, 0), local(2026, 12, 25, 0, 0)),  # the 24th is closed
    ("new-york", utc(2026, 6, 8, 21, 0), local(2026, 6, 9, 9, 0, zone=NEW_YORK)),
    ("inbox-new-york", utc(2026, 12, 26, 3, 0), local(2026, 12, 26, 0, 0, zone=NEW_YORK)),
    ("night", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)),                 # opens with the jump
    ("night", utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 0, 0)),               # 02:00 CEST
    ("night", utc(2026, 10, 25, 3, 0), utc(2026, 10, 26, 1, 0)),                # next day 02:00 CET
    ("never", local(2026, 6, 8, 10, 0), None),
    ("all-monday", local(2026, 6, 9, 0, 0), local(2026, 6, 15, 0, 0)),
])
def test_next_opening(clock, channel, now, expected):
    found = next_opening(clock[channel], now)
    assert found == expected
    if found is not None:
        assert found.tzinfo is dt.UTC
        assert is_open(clock[channel], found)
        assert found == now or not is_open(clock[channel], found - dt.timedelta(seconds=1))


def test_next_opening_looks_14_days_ahead(clock):
    """A channel open on Mondays only is found 6 days ahead, but not past 14 days of holidays."""
    monday_only = clock["all-monday"]
    closed = frozenset(dt.date(2026, 6, 8) + dt.timedelta(weeks=w) for w in range(3))
    on_holiday = dataclasses.replace(monday_only, closed_dates=closed)
    assert next_opening(on_holiday, local(2026, 6, 2, 12, 0)) is None
    assert next_opening(on_holiday, local(2026, 6, 16, 12, 0)) == local(2026, 6, 29, 0, 0)


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", " JavaScript:alert(1)",
                                 "data:text/html,x", "vbscript:x", "chat.example/start"])
def test_channel_urls_other_than_web_mail_and_phone_are_refused(tmp_path, url):
    """L11: a javascript: URL in channels.yml reached the contact page (only the CSP stopped it)."""
    write(tmp_path, f"""\
        channels:
          chat:
            kind: chat
            names: {{en: Evil chat}}
            url: "{url}"
        """)
    channels, _topics, problems = load_channels(tmp_path, ("en",))
    assert "chat" not in [channel.id for channel in channels]
    assert any("'url' must start with https://" in p.message and p.severity == "error" for p in problems)


@pytest.mark.parametrize("url", ["https://chat.example/start", "http://chat.example",
                                 "mailto:help@shop.example",
                                 "tel:+46701234567", "/en/chat"])
def test_web_mail_phone_and_own_page_urls_are_accepted(tmp_path, url):
    write(tmp_path, f"""\
        channels:
          chat:
            kind: chat
            names: {{en: Chat}}
            url: "{url}"
        """)
    _channels, _topics, problems = load_channels(tmp_path, ("en",))
    assert not any("'url' must" in p.message for p in problems)
