"""When self-service fails: channels, the recommender, the contact form and delivery."""

from __future__ import annotations

import logging

from flask import Flask

from ..config import Settings

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from ..ratelimit import limit_view
    from .channels import ContactChannels
    from .channels_file import load_channels
    from .views import RATE_LIMITS, bp, rate_limited

    content = app.extensions["content"]
    channels, topics, problems = load_channels(app.config["CONTENT_DIR"], content.locales)
    for problem in problems:
        log.error("channels: %s", problem)
    app.extensions["channels"] = ContactChannels(channels, topics)
    from ..observability import serving

    if serving() and not helpdesk_configured(app.config):
        log.warning("handoff: no helpdesk is connected (PORTAL_HELPDESK, PORTAL_WEBHOOK_URL or "
                    "PORTAL_SMTP_HOST): contact requests are only stored in the database. Signed-in "
                    "editors read them at /admin/handoffs; docs/handoff.md says how to connect a helpdesk.")
    app.register_blueprint(bp)
    # Only accepted submissions count: a typo the visitor corrects is not one more message.
    limit_view(app, "contact.submit", RATE_LIMITS, on_breach=rate_limited,
               deduct_when=lambda response: response.status_code == 303)


def helpdesk_configured(config: Settings) -> bool:
    """Whether contact requests go anywhere but the database: a helpdesk, a webhook or e-mail."""
    return bool(config.get("HELPDESK") or config.get("WEBHOOK_URL") or config.get("SMTP_HOST"))
