"""Portal nodes for operations tests: gunicorn as `make serve` runs it, on a free port.

A Node is one gunicorn master (gunicorn.conf.py, 2 workers by default) with its own data
folder, like one machine of docs/deploy.md. A Visitor is a browser: its cookies go to every
node, as they would behind one proxy.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.helpers import ROOT, wait_until

READY_SECONDS = 90  # a generous limit for a loaded machine; the test never asserts on time
SECRET_KEY = "ops-test-secret-key-shared-by-every-node"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) ops-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_environment(**settings) -> dict:
    """This process's environment without portal, gunicorn or service settings, plus `settings`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PORTAL_", "GUNICORN")) and key not in (
               "DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "FLASK_APP")}
    env.update({"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    # Search by meaning off unless a test turns it on: a deploy would embed every article.
    env.update({"PORTAL_SEARCH_SEMANTIC": "off"})
    env.update({key: str(value) for key, value in settings.items()})
    return env


def flask_command(env, *args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "portal", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=check, timeout=300)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def header(self, name):
        return self.headers.get(name)


class Node:
    def __init__(self, folder: Path, *, content_dir, database_url, workers=2, **settings):
        folder.mkdir(parents=True, exist_ok=True)
        self.name = folder.name
        self.port = free_port()
        self.data_dir = folder / "instance"
        self.pidfile = folder / "gunicorn.pid"
        self.log_path = folder / "gunicorn.log"
        self.env = node_environment(**{
            "PORTAL_CONTENT_DIR": content_dir, "PORTAL_DATA_DIR": self.data_dir, "DATABASE_URL": database_url,
            "PORTAL_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": workers,
            "PORTAL_PIDFILE": self.pidfile,
            "PORTAL_SECRET_KEY": SECRET_KEY, "PORTAL_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PORTAL_HTTPS": "0", "PORTAL_CONTACT_MIN_FILL_SECONDS": "0", **settings})
        self.process: subprocess.Popen | None = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, READY_SECONDS, f"{self.name} to answer /healthz", self.log_tail)
        return self

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}\n{self.log_tail()}")
        try:
            return self.request("GET", "/healthz", timeout=2).status == 200
        except OSError:
            return False

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: workers flush their event queues
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)

    def hup(self):
        os.kill(self.process.pid, signal.SIGHUP)

    def request(self, method, path, body=None, headers=None, timeout=30) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read().decode("utf-8", "replace"))
        finally:
            connection.close()

    def get(self, path, **headers) -> Response:
        return self.request("GET", path, headers={"User-Agent": BROWSER, **headers})

    def readiness(self) -> dict:
        return json.loads(self.get("/readyz").text)

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""

    def log_tail(self, lines=40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_records(self) -> list[dict]:
        """The JSON log lines (anything else a library printed is skipped)."""
        records = []
        for line in self.log_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records


class Visitor:
    """One browser: cookies kept and sent to whichever node answers."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def _send(self, node: Node, method, path, fields=None) -> Response:
        headers = {"User-Agent": BROWSER}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = node.request(method, path, body=body, headers=headers)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in cookie.lower() or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, node, path):
        return self._send(node, "GET", path)

    def post(self, node, path, fields):
        return self._send(node, "POST", path, fields)


CONTACT = {"name": "Anna Berg", "email": "anna@example.com", "order_number": "NV-123456"}


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def send_contact_form(visitor: Visitor, form_node: Node, submit_node: Node, message: str) -> Response:
    """Open the contact form on one node and send it to another (or the same)."""
    html = visitor.get(form_node, "/en/contact?topic=return-or-refund").text
    fields = {"csrf_token": hidden(html, "csrf_token"), "started": hidden(html, "started"),
              "topic": re.search(r'type="hidden" name="topic" value="([^"]*)"', html).group(1),
              "message": message, **CONTACT}
    return visitor.post(submit_node, "/en/contact", fields)
