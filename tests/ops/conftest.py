"""Fixtures for operations tests: gunicorn nodes, a PostgreSQL database and a Redis key prefix
of their own, always stopped, dropped and deleted afterwards."""

from __future__ import annotations

import secrets
import shutil

import psycopg
import pytest
import redis

from portal.migrations import upgrade
from tests.helpers import DEMO_CONTENT

from .nodes import Node


@pytest.fixture
def nodes(tmp_path):
    """start(name, **settings) -> a running Node; every node is stopped at the end."""
    started: list[Node] = []

    def start(name, **settings) -> Node:
        node = Node(tmp_path / name, **settings)
        started.append(node)
        return node.start()

    yield start
    for node in started:
        node.stop()


@pytest.fixture
def ops_database(postgres_admin_url):
    """A migrated PostgreSQL database of this test, dropped afterwards."""
    name = f"portal_ops_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres_admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_database(tmp_path):
    """A migrated SQLite database of this test."""
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def redis_prefix(redis_url):
    """A Redis key prefix of this test; its keys are deleted afterwards."""
    prefix = f"portal-ops-{secrets.token_hex(6)}"
    yield prefix
    store = redis.Redis.from_url(redis_url)
    try:
        keys = list(store.scan_iter(match=f"*{prefix}*"))
        if keys:
            store.delete(*keys)
    finally:
        store.close()


@pytest.fixture
def release(tmp_path):
    """release(name, edit=None) -> a copy of the demo content under releases/, edited by `edit(folder)`."""

    def make(name, edit=None):
        folder = tmp_path / "releases" / name
        shutil.copytree(DEMO_CONTENT, folder)
        if edit is not None:
            edit(folder)
        return folder

    return make
