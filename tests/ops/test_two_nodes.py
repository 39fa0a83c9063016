"""Two nodes, as docs/deploy.md runs them: each its own gunicorn and search index, one PostgreSQL
and one Redis between them. What one node takes in, the other (and delivery) sees."""

from __future__ import annotations

import redis
from sqlalchemy import create_engine, select

from portal.db import normalize_url
from portal.models import Event, Handoff
from tests.handoff.receiver import WebhookReceiver
from tests.helpers import DEMO_CONTENT, wait_until

from .nodes import Visitor, flask_command, send_contact_form

SECRET = "ops-webhook-secret"


def test_two_nodes_share_handoffs_events_and_rate_limits(nodes, ops_database, redis_url,
                                                         redis_prefix):
    settings = {"content_dir": DEMO_CONTENT, "database_url": ops_database, "REDIS_URL": redis_url,
                "PORTAL_REDIS_PREFIX": redis_prefix, "PORTAL_CONTACT_LIMIT_PER_VISIT": "2 per minute"}
    first = nodes("node-a", **settings)
    second = nodes("node-b", **settings)
    assert first.data_dir != second.data_dir
    for node in (first, second):
        assert node.readiness()["status"] == "ready"
    revisions = {node.readiness()["checks"]["content"]["revision"] for node in (first, second)}
    assert len(revisions) == 1, "both nodes serve the same content revision"

    anna = Visitor()
    # Pages on both nodes: each node records its own view, into the one database.
    assert anna.get(first, "/en/delivery/track-your-order").status == 200
    assert anna.get(second, "/sv/returns/returnera-en-vara").status == 200
    # The form opened on one node is accepted by the other (signed cookies, one secret key).
    sent_a = send_contact_form(anna, first, first, "Sent through node A: the zip broke.")
    sent_b = send_contact_form(anna, first, second, "Sent through node B: the zip broke again.")
    assert sent_a.status == 303 and sent_b.status == 303
    # Two per minute per visit, counted in Redis: node B refuses the third, although it saw one.
    limited = send_contact_form(anna, second, second, "A third message, too soon.")
    assert limited.status == 429 and "A third message, too soon." in limited.text
    store = redis.Redis.from_url(redis_url)
    try:
        assert list(store.scan_iter(match=f"*{redis_prefix}*")), "the limits are counted in Redis"
    finally:
        store.close()

    engine = create_engine(normalize_url(ops_database))
    try:
        def stored():
            with engine.connect() as connection:
                views = set(connection.scalars(select(Event.article_id).where(Event.type == "view")))
                messages = set(connection.scalars(select(Handoff.message)))
            return views, messages

        wait_until(lambda: len(stored()[0]) == 2, message="the views of both nodes in PostgreSQL")
        views, messages = stored()
        assert views == {"delivery/track-your-order", "returns/return-an-item"}
        assert messages == {"Sent through node A: the zip broke.",
                            "Sent through node B: the zip broke again."}
    finally:
        engine.dispose()

    # One delivery worker, run from either node, delivers what both took in.
    with WebhookReceiver(SECRET) as receiver:
        env = {**second.env, "PORTAL_WEBHOOK_URL": receiver.url, "PORTAL_WEBHOOK_SECRET": SECRET}
        delivered = flask_command(env, "handoff", "deliver", "--once")
    assert delivered.stdout.strip() == "delivered 2, retrying 0, failed 0"
    assert {payload["message"] for payload in receiver.accepted.values()} == messages
