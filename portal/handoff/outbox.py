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

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..db import Database
from ..models import Handoff, OutboxMessage, utcnow
from .delivery import Delivery, DeliveryError, PermanentDeliveryError, Sender, build_payload

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
BACKOFF_JITTER = 0.1  # a retry comes up to 10% early, so messages that failed together spread out
GIVE_UP_AFTER = dt.timedelta(days=3)
MAX_ERROR_LENGTH = 1000


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

    def __str__(self) -> str:
        return f"delivered {self.delivered}, retrying {self.retrying}, failed {self.failed}"


@dataclass(frozen=True)
class FailedHandoff:
    """A handoff the helpdesk never accepted: a person has to pass it on."""

    reference: str
    created_at: dt.datetime
    failed_at: dt.datetime | None  # never None for a failed handoff; the column allows it
    locale: str
    topic: str
    channel: str
    name: str
    email: str
    order_number: str | None
    attempts: int
    last_error: str | None


def backoff_delay(attempts: int, key: str = "", *, base: float = BACKOFF_BASE_SECONDS,
                  cap: float = BACKOFF_CAP_SECONDS, jitter: float = BACKOFF_JITTER) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: base * 2^(attempts - 1), at most `cap`,
    then shortened by up to `jitter` of itself by a fraction derived from the key (deterministic)."""
    seconds = min(base * 2 ** min(max(attempts - 1, 0), 40), cap)
    fraction = int.from_bytes(hashlib.sha256(f"{key}:{attempts}".encode()).digest()[:8], "big") / 2**64
    return dt.timedelta(seconds=seconds * (1 - jitter * fraction))


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
             not_before: dt.datetime | None = None) -> None:
    """Hand claimed messages back unsent; with `not_before`, none is due before then."""
    values = {"locked_until": None} if not_before is None else {"locked_until": None,
                                                                "next_attempt_at": not_before}
    with database.session() as session:
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id.in_([item.outbox_id for item in items]),
                               OutboxMessage.locked_until == locked_until)
                        .values(**values))


def _record_delivered(database: Database, item: _Claimed, now: dt.datetime) -> None:
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
    clock: Callable[[], dt.datetime] = (lambda: _naive_utc(now)) if now is not None else utcnow
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
        reason: str | None
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
