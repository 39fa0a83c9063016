"""The editors' area under /admin/: login, deflection dashboard, CSV exports."""

from __future__ import annotations

from flask import Flask, abort, redirect, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..security import protect_form
from . import auth, dashboard


def init_app(app: Flask):
    app.register_blueprint(auth.bp)
    auth.init_app(app)
    app.register_blueprint(dashboard.bp)
    app.before_request(require_login)
    app.after_request(no_store)
    app.cli.add_command(auth.admin_cli)


def require_login():
    """Every /admin/ page but the login form needs a signed-in editor."""
    if not request.path.startswith("/admin"):
        return None
    if request.method == "POST":
        protect_form()
    if request.endpoint in ("admin_auth.login", "static"):
        return None
    try:
        editor = auth.current_editor()
    except SQLAlchemyError:
        abort(503)
    if editor is None:
        session.clear()
        return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
    return None


def no_store(response):
    """Admin pages and exports hold customers' data: never kept by a browser or proxy cache."""
    if request.path.startswith("/admin"):
        response.headers["Cache-Control"] = "no-store"
    return response
