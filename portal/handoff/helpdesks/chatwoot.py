"""Chatwoot: a conversation in an API inbox, the customer's words as an incoming message and
the context as a private note.

developers.chatwoot.com/api-reference (Contacts: search, create, create contact inbox;
Conversations: create, list a contact's conversations, labels; Messages: create, list);
authentication: the "api_access_token" header with an agent's access token.
Duplicates: the conversation's custom attribute portal_reference is our reference; a retry
finds it among the contact's conversations and adds only the messages still missing.
"""

from __future__ import annotations

from typing import Any

from ...config import Settings
from ..delivery import DeliveryError
from . import Connector, integer_setting, required
from .http import JsonClient
from .ticket import Ticket


def _payload(data: Any) -> Any:
    return data.get("payload") if isinstance(data, dict) and "payload" in data else data


class ChatwootConnector(Connector):
    title = "Chatwoot"
    credential_settings = ("PORTAL_CHATWOOT_API_TOKEN",)

    def __init__(self, url: str, api_token: str, account_id: int, inbox_id: int, *, timeout: float = 10):
        self.client = JsonClient("Chatwoot", url, {"api_access_token": api_token}, timeout=timeout)
        self.account, self.inbox_id = f"/api/v1/accounts/{account_id}", inbox_id

    def contact(self, ticket: Ticket) -> tuple[int, bool]:
        """The contact's id (found by e-mail, else created) and whether it was created now."""
        found = _payload(self.client.request("GET", f"{self.account}/contacts/search",
                                             params={"q": ticket.email}).data) or []
        for contact in found:
            if (contact.get("email") or "").lower() == ticket.email.lower():
                return contact["id"], False
        created = _payload(self.client.request("POST", f"{self.account}/contacts", json_body={
            "inbox_id": self.inbox_id, "name": ticket.name, "email": ticket.email}).data) or {}
        contact = created.get("contact", created)
        if not contact.get("id"):
            raise DeliveryError("Chatwoot: the created contact's id is missing from the answer")
        return contact["id"], True

    def find(self, contact_id: int, ticket: Ticket) -> int | None:
        conversations = _payload(self.client.request(
            "GET", f"{self.account}/contacts/{contact_id}/conversations").data) or []
        for conversation in conversations:
            if (conversation.get("custom_attributes") or {}).get("portal_reference") == ticket.reference:
                return int(conversation["id"])
        return None

    def deliver(self, ticket: Ticket, idempotency_key: str) -> None:
        contact_id, new_contact = self.contact(ticket)
        conversation_id = None if new_contact else self.find(contact_id, ticket)
        messages: list[dict[str, Any]] = []
        if conversation_id is None:
            source = self.client.request("POST", f"{self.account}/contacts/{contact_id}/contact_inboxes",
                                         json_body={"inbox_id": self.inbox_id}).data or {}
            created = self.client.request("POST", f"{self.account}/conversations", json_body={
                "source_id": source.get("source_id"), "inbox_id": self.inbox_id, "contact_id": contact_id,
                "status": "open",
                "custom_attributes": {"portal_reference": ticket.reference, "topic": ticket.topic,
                                      "language": ticket.locale}}).data or {}
            conversation_id = created.get("id")
            if not conversation_id:
                raise DeliveryError("Chatwoot: the created conversation's id is missing from the answer")
        else:
            messages = _payload(self.client.request(
                "GET", f"{self.account}/conversations/{conversation_id}/messages").data) or []
        path = f"{self.account}/conversations/{conversation_id}"
        contents = [message.get("content") or "" for message in messages]
        if ticket.message not in contents:
            self.client.request("POST", f"{path}/messages",
                                json_body={"content": ticket.message, "message_type": "incoming"})
        if not any(ticket.note_marker in content for content in contents):
            self.client.request("POST", f"{path}/labels", json_body={"labels": list(ticket.tags)})
            self.client.request("POST", f"{path}/messages", json_body={
                "content": ticket.note_text, "message_type": "outgoing", "private": True})

    def check(self) -> str:
        inbox = self.client.request("GET", f"{self.account}/inboxes/{self.inbox_id}").data or {}
        if inbox.get("channel_type") not in (None, "Channel::Api"):
            raise DeliveryError(f"Chatwoot: inbox {self.inbox_id} is a {inbox.get('channel_type')} inbox; "
                                "create an API inbox for the help centre (PORTAL_CHATWOOT_INBOX_ID)")
        return f"Chatwoot: signed in; inbox {self.inbox_id} is {inbox.get('name')!r}"


def from_config(config: Settings) -> ChatwootConnector:
    url, token = required(config, "chatwoot", "CHATWOOT_URL", "CHATWOOT_API_TOKEN", "CHATWOOT_ACCOUNT_ID",
                          "CHATWOOT_INBOX_ID")[:2]
    return ChatwootConnector(url, token, integer_setting(config, "CHATWOOT_ACCOUNT_ID"),
                             integer_setting(config, "CHATWOOT_INBOX_ID"),
                             timeout=float(config.get("HELPDESK_TIMEOUT") or 10))
