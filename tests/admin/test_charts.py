"""The dashboard draws: server-rendered, accessible SVG charts with their figures as a table."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.admin.charts import days_between, line_chart, sparkline
from portal.models import utcnow
from tests.helpers import login

DAYS = days_between(dt.date(2026, 11, 1), dt.date(2026, 11, 5))


def test_one_day_of_values_is_not_enough_for_a_line():
    chart = line_chart(DAYS, [("rate", "Rate", {DAYS[2]: 0.5})], maximum=1)
    assert chart["enough"] is False and chart["rows"] == [(DAYS[2], ["0.5"])]


def test_points_are_scaled_to_the_box_and_days_without_values_are_left_out():
    chart = line_chart(DAYS, [("a", "A", {DAYS[0]: 0, DAYS[4]: 10}), ("b", "B", {DAYS[0]: 5})])
    a, b = chart["series"]
    assert chart["enough"] and chart["top"] == "10"
    assert a["line"] == "0.0,160.0 600.0,0.0" and b["line"] == "0.0,80.0"
    assert chart["rows"] == [(DAYS[0], ["0", "5"]), (DAYS[4], ["10", "–"])]


def test_a_sparkline_counts_every_day_of_the_period():
    chart = sparkline(DAYS, {DAYS[1]: 3})
    assert len(chart["series"][0]["points"]) == 5 and chart["width"] == 120


@pytest.fixture
def two_days(app):
    now = utcnow()
    events = []
    for day, visit in ((now - dt.timedelta(days=1), "a"), (now, "b")):
        events += [
            {"type": "search", "visit_id": visit * 32, "locale": "en", "query": "where is my parcel",
             "result_count": 4, "created_at": day},
            {"type": "search", "visit_id": visit * 32, "locale": "en", "query": "zorblax", "result_count": 0,
             "created_at": day},
            {"type": "view", "visit_id": visit * 32, "locale": "en", "category": "delivery",
             "article_id": "delivery/track-your-order", "created_at": day},
        ]
    assert app.extensions["analytics"].write(events)
    return app


def test_the_dashboard_draws_deflection_and_searches_with_titles_descriptions_and_tables(two_days):
    client = two_days.test_client()
    login(client)
    html = client.get("/admin/").get_data(as_text=True)
    charts = re.findall(r'<svg class="chart"[^>]*aria-labelledby="([^"]+)"', html)
    assert charts == ["deflection-chart-svg-title deflection-chart-desc",
                      "searches-chart-svg-title searches-chart-desc"]
    for labelled in charts:
        for element_id in labelled.split():
            assert f'id="{element_id}"' in html
    assert html.count("<summary>The figures as a table</summary>") == 2
    searches = html[html.index('id="searches-chart-title"'):]
    rows = re.findall(r'<tr><th scope="row">[\d-]+</th><td>(\d+)</td><td>(\d+)</td></tr>', searches)
    assert rows[:2] == [("1", "1"), ("1", "1")]
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
