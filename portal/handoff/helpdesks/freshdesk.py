"""Freshdesk: a ticket through the Tickets API v2, the context as a private note.

developers.freshdesk.com/api/ (Create a Ticket, List All Tickets filtered by requester_id,
List All Contacts filtered by email, Create a Note, List All Conversations of a Ticket);
authentication: HTTP Basic with the API key as user name and "X" as password.
Duplicates: Freshdesk has no external id on tickets, so the requester's recent tickets are
searched for our reference in the subject before creating.
"""

from __future__ import annotations

from ...config import Settings
from ..delivery import DeliveryError
from . import Connector, basic_auth, optional_integer_setting, required
from .http import JsonClient
from .ticket import Ticket

STATUS_OPEN, PRIORITY_LOW, SOURCE_PORTAL = 2, 1, 2


class FreshdeskConnector(Connector):
    title = "Freshdesk"
    credential_settings = ("PORTAL_FRESHDESK_API_KEY",)

    def __init__(self, url: str, api_key: str, group_id: int | None = None, *, timeout: float = 10):
        self.client = JsonClient("Freshdesk", url, {"Authorization": basic_auth(api_key, "X")},
                                 timeout=timeout)
        self.group_id = group_id

    def find(self, ticket: Ticket) -> int | None:
        contacts = self.client.request("GET", "/api/v2/contacts", params={"email": ticket.email}).data or []
        for contact in contacts:
            tickets = self.client.request("GET", "/api/v2/tickets", params={
                "requester_id": contact["id"], "order_by": "created_at", "order_type": "desc",
                "per_page": 100}).data or []
            for found in tickets:
                if f"[{ticket.reference}]" in (found.get("subject") or ""):
                    return int(found["id"])
        return None

    def has_note(self, ticket_id: int, ticket: Ticket) -> bool:
        conversations = self.client.request("GET", f"/api/v2/tickets/{ticket_id}/conversations").data or []
        return any(item.get("private")
                   and ticket.note_marker in (item.get("body_text") or item.get("body") or "")
                   for item in conversations)

    def deliver(self, ticket: Ticket, idempotency_key: str) -> None:
        ticket_id = self.find(ticket)
        if ticket_id is None:
            fields = {"name": ticket.name, "email": ticket.email, "subject": ticket.subject,
                      "description": ticket.message_html, "status": STATUS_OPEN, "priority": PRIORITY_LOW,
                      "source": SOURCE_PORTAL, "tags": list(ticket.tags)}
            if self.group_id is not None:
                fields["group_id"] = self.group_id
            created = self.client.request("POST", "/api/v2/tickets", json_body=fields)
            try:
                ticket_id = created.data["id"]
            except (TypeError, KeyError):
                raise DeliveryError("Freshdesk: the created ticket's id is missing from the answer") from None
        elif self.has_note(ticket_id, ticket):
            return
        self.client.request("POST", f"/api/v2/tickets/{ticket_id}/notes",
                            json_body={"body": ticket.note_html, "private": True})

    def check(self) -> str:
        me = self.client.request("GET", "/api/v2/agents/me").data or {}
        contact = me.get("contact") or {}
        return f"Freshdesk: signed in as {contact.get('name')} <{contact.get('email')}>"


def from_config(config: Settings) -> FreshdeskConnector:
    url, api_key = required(config, "freshdesk", "FRESHDESK_URL", "FRESHDESK_API_KEY")
    return FreshdeskConnector(url, api_key, optional_integer_setting(config, "FRESHDESK_GROUP_ID"),
                              timeout=float(config.get("HELPDESK_TIMEOUT") or 10))
