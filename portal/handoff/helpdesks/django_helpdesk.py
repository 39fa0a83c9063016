"""django-helpdesk: a ticket through its REST API, the context as a private follow-up.

django-helpdesk.readthedocs.io/en/latest/api.html: /api/tickets/ and /api/followups/ (Django
REST framework), HTTP Basic authentication with a staff user; the API is on unless the
project sets HELPDESK_API_ENABLED = False (HELPDESK_ACTIVATE_API_ENDPOINT before 0.5).
Duplicates: the title starts with our reference; a retry reads the newest tickets (the
list is ordered by id: the last pages) before creating.
"""

from __future__ import annotations

from typing import Any

from ...config import Settings
from ..delivery import DeliveryError
from . import Connector, basic_auth, integer_setting, required
from .http import JsonClient
from .ticket import Ticket

PAGE_SIZE = 100
PAGES_SEARCHED = 10  # the newest 1,000 tickets: a retry comes within days, not thousands of tickets
PRIORITY_NORMAL = 3


class DjangoHelpdeskConnector(Connector):
    title = "django-helpdesk"
    credential_settings = ("PORTAL_DJANGO_HELPDESK_USER", "PORTAL_DJANGO_HELPDESK_PASSWORD")

    def __init__(self, url: str, user: str, password: str, queue: int, *, timeout: float = 10):
        self.client = JsonClient("django-helpdesk", url, {"Authorization": basic_auth(user, password)},
                                 timeout=timeout)
        self.queue = queue

    def find(self, ticket: Ticket) -> dict[str, Any] | None:
        page = self.client.request("GET", "/api/tickets/",
                                   params={"page": "last", "page_size": PAGE_SIZE}).data
        for _ in range(PAGES_SEARCHED):
            if not isinstance(page, dict):
                return None
            for found in reversed(page.get("results") or []):
                if (found.get("title") or "").startswith(f"[{ticket.reference}]"):
                    return dict(found)
            if not page.get("previous"):
                return None
            page = self.client.request("GET", page["previous"]).data
        return None

    def deliver(self, ticket: Ticket, idempotency_key: str) -> None:
        found = self.find(ticket)
        if found is None:
            found = self.client.request("POST", "/api/tickets/", json_body={
                "queue": self.queue, "title": ticket.subject, "description": ticket.message,
                "submitter_email": ticket.email, "priority": PRIORITY_NORMAL}).data or {}
            if not found.get("id"):
                raise DeliveryError("django-helpdesk: the created ticket's id is missing from the answer")
        elif any(not followup.get("public") and ticket.note_marker in (followup.get("comment") or "")
                 for followup in found.get("followup_set") or []):
            return
        # No "title": django-helpdesk renames the ticket to a follow-up's title.
        self.client.request("POST", "/api/followups/", json_body={
            "ticket": found["id"], "comment": ticket.note_text, "public": False})

    def check(self) -> str:
        self.client.request("GET", "/api/tickets/", params={"page_size": 1})
        return (f"django-helpdesk: signed in, the ticket API answers; tickets go to queue {self.queue} "
                "(a wrong queue id is reported by the first delivery)")


def from_config(config: Settings) -> DjangoHelpdeskConnector:
    url, user, password = required(config, "django-helpdesk", "DJANGO_HELPDESK_URL", "DJANGO_HELPDESK_USER",
                                   "DJANGO_HELPDESK_PASSWORD", "DJANGO_HELPDESK_QUEUE")[:3]
    return DjangoHelpdeskConnector(url, user, password, integer_setting(config, "DJANGO_HELPDESK_QUEUE"),
                                   timeout=float(config.get("HELPDESK_TIMEOUT") or 10))
