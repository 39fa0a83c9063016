"""The editors' area under /admin/: login, deflection dashboard, CSV exports."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from . import auth, dashboard

csrf = CSRFProtect()


def init_app(app: Flask):
    # CSRF is checked where a form changes something on someone's behalf (here, and the
    # contact form), not on anonymous "was this helpful?" votes of cacheable pages.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # Flask-WTF's HTTPS check refuses any POST without a Referer, which some browsers, extensions
    # and proxies leave out; protect_form() checks Origin or Referer when sent, and the token always.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    csrf.init_app(app)
    app.register_blueprint(auth.bp)
    auth.init_app(app)
    app.register_blueprint(dashboard.bp)
    app.before_request(require_login)
    app.after_request(no_store)
    app.cli.add_command(auth.admin_cli)


def _origin(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    return (parts.scheme.lower(), parts.netloc.lower()) if parts.scheme and parts.netloc else None


def protect_form():
    """CSRF for a form POST: the token, and when the browser says where the form was sent from
    (Origin, else Referer), that this is this site. Raises CSRFError."""
    own = {_origin(request.host_url)}
    if current_app.config.get("PUBLIC_URL"):
        own.add(_origin(current_app.config["PUBLIC_URL"]))
    sent_from = request.headers.get("Origin") or request.headers.get("Referer")
    if sent_from and sent_from != "null" and _origin(sent_from) not in own:
        raise CSRFError("The form was sent from another site.")
    csrf.protect()


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
