"""Senders: a signed webhook POST, or an e-mail to a helpdesk mailbox; `sender_from_config`
picks one (or a helpdesk connector from helpdesks/) from the settings."""

from __future__ import annotations

import contextlib
import http.client
import re
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from ..config import Settings
from .delivery import USER_AGENT, ConfigurationError, Delivery, DeliveryError, Sender, encode_body, sign

# --- senders ------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is not a delivery: urllib would turn the POST into a GET


class _Deadline:
    """Cuts the connections of one send when its time is up: a socket timeout applies to each
    read, so a receiver that trickles one header line a second would otherwise hold a send forever."""

    def __init__(self, seconds: float):
        self.sockets: list[socket.socket] = []
        self.expired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self.sockets.append(sock)
            expired = self.expired
        if expired:
            self._cut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self.sockets)
        for sock in sockets:
            self._cut(sock)

    @staticmethod
    def _cut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _watched(connection_class: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    class Watched(connection_class):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection, self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPSConnection, self.deadline), req,
                            context=self._context)  # type: ignore[attr-defined]


class WebhookSender:
    """POSTs the signed JSON payload; any 2xx, or 409 (already received), means delivered.

    `timeout` is a total deadline for the whole send (connect, request, answer), shorter than the
    delivery lease, so a send never outlives its lease."""

    def __init__(self, url: str, secret: str, timeout: float = 10, *, clock: Callable[[], float] = time.time):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ConfigurationError(f"the webhook URL must be http:// or https://, not {url!r}")
        if not secret:
            raise ConfigurationError("a webhook needs a secret to sign its requests (WEBHOOK_SECRET)")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.clock = clock

    def headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        timestamp = str(int(self.clock()))
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                "Idempotency-Key": delivery.idempotency_key, "X-Portal-Timestamp": timestamp,
                "X-Portal-Signature": sign(self.secret, timestamp, body)}

    def send(self, delivery: Delivery) -> None:
        body = encode_body(delivery.payload)
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers=self.headers(delivery, body))
        with _Deadline(self.timeout) as deadline:
            opener = urllib.request.build_opener(_NoRedirects, _DeadlineHTTPHandler(deadline),
                                                 _DeadlineHTTPSHandler(deadline))
            try:
                self._open(opener, request)
            except DeliveryError:
                if deadline.expired:
                    raise DeliveryError(f"timed out: no complete answer within {self.timeout:g} s") from None
                raise
            if deadline.expired:  # the cut can look like the end of the answer: not a delivery
                raise DeliveryError(f"timed out: no complete answer within {self.timeout:g} s")

    def _open(self, opener: urllib.request.OpenerDirector, request: urllib.request.Request) -> None:
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read(65536)  # only 2xx get here; the answer itself is not needed
        except urllib.error.HTTPError as error:
            try:
                detail = " ".join(error.read(300).decode("utf-8", "replace").split())
            except (OSError, http.client.HTTPException):
                detail = ""
            finally:
                error.close()  # it holds the response's socket
            if error.code == 409:
                return  # "already received": an earlier attempt got through
            raise DeliveryError(f"HTTP {error.code} {error.reason}" + (f": {detail}" if detail else "")) \
                from None
        except urllib.error.URLError as error:
            reason = error.reason
            raise DeliveryError(f"{type(reason).__name__}: {reason}" if isinstance(reason, Exception)
                                else f"URLError: {reason}") from None
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None


