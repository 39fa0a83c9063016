"""Settings read from the environment, with embedded defaults for one machine."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Defaults that run the demo help centre with nothing but this process."""

    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        self.CONTENT_DIR = Path(env.get("PORTAL_CONTENT_DIR") or PROJECT_ROOT / "content").resolve()
        self.DATA_DIR = Path(env.get("PORTAL_DATA_DIR") or PROJECT_ROOT / "instance").resolve()
        self.DATABASE_URL = env.get("DATABASE_URL") or f"sqlite:///{self.DATA_DIR / 'portal.sqlite3'}"
        self.SECRET_KEY = env.get("PORTAL_SECRET_KEY") or "dev-only-insecure-key"
        self.SEARCH_BACKEND = env.get("PORTAL_SEARCH_BACKEND", "whoosh")
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
        self.SEARCH_CACHE_SIZE = int(env.get("PORTAL_SEARCH_CACHE_SIZE", "2048"))
        self.ANALYTICS_RETENTION = env.get("PORTAL_ANALYTICS_RETENTION", "25m")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"

    def as_dict(self):
        return {key: value for key, value in vars(self).items() if key.isupper()}
