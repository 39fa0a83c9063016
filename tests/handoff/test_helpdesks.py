"""The SaaS helpdesk connectors (portal/handoff/helpdesks/) against local stand-ins of their APIs.

Each stand-in (tests/handoff/helpdesk_fakes.py) follows its vendor's published reference,
named in its docstring and in `DOCS` below: Zendesk Support API tickets, Freshdesk API v2
tickets, Zammad tickets with articles, Help Scout Mailbox API 2.0 conversations (OAuth2
client credentials) and Chatwoot conversations in an API inbox. The real django-helpdesk is in
test_django_helpdesk.py.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from portal.db import Database
from portal.handoff.delivery import Delivery, DeliveryError, PermanentDeliveryError
from portal.handoff.helpdesks.http import error_detail, retry_after_seconds
from portal.handoff.outbox import deliver_due, failed_handoffs
from portal.handoff.senders import sender_from_config
from portal.handoff.store import create_handoff
from portal.models import OutboxMessage, utcnow
from tests.handoff.helpdesk_fakes import FakeChatwoot, FakeFreshdesk, FakeHelpScout, FakeZammad, FakeZendesk

MESSAGE = "Dragkedjan på min jacka är trasig.\nKan jag byta den?"
CONTEXT = {
    "searches": ["byta jacka"],
    "articles": [
        {
            "id": "returns/return-an-item",
            "title": "Returnera en vara",
            "url": "https://help.shop.example/sv/returns/return-an-item",
        }
    ],
    "recommended": {"channel": "chat", "reason": "Chat: open now, answers in about 2 minutes, in Swedish"},
    "search_confident": False,
}
HANDOFF = {
    "locale": "sv",
    "topic": "return-or-refund",
    "channel": "form",
    "name": "Anna Berg",
    "email": "anna@example.com",
    "message": MESSAGE,
    "order_number": "NV-123456",
    "context": CONTEXT,
}
TIMEOUT = 0.5


def settings_for(name, fake, **overrides):
    settings = {
        "zendesk": lambda: {
            "ZENDESK_URL": fake.url,
            "ZENDESK_EMAIL": fake.email,
            "ZENDESK_API_TOKEN": fake.token,
        },
        "freshdesk": lambda: {"FRESHDESK_URL": fake.url, "FRESHDESK_API_KEY": fake.api_key},
        "zammad": lambda: {"ZAMMAD_URL": fake.url, "ZAMMAD_TOKEN": fake.token},
        "helpscout": lambda: {
            "HELPSCOUT_URL": fake.url,
            "HELPSCOUT_APP_ID": fake.app_id,
            "HELPSCOUT_APP_SECRET": fake.app_secret,
            "HELPSCOUT_MAILBOX_ID": str(fake.mailbox),
        },
        "chatwoot": lambda: {
            "CHATWOOT_URL": fake.url,
            "CHATWOOT_API_TOKEN": fake.token,
            "CHATWOOT_ACCOUNT_ID": str(fake.account),
            "CHATWOOT_INBOX_ID": str(fake.inbox),
        },
    }[name]()
    return {"HELPDESK": name, "HELPDESK_TIMEOUT": TIMEOUT, **settings, **overrides}


FAKES = {
    "zendesk": FakeZendesk,
    "freshdesk": FakeFreshdesk,
    "zammad": FakeZammad,
    "helpscout": FakeHelpScout,
    "chatwoot": FakeChatwoot,
}
DOCS = {name: fake.docs for name, fake in FAKES.items()}
BAD_CREDENTIALS = {
    "zendesk": {"ZENDESK_API_TOKEN": "wrong"},
    "freshdesk": {"FRESHDESK_API_KEY": "wrong"},
    "zammad": {"ZAMMAD_TOKEN": "wrong"},
    "helpscout": {"HELPSCOUT_APP_SECRET": "wrong"},
    "chatwoot": {"CHATWOOT_API_TOKEN": "wrong"},
}
# What each vendor documents for a refused login and for an e-mail address it will not take.
REFUSED = {
    "zendesk": "Couldn't authenticate you",
    "freshdesk": "You have to be logged in to perform this action.",
    "zammad": "Authentication required",
    "helpscout": "Bad client credentials",
    "chatwoot": "You need to sign in or sign up before continuing.",
}
INVALID_EMAIL = {
    "zendesk": "requester: Requester: Email is invalid",
    "freshdesk": "Validation failed; email: It should be a valid email address.",
    "zammad": "Invalid email 'guess:anna@example'",
    "helpscout": "Bad request; customer.email: must be a well-formed email address",
    "chatwoot": "Email Invalid email",
}
RATE_LIMIT_HEADER = {"helpscout": "X-RateLimit-Retry-After"}  # the others send Retry-After


@pytest.fixture(params=sorted(FAKES), ids=lambda name: f"{name}:{DOCS[name]}")
def vendor(request):
    with FAKES[request.param]() as fake:
        yield request.param, fake


def payload(reference="NV-7K3M9QXD", **fields):
    values = {**HANDOFF, **fields}
    return {
        "reference": reference,
        "created_at": "2026-11-02T09:00:00Z",
        "locale": values["locale"],
        "topic": values["topic"],
        "channel": values["channel"],
        "customer": {
            "name": values["name"],
            "email": values["email"],
            "order_number": values["order_number"],
        },
        "message": values["message"],
        "context": values["context"],
        "idempotency_key": "k-" + reference,
    }


def delivery(reference="NV-7K3M9QXD", **fields):
    return Delivery("k-" + reference, reference, payload(reference, **fields))


def text(value):
    """HTML turned back into the words, for the vendors that take HTML."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value or "")).strip())


