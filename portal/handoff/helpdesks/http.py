"""A small JSON-over-HTTP client for the helpdesk connectors (stdlib only).

It turns every answer into what the outbox needs to know: delivered, try again (a network
error, 5xx, 408, or 429 with the helpdesk's Retry-After), or refused for good (400/401/403/404/
422 and other 4xx), with the helpdesk's own words for /admin/.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from ..delivery import USER_AGENT, DeliveryError, PermanentDeliveryError

TEMPORARY_STATUSES = frozenset({408, 409, 423, 425, 429})  # and every 5xx
MAX_DETAIL = 400
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    data: Any = None  # parsed JSON, or the text when the body is not JSON
    raw: bytes = field(default=b"", repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect usually means a wrong base URL: report it, do not follow it


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    seconds = (moment - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


MESSAGE_KEYS = ("error_human", "error_description", "message", "description", "detail", "title", "error")
CONTAINER_KEYS = ("errors", "details", "_embedded", "attributes")


def error_detail(data: Any) -> str:
    """The helpdesk's message from an error body, whatever its vendor's shape, on one line:
    'Validation failed; email: It should be a valid email address.'"""
    parts: list[str] = []

    def walk(value: Any, label: str = "") -> None:
        if isinstance(value, str):
            parts.append(f"{label}: {value}" if label else value)
        elif isinstance(value, list):
            for item in value:
                walk(item, label)
        elif isinstance(value, dict):
            label = str(value.get("field") or value.get("path") or label)
            message = next((value[key] for key in MESSAGE_KEYS if isinstance(value.get(key), str)), None)
            if message:
                walk(message, label)
            for key, inner in value.items():
                if isinstance(inner, dict | list) and key != "attributes":
                    walk(inner, label if key in CONTAINER_KEYS else key)

    walk(data)
    return " ".join("; ".join(dict.fromkeys(parts)).split())[:MAX_DETAIL]


class JsonClient:
    """Requests against one helpdesk's base URL with fixed authentication headers."""

    def __init__(self, vendor: str, base_url: str, headers: dict[str, str] | None = None, *,
                 timeout: float = 10):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return url

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
                form: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                expect: tuple[int, ...] = ()) -> Response:
        """Send one request; a 2xx (or a status in `expect`) comes back, anything else raises.

        DeliveryError (retried) for network errors, 5xx, 408/409/423/425 and 429 (with
        `retry_after`); PermanentDeliveryError for other 4xx and 3xx.
        """
        body = None
        all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **self.headers,
                       **(headers or {})}
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json; charset=utf-8"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode("ascii")
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.url(path, params), data=body, method=method,
                                         headers=all_headers)
        what = f"{self.vendor}: {method} {urllib.parse.urlsplit(request.full_url).path}"
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                response = _read(answer.status, answer.headers, answer)
        except urllib.error.HTTPError as error:
            try:
                response = _read(error.code, error.headers, error)
            except (OSError, http.client.HTTPException):
                response = Response(error.code, {k.lower(): v for k, v in (error.headers or {}).items()})
            finally:
                error.close()
        except urllib.error.URLError as error:
            reason = error.reason
            raise DeliveryError(f"{what}: " + (f"{type(reason).__name__}: {reason}"
                                                if isinstance(reason, Exception) else str(reason))) from None
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryError(f"{what}: {type(error).__name__}: {error}") from None
        if 200 <= response.status < 300 or response.status in expect:
            return response
        raise status_error(what, response)


def status_error(what: str, response: Response) -> DeliveryError:
    """The error for a non-2xx answer: temporary or permanent, with the helpdesk's message."""
    detail = error_detail(response.data) if not isinstance(response.data, str) else _page_text(response.data)
    message = f"{what}: HTTP {response.status}" + (f": {detail}" if detail else "")
    if response.status == 429:
        seconds = retry_after_seconds(response.header("Retry-After")
                                      or response.header("X-RateLimit-Retry-After"))  # Help Scout's name
        error = DeliveryError(message + (f" (retry after {seconds:.0f} s)" if seconds is not None else ""),
                              retry_after=seconds)
    elif response.status >= 500 or response.status in TEMPORARY_STATUSES:
        error = DeliveryError(message, retry_after=retry_after_seconds(response.header("Retry-After")))
    else:
        error = PermanentDeliveryError(message + " (not retried)")
    error.status = response.status
    return error


def _page_text(text: str) -> str:
    """An error page's title (an HTML page says it in <title>), else its text on one line."""
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    text = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())[:MAX_DETAIL]


def _read(status: int, headers: Message | None, stream: Any) -> Response:
    raw = stream.read(1 << 20)
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    data: Any = None
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            data = raw.decode("utf-8", "replace")
    return Response(status, lowered, data, raw)
