"""flask --app portal learn list | accept | reject | export"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from ..content import get_content
from ..db import get_db
from ..models import LearnedQuestion
from . import proposals, refresh_proposals
from .export import export_questions

learn_cli = AppGroup("learn", help="Questions learned from visitors, for editors to review.")


def _question_json(question: LearnedQuestion) -> dict[str, str | int]:
    return {"id": question.id, "locale": question.locale, "query": question.query,
            "article": question.article_id, "visits": question.visits, "status": question.status}


@learn_cli.command("list")
@click.option("--locale", help="Only questions asked in this language.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--status", type=click.Choice([proposals.PROPOSED, proposals.ACCEPTED, proposals.REJECTED,
                                             proposals.EXPORTED]),
              default=proposals.PROPOSED, show_default=True)
def learn_list(locale: str | None, output: str, status: str) -> None:
    """Proposed questions, strongest evidence first (read from the visits of LEARN_WINDOW_DAYS)."""
    if locale is not None and locale not in get_content().locales:
        raise click.BadParameter(f"{locale!r} is not a site locale ({', '.join(get_content().locales)})",
                                 param_hint="--locale")
    with get_db().session() as session:
        refresh_proposals(session)
        found = [_question_json(q) for q in proposals.listed(session, locale=locale, statuses=(status,))]
    if output == "json":
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for entry in found:
        click.echo(f"{entry['id']:>5}  {entry['locale']:<5} {entry['visits']:>4} visits  "
                   f"{entry['query']!r} -> {entry['article']}")
    click.echo(f"{len(found)} {status} question(s); k = {current_app.config['LEARN_MIN_VISITS']} visits")


def _decide(question_id: int, status: str, wording: str | None = None) -> dict[str, str | int]:
    with get_db().session() as session:
        try:
            question = proposals.decide(session, question_id, status, wording,
                                        now=current_app.extensions["analytics"].clock())
        except proposals.DecisionError as error:
            raise click.ClickException(str(error)) from None
        return _question_json(question)


@learn_cli.command("accept")
@click.argument("question_id", type=int)
@click.option("--wording", help="The question as it should be searched, instead of the visitors' words.")
def learn_accept(question_id: int, wording: str | None) -> None:
    """Make a question searchable for its article from the next `search build`."""
    entry = _decide(question_id, proposals.ACCEPTED, wording)
    click.echo(f"accepted {entry['query']!r} for {entry['locale']}/{entry['article']}; "
               "it is searchable after the next 'flask --app portal search build'")


@learn_cli.command("reject")
@click.argument("question_id", type=int)
def learn_reject(question_id: int) -> None:
    """Never propose this question for this article again."""
    entry = _decide(question_id, proposals.REJECTED)
    click.echo(f"rejected {entry['query']!r} for {entry['locale']}/{entry['article']}")


@learn_cli.command("export")
def learn_export() -> None:
    """Write accepted questions into their articles' front matter `questions:`, then mark them exported."""
    with get_db().session() as session:
        written, problems = export_questions(session, current_app.config["CONTENT_DIR"])
    for problem in problems:
        click.echo(problem, err=True)
    for path, count in written:
        click.echo(f"{path}: {count} question(s) added")
    click.echo(f"{sum(count for _path, count in written)} question(s) exported to {len(written)} file(s)")
    if problems:
        raise SystemExit(1)
