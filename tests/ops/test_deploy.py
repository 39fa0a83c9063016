"""Content deploys on a running node: a good release goes live with no failed request; a release
with an invalid file never does, and the previous one keeps serving."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from portal.content.repository import ContentRepository
from portal.deploy import settle_memory
from tests.helpers import wait_until

from .nodes import flask_command

ARTICLE = "/en/delivery/track-your-order"
ARTICLE_FILE = "en/delivery/track-your-order.md"
OLD_TITLE = "How do I track my parcel?"
NEW_TITLE = "Where is my parcel right now?"


def retitle(folder):
    path = folder / ARTICLE_FILE
    path.write_text(path.read_text("utf-8").replace(OLD_TITLE, NEW_TITLE), "utf-8")


def retitle_and_break(folder):
    """The edit a release brings, and a front matter that no longer parses."""
    retitle(folder)
    path = folder / ARTICLE_FILE
    path.write_text(path.read_text("utf-8").replace("tags: [tracking, parcel, delivery]",
                                                    "tags: [tracking, parcel, delivery"), "utf-8")


def live_node(nodes, release, tmp_path, database_url):
    first = release("r1")
    link = tmp_path / "content"
    link.symlink_to(first, target_is_directory=True)
    return nodes("node", content_dir=link, database_url=database_url), link, first


def index_generation(node):
    return (node.data_dir / "index" / "CURRENT").read_text()


def title_of(node, path=ARTICLE):
    html = node.get(path).text
    return html.split("<h1>", 1)[1].split("</h1>", 1)[0]


class Hammer:
    """Requests pages, search and suggestions without pause until stopped; keeps every outcome."""

    PATHS = (ARTICLE, "/en/search?q=parcel", "/sv/", "/api/v1/suggest?q=trac&locale=en")

    def __init__(self, node):
        self.node = node
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        while not self._stop.is_set():
            for path in self.PATHS:
                try:
                    self.statuses.append(self.node.get(path).status)
                except OSError as error:
                    self.errors.append(f"{path}: {error!r}")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(60)


def test_a_release_goes_live_with_its_index_and_no_request_fails(nodes, release, tmp_path, sqlite_database):
    node, link, _first = live_node(nodes, release, tmp_path, sqlite_database)
    assert title_of(node) == OLD_TITLE
    second = release("r2", edit=retitle)
    revision = ContentRepository.from_folder(second).revision

    with Hammer(node) as hammer:
        wait_until(lambda: len(hammer.statuses) > 20, message="requests before the deploy")
        deployed = flask_command(node.env, "content", "deploy", str(second))
        wait_until(lambda: node.readiness()["checks"]["content"].get("revision") == revision,
                   message="the node to serve the new release", describe=node.log_tail)
        served = len(hammer.statuses)
        wait_until(lambda: len(hammer.statuses) > served + 20, message="requests after the deploy")

    assert f"(revision {revision})" in deployed.stdout and "HUP sent" in deployed.stdout
    assert hammer.errors == [] and set(hammer.statuses) == {200}, (hammer.errors, set(hammer.statuses))
    assert link.resolve() == second
    assert title_of(node) == NEW_TITLE
    assert ARTICLE in node.get("/en/search?q=where+is+my+parcel+right+now").text
    assert f"reload: serving revision {revision}" in node.log_text()


def test_a_release_with_an_invalid_file_never_goes_live(nodes, release, tmp_path, sqlite_database):
    node, link, first = live_node(nodes, release, tmp_path, sqlite_database)
    revision = node.readiness()["checks"]["content"]["revision"]
    generation = index_generation(node)
    broken = release("r2-broken", edit=retitle_and_break)

    refused = flask_command(node.env, "content", "deploy", str(broken), check=False)
    assert refused.returncode == 1
    assert f"{ARTICLE_FILE}:" in refused.stderr and "the front matter cannot be read" in refused.stderr
    assert "nothing was deployed, the previous release keeps serving" in refused.stderr
    assert link.resolve() == first and index_generation(node) == generation
    assert title_of(node) == OLD_TITLE

    # Without the check (the link switched by hand, then HUP), the master refuses the release itself.
    link.unlink()
    link.symlink_to(broken, target_is_directory=True)
    node.hup()
    wait_until(lambda: "reload: 1 content error(s)" in node.log_text(), message="the reload to be refused",
               describe=node.log_tail)
    assert node.readiness()["checks"]["content"]["revision"] == revision
    assert title_of(node) == OLD_TITLE
    [logged] = [record for record in node.log_records()
                if record["logger"] == "portal.content" and ARTICLE_FILE in record["message"]]
    assert logged["level"] == "error" and "the front matter cannot be read" in logged["message"]
    assert f"the previous content (revision {revision}) keeps serving" in node.log_text()


def test_a_live_folder_that_is_not_a_symlink_is_left_alone(app_factory, release, tmp_path):
    live = release("live")
    result = app_factory(live).test_cli_runner().invoke(
        args=["content", "deploy", str(release("r2")), "--link", str(live)])
    assert result.exit_code == 1
    assert f"{live} is a folder, not a symlink to a release" in result.output


def test_a_deploy_without_its_gunicorn_master_says_what_is_live(app_factory, release, tmp_path):
    first, second = release("r1"), release("r2", edit=retitle)
    link = tmp_path / "content"
    link.symlink_to(first, target_is_directory=True)
    pidfile = tmp_path / "gunicorn.pid"
    pidfile.write_text(str(int(Path("/proc/sys/kernel/pid_max").read_text()) + 1))
    result = app_factory(link).test_cli_runner().invoke(
        args=["content", "deploy", str(second), "--link", str(link), "--pidfile", str(pidfile)])
    assert result.exit_code == 1
    assert "is live on disk (index and link), but no gunicorn master has pid" in result.output
    assert link.resolve() == second


def test_settle_memory_freezes_what_was_loaded_so_forks_share_it():
    """Objects loaded before forking leave garbage collection (it would write to their pages
    and unshare them), and the call is safe wherever it runs."""
    loaded = [object() for _ in range(1000)]
    try:
        settle_memory()
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.unfreeze()


def test_settle_memory_with_the_app_loads_what_workers_would_load_on_first_requests(app_factory):
    """Templates compiled, catalogs read, every locale's index and speller open, the content
    revision computed: once in the master, shared by every worker forked from it."""
    app = app_factory()
    search = app.extensions["search"].backend
    try:
        settle_memory(app)
    finally:
        gc.unfreeze()
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert {"article.html", "search.html", "base.html"} <= compiled
    opened = search._open
    assert set(opened) == set(app.extensions["content"].locales)
    assert all(index._speller is not None for index in opened.values())
    assert "revision" in vars(app.extensions["content"])
