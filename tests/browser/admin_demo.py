"""Two weeks of visits for the editors' pages (axe tests and `make screenshots`): searches with
and without answers, votes, contacts, and one question five visitors taught the help centre."""

from __future__ import annotations

import datetime as dt
import secrets

EDITOR, PASSWORD = "editor@shop.example", "correct horse battery"
# A question lexical search does not answer with the article those visitors then found.
LEARNED = ("nothing arrived yet", "delivery/delayed-delivery")
GAPS = [("gift wrapping", "orders/gift-cards", None), ("klarna pay later", None, "chat"),
        ("student discount", "payments/discount-codes", None), ("christmas opening hours", None, "email")]


def seed(app, days: int = 14):
    """Store the visits and create the editor account; returns the analytics clock's now."""
    result = app.test_cli_runner().invoke(args=["admin", "create-user", EDITOR, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    now = app.extensions["analytics"].clock()
    events = []

    def visit(when, steps):
        visit_id = secrets.token_hex(16)
        for offset, (type_, fields) in enumerate(steps):
            events.append({"type": type_, "visit_id": visit_id, "attribution_id": visit_id, "locale": "en",
                           "created_at": when + dt.timedelta(minutes=offset), **fields})

    for day in range(days):
        when = now - dt.timedelta(days=days - day, hours=2)
        for number in range(3 + day % 4):
            visit(when, [("search", {"query": "where is my parcel", "result_count": 5}),
                         ("view", {"article_id": "delivery/track-your-order", "category": "delivery"}),
                         ("click", {"article_id": "delivery/track-your-order", "position": 1}),
                         ("vote", {"article_id": "delivery/track-your-order", "helpful": number % 3 != 0})])
        for text, read, channel in GAPS[: 1 + day % len(GAPS)]:
            steps = [("search", {"query": text, "result_count": 0})]
            if read:
                steps.append(("view", {"article_id": read, "category": read.split("/")[0]}))
            if channel:
                steps.append(("contact_submitted", {"reason": channel}))
            visit(when, steps)
    for number in range(6):
        question, article = LEARNED
        visit(now - dt.timedelta(days=3, hours=number), [
            ("search", {"query": question, "result_count": 3}),
            ("view", {"article_id": article, "category": article.split("/")[0]}),
            ("vote", {"article_id": article, "helpful": True})])
    assert app.extensions["analytics"].write(events)
    return now


def sign_in(page):
    page.goto("/admin/login")
    page.fill("#email", EDITOR)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
