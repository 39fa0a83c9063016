"""Handoff delivery (docs/handoff.md): the outbox worker on SQLite and PostgreSQL, the signed
webhook against a real local receiver, e-mail against a local SMTP server, and a worker
killed mid-batch that still gets every handoff to the helpdesk."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, text

from portal import create_app
from portal.db import Database
from portal.handoff.delivery import (
    ConfigurationError,
    Delivery,
    DeliveryError,
    encode_body,
    sign,
    verify_signature,
)
from portal.handoff.outbox import DeliveryStats, backoff_delay, deliver_due, failed_handoffs, run_worker
from portal.handoff.senders import SmtpSender, WebhookSender, sender_from_config
from portal.handoff.store import REFERENCE_ALPHABET, create_handoff
from portal.models import Handoff, OutboxMessage
from tests.handoff.receiver import SmtpServer, WebhookReceiver
from tests.helpers import DEMO_CONTENT, ROOT, wait_until

SECRET = "test-secret-\u00e5\u00e4\u00f6"
T0 = dt.datetime(2026, 11, 2, 9, 0)
HANDOFF = {"locale": "sv", "topic": "return-or-refund", "channel": "form", "name": "Anna Berg",
           "email": "anna@example.com", "message": "Dragkedjan på min jacka är trasig.",
           "order_number": "NV-123456",
           "context": {"searches": ["byta jacka"], "searches_not_confident": ["byta jacka"],
                       "articles": [{"id": "returns/return-an-item", "title": "Returnera en vara",
                                     "url": "/sv/returns/return-an-item"}]}}


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def receiver():
    with WebhookReceiver(SECRET) as running:
        yield running


def add_handoffs(db, count=1, created_at=None, **fields) -> list[str]:
    """Store `count` handoffs with their outbox messages; their idempotency keys, in order."""
    with db.session() as session:
        values = {**HANDOFF, **fields, "created_at": created_at}
        ids = [create_handoff(session, **values).id for _ in range(count)]
        keys = dict(session.execute(select(OutboxMessage.handoff_id, OutboxMessage.idempotency_key)
                                    .where(OutboxMessage.handoff_id.in_(ids))).all())
    return [keys[i] for i in ids]


def outbox(db, key) -> OutboxMessage:
    with db.session() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()


def status(db, key) -> str:
    with db.session() as session:
        return session.scalar(select(Handoff.status)
                              .join(OutboxMessage, OutboxMessage.handoff_id == Handoff.id)
                              .where(OutboxMessage.idempotency_key == key))


class RecordingSender:
    """Takes every message (or raises what `fail` returns for it) and remembers the keys."""

    timeout = 1

    def __init__(self, fail=None):
        self.keys: list[str] = []
        self.fail = fail

    def send(self, delivery):
        self.keys.append(delivery.idempotency_key)
        error = self.fail(delivery) if self.fail else None
        if error is not None:
            raise error


# --- storing --------------------------------------------------------------------------------------


def test_create_handoff_stores_the_request_and_its_outbox_message_together(db):
    with db.session() as session:
        handoff = create_handoff(session, **HANDOFF)
        reference = handoff.reference
    assert re.fullmatch(rf"HC-[{REFERENCE_ALPHABET}]{{8}}", reference)  # no site.yml prefix given
    assert not set("ILOU") & set(REFERENCE_ALPHABET)
    with db.session() as session:
        stored = session.scalars(select(Handoff)).one()
        message = session.scalars(select(OutboxMessage)).one()
    assert (stored.reference, stored.status, stored.context) == (reference, "pending", HANDOFF["context"])
    assert message.handoff_id == stored.id and re.fullmatch(r"[0-9a-f]{32}", message.idempotency_key)
    assert message.attempts == 0 and message.next_attempt_at == message.created_at == stored.created_at

    with pytest.raises(RuntimeError), db.session() as session:
        create_handoff(session, **HANDOFF)
        raise RuntimeError("the caller's transaction fails")
    with db.session() as session:
        assert session.query(Handoff).count() == 1 and session.query(OutboxMessage).count() == 1


# --- backoff and signatures ------------------------------------------------------------------------


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    exact = [backoff_delay(n, jitter=0).total_seconds() for n in range(1, 11)]
    assert exact == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert backoff_delay(10_000, jitter=0) == dt.timedelta(hours=1)
    for n, seconds in enumerate(exact, start=1):
        jittered = backoff_delay(n, "some-key").total_seconds()
        assert 0.9 * seconds <= jittered <= seconds
        assert backoff_delay(n, "some-key") == backoff_delay(n, "some-key")  # deterministic
    spread = {backoff_delay(3, f"key-{i}") for i in range(20)}
    assert len(spread) == 20  # messages that failed together do not retry together
    assert backoff_delay(2, base=0.05, jitter=0) == dt.timedelta(seconds=0.1)


def test_signature_covers_the_timestamp_and_the_exact_body():
    body = encode_body({"reference": "NV-0000ABCD", "message": "Hej då"})
    header = sign(SECRET, 1_790_000_000, body)
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", header)
    assert verify_signature(SECRET, "1790000000", body, header)
    assert verify_signature(SECRET, 1_790_000_000, body, header)
    assert not verify_signature(SECRET, "1790000000", body.replace(b"Hej", b"Hey"), header)
    assert not verify_signature(SECRET, "1790000001", body, header)
    assert not verify_signature("another secret", "1790000000", body, header)
    assert not verify_signature(SECRET, "1790000000", body + b" ", header)
    for bad in (None, "", header.removeprefix("sha256="), header.upper(), "sha256=\u00e9", "sha256=zz"):
        assert not verify_signature(SECRET, "1790000000", body, bad)
    for bad_timestamp in ("", "17e8", " 1790000000", "-1790000000"):
        assert not verify_signature(SECRET, bad_timestamp, body, header)
    assert verify_signature(SECRET, "1790000000", body, header, max_age=300, now=1_790_000_299)
    assert not verify_signature(SECRET, "1790000000", body, header, max_age=300, now=1_790_000_301)


# --- the webhook -----------------------------------------------------------------------------------


def test_webhook_request_carries_the_documented_payload_and_headers(receiver):
    payload = {"reference": "NV-7K3M9QXD", "message": "Hallå", "idempotency_key": "k" * 32}
    WebhookSender(receiver.url, SECRET, clock=lambda: 1_790_000_000.7).send(
        Delivery("k" * 32, "NV-7K3M9QXD", payload))
    [request] = receiver.requests
    assert request.content_type == "application/json" and request.key == "k" * 32
    assert request.timestamp == "1790000000" and request.signature_valid and request.status == 200
    assert request.body == encode_body(payload) and request.payload == payload


def test_payload_describes_the_handoff_and_what_the_customer_tried(db, receiver):
    [key] = add_handoffs(db, created_at=T0)
    stats = deliver_due(db, WebhookSender(receiver.url, SECRET), now=T0, public_url="https://help.shop.example")
    assert (stats.delivered, stats.retrying, stats.failed) == (1, 0, 0)
    reference = receiver.accepted[key]["reference"]
    assert receiver.accepted[key] == {
        "reference": reference,
        "created_at": "2026-11-02T09:00:00Z",
        "locale": "sv",
        "topic": "return-or-refund",
        "channel": "form",
        "customer": {"name": "Anna Berg", "email": "anna@example.com", "order_number": "NV-123456"},
        "message": "Dragkedjan på min jacka är trasig.",
        "context": {"searches": ["byta jacka"], "searches_not_confident": ["byta jacka"],
                    "articles": [{"id": "returns/return-an-item", "title": "Returnera en vara",
                                  "url": "https://help.shop.example/sv/returns/return-an-item"}]},
        "idempotency_key": key,
    }
    row = outbox(db, key)
    assert row.delivered_at == T0 and row.locked_until is None and row.attempts == 0
    assert status(db, key) == "delivered"
    assert deliver_due(db, WebhookSender(receiver.url, SECRET), now=T0 + dt.timedelta(days=1)).claimed == 0


def test_409_already_received_counts_as_delivered(db, receiver):
    [key] = add_handoffs(db, created_at=T0)
    receiver.accepted[key] = {}  # the helpdesk got it before, and says so
    stats = deliver_due(db, WebhookSender(receiver.url, SECRET), now=T0)
    assert stats.delivered == 1 and receiver.duplicates == [key] and receiver.requests[0].status == 409
    assert outbox(db, key).delivered_at == T0 and status(db, key) == "delivered"


def _closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/hook"


@pytest.mark.parametrize(("action", "reason"), [
    ("hang", "timed out"),
    ("close", "RemoteDisconnected"),
    ("refused", "ConnectionRefusedError"),
    (503, "HTTP 503"),
    (500, "HTTP 500"),
    (400, "HTTP 400"),
    (302, "HTTP 302"),  # a redirect is not followed: urllib would turn the POST into a GET
])
def test_anything_but_2xx_or_409_is_a_failure_with_its_reason(db, receiver, action, reason):
    [key] = add_handoffs(db, created_at=T0)
    url = _closed_port_url() if action == "refused" else receiver.url
    if action != "refused":
        receiver.script.append(action)
    stats = deliver_due(db, WebhookSender(url, SECRET, timeout=0.3), now=T0)
    assert (stats.delivered, stats.retrying, stats.failed) == (0, 1, 0)
    row = outbox(db, key)
    assert reason in row.last_error and row.attempts == 1 and row.delivered_at is None
    assert row.locked_until is None and row.next_attempt_at == T0 + backoff_delay(1, key)
    assert status(db, key) == "pending" and key not in receiver.accepted


def test_webhook_down_for_two_days_keeps_retrying_until_it_is_back(db, receiver):
    [key] = add_handoffs(db, created_at=T0)
    sender = WebhookSender(receiver.url, SECRET)
    receiver.down = True
    now, attempts = T0, 0
    while now < T0 + dt.timedelta(days=2):
        assert deliver_due(db, sender, now=now).retrying == 1
        row = outbox(db, key)
        attempts += 1
        assert row.attempts == attempts and row.failed_at is None and row.last_error.startswith("HTTP 503")
        assert dt.timedelta(0) < row.next_attempt_at - now <= dt.timedelta(hours=1)
        assert deliver_due(db, sender, now=row.next_attempt_at - dt.timedelta(seconds=1)).claimed == 0
        now = row.next_attempt_at
    assert attempts > 48 and status(db, key) == "pending"
    receiver.down = False
    assert deliver_due(db, sender, now=now).delivered == 1
    assert status(db, key) == "delivered" and outbox(db, key).delivered_at == now
    assert list(receiver.accepted) == [key] and all(r.signature_valid for r in receiver.requests)
    with db.session() as session:
        assert failed_handoffs(session) == []


def test_after_three_days_without_success_a_person_is_asked(db, receiver):
    [key, other] = add_handoffs(db, 2, created_at=T0)
    sender = WebhookSender(receiver.url, SECRET)
    receiver.down = True
    now = T0
    while True:
        stats = deliver_due(db, sender, now=now, batch=1)
        if stats.failed:
            break
        assert stats.retrying == 1 and now < T0 + dt.timedelta(days=3)
        previous, now = now, min(outbox(db, k).next_attempt_at for k in (key, other))
    assert previous < T0 + dt.timedelta(days=3) <= now  # the first attempt after the deadline gives up
    row = outbox(db, key) if outbox(db, key).failed_at else outbox(db, other)
    assert row.failed_at == now and row.delivered_at is None and row.last_error.startswith("HTTP 503")
    deliver_due(db, sender, now=now + dt.timedelta(hours=2))  # the other one gives up too
    assert {status(db, k) for k in (key, other)} == {"failed"}
    with db.session() as session:
        listed = failed_handoffs(session)
    assert {f.reference for f in listed} == {r.payload["reference"] for r in receiver.requests}
    assert len(listed) == 2 and all(f.attempts > 70 and f.email == "anna@example.com" for f in listed)
    receiver.down = False
    assert deliver_due(db, sender, now=now + dt.timedelta(days=1)).claimed == 0  # nothing more is sent


# --- leases and concurrent workers --------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the send runs, not even `except Exception`."""


