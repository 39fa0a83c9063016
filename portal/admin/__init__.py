"""The editors' area under /admin/: login, deflection dashboard, CSV exports."""

from __future__ import annotations

from flask import Flask, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from . import auth, dashboard

csrf = CSRFProtect()


def init_app(app: Flask):
    # CSRF is checked where a form changes something on someone's behalf (here, and the
    # contact form), not on anonymous "was this helpful?" votes of cacheable pages.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.before_request(require_login)
    app.cli.add_command(auth.admin_cli)


def require_login():
    """Every /admin/ page but the login form needs a signed-in editor."""
    if not request.path.startswith("/admin"):
        return None
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in ("admin_auth.login", "static"):
        return None
    if session.get("admin_user_id") is None:
        return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
    return None
