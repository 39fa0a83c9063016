"""Deflection dashboard: rate over time, content gaps, satisfaction, CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shlex

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l

from ..analytics import metrics
from ..content import get_content
from ..db import get_db
from ..i18n import LOCALES, locale_name, negotiate_locale
from ..learning.gaps import content_gaps as find_gaps
from ..search import get_search
from ..search.analysis import fold
from . import charts

bp = Blueprint("admin", __name__, url_prefix="/admin")
DEFAULT_DAYS = 28
TABLE_LIMIT = 50
# A spreadsheet runs a cell that starts like a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EARLIEST = dt.date(2000, 1, 1)  # dates outside these bounds are typos (and overflow date arithmetic)


@bp.before_request
def admin_locale():
    g.locale = negotiate_locale(LOCALES, "en")


def report_now() -> dt.datetime:
    """The analytics clock: real time in production, a fixed one in tests."""
    return current_app.extensions["analytics"].clock()


def _filters():
    """Date range and locale from the query string; bad values fall back to the last 28 days."""
    today = report_now().date()
    errors = []

    def parse(name, default):
        value = request.args.get(name, "")
        if not value:
            return default
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            errors.append(name)
            return default
        if not EARLIEST <= day <= today + dt.timedelta(days=366):
            errors.append(name)
            return default
        return day

    end = parse("to", today)
    start = parse("from", end - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        start, end = end, start
    locale = request.args.get("locale") or None
    if locale not in (None, *get_content().locales):
        locale = None
    return start, end, locale, errors


def _percent(value):
    return "" if value is None else f"{value:.0%}"


def _titles(locale):
    content = get_content()

    def article_title(article_id):
        article = content.article_or_default(locale or content.default_locale, article_id)
        return article.title if article else article_id

    def category_title(category_id):
        category = content.category(locale or content.default_locale, category_id) or \
            content.category(content.default_locale, category_id)
        return category.title if category else category_id

    return article_title, category_title


def _satisfaction_columns(counts):
    return [counts.self_service_visits, _percent(counts.deflection_rate_sitting),
            _percent(counts.deflection_rate_24h), _percent(counts.helpful_share), counts.votes]


SATISFACTION_HEADER = [_l("Self-service visits"), _l("Deflection within the sitting"),
                       _l("Deflection within 24 hours"), _l("Helpful"), _l("Votes")]


def _tables(session, report):
    start, end, locale = report.start, report.end, report.locale
    article_title, category_title = _titles(locale)
    least = metrics.least_helpful_articles(session, start, end, locale, limit=TABLE_LIMIT)

    def ranked(breakdown):
        return sorted(breakdown.items(), key=lambda item: (-item[1].self_service_visits,
                                                           -item[1].votes, item[0] or ""))[:TABLE_LIMIT]

    return {
        "deflection_by_locale": (
            [_l("Language"), *SATISFACTION_HEADER, _l("Contacts"), _l("Contacts after self-service")],
            [(locale_name(tag) if tag else "–", *_satisfaction_columns(c), c.contacts,
              _percent(c.contacts_after_self_service_share)) for tag, c in ranked(report.by_locale)]),
        "deflection_by_category": (
            [_l("Category"), *SATISFACTION_HEADER, _l("Contacts after reading")],
            [(category_title(name), *_satisfaction_columns(c), c.contacts_after_self_service)
             for name, c in ranked(report.by_category)]),
        "deflection_by_article": (
            [_l("Article"), *SATISFACTION_HEADER, _l("Contacts after reading")],
            [(article_title(name), *_satisfaction_columns(c), c.contacts_after_self_service)
             for name, c in ranked(report.by_article)]),
        "articles_read_before_contact": (
            [_l("Article"), _l("Contacts that read it first"), _l("Read last before the contact")],
            [(article_title(a), read, last) for a, (read, last) in
             report.articles_read_before_contact(TABLE_LIMIT)]),
        "top_searches": ([_l("Search query"), _l("Searches"), _l("Average results")],
                         metrics.top_searches(session, start, end, locale, limit=TABLE_LIMIT)),
        "zero_result_searches": ([_l("Search query"), _l("Searches"), _l("Average results")],
                                 metrics.top_searches(session, start, end, locale, limit=TABLE_LIMIT,
                                                      zero_results_only=True)),
        "searches_before_contact": ([_l("Search query"), _l("Contacts within 24 hours after it")],
                                    report.searched_before_contact.most_common(TABLE_LIMIT)),
        "least_helpful_articles": ([_l("Article"), _l("Helpful"), _l("Not helpful"), _l("Share helpful"),
                                    _l("Reasons")],
                                   [(article_title(a), yes, no, f"{share:.0%}",
                                     ", ".join(f"{r} ({n})" for r, n in sorted(reasons.items())))
                                    for a, yes, no, share, reasons in least]),
    }


def _charts(report):
    """Deflection rates and searches with and without an answer, per day."""
    days = charts.days_between(report.start, report.end)

    def daily(name):
        return {day: getattr(counts, name) for day, counts in report.by_day.items()}

    searches = {day: counts.searches for day, counts in report.by_day.items() if counts.searches}
    return {
        "deflection": charts.line_chart(days, [
            ("deflection_rate_24h", _l("Within 24 hours"), daily("deflection_rate_24h")),
            ("deflection_rate_sitting", _l("Within the sitting"), daily("deflection_rate_sitting"))],
            maximum=1, show=_percent),
        "searches": charts.line_chart(days, [
            ("answered", _l("Searches with an answer"),
             {day: n - report.by_day[day].zero_result_searches for day, n in searches.items()}),
            ("unanswered", _l("Searches without an answer"),
             {day: report.by_day[day].zero_result_searches for day in searches})]),
    }


def content_gaps(session, report, limit=TABLE_LIMIT):
    """[(gap, sparkline)] for the dashboard and its CSV."""
    search = get_search()
    begin = dt.datetime.combine(report.start, dt.time())
    finish = dt.datetime.combine(report.end + dt.timedelta(days=1), dt.time())
    gaps = find_gaps(session, begin, finish, report.locale,
                     embedder=search.embedder if search.semantic else None, limit=limit)
    days = charts.days_between(report.start, report.end)
    return [(gap, charts.sparkline(days, gap.per_day)) for gap in gaps]


def gap_rows(gaps, report):
    """The content gaps as the CSV has them."""
    article_title, _category_title = _titles(report.locale)
    return [(gap.question, gap.locale, gap.visits, gap.trend(report.start, report.end),
             " | ".join(gap.examples),
             ", ".join(f"{article_title(a)} ({n})" for a, n in gap.read_next.most_common(3)),
             ", ".join(f"{c} ({n})" for c, n in gap.contacted.most_common(3)))
            for gap, _chart in gaps]


def new_article_command(gap) -> str:
    """The `content new` command that starts an article for a gap, with a slug and title from its
    question, in the category of the article its visitors read most."""
    content = get_content()
    read = [content.article_by_id(gap.locale, a) for a, _n in gap.read_next.most_common()]
    categories = [a.category for a in read if a] or [c.id for c in content.categories(gap.locale)]
    category = categories[0] if categories else "category"
    slug = "-".join(re.findall(r"[a-z0-9]+", fold(gap.question).lower())[:8]) or "new-article"
    title = gap.question[:1].upper() + gap.question[1:]
    return f"flask --app portal content new {category}/{slug} --title {shlex.quote(title)}"


GAP_HEADER = [_l("Question"), _l("Language"), _l("Visits"), _l("Trend"), _l("Examples"), _l("Read next"),
              _l("Contacted")]


def build_report(session, start, end, locale):
    return metrics.deflection_report(session, start, end, locale, now=report_now())


@bp.route("/")
def index():
    start, end, locale, errors = _filters()
    with get_db().session() as session:
        report = build_report(session, start, end, locale)
        tables = _tables(session, report)
        gaps = content_gaps(session, report)
    # The export links carry the filters shown, and nothing else from the query string.
    export_args = {"from": start.isoformat(), "to": end.isoformat(), **({"locale": locale} if locale else {})}
    return render_template("admin/dashboard.html", report=report, tables=tables, charts=_charts(report),
                           gaps=gaps,
                           article_title=_titles(locale)[0], new_article_command=new_article_command,
                           start=start, end=end, locale=locale, errors=errors, export_args=export_args,
                           locales=get_content().locales)


def csv_safe(value):
    """A cell a spreadsheet shows as text, never runs: formula-like text gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(header, rows, filename):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(str(cell)) for cell in header])
    writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/export/<name>.csv")
