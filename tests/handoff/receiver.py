"""Helpdesk stand-ins for delivery tests: a webhook receiver and an SMTP server, both on 127.0.0.1.

The webhook receiver does what docs/handoff.md asks of a real one: it checks the signature,
keeps the first request per Idempotency-Key and answers 409 to repeats. A script of actions
makes it misbehave for the next requests: an HTTP status (503, 302, ...), "hang" (no answer
until released), "close" (drop the connection) or "hold" (accept, then hang before answering).
"""

from __future__ import annotations

import base64
import json
import socketserver
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from portal.handoff.delivery import verify_signature
from tests.helpers import WAIT_SECONDS, ServedInThread


@dataclass
class ReceivedRequest:
    key: str | None
    timestamp: str | None
    signature: str | None
    signature_valid: bool
    content_type: str | None
    body: bytes
    status: int | None  # None: hung or closed without an answer

    @property
    def payload(self):
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins the handler threads: nothing left running

    def handle_error(self, request, client_address):
        pass  # a client that went away (killed worker, timeout) is part of the tests


class WebhookReceiver:
    def __init__(self, secret: str):
        self.secret = secret
        self.requests: list[ReceivedRequest] = []
        self.accepted: dict[str, dict] = {}  # idempotency key -> payload, first arrival only
        self.duplicates: list[str] = []
        self.script: deque = deque()  # actions for the next requests, see the module docstring
        self.down = False  # answer 503 to everything
        self.holding = threading.Event()  # a request is waiting in "hang" or "hold"
        self._release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver._handle(self)

            def log_message(self, *args):
                pass

        self._served = ServedInThread(Handler, _Server)

    @property
    def url(self):
        return f"{self._served.url}/hooks/handoff"

    def release(self):
        """Let hung requests finish (their clients may be long gone)."""
        self._release.set()

    def __enter__(self):
        self._served.__enter__()
        return self

    def __exit__(self, *exc):
        self.release()
        self._served.__exit__(*exc)

    def _handle(self, handler: BaseHTTPRequestHandler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        key = handler.headers.get("Idempotency-Key")
        timestamp = handler.headers.get("X-Portal-Timestamp")
        signature = handler.headers.get("X-Portal-Signature")
        request = ReceivedRequest(key, timestamp, signature,
                                  verify_signature(self.secret, timestamp or "", body, signature),
                                  handler.headers.get("Content-Type"), body, None)
        with self._lock:
            self.requests.append(request)
            action = self.script.popleft() if self.script else (503 if self.down else None)
            if action in (None, "hold"):
                if not request.signature_valid:
                    action = 401 if action is None else action
                elif key in self.accepted:
                    self.duplicates.append(key)
                    action = 409 if action is None else action
                else:
                    self.accepted[key] = json.loads(body)
        if action == "close":
            handler.close_connection = True
            return
        if action in ("hang", "hold"):
            self.holding.set()
            self._release.wait(WAIT_SECONDS)
            if action == "hang":
                return
        status = action if isinstance(action, int) else 200
        request.status = status
        answer = json.dumps({"received": status in (200, 409)}).encode()
        try:
            handler.send_response(status)
            if 300 <= status < 400:
                handler.send_header("Location", "/elsewhere")
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        except OSError:
            pass  # the worker was killed while we held its request


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes


class SmtpServer(socketserver.ThreadingTCPServer):
    """Just enough ESMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

    `reject_next` answers the next N messages' DATA with 451 (a temporary failure)."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[ReceivedMail] = []
        self.logins: list[tuple[str, str]] = []
        self.reject_next = 0
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="smtp-stub")

    @property
    def port(self):
        return self.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self._thread.join()
        self.server_close()

    def handle_error(self, request, client_address):
        pass


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, *lines):
        for index, line in enumerate(lines):
            separator = "-" if index < len(lines) - 1 else " "
            self.wfile.write(f"{line[:3]}{separator}{line[4:]}\r\n".encode())

    def handle(self):
        server: SmtpServer = self.server
        sender, recipients = None, []
        self.reply("220 stub.test ESMTP")
        while line := self.rfile.readline(10_000):
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = command.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250 stub.test", "250 AUTH PLAIN", "250 8BITMIME", "250 SMTPUTF8")
            elif verb == "HELO":
                self.reply("250 stub.test")
            elif verb == "AUTH":
                _, _, credentials = argument.partition(" ")
                _, user, password = base64.b64decode(credentials).decode().split("\0")
                server.logins.append((user, password))
                self.reply("235 ok")
            elif verb == "MAIL":
                sender, recipients = argument.partition(":")[2].split()[0].strip("<>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                recipients.append(argument.partition(":")[2].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                if server.reject_next:
                    server.reject_next -= 1
                    self.reply("451 try again later")
                    continue
                self.reply("354 go ahead")
                data = bytearray()
                while (chunk := self.rfile.readline(100_000)) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.messages.append(ReceivedMail(sender, recipients, bytes(data)))
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")
