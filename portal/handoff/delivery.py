"""Delivering stored handoffs to the helpdesk: a transactional outbox, sent at least once.

A worker (`flask --app portal handoff deliver`) repeats three steps:

1. claim: in one short transaction, mark up to `batch` due outbox rows as leased
   (`locked_until = now + lease`). PostgreSQL selects them `FOR UPDATE SKIP LOCKED`, so two
   workers never claim the same row; SQLite's `BEGIN IMMEDIATE` (portal/db.py) serializes claims.
2. send each message with no transaction open (a webhook or an e-mail).
3. record each result in its own short transaction: delivered, or a retry after an exponential
   backoff, or, once the message is older than `give_up_after`, failed (shown in the admin area).

A worker killed between 2 and 3 leaves the lease to expire; the message is then sent again
with the same idempotency key. Delivery is at least once: receivers dedupe by that key.
The payload, the signature and the receiver's side are described in docs/handoff.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import re
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, fields
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..db import Database
from ..models import Handoff, OutboxMessage, utcnow

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
BACKOFF_JITTER = 0.1  # a retry comes up to 10% early, so messages that failed together spread out
GIVE_UP_AFTER = dt.timedelta(days=3)
SIGNATURE_PREFIX = "sha256="
# Context fields passed on only when the contact form stored them: the channel recommended first
# and why ({"channel", "reason"}), and whether the visitor's search found a confident answer.
OPTIONAL_CONTEXT = ("recommended", "search_confident")
MAX_ERROR_LENGTH = 1000
USER_AGENT = "helpcentre-portal-handoff/1"


class DeliveryError(Exception):
    """The helpdesk did not take the message; the text is kept as the outbox row's last_error.

    `retry_after` (seconds) is the helpdesk's own wait (429 Retry-After): the next attempt is
    not sooner than that, whatever the backoff says.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The helpdesk refused the message for good (bad credentials, a validation error): retrying
    cannot help, so the message is given up at once and shown in /admin/ with this text."""


class ConfigurationError(ValueError):
    """The delivery settings are incomplete or contradictory."""


@dataclass(frozen=True)
class Delivery:
    """One outbox message as a sender sees it: the same key and payload on every attempt."""

    idempotency_key: str
    reference: str
    payload: dict


class Sender(Protocol):
    def send(self, delivery: Delivery) -> None:
        """Return when the helpdesk has the message; raise DeliveryError when it does not."""


@dataclass
class DeliveryStats:
    """What one batch (or a worker's whole run) did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    claimed: int = 0
    released: int = 0  # claimed, then handed back unsent (stop requested, or the lease running out)

    def __add__(self, other: DeliveryStats) -> DeliveryStats:
        return DeliveryStats(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __str__(self):
        return f"delivered {self.delivered}, retrying {self.retrying}, failed {self.failed}"


@dataclass(frozen=True)
class FailedHandoff:
    """A handoff the helpdesk never accepted: a person has to pass it on."""

    reference: str
    created_at: dt.datetime
    failed_at: dt.datetime
    locale: str
    topic: str
    channel: str
    name: str
    email: str
    order_number: str | None
    attempts: int
    last_error: str | None


# --- the payload and its signature -------------------------------------------------------------


def _iso_utc(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def build_payload(handoff: Handoff, idempotency_key: str, public_url: str | None = None) -> dict:
    """The JSON document a helpdesk receives (docs/handoff.md); relative article URLs made absolute."""
    context = handoff.context if isinstance(handoff.context, dict) else {}

    def article(entry):
        url = entry.get("url")
        if url and public_url and url.startswith("/"):
            url = public_url.rstrip("/") + url
        return {"id": entry.get("id"), "title": entry.get("title"), "url": url}

    extra = {key: context[key] for key in OPTIONAL_CONTEXT if key in context}
    return {
        "reference": handoff.reference,
        "created_at": _iso_utc(handoff.created_at),
        "locale": handoff.locale,
        "topic": handoff.topic,
        "channel": handoff.channel,
        "customer": {"name": handoff.name, "email": handoff.email, "order_number": handoff.order_number},
        "message": handoff.message,
        "context": {
            "searches": [str(text) for text in context.get("searches") or []],
            # Searches for which the help centre had no confident answer (docs/search.md, "Meaning").
            "searches_not_confident": [str(text) for text in context.get("searches_not_confident") or []],
            "articles": [article(entry) for entry in context.get("articles") or []
                         if isinstance(entry, dict)],
            **extra,
        },
        "idempotency_key": idempotency_key,
    }


def encode_body(payload: dict) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """'sha256=' + hex HMAC-SHA256, keyed with the secret, of b'<timestamp>.' + body."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify_signature(secret: str, timestamp: int | str, body: bytes, header: str | None, *,
                     max_age: float | None = None, now: float | None = None) -> bool:
    """Whether `header` (X-Portal-Signature) signs this body at this timestamp (X-Portal-Timestamp).

    Compares in constant time. With `max_age` (seconds), a timestamp further than that from
    `now` (default: the clock) is refused too, so a captured request cannot be replayed later.
    """
    timestamp = str(timestamp)
    if not header or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if max_age is not None and abs((time.time() if now is None else now) - int(timestamp)) > max_age:
        return False
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hmac.compare_digest(sign(secret, timestamp, body).encode("ascii"), header.encode("utf-8"))


def backoff_delay(attempts: int, key: str = "", *, base: float = BACKOFF_BASE_SECONDS,
                  cap: float = BACKOFF_CAP_SECONDS, jitter: float = BACKOFF_JITTER) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: base * 2^(attempts - 1), at most `cap`,
    then shortened by up to `jitter` of itself by a fraction derived from the key (deterministic)."""
    seconds = min(base * 2 ** min(max(attempts - 1, 0), 40), cap)
    fraction = int.from_bytes(hashlib.sha256(f"{key}:{attempts}".encode()).digest()[:8], "big") / 2**64
    return dt.timedelta(seconds=seconds * (1 - jitter * fraction))


# --- senders ------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is not a delivery: urllib would turn the POST into a GET


class _Deadline:
    """Cuts the connections of one send when its time is up: a socket timeout applies to each
    read, so a receiver that trickles one header line a second would otherwise hold a send forever."""

    def __init__(self, seconds: float):
        self.sockets: list = []
        self.expired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock):
        with self._lock:
            self.sockets.append(sock)
            expired = self.expired
        if expired:
            self._cut(sock)

    def _expire(self):
        with self._lock:
            self.expired = True
            sockets = list(self.sockets)
        for sock in sockets:
            self._cut(sock)

    @staticmethod
    def _cut(sock):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


def _watched(connection_class, deadline: _Deadline):
    class Watched(connection_class):
        def connect(self):
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(_watched(http.client.HTTPSConnection, self.deadline), req,
                            context=self._context)


class WebhookSender:
    """POSTs the signed JSON payload; any 2xx, or 409 (already received), means delivered.

    `timeout` is a total deadline for the whole send (connect, request, answer), shorter than the
    delivery lease, so a send never outlives its lease."""

    def __init__(self, url: str, secret: str, timeout: float = 10, *, clock: Callable[[], float] = time.time):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ConfigurationError(f"the webhook URL must be http:// or https://, not {url!r}")
        if not secret:
            raise ConfigurationError("a webhook needs a secret to sign its requests (WEBHOOK_SECRET)")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.clock = clock

    def headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        timestamp = str(int(self.clock()))
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                "Idempotency-Key": delivery.idempotency_key, "X-Portal-Timestamp": timestamp,
                "X-Portal-Signature": sign(self.secret, timestamp, body)}

    def send(self, delivery: Delivery) -> None:
        body = encode_body(delivery.payload)
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers=self.headers(delivery, body))
        with _Deadline(self.timeout) as deadline:
            opener = urllib.request.build_opener(_NoRedirects, _DeadlineHTTPHandler(deadline),
                                                 _DeadlineHTTPSHandler(deadline))
            try:
                self._open(opener, request)
            except DeliveryError:
                if deadline.expired:
                    raise DeliveryError(f"timed out: no complete answer within {self.timeout:g} s") from None
                raise
            if deadline.expired:  # the cut can look like the end of the answer: not a delivery
                raise DeliveryError(f"timed out: no complete answer within {self.timeout:g} s")

    def _open(self, opener, request):
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read(65536)  # only 2xx get here; the answer itself is not needed
        except urllib.error.HTTPError as error:
            try:
                detail = " ".join(error.read(300).decode("utf-8", "replace").split())
            except (OSError, http.client.HTTPException):
                detail = ""
            finally:
                error.close()  # it holds the response's socket
            if error.code == 409:
                return  # "already received": an earlier attempt got through
            raise DeliveryError(f"HTTP {error.code} {error.reason}" + (f": {detail}" if detail else "")) \
                from None
        except urllib.error.URLError as error:
            reason = error.reason
            raise DeliveryError(f"{type(reason).__name__}: {reason}" if isinstance(reason, Exception)
                                else f"URLError: {reason}") from None
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None


