"""Preview for editors: with `make run` (debug) a saved file shows on the next page load.

Before a request, at most every PREVIEW_INTERVAL seconds, the content folder's files are
listed with their modification times and sizes (a few hundred `stat` calls: cheap, and no
watcher thread or extra dependency). When anything changed, the content is loaded again
with drafts visible, and `content_reloaded` is sent: search rebuilds its index when article
text or synonyms changed.
The search backend rebuilds every locale at once (portal/search has no per-locale build),
which takes about a second for the demo: fine for one editor's preview.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from .repository import ContentRepository
from .signals import content_reloaded

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 0.5  # seconds between two looks at the folder
INDEXED_FILES = (".md", ".txt", ".yml")  # articles, synonyms, site.yml: what the index is built from


def enabled(app: Flask) -> bool:
    """PREVIEW when set, else debug mode (`flask run --debug`, which `make run` uses)."""
    preview = app.config.get("PREVIEW")
    return app.debug if preview is None else bool(preview)


def snapshot(content_dir: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (mtime in ns, size) of every file; dot files and folders are skipped."""
    files = {}
    for folder, subfolders, names in os.walk(content_dir):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if name.startswith(".") or name.endswith("~"):
                continue  # editors' swap and backup files
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue  # deleted while we looked
            files[os.path.relpath(path, content_dir).replace(os.sep, "/")] = (stat.st_mtime_ns, stat.st_size)
    return files


class ContentWatcher:
    """Tells which files changed since it last looked, looking at most every `interval` seconds."""

    def __init__(self, content_dir: str | Path, interval: float = DEFAULT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self.content_dir = Path(content_dir)
        self.interval = interval
        self.clock = clock
        self.lock = threading.Lock()
        self._files = snapshot(self.content_dir)
        self._next_look = clock() + interval

    def changes(self) -> set[str]:
        """Paths added, changed or removed since the last look; empty when it is not time yet."""
        now = self.clock()
        if now < self._next_look:
            return set()
        self._next_look = now + self.interval
        files = snapshot(self.content_dir)
        changed = {path for path in files.keys() | self._files.keys()
                   if files.get(path) != self._files.get(path)}
        self._files = files
        return changed


def init_app(app: Flask) -> None:
    if not enabled(app):
        return
    app.extensions["preview"] = ContentWatcher(app.config["CONTENT_DIR"],
                                               app.config.get("PREVIEW_INTERVAL", DEFAULT_INTERVAL))
    app.before_request(reload_changed_content)
    log.info("preview: content changes in %s show on the next request", app.config["CONTENT_DIR"])


def reload_changed_content() -> None:
    """Before a request in preview: bring the content and the search index up to date."""
    watcher: ContentWatcher = current_app.extensions["preview"]
    # One request reloads; the ones arriving meanwhile wait and then see the new content.
    with watcher.lock:
        changed = watcher.changes()
        if changed:
            # The app itself, not the proxy: signal receivers are matched by their sender's identity.
            reload(current_app._get_current_object(), changed)  # type: ignore[attr-defined]


def reload(app: Flask, changed: set[str]) -> None:
    content = ContentRepository.from_folder(app.config["CONTENT_DIR"],
                                            include_drafts=app.config.get("PREVIEW_DRAFTS", True))
    for problem in content.problems:
        (log.error if problem.severity == "error" else log.warning)("content: %s", problem)
    app.extensions["content"] = content
    locales = sorted({path.split("/", 1)[0] for path in changed if "/" in path})
    log.info("preview: reloaded content (%s changed: %s)", len(changed), ", ".join(locales) or "site")
    try:
        content_reloaded.send(app, content=content,
                              text_changed=any(path.endswith(INDEXED_FILES) for path in changed))
    except OSError as error:
        log.error("preview: search index not rebuilt: %s", error)