def test_a_worker_killed_after_sending_leaves_the_message_to_be_sent_again_with_the_same_key(db):
    [key] = add_handoffs(db, created_at=T0)

    def die(delivery):
        return WorkerKilled()

    with pytest.raises(WorkerKilled):
        deliver_due(db, RecordingSender(fail=die), now=T0, lease_seconds=60)
    row = outbox(db, key)
    assert row.locked_until == T0 + dt.timedelta(seconds=60)
    assert row.delivered_at is None and row.attempts == 0
    again = RecordingSender()
    assert deliver_due(db, again, now=T0 + dt.timedelta(seconds=59)).claimed == 0  # still leased
    assert deliver_due(db, again, now=T0 + dt.timedelta(seconds=60)).delivered == 1
    assert again.keys == [key] and status(db, key) == "delivered"


def test_stop_finishes_the_current_message_and_hands_the_rest_back(db):
    keys = add_handoffs(db, 5, created_at=T0)
    stop = threading.Event()
    sender = RecordingSender(fail=lambda delivery: stop.set())
    stats = deliver_due(db, sender, now=T0, stop_event=stop)
    assert (stats.claimed, stats.delivered, stats.released) == (5, 1, 4) and sender.keys == keys[:1]
    assert all(outbox(db, k).locked_until is None for k in keys[1:])
    assert deliver_due(db, RecordingSender(), now=T0).delivered == 4  # claimable again at once


