"""A real django-helpdesk, end to end: installed from the package registry (pinned) in its own
virtualenv, migrated, served on a free port with its REST API on; the portal's outbox delivers
into it. What the helpdesk stored is read from its own database, not through the API the
portal used (tests/handoff/django_helpdesk_site.py)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

import pytest

from portal.db import Database
from portal.handoff.outbox import deliver_due, run_worker
from portal.handoff.senders import sender_from_config
from portal.handoff.store import create_handoff
from portal.models import Handoff, OutboxMessage
from tests.handoff.django_helpdesk_site import PASSWORD, USER, DjangoHelpdesk
from tests.helpers import ServedInThread, wait_until

HANDOFF = {
    "locale": "pl",
    "topic": "delivery",
    "channel": "form",
    "name": "Jan Kowalski",
    "email": "jan@example.com",
    "message": "Moja paczka nie dotarła.\nCzy możecie sprawdzić?",
    "order_number": "NV-654321",
    "context": {
        "searches": ["gdzie jest paczka"],
        "articles": [{"id": "delivery/track-your-order", "title": "Śledź zamówienie", "url": None}],
        "recommended": {"channel": "email", "reason": "E-mail: we reply within 1 day, in Polish"},
    },
}
TIMEOUT = 5.0  # the connector's; the proxy holds a "too late" answer longer than this
HOLD_SECONDS = 7.0

# The portal's tickets: references start with the default prefix, HC- (no site.yml here).
TICKETS = """
import json
from helpdesk.models import Ticket
print(json.dumps([{"title": t.title, "description": t.description, "queue": t.queue.slug,
                   "submitter_email": t.submitter_email,
                   "followups": [{"public": f.public, "title": f.title, "comment": f.comment}
                                 for f in t.followup_set.order_by("id")]}
                  for t in Ticket.objects.filter(title__startswith="[HC-").order_by("id")]))
