"""Local stand-ins for the SaaS helpdesks' APIs, each following its vendor's published reference.

Every fake is a threaded HTTP server on 127.0.0.1 that checks each request the way the vendor
documents it (method, path, authentication scheme, required fields, JSON shape) and answers
with the vendor's documented bodies. What it did not accept is kept in `problems`, which a test
asserts empty. `fail_next(route, status, ...)` scripts the vendor's error answers (401, 422, 429
with its Retry-After header, 5xx), and `hang_after_next(route)` does the request and then
answers too late, as a helpdesk that created the ticket while the client timed out.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.helpers import ServedInThread

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
HANG_SECONDS = 1.5  # longer than the connector timeout the tests use


class Reply(Exception):
    def __init__(self, status, body=None, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out and left


class FakeHelpdesk(ServedInThread):
    """Routes are (method, path regex, handler name); handlers get (request, match) and return
    (status, body[, headers]) or raise Reply."""

    docs = ""
    routes: tuple[tuple[str, str, str], ...] = ()
    unauthorized: tuple[int, object] = (401, {"error": "unauthorized"})

    def __init__(self):
        self.problems: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.script: deque = deque()  # (method, route regex, status, body, headers, after)
        self.lock = threading.Lock()
        self.ids = itertools.count(101)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self)

            do_POST = do_PUT = do_PATCH = do_GET

            def log_message(self, *args):
                pass

        super().__init__(Handler, _Server)

    def fail_next(self, method, route, status, body=None, headers=None):
        self.script.append((method, route, status, body, headers, False))

    def hang_after_next(self, method, route):
        self.script.append((method, route, None, None, None, True))

    def problem(self, text):
        self.problems.append(text)

    # --- what every request goes through --------------------------------------------------------

    def authorized(self, headers) -> bool:
        raise NotImplementedError

    def _handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        method, path = handler.command, parts.path
        request = {
            "method": method,
            "path": path,
            "query": {k: v[-1] for k, v in parse_qs(parts.query).items()},
            "headers": handler.headers,
            "raw": raw,
            "json": None,
        }
        self.requests.append((method, handler.path))
        hang = False
        try:
            scripted = self._scripted(method, path)
            if scripted is not None and not scripted[5]:
                raise Reply(scripted[2], scripted[3], scripted[4])
            hang = scripted is not None
            if raw and (handler.headers.get("Content-Type") or "").startswith("application/json"):
                try:
                    request["json"] = json.loads(raw)
                except ValueError:
                    self.problem(f"{method} {path}: body is not JSON")
                    raise Reply(400, {"error": "invalid JSON"}) from None
            elif raw and method in ("POST", "PUT") and not self.form_allowed(path):
                self.problem(f"{method} {path}: Content-Type {handler.headers.get('Content-Type')!r}")
                raise Reply(415, {"error": "unsupported media type"})
            found = [
                (re.fullmatch(pattern, path), name) for verb, pattern, name in self.routes if verb == method
            ]
            match, handler_name = next(((m, name) for m, name in found if m), (None, None))
            if match is None:
                self.problem(f"no such endpoint: {method} {path}")
                raise Reply(404, {"error": "not found"})
            if not self.form_allowed(path) and not self.authorized(handler.headers):
                raise Reply(*self.unauthorized)
            with self.lock:
                answer = getattr(self, handler_name)(request, match)
            status, body, headers = (*answer, {})[:3]
        except Reply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
        if hang:
            threading.Event().wait(HANG_SECONDS)  # the work is done; the answer comes too late
        data = b"" if body is None else json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass

    def form_allowed(self, path) -> bool:
        return False

    def _scripted(self, method, path):
        with self.lock:
            for index, entry in enumerate(self.script):
                if entry[0] == method and re.fullmatch(entry[1], path):
                    del self.script[index]
                    return entry
        return None

    def require(self, body, where, *names):
        for name in names:
            if not isinstance(body, dict) or body.get(name) in (None, "", []):
                self.problem(f"{where}: {name} is missing")
                return False
        return True


def basic(headers) -> tuple[str, str] | None:
    value = headers.get("Authorization") or ""
    if not value.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(value[6:]).decode().partition(":")
    return user, password


# --- Zendesk ------------------------------------------------------------------------------------


class FakeZendesk(FakeHelpdesk):
    """developer.zendesk.com/api-reference/ticketing/tickets/tickets/ (Create Ticket, List
    Tickets with external_id, Update Ticket), .../ticket_comments/ (List Comments),
    .../users/users/#show-the-currently-authenticated-user, and
    developer.zendesk.com/api-reference/introduction/security-and-auth/ (API token:
    "{email}/token:{token}" in HTTP Basic), .../introduction/rate-limits/ (429, Retry-After)."""

    docs = "developer.zendesk.com/api-reference/ticketing/tickets/tickets/"
    email, token = "agent@shop.example", "zd-token"
    unauthorized = (401, {"error": "Couldn't authenticate you"})
    create = r"/api/v2/tickets\.json"
    routes = (
        ("GET", r"/api/v2/tickets\.json", "list_tickets"),
        ("POST", r"/api/v2/tickets\.json", "create_ticket"),
        ("PUT", r"/api/v2/tickets/(\d+)\.json", "update_ticket"),
        ("GET", r"/api/v2/tickets/(\d+)/comments\.json", "list_comments"),
        ("GET", r"/api/v2/users/me\.json", "me"),
    )

    def __init__(self):
        super().__init__()
        self.tickets: dict[int, dict] = {}

    def authorized(self, headers):
        return basic(headers) == (f"{self.email}/token", self.token)

    def list_tickets(self, request, match):
        wanted = request["query"].get("external_id")
        found = [t for t in self.tickets.values() if wanted is None or t["external_id"] == wanted]
        return 200, {"tickets": found, "next_page": None, "previous_page": None, "count": len(found)}

    def create_ticket(self, request, match):
        body = request["json"]
        ticket = (body or {}).get("ticket")
        if not self.require(ticket, "ticket", "subject", "comment", "requester", "external_id"):
            raise Reply(422, {"error": "RecordInvalid", "description": "Record validation errors"})
        if not request["headers"].get("Idempotency-Key"):
            self.problem("create ticket without Idempotency-Key")
        requester = ticket["requester"]
        if not EMAIL.match(requester.get("email") or ""):
            raise Reply(
                422,
                {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": {
                        "requester": [{"description": "Requester: Email is invalid", "error": "InvalidValue"}]
                    },
                },
            )
        if not isinstance(ticket["comment"].get("body"), str) or not isinstance(ticket.get("tags"), list):
            self.problem(f"ticket shape: {ticket}")
        new_id = next(self.ids)
        stored = {
            "id": new_id,
            "url": f"{self.url}/api/v2/tickets/{new_id}.json",
            "subject": ticket["subject"],
            "external_id": ticket["external_id"],
            "tags": ticket["tags"],
            "status": "new",
            "requester": requester,
            "group_id": ticket.get("group_id"),
            "comments": [
                {
                    "id": next(self.ids),
                    "body": ticket["comment"]["body"],
                    "public": ticket["comment"].get("public", True),
                }
            ],
        }
        self.tickets[new_id] = stored
        return (
            201,
            {"ticket": {k: v for k, v in stored.items() if k != "comments"}},
            {"Location": stored["url"]},
        )

    def update_ticket(self, request, match):
        ticket = self.tickets.get(int(match.group(1)))
        if ticket is None:
            raise Reply(404, {"error": "RecordNotFound", "description": "Not found"})
        comment = ((request["json"] or {}).get("ticket") or {}).get("comment")
        if not self.require(comment, "update comment", "body") or comment.get("public") is not False:
            self.problem(f"the note must be a private comment: {comment}")
        ticket["comments"].append(
            {"id": next(self.ids), "body": comment["body"], "public": comment.get("public", True)}
        )
        return 200, {"ticket": {k: v for k, v in ticket.items() if k != "comments"}, "audit": {"events": []}}

    def list_comments(self, request, match):
        ticket = self.tickets.get(int(match.group(1)))
        if ticket is None:
            raise Reply(404, {"error": "RecordNotFound", "description": "Not found"})
        return 200, {"comments": ticket["comments"], "next_page": None, "count": len(ticket["comments"])}

    def me(self, request, match):
        return 200, {"user": {"id": 1, "name": "Shop Agent", "email": self.email, "role": "admin"}}

    def delivered(self):
        return [
            {
                "message": t["comments"][0]["body"],
                "message_public": t["comments"][0]["public"],
                "notes": [c["body"] for c in t["comments"][1:] if not c["public"]],
                "tags": t["tags"],
                "email": t["requester"]["email"],
                "subject": t["subject"],
            }
            for t in self.tickets.values()
        ]


# --- Freshdesk ----------------------------------------------------------------------------------


class FakeFreshdesk(FakeHelpdesk):
    """developers.freshdesk.com/api/ : Authentication (API key as the Basic user, "X" as the
    password), Create a Ticket, List All Tickets (requester_id filter), List All Contacts (email
    filter), Create a Note, List All Conversations of a Ticket, View Me (agents/me), Error
    Handling (400 "Validation failed" with errors[]), Rate Limit (429, Retry-After)."""

    docs = "developers.freshdesk.com/api/#create_ticket"
    api_key = "fd-key"
    unauthorized = (
        401,
        {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."},
    )
    create = r"/api/v2/tickets"
    routes = (
        ("GET", r"/api/v2/contacts", "list_contacts"),
        ("GET", r"/api/v2/tickets", "list_tickets"),
        ("POST", r"/api/v2/tickets", "create_ticket"),
        ("POST", r"/api/v2/tickets/(\d+)/notes", "create_note"),
        ("GET", r"/api/v2/tickets/(\d+)/conversations", "list_conversations"),
        ("GET", r"/api/v2/agents/me", "me"),
    )

    def __init__(self):
        super().__init__()
        self.tickets: dict[int, dict] = {}
        self.contacts: dict[str, int] = {}

    def authorized(self, headers):
        return basic(headers) == (self.api_key, "X")

    def list_contacts(self, request, match):
        email = request["query"].get("email")
        return 200, [{"id": cid, "email": e} for e, cid in self.contacts.items() if e == email]

    def list_tickets(self, request, match):
        requester = int(request["query"].get("requester_id") or 0)
        found = [
            {k: v for k, v in t.items() if k != "notes"}
            for t in self.tickets.values()
            if t["requester_id"] == requester
        ]
        return 200, sorted(found, key=lambda t: -t["id"])

    def create_ticket(self, request, match):
        body = request["json"] or {}
        if not self.require(body, "ticket", "subject", "description", "status", "priority"):
            raise Reply(
                400,
                {
                    "description": "Validation failed",
                    "errors": [
                        {"field": "subject", "message": "It should not be blank", "code": "missing_field"}
                    ],
                },
            )
        if not EMAIL.match(body.get("email") or ""):
            raise Reply(
                400,
                {
                    "description": "Validation failed",
                    "errors": [
                        {
                            "field": "email",
                            "message": "It should be a valid email address.",
                            "code": "invalid_value",
                        }
                    ],
                },
            )
        if (
            body["status"] not in (2, 3, 4, 5)
            or body["priority"] not in (1, 2, 3, 4)
            or not isinstance(body.get("tags"), list)
        ):
            self.problem(f"ticket fields: {body}")
        requester = self.contacts.setdefault(body["email"], next(self.ids))
        new_id = next(self.ids)
        self.tickets[new_id] = {
            "id": new_id,
            "subject": body["subject"],
            "description": body["description"],
            "requester_id": requester,
            "tags": body["tags"],
            "status": body["status"],
            "source": body.get("source"),
            "notes": [],
        }
        return 201, {k: v for k, v in self.tickets[new_id].items() if k != "notes"}

    def create_note(self, request, match):
        ticket = self.tickets.get(int(match.group(1)))
        if ticket is None:
            raise Reply(404, None)
        body = request["json"] or {}
        self.require(body, "note", "body")
        if body.get("private") is not True:
            self.problem("the note must be private")
        note = {
            "id": next(self.ids),
            "body": body["body"],
            "body_text": re.sub("<[^>]+>", " ", body["body"]),
            "private": body.get("private", True),
            "ticket_id": ticket["id"],
        }
        ticket["notes"].append(note)
        return 201, note

    def list_conversations(self, request, match):
        ticket = self.tickets.get(int(match.group(1)))
        if ticket is None:
            raise Reply(404, None)
        return 200, ticket["notes"]

    def me(self, request, match):
        return 200, {"id": 7, "contact": {"name": "Shop Agent", "email": "agent@shop.example"}}

    def delivered(self):
        return [
            {
                "message": t["description"],
                "notes": [n["body_text"] for n in t["notes"] if n["private"]],
                "tags": t["tags"],
                "subject": t["subject"],
            }
            for t in self.tickets.values()
        ]


# --- Zammad -------------------------------------------------------------------------------------


class FakeZammad(FakeHelpdesk):
    """docs.zammad.org/en/latest/api/intro.html (Token authentication), .../api/ticket/index.html
    (Create with an article, Search), .../api/ticket/articles.html (Create, by ticket),
    .../api/user.html (me), .../api/group.html (List); errors are {"error", "error_human"}."""

    docs = "docs.zammad.org/en/latest/api/ticket/index.html"
    token = "zm-token"
    groups = ("Users", "Support")
    unauthorized = (401, {"error": "Authentication required", "error_human": "Authentication required"})
    create = r"/api/v1/tickets"
    routes = (
        ("GET", r"/api/v1/tickets/search", "search"),
        ("POST", r"/api/v1/tickets", "create_ticket"),
        ("POST", r"/api/v1/ticket_articles", "create_article"),
        ("GET", r"/api/v1/ticket_articles/by_ticket/(\d+)", "by_ticket"),
        ("GET", r"/api/v1/users/me", "me"),
        ("GET", r"/api/v1/groups", "list_groups"),
    )

    def __init__(self):
        super().__init__()
        self.tickets: dict[int, dict] = {}

    def authorized(self, headers):
        return headers.get("Authorization") == f"Token token={self.token}"

    def search(self, request, match):
        query = request["query"].get("query") or ""
        if not query or request["query"].get("expand") != "true":
            self.problem(f"search query: {request['query']}")
            return 200, []
        return 200, [
            {k: v for k, v in t.items() if k != "articles"}
            for t in self.tickets.values()
            if query in t["title"]
        ]

    def create_ticket(self, request, match):
        body = request["json"] or {}
        if not self.require(body, "ticket", "title", "group", "customer_id", "article"):
            raise Reply(
                422, {"error": "Attribute 'title' required!", "error_human": "Attribute 'title' required!"}
            )
        if body["group"] not in self.groups:
            message = f"No lookup value found for 'group': {body['group']!r}"
            raise Reply(422, {"error": message, "error_human": message})
        customer = body["customer_id"]
        if not str(customer).startswith("guess:") or not EMAIL.match(str(customer)[6:]):
            raise Reply(422, {"error": "Invalid email", "error_human": f"Invalid email '{customer}'"})
        article = body["article"]
        self.require(article, "article", "body", "type", "sender")
        new_id = next(self.ids)
        self.tickets[new_id] = {
            "id": new_id,
            "number": str(31000 + new_id),
            "title": body["title"],
            "group": body["group"],
            "tags": body.get("tags", ""),
            "articles": [
                {
                    "id": next(self.ids),
                    "body": article["body"],
                    "internal": article.get("internal", False),
                    "sender": article["sender"],
                    "type": article["type"],
                }
            ],
        }
        return 201, {k: v for k, v in self.tickets[new_id].items() if k != "articles"}

    def create_article(self, request, match):
        body = request["json"] or {}
        self.require(body, "article", "ticket_id", "body", "type")
        ticket = self.tickets.get(body.get("ticket_id"))
        if ticket is None:
            raise Reply(422, {"error": "No such ticket", "error_human": "No such ticket"})
        article = {
            "id": next(self.ids),
            "ticket_id": ticket["id"],
            "body": body["body"],
            "internal": body.get("internal", False),
            "type": body["type"],
            "sender": body.get("sender"),
        }
        ticket["articles"].append(article)
        return 201, article

    def by_ticket(self, request, match):
        ticket = self.tickets.get(int(match.group(1)))
        if ticket is None:
            raise Reply(404, {"error": "Not authorized", "error_human": "Not authorized"})
        return 200, ticket["articles"]

    def me(self, request, match):
        return 200, {"id": 3, "login": "agent@shop.example"}

    def list_groups(self, request, match):
        return 200, [{"id": i, "name": name, "active": True} for i, name in enumerate(self.groups, 1)]

    def delivered(self):
        return [
            {
                "message": t["articles"][0]["body"],
                "message_public": not t["articles"][0]["internal"],
                "notes": [a["body"] for a in t["articles"][1:] if a["internal"]],
                "tags": t["tags"].split(","),
                "subject": t["title"],
            }
            for t in self.tickets.values()
        ]


# --- Help Scout ---------------------------------------------------------------------------------


class FakeHelpScout(FakeHelpdesk):
    """developer.helpscout.com/mailbox-api/overview/authentication/ (client credentials: POST
    /v2/oauth2/token, then "Authorization: Bearer"), .../endpoints/conversations/create/ (201,
    Resource-ID header, empty body), .../endpoints/conversations/list/ (mailbox, tag, status
    filters; HAL _embedded), .../endpoints/mailboxes/get/, .../overview/errors/ (400 with
    _embedded.errors) and .../overview/rate-limiting/ (429, X-RateLimit-Retry-After)."""

    docs = "developer.helpscout.com/mailbox-api/endpoints/conversations/create/"
    app_id, app_secret, mailbox = "hs-app", "hs-secret", 85
    unauthorized = (401, {"message": "Unauthorized", "logRef": "abc-123"})
    create = r"/v2/conversations"
    routes = (
        ("POST", r"/v2/oauth2/token", "token"),
        ("GET", r"/v2/conversations", "list_conversations"),
        ("POST", r"/v2/conversations", "create_conversation"),
        ("GET", r"/v2/mailboxes/(\d+)", "get_mailbox"),
    )

    def __init__(self):
        super().__init__()
        self.conversations: dict[int, dict] = {}
        self.tokens: set[str] = set()
        self.tokens_issued = 0

    def form_allowed(self, path):
        return path == "/v2/oauth2/token"

    def authorized(self, headers):
        value = headers.get("Authorization") or ""
        return value.startswith("Bearer ") and value[7:] in self.tokens

    def expire_tokens(self):
        self.tokens.clear()

    def token(self, request, match):
        if request["headers"].get("Content-Type") != "application/x-www-form-urlencoded":
            self.problem("the token request must be form-encoded")
        form = {k: v[-1] for k, v in parse_qs(request["raw"].decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise Reply(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (self.app_id, self.app_secret):
            raise Reply(401, {"error": "invalid_client", "error_description": "Bad client credentials"})
        token = uuid.uuid4().hex
        self.tokens.add(token)
        self.tokens_issued += 1
        return 200, {"token_type": "bearer", "access_token": token, "expires_in": 172800}

    def list_conversations(self, request, match):
        query = request["query"]
        if query.get("mailbox") != str(self.mailbox) or query.get("status") != "all":
            self.problem(f"list filters: {query}")
        found = [c for c in self.conversations.values() if query.get("tag") in c["tags"]]
        return 200, {
            "_embedded": {"conversations": found},
            "page": {"size": 25, "totalElements": len(found), "totalPages": 1, "number": 1},
        }

    def create_conversation(self, request, match):
        body = request["json"] or {}
        if not self.require(
            body, "conversation", "subject", "customer", "mailboxId", "type", "status", "threads"
        ):
            raise Reply(
                400,
                {
                    "message": "Bad request",
                    "logRef": "x",
                    "_embedded": {
                        "errors": [{"path": "subject", "message": "may not be empty", "source": "JSON"}]
                    },
                },
            )
        if body["mailboxId"] != self.mailbox:
            raise Reply(404, {"message": "Mailbox not found", "logRef": "x"})
        if not EMAIL.match(body["customer"].get("email") or ""):
            raise Reply(
                400,
                {
                    "message": "Bad request",
                    "logRef": "x",
                    "_embedded": {
                        "errors": [
                            {
                                "path": "customer.email",
                                "message": "must be a well-formed email address",
                                "source": "JSON",
                            }
                        ]
                    },
                },
            )
        for thread in body["threads"]:
            if thread.get("type") not in ("customer", "note", "reply", "chat", "phone") or not thread.get(
                "text"
            ):
                self.problem(f"thread: {thread}")
            if thread.get("type") == "customer" and not (thread.get("customer") or {}).get("email"):
                self.problem("a customer thread needs its customer")
        new_id = next(self.ids)
        self.conversations[new_id] = {
            "id": new_id,
            "subject": body["subject"],
            "tags": body.get("tags") or [],
            "threads": body["threads"],
            "customer": body["customer"],
        }
        return 201, None, {"Resource-ID": str(new_id), "Location": f"{self.url}/v2/conversations/{new_id}"}

    def get_mailbox(self, request, match):
        if int(match.group(1)) != self.mailbox:
            raise Reply(404, {"message": "Mailbox not found", "logRef": "x"})
        return 200, {"id": self.mailbox, "name": "Support", "email": "support@shop.example"}

    def delivered(self):
        return [
            {
                "message": next(t["text"] for t in c["threads"] if t["type"] == "customer"),
                "notes": [re.sub("<[^>]+>", " ", t["text"]) for t in c["threads"] if t["type"] == "note"],
                "tags": c["tags"],
                "subject": c["subject"],
            }
            for c in self.conversations.values()
        ]


# --- Chatwoot -----------------------------------------------------------------------------------


class FakeChatwoot(FakeHelpdesk):
    """developers.chatwoot.com/api-reference/ : the "api_access_token" header; Contacts (Search
    Contacts, Create Contact: payload.contact, 422 for a taken e-mail; Create Contact Inbox:
    source_id; Contact Conversations), Conversations (Create New Conversation with source_id and
    custom_attributes; Add Labels), Messages (Create New Message: incoming, or private)."""

    docs = "developers.chatwoot.com/api-reference/conversations/create-new-conversation"
    token, account, inbox = "cw-token", 1, 4
    unauthorized = (401, {"error": "You need to sign in or sign up before continuing."})
    create = r"/api/v1/accounts/1/conversations"
    routes = (
        ("GET", r"/api/v1/accounts/1/contacts/search", "search_contacts"),
        ("POST", r"/api/v1/accounts/1/contacts", "create_contact"),
        ("POST", r"/api/v1/accounts/1/contacts/(\d+)/contact_inboxes", "create_contact_inbox"),
        ("GET", r"/api/v1/accounts/1/contacts/(\d+)/conversations", "contact_conversations"),
        ("POST", r"/api/v1/accounts/1/conversations", "create_conversation"),
        ("GET", r"/api/v1/accounts/1/conversations/(\d+)/messages", "list_messages"),
        ("POST", r"/api/v1/accounts/1/conversations/(\d+)/messages", "create_message"),
        ("POST", r"/api/v1/accounts/1/conversations/(\d+)/labels", "add_labels"),
        ("GET", r"/api/v1/accounts/1/inboxes/(\d+)", "get_inbox"),
    )

    def __init__(self):
        super().__init__()
        self.contacts: dict[int, dict] = {}
        self.sources: dict[str, int] = {}
        self.conversations: dict[int, dict] = {}

    def authorized(self, headers):
        return headers.get("api_access_token") == self.token

    def search_contacts(self, request, match):
        q = request["query"].get("q") or ""
        return 200, {
            "meta": {"count": 0},
            "payload": [c for c in self.contacts.values() if q and q in c["email"]],
        }

    def create_contact(self, request, match):
        body = request["json"] or {}
        self.require(body, "contact", "inbox_id", "name", "email")
        if any(c["email"] == body.get("email") for c in self.contacts.values()):
            raise Reply(422, {"message": "Email has already been taken", "attributes": ["email"]})
        if not EMAIL.match(body.get("email") or ""):
            raise Reply(422, {"message": "Email Invalid email", "attributes": ["email"]})
        contact = {"id": next(self.ids), "name": body["name"], "email": body["email"]}
        self.contacts[contact["id"]] = contact
        return 200, {
            "payload": {
                "contact": contact,
                "contact_inbox": {"inbox": {"id": body["inbox_id"]}, "source_id": None},
            }
        }

    def create_contact_inbox(self, request, match):
        contact_id = int(match.group(1))
        if contact_id not in self.contacts or (request["json"] or {}).get("inbox_id") != self.inbox:
            raise Reply(422, {"message": "Inbox not found"})
        source = str(uuid.uuid4())
        self.sources[source] = contact_id
        return 200, {"source_id": source, "inbox": {"id": self.inbox, "channel_type": "Channel::Api"}}

    def contact_conversations(self, request, match):
        contact_id = int(match.group(1))
        return 200, {
            "payload": [
                {k: v for k, v in c.items() if k != "messages"}
                for c in self.conversations.values()
                if c["contact_id"] == contact_id
            ]
        }

    def create_conversation(self, request, match):
        body = request["json"] or {}
        self.require(body, "conversation", "source_id", "inbox_id")
        if self.sources.get(body.get("source_id")) != body.get("contact_id"):
            raise Reply(422, {"message": "Source can't be blank"})
        conversation = {
            "id": next(self.ids),
            "account_id": self.account,
            "inbox_id": body["inbox_id"],
            "contact_id": body["contact_id"],
            "status": body.get("status", "open"),
            "custom_attributes": body.get("custom_attributes") or {},
            "labels": [],
            "messages": [],
        }
        self.conversations[conversation["id"]] = conversation
        return 200, {k: v for k, v in conversation.items() if k != "messages"}

    def _conversation(self, match):
        conversation = self.conversations.get(int(match.group(1)))
        if conversation is None:
            raise Reply(404, {"error": "Resource could not be found"})
        return conversation

    def list_messages(self, request, match):
        return 200, {"meta": {}, "payload": self._conversation(match)["messages"]}

    def create_message(self, request, match):
        conversation = self._conversation(match)
        body = request["json"] or {}
        self.require(body, "message", "content")
        if body.get("message_type") not in ("incoming", "outgoing"):
            self.problem(f"message_type: {body.get('message_type')}")
        message = {
            "id": next(self.ids),
            "content": body["content"],
            "message_type": body.get("message_type"),
            "private": bool(body.get("private")),
        }
        conversation["messages"].append(message)
        return 200, message

    def add_labels(self, request, match):
        conversation = self._conversation(match)
        labels = (request["json"] or {}).get("labels")
        if not isinstance(labels, list):
            self.problem("labels must be a list")
        conversation["labels"] = sorted(set(conversation["labels"]) | set(labels or []))
        return 200, {"payload": conversation["labels"]}

    def get_inbox(self, request, match):
        if int(match.group(1)) != self.inbox:
            raise Reply(404, {"error": "Resource could not be found"})
        return 200, {"id": self.inbox, "name": "Help centre", "channel_type": "Channel::Api"}

    def delivered(self):
        return [
            {
                "message": next(
                    (m["content"] for m in c["messages"] if m["message_type"] == "incoming"), None
                ),
                "incoming": [m["content"] for m in c["messages"] if m["message_type"] == "incoming"],
                "notes": [m["content"] for m in c["messages"] if m["private"]],
                "tags": c["labels"],
                "subject": c["custom_attributes"].get("portal_reference"),
            }
            for c in self.conversations.values()
        ]
