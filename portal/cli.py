"""Commands for editors and operators: flask --app portal content check | search build."""

from __future__ import annotations

import datetime as dt
import json
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .content.loader import load_content
from .search import get_search

content_cli = AppGroup("content", help="Check the content folder.")
search_cli = AppGroup("search", help="Build the search index.")
db_cli = AppGroup("db", help="Create or migrate the database.")
analytics_cli = AppGroup("analytics", help="Manage stored visitor events.")

DURATION_UNITS = {"d": 1, "w": 7, "m": 30.44, "y": 365.25}


@content_cli.command("check")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
def content_check(output):
    """Report every problem in the content folder; exit 1 if there is an error."""
    loaded = load_content(current_app.config["CONTENT_DIR"])
    if output == "json":
        click.echo(json.dumps([{"path": p.path, "line": p.line, "severity": p.severity,
                                "message": p.message} for p in loaded.problems], indent=2))
    else:
        for problem in loaded.problems:
            click.echo(str(problem), err=problem.severity == "error")
        click.echo(f"{len(loaded.articles)} articles in {len(loaded.site.locales)} locales; "
                   f"{len(loaded.errors)} errors, {len(loaded.problems) - len(loaded.errors)} warnings")
    if loaded.errors:
        raise SystemExit(1)


@search_cli.command("build")
def search_build():
    """Index every locale from the content folder; a running server switches when it is done."""
    from .content import get_content

    started = time.perf_counter()
    content = get_content()
    get_search().build(content)
    click.echo(f"indexed {len(content.articles())} articles in "
               f"{time.perf_counter() - started:.1f} s")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Apply schema migrations (SQLite file or DATABASE_URL)."""
    from .migrations import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


def parse_age(text: str) -> dt.timedelta:
    """'25m' (months), '90d', '12w', '2y' -> a duration."""
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in DURATION_UNITS or not text[:-1].isdigit():
        raise click.BadParameter("write a number and a unit: 90d, 12w, 25m (months) or 2y")
    return dt.timedelta(days=int(text[:-1]) * DURATION_UNITS[text[-1]])


@analytics_cli.command("purge")
@click.option("--older-than", "older_than", default=None,
              help="Age of the events to delete: 90d, 12w, 25m (months), 2y. Default: ANALYTICS_RETENTION.")
def analytics_purge(older_than):
    """Delete events older than the retention period."""
    from .analytics.metrics import purge_events
    from .db import get_db
    from .models import utcnow

    age = parse_age(older_than or current_app.config["ANALYTICS_RETENTION"])
    with get_db().session() as session:
        deleted = purge_events(session, utcnow() - age)
    click.echo(f"deleted {deleted} events older than {age.days} days")


def init_app(app: Flask):
    for group in (content_cli, search_cli, db_cli, analytics_cli):
        app.cli.add_command(group)
