"""Commands for editors and operators: flask --app portal content check | new, i18n status, ..."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .checks import check_site
from .config import parse_duration
from .content.loader import load_content
from .search import get_search

content_cli = AppGroup("content", help="Check the content folder.")
search_cli = AppGroup("search", help="Build the search index.")
i18n_cli = AppGroup("i18n", help="Translation status of UI strings and articles.")
db_cli = AppGroup("db", help="Create or migrate the database.")
analytics_cli = AppGroup("analytics", help="Manage stored visitor events.")
handoff_cli = AppGroup("handoff", help="Deliver contact requests to the helpdesk.")



@content_cli.command("check")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@click.option("--builtin-synonyms", is_flag=True,
              help="Also check the built-in synonym lists against this content's words.")
def content_check(output, builtin_synonyms):
    """Report every problem in the content folder as path:line; exit 1 if there is an error."""
    report = check_site(current_app.config["CONTENT_DIR"], builtin_synonyms=builtin_synonyms)
    if output == "json":
        click.echo(json.dumps([{"path": p.path, "line": p.line, "severity": p.severity,
                                "message": p.message} for p in report.problems], indent=2))
    else:
        for problem in report.problems:
            click.echo(str(problem), err=problem.severity == "error")
        click.echo(f"{len(report.loaded.articles)} articles in {len(report.loaded.site.locales)} locales; "
                   f"{len(report.errors)} errors, {len(report.warnings)} warnings")
    if report.errors:
        raise SystemExit(1)


@content_cli.command("new")
@click.argument("spec", metavar="CATEGORY/SLUG")
@click.option("--title", help="The article's title; made from the slug when absent.")
@click.option("--draft/--publish", default=True, show_default=True,
              help="Start as a draft, visible only in preview (make run).")
def content_new(spec, title, draft):
    """Create an article file with front matter in the default locale."""
    from .content.scaffold import ScaffoldError, new_article

    content_dir = current_app.config["CONTENT_DIR"]
    try:
        path = new_article(content_dir, spec, title=title, draft=draft)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {path.relative_to(content_dir).as_posix()}"
               + (": a draft until you delete its 'draft: true' line" if draft else ""))


@content_cli.command("deploy")
@click.argument("release", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--link", type=click.Path(path_type=Path), envvar="PORTAL_CONTENT_DIR", required=True,
              help="The live content symlink (default: PORTAL_CONTENT_DIR).")
@click.option("--pidfile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              envvar="PORTAL_PIDFILE", help="The gunicorn master's pid file: HUP it to serve the release.")
def content_deploy(release, link, pidfile):
    """Check RELEASE, build the search index from it, make it live, reload gunicorn (docs/deploy.md)."""
    from .deploy import DeployError, deploy_content

    try:
        deploy_content(release, link=link, search=get_search(), pidfile=pidfile, echo=click.echo)
    except DeployError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(str(error)) from None


@i18n_cli.command("status")
@click.option("--locale", "locales", multiple=True, help="Only this locale (repeatable).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
def i18n_status(locales, output):
    """UI catalog completion and current, outdated, unknown and missing articles per locale."""
    from .i18n.status import catalog_folder, format_status, translation_status

    status = translation_status(current_app.config["CONTENT_DIR"], catalog_folder(current_app.config),
                                locales)
    unknown = set(locales) - {entry.locale for entry in status.locales}
    if unknown:
        raise click.BadParameter(f"not a site locale: {', '.join(sorted(unknown))}", param_hint="--locale")
    click.echo(json.dumps(status.as_dict(), indent=2) if output == "json" else format_status(status))


@i18n_cli.command("diff")
@click.argument("locale")
@click.argument("article_id")
def i18n_diff(locale, article_id):
    """What changed in the source article since LOCALE's translation was made."""
    from .content.freshness import TranslationError, source_diff

    try:
        diff = source_diff(current_app.config["CONTENT_DIR"], locale, article_id)
    except TranslationError as error:
        raise click.ClickException(str(error)) from None
    if not diff.lines:
        click.echo(f"{locale}/{article_id}: the source has not changed since the translation "
                   f"({diff.current})")
        return
    click.echo(f"# {diff.source_path}: old text from the {diff.origin}")
    click.echo(diff.text)


@i18n_cli.command("mark-current")
@click.argument("locale", required=False)
@click.argument("article_id", required=False)
@click.option("--all", "every", is_flag=True,
              help="Every translation that records no source_hash yet (of LOCALE, or of every locale).")
