"""When self-service fails: channels, the recommender, the contact form and delivery."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask):
    from ..ratelimit import limit_view
    from .channels import load_channels
    from .views import RATE_LIMITS, bp, rate_limited

    content = app.extensions["content"]
    channels, topics, problems = load_channels(app.config["CONTENT_DIR"], content.locales)
    for problem in problems:
        log.error("channels: %s", problem)
    app.extensions["channels"] = (channels, topics)
    app.register_blueprint(bp)
    # Only accepted submissions count: a typo the visitor corrects is not one more message.
    limit_view(app, "contact.submit", RATE_LIMITS, on_breach=rate_limited,
               deduct_when=lambda response: response.status_code == 303)
