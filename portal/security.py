"""What a production start requires, and the checks at the edge of every request.

- A secret key (PORTAL_SECRET_KEY): outside debug and testing the app refuses to start without
  one. `make run` (debug) creates a random key once under PORTAL_DATA_DIR and reuses it; a
  testing app gets a random key of its own.
- A known public origin (PORTAL_PUBLIC_URL) or a list of allowed hosts (PORTAL_ALLOWED_HOSTS):
  the Host header builds canonical, sitemap and API URLs, so any other host is answered 400.
- A request body limit (MAX_CONTENT_LENGTH): a larger body gets 413 with a page that says why
  (portal/views/errors.py).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest
from werkzeug.sansio.utils import host_is_trusted

from .extensions import csrf

SECRET_KEY_FILE = "secret-key"
MIN_SECRET_KEY_LENGTH = 32
# Keys that were public at some point (the development default of earlier versions).
KNOWN_PUBLIC_KEYS = frozenset({"dev-only-insecure-key"})
PROBE_ENDPOINTS = ("health.healthz", "health.readyz")


class StartupError(RuntimeError):
    """A setting production cannot run without; the message names the environment variable."""


def init_app(app: Flask):
    """Before every other init_app: HTTPS mode and rate-limit keys depend on the secret key."""
    production = not (app.debug or app.testing)
    app.config["SECRET_KEY"] = _secret_key(app, production)
    hosts = allowed_hosts(app.config)
    if production and not hosts:
        raise StartupError(
            "PORTAL_PUBLIC_URL is not set: in production the portal needs the origin visitors use "
            "(e.g. PORTAL_PUBLIC_URL=https://help.example.com), or PORTAL_ALLOWED_HOSTS, a comma-separated "
            "list of host names, so that a forged Host header cannot change its links.")
    app.config["ALLOWED_HOSTS"] = hosts
    if hosts:
        app.before_request(refuse_unknown_host)
    if app.config.get("PUBLIC_URL"):
        app.after_request(redirect_to_public_origin)


def _secret_key(app: Flask, production: bool) -> str:
    key = app.config.get("SECRET_KEY") or None
    if key is not None and production:
        if key in KNOWN_PUBLIC_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise StartupError(
                f"PORTAL_SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters, "
                "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
        return key
    if key is not None:
        return key
    if production:
        raise StartupError(
            "PORTAL_SECRET_KEY is not set: the portal will not start in production without it, because "
            "it signs the editors' session cookies. Set it to a long random value, the same on every node: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if app.testing:
        return secrets.token_urlsafe(32)
    return development_secret_key(Path(app.config["DATA_DIR"]))


def development_secret_key(data_dir: Path) -> str:
    """A random key made once for this data folder (`make run`), readable by its owner only."""
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= MIN_SECRET_KEY_LENGTH:
            return key
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    temporary = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    try:
        os.link(temporary, path)  # two processes starting at once: the first key wins
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        temporary.unlink()
    return key


def allowed_hosts(config) -> list[str]:
    """PORTAL_ALLOWED_HOSTS, plus the host of PORTAL_PUBLIC_URL; empty: any host (development)."""
    hosts = [host.strip().lower() for host in (config.get("ALLOWED_HOSTS") or []) if host.strip()]
    public_url = config.get("PUBLIC_URL")
    if public_url:
        hostname = urlsplit(public_url).hostname
        if hostname and hostname not in hosts:
            hosts.insert(0, hostname)
    return hosts


def refuse_unknown_host():
    if request.endpoint in PROBE_ENDPOINTS:
        return  # load balancers probe a node by its address
    host = request.host.rsplit("@", 1)[-1]
    if not host or not host_is_trusted(host, current_app.config["ALLOWED_HOSTS"]):
        raise BadRequest("This site is not served under that host name.")


def redirect_to_public_origin(response):
    """Redirects Werkzeug's routing builds (trailing and double slashes) name the request's own
    host; they go to the public origin instead."""
    location = response.headers.get("Location", "")
    own_origin = request.host_url
    if response.status_code in (301, 302, 303, 307, 308) and location.startswith(own_origin):
        response.headers["Location"] = current_app.config["PUBLIC_URL"] + "/" + location[len(own_origin):]
    return response


def _origin(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    return (parts.scheme.lower(), parts.netloc.lower()) if parts.scheme and parts.netloc else None


def protect_form() -> None:
    """CSRF for a form POST: the token, and when the browser says where the form was sent from
    (Origin, else Referer), that this is this site. Raises CSRFError."""
    own = {_origin(request.host_url)}
    if current_app.config.get("PUBLIC_URL"):
        own.add(_origin(current_app.config["PUBLIC_URL"]))
    sent_from = request.headers.get("Origin") or request.headers.get("Referer")
    if sent_from and sent_from != "null" and _origin(sent_from) not in own:
        raise CSRFError("The form was sent from another site.")
    csrf.protect()
