"""The help centre: an app factory that wires content, search and views together."""

from __future__ import annotations

from flask import Flask

from .config import Config


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    app.config.from_mapping(Config().as_dict())
    if config:
        app.config.from_mapping(config)

    from . import (
        admin,
        analytics,
        cli,
        content,
        db,
        extensions,
        handoff,
        http,
        i18n,
        learning,
        observability,
        page_cache,
        search,
        security,
        views,
    )

    security.init_app(app)  # refuses a production start without a secret key or public origin
    observability.init_app(app)  # request ids and log format before anything logs
    http.init_app(app)  # first, so its response hooks run after everyone else's
    content.init_app(app)
    i18n.init_app(app)
    search.init_app(app)
    page_cache.init_app(app)
    db.init_app(app)
    extensions.init_app(app)  # CSRF and the rate limiter: votes, the contact form and the sign-in use them
    analytics.init_app(app)
    views.init_app(app)
    handoff.init_app(app)
    admin.init_app(app)
    learning.init_app(app)  # after db and search: it feeds accepted questions to index builds
    cli.init_app(app)
    return app