def only_ticket(fake):
    (ticket,) = fake.delivered()
    return ticket


# --- what the agent sees ------------------------------------------------------------------------


def test_a_request_becomes_one_ticket_with_the_context_as_an_internal_note(vendor):
    name, fake = vendor
    sender_from_config(settings_for(name, fake)).send(delivery())
    assert fake.problems == []
    ticket = only_ticket(fake)
    assert text(ticket["message"]) == text(MESSAGE.replace("\n", " "))  # the customer's own words
    assert ticket.get("message_public", True) is True
    (note,) = ticket["notes"]
    for expected in (
        "NV-7K3M9QXD",
        "Anna Berg",
        "anna@example.com",
        "Order number: NV-123456",
        "Topic: return-or-refund",
        "Language: Swedish (sv)",
        "Recommended channel: chat (Chat: open now, answers in about 2 minutes, in Swedish)",
        "Search found a confident answer: no",
        "byta jacka",
        "Returnera en vara",
        "https://help.shop.example/sv/returns/return-an-item",
    ):
        assert expected in text(note), expected
    assert MESSAGE.splitlines()[0] not in note  # the note is the context, not the message again
    assert {"topic-return-or-refund", "lang-sv"} <= set(ticket["tags"])


def test_the_search_confidence_is_left_out_when_the_form_did_not_record_it(vendor):
    name, fake = vendor
    context = {key: value for key, value in CONTEXT.items() if key != "search_confident"}
    sender_from_config(settings_for(name, fake)).send(delivery(context=context))
    (note,) = only_ticket(fake)["notes"]
    assert "confident" not in note and "Searched for:" in text(note)


# --- no duplicates ------------------------------------------------------------------------------


def test_a_retry_after_a_timeout_that_created_the_ticket_makes_no_second_one(vendor):
    name, fake = vendor
    sender = sender_from_config(settings_for(name, fake))
    fake.hang_after_next("POST", fake.create)  # the helpdesk creates it, the answer comes too late
    with pytest.raises(DeliveryError) as failed:
        sender.send(delivery())
    assert not isinstance(failed.value, PermanentDeliveryError)
    assert len(fake.delivered()) == 1  # it really was created
    sender.send(delivery())  # the outbox's retry, same reference
    sender.send(delivery())  # and once more, as after a worker that died before recording success
    ticket = only_ticket(fake)
    assert len(ticket["notes"]) == 1 and fake.problems == []
    if name == "chatwoot":
        assert ticket["incoming"] == [MESSAGE]


