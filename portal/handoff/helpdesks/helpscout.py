"""Help Scout: a conversation through Mailbox API 2.0, the context as a note thread.

developer.helpscout.com/mailbox-api/overview/authentication/ (client credentials flow),
developer.helpscout.com/mailbox-api/endpoints/conversations/create/ and .../list/.
The conversation is created with both threads (the customer's and the note) in one request,
and carries a tag made from our reference; a retry lists the mailbox's conversations with
that tag before creating.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ...config import Settings
from ..delivery import DeliveryError
from . import Connector, integer_setting, required
from .http import JsonClient, Response
from .ticket import Ticket, tag_value

API_URL = "https://api.helpscout.net"
TOKEN_MARGIN_SECONDS = 60


class HelpScoutConnector(Connector):
    title = "Help Scout"
    credential_settings = ("PORTAL_HELPSCOUT_APP_ID", "PORTAL_HELPSCOUT_APP_SECRET")

    def __init__(self, app_id: str, app_secret: str, mailbox_id: int, url: str = API_URL, *,
                 timeout: float = 10, clock: Callable[[], float] = time.monotonic):
        self.client = JsonClient("Help Scout", url, timeout=timeout)
        self.app_id, self.app_secret, self.mailbox_id = app_id, app_secret, mailbox_id
        self.clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or self.clock() >= self._expires:
                answer = self.client.request("POST", "/v2/oauth2/token", form={
                    "grant_type": "client_credentials", "client_id": self.app_id,
                    "client_secret": self.app_secret}).data or {}
                if not answer.get("access_token"):
                    raise DeliveryError("Help Scout: the token answer has no access_token")
                self._token = answer["access_token"]
                self._expires = self.clock() + float(answer.get("expires_in") or 0) - TOKEN_MARGIN_SECONDS
            return self._token

    def call(self, method: str, path: str, **kwargs: Any) -> Response:
        """One API request with the bearer token; an expired token (401) is renewed once."""
        token = self.token()  # refused client credentials are reported as they are, not retried
        try:
            return self.client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        except DeliveryError as error:
            if getattr(error, "status", None) != 401:
                raise
        renewed = self.token(renew=True)
        return self.client.request(method, path, headers={"Authorization": f"Bearer {renewed}"}, **kwargs)

    def find(self, ticket: Ticket) -> int | None:
        found = self.call("GET", "/v2/conversations", params={
            "mailbox": self.mailbox_id, "tag": tag_value(ticket.reference), "status": "all"}).data or {}
        conversations = (found.get("_embedded") or {}).get("conversations") or []
        return conversations[0]["id"] if conversations else None

    def deliver(self, ticket: Ticket, idempotency_key: str) -> None:
        if self.find(ticket) is not None:
            return  # the conversation and its note are made in one request: nothing can be missing
        customer = {"email": ticket.email, "firstName": ticket.first_name, "lastName": ticket.last_name}
        self.call("POST", "/v2/conversations", json_body={
            "subject": ticket.subject, "customer": {k: v for k, v in customer.items() if v},
            "mailboxId": self.mailbox_id, "type": "email", "status": "active",
            "tags": [*ticket.tags, tag_value(ticket.reference)],
            "threads": [{"type": "customer", "customer": {"email": ticket.email}, "text": ticket.message},
                        {"type": "note", "text": ticket.note_html}]})

    def check(self) -> str:
        mailbox = self.call("GET", f"/v2/mailboxes/{self.mailbox_id}").data or {}
        return f"Help Scout: token issued; mailbox {self.mailbox_id} is {mailbox.get('name')!r}"


def from_config(config: Settings) -> HelpScoutConnector:
    app_id, app_secret = required(config, "helpscout", "HELPSCOUT_APP_ID", "HELPSCOUT_APP_SECRET",
                                  "HELPSCOUT_MAILBOX_ID")[:2]
    return HelpScoutConnector(app_id, app_secret, integer_setting(config, "HELPSCOUT_MAILBOX_ID"),
                              config.get("HELPSCOUT_URL") or API_URL,
                              timeout=float(config.get("HELPDESK_TIMEOUT") or 10))
