"""Thin blueprints: parse the request, ask a service, render."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, url_for

from ..content import get_content
from ..http import file_version
from . import errors, feedback, health, pages, root, search, seo


def init_app(app: Flask):
    app.register_blueprint(health.bp)
    app.register_blueprint(root.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(feedback.bp)
    feedback.init_app(app)
    app.register_blueprint(search.api)
    errors.init_app(app)
    seo.init_app(app)
    app.jinja_env.globals.update(config_content=get_content, absolute=absolute_url,
                                 static_url=static_url, contact_url=contact_url,
                                 has_endpoint=lambda name: name in current_app.view_functions,
                                 site_name=site_name)


def site_name() -> str:
    """The site's name in the language of the page being rendered."""
    return get_content().site.name_in(g.get("locale"))


def absolute_url(path: str) -> str:
    return seo.public_base() + path


def static_url(filename: str) -> str:
    """A URL that changes with the file's content, so it can be cached for a year."""
    version = file_version(str(Path(str(current_app.static_folder)) / filename))
    return url_for("static", filename=filename, v=version)


def contact_url(article=None, query=None) -> str:
    """Where 'Contact customer service' leads; the article read or the search goes along."""
    if "contact.page" in current_app.view_functions:
        return url_for("contact.page", article=article.id if article else None, q=query or None)
    email = get_content().site.support_email
    return f"mailto:{email}" if email else url_for("pages.home")