class SmtpSender:
    """Mails the handoff to a helpdesk mailbox; the Message-ID comes from the idempotency key."""

    def __init__(self, host: str, port: int, user: str | None, password: str | None, sender: str,
                 recipient: str, starttls: bool, timeout: float = 10):
        if not sender or not recipient:
            raise ConfigurationError("e-mail delivery needs a sender and a recipient (SMTP_FROM, SMTP_TO)")
        if not f"{user or ''}{password or ''}".isascii():
            # smtplib encodes AUTH credentials as ASCII: fail at start, not on every message.
            raise ConfigurationError("SMTP_USER and SMTP_PASSWORD must be ASCII (a limit of smtplib)")
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.recipient, self.starttls, self.timeout = sender, recipient, starttls, timeout

    @contextlib.contextmanager
    def session(self):
        """A connection as every delivery makes it: STARTTLS, then the login."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            yield smtp

    def send(self, delivery: Delivery) -> None:
        message = compose_email(delivery, self.sender, self.recipient)
        try:
            with self.session() as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None


_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+")


def _one_line(text) -> str:
    return " ".join(str(text or "").split())


def message_id(idempotency_key: str, sender: str) -> str:
    """'<handoff.KEY@sender-domain>': every attempt carries the same id, so the mailbox can dedupe."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portal.invalid"
    return f"<handoff.{re.sub(r'[^A-Za-z0-9._-]', '', idempotency_key)}@{domain}>"


