"""Rate limits (Flask-Limiter, bound in portal/extensions.py): in Redis when REDIS_URL is set, so
they hold across workers and nodes; in process memory otherwise, and as the fallback when Redis
is unreachable.

A Redis that fails or stays silent in the middle of a request never turns that request into
an error: the limiter falls back to per-process limits (the first failing thread switches it
over), and a thread that fails at the same moment is let through rather than answered 500.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time

from flask import Flask, current_app, g, request


def network_key() -> str:
    """The visitor's network (/24 for IPv4, /48 for IPv6), hashed: no address is kept."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "0.0.0.0")
    except ValueError:
        address = ipaddress.ip_address("0.0.0.0")
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    secret = current_app.config["SECRET_KEY"]
    return "net:" + hashlib.sha256(f"{secret}|{network}".encode()).hexdigest()[:20]


def visit_key() -> str:
    visit_id = g.get("visit_id")
    return f"visit:{visit_id}" if visit_id else network_key()


def limit_view(app: Flask, endpoint: str, limits, on_breach, **options):
    """Wrap a registered view with limits: [(limit or callable, key function, scope)].

    `options` go to Flask-Limiter: `deduct_when` (count only some responses), `methods`."""
    limiter = app.extensions["rate_limiter"]
    view = app.view_functions[endpoint]
    for value, key_func, scope in limits:
        view = limiter.limit(value, key_func=key_func, scope=scope, on_breach=on_breach, **options)(view)
    app.view_functions[endpoint] = view


def retry_after_seconds(request_limit) -> int:
    """Whole seconds until the breached limit lets the next attempt through (at least 1)."""
    try:
        reset_at = request_limit.reset_at
    except Exception:  # the storage failed just now: a minute is a fair guess
        return 60
    return max(1, math.ceil(reset_at - time.time()))
