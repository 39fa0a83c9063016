"""Request ids and structured logs: one JSON object per line, each naming its request.

Every request gets an id: the incoming `X-Request-ID` when it is a sane token (a proxy's
`$request_id`, a load balancer's trace id), else a new random one. It is returned in the
response's `X-Request-ID` header and added to every log line written while the request
runs, the access log line included, so one id finds everything about one request.

Privacy: no line carries an IP address, a user agent, a referrer or a query string
(customers type names and order numbers into search boxes). The access log records
method, path, status, size, duration and request id only (docs/operations.md).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import logging.config
import re
import secrets
from typing import Any

from flask import Flask

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON = "portal.request_id"
# Letters, digits and the separators of common trace ids (uuid, nginx $request_id, AWS
# "Root=1-..."), at most 128 characters: nothing that could forge a log line or a header.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=/+-]{0,127}$")
_ACCESS_FIELDS = {"method": "m", "path": "U", "status": "s", "bytes": "B", "duration_ms": "M"}

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(16)


def accepted_request_id(value: str | None) -> str:
    """The caller's id when it is a sane token, else a fresh one."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """WSGI middleware: outermost, so the id covers every hook, error page and log line."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        request_id = accepted_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ[REQUEST_ID_ENVIRON] = request_id
        token = request_id_var.set(request_id)

        def start_with_id(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start_with_id)
        finally:
            request_id_var.reset(token)


_CLIENT_ADDRESS = re.compile(r"\s*\bfrom ip=\S+?(?=:\s|$)|\bip=\S+")
_QUERY_STRING = re.compile(r"\?[^\s'\"]*")


def scrub_server_message(message: str) -> str:
    """gunicorn's own warnings (invalid requests) name the client's address and quote the whole
    request line: neither the address nor the query string (search text, e-mails) is logged."""
    return _QUERY_STRING.sub("?[query]", _CLIENT_ADDRESS.sub("", message))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, pid, exception.

    gunicorn's access records carry the response's atoms as their arguments; only the
    fields in _ACCESS_FIELDS and the request id are taken from them.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            entry.update({field: atoms.get(atom) for field, atom in _ACCESS_FIELDS.items()})
            entry["message"] = f"{entry['method']} {entry['path']} {entry['status']}"
            request_id = atoms.get("{x-request-id}o")
        else:
            entry["message"] = record.getMessage()
            if record.name.startswith("gunicorn."):
                entry["message"] = scrub_server_message(entry["message"])
            request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        entry["pid"] = record.process
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO", access_log: bool = True) -> dict:
    """A dictConfig for the app and gunicorn: JSON lines on stderr (gunicorn.conf.py uses it)."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # gunicorn adds handlers of its own; ours replace them, and records go to root once.
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO" if access_log else "WARNING", "handlers": [],
                                "propagate": True},
        },
    }


def json_logging_configured() -> bool:
    return any(isinstance(handler.formatter, JsonFormatter) for handler in logging.getLogger().handlers)


def init_app(app: Flask):
    """Request ids on every request; JSON logs when PORTAL_LOG_FORMAT=json (gunicorn sets it up itself)."""
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)
    if app.config.get("LOG_FORMAT") == "json" and not json_logging_configured():
        logging.config.dictConfig(logging_config(app.config.get("LOG_LEVEL") or "INFO"))


def serving() -> bool:
    """Whether this process starts the app to serve it (gunicorn, `flask run`, a WSGI host),
    not for a one-off `flask` command: start-up notices are for the first only."""
    import click

    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"