def test_two_workers_never_send_the_same_message(database_url):
    setup = Database(database_url)
    keys = add_handoffs(setup, 30)
    setup.engine.dispose()
    sent, errors, lock = [], [], threading.Lock()
    both_claimed = threading.Barrier(2, timeout=30)

    class Sender:
        timeout = 1

        def __init__(self, name):
            self.name, self.first = name, True

        def send(self, delivery):
            if self.first:  # both workers hold a claimed batch before either sends
                self.first = False
                both_claimed.wait()
            with lock:
                sent.append((self.name, delivery.idempotency_key))

    def work(name):
        database = Database(database_url)  # each worker its own engine, as separate processes have
        try:
            sender = Sender(name)
            while deliver_due(database, sender, batch=4).claimed:
                pass
        except BaseException as error:  # reported below, not as an unhandled thread exception
            errors.append(error)
        finally:
            database.engine.dispose()

    workers = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == [] and not any(worker.is_alive() for worker in workers)
    assert sorted(key for _, key in sent) == sorted(keys)  # every message once, none twice
    assert {name for name, _ in sent} == {"a", "b"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_claims_skip_rows_another_worker_has_locked(database_url):
    setup = Database(database_url)
    keys = add_handoffs(setup, 6, created_at=T0)
    # Without SKIP LOCKED this worker would wait for the lock: make that an error, not a hang.
    worker = Database(database_url + "?options=-c%20lock_timeout%3D5000")
    sender = RecordingSender()
    try:
        with setup.engine.connect() as other_worker:  # mid-claim: rows locked, transaction open
            locked = other_worker.execute(text("SELECT idempotency_key FROM outbox "
                                               "ORDER BY next_attempt_at, id LIMIT 3 FOR UPDATE")).scalars()
            assert list(locked) == keys[:3]
            stats = deliver_due(worker, sender, now=T0, batch=10)
            other_worker.rollback()
    finally:
        worker.engine.dispose()
        setup.engine.dispose()
    assert stats.claimed == 3 and sender.keys == keys[3:]


# --- e-mail ------------------------------------------------------------------------------------------


def test_smtp_delivery_retries_and_sends_a_mail_the_mailbox_can_dedupe(db):
    [key] = add_handoffs(db, created_at=T0)
    with SmtpServer() as smtp:
        sender = SmtpSender("127.0.0.1", smtp.port, "portal", "s3cret", "Help Centre <portal@shop.example>",
                            "helpdesk@shop.example", starttls=False)
        smtp.reject_next = 1
        assert deliver_due(db, sender, now=T0).retrying == 1
        assert "451" in outbox(db, key).last_error and smtp.messages == []
        assert deliver_due(db, sender, now=T0 + dt.timedelta(minutes=1)).delivered == 1
        payload = _payload_of(smtp.messages[0])
        sender.send(Delivery(key, payload["reference"], payload))  # as after a kill: the same key again
    first, again = smtp.messages
    assert first.sender == "portal@shop.example" and first.recipients == ["helpdesk@shop.example"]
    assert smtp.logins == [("portal", "s3cret")] * 3
    mail = message_from_bytes(first.data, policy=policy.default)
    assert mail["Message-ID"] == f"<handoff.{key}@shop.example>"
    assert message_from_bytes(again.data, policy=policy.default)["Message-ID"] == mail["Message-ID"]
    assert mail["Subject"] == f"[{payload['reference']}] return-or-refund: Anna Berg"
    assert mail["Reply-To"].addresses[0].addr_spec == "anna@example.com"
    assert mail["X-Portal-Idempotency-Key"] == key
    body = mail.get_body(("plain",)).get_content()
    assert "Dragkedjan på min jacka är trasig." in body and "NV-123456" in body and "byta jacka" in body
    assert "- byta jacka (no confident answer in the help centre)" in body
    assert payload["idempotency_key"] == key and payload["customer"]["email"] == "anna@example.com"
    assert status(db, key) == "delivered"


def _payload_of(mail):
    message = message_from_bytes(mail.data, policy=policy.default)
    [attachment] = list(message.iter_attachments())
    return json.loads(attachment.get_content())


def test_sender_from_config():
    assert sender_from_config({}) is None
    webhook = sender_from_config({"WEBHOOK_URL": "https://desk.example/hook", "WEBHOOK_SECRET": "s",
                                  "WEBHOOK_TIMEOUT": 4, "SMTP_HOST": "mail.example"})
    assert isinstance(webhook, WebhookSender) and webhook.timeout == 4
    smtp = sender_from_config({"SMTP_HOST": "mail.example", "SMTP_PORT": 2525, "SMTP_FROM": "a@shop.example",
                               "SMTP_TO": "desk@shop.example", "SMTP_STARTTLS": False})
    assert isinstance(smtp, SmtpSender) and (smtp.port, smtp.starttls) == (2525, False)
    for broken in ({"WEBHOOK_URL": "https://desk.example/hook"}, {"WEBHOOK_URL": "file:///etc/passwd",
                                                                 "WEBHOOK_SECRET": "s"},
                   {"SMTP_HOST": "mail.example", "SMTP_FROM": "a@shop.example"},
                   {"SMTP_HOST": "mail.example", "SMTP_FROM": "a@shop.example", "SMTP_TO": "d@shop.example",
                    "SMTP_USER": "portal", "SMTP_PASSWORD": "p\u00e4ss"}):
        with pytest.raises(ConfigurationError):
            sender_from_config(broken)


# --- the worker and its command -------------------------------------------------------------------


def test_run_worker_once_and_until_stopped(db):
    add_handoffs(db, 3)
    sender = RecordingSender()
    assert run_worker(db, sender, once=True, batch=2) == DeliveryStats(delivered=2, claimed=2)
    add_handoffs(db, 2)
    stop, batches = threading.Event(), []

    def report(stats):
        batches.append(str(stats))
        if len(batches) == 2:
            stop.set()

    total = run_worker(db, sender, once=False, interval=0.01, stop_event=stop, batch=2, report=report)
    assert total == DeliveryStats(delivered=3, claimed=3)
    assert batches == ["delivered 2, retrying 0, failed 0", "delivered 1, retrying 0, failed 0"]
    assert len(sender.keys) == 5 == len(set(sender.keys))


def cli_app(tmp_path, database_url, **config):
    """The app for its commands: no search index is built (app_factory would build one)."""
    return create_app({"TESTING": True, "CONTENT_DIR": DEMO_CONTENT, "DATA_DIR": tmp_path / "instance",
                       "DATABASE_URL": database_url, "SEARCH_BACKEND": "null", "WEBHOOK_URL": None,
                       "SMTP_HOST": None, **config})


def test_deliver_command_without_a_helpdesk_says_so(tmp_path):
    app = cli_app(tmp_path, f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    result = app.test_cli_runner().invoke(args=["handoff", "deliver", "--once"])
    app.extensions["db"].engine.dispose()
    assert result.exit_code != 0 and "no helpdesk is configured" in result.output


def test_deliver_command_once_prints_the_batch(tmp_path, database_url, receiver):
    app = cli_app(tmp_path, database_url, WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET)
    try:
        keys = add_handoffs(app.extensions["db"], 2)
        receiver.script.append(503)
        result = app.test_cli_runner().invoke(args=["handoff", "deliver", "--once"])
    finally:
        app.extensions["db"].engine.dispose()
    assert result.exit_code == 0, result.output
    assert result.output == "delivered 1, retrying 1, failed 0\n"
    assert set(receiver.accepted) == {keys[1]}


# --- acceptance: a real worker process, killed mid-batch ---------------------------------------------


@pytest.fixture
def worker_processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def start_worker(tmp_path, database_url, receiver, name):
    env = {**os.environ, "DATABASE_URL": database_url, "PORTAL_CONTENT_DIR": str(DEMO_CONTENT),
           "PORTAL_DATA_DIR": str(tmp_path / "instance"), "PORTAL_SEARCH_BACKEND": "null",
           "PORTAL_WEBHOOK_URL": receiver.url, "PORTAL_WEBHOOK_SECRET": SECRET,
           "PORTAL_WEBHOOK_TIMEOUT": "30",  # a held request is still waiting when the worker is killed
           "PORTAL_HANDOFF_LEASE_SECONDS": "2", "PORTAL_HANDOFF_BACKOFF_BASE_SECONDS": "0.05",
           "PORTAL_HANDOFF_BATCH": "20", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
           # A production process: it needs a key and the public origin (portal/security.py).
           "PORTAL_SECRET_KEY": "worker-test-key-" + "w" * 32, "PORTAL_PUBLIC_URL": "https://help.shop.example"}
    log = tmp_path / f"{name}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "handoff", "deliver",
                                    "--interval", "0.2"], cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    return process, log


def test_killed_worker_restarted_delivers_every_handoff_exactly_once_by_key(
        tmp_path, database_url, db, receiver, worker_processes):
    keys = add_handoffs(db, 20)
    # The helpdesk refuses the first three requests, takes four, then takes the eighth but
    # never answers it: the worker is killed while it waits, before it can record the delivery.
    receiver.script.extend([503, 503, 503, None, None, None, None, "hold"])
    first, first_log = start_worker(tmp_path, database_url, receiver, "first")
    worker_processes.append(first)
    wait_until(receiver.holding.is_set, message="the eighth request",
               describe=lambda: first_log.read_text(errors="replace"))
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    held = receiver.requests[7].key
    assert held in receiver.accepted and outbox(db, held).delivered_at is None
    receiver.release()

    second, second_log = start_worker(tmp_path, database_url, receiver, "second")
    worker_processes.append(second)

    def delivered():
        with db.session() as session:
            return session.query(OutboxMessage).where(OutboxMessage.delivered_at.is_not(None)).count()

    wait_until(lambda: delivered() == 20, message="all 20 deliveries",
               describe=lambda: second_log.read_text(errors="replace"))
    second.send_signal(signal.SIGTERM)  # graceful: finishes the current message, then exits 0
    assert second.wait(30) == 0, second_log.read_text(errors="replace")
    assert "delivered" in second_log.read_text()

    assert set(receiver.accepted) == set(keys)  # every handoff, deduplicated by key
    assert all(request.signature_valid for request in receiver.requests)
    assert held in receiver.duplicates  # sent again after the kill, recognised by its key
    answers = {request.key: [] for request in receiver.requests}
    for request in receiver.requests:
        answers[request.key].append(request.status)
    for key in keys:
        # Per key: refusals, then exactly one acceptance; any repeat after it was answered 409.
        statuses = [s for s in answers[key] if s is not None]
        accepted_at = statuses.index(200) if 200 in statuses else 0
        assert set(statuses[:accepted_at]) <= {503}, (key, statuses)
        assert set(statuses[accepted_at + 1:]) <= {409}, (key, statuses)
    refused = [request.key for request in receiver.requests[:3]]
    for key in refused:
        row = outbox(db, key)
        assert row.attempts == 1 and row.last_error.startswith("HTTP 503")
    with db.session() as session:
        assert set(session.scalars(select(Handoff.status))) == {"delivered"}
        assert session.query(OutboxMessage).where(OutboxMessage.locked_until.is_not(None)).count() == 0


# --- choosing the helpdesk (PORTAL_HELPDESK) -----------------------------------------------------


def test_portal_helpdesk_picks_the_sender_and_names_what_is_missing():
    both = {"WEBHOOK_URL": "https://hooks.example/h", "WEBHOOK_SECRET": "s", "SMTP_HOST": "mail.example",
            "SMTP_FROM": "portal@shop.example", "SMTP_TO": "help@shop.example"}
    assert isinstance(sender_from_config(both), WebhookSender)  # unset: today's order
    assert isinstance(sender_from_config({**both, "HELPDESK": "webhook"}), WebhookSender)
    assert isinstance(sender_from_config({**both, "HELPDESK": "smtp"}), SmtpSender)
    with pytest.raises(ConfigurationError, match="PORTAL_HELPDESK=webhook needs PORTAL_WEBHOOK_URL"):
        sender_from_config({"HELPDESK": "webhook", "SMTP_HOST": "mail.example"})
    with pytest.raises(ConfigurationError, match="PORTAL_HELPDESK=smtp needs PORTAL_SMTP_HOST"):
        sender_from_config({"HELPDESK": "smtp", "WEBHOOK_URL": "https://hooks.example/h"})
    with pytest.raises(ConfigurationError, match="PORTAL_DJANGO_HELPDESK_QUEUE must be a number"):
        sender_from_config({"HELPDESK": "django-helpdesk", "DJANGO_HELPDESK_URL": "http://127.0.0.1:1",
                            "DJANGO_HELPDESK_USER": "u", "DJANGO_HELPDESK_PASSWORD": "p",
                            "DJANGO_HELPDESK_QUEUE": "help-centre"})


def test_the_payload_carries_the_recommendation_and_search_confidence_only_when_stored(db):
    from portal.handoff.delivery import build_payload

    recommended = {"channel": "chat", "reason": "Chat: open now, answers in about 2 minutes, in Swedish"}
    with db.session() as session:
        plain = create_handoff(session, **HANDOFF)
        context = {**HANDOFF["context"], "recommended": recommended, "search_confident": True}
        extra = create_handoff(session, **{**HANDOFF, "context": context})
        assert set(build_payload(plain, "k")["context"]) == {"searches", "articles", "searches_not_confident"}
        context = build_payload(extra, "k")["context"]
        assert context["recommended"] == recommended and context["search_confident"] is True


def test_a_rate_limit_holds_back_the_rest_of_the_batch_without_counting_an_attempt(db):
    from portal.handoff.delivery import DeliveryError

    class RateLimited:
        def __init__(self):
            self.sent = []

        def send(self, delivery):
            self.sent.append(delivery.idempotency_key)
            raise DeliveryError("HTTP 429 Too Many Requests (retry after 120 s)", retry_after=120)

    keys = add_handoffs(db, 4, created_at=T0)
    sender = RateLimited()
    stats = deliver_due(db, sender, now=T0, batch=4, backoff_base=1)
    assert (stats.claimed, stats.retrying, stats.released) == (4, 1, 3)
    assert len(sender.sent) == 1  # one request, not four, while the helpdesk asks for a pause
    for key in keys:
        row = outbox(db, key)
        assert row.next_attempt_at >= T0 + dt.timedelta(seconds=120) and row.locked_until is None
        assert row.attempts == (1 if key == sender.sent[0] else 0)
    assert deliver_due(db, sender, now=T0 + dt.timedelta(seconds=119)).claimed == 0


def test_the_webhook_timeout_is_a_deadline_for_the_whole_send():
    """L8: a receiver that trickles one header line at a time held a send 31 s past its lease,
    because the timeout applied to each read."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()
    lines_sent = []

    def trickle():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.05):  # a header line every 50 ms, never the end of the headers
                try:
                    connection.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    return
                lines_sent.append(1)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    sender = WebhookSender(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", SECRET, timeout=0.5)
    try:
        with pytest.raises(DeliveryError, match=r"no complete answer within 0\.5 s"):
            sender.send(Delivery("k" * 32, "NV-7K3M9QXD", {"reference": "NV-7K3M9QXD"}))
        assert lines_sent, "the receiver was still answering, one line at a time"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