def test_two_requests_from_one_customer_are_two_tickets(vendor):
    name, fake = vendor
    sender = sender_from_config(settings_for(name, fake))
    sender.send(delivery("NV-AAAAAAAA"))
    sender.send(delivery("NV-BBBBBBBB"))
    assert len(fake.delivered()) == 2 and fake.problems == []


# --- errors: temporary, rate limited, permanent -------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_retried_and_then_delivered(vendor, status):
    name, fake = vendor
    sender = sender_from_config(settings_for(name, fake))
    fake.fail_next("POST", fake.create, status, {"error": "Internal Server Error"})
    with pytest.raises(DeliveryError) as failed:
        sender.send(delivery())
    assert not isinstance(failed.value, PermanentDeliveryError) and f"HTTP {status}" in str(failed.value)
    sender.send(delivery())
    assert len(fake.delivered()) == 1 and fake.problems == []


def test_429_waits_as_long_as_the_helpdesk_asks(vendor, database_url):
    name, fake = vendor
    fake.fail_next(
        "POST",
        fake.create,
        429,
        {"error": "TooManyRequests"},
        {RATE_LIMIT_HEADER.get(name, "Retry-After"): "600"},
    )
    database = Database(database_url)
    try:
        with database.session() as session:
            create_handoff(session, **HANDOFF)
        now = utcnow()
        stats = deliver_due(database, sender_from_config(settings_for(name, fake)), now=now, backoff_base=1)
        assert (stats.retrying, stats.failed) == (1, 0)
        with database.session() as session:
            outbox = session.scalar(select(OutboxMessage))
            assert outbox.next_attempt_at >= now + dt.timedelta(seconds=600)  # not the 1 s backoff
            assert "HTTP 429" in outbox.last_error and outbox.failed_at is None
        later = now + dt.timedelta(seconds=601)
        assert deliver_due(database, sender_from_config(settings_for(name, fake)), now=later).delivered == 1
        assert len(fake.delivered()) == 1
    finally:
        database.engine.dispose()


def test_refused_credentials_stop_retrying_at_once_with_the_helpdesks_message(vendor, database_url):
    name, fake = vendor
    database = Database(database_url)
    try:
        with database.session() as session:
            reference = create_handoff(session, **HANDOFF).reference
        sender = sender_from_config(settings_for(name, fake, **BAD_CREDENTIALS[name]))
        stats = deliver_due(database, sender)
        assert (stats.delivered, stats.retrying, stats.failed) == (0, 0, 1)
        with database.session() as session:
            (failed,) = failed_handoffs(session)
        assert failed.reference == reference and failed.attempts == 1
        assert "HTTP 401" in failed.last_error and REFUSED[name] in failed.last_error
        assert deliver_due(database, sender).claimed == 0  # nothing is sent for it again
    finally:
        database.engine.dispose()
    assert fake.delivered() == []


def test_a_validation_error_is_permanent_and_names_the_field(vendor):
    name, fake = vendor
    with pytest.raises(PermanentDeliveryError) as refused:
        sender_from_config(settings_for(name, fake)).send(delivery(email="anna@example"))
    assert INVALID_EMAIL[name] in str(refused.value) and "not retried" in str(refused.value)
    assert fake.delivered() == []


def test_an_unreachable_helpdesk_is_a_temporary_failure(vendor):
    name, fake = vendor
    settings = settings_for(name, fake)
    url_key = next(key for key in settings if key.endswith("_URL"))
    settings[url_key] = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(DeliveryError) as failed:
        sender_from_config(settings).send(delivery())
    assert not isinstance(failed.value, PermanentDeliveryError)


# --- flask handoff check ------------------------------------------------------------------------


def test_check_confirms_working_credentials_and_explains_refused_ones(vendor, app_factory):
    name, fake = vendor
    app = app_factory(**settings_for(name, fake))
    result = app.test_cli_runner().invoke(args=["handoff", "check"])
    assert result.exit_code == 0 and result.output.startswith("ok: "), result.output
    app = app_factory(**settings_for(name, fake, **BAD_CREDENTIALS[name]))
    result = app.test_cli_runner().invoke(args=["handoff", "check"])
    assert result.exit_code == 1
    assert "credentials were refused: check PORTAL_" in result.output and REFUSED[name] in result.output
    assert fake.delivered() == []  # a check never creates anything


