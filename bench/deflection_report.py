"""How long the dashboard's deflection report takes on 28 days of events, SQLite and PostgreSQL.

    .venv/bin/python bench/deflection_report.py [--visits-per-day 2000] [--repeat 3]

Synthetic traffic: each visit searches and reads one or two articles; 6 % contact us in
the same sitting and 6 % from a later sitting of the same day (same attribution id); a
quarter vote. The baseline, measured in the same run on the same data, is the report as it
was before the 24-hour window (same sitting only, no satisfaction; its code is read from
git, commit b9d478b). The ratio is what the 24-hour attribution, the contact look-back and
satisfaction per article, category and locale cost on top.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import psycopg
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.analytics.metrics import deflection_report  # noqa: E402
from portal.db import Database  # noqa: E402
from portal.migrations import upgrade  # noqa: E402
from portal.models import Event  # noqa: E402

POSTGRES_ADMIN = os.environ.get("PORTAL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
DAYS = 28
START = dt.date(2026, 11, 1)
LOCALES = ["en", "sv", "da", "pl"]
ARTICLES = [(f"cat{c}/article-{a}", f"cat{c}") for c in range(8) for a in range(20)]


def random_id(rng):
    return f"{rng.getrandbits(128):032x}"


def synthetic_events(visits_per_day, seed=7):
    rng = random.Random(seed)
    for day in range(DAYS):
        midnight = dt.datetime.combine(START + dt.timedelta(days=day), dt.time())
        for _ in range(visits_per_day):
            at = midnight + dt.timedelta(seconds=rng.randrange(86_400))
            base = {"visit_id": random_id(rng), "attribution_id": random_id(rng),
                    "locale": rng.choice(LOCALES)}
            yield {**base, "type": "search", "created_at": at, "query": f"question {rng.randrange(500)}",
                   "result_count": rng.randrange(6)}
            for step in range(rng.choice((1, 1, 2))):
                article, category = rng.choice(ARTICLES)
                yield {**base, "type": "view", "created_at": at + dt.timedelta(minutes=1 + step),
                       "article_id": article, "category": category}
            if rng.random() < 0.25:
                yield {**base, "type": "vote", "created_at": at + dt.timedelta(minutes=4),
                       "article_id": article, "category": category, "helpful": rng.random() < 0.7}
            roll = rng.random()
            if roll < 0.06:
                yield {**base, "type": "contact_submitted", "created_at": at + dt.timedelta(minutes=6)}
            elif roll < 0.12:
                yield {**base, "visit_id": random_id(rng), "type": "contact_submitted",
                       "created_at": at + dt.timedelta(hours=rng.randrange(1, 20))}


def fill(database, visits_per_day):
    columns = [c.name for c in Event.__table__.columns if c.name != "id"]
    batch, count = [], 0
    with database.engine.begin() as connection:
        for fields in synthetic_events(visits_per_day):
            batch.append({name: fields.get(name) for name in columns})
            if len(batch) == 5000:
                connection.execute(insert(Event), batch)
                count += len(batch)
                batch = []
        if batch:
            connection.execute(insert(Event), batch)
            count += len(batch)
    return count


BASELINE_COMMIT = "b9d478b"


def baseline_report():
    """deflection_report as it was at BASELINE_COMMIT, loaded as a module of the portal package."""
    path = f"{BASELINE_COMMIT}:portal/analytics/metrics.py"
    source = subprocess.run(["git", "-C", str(ROOT), "show", path], check=True, capture_output=True,
                            text=True).stdout
    module = types.ModuleType("portal.analytics.metrics_baseline")
    module.__package__ = "portal.analytics"
    sys.modules[module.__name__] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module.deflection_report


def best_of(repeat, work):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(name, url, visits_per_day, repeat):
    upgrade(url)
    database = Database(url)
    events = fill(database, visits_per_day)
    if not database.is_sqlite:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE events")
    end = START + dt.timedelta(days=DAYS - 1)
    now = dt.datetime.combine(end + dt.timedelta(days=2), dt.time())
    with database.session() as session:
        before = baseline_report()
        base = best_of(repeat, lambda: before(session, START, end))
        full = best_of(repeat, lambda: deflection_report(session, START, end, now=now))
        total = deflection_report(session, START, end, now=now).total
    database.engine.dispose()
    print(f"{name:<12} {events:>9} {visits_per_day * DAYS:>8} {base:>9.2f} {full:>9.2f} {full / base:>7.2f}x"
          f"   sitting {total.deflection_rate_sitting:.1%}, 24 h {total.deflection_rate_24h:.1%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits-per-day", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'database':<12} {'events':>9} {'visits':>8} {'base s':>9} {'report s':>9} {'ratio':>8}")
    with tempfile.TemporaryDirectory() as folder:
        measure("sqlite", f"sqlite:///{folder}/bench.sqlite3", args.visits_per_day, args.repeat)
    name = f"portal_bench_{os.getpid()}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        measure("postgresql", POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name, args.visits_per_day, args.repeat)
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
