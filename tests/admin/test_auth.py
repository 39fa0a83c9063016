"""portal/admin/auth.py: sign-in throttled per account and per network (shared through Redis),
a bounded number of password hashes at once, and sessions that can be ended."""

from __future__ import annotations

import logging
import secrets
import time

import pytest
import redis
from sqlalchemy import select

from portal.admin import auth
from portal.models import AdminUser
from tests.helpers import PASSWORD, csrf_token

EMAIL = "editor@shop.example"


def make_editor(app, email=EMAIL, password=PASSWORD):
    result = app.test_cli_runner().invoke(args=["admin", "create-user", email, "--password", password])
    assert result.exit_code == 0, result.output


@pytest.fixture
def app(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT="3 per hour", LOGIN_LIMIT_PER_NETWORK="6 per hour")
    make_editor(app)
    return app


def attempt(client, email=EMAIL, password="wrong password!", headers=None):
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token},
                       headers=headers or {})


# --- H2: throttling ----------------------------------------------------------------------

def test_failed_attempts_on_one_account_are_throttled_with_retry_after(app, caplog):
    client = app.test_client()
    caplog.set_level(logging.INFO)
    assert [attempt(client).status_code for _ in range(3)] == [401, 401, 401]
    throttled = attempt(client)
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 3601  # the hour's window, rounded up
    assert "Too many failed sign-in attempts" in throttled.get_data(as_text=True)
    # While throttled even the right password is not tried: guessing has stopped paying.
    assert attempt(client, password=PASSWORD).status_code == 429
    # Another account is not affected (the network has used 3 of its 6 failures).
    make_editor(app, "other@shop.example")
    assert attempt(app.test_client(), "other@shop.example", PASSWORD).status_code == 303
    # The log says what happened, never who or from where.
    text = caplog.text
    assert "admin login throttled: too many failed attempts for one account" in text
    assert "127.0.0.1" not in text and EMAIL not in text


def test_failed_attempts_from_one_network_are_throttled_across_accounts(app):
    client = app.test_client()
    codes = [attempt(client, f"guess{i}@shop.example").status_code for i in range(7)]
    assert codes == [401] * 6 + [429]


def test_successful_sign_ins_do_not_count(app):
    client = app.test_client()
    codes = [attempt(client, password=PASSWORD).status_code for _ in range(5)]
    assert codes == [303] * 5


def test_the_throttled_page_is_in_the_visitors_language(app):
    client = app.test_client()
    for _ in range(3):
        attempt(client)
    page = attempt(client, headers={"Accept-Language": "sv-SE,sv;q=0.9"}).get_data(as_text=True)
    assert '<html lang="sv"' in page and "misslyckade inloggningsförsök" in page


def test_throttling_is_shared_through_redis(app_factory, redis_url):
    """Two apps (two workers or nodes) on one Redis count the same failures."""
    prefix = f"portal-test-{secrets.token_hex(4)}"
    settings = {"REDIS_URL": redis_url, "RATELIMIT_KEY_PREFIX": prefix, "SECRET_KEY": "s" * 40,
                "LOGIN_LIMIT_PER_ACCOUNT": "2 per hour"}
    first = app_factory(**settings)
    make_editor(first)
    second = app_factory(**settings, DATABASE_URL=first.config["DATABASE_URL"], MIGRATE=False)
    store = redis.Redis.from_url(redis_url)
    try:
        assert attempt(first.test_client()).status_code == 401
        assert attempt(second.test_client()).status_code == 401
        assert attempt(first.test_client()).status_code == 429
        assert attempt(second.test_client()).status_code == 429
        keys = [key.decode() for key in store.keys(f"*{prefix}*")]
        assert keys and not any(EMAIL in key or "127.0.0.1" in key for key in keys)
    finally:
        keys = store.keys(f"*{prefix}*")
        if keys:
            store.delete(*keys)
        store.close()


def test_no_more_hashes_than_slots_at_once(app, monkeypatch):
    """A login flood cannot take every CPU: with every slot busy an attempt gets 503, unhashed."""
    monkeypatch.setattr(auth, "HASH_WAIT_SECONDS", 0.05)
    hashed = []
    monkeypatch.setattr(auth, "check_password", lambda *args: hashed.append(args))
    slots = app.extensions["login_hash_slots"]
    assert slots.acquire(blocking=False)
    try:
        response = attempt(app.test_client())
    finally:
        slots.release()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "busy" in response.get_data(as_text=True) and hashed == []
    assert attempt(app.test_client()).status_code == 401 and len(hashed) == 1


def test_sign_in_with_the_database_down_is_503_not_500(app_factory, tmp_path):
    app = app_factory(DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'nothing' / 'x.sqlite3'}",
                      MIGRATE=False)
    response = attempt(app.test_client())
    assert response.status_code == 503 and "technical problem" in response.get_data(as_text=True)


# --- M6: sessions that end ---------------------------------------------------------------

def signed_in(app):
    client = app.test_client()
    assert attempt(client, password=PASSWORD).status_code == 303
    return client, client.get_cookie("session").value


def replay(app, cookie, path="/admin/handoffs"):
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get(path)


def test_a_cookie_captured_before_sign_out_is_refused(app):
    client, cookie = signed_in(app)
    assert replay(app, cookie).status_code == 200
    page = client.get("/admin/").get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    for path in ("/admin/handoffs", "/admin/export/top_searches.csv"):
        response = replay(app, cookie, path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_a_new_password_ends_existing_sessions(app):
    _client, cookie = signed_in(app)
    make_editor(app, password="another long passphrase")
    assert replay(app, cookie).status_code == 302


def test_removing_the_account_ends_its_sessions(app):
    _client, cookie = signed_in(app)
    result = app.test_cli_runner().invoke(args=["admin", "remove-user", EMAIL])
    assert result.exit_code == 0, result.output
    with app.extensions["db"].session() as db:
        assert db.scalar(select(AdminUser)) is None
    assert replay(app, cookie).status_code == 302
    assert app.test_cli_runner().invoke(args=["admin", "remove-user", EMAIL]).exit_code != 0


@pytest.mark.parametrize(("field", "age"), [("admin_seen_at", 2 * 3600), ("admin_signed_in_at", 13 * 3600)])
def test_idle_and_old_sessions_end(app, field, age):
    """Defaults: one idle hour, twelve hours in all (ADMIN_IDLE_TIMEOUT, ADMIN_SESSION_LIFETIME)."""
    client, _cookie = signed_in(app)
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session[field] = int(time.time()) - age
    assert client.get("/admin/").status_code == 302


def test_session_limits_are_configurable(app_factory):
    import datetime as dt

    app = app_factory(ADMIN_IDLE_TIMEOUT=dt.timedelta(seconds=30))
    make_editor(app)
    client, _cookie = signed_in(app)
    with client.session_transaction() as session:
        session["admin_seen_at"] = int(time.time()) - 600
    assert client.get("/admin/").status_code == 302


def test_admin_pages_are_never_cached(app):
    client, _cookie = signed_in(app)
    for path in ("/admin/", "/admin/handoffs", "/admin/export/top_searches.csv"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
