"""/healthz and /readyz: what a load balancer and a deploy ask a node."""

from __future__ import annotations

import shutil

import pytest


def test_healthz_says_the_process_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert not response.headers.getlist("Set-Cookie")


def test_readyz_checks_content_index_and_database(app_factory, database_url):
    app = app_factory(DATABASE_URL=database_url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"content", "search", "database"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["content"]["revision"] == app.extensions["content"].revision
    assert "185 articles in 4 locales" in body["checks"]["content"]["detail"]
    assert body["checks"]["database"]["detail"] == "reachable, schema 0005"
    assert response.headers["Cache-Control"] == "no-store"
    app.extensions["db"].engine.dispose()


def test_readyz_touches_no_article(app_factory, monkeypatch):
    """Load balancers poll it every few seconds: in a forked worker, touching every article
    object would copy every page the master shared with it."""
    app = app_factory()
    app.extensions["content"].revision  # noqa: B018 - computed once, by warm_up in the master
    monkeypatch.setattr(type(app.extensions["content"]), "articles", lambda *_: pytest.fail("listed"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert "185 articles" in response.get_json()["checks"]["content"]["detail"]


def test_readyz_says_a_database_is_not_migrated(app_factory):
    app = app_factory(MIGRATE=False)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    database = response.get_json()["checks"]["database"]
    assert not database["ok"] and "alembic_version" in database["detail"]


def test_readyz_with_search_turned_off_is_ready(app_factory):
    app = app_factory(SEARCH_BACKEND="null")
    search = app.test_client().get("/readyz").get_json()["checks"]["search"]
    assert search["ok"] and search["detail"] == "index null open; search by meaning off"
    assert search["semantic"]["state"] == "off"


def test_readyz_without_articles_is_not_ready(app_factory, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "site.yml").write_text("locales: [en]\n")
    app = app_factory(empty)
    content = app.test_client().get("/readyz").get_json()["checks"]["content"]
    assert content == {"ok": False, "detail": "no articles loaded (0 articles in 1 locales)"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_record_no_visit(app_factory, path):
    app = app_factory()
    response = app.test_client().get(path, headers={"User-Agent": "Mozilla/5.0"})
    assert not response.headers.getlist("Set-Cookie")
    assert app.extensions["analytics"].flush() and app.extensions["analytics"].written == 0


def test_readyz_names_a_missing_index_and_how_to_rebuild_it(app_factory):
    app = app_factory()
    shutil.rmtree(app.config["DATA_DIR"] / "index")
    search = app.test_client().get("/readyz").get_json()["checks"]["search"]
    assert search == {"ok": False, "detail": "no search index has been built yet; "
                                             "rebuild it with 'flask --app portal search build'"}
