"""Editors' accounts: argon2-hashed passwords, a signed session cookie, CSRF on every form."""

from __future__ import annotations

import click
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import get_db
from ..models import AdminUser

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
admin_cli = AppGroup("admin", help="Editors' accounts for the admin area.")
hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


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
            click.echo(f"new password set for {email.lower()}")


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


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/admin") and not target.startswith("//") else "/admin/"


@bp.route("/login", methods=["GET", "POST"])
def login():
    g.locale = "en"
    error = None
    email = request.form.get("email", "")
    if request.method == "POST":
        user = check_password(email, request.form.get("password", ""))
        if user is not None:
            session.clear()
            session["admin_user_id"] = user.id
            session["admin_email"] = user.email
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")), 303)
        error = _l("That e-mail address and password do not match an editor account.")
    return render_template("admin/login.html", error=error, email=email), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("admin_auth.login"), 303)
