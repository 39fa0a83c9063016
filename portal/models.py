"""Tables. Articles live in the content folder; the database holds what visitors did."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Event(Base):
    """One thing a visitor did. No IP address, no user agent; search text is redacted."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    visit_id: Mapped[str | None] = mapped_column(String(32))  # None: the browser asked not to be tracked
    # The 24-hour attribution cookie's random id: links a later contact to this self-service.
    attribution_id: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(24))
    locale: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(100))
    query: Mapped[str | None] = mapped_column(String(500))
    result_count: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int | None] = mapped_column(Integer)
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_events_visit", "visit_id", "created_at"),
                      Index("ix_events_attribution", "attribution_id", "created_at"),
                      Index("ix_events_type_created", "type", "created_at"))


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Stored in each session cookie; raised by sign-out and a new password, which ends every session.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")




class Handoff(Base):
    """A customer's contact request with what they already tried; never lost once stored."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # shown to the customer
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    locale: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text)
    order_number: Mapped[str | None] = mapped_column(String(64))
    # The searches and articles the customer chose to send along.
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    # The contact form's one-time id: the same form sent twice is stored once.
    form_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class OutboxMessage(Base):
    """Written in the same transaction as its handoff; a worker delivers it (at least once)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class LearnedQuestion(Base):
    """A question visitors asked before they found an article another way (portal/learning/):
    proposed to editors, then accepted (searchable), rejected (never proposed again) or exported."""

    __tablename__ = "learned_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    locale: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[str] = mapped_column(String(255))
    # The question's words folded (case, diacritics, word forms, order): what visits are counted by.
    query_key: Mapped[str] = mapped_column(String(500))
    query: Mapped[str] = mapped_column(String(500))  # the wording shown, and indexed once accepted
    visits: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed|accepted|rejected|exported
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("locale", "query_key", "article_id", name="uq_learned_question"),
                      Index("ix_learned_questions_status", "status", "locale"))
