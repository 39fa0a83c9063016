"""What a stored handoff becomes on its way to a helpdesk: the payload a receiver gets, its
signature, and the errors and interface every sender shares (docs/handoff.md).

The outbox (outbox.py) claims stored handoffs and hands each to a sender: the webhook and
e-mail senders are in senders.py, the helpdesk connectors in helpdesks/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ..models import Handoff

SIGNATURE_PREFIX = "sha256="
# Context fields passed on only when the contact form stored them: the channel recommended first
# and why ({"channel", "reason"}), and whether the visitor's search found a confident answer.
OPTIONAL_CONTEXT = ("recommended", "search_confident")
USER_AGENT = "helpcentre-portal-handoff/1"


class DeliveryError(Exception):
    """The helpdesk did not take the message; the text is kept as the outbox row's last_error.

    `retry_after` (seconds) is the helpdesk's own wait (429 Retry-After): the next attempt is
    not sooner than that, whatever the backoff says.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status: int | None = None  # the helpdesk's HTTP status, when it answered


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
    payload: dict[str, Any]


class Sender(Protocol):
    def send(self, delivery: Delivery) -> None:
        """Return when the helpdesk has the message; raise DeliveryError when it does not."""


# --- the payload and its signature -------------------------------------------------------------


def _iso_utc(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def build_payload(handoff: Handoff, idempotency_key: str, public_url: str | None = None) -> dict[str, Any]:
    """The JSON document a helpdesk receives (docs/handoff.md); relative article URLs made absolute."""
    context = handoff.context if isinstance(handoff.context, dict) else {}

    def article(entry: dict[str, Any]) -> dict[str, Any]:
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


def encode_body(payload: dict[str, Any]) -> bytes:
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
