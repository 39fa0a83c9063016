"""Event-write throughput under gunicorn with 2 workers, on SQLite and on PostgreSQL.

    .venv/bin/python bench/events.py [--seconds 10] [--clients 8]

Each run drives article views (each stores one `view` event) for a fixed time and
counts the events that reached the database. The baseline, measured in the same run,
is the same pages requested as a crawler (nothing recorded): the ratio is what
recording costs in page throughput.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.db import normalize_url  # noqa: E402
from portal.models import Event  # noqa: E402

POSTGRES_ADMIN = os.environ.get("PORTAL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
ROUNDS = 5
PATHS = ["/en/delivery/track-your-order", "/sv/returns/returnera-en-vara", "/da/payments/klarna-faktura",
         "/pl/account/resetowanie-hasla"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drive(port, seconds, clients, user_agent):
    """Keep-alive clients requesting article pages; returns (requests, errors)."""
    stop = time.monotonic() + seconds
    counts = []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        done = errors = 0
        while time.monotonic() < stop:
            try:
                connection.request("GET", PATHS[done % len(PATHS)], headers={"User-Agent": user_agent})
                response = connection.getresponse()
                response.read()
                errors += response.status >= 500
                done += 1
            except OSError:
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        counts.append((done, errors))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def serve(env, port):
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def run(label, database_url, data_dir, seconds, clients):
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "DATABASE_URL": database_url,
           # Production needs a key and its host names (portal/security.py); plain HTTP here.
           "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
           "PORTAL_ALLOWED_HOSTS": "127.0.0.1,help.example,bench",
           "PORTAL_HTTPS": "0"}
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "portal"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "search", "build"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    process = serve(env, port)
    try:
        drive(port, 1, clients, "warm-up-bot")
        # Alternate short rounds so load from elsewhere on the machine hits both alike.
        baseline = recorded = baseline_errors = errors = 0
        for _ in range(ROUNDS):
            done, failed = drive(port, seconds / ROUNDS, clients, "bench-bot (not recorded)")
            baseline, baseline_errors = baseline + done, baseline_errors + failed
            done, failed = drive(port, seconds / ROUNDS, clients, "Mozilla/5.0 (bench)")
            recorded, errors = recorded + done, errors + failed
    finally:
        process.send_signal(signal.SIGTERM)  # workers flush their event queues on exit
        process.wait(timeout=30)
    engine = create_engine(normalize_url(database_url))
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(Event.__table__))
    engine.dispose()
    print(f"{label:<11}{baseline / seconds:>12.0f}{recorded / seconds:>12.0f}{stored / seconds:>12.0f}"
          f"{stored / max(recorded, 1):>10.1%}{recorded / max(baseline, 1):>9.2f}x"
          f"{baseline_errors + errors:>8}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    print(f"{'database':<11}{'base req/s':>12}{'req/s':>12}{'events/s':>12}{'stored':>10}{'ratio':>10}"
          f"{'errors':>8}")
    with tempfile.TemporaryDirectory() as data_dir:
        run("sqlite", f"sqlite:///{data_dir}/bench.sqlite3", data_dir, args.seconds, args.clients)
        name = f"portal_bench_{secrets.token_hex(4)}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name
            run("postgresql", url, data_dir, args.seconds, args.clients)
        finally:
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
