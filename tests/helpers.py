"""What several test modules share: fixture folders, an app factory and small waits.

Test modules import from here, never from a conftest (pytest loads those itself, and an
import would load them a second time) and never from one another.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from portal import create_app
from portal.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONTENT = ROOT / "content"
DATA = Path(__file__).resolve().parent / "data"
# The Nu HTML checker, from node_modules (make node-deps).
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

_BUILT_INDEXES: dict = {}


def _seed_index(content_dir: Path, data_dir: Path):
    """Copy an index built once per test session for this content folder (builds take seconds)."""
    if content_dir not in _BUILT_INDEXES:
        from portal.content.loader import load_content
        from portal.search import make_backend

        built = Path(tempfile.mkdtemp(prefix="portal-index-"))
        atexit.register(shutil.rmtree, built, True)
        loaded = load_content(content_dir)
        backend = make_backend({"SEARCH_BACKEND": "tantivy", "DATA_DIR": built})
        backend.build(loaded.articles, loaded.site.synonyms)
        _BUILT_INDEXES[content_dir] = built / "index"
    shutil.copytree(_BUILT_INDEXES[content_dir], data_dir / "index")


def make_app(tmp_path, content_dir=DEMO_CONTENT, **config):
    data_dir = tmp_path / "instance"
    if content_dir == DEMO_CONTENT and not (data_dir / "index").exists():
        _seed_index(Path(content_dir), data_dir)
    # Search by meaning is off unless a test turns it on (tests/search/test_semantic*.py do).
    settings = {"TESTING": True, "CONTENT_DIR": Path(content_dir), "DATA_DIR": data_dir,
                "DATABASE_URL": f"sqlite:///{data_dir / 'portal.sqlite3'}", "SEARCH_SEMANTIC": False,
                "SEARCH_EMBEDDER": "null"}
    migrate = config.pop("MIGRATE", True)  # False: a database that cannot be reached
    settings.update(config)
    if migrate:
        upgrade(settings["DATABASE_URL"])
    return create_app(settings)


WAIT_SECONDS = 60


def wait_until(condition, timeout=WAIT_SECONDS, message="condition", describe=lambda: ""):
    """Poll `condition` until it is true; fail with `message` (and `describe()`) after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}\n{describe()}")
        time.sleep(0.02)


# -- the contact form, as a visitor fills it in --------------------------------------------

CONTACT_FORM = {"name": "Anna Berg", "email": "anna@example.com", "message": "My jacket has a broken zip.",
                "order_number": "NV-123456"}


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def open_form(client, locale="en", topic="return-or-refund", **params):
    response = client.get(f"/{locale}/contact", query_string={"topic": topic, **params})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, html, locale="en", **fields):
    data = {"csrf_token": hidden(html, "csrf_token"), "started": hidden(html, "started"),
            "topic": re.search(r'type="hidden" name="topic" value="([^"]*)"', html).group(1),
            **CONTACT_FORM, **fields}
    return client.post(f"/{locale}/contact", data=data)


# -- the editors' area --------------------------------------------------------------------

PASSWORD = "correct horse battery"


def csrf_token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, password=PASSWORD):
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login?next=/admin/", data={"email": "editor@shop.example",
                                                          "password": password, "csrf_token": token})


def figure(html, key):
    """The value the dashboard shows for a metric (its stable key is on the element)."""
    return re.search(rf'data-metric="{key}">([^<]*)</dd>', html).group(1)


class ServedInThread:
    """An HTTP server on a free local port, serving from a thread inside a `with` block."""

    def __init__(self, handler, server_class=ThreadingHTTPServer):
        self.server = server_class(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()