def test_check_names_every_missing_setting(app_factory):
    app = app_factory(HELPDESK="zendesk", ZENDESK_URL="https://shop.zendesk.com")
    result = app.test_cli_runner().invoke(args=["handoff", "check"])
    assert result.exit_code == 1
    assert "PORTAL_HELPDESK=zendesk needs PORTAL_ZENDESK_EMAIL, PORTAL_ZENDESK_API_TOKEN" in result.output


def test_an_unknown_helpdesk_is_named_with_the_choices(app_factory):
    result = app_factory(HELPDESK="kayako").test_cli_runner().invoke(args=["handoff", "check"])
    assert result.exit_code == 1 and "'kayako' is not a helpdesk" in result.output
    assert "zendesk, freshdesk, zammad, helpscout, chatwoot, django-helpdesk" in result.output


def test_zammad_check_names_a_group_that_does_not_exist(app_factory):
    with FakeZammad() as fake:
        app = app_factory(**settings_for("zammad", fake, ZAMMAD_GROUP="Returns"))
        result = app.test_cli_runner().invoke(args=["handoff", "check"])
    assert result.exit_code == 1
    assert "no group 'Returns'" in result.output and "Users, Support" in result.output


def test_zammad_delivery_to_a_missing_group_is_refused_with_zammads_words():
    with FakeZammad() as fake, pytest.raises(PermanentDeliveryError) as refused:
        sender_from_config(settings_for("zammad", fake, ZAMMAD_GROUP="Returns")).send(delivery())
    assert "No lookup value found for 'group': 'Returns'" in str(refused.value)


# --- vendor details -----------------------------------------------------------------------------


def test_help_scout_reuses_its_token_and_renews_it_once_when_it_expires():
    with FakeHelpScout() as fake:
        sender = sender_from_config(settings_for("helpscout", fake))
        sender.send(delivery("NV-AAAAAAAA"))
        sender.send(delivery("NV-BBBBBBBB"))
        assert fake.tokens_issued == 1
        fake.expire_tokens()  # Help Scout tokens expire after two days
        sender.send(delivery("NV-CCCCCCCC"))
        assert fake.tokens_issued == 2 and len(fake.delivered()) == 3 and fake.problems == []


def test_zendesk_sends_the_idempotency_key_and_finds_the_ticket_by_external_id():
    with FakeZendesk() as fake:
        sender_from_config(settings_for("zendesk", fake)).send(delivery())
        (ticket,) = fake.tickets.values()
        assert ticket["external_id"] == "NV-7K3M9QXD"
        assert ("GET", "/api/v2/tickets.json?external_id=NV-7K3M9QXD") in fake.requests


def test_chatwoot_reuses_a_known_contact():
    with FakeChatwoot() as fake:
        sender = sender_from_config(settings_for("chatwoot", fake))
        sender.send(delivery("NV-AAAAAAAA"))
        sender.send(delivery("NV-BBBBBBBB"))
        assert len(fake.contacts) == 1 and len(fake.conversations) == 2 and fake.problems == []


def test_retry_after_reads_seconds_and_http_dates():
    now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Mon, 02 Nov 2026 09:05:00 GMT", now) == 300
    assert retry_after_seconds("Mon, 02 Nov 2026 08:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {
                    "requester": [{"description": "Requester: Email is invalid", "error": "InvalidValue"}]
                },
            },
            "Record validation errors; requester: Requester: Email is invalid",
        ),
        (
            {
                "description": "Validation failed",
                "errors": [
                    {
                        "field": "email",
                        "message": "It should be a valid email address.",
                        "code": "invalid_value",
                    }
                ],
            },
            "Validation failed; email: It should be a valid email address.",
        ),
        (
            {"queue": ['Invalid pk "9" - object does not exist.']},
            'queue: Invalid pk "9" - object does not exist.',
        ),
        ({"detail": "Invalid username/password."}, "Invalid username/password."),
    ],
)
def test_error_detail_reads_each_vendors_error_shape(body, expected):
    assert error_detail(body) == expected


