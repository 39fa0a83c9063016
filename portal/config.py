"""Settings read from the environment, with embedded defaults for one machine."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-key"


class Config:
    """Defaults that run the demo help centre with nothing but this process."""

    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        self.CONTENT_DIR = Path(env.get("PORTAL_CONTENT_DIR") or PROJECT_ROOT / "content").resolve()
        self.DATA_DIR = Path(env.get("PORTAL_DATA_DIR") or PROJECT_ROOT / "instance").resolve()
        self.DATABASE_URL = env.get("DATABASE_URL") or f"sqlite:///{self.DATA_DIR / 'portal.sqlite3'}"
        self.SECRET_KEY = env.get("PORTAL_SECRET_KEY") or DEV_SECRET_KEY
        # Unset: on in production (not debug/testing, PORTAL_SECRET_KEY set); see portal/http.py.
        self.HTTPS = _flag(env.get("PORTAL_HTTPS"))
        # The origin visitors use, for canonical URLs, hreflang and sitemaps; else the request's.
        self.PUBLIC_URL = (env.get("PORTAL_PUBLIC_URL") or "").rstrip("/") or None
        self.SEARCH_BACKEND = env.get("PORTAL_SEARCH_BACKEND", "whoosh")
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
        self.SEARCH_CACHE_SIZE = int(env.get("PORTAL_SEARCH_CACHE_SIZE", "2048"))
        self.ANALYTICS_RETENTION = env.get("PORTAL_ANALYTICS_RETENTION", "25m")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"

    def as_dict(self):
        return {key: value for key, value in vars(self).items() if key.isupper()}


def _flag(value):
    """'1'/'true'/'yes'/'on' -> True, '0'/'false'/'no'/'off' -> False, unset or empty -> None."""
    if value is None or not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")
