"""Anonymous visits and what happened in them: the raw material of deflection metrics.

A visit is a random first-party id in a cookie that expires after 30 minutes without a
page view. Browsers that send `DNT: 1` or `Sec-GPC: 1` get no cookie: their events are
stored without a visit id and count only in anonymous totals.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, current_app, g, request

from .recorder import EVENT_TYPES, EventRecorder
from .redact import redact

VISIT_COOKIE = "visit"
VISIT_IDLE_SECONDS = 30 * 60
_VISIT_ID = re.compile(r"^[0-9a-f]{32}$")
_BOTS = re.compile(r"bot|crawl|spider|slurp|preview|monitor|lighthouse|headless", re.I)


def init_app(app: Flask):
    app.extensions["analytics"] = EventRecorder(app.extensions["db"])
    app.before_request(_start_visit)
    app.after_request(_finish_request)


def tracking_allowed() -> bool:
    return request.headers.get("DNT") != "1" and request.headers.get("Sec-GPC") != "1"


def _start_visit():
    g.events = []
    g.visit_id = None
    if request.endpoint in (None, "static") or request.path.startswith("/api/"):
        return
    if tracking_allowed():
        cookie = request.cookies.get(VISIT_COOKIE, "")
        g.visit_id = cookie if _VISIT_ID.match(cookie) else secrets.token_hex(16)


def record(type_: str, **fields):
    """Note an event of this request; a background thread stores it."""
    assert type_ in EVENT_TYPES, type_
    # The user agent is read here, never stored: crawlers are not customers.
    if _BOTS.search(request.headers.get("User-Agent", "")):
        return
    for key in ("query", "comment"):
        if fields.get(key) is not None:
            fields[key] = redact(fields[key], 500 if key == "query" else 2000)
    g.setdefault("events", []).append({
        "type": type_, "visit_id": g.get("visit_id"), "locale": g.get("locale") or "", **fields})


def _finish_request(response):
    visit_id = g.get("visit_id")
    if visit_id and response.mimetype == "text/html":
        # Sliding expiry: the visit ends after 30 idle minutes, when the browser drops it.
        response.set_cookie(VISIT_COOKIE, visit_id, max_age=VISIT_IDLE_SECONDS, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    events = g.get("events")
    if events:
        current_app.extensions["analytics"].submit(events)
    return response


def get_recorder() -> EventRecorder:
    return current_app.extensions["analytics"]