def test_a_refused_ticket_shows_in_admin_with_the_helpdesks_words(app_factory):
    with FakeFreshdesk() as fake:
        app = app_factory(**settings_for("freshdesk", fake))
        runner = app.test_cli_runner()
        password = "correct horse battery"
        assert (
            runner.invoke(
                args=["admin", "create-user", "editor@shop.example", "--password", password]
            ).exit_code
            == 0
        )
        with app.extensions["db"].session() as session:
            reference = create_handoff(session, **{**HANDOFF, "email": "anna@example"}).reference
        result = runner.invoke(args=["handoff", "deliver", "--once"])
        assert "failed 1" in result.output, result.output
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/admin/login", data={"email": "editor@shop.example", "password": password, "csrf_token": token}
    )
    page = html.unescape(client.get("/admin/handoffs").get_data(as_text=True))
    assert reference in page and "email: It should be a valid email address." in page


def test_check_signs_in_to_the_mail_server_without_sending_and_names_the_webhook(app_factory):
    from tests.handoff.receiver import SmtpServer

    with SmtpServer() as smtp:
        mail = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "SMTP_STARTTLS": False,
            "SMTP_USER": "portal",
            "SMTP_PASSWORD": "pw",
            "SMTP_FROM": "portal@shop.example",
            "SMTP_TO": "help@shop.example",
        }
        result = app_factory(HELPDESK="smtp", **mail).test_cli_runner().invoke(args=["handoff", "check"])
        assert result.exit_code == 0, result.output
        assert (
            f"connected to 127.0.0.1:{smtp.port} as portal; requests go to help@shop.example" in result.output
        )
        assert smtp.logins == [("portal", "pw")] and smtp.messages == []
    closed = {**mail, "SMTP_PORT": 9}
    result = app_factory(HELPDESK="smtp", **closed).test_cli_runner().invoke(args=["handoff", "check"])
    assert (
        result.exit_code == 1
        and "could not be reached" in result.output
        and "PORTAL_SMTP_HOST" in result.output
    )
    webhook = {"WEBHOOK_URL": "https://hooks.shop.example/handoff", "WEBHOOK_SECRET": "s"}
    result = app_factory(**webhook).test_cli_runner().invoke(args=["handoff", "check"])
    assert result.exit_code == 0 and "webhook: https://hooks.shop.example/handoff" in result.output


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, "accepted the credentials but this account may not do this"),
        (404, "has no such address or object: check the URL and the ids"),
        (422, "Zendesk refused the request"),
        (503, "could not be reached or had a temporary problem"),
    ],
)
def test_check_explains_each_kind_of_refusal(status, expected):
    from portal.handoff.helpdesks import explain
    from portal.handoff.helpdesks.http import Response, status_error

    with FakeZendesk() as fake:
        connector = sender_from_config(settings_for("zendesk", fake))
    error = status_error("Zendesk: GET /api/v2/users/me.json", Response(status, {}, {"error": "Nope"}))
    assert expected in explain(connector, error) and f"HTTP {status}: Nope" in explain(connector, error)


def test_chatwoot_check_refuses_an_inbox_that_is_not_an_api_inbox():
    with FakeChatwoot() as fake:
        fake.get_inbox = lambda request, match: (
            200,
            {"id": 4, "name": "Website", "channel_type": "Channel::WebWidget"},
        )
        with pytest.raises(DeliveryError, match="create an API inbox"):
            sender_from_config(settings_for("chatwoot", fake)).check()


def test_the_note_names_the_searches_without_a_confident_answer():
    """The agent sees which searches search by meaning could not answer: an article is missing."""
    from portal.handoff.helpdesks.ticket import build_ticket

    unanswered = build_ticket(payload(context={**CONTEXT, "searches_not_confident": ["byta jacka"]}))
    answered = build_ticket(payload(context={**CONTEXT, "searches_not_confident": []}))
    assert "No confident answer for: \u201cbyta jacka\u201d" in unanswered.note_lines
    assert not [line for line in answered.note_lines if line.startswith("No confident answer")]
