"""Fixtures: an app on the demo content (or a fixture folder), with its own data folder."""

from __future__ import annotations

import os
import secrets
import shutil

import psycopg
import pytest

from portal.migrations import upgrade
from tests.helpers import DATA, DEMO_CONTENT, make_app
from tests.servers import TestServers


@pytest.fixture(scope="session")
def test_servers():
    """TEST_DATABASE_URL / TEST_REDIS_URL, else throw-away servers (tests/servers.py) stopped
    when the session ends."""
    servers = TestServers()
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def postgres_admin_url(test_servers):
    """A PostgreSQL URL allowed to create databases; tests make and drop their own."""
    return test_servers.postgres_url


@pytest.fixture(scope="session")
def redis_url(test_servers):
    """A Redis URL; tests keep their keys under a prefix of their own and delete them."""
    return test_servers.redis_url


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url):
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    name = f"portal_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres_admin_url.rsplit("/", 1)[0] + "/" + name
    yield url
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each storage test runs on SQLite and on the real PostgreSQL server, schema migrated."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
        from portal.db import make_engine
        from portal.models import Base

        engine = make_engine(url)
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        engine.dispose()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """The demo help centre with a real search index; shared, read-only."""
    return make_app(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def runner(demo_app):
    """The `flask` command line of the demo app, as Click's test runner invokes it."""
    return demo_app.test_cli_runner()


@pytest.fixture
def app_factory(tmp_path):
    """Build an app on any content folder: app_factory(folder, **config)."""
    return lambda content_dir=DEMO_CONTENT, **config: make_app(tmp_path, content_dir, **config)


@pytest.fixture
def content_copy(tmp_path):
    """A writable copy of a fixture folder under tests/data/."""

    def copy(name):
        target = tmp_path / "content" / name
        shutil.copytree(DATA / name, target)
        return target

    return copy
