"""Preview (make run, debug mode): a file changed on disk shows on the next request and in search."""

from __future__ import annotations

import os

import pytest

from portal.content.preview import ContentWatcher
from tests.helpers import ROOT


def save(path, text):
    """Write and move the modification time on, as a later save by an editor would."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, "utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


@pytest.fixture
def folder(content_copy):
    return content_copy("good")


@pytest.fixture
def preview(app_factory, folder):
    return app_factory(folder, PREVIEW=True, PREVIEW_INTERVAL=0).test_client()


def test_a_changed_article_shows_on_the_next_request_and_in_search(preview, folder):
    assert "How do I return an item?" in preview.get("/en/returns/return-an-item").get_data(as_text=True)
    assert "/en/returns/return-an-item" not in preview.get("/en/search?q=kayak").get_data(as_text=True)

    article = folder / "en" / "returns" / "return-an-item.md"
    save(article, article.read_text().replace("How do I return an item?", "How do I return a kayak?"))

    found = preview.get("/en/search?q=kayak").get_data(as_text=True)
    assert 'href="/en/returns/return-an-item' in found
    assert "How do I return a kayak?" in preview.get("/en/returns/return-an-item").get_data(as_text=True)


def test_new_and_deleted_articles(preview, folder):
    assert preview.get("/en/delivery/new-rules").status_code == 404
    save(folder / "en" / "delivery" / "new-rules.md", "---\ntitle: New delivery rules\n---\nFrom May on.\n")
    assert "New delivery rules" in preview.get("/en/delivery/new-rules").get_data(as_text=True)
    (folder / "en" / "delivery" / "track-parcel.md").unlink()
    assert preview.get("/en/delivery/track-parcel").status_code == 404


def test_a_translation_change_shows_in_its_language(preview, folder):
    swedish = folder / "sv" / "returns" / "return-an-item.md"
    save(swedish, swedish.read_text().replace("Hur returnerar jag en vara?", "Hur skickar jag tillbaka?"))
    assert "Hur skickar jag tillbaka?" in preview.get("/sv/returns/returnera-en-vara").get_data(as_text=True)
    assert 'href="/sv/returns/returnera-en-vara' in preview.get("/sv/search?q=skickar").get_data(as_text=True)


def test_a_broken_save_leaves_the_rest_of_the_site_working(preview, folder):
    save(folder / "en" / "delivery" / "track-parcel.md", "---\ntitle: [unclosed\n---\nOops\n")
    assert preview.get("/en/delivery/track-parcel").status_code == 404
    assert preview.get("/en/returns/return-an-item").status_code == 200


def test_drafts_are_visible_and_marked_in_preview_only(preview, app_factory, folder):
    page = preview.get("/en/delivery/secret-draft")
    assert page.status_code == 200
    assert '<p class="notice notice-draft">Draft: only visible in preview.</p>' in page.get_data(as_text=True)
    assert app_factory(folder).test_client().get("/en/delivery/secret-draft").status_code == 404


def test_without_preview_a_change_needs_a_restart(app_factory, folder):
    client = app_factory(folder).test_client()
    article = folder / "en" / "returns" / "return-an-item.md"
    save(article, article.read_text().replace("How do I return an item?", "How do I return a kayak?"))
    assert "How do I return an item?" in client.get("/en/returns/return-an-item").get_data(as_text=True)


@pytest.mark.parametrize(("config", "enabled"), [
    ({"DEBUG": True}, True),  # flask run --debug, as in `make run`
    ({}, False),
    ({"DEBUG": True, "PREVIEW": False}, False),
    ({"PREVIEW": True}, True),
])
def test_preview_follows_debug_mode_unless_set(app_factory, folder, config, enabled):
    app = app_factory(folder, SEARCH_BACKEND="null", **config)
    assert ("preview" in app.extensions) is enabled
    assert (app.extensions["content"].article_by_id("en", "delivery/secret-draft") is not None) is enabled


def test_make_run_starts_the_server_in_debug_mode():
    recipe = ROOT.joinpath("Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "$(FLASK) run --debug" in recipe


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_folder_is_looked_at_most_once_per_interval(folder):
    clock = FakeClock()
    watcher = ContentWatcher(folder, interval=0.5, clock=clock)
    save(folder / "en" / "delivery" / "track-parcel.md", "---\ntitle: Changed\n---\nText.\n")
    clock.now += 0.2
    assert watcher.changes() == set()
    clock.now += 0.4
    assert watcher.changes() == {"en/delivery/track-parcel.md"}
    clock.now += 1
    assert watcher.changes() == set()


def test_editor_swap_files_and_dot_folders_are_ignored(folder):
    clock = FakeClock()
    watcher = ContentWatcher(folder, interval=0, clock=clock)
    (folder / "en" / ".return-an-item.md.swp").write_text("x")
    (folder / "en" / "notes.md~").write_text("x")
    (folder / ".i18n").mkdir()
    (folder / ".i18n" / "copy.md").write_text("x")
    assert watcher.changes() == set()
    (folder / "sv" / "returns" / "return-an-item.md").unlink()
    assert watcher.changes() == {"sv/returns/return-an-item.md"}
