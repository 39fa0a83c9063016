"""Content deploys on a running node, with no downtime and no broken release going live.

The live content folder, PORTAL_CONTENT_DIR, is a symlink to a *release*: a folder holding
one content revision. `flask content deploy RELEASE` (deploy_content):

1. checks the release as `flask content check` does; on any error it stops and changes
   nothing: the node keeps serving the previous release, and every error is reported;
2. builds this node's search index from the release; running workers switch to it at
   their next query (the index swap, docs/search.md);
3. points the symlink at the release (an atomic rename);
4. sends HUP to the gunicorn master (--pidfile). The master loads the app again from the
   new release while the old workers keep serving (reload_app, gunicorn's on_reload), then
   forks new workers from it and stops the old ones gracefully: no request is refused.

The master checks the release too: a HUP that finds content errors (someone edited the
live folder, or skipped the check) keeps the previous content, and logs why.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .checks import check_site
from .content.model import Problem
from .content.repository import ContentRepository

log = logging.getLogger(__name__)

class DeployError(Exception):
    """The deploy stopped; the message says what is live."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class Deployed:
    release: Path
    revision: str
    articles: int
    index: str
    signalled: int | None  # the gunicorn master sent HUP, if any


def deploy_content(release: Path, *, link: Path, search, pidfile: Path | None = None,
                   echo: Callable[[str], None] = print) -> Deployed:
    release = Path(release).resolve()
    link = Path(link)
    if link.exists() and not link.is_symlink():
        raise DeployError(f"{link} is a folder, not a symlink to a release: move it into a release "
                          "folder and link it (docs/deploy.md)")
    report = check_site(release)
    if report.errors:
        for problem in report.errors:
            log.error("deploy: %s", problem)
        raise DeployError(f"{release}: {len(report.errors)} content error(s); nothing was deployed, "
                          "the previous release keeps serving", report.errors)
    content = ContentRepository(report.loaded)
    revision = content.revision
    index = search.build(content)
    echo(f"search index {index} built from {release} (revision {revision})")
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    os.symlink(release, temporary, target_is_directory=True)
    os.replace(temporary, link)
    echo(f"{link} -> {release}")
    signalled = None
    if pidfile is not None:
        signalled = int(Path(pidfile).read_text().strip())
        try:
            os.kill(signalled, signal.SIGHUP)
        except ProcessLookupError:
            raise DeployError(f"{release} is live on disk (index and link), but no gunicorn master has pid "
                              f"{signalled} ({pidfile}): start the node, it will serve the release") from None
        echo(f"HUP sent to the gunicorn master ({signalled}): new workers serve revision {revision} "
             "once the master has loaded it (see /readyz)")
    log.info("deploy: release %s (revision %s, %d articles) is live", release, revision,
             content.article_count)
    return Deployed(release, revision, content.article_count, str(index), signalled)


def reload_app(server, create_app: Callable):
    """gunicorn's on_reload, in the master with a preloaded app: load the app again before new
    workers are forked from it, keeping the running one when the new content has errors."""
    if not server.cfg.preload_app:
        return  # every new worker loads the app itself
    gc.unfreeze()
    try:
        app = create_app()
    except Exception:
        log.exception("reload: the app could not be loaded; the previous content keeps serving")
        app = None
    if app is not None:
        content = app.extensions["content"]
        errors = [problem for problem in content.problems if problem.severity == "error"]
        if errors:
            log.error("reload: %d content error(s) in %s (logged above); the previous content "
                      "(revision %s) keeps serving", len(errors), app.config["CONTENT_DIR"],
                      server.app.callable.extensions["content"].revision)
            app.extensions["db"].engine.dispose()
        else:
            previous = server.app.callable
            server.app.callable = app
            previous.extensions["db"].engine.dispose()
            entry = sys.modules.get("wsgi")  # `wsgi:app` would keep the first app (and its content) alive
            if entry is not None and getattr(entry, "app", None) is previous:
                setattr(entry, "app", app)  # noqa: B010 (a module's attribute, set on purpose)
            log.info("reload: serving revision %s (%d articles) from %s", content.revision,
                     content.article_count, app.config["CONTENT_DIR"])
    settle_memory(server.app.callable)


def settle_memory(app=None):
    """Before forking workers: what every worker would load on its first requests is loaded
    once here (`app`'s templates, catalogs, locale data and open search indexes), so the
    workers share it; loaded objects leave garbage collection, so the collector never writes
    to (and unshares) the pages holding them; and the heap the loading used and freed goes
    back to the system instead of being counted in every worker."""
    if app is not None:
        warm_up(app)
    gc.collect()
    gc.freeze()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def warm_up(app):
    """Load the lazily loaded parts of `app` now. A part that cannot load (an index not built
    yet) is left to the first request, which reports it as it always does."""
    from babel import Locale
    from flask_babel import get_translations

    from .search import SearchUnavailable

    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".xml"))):
        app.jinja_env.get_template(name)
    content = app.extensions["content"]
    content.revision  # noqa: B018 - computed once: /readyz reports it
    locales = content.site.locales
    for locale in locales:
        with app.test_request_context(f"/{locale}/"):
            get_translations()
        Locale.parse(locale).number_symbols  # noqa: B018 - loads the locale's CLDR data
    with contextlib.suppress(SearchUnavailable):
        app.extensions["search"].warm(locales)