@click.option("--force", is_flag=True, help="With --all: outdated translations too. Review them first!")
def i18n_mark_current(locale, article_id, every, force):
    """Record that LOCALE's translation of ARTICLE_ID follows the current source."""
    from .content import freshness

    content_dir = current_app.config["CONTENT_DIR"]
    if every == bool(article_id) or (not every and not locale):
        raise click.UsageError("give LOCALE ARTICLE_ID, or --all [LOCALE]")
    targets = [(locale, article_id)]
    if every:
        loaded = load_content(content_dir)
        translated = [x for x in loaded.site.locales if x != loaded.site.default_locale]
        if locale and locale not in translated:
            raise click.UsageError(f"'{locale}' is not a translated locale ({', '.join(translated)})")
        chosen = [locale] if locale else translated
        targets, skipped = [], []
        for each in chosen:
            for state, ids in freshness.translation_states(loaded, each).items():
                if state in (freshness.CURRENT, freshness.MISSING):
                    continue
                (targets if state != freshness.OUTDATED or force else skipped).extend((each, i) for i in ids)
        for each, skipped_id in skipped:
            click.echo(f"{each}/{skipped_id}.md: outdated, not marked: review 'i18n diff {each} "
                       f"{skipped_id}', then mark it alone (or use --force)")
    for each, target in targets:
        try:
            marked = freshness.mark_current(content_dir, each, target)
        except freshness.TranslationError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"{marked.path}: source_hash {marked.current}"
                   + (f" (was {marked.previous or 'not recorded'})" if marked.changed else " (unchanged)"))


@search_cli.command("build")
@click.option("--progress/--no-progress", default=None,
              help="Show each locale's progress (default: only on a terminal, never in logs).")
def search_build(progress):
    """Index every locale from the content folder; a running server switches when it is done."""
    from .content import get_content

    if progress is None:
        progress = sys.stdout.isatty()
    started = time.perf_counter()
    content = get_content()
    get_search().build(content, progress=_print_progress if progress else None)
    click.echo(f"indexed {len(content.articles())} articles in "
               f"{time.perf_counter() - started:.1f} s")


def _print_progress(locale, done, total):
    """One line per locale, rewritten in place as it grows."""
    click.echo(f"\r  {locale}: {done:,} of {total:,} articles", nl=done >= total)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Apply schema migrations (SQLite file or DATABASE_URL)."""
    from .migrations import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


def parse_age(text: str) -> dt.timedelta:
    """--older-than and the retention settings, read as every duration is (config.parse_duration)."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@analytics_cli.command("purge")
@click.option("--older-than", "older_than", default=None,
              help="Age of the events to delete: 90d, 12w, 25mo (months), 2y. Default: ANALYTICS_RETENTION.")
def analytics_purge(older_than):
    """Delete events older than the retention period."""
    from .analytics.metrics import purge_events
    from .db import get_db
    from .models import utcnow

    age = parse_age(older_than or current_app.config["ANALYTICS_RETENTION"])
    with get_db().session() as session:
        deleted = purge_events(session, utcnow() - age)
    click.echo(f"deleted {deleted} events older than {age.days} days")


def _parse_day(_ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-30",
                                 param=param) from None


@analytics_cli.command("metrics")
@click.option("--from", "start", callback=_parse_day, metavar="YYYY-MM-DD",
              help="First day (UTC), included. Default: 27 days before --to.")
@click.option("--to", "end", callback=_parse_day, metavar="YYYY-MM-DD",
              help="Last day (UTC), included. Default: today.")
