"""Commands for editors and operators: flask --app portal content check | search build."""

from __future__ import annotations

import json
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .content.loader import load_content
from .search import get_search

content_cli = AppGroup("content", help="Check the content folder.")
search_cli = AppGroup("search", help="Build the search index.")


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


def init_app(app: Flask):
    app.cli.add_command(content_cli)
    app.cli.add_command(search_cli)
