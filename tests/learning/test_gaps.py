"""Content gaps: unanswered questions, grouped, with what visitors did next; on the dashboard and as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from portal.learning.gaps import content_gaps
from portal.models import utcnow
from tests.helpers import PASSWORD, csrf_token, login

NOW = utcnow().replace(microsecond=0)


def event(visit, type_, minutes=0, **fields):
    return {"type": type_, "visit_id": visit, "attribution_id": visit, "locale": fields.pop("locale", "en"),
            "created_at": NOW - dt.timedelta(days=fields.pop("days", 0), minutes=-minutes), **fields}


def store(app, events):
    assert app.extensions["analytics"].write(events)


@pytest.fixture
def app(app_factory, database_url):
    app = app_factory(DATABASE_URL=database_url)
    assert app.test_cli_runner().invoke(args=["admin", "create-user", "editor@shop.example", "--password",
                                              PASSWORD]).exit_code == 0
    yield app
    app.extensions["db"].engine.dispose()


def gaps_of(app, **kwargs):
    with app.extensions["db"].session() as session:
        return content_gaps(session, NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=1), **kwargs)


def test_unanswered_searches_are_grouped_with_examples_and_next_steps(app):
    events = []
    for number, text in enumerate(["Gift wrapping?", "gift wrapping", "GIFT WRAP", "gift wrapped",
                                   "gift wrapping"]):
        visit = f"{number:032x}"
        events += [event(visit, "search", query=text, result_count=0, days=number % 2),
                   event(visit, "view", 1, article_id="orders/gift-cards")]
    events += [event("f" * 32, "search", query="gift wrapping", result_count=0),
               event("f" * 32, "contact_submitted", 2, reason="email"),
               # answered: found something, no contact
               event("e" * 32, "search", query="track my order", result_count=3),
               # not confident, in Swedish; answered then contacted
               event("d" * 32, "search", query="presentinslagning", result_count=2, reason="not_confident",
                     locale="sv"),
               event("c" * 32, "search", query="where is my refund", result_count=2),
               event("c" * 32, "contact_submitted", 5, reason="chat")]
    store(app, events)
    found = gaps_of(app)
    assert [(g.locale, g.question, g.visits) for g in found] == [
        ("en", "gift wrapping", 6), ("en", "where is my refund", 1), ("sv", "presentinslagning", 1)]
    wrapping = found[0]
    assert wrapping.examples == ["gift wrapping", "gift wrap", "gift wrapped"]
    assert wrapping.read_next == {"orders/gift-cards": 5} and wrapping.contacted == {"email": 1}
    assert sum(wrapping.per_day.values()) == 6
    assert [g.question for g in gaps_of(app, locale="sv")] == ["presentinslagning"]


def test_one_visit_counts_once_and_customers_details_stay_redacted(app):
    store(app, [event("a" * 32, "search", minute, query="refund for order [order]", result_count=0)
                for minute in range(5)])
    (gap,) = gaps_of(app)
    assert gap.visits == 1 and gap.question == "refund for order [order]"


def test_the_dashboard_lists_gaps_with_actions_and_a_csv(app):
    store(app, [event(f"{n:032x}", "search", query="gift wrapping", result_count=0, days=n % 3)
                for n in range(4)] + [event("0" * 32, "view", 1, article_id="orders/gift-cards")])
    client = app.test_client()
    login(client)
    html = client.get("/admin/").get_data(as_text=True)
    section = html[html.index('id="gaps-title"'):]
    assert "<h3>gift wrapping" in section and "4 visits" in section
    assert "flask --app portal content new orders/gift-wrapping --title &#39;Gift wrapping&#39;" in section
    assert re.search(r'<svg class="sparkline"[^>]*role="img"', section)
    link = re.search(r'href="(/admin/questions/new\?[^"]+)"', section).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert 'value="gift wrapping"' in form and '<option value="orders/gift-cards" selected>' in form
    response = client.post("/admin/questions/new", data={
        "csrf_token": csrf_token(form), "locale": "en", "q": "gift wrapping", "article": "orders/gift-cards"})
    assert response.status_code == 303 and "done=added" in response.headers["Location"]
    result = app.test_cli_runner().invoke(args=["learn", "list", "--status", "accepted", "--format", "json"])
    assert '"article": "orders/gift-cards"' in result.output
    exported = client.get("/admin/export/content_gaps.csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0] == ["Question", "Language", "Visits", "Trend", "Examples", "Read next", "Contacted"]
    assert rows[1][:3] == ["gift wrapping", "en", "4"]


def test_adding_a_question_needs_an_article(app):
    client = app.test_client()
    login(client)
    form = client.get("/admin/questions/new?locale=en&q=gift+wrapping").get_data(as_text=True)
    response = client.post("/admin/questions/new", data={
        "csrf_token": csrf_token(form), "locale": "en", "q": "gift wrapping", "article": "nope/nope"})
    assert response.status_code == 422 and "Choose the article that answers the question." in \
        response.get_data(as_text=True)