@click.option("--locale", help="Only visits, contacts and votes in this language.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def analytics_metrics(start, end, locale, output):
    """Every deflection metric for a date range, as on the dashboard (keys: docs/deflection.md)."""
    from .admin.dashboard import DEFAULT_DAYS, build_report, report_now
    from .analytics.metrics import METRIC_KEYS
    from .content import get_content
    from .db import get_db

    locales = get_content().locales
    if locale is not None and locale not in locales:
        raise click.BadParameter(f"{locale!r} is not a site locale ({', '.join(locales)})",
                                 param_hint="--locale")
    end = end or report_now().date()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise click.BadParameter(f"--from {start} is after --to {end}", param_hint="--from")
    with get_db().session() as session:
        report = build_report(session, start, end, locale)
    if output == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(f"{start} to {end}, {locale or 'all languages'}")
    values = report.total.as_dict()
    for key in METRIC_KEYS:
        value = values[key]
        shown = "-" if value is None else f"{value:.1%}" if isinstance(value, float) and (
            "rate" in key or "share" in key) else f"{value:.2f}" if isinstance(value, float) else value
        click.echo(f"{key:<36} {shown}")


@handoff_cli.command("deliver")
@click.option("--once", is_flag=True, help="Deliver one batch and exit (for cron or a timer).")
@click.option("--interval", type=click.FloatRange(min=0.01), default=5.0, show_default=True,
              help="Seconds to wait when nothing is due.")
def handoff_deliver(once, interval):
    """Send stored handoffs to the helpdesk (PORTAL_HELPDESK) until stopped; SIGTERM finishes
    the message being sent, then exits."""
    import signal
    import threading

    from sqlalchemy.exc import SQLAlchemyError

    from .db import get_db
    from .handoff.delivery import ConfigurationError
    from .handoff.outbox import run_worker
    from .handoff.senders import sender_from_config

    config = current_app.config
    try:
        sender = sender_from_config(config)
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    if sender is None:
        raise click.ClickException(
            "no helpdesk is configured: set PORTAL_HELPDESK and its settings, or PORTAL_WEBHOOK_URL and "
            "PORTAL_WEBHOOK_SECRET, or PORTAL_SMTP_HOST, PORTAL_SMTP_FROM and PORTAL_SMTP_TO "
            "(docs/handoff.md)")
    give_up_after = config["HANDOFF_GIVE_UP_AFTER"]
    if isinstance(give_up_after, str):
        give_up_after = parse_duration(give_up_after)
    stop = threading.Event()
    previous = {}
    if not once and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        run_worker(get_db(), sender, once=once, interval=interval, stop_event=stop,
                   batch=config["HANDOFF_BATCH"], lease_seconds=config["HANDOFF_LEASE_SECONDS"],
                   give_up_after=give_up_after, backoff_base=config["HANDOFF_BACKOFF_BASE_SECONDS"],
                   public_url=config.get("PUBLIC_URL"), report=lambda stats: click.echo(str(stats)))
    except SQLAlchemyError as error:  # --once only: the loop logs outages and carries on
        raise click.ClickException(f"the database is unavailable: {error}") from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@handoff_cli.command("check")
def handoff_check():
    """Check the configured helpdesk's settings and credentials with a harmless read."""
    from .handoff.delivery import ConfigurationError
    from .handoff.helpdesks import Connector, check_smtp, explain
    from .handoff.helpdesks.http import DeliveryError
    from .handoff.senders import SmtpSender, WebhookSender, sender_from_config

    try:
        sender = sender_from_config(current_app.config)
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    if sender is None:
        raise click.ClickException(
            "no helpdesk is configured: set PORTAL_HELPDESK and its settings, or PORTAL_WEBHOOK_URL, "
            "or PORTAL_SMTP_HOST (docs/handoff.md)")
    if isinstance(sender, WebhookSender):
        click.echo(f"webhook: {sender.url} (signed; nothing is sent by this check)")
        return
    if isinstance(sender, SmtpSender):
        try:
            click.echo(f"ok: {check_smtp(sender)} (nothing was sent)")
        except DeliveryError as error:
            raise click.ClickException(str(error)) from None
        return
    if not isinstance(sender, Connector):
        raise click.ClickException(f"{type(sender).__name__} has no check")
    try:
        click.echo(f"ok: {sender.check()}")
    except DeliveryError as error:
        raise click.ClickException(explain(sender, error)) from None


@handoff_cli.command("purge")
@click.option("--older-than", "older_than", default=None,
              help="Age of the delivered requests to delete: 90d, 12w, 6mo, 1y. Default: HANDOFF_RETENTION.")
def handoff_purge(older_than):
    """Delete contact requests the helpdesk has had for longer than the retention period.

    Requests still on their way, or that failed and wait for a person, are kept."""
    from sqlalchemy import delete

    from .db import get_db
    from .models import Handoff, utcnow

    age = parse_age(older_than or current_app.config["HANDOFF_RETENTION"])
    with get_db().session() as session:
        deleted = session.execute(delete(Handoff).where(
            Handoff.status == "delivered", Handoff.created_at < utcnow() - age)).rowcount
    click.echo(f"deleted {deleted} delivered contact requests older than {age.days} days")


def init_app(app: Flask):
    for group in (content_cli, search_cli, i18n_cli, db_cli, analytics_cli, handoff_cli):
        app.cli.add_command(group)
