"""Request ids and JSON log lines: one id finds every line of a request; no line names a visitor."""

from __future__ import annotations

import io
import json
import logging
import re
import runpy

import pytest
from flask import current_app

from portal.observability import JsonFormatter, json_logging_configured
from tests.helpers import ROOT, open_form, post


@pytest.fixture
def json_lines():
    """Everything logged at WARNING and above during the test, as parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_each_request_gets_a_new_id_in_its_response(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/en/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.parametrize("incoming", ["3f2b9c1e8a7d4e6f9b0c1d2e3f4a5b6c", "req-42",
                                      "Root=1-67891233-abcdef012345678912345678"])
def test_a_sane_incoming_id_is_kept(client, incoming):
    assert client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", " ", "a" * 129, "two words", "id\"quoted", "-leading-dash",
                                      "ünïcode", "x\tTab", "a{b}c"])
def test_an_odd_incoming_id_is_replaced(client, incoming):
    returned = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert returned != incoming and re.fullmatch(r"[0-9a-f]{32}", returned)


def test_every_line_a_request_logs_carries_its_id(app_factory, json_lines):
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.route("/_ops-test/fail")
    def fail():
        current_app.logger.warning("about to fail")
        logging.getLogger("portal.somewhere").error("a library complains")
        raise RuntimeError("boom")

    response = app.test_client().get("/_ops-test/fail", headers={"X-Request-ID": "trace-1"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "trace-1"
    lines = [line for line in json_lines() if line.get("request_id") == "trace-1"]
    assert [line["message"] for line in lines[:2]] == ["about to fail", "a library complains"]
    assert "RuntimeError: boom" in lines[2]["exception"]
    assert all(line["pid"] and line["time"].endswith("+00:00") for line in lines)


def test_a_database_outage_is_logged_with_the_request_id(app_factory, json_lines):
    app = app_factory(DATABASE_URL="postgresql://portal@127.0.0.1:1/nowhere", MIGRATE=False,
                      CONTACT_MIN_FILL_SECONDS=0)
    client = app.test_client()
    response = post(client, open_form(client))
    assert response.status_code == 503
    [line] = [line for line in json_lines() if line["message"] == "contact: handoff could not be stored"]
    assert line["request_id"] == response.headers["X-Request-ID"] and "OperationalError" in line["exception"]


def test_access_lines_keep_no_address_user_agent_referrer_or_query():
    atoms = {"h": "203.0.113.9", "a": "Secret-Agent/1.0", "f": "https://ref.example/anna", "q": "q=anna+berg",
             "r": "GET /en/search?q=anna+berg HTTP/1.1", "m": "GET", "U": "/en/search", "s": "200", "B": 5120,
             "M": 7, "{x-request-id}o": "trace-2", "{user-agent}i": "Secret-Agent/1.0"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(m)s %(U)s", (atoms,), None)
    line = JsonFormatter().format(record)
    assert json.loads(line) | {"time": "", "pid": 0} == {
        "time": "", "level": "info", "logger": "gunicorn.access", "method": "GET", "path": "/en/search",
        "status": "200", "bytes": 5120, "duration_ms": 7, "message": "GET /en/search 200",
        "request_id": "trace-2", "pid": 0}
    for private in ("203.0.113.9", "Secret-Agent", "ref.example", "anna"):
        assert private not in line


def test_gunicorn_access_format_names_no_visitor():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    atoms = set(re.findall(r"%\((.*?)\)s", settings["access_log_format"]))
    assert atoms <= {"m", "U", "s", "B", "M", "{x-request-id}o"}


@pytest.fixture
def root_logging():
    """Root's handlers and level as they were: dictConfig replaces them (pytest's own included)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_log_format_json_installs_one_json_handler(app_factory, root_logging):
    assert not json_logging_configured()
    app_factory(LOG_FORMAT="json")
    app_factory(LOG_FORMAT="json")
    assert sum(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers) == 1