"""


@pytest.fixture(scope="session")
def helpdesk(tmp_path_factory):
    site = DjangoHelpdesk(tmp_path_factory.mktemp("django-helpdesk"))
    site.start()
    yield site
    site.stop()


class HoldingProxy(ServedInThread):
    """Forwards to django-helpdesk; on request, does the next ticket creation and then answers
    too late, as a helpdesk that created the ticket while the portal gave up waiting."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.hold_next_create = False
        self.held = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                proxy._forward(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        super().__init__(Handler)
        self.server.daemon_threads = True

    @property
    def url(self):
        return super().url + "/helpdesk"

    def _forward(self, handler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) or None
        headers = {k: v for k, v in handler.headers.items() if k.lower() in ("authorization", "content-type")}
        request = urllib.request.Request(
            self.upstream + handler.path,
            data=body,
            method=handler.command,
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, data = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        if handler.command == "POST" and handler.path.endswith("/api/tickets/") and self.hold_next_create:
            self.hold_next_create = False
            self.held.set()
            threading.Event().wait(HOLD_SECONDS)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the portal timed out and left



def settings(url, queue, **overrides):
    return {
        "HELPDESK": "django-helpdesk",
        "DJANGO_HELPDESK_URL": url,
        "DJANGO_HELPDESK_USER": USER,
        "DJANGO_HELPDESK_PASSWORD": PASSWORD,
        "DJANGO_HELPDESK_QUEUE": str(queue),
        "HELPDESK_TIMEOUT": TIMEOUT,
        **overrides,
    }


@pytest.fixture
def db(tmp_path):
    from portal.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.engine.dispose()


def add_handoffs(db, count=1):
    with db.session() as session:
        return [create_handoff(session, **HANDOFF).reference for _ in range(count)]


def tickets_for(helpdesk, references):
    found = json.loads(helpdesk.query(TICKETS))
    return [t for t in found if t["title"][1:12] in references]


def test_a_contact_request_becomes_a_ticket_with_the_context_as_a_private_follow_up(helpdesk, db):
    (reference,) = add_handoffs(db)
    stats = deliver_due(db, sender_from_config(settings(helpdesk.url, helpdesk.queue_id)))
    assert (stats.delivered, stats.retrying, stats.failed) == (1, 0, 0)
    (ticket,) = tickets_for(helpdesk, [reference])
    assert ticket["title"].startswith(f"[{reference}] delivery: Jan Kowalski")
    assert ticket["description"] == HANDOFF["message"]  # the customer's own words
    assert ticket["queue"] == "help-centre" and ticket["submitter_email"] == "jan@example.com"
    private = [f for f in ticket["followups"] if not f["public"]]
    assert len(private) == 1
    note = private[0]["comment"]
    for expected in (
        reference,
        "Order number: NV-654321",
        "Language: Polish (pl)",
        "Recommended channel: email (E-mail: we reply within 1 day, in Polish)",
        "gdzie jest paczka",
        "Śledź zamówienie",
    ):
        assert expected in note, expected
    assert all(HANDOFF["message"] not in f["comment"] for f in private)


def test_a_retry_after_a_timeout_that_created_the_ticket_makes_no_second_one(helpdesk, db):
    (reference,) = add_handoffs(db)
    with HoldingProxy(f"http://127.0.0.1:{helpdesk.port}") as proxy:
        proxy.hold_next_create = True
        sender = sender_from_config(settings(proxy.url, helpdesk.queue_id))
        first = deliver_due(db, sender, backoff_base=0.01)
        assert proxy.held.is_set() and first.retrying == 1  # timed out while the ticket was made
        assert len(tickets_for(helpdesk, [reference])) == 1
        with db.session() as session:
            assert "timed out" in session.query(OutboxMessage).one().last_error
        wait_until(lambda: deliver_due(db, sender, backoff_base=0.01).delivered == 1, timeout=30)
    (ticket,) = tickets_for(helpdesk, [reference])
    assert [f["public"] for f in ticket["followups"]].count(False) == 1


def test_wrong_credentials_are_given_up_at_once_with_django_helpdesks_message(helpdesk, db):
    add_handoffs(db)
    sender = sender_from_config(settings(helpdesk.url, helpdesk.queue_id, DJANGO_HELPDESK_PASSWORD="wrong"))
    stats = deliver_due(db, sender)
    assert stats.failed == 1
    from portal.handoff.outbox import failed_handoffs

    with db.session() as session:
        (failed,) = failed_handoffs(session)
    assert "HTTP 401" in failed.last_error and "Invalid username/password." in failed.last_error


def test_a_queue_that_does_not_exist_is_refused_with_the_field_named(helpdesk, db):
    add_handoffs(db)
    stats = deliver_due(db, sender_from_config(settings(helpdesk.url, 9999)))
    assert stats.failed == 1
    from portal.handoff.outbox import failed_handoffs

    with db.session() as session:
        (failed,) = failed_handoffs(session)
    assert "HTTP 400" in failed.last_error and "queue: " in failed.last_error


class GatedSender:
    """Holds the n-th send until the test opens the gate: the test stops the helpdesk there."""

    def __init__(self, inner, at):
        self.inner, self.at, self.sent = inner, at, 0
        self.reached, self.opened = threading.Event(), threading.Event()

    def send(self, delivery):
        self.sent += 1
        if self.sent == self.at:
            self.reached.set()
            self.opened.wait(60)
        self.inner.send(delivery)


def test_stopping_django_helpdesk_mid_delivery_loses_nothing_and_duplicates_nothing(helpdesk, db):
    site = helpdesk
    references = add_handoffs(db, 12)
    stop = threading.Event()
    sender = GatedSender(sender_from_config(settings(site.url, site.queue_id)), at=4)
    worker = threading.Thread(
        target=run_worker,
        args=(db, sender),
        kwargs={"once": False, "interval": 0.05, "stop_event": stop, "batch": 4, "backoff_base": 0.05},
    )
    worker.start()
    try:
        assert sender.reached.wait(120)  # three delivered, the fourth about to go
        site.kill()  # cut off mid-batch
        sender.opened.set()
        wait_until(
            lambda: db_statuses(db).get("delivered") == 3 and sender.sent > 5,
            timeout=60,
            message="deliveries failing while the helpdesk is down",
        )
        assert db_statuses(db) == {"delivered": 3, "pending": 9}
        site.start()
        wait_until(
            lambda: db_statuses(db) == {"delivered": 12}, timeout=180, message="every handoff delivered"
        )
    finally:
        sender.opened.set()
        stop.set()
        worker.join(60)
        if site.process is None:
            site.start()  # the session's other tests use it too
    tickets = tickets_for(site, references)
    assert sorted(t["title"][1:12] for t in tickets) == sorted(references)  # each once: 0 lost, 0 duplicates
    assert all([f["public"] for f in t["followups"]].count(False) == 1 for t in tickets)


def db_statuses(db):
    from sqlalchemy import func, select

    with db.session() as session:
        return dict(session.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all())