class SmtpSender:
    """Mails the handoff to a helpdesk mailbox; the Message-ID comes from the idempotency key."""

    def __init__(self, host: str, port: int, user: str | None, password: str | None, sender: str,
                 recipient: str, starttls: bool, timeout: float = 10):
        if not sender or not recipient:
            raise ConfigurationError("e-mail delivery needs a sender and a recipient (SMTP_FROM, SMTP_TO)")
        if not f"{user or ''}{password or ''}".isascii():
            # smtplib encodes AUTH credentials as ASCII: fail at start, not on every message.
            raise ConfigurationError("SMTP_USER and SMTP_PASSWORD must be ASCII (a limit of smtplib)")
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.recipient, self.starttls, self.timeout = sender, recipient, starttls, timeout

    @contextlib.contextmanager
    def session(self) -> Iterator[smtplib.SMTP]:
        """A connection as every delivery makes it: STARTTLS, then the login."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            yield smtp

    def send(self, delivery: Delivery) -> None:
        message = compose_email(delivery, self.sender, self.recipient)
        try:
            with self.session() as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None


_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+")


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def message_id(idempotency_key: str, sender: str) -> str:
    """'<handoff.KEY@sender-domain>': every attempt carries the same id, so the mailbox can dedupe."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portal.invalid"
    return f"<handoff.{re.sub(r'[^A-Za-z0-9._-]', '', idempotency_key)}@{domain}>"


def compose_email(delivery: Delivery, sender: str, recipient: str) -> EmailMessage:
    """A plain-text mail for agents, with the webhook's JSON attached for helpdesk tools."""
    payload = delivery.payload
    customer = payload["customer"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = (f"[{payload['reference']}] {_one_line(payload['topic'])}: "
                          f"{_one_line(customer['name'])}")
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(delivery.idempotency_key, sender)
    message["X-Portal-Reference"] = payload["reference"]
    message["X-Portal-Idempotency-Key"] = delivery.idempotency_key
    if _EMAIL.fullmatch(customer["email"] or ""):
        message["Reply-To"] = formataddr((_one_line(customer["name"]), customer["email"]))
    lines = [f"Reference: {payload['reference']}", f"Received: {payload['created_at']}",
             f"Topic: {payload['topic']}", f"Channel: {payload['channel']}", f"Language: {payload['locale']}",
             f"Customer: {customer['name']} <{customer['email']}>",
             f"Order: {customer['order_number'] or '-'}", "", payload["message"], ""]
    if payload["context"]["searches"]:
        unanswered = set(payload["context"].get("searches_not_confident") or ())
        lines += ["Searched for:", *(f"- {text}" + (" (no confident answer in the help centre)"
                                                    if text in unanswered else "")
                                     for text in payload["context"]["searches"]), ""]
    if payload["context"]["articles"]:
        lines += ["Articles read:", *(f"- {a['title'] or a['id']}" + (f" <{a['url']}>" if a["url"] else "")
                                      for a in payload["context"]["articles"]), ""]
    message.set_content("\n".join(lines), cte="quoted-printable")  # 7-bit clean for any relay
    message.add_attachment(encode_body(payload), maintype="application", subtype="json",
                           filename=f"{payload['reference']}.json")
    return message


def sender_from_config(config: Settings) -> Sender | None:
    """The helpdesk named by HELPDESK (portal/handoff/helpdesks/); without it, the webhook if
    WEBHOOK_URL is set, else e-mail if SMTP_HOST is, else None."""
    helpdesk = config.get("HELPDESK")
    if helpdesk and helpdesk not in ("webhook", "smtp"):
        from .helpdesks import connector_from_config

        return connector_from_config(helpdesk, config)
    if helpdesk == "webhook" and not config.get("WEBHOOK_URL"):
        raise ConfigurationError("PORTAL_HELPDESK=webhook needs PORTAL_WEBHOOK_URL and PORTAL_WEBHOOK_SECRET")
    if helpdesk == "smtp" and not config.get("SMTP_HOST"):
        raise ConfigurationError("PORTAL_HELPDESK=smtp needs PORTAL_SMTP_HOST, PORTAL_SMTP_FROM and "
                                 "PORTAL_SMTP_TO")
    if config.get("WEBHOOK_URL") and helpdesk != "smtp":
        return WebhookSender(config["WEBHOOK_URL"], config.get("WEBHOOK_SECRET") or "",
                             timeout=float(config.get("WEBHOOK_TIMEOUT") or 10))
    if config.get("SMTP_HOST"):
        return SmtpSender(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 587), config.get("SMTP_USER"),
                          config.get("SMTP_PASSWORD"), config.get("SMTP_FROM") or "",
                          config.get("SMTP_TO") or "", bool(config.get("SMTP_STARTTLS", True)))
    return None
