"""The editors' area under /admin/: login, deflection dashboard, CSV exports, learned questions,
translation status."""

from __future__ import annotations

from flask import Flask, abort, current_app, redirect, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..security import protect_form
from . import auth, dashboard, questions, translations


def init_app(app: Flask):
    app.register_blueprint(auth.bp)
    auth.init_app(app)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(translations.bp)
    app.register_blueprint(questions.bp)
    app.before_request(require_login)
    app.after_request(no_store)
    app.cli.add_command(auth.admin_cli)


def in_admin_area() -> bool:
    """Whether this request is for a view of this package: the views decide, not the URL, so a
    page added here is covered and a page elsewhere that shares the prefix is not."""
    blueprint = current_app.blueprints.get(request.blueprint or "")
    return blueprint is not None and blueprint.import_name.startswith(f"{__name__}.")


def require_login():
    """Every page of the editors' area but the login form needs a signed-in editor."""
    if not in_admin_area():
        return None
    if request.method == "POST":
        protect_form()
    if request.endpoint == "admin_auth.login":
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
    if in_admin_area():
        response.headers["Cache-Control"] = "no-store"
    return response