def compose_email(delivery: Delivery, sender: str, recipient: str) -> EmailMessage:
    """A plain-text mail for agents, with the webhook's JSON attached for helpdesk tools."""
    payload = delivery.payload
    customer = payload["customer"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = (f"[{payload['reference']}] {_one_line(payload['topic'])}: "
                          f"{_one_line(customer['name'])}")
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(delivery.idempotency_key, sender)
    message["X-Portal-Reference"] = payload["reference"]
    message["X-Portal-Idempotency-Key"] = delivery.idempotency_key
    if _EMAIL.fullmatch(customer["email"] or ""):
        message["Reply-To"] = formataddr((_one_line(customer["name"]), customer["email"]))
    lines = [f"Reference: {payload['reference']}", f"Received: {payload['created_at']}",
             f"Topic: {payload['topic']}", f"Channel: {payload['channel']}", f"Language: {payload['locale']}",
             f"Customer: {customer['name']} <{customer['email']}>",
             f"Order: {customer['order_number'] or '-'}", "", payload["message"], ""]
    if payload["context"]["searches"]:
        unanswered = set(payload["context"].get("searches_not_confident") or ())
        lines += ["Searched for:", *(f"- {text}" + (" (no confident answer in the help centre)"
                                                    if text in unanswered else "")
                                     for text in payload["context"]["searches"]), ""]
    if payload["context"]["articles"]:
        lines += ["Articles read:", *(f"- {a['title'] or a['id']}" + (f" <{a['url']}>" if a["url"] else "")
                                      for a in payload["context"]["articles"]), ""]
    message.set_content("\n".join(lines), cte="quoted-printable")  # 7-bit clean for any relay
    message.add_attachment(encode_body(payload), maintype="application", subtype="json",
                           filename=f"{payload['reference']}.json")
    return message


def sender_from_config(config) -> Sender | None:
    """The helpdesk named by HELPDESK (portal/handoff/helpdesks/); without it, the webhook if
    WEBHOOK_URL is set, else e-mail if SMTP_HOST is, else None."""
    helpdesk = config.get("HELPDESK")
    if helpdesk and helpdesk not in ("webhook", "smtp"):
        from .helpdesks import connector_from_config

        return connector_from_config(helpdesk, config)
    if helpdesk == "webhook" and not config.get("WEBHOOK_URL"):
        raise ConfigurationError("PORTAL_HELPDESK=webhook needs PORTAL_WEBHOOK_URL and PORTAL_WEBHOOK_SECRET")
    if helpdesk == "smtp" and not config.get("SMTP_HOST"):
        raise ConfigurationError("PORTAL_HELPDESK=smtp needs PORTAL_SMTP_HOST, PORTAL_SMTP_FROM and "
                                 "PORTAL_SMTP_TO")
    if config.get("WEBHOOK_URL") and helpdesk != "smtp":
        return WebhookSender(config["WEBHOOK_URL"], config.get("WEBHOOK_SECRET") or "",
                             timeout=float(config.get("WEBHOOK_TIMEOUT") or 10))
    if config.get("SMTP_HOST"):
        return SmtpSender(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 587), config.get("SMTP_USER"),
                          config.get("SMTP_PASSWORD"), config.get("SMTP_FROM") or "",
                          config.get("SMTP_TO") or "", bool(config.get("SMTP_STARTTLS", True)))
    return None


