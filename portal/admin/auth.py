"""Editors' accounts: argon2-hashed passwords, a signed session cookie, CSRF on every form.

Sign-in is throttled: failed attempts count per account and per network (in Redis when it is
configured, so across nodes), and each process computes only a few password hashes at once, so
a flood of attempts costs readers nothing. Neither the address nor the e-mail is logged.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import click
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..db import get_db
from ..i18n import LOCALES, negotiate_locale
from ..models import AdminUser
from ..ratelimit import limit_view, network_key, retry_after_seconds

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
admin_cli = AppGroup("admin", help="Editors' accounts for the admin area.")
hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
log = logging.getLogger(__name__)
HASH_WAIT_SECONDS = 2.0  # a sign-in waits this long for a free hashing slot, then gets 503


@admin_cli.command("create-user")
@click.argument("email")
@click.password_option(help="Asked for when not given.")
def create_user(email, password):
    """Create an editor, or set a new password for an existing one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="password")
    with get_db().session() as db:
        user = db.scalar(select(AdminUser).where(AdminUser.email == email.lower()))
        if user is None:
            db.add(AdminUser(email=email.lower(), password_hash=hasher.hash(password)))
            click.echo(f"created {email.lower()}")
        else:
            user.password_hash = hasher.hash(password)
            end_sessions(db, user)
            click.echo(f"new password set for {email.lower()}; its sessions are ended")


@admin_cli.command("remove-user")
@click.argument("email")
def remove_user(email):
    """Remove an editor's account; its sessions end at once."""
    with get_db().session() as db:
        user = db.scalar(select(AdminUser).where(AdminUser.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no editor account {email.strip().lower()}")
        db.delete(user)
    click.echo(f"removed {email.strip().lower()}")


def check_password(email: str, password: str) -> AdminUser | None:
    with get_db().session() as db:
        user = db.scalar(select(AdminUser).where(AdminUser.email == email.strip().lower()))
        if user is None:
            hasher.hash(password)  # the same work whether or not the account exists
            return None
        try:
            hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        return user


def account_key() -> str:
    """The account a sign-in attempt is for, hashed with the secret key: no e-mail in Redis."""
    email = request.form.get("email", "").strip().lower()
    digest = hashlib.sha256(f"{current_app.config['SECRET_KEY']}|{email}".encode()).hexdigest()
    return "account:" + digest[:20]


LOGIN_LIMITS = [
    (lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], account_key, "login-account"),
    (lambda: current_app.config["LOGIN_LIMIT_PER_NETWORK"], network_key, "login-network"),
]


def init_app(app: Flask):
    slots = max(1, app.config["LOGIN_CONCURRENT_HASHES"])
    app.extensions["login_hash_slots"] = threading.BoundedSemaphore(slots)
    # Only failed attempts count: an editor who signs in is not slowed down.
    limit_view(app, "admin_auth.login", LOGIN_LIMITS, on_breach=login_throttled, methods=["POST"],
               deduct_when=lambda response: response.status_code == 401)


def login_throttled(request_limit):
    scope = "account" if "/account:" in request_limit.key else "network"
    log.warning("admin login throttled: too many failed attempts for one %s", scope)
    return _try_again_later(429, retry_after_seconds(request_limit), _l(
        "Too many failed sign-in attempts. Please wait and try again in %(minutes)d min.",
        minutes=max(1, -(-retry_after_seconds(request_limit) // 60))))


def _try_again_later(status, seconds, message):
    g.locale = negotiate_locale(LOCALES, "en")
    response = make_response(render_template("admin/login.html", error=message,
                                              email=request.form.get("email", "")), status)
    response.headers["Retry-After"] = str(seconds)
    return response


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/admin") and not target.startswith("//") else "/admin/"


@bp.route("/login", methods=["GET", "POST"])
def login():
    g.locale = negotiate_locale(LOCALES, "en")
    error = None
    email = request.form.get("email", "")
    if request.method == "POST":
        slots = current_app.extensions["login_hash_slots"]
        if not slots.acquire(timeout=HASH_WAIT_SECONDS):
            log.warning("admin login refused: every password-hashing slot of this process is busy")
            return _try_again_later(503, 5, _l(
                "Signing in is busy right now. Please try again in a few seconds."))
        try:
            user = check_password(email, request.form.get("password", ""))
        except SQLAlchemyError:
            log.exception("admin login: the database is unavailable")
            return _try_again_later(503, 30, _l(
                "Signing in is not possible right now because of a technical problem. "
                "Please try again later."))
        finally:
            slots.release()
        if user is not None:
            start_session(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        error = _l("That e-mail address and password do not match an editor account.")
    return render_template("admin/login.html", error=error, email=email), 401 if error else 200


def start_session(user: AdminUser):
    session.clear()  # a new cookie: no session fixation
    now = int(time.time())
    session.update(admin_user_id=user.id, admin_email=user.email, admin_session_version=user.session_version,
                   admin_signed_in_at=now, admin_seen_at=now)
    session.permanent = True


SEEN_RESOLUTION_SECONDS = 60  # the idle clock is refreshed at most once a minute (one cookie write)


def current_editor() -> AdminUser | None:
    """The signed-in editor, or None when the session ended: signed out (anywhere), a new password,
    the account removed, idle for longer than ADMIN_IDLE_TIMEOUT or older than ADMIN_SESSION_LIFETIME."""
    user_id = session.get("admin_user_id")
    if user_id is None:
        return None
    now = time.time()
    config = current_app.config
    signed_in_at = session.get("admin_signed_in_at") or 0
    seen_at = session.get("admin_seen_at") or 0
    if (now - signed_in_at > config["ADMIN_SESSION_LIFETIME"].total_seconds()
            or now - seen_at > config["ADMIN_IDLE_TIMEOUT"].total_seconds()):
        return None
    with get_db().session() as db:
        user = db.get(AdminUser, user_id)
    if user is None or user.session_version != session.get("admin_session_version"):
        return None
    if now - seen_at > SEEN_RESOLUTION_SECONDS:
        session["admin_seen_at"] = int(now)
    return user


def end_sessions(db, user: AdminUser):
    """Every cookie issued to this account stops working."""
    user.session_version = (user.session_version or 0) + 1


@bp.route("/logout", methods=["POST"])
def logout():
    user_id = session.get("admin_user_id")
    if user_id is not None:
        try:
            with get_db().session() as db:
                user = db.get(AdminUser, user_id)
                if user is not None and user.session_version == session.get("admin_session_version"):
                    end_sessions(db, user)
        except SQLAlchemyError:
            log.exception("admin logout: the database is unavailable; the cookie is cleared only")
    session.clear()
    return redirect(url_for("admin_auth.login"), 303)
