"""The dashboard, its CSV files and `flask analytics metrics` tell the same numbers, on SQLite
and PostgreSQL; exported cells never run as spreadsheet formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest

from portal.admin.dashboard import csv_safe
from portal.analytics.metrics import METRIC_KEYS
from tests.helpers import figure, login

NOW = dt.datetime(2026, 11, 20, 12, 0)


def at(days_ago, hours=0):
    return NOW - dt.timedelta(days=days_ago) + dt.timedelta(hours=hours)


def visit(letter, attribution, *events):
    return [{"visit_id": letter * 32, "attribution_id": attribution * 32 if attribution else None,
             "locale": "en", **event} for event in events]


SCRIPT = [
    # Read, voted helpful, never came back: deflected in both.
    *visit("a", "1", {"type": "view", "article_id": "delivery/track-your-order", "category": "delivery",
                      "created_at": at(5)},
           {"type": "vote", "article_id": "delivery/track-your-order", "category": "delivery",
            "helpful": True, "created_at": at(5, 0.01)}),
    # Read, came back two hours later and wrote to us: deflected in the sitting only.
    *visit("b", "2", {"type": "search", "query": "refund", "result_count": 3, "created_at": at(4)},
           {"type": "view", "article_id": "returns/refund-times", "category": "returns",
            "created_at": at(4, 0.02)},
           {"type": "vote", "article_id": "returns/refund-times", "category": "returns", "helpful": False,
            "created_at": at(4, 0.03)}),
    *visit("c", "2", {"type": "contact_submitted", "created_at": at(4, 2)}),
    # Swedish: searched, found nothing, contacted in the same sitting.
    *[dict(e, locale="sv") for e in visit(
        "d", "3", {"type": "search", "query": "reklamera", "result_count": 0, "created_at": at(3)},
        {"type": "contact_submitted", "created_at": at(3, 0.1)})],
    # A browser that asked not to be tracked.
    {"type": "view", "visit_id": None, "locale": "en", "article_id": "delivery/track-your-order",
     "category": "delivery", "created_at": at(2)},
    {"type": "contact_submitted", "visit_id": None, "locale": "en", "created_at": at(2, 1)},
    # Within the last 24 hours: the 24-hour figure waits for it.
    *visit("e", "4", {"type": "view", "article_id": "delivery/track-your-order", "category": "delivery",
                      "created_at": at(0, -3)}),
]


@pytest.fixture
def app(app_factory, database_url):
    app = app_factory(DATABASE_URL=database_url)
    app.extensions["analytics"].clock = lambda: NOW
    runner = app.test_cli_runner()
    assert runner.invoke(args=["admin", "create-user", "editor@shop.example", "--password",
                               "correct horse battery"]).exit_code == 0
    assert app.extensions["analytics"].write([dict(e) for e in SCRIPT])
    yield app
    app.extensions["db"].engine.dispose()


def shown(key, value):
    """A JSON value as the dashboard writes it."""
    if value is None:
        return "–"
    if key == "self_service_score":
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value * 100:.0f}%"
    return str(value)


@pytest.mark.parametrize("query", [{}, {"from": "2026-11-15", "to": "2026-11-17"}, {"locale": "sv"}])
def test_metrics_json_matches_the_dashboard(app, query):
    client = app.test_client()
    login(client)
    html = client.get("/admin/", query_string=query).get_data(as_text=True)
    args = ["analytics", "metrics", "--format", "json"]
    for name, value in query.items():
        args += [f"--{name}", value]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    shown_keys = re.findall(r'data-metric="([a-z_0-9]+)"', html)
    assert len(shown_keys) >= 10 and set(shown_keys) <= set(METRIC_KEYS)
    for key in shown_keys:
        assert figure(html, key) == shown(key, data[key]), key
    # The per-day CSV carries the same figures, day by day and in total.
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/export/deflection_by_day.csv",
                                                      query_string=query).get_data(as_text=True))))
    assert [row["day"] for row in rows] == [day["day"] for day in data["by_day"]] + ["total"]
    for row, expected in zip(rows, [*data["by_day"], data], strict=True):
        for key in METRIC_KEYS:
            assert row[key] == ("" if expected[key] is None else str(expected[key])), key


def test_metrics_json_has_the_documented_keys_and_figures(app):
    result = app.test_cli_runner().invoke(args=["analytics", "metrics", "--format", "json",
                                                "--from", "2026-11-14", "--to", "2026-11-20"])
    data = json.loads(result.output)
    assert (data["from"], data["to"], data["locale"]) == ("2026-11-14", "2026-11-20", None)
    assert {"self_service_visits", "contacts", "deflected_visits_sitting", "deflected_visits_24h",
            "deflection_rate_sitting", "deflection_rate_24h"} <= set(data)
    assert (data["self_service_visits"], data["deflected_visits_sitting"]) == (4, 3)
    assert (data["self_service_visits_24h"], data["deflected_visits_24h"],
            data["open_window_visits"]) == (3, 1, 1)
    assert data["deflection_rate_24h"] == pytest.approx(1 / 3)
    assert (data["contacts"], data["contacts_untracked"], data["contacts_after_self_service"]) == (3, 1, 2)
    assert data["contacts_after_self_service_share"] == 1.0
    assert (data["votes"], data["helpful_votes"], data["helpful_share"]) == (2, 1, 0.5)
    article = data["by_article"]["returns/refund-times"]
    assert (article["votes"], article["helpful_share"], article["deflected_visits_24h"]) == (1, 0.0, 0)
    assert article["contacts_after_self_service"] == 1 and article["contacts"] is None
    assert data["by_category"]["delivery"]["helpful_share"] == 1.0
    assert data["by_locale"]["sv"]["deflection_rate_sitting"] == 0.0
    assert data["articles_read_before_contact"] == [
        {"article": "returns/refund-times", "contacts": 1, "read_last": 1}]


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "yesterday"], "'yesterday' is not a date; write it as YYYY-MM-DD"),
    (["--locale", "xx"], "'xx' is not a site locale (en, sv, da, pl)"),
    (["--from", "2026-11-10", "--to", "2026-11-01"], "--from 2026-11-10 is after --to 2026-11-01"),
])
def test_metrics_command_explains_bad_input(app, args, message):
    result = app.test_cli_runner().invoke(args=["analytics", "metrics", *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_metrics_text_lists_every_key(app):
    result = app.test_cli_runner().invoke(args=["analytics", "metrics"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "2026-10-24 to 2026-11-20, all languages"
    assert [line.split()[0] for line in lines[1:]] == list(METRIC_KEYS)
    assert re.search(r"^deflection_rate_24h +33\.3%$", result.output, re.M)


def test_the_dashboard_explains_every_figure_and_leads_with_24_hours(app):
    client = app.test_client()
    login(client)
    html = client.get("/admin/").get_data(as_text=True)
    headline = re.search(r'<div class="kpi kpi-headline">(.*?)</div>', html, re.S).group(1)
    assert "Deflection within 24 hours" in headline and 'data-metric="deflection_rate_24h"' in headline
    assert html.count("<details><summary>Definition</summary>") == len(re.findall(r"data-metric=", html))
    assert "1 visit of the last 24 hours is not counted until its 24 hours have passed." in html
    assert "1 from a browser that asks not to be tracked" in html
    swedish = client.get("/admin/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Avlastning inom 24 timmar" in swedish


@pytest.mark.parametrize(("cell", "safe"), [
    ("=HYPERLINK(\"http://evil.example\")", "'=HYPERLINK(\"http://evil.example\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(1+1)", "'@SUM(1+1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("where is my parcel", "where is my parcel"), (3, 3), (0.5, 0.5),
])
def test_csv_cells_never_start_like_a_formula(cell, safe):
    assert csv_safe(cell) == safe


def test_search_text_in_exports_is_neutralised(app):
    app.extensions["analytics"].write([
        {"type": "search", "visit_id": None, "locale": "en", "query": query, "result_count": 0,
         "created_at": at(1)} for query in ("=hyperlink(\"http://evil.example\")", "+1+1", "@sum(1)")])
    client = app.test_client()
    login(client)
    for name in ("top_searches", "zero_result_searches"):
        rows = list(csv.reader(io.StringIO(client.get(f"/admin/export/{name}.csv").get_data(as_text=True))))
        cells = {row[0] for row in rows[1:]}
        assert {"'=hyperlink(\"http://evil.example\")", "'+1+1", "'@sum(1)"} <= cells, name
