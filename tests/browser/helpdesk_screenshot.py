"""What an agent sees in django-helpdesk when the portal hands a request over: a real
django-helpdesk (tests/handoff/django_helpdesk_site.py), one delivery, Chromium on the ticket.

    .venv/bin/python -m tests.browser.helpdesk_screenshot docs/screenshots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from portal.handoff.delivery import Delivery
from portal.handoff.senders import sender_from_config
from tests.handoff.django_helpdesk_site import PASSWORD, USER, DjangoHelpdesk

from .live import launch_chromium

PAYLOAD = {
    "reference": "NV-7K3M9QXD",
    "created_at": "2026-11-02T09:00:00Z",
    "locale": "sv",
    "topic": "return-or-refund",
    "channel": "form",
    "customer": {"name": "Anna Berg", "email": "anna@example.com", "order_number": "NV-123456"},
    "message": "Dragkedjan på min jacka gick sönder efter två veckor. Kan jag byta den mot en ny?",
    "context": {
        "searches": ["byta jacka", "trasig dragkedja"],
        "articles": [
            {
                "id": "returns/return-an-item",
                "title": "Returnera en vara",
                "url": "https://help.nordvik.example/sv/returns/return-an-item",
            }
        ],
        "recommended": {
            "channel": "chat",
            "reason": "Chat: open now, answers in about 2 minutes, in Swedish",
        },
    },
    "idempotency_key": "screenshot",
}


def take(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / "django-helpdesk-ticket.png"
    with tempfile.TemporaryDirectory() as folder:
        site = DjangoHelpdesk(Path(folder) / "helpdesk").start()
        try:
            sender_from_config(
                {
                    "HELPDESK": "django-helpdesk",
                    "DJANGO_HELPDESK_URL": site.url,
                    "DJANGO_HELPDESK_USER": USER,
                    "DJANGO_HELPDESK_PASSWORD": PASSWORD,
                    "DJANGO_HELPDESK_QUEUE": str(site.queue_id),
                }
            ).send(Delivery("screenshot", PAYLOAD["reference"], PAYLOAD))
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(f"{site.url}/login/")
                page.fill("input[name=username]", USER)
                page.fill("input[name=password]", PASSWORD)
                page.press("input[name=password]", "Enter")
                page.wait_for_load_state("networkidle")
                page.goto(f"{site.url}/tickets/1/", wait_until="networkidle")
                page.screenshot(path=str(target), full_page=True)
                browser.close()
        finally:
            site.stop()
    return target


if __name__ == "__main__":
    print(take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
