"""Zendesk Support: a ticket through the Tickets API, the context as a private comment.

developer.zendesk.com/api-reference/ticketing/tickets/tickets/ (Create Ticket, List Tickets
by external_id, Update Ticket with a comment); authentication "email/token:api_token".
Duplicates: the ticket's external_id is our reference and is looked up before creating; the
create also carries an Idempotency-Key, which Zendesk honours for two hours.
"""

from __future__ import annotations

from urllib.parse import quote

from ...config import Settings
from ..delivery import DeliveryError
from . import Connector, basic_auth, optional_integer_setting, required
from .http import JsonClient
from .ticket import Ticket


class ZendeskConnector(Connector):
    title = "Zendesk"
    credential_settings = ("PORTAL_ZENDESK_EMAIL", "PORTAL_ZENDESK_API_TOKEN")

    def __init__(self, url: str, email: str, api_token: str, group_id: int | None = None, *,
                 timeout: float = 10):
        self.client = JsonClient("Zendesk", url, {"Authorization": basic_auth(f"{email}/token", api_token)},
                                 timeout=timeout)
        self.group_id = group_id

    def find(self, ticket: Ticket) -> int | None:
        found = self.client.request("GET", "/api/v2/tickets.json", params={"external_id": ticket.reference})
        tickets = (found.data or {}).get("tickets") or []
        return tickets[0]["id"] if tickets else None

    def has_note(self, ticket_id: int, ticket: Ticket) -> bool:
        comments = self.client.request("GET", f"/api/v2/tickets/{ticket_id}/comments.json")
        return any(not comment.get("public", True) and ticket.note_marker in (comment.get("body") or "")
                   for comment in (comments.data or {}).get("comments") or [])

    def deliver(self, ticket: Ticket, idempotency_key: str) -> None:
        ticket_id = self.find(ticket)
        if ticket_id is None:
            fields: dict[str, object] = {"subject": ticket.subject,
                      "comment": {"body": ticket.message, "public": True},
                      "requester": {"name": ticket.name, "email": ticket.email},
                      "external_id": ticket.reference,
                      "tags": list(ticket.tags)}
            if self.group_id is not None:
                fields["group_id"] = self.group_id
            created = self.client.request("POST", "/api/v2/tickets.json", json_body={"ticket": fields},
                                          headers={"Idempotency-Key": idempotency_key})
            try:
                ticket_id = created.data["ticket"]["id"]
            except (TypeError, KeyError):
                raise DeliveryError("Zendesk: the created ticket's id is missing from the answer") from None
        elif self.has_note(ticket_id, ticket):
            return  # an earlier attempt got everything through
        self.client.request("PUT", f"/api/v2/tickets/{quote(str(ticket_id))}.json",
                            json_body={"ticket": {"comment": {"body": ticket.note_text, "public": False}}})

    def check(self) -> str:
        me = (self.client.request("GET", "/api/v2/users/me.json").data or {}).get("user") or {}
        if not me.get("id") or me.get("role") not in ("agent", "admin"):
            raise DeliveryError(f"Zendesk: the API user is {me.get('role') or 'anonymous'}, not an agent "
                                "(check PORTAL_ZENDESK_EMAIL and PORTAL_ZENDESK_API_TOKEN)")
        return f"Zendesk: signed in as {me.get('name')} <{me.get('email')}> ({me.get('role')})"


def from_config(config: Settings) -> ZendeskConnector:
    url, email, token = required(config, "zendesk", "ZENDESK_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN")
    return ZendeskConnector(url, email, token, optional_integer_setting(config, "ZENDESK_GROUP_ID"),
                            timeout=float(config.get("HELPDESK_TIMEOUT") or 10))