# --- the outbox -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    outbox_id: int
    handoff_id: int
    delivery: Delivery


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _claim(database: Database, now: dt.datetime, batch: int, locked_until: dt.datetime,
           public_url: str | None) -> list[_Claimed]:
    with database.session() as session:
        rows = session.execute(
            select(OutboxMessage, Handoff).join(Handoff, Handoff.id == OutboxMessage.handoff_id)
            .where(OutboxMessage.next_attempt_at <= now, OutboxMessage.delivered_at.is_(None),
                   OutboxMessage.failed_at.is_(None),
                   or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch)
            .with_for_update(of=OutboxMessage, skip_locked=True)).all()
        claimed = []
        for outbox, handoff in rows:
            outbox.locked_until = locked_until
            claimed.append(_Claimed(outbox.id, handoff.id, Delivery(
                outbox.idempotency_key, handoff.reference,
                build_payload(handoff, outbox.idempotency_key, public_url))))
    return claimed


def _release(database: Database, items: list[_Claimed], locked_until: dt.datetime,
             not_before: dt.datetime | None = None):
    """Hand claimed messages back unsent; with `not_before`, none is due before then."""
    values = {"locked_until": None} if not_before is None else {"locked_until": None,
                                                                "next_attempt_at": not_before}
    with database.session() as session:
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id.in_([item.outbox_id for item in items]),
                               OutboxMessage.locked_until == locked_until)
                        .values(**values))


def _record_delivered(database: Database, item: _Claimed, now: dt.datetime):
    with database.session() as session:
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id == item.outbox_id, OutboxMessage.delivered_at.is_(None))
                        .values(delivered_at=now, failed_at=None, locked_until=None))
        session.execute(update(Handoff).where(Handoff.id == item.handoff_id).values(status="delivered"))


def _record_failure(database: Database, item: _Claimed, now: dt.datetime, reason: str,
                    give_up_after: dt.timedelta, backoff_base: float, *, permanent: bool = False,
                    retry_after: float | None = None) -> str | None:
    """'retrying' or 'failed'; None if the row was settled meanwhile (by a worker whose lease we outlived)."""
    with database.session() as session:
        outbox = session.scalars(select(OutboxMessage).where(OutboxMessage.id == item.outbox_id)
                                 .with_for_update()).first()
        if outbox is None or outbox.delivered_at is not None or outbox.failed_at is not None:
            return None
        outbox.attempts += 1
        outbox.last_error = reason[:MAX_ERROR_LENGTH]
        outbox.locked_until = None
        if permanent or now - outbox.created_at >= give_up_after:
            outbox.failed_at = now
            session.execute(update(Handoff).where(Handoff.id == item.handoff_id).values(status="failed"))
            log.error("handoff %s: not delivered after %d attempts since %s; given up (%s)",
                      item.delivery.reference, outbox.attempts, outbox.created_at, reason)
            return "failed"
        delay = backoff_delay(outbox.attempts, outbox.idempotency_key, base=backoff_base)
        if retry_after is not None:
            delay = max(delay, dt.timedelta(seconds=retry_after))
        outbox.next_attempt_at = now + delay
        log.warning("handoff %s: attempt %d failed (%s); next at %s", item.delivery.reference,
                    outbox.attempts, reason, outbox.next_attempt_at)
        return "retrying"


