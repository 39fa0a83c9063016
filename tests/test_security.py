"""portal/security.py: no production start without a secret key or a public origin; forged Host
headers refused; request bodies capped."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from portal import create_app
from portal.security import StartupError
from tests.helpers import DEMO_CONTENT, ROOT, make_app

STRONG_KEY = "k" * 48
PRODUCTION = {"TESTING": False, "DEBUG": False}


def production_app(tmp_path, **config):
    settings = {**PRODUCTION, "SECRET_KEY": STRONG_KEY, "PUBLIC_URL": "https://help.shop.example",
                "SEARCH_BACKEND": "null", "CONTENT_DIR": DEMO_CONTENT, "DATA_DIR": tmp_path / "instance",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}"}
    settings.update(config)
    return create_app(settings)


# --- H1: the secret key ------------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "dev-only-insecure-key", "short-key"])
def test_production_refuses_to_start_without_a_strong_secret_key(tmp_path, key):
    with pytest.raises(StartupError, match="PORTAL_SECRET_KEY"):
        production_app(tmp_path, SECRET_KEY=key)


def test_production_starts_with_a_strong_key(tmp_path):
    assert production_app(tmp_path).secret_key == STRONG_KEY


def test_gunicorn_refuses_to_start_without_the_key_and_names_it(tmp_path):
    """What `make serve` runs, with PORTAL_SECRET_KEY unset: gunicorn exits, the log says why."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PORTAL_") and key not in ("DATABASE_URL", "REDIS_URL", "FLASK_APP")}
    env.update(PORTAL_DATA_DIR=str(tmp_path), PORTAL_SEARCH_BACKEND="null", PORTAL_BIND="127.0.0.1:0",
               PORTAL_PUBLIC_URL="https://help.shop.example", WEB_CONCURRENCY="1")
    finished = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    assert "PORTAL_SECRET_KEY is not set" in finished.stdout + finished.stderr


def test_forged_cookie_with_the_old_public_key_is_not_an_editor(tmp_path):
    """The review's attack: a session signed with the key that used to be built in."""
    app = make_app(tmp_path)
    forger = Flask("forge")
    forger.secret_key = "dev-only-insecure-key"
    cookie = SecureCookieSessionInterface().get_signing_serializer(forger).dumps({"admin_user_id": 1})
    client = app.test_client()
    client.set_cookie("session", cookie)
    response = client.get("/admin/handoffs")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_testing_apps_get_a_random_key_each(tmp_path):
    first = make_app(tmp_path / "a")
    second = make_app(tmp_path / "b")
    assert first.secret_key and second.secret_key and first.secret_key != second.secret_key


def test_debug_mode_creates_one_private_key_under_the_data_dir_and_reuses_it(tmp_path):
    """`make run`: flask run --debug, with no PORTAL_SECRET_KEY."""
    settings = {"TESTING": False, "DEBUG": True, "SEARCH_BACKEND": "null", "CONTENT_DIR": DEMO_CONTENT,
                "DATA_DIR": tmp_path / "instance", "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
                "SECRET_KEY": None}
    first = create_app(settings).secret_key
    key_file = tmp_path / "instance" / "secret-key"
    assert key_file.read_text().strip() == first and len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app(settings).secret_key == first
    assert create_app({**settings, "DATA_DIR": tmp_path / "other"}).secret_key != first


def test_the_built_in_key_is_gone():
    import portal.config

    assert not hasattr(portal.config, "DEV_SECRET_KEY")
    assert "dev-only-insecure-key" not in (ROOT / "portal" / "config.py").read_text()
    assert portal.config.Config({}).SECRET_KEY is None


# --- M5: the Host header -----------------------------------------------------------------

def test_production_refuses_to_start_without_a_public_url_or_allowed_hosts(tmp_path):
    with pytest.raises(StartupError, match="PORTAL_PUBLIC_URL"):
        production_app(tmp_path, PUBLIC_URL=None)
    assert production_app(tmp_path, PUBLIC_URL=None, ALLOWED_HOSTS=["help.shop.example"])


@pytest.mark.parametrize("host", ["evil.example", 'evil.example"><script>', "a:80@x", "evil/foo", ""])
def test_other_hosts_get_400(tmp_path, host):
    client = production_app(tmp_path, HTTPS=False).test_client()
    assert client.get("/en/", headers={"Host": "help.shop.example"}).status_code == 200
    response = client.get("/en/", headers={"Host": host})
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True)


def test_allowed_hosts_accept_their_ports_and_subdomain_patterns(tmp_path):
    client = production_app(tmp_path, HTTPS=False, PUBLIC_URL=None,
                            ALLOWED_HOSTS=["127.0.0.1", ".shop.example"]).test_client()
    for host in ("127.0.0.1:8000", "help.shop.example", "shop.example"):
        assert client.get("/en/", headers={"Host": host}).status_code == 200, host
    assert client.get("/en/", headers={"Host": "shop.example.evil"}).status_code == 400


def test_api_urls_and_routing_redirects_use_the_public_url(tmp_path):
    app = make_app(tmp_path, PUBLIC_URL="https://help.shop.example", ALLOWED_HOSTS=["node1.internal"])
    client = app.test_client()
    found = client.get("/api/v1/search?q=refund&limit=1", headers={"Host": "node1.internal"}).get_json()
    assert found["results"][0]["url"].startswith("https://help.shop.example/en/")
    for path in ("/en/returns", "/en//returns/"):
        response = client.get(path, headers={"Host": "node1.internal"})
        assert response.status_code == 308
        assert response.headers["Location"] == "https://help.shop.example/en/returns/"
    assert client.get("/en/returns", headers={"Host": "evil.example"}).status_code == 400


# --- M7: request bodies ------------------------------------------------------------------

def test_a_body_over_the_limit_gets_413_with_a_page_in_the_visitors_language(tmp_path):
    client = make_app(tmp_path, MAX_CONTENT_LENGTH=64 * 1024).test_client()
    big = "x" * (100 * 1024)
    for path, data in (("/sv/contact", {"message": big}), ("/sv/feedback", {"comment": big}),
                       ("/admin/login", {"password": big})):
        response = client.post(path, data=data)
        assert response.status_code == 413, path
        page = response.get_data(as_text=True)
        assert len(page) < 20_000 and big[:1000] not in page
        if path.startswith("/sv/"):
            assert '<html lang="sv"' in page and "För mycket text" in page and "64 kB" in page
    assert "64 KB" in page


def test_the_default_limit_takes_a_full_contact_message_in_any_script():
    from portal.config import Config
    from portal.handoff.views import LIMITS

    # Percent-encoded, a 4-byte character costs 12 bytes.
    assert sum(LIMITS.values()) * 12 < Config({}).MAX_CONTENT_LENGTH


def test_health_probes_answer_on_any_host(tmp_path):
    client = production_app(tmp_path, HTTPS=False).test_client()
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200
