"""Deflection dashboard: rate over time, content gaps, least helpful articles, CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, abort, g, render_template, request

from ..analytics import metrics
from ..content import get_content
from ..db import get_db
from ..i18n import LOCALES, negotiate_locale

bp = Blueprint("admin", __name__, url_prefix="/admin")
DEFAULT_DAYS = 28
EARLIEST = dt.date(2000, 1, 1)  # dates outside these bounds are typos (and overflow date arithmetic)


@bp.before_request
def admin_locale():
    g.locale = negotiate_locale(LOCALES, "en")


def _filters():
    """Date range and locale from the query string; bad values fall back to the last 28 days."""
    today = dt.datetime.now(dt.UTC).date()
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


def _tables(session, start, end, locale):
    content = get_content()

    def title(article_id):
        article = content.article_by_id(locale or content.default_locale, article_id) or \
            content.article_by_id(content.default_locale, article_id)
        return article.title if article else article_id

    least = metrics.least_helpful_articles(session, start, end, locale)
    return {
        "top_searches": (["Search", "Searches", "Average results"],
                         metrics.top_searches(session, start, end, locale)),
        "zero_result_searches": (["Search", "Searches", "Average results"],
                                 metrics.top_searches(session, start, end, locale, zero_results_only=True)),
        "searches_before_contact": (["Search", "Visits that then contacted support"],
                                    metrics.searches_before_contact(session, start, end, locale)),
        "least_helpful_articles": (["Article", "Helpful", "Not helpful", "Share helpful", "Reasons"],
                                   [(title(a), yes, no, f"{share:.0%}",
                                     ", ".join(f"{r} ({n})" for r, n in sorted(reasons.items())))
                                    for a, yes, no, share, reasons in least]),
        "contacts_by_last_article": (["Article read just before", "Contacts"],
                                     [(title(a), n) for a, n in
                                      metrics.contacts_by_last_article(session, start, end, locale)]),
    }


def _chart(report):
    """Daily deflection rate as a small SVG polyline: no script, fits a strict CSP."""
    days = [report.start + dt.timedelta(days=i) for i in range((report.end - report.start).days + 1)]
    points = []
    width, height = 600, 160
    step = width / max(1, len(days) - 1)
    for index, day in enumerate(days):
        rate = report.by_day[day].deflection_rate if day in report.by_day else None
        if rate is not None:
            points.append((round(index * step, 1), round(height - rate * height, 1), day, rate))
    return {"width": width, "height": height, "points": points}


@bp.route("/")
def index():
    start, end, locale, errors = _filters()
    with get_db().session() as session:
        report = metrics.deflection_report(session, start, end, locale)
        tables = _tables(session, start, end, locale)
    # The export links carry the filters shown, and nothing else from the query string.
    export_args = {"from": start.isoformat(), "to": end.isoformat(), **({"locale": locale} if locale else {})}
    return render_template("admin/dashboard.html", report=report, tables=tables, chart=_chart(report),
                           start=start, end=end, locale=locale, errors=errors, export_args=export_args,
                           locales=get_content().locales)


@bp.route("/export/<name>.csv")
def export(name):
    start, end, locale, _errors = _filters()
    with get_db().session() as session:
        if name == "deflection_by_day":
            report = metrics.deflection_report(session, start, end, locale)
            header = ["day", *report.total.as_dict()]
            rows = [[day.isoformat(), *counts.as_dict().values()]
                    for day, counts in sorted(report.by_day.items())]
        else:
            tables = _tables(session, start, end, locale)
            if name not in tables:
                abort(404)
            header, rows = tables[name]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    filename = f"{name}_{start}_{end}{'_' + locale if locale else ''}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell):
    """A text cell a spreadsheet would run as a formula (visitors' search text is in these
    exports) starts with an apostrophe instead, as OWASP advises; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


@bp.route("/handoffs")
def handoffs():
    """Contact requests the helpdesk never accepted, and how many are still on their way."""
    from sqlalchemy import func, select

    from ..handoff.delivery import failed_handoffs
    from ..models import Handoff

    with get_db().session() as session:
        failed = failed_handoffs(session)
        counts = dict(session.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all())
    return render_template("admin/handoffs.html", failed=failed, counts=counts)
