"""Zammad: a ticket with the customer's article, the context as an internal note article.

docs.zammad.org/en/latest/api/ticket/index.html (Create, Search) and
docs.zammad.org/en/latest/api/ticket/articles.html (Create, by ticket); authentication
"Authorization: Token token=<access token>" (docs.zammad.org/en/latest/api/intro.html).
Duplicates: the ticket's title starts with our reference, searched for before creating.
"""

from __future__ import annotations

from ...config import Settings
from ..delivery import DeliveryError
from . import Connector, required
from .http import JsonClient
from .ticket import Ticket

DEFAULT_GROUP = "Users"


class ZammadConnector(Connector):
    title = "Zammad"
    credential_settings = ("PORTAL_ZAMMAD_TOKEN",)

    def __init__(self, url: str, token: str, group: str = DEFAULT_GROUP, *, timeout: float = 10):
        self.client = JsonClient("Zammad", url, {"Authorization": f"Token token={token}"}, timeout=timeout)
        self.group = group

    def find(self, ticket: Ticket) -> int | None:
        # The bare reference: Elasticsearch finds it, and so does Zammad's SQL search without one.
        found = self.client.request("GET", "/api/v1/tickets/search", params={
            "query": ticket.reference, "limit": 10, "expand": "true"}).data
        for item in found if isinstance(found, list) else []:
            if f"[{ticket.reference}]" in (item.get("title") or ""):
                return int(item["id"])
        return None

    def has_note(self, ticket_id: int, ticket: Ticket) -> bool:
        articles = self.client.request("GET", f"/api/v1/ticket_articles/by_ticket/{ticket_id}").data or []
        return any(article.get("internal") and ticket.note_marker in (article.get("body") or "")
                   for article in articles)

    def deliver(self, ticket: Ticket, idempotency_key: str) -> None:
        ticket_id = self.find(ticket)
        if ticket_id is None:
            created = self.client.request("POST", "/api/v1/tickets", json_body={
                "title": ticket.subject, "group": self.group, "customer_id": f"guess:{ticket.email}",
                "tags": ",".join(ticket.tags),
                "article": {"subject": ticket.subject, "body": ticket.message, "content_type": "text/plain",
                            "type": "web", "sender": "Customer", "internal": False}})
            try:
                ticket_id = created.data["id"]
            except (TypeError, KeyError):
                raise DeliveryError("Zammad: the created ticket's id is missing from the answer") from None
        elif self.has_note(ticket_id, ticket):
            return
        self.client.request("POST", "/api/v1/ticket_articles", json_body={
            "ticket_id": ticket_id, "subject": "Help centre context", "body": ticket.note_text,
            "content_type": "text/plain", "type": "note", "sender": "Agent", "internal": True})

    def check(self) -> str:
        me = self.client.request("GET", "/api/v1/users/me").data or {}
        groups = self.client.request("GET", "/api/v1/groups").data or []
        names = [group.get("name") for group in groups]
        if self.group not in names:
            raise DeliveryError(f"Zammad: there is no group {self.group!r} this token can use "
                                f"(PORTAL_ZAMMAD_GROUP; groups: {', '.join(map(str, names)) or 'none'})")
        return f"Zammad: signed in as {me.get('login')}; tickets go to the group {self.group!r}"


def from_config(config: Settings) -> ZammadConnector:
    url, token = required(config, "zammad", "ZAMMAD_URL", "ZAMMAD_TOKEN")
    return ZammadConnector(url, token, config.get("ZAMMAD_GROUP") or DEFAULT_GROUP,
                           timeout=float(config.get("HELPDESK_TIMEOUT") or 10))