def deliver_due(database: Database, sender: Sender, now: dt.datetime | None = None, batch: int = 20,
                lease_seconds: float = 60, give_up_after: dt.timedelta = GIVE_UP_AFTER, *,
                backoff_base: float = BACKOFF_BASE_SECONDS, public_url: str | None = None,
                stop_event: threading.Event | None = None) -> DeliveryStats:
    """Claim up to `batch` due messages, send them one by one and record each result.

    `now` (naive UTC) fixes the clock for tests; by default every step reads the real one.
    Before each message after the first, the batch stops (handing the rest back unsent) when
    `stop_event` is set or half the lease has passed: a send never outlives its lease if the
    sender's timeout is under half of `lease_seconds`.
    """
    clock = (lambda: _naive_utc(now)) if now is not None else utcnow
    lease = dt.timedelta(seconds=lease_seconds)
    claimed_at = clock()
    locked_until = claimed_at + lease
    claimed = _claim(database, claimed_at, batch, locked_until, public_url)
    stats = DeliveryStats(claimed=len(claimed))
    started = time.monotonic()
    for index, item in enumerate(claimed):
        out_of_time = index > 0 and time.monotonic() - started > lease_seconds / 2
        if out_of_time or (stop_event is not None and stop_event.is_set()):
            _release(database, claimed[index:], locked_until)
            stats.released = len(claimed) - index
            break
        permanent, retry_after = False, None
        try:
            sender.send(item.delivery)
        except DeliveryError as error:
            reason = str(error) or type(error).__name__
            permanent, retry_after = isinstance(error, PermanentDeliveryError), error.retry_after
        except Exception as error:  # a bug in a sender must not stop the others' deliveries
            log.exception("handoff %s: the sender failed", item.delivery.reference)
            reason = f"{type(error).__name__}: {error}"
        else:
            reason = None
        if reason is None:
            _record_delivered(database, item, clock())
            stats.delivered += 1
            continue
        outcome = _record_failure(database, item, clock(), reason, give_up_after, backoff_base,
                                  permanent=permanent, retry_after=retry_after)
        if outcome == "failed":
            stats.failed += 1
        elif outcome == "retrying":
            stats.retrying += 1
        if retry_after is not None and index + 1 < len(claimed):
            # Rate-limited: the rest of the batch waits too, rather than asking again at once.
            _release(database, claimed[index + 1:], locked_until,
                     not_before=clock() + dt.timedelta(seconds=retry_after))
            stats.released = len(claimed) - index - 1
            break
    return stats


def run_worker(database: Database, sender: Sender, once: bool, interval: float = 5.0,
               stop_event: threading.Event | None = None, *, batch: int = 20, lease_seconds: float = 60,
               give_up_after: dt.timedelta = GIVE_UP_AFTER, backoff_base: float = BACKOFF_BASE_SECONDS,
               public_url: str | None = None,
               report: Callable[[DeliveryStats], None] | None = None) -> DeliveryStats:
    """Deliver batches until `stop_event` is set (or one batch if `once`); returns the totals.

    A full batch is followed by the next at once; otherwise the worker waits `interval` seconds.
    `report` gets each batch's stats (in loop mode only batches that claimed something). A
    database outage is logged and retried after `interval`; with `once` it is raised.
    """
    stop_event = stop_event or threading.Event()
    total = DeliveryStats()
    while not stop_event.is_set():
        try:
            stats = deliver_due(database, sender, batch=batch, lease_seconds=lease_seconds,
                                give_up_after=give_up_after, backoff_base=backoff_base,
                                public_url=public_url, stop_event=stop_event)
        except SQLAlchemyError as error:
            if once:
                raise
            log.error("handoff delivery: database unavailable, retrying in %s s: %s", interval, error)
            stats = DeliveryStats()
        total += stats
        if report is not None and (once or stats.claimed):
            report(stats)
        if once:
            break
        # A full batch suggests more are due: the next one at once.
        if stats.claimed < batch and not stats.released and stop_event.wait(interval):
            break
    return total


def failed_handoffs(session: Session, limit: int = 200) -> list[FailedHandoff]:
    """Handoffs delivery gave up on, newest failure first: for the admin area."""
    rows = session.execute(
        select(Handoff, OutboxMessage).join(OutboxMessage, OutboxMessage.handoff_id == Handoff.id)
        .where(OutboxMessage.failed_at.is_not(None), OutboxMessage.delivered_at.is_(None))
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return [FailedHandoff(handoff.reference, handoff.created_at, outbox.failed_at, handoff.locale,
                          handoff.topic, handoff.channel, handoff.name, handoff.email, handoff.order_number,
                          outbox.attempts, outbox.last_error) for handoff, outbox in rows]
