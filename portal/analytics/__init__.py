"""Anonymous visits and what happened in them: the raw material of deflection metrics.

Two first-party cookies, each a random id and nothing else (docs/deflection.md):
- `visit` ends after 30 minutes without a page view: one sitting;
- `attribution` lives 24 hours from when it is set and is never renewed: it links a contact
  sent later that day to the self-service before it, and cannot link anything older.
Browsers that send `DNT: 1` or `Sec-GPC: 1` get neither: their events are stored without
ids and count only in anonymous totals.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Flask, Response, current_app, g, request

from .recorder import EVENT_TYPES, EventRecorder
from .redact import redact

VISIT_COOKIE = "visit"
VISIT_IDLE_SECONDS = 30 * 60
ATTRIBUTION_COOKIE = "attribution"
ATTRIBUTION_SECONDS = 24 * 60 * 60
_RANDOM_ID = re.compile(r"^[0-9a-f]{32}$")
_BOTS = re.compile(r"bot|crawl|spider|slurp|preview|monitor|lighthouse|headless", re.I)


def init_app(app: Flask) -> None:
    app.config.setdefault("ANALYTICS_ATTRIBUTION", True)
    app.extensions["analytics"] = EventRecorder(app.extensions["db"])
    app.before_request(_start_visit)
    app.after_request(_finish_request)


def tracking_allowed() -> bool:
    return request.headers.get("DNT") != "1" and request.headers.get("Sec-GPC") != "1"


def _cookie_id(name: str) -> str | None:
    value = request.cookies.get(name, "")
    return value if _RANDOM_ID.match(value) else None


def _start_visit() -> None:
    g.events = []
    g.visit_id = g.attribution_id = None
    g.new_attribution = False
    if request.endpoint in (None, "static") or request.path.startswith("/api/"):
        return
    if tracking_allowed():
        g.visit_id = _cookie_id(VISIT_COOKIE) or secrets.token_hex(16)
        if current_app.config["ANALYTICS_ATTRIBUTION"]:
            g.attribution_id = _cookie_id(ATTRIBUTION_COOKIE)
            if g.attribution_id is None:
                g.attribution_id, g.new_attribution = secrets.token_hex(16), True


def record(type_: str, **fields: Any) -> None:
    """Note an event of this request; a background thread stores it."""
    assert type_ in EVENT_TYPES, type_
    # The user agent is read here, never stored: crawlers are not customers.
    if _BOTS.search(request.headers.get("User-Agent", "")):
        return
    for key in ("query", "comment"):
        if fields.get(key) is not None:
            fields[key] = redact(fields[key], 500 if key == "query" else 2000)
    g.setdefault("events", []).append({
        "type": type_, "visit_id": g.get("visit_id"), "attribution_id": g.get("attribution_id"),
        "locale": g.get("locale") or "", "created_at": get_recorder().clock(), **fields})


def _finish_request(response: Response) -> Response:
    visit_id = g.get("visit_id")
    if visit_id and response.mimetype == "text/html":
        # Sliding expiry: the visit ends after 30 idle minutes, when the browser drops it.
        response.set_cookie(VISIT_COOKIE, visit_id, max_age=VISIT_IDLE_SECONDS, httponly=True,
                            samesite="Lax", secure=request.is_secure)
        if g.get("new_attribution"):
            # Set once, never renewed: no link can reach back more than 24 hours.
            response.set_cookie(ATTRIBUTION_COOKIE, g.attribution_id, max_age=ATTRIBUTION_SECONDS,
                                httponly=True, samesite="Lax", secure=request.is_secure)
    elif response.mimetype == "text/html" and not tracking_allowed():
        # A browser that now asks not to be tracked drops the ids it still holds.
        for name in (VISIT_COOKIE, ATTRIBUTION_COOKIE):
            if name in request.cookies:
                response.delete_cookie(name, httponly=True, samesite="Lax", secure=request.is_secure)
    events = g.get("events")
    if events:
        current_app.extensions["analytics"].submit(events)
    return response


def get_recorder() -> EventRecorder:
    recorder: EventRecorder = current_app.extensions["analytics"]
    return recorder
