"""Storing a handoff: the request and its outbox message in the caller's one transaction.

A stored handoff is never lost: the delivery worker (outbox.py) sends its outbox message
until the helpdesk has it, or until a person is asked to look (docs/handoff.md).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Handoff, OutboxMessage, utcnow

REFERENCE_LENGTH = 8
# Crockford's base32: no I, L, O or U, so a reference read out on the phone is unambiguous.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Any prefix site.yml allows (portal/content/loader.py), then the random part.
REFERENCE = re.compile(rf"^[A-Z0-9]{{0,5}}-?[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")


def new_reference(prefix: str) -> str:
    """The site's prefix (site.yml `reference_prefix`) and 8 random Crockford base32 characters
    (40 bits): what the customer quotes."""
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def create_handoff(session: Session, *, locale: str, topic: str, channel: str, name: str, email: str,
                   message: str, order_number: str | None, context: dict[str, Any] | None,
                   created_at: dt.datetime | None = None, form_id: str | None = None,
                   reference_prefix: str = "HC-") -> Handoff:
    """Add a handoff and its outbox message to the session; the caller's commit stores both or neither.

    `context` is {"searches": [text, ...], "articles": [{"id", "title", "url"}, ...]}.
    `reference_prefix` is the site's (site.yml). `created_at` (naive UTC) is for tests and imports;
    the default is now. `form_id`, the form's one-time id, is unique: a second handoff from the
    same form fails with an IntegrityError.
    """
    created_at = created_at or utcnow()
    reference = new_reference(reference_prefix)
    # 2^40 references: a clash is unlikely, but a unique-constraint error would lose the request.
    while session.scalar(select(Handoff.id).where(Handoff.reference == reference)) is not None:
        reference = new_reference(reference_prefix)
    handoff = Handoff(reference=reference, created_at=created_at, locale=locale, topic=topic,
                      channel=channel, name=name, email=email, message=message,
                      order_number=order_number or None, context=dict(context or {}), status="pending",
                      form_id=form_id)
    session.add(handoff)
    session.flush()  # the handoff's id, for its outbox message
    session.add(OutboxMessage(handoff_id=handoff.id, idempotency_key=uuid.uuid4().hex,
                              created_at=created_at, attempts=0, next_attempt_at=created_at))
    return handoff
