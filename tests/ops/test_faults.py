"""Faults a running portal meets, one test each: what still works, what says why, what heals.

Database down, Redis down, a missing or corrupt search index. Elsewhere: a webhook down for
days (tests/handoff/test_delivery.py::test_webhook_down_for_two_days_keeps_retrying_until_it_is_back)
and a content release with an invalid file (tests/ops/test_deploy.py).
"""

from __future__ import annotations

import logging
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portal.models import Handoff
from tests.helpers import open_form, post

from .proxy import SilentServer, TcpProxy

ARTICLE = "/en/delivery/track-your-order"


@pytest.fixture
def database_behind_proxy(ops_database):
    url = make_url(ops_database)
    with TcpProxy((url.host, url.port or 5432)) as proxy:
        yield proxy, url.set(port=proxy.port).render_as_string(hide_password=False)


def stored_handoffs(app):
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(Handoff))


def test_database_down_pages_and_search_serve_the_form_keeps_the_text_readyz_says_why(
        app_factory, database_behind_proxy):
    proxy, url = database_behind_proxy
    app = app_factory(DATABASE_URL=url, MIGRATE=False, CONTACT_MIN_FILL_SECONDS=0)
    client = app.test_client()
    try:
        assert client.get("/readyz").status_code == 200
        assert post(client, open_form(client)).status_code == 303

        proxy.down()
        assert client.get(ARTICLE).status_code == 200
        search = client.get("/en/search?q=parcel")
        assert search.status_code == 200 and ARTICLE in search.get_data(as_text=True)
        assert client.get("/api/v1/suggest?q=trac&locale=en").status_code == 200
        assert client.post("/en/feedback", data={"article": "delivery/track-your-order",
                                                 "helpful": "yes"}).status_code == 303
        refused = post(client, open_form(client), message="The zip broke again, second try.")
        assert refused.status_code == 503
        page = refused.get_data(as_text=True)
        assert "technical problem on our side" in page
        assert 'value="Anna Berg"' in page and "The zip broke again, second try.</textarea>" in page
        ready = client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.get_json()["checks"]
        assert checks["content"]["ok"] and checks["search"]["ok"] and not checks["database"]["ok"]
        assert "unreachable" in checks["database"]["detail"] and "refused" in checks["database"]["detail"]

        proxy.up()
        assert client.get("/readyz").status_code == 200
        assert post(client, open_form(client)).status_code == 303
        assert stored_handoffs(app) == 2
    finally:
        app.extensions["db"].engine.dispose()


def test_redis_down_the_contact_form_works_with_per_process_limits_and_says_so(app_factory, caplog):
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, REDIS_URL="redis://127.0.0.1:1/0",
                      CONTACT_LIMIT_PER_VISIT="2 per minute")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        html = open_form(client)
        assert post(client, html).status_code == 303
        assert post(client, html).status_code == 303
        assert post(client, html).status_code == 429  # still limited, by this process alone
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text
    assert stored_handoffs(app) == 2


def test_redis_going_down_while_counting_falls_back_without_a_failed_request(app_factory, caplog,
                                                                            redis_url, redis_prefix):
    redis_address = urlsplit(redis_url)
    with TcpProxy((redis_address.hostname, redis_address.port)) as proxy:
        app = app_factory(CONTACT_MIN_FILL_SECONDS=0, REDIS_URL=f"redis://127.0.0.1:{proxy.port}/0",
                          RATELIMIT_KEY_PREFIX=redis_prefix, CONTACT_LIMIT_PER_VISIT="3 per minute")
        client = app.test_client()
        html = open_form(client)
        assert post(client, html).status_code == 303
        store = redis.Redis.from_url(redis_url)
        try:
            assert list(store.scan_iter(match=f"*{redis_prefix}*")), "counted in Redis"
        finally:
            store.close()
        proxy.down()
        with caplog.at_level(logging.WARNING, logger="flask-limiter"):
            assert post(client, html).status_code == 303
            assert client.get(ARTICLE).status_code == 200
        assert "falling back to in-memory storage" in caplog.text
        app.extensions["rate_limiter"].storage.storage.close()


@pytest.mark.parametrize("redis_fault", ["silent", "refused"])
def test_concurrent_submissions_with_redis_failing_are_never_500_and_never_lost(app_factory, redis_fault):
    """M2: with Redis blackholed or closed, 2-4 of 8 concurrent first submissions used to get 500
    (Flask-Limiter's fallback race) and lose their text."""
    with SilentServer() as silent:
        port = silent.port if redis_fault == "silent" else 1
        app = app_factory(CONTACT_MIN_FILL_SECONDS=0, REDIS_URL=f"redis://127.0.0.1:{port}/0")
        clients = [app.test_client() for _ in range(8)]
        forms = [open_form(client) for client in clients]
        barrier = threading.Barrier(len(clients))

        def send(index):
            barrier.wait()
            return post(clients[index], forms[index], message=f"Message number {index}, zip broken.")

        with ThreadPoolExecutor(len(clients)) as pool:
            responses = list(pool.map(send, range(len(clients))))
    statuses = [response.status_code for response in responses]
    assert all(status in (303, 429) for status in statuses), statuses
    for index, response in enumerate(responses):
        if response.status_code == 429:  # limited: the text comes back
            assert f"Message number {index}, zip broken." in response.get_data(as_text=True)
    assert stored_handoffs(app) == statuses.count(303) >= 1


def damage_index(index, how):
    if how == "missing":
        shutil.rmtree(index)
        return
    build = index / (index / "CURRENT").read_text().strip()
    if how == "dangling":
        shutil.rmtree(build)
        return
    for path in build.rglob("*"):
        if path.is_file() and path.suffix != ".json":
            path.write_bytes(b"\0not an index file\0" * 8)


@pytest.mark.parametrize("how", ["missing", "dangling", "corrupt"])
def test_a_broken_index_makes_search_say_so_while_pages_serve_and_a_rebuild_fixes_it(app_factory, how):
    app = app_factory()
    damage_index(app.config["DATA_DIR"] / "index", how)
    client = app.test_client()

    page = client.get("/en/search?q=parcel")
    assert page.status_code == 503 and "Search is unavailable right now." in page.get_data(as_text=True)
    api = client.get("/api/v1/search?q=parcel")
    assert api.status_code == 503 and api.get_json()["error"].startswith("search is unavailable: ")
    for url in (ARTICLE, "/en/", "/sv/", "/en/contact"):
        assert client.get(url).status_code == 200, url
    search = client.get("/readyz").get_json()["checks"]["search"]
    assert not search["ok"] and search["detail"].endswith("rebuild it with 'flask --app portal search build'")

    rebuilt = app.test_cli_runner().invoke(args=["search", "build"])
    assert rebuilt.exit_code == 0, rebuilt.output
    page = client.get("/en/search?q=parcel")
    assert page.status_code == 200 and ARTICLE in page.get_data(as_text=True)
    assert client.get("/readyz").status_code == 200