def export(name):
    start, end, locale, _errors = _filters()
    with get_db().session() as session:
        report = build_report(session, start, end, locale)
        if name == "deflection_by_day":
            # Machine-readable: the same stable keys as `flask analytics metrics --format json`.
            header = ["day", *metrics.METRIC_KEYS]
            rows = [[day.isoformat(), *counts.as_dict().values()]
                    for day, counts in sorted(report.by_day.items())]
            rows.append(["total", *report.total.as_dict().values()])
        elif name == "content_gaps":
            header, rows = GAP_HEADER, gap_rows(content_gaps(session, report), report)
        else:
            tables = _tables(session, report)
            if name not in tables:
                abort(404)
            header, rows = tables[name]
    filename = f"{name}_{start}_{end}{'_' + locale if locale else ''}.csv"
    return csv_response(header, rows, filename)


RECENT_HANDOFFS = 100


@bp.route("/handoffs")
def handoffs():
    """Contact requests: the latest ones to read, the ones the helpdesk never accepted, counts."""
    from sqlalchemy import func, select

    from ..handoff import helpdesk_configured
    from ..handoff.outbox import failed_handoffs
    from ..models import Handoff

    with get_db().session() as session:
        failed = failed_handoffs(session)
        counts = dict(session.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all())
        recent = session.scalars(select(Handoff).order_by(Handoff.created_at.desc(), Handoff.id.desc())
                                 .limit(RECENT_HANDOFFS)).all()
        session.expunge_all()
    return render_template("admin/handoffs.html", failed=failed, counts=counts, recent=recent,
                           connected=helpdesk_configured(current_app.config))


@bp.route("/handoffs/<reference>")
def handoff(reference):
    """One contact request in full: the message and what the customer had already tried."""
    from sqlalchemy import select

    from ..handoff import helpdesk_configured
    from ..models import Handoff

    with get_db().session() as session:
        found = session.scalar(select(Handoff).where(Handoff.reference == reference))
        if found is None:
            abort(404)
        session.expunge(found)
    return render_template("admin/handoff.html", handoff=found,
                           connected=helpdesk_configured(current_app.config))
