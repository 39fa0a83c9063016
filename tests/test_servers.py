"""tests/servers.py: the suite brings its own PostgreSQL and Redis when none is there; and the
Makefile installs test-only packages for `make test`, never for `make run`."""

from __future__ import annotations

import subprocess

import psycopg
import redis

from tests.helpers import ROOT
from tests.servers import TestServers, ThrowawayPostgres, ThrowawayRedis, answers


def test_a_throw_away_postgresql_cluster_starts_answers_and_is_gone_afterwards():
    server = ThrowawayPostgres().start()
    try:
        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute("CREATE DATABASE portal_throwaway_check")
            assert connection.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
    assert not answers("127.0.0.1", server.port) and not server.folder.exists()


def test_a_throw_away_redis_starts_answers_and_is_gone_afterwards():
    server = ThrowawayRedis().start()
    try:
        store = redis.Redis.from_url(server.url)
        assert store.set("portal-check", "1") and store.get("portal-check") == b"1"
        store.close()
    finally:
        server.stop()
    assert not answers("127.0.0.1", server.port) and not server.folder.exists()


def test_named_servers_are_used_as_they_are():
    servers = TestServers({"TEST_DATABASE_URL": "postgresql://u@db.example:5433/x",
                           "TEST_REDIS_URL": "redis://cache.example:6380/2"})
    assert servers.postgres_url == "postgresql://u@db.example:5433/x"
    assert servers.redis_url == "redis://cache.example:6380/2"
    assert servers.started == []


def test_unless_named_throw_away_servers_are_started_even_beside_running_ones():
    """A fresh machine has nothing on the default ports; this one may: neither is used."""
    servers = TestServers({})
    try:
        with psycopg.connect(servers.postgres_url) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
        assert redis.Redis.from_url(servers.redis_url).ping()
        assert len(servers.started) == 2
        assert ":5432/" not in servers.postgres_url and ":6379/" not in servers.redis_url
    finally:
        servers.stop()
    assert servers.started == []


def make_plan(target):
    return subprocess.run(["make", "-n", "--no-print-directory", target, "STAMP=/dev/null"], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=60).stdout


def test_make_run_installs_no_browser_java_node_or_test_servers():
    plan = make_plan("run")
    for package in ("chromium", "npm", "default-jre", "postgresql", "redis-server"):
        assert package not in plan, package
    test_plan = make_plan("browser-deps")
    for package in ("chromium", "postgresql", "redis-server", "default-jre-headless", "npm"):
        assert package in test_plan, package
