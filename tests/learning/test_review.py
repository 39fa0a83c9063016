"""Editors review learned questions in /admin/questions and export them to the content."""

from __future__ import annotations

import shutil

import pytest
import yaml
from sqlalchemy import select

from portal.learning.export import add_questions
from portal.models import LearnedQuestion
from tests.helpers import DEMO_CONTENT, PASSWORD, csrf_token, login
from tests.learning.visits import ARTICLE_ID, PHRASE, WRONG, WRONG_ID, proposals, visit


def editor_app(app_factory, content_dir=DEMO_CONTENT, **config):
    app = app_factory(content_dir, VOTE_LIMIT_PER_NETWORK="10000 per hour", **config)
    result = app.test_cli_runner().invoke(args=["admin", "create-user", "editor@shop.example",
                                                "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def app(app_factory, database_url):
    app = editor_app(app_factory, DATABASE_URL=database_url)
    yield app
    assert app.extensions["analytics"].flush()
    app.extensions["db"].engine.dispose()


def stored(app):
    with app.extensions["db"].session() as session:
        return [(q.query, q.article_id, q.status) for q in session.scalars(select(LearnedQuestion))]


def test_editors_see_proposals_with_their_counts_strongest_first(app):
    for _ in range(6):
        visit(app)
    for _ in range(5):
        visit(app, phrase="snorklewhistle", path=WRONG, article_id=WRONG_ID)
    assert app.extensions["analytics"].flush()
    client = app.test_client()
    login(client)
    html = client.get("/admin/questions/").get_data(as_text=True)
    assert html.index(PHRASE) < html.index("snorklewhistle")
    assert 'data-visits="6"' in html and 'data-visits="5"' in html
    assert "Track your order" in html or "track" in html.lower()


def test_accept_with_an_edited_wording_and_reject_through_the_admin(app):
    for _ in range(5):
        visit(app)
        visit(app, phrase="snorklewhistle", path=WRONG, article_id=WRONG_ID)
    by_query = {p["query"]: p["id"] for p in proposals(app)}
    client = app.test_client()
    login(client)
    token = csrf_token(client.get("/admin/questions/").get_data(as_text=True))
    response = client.post(f"/admin/questions/{by_query[PHRASE]}",
                           data={"csrf_token": token, "action": "accept", "wording": "Where is my wombat?"})
    assert response.status_code == 303 and "done=accepted" in response.headers["Location"]
    client.post(f"/admin/questions/{by_query['snorklewhistle']}",
                data={"csrf_token": token, "action": "reject", "wording": "snorklewhistle"})
    assert sorted(stored(app)) == [("Where is my wombat?", ARTICLE_ID, "accepted"),
                                   ("snorklewhistle", "returns/return-an-item", "rejected")]
    page = client.get("/admin/questions/?done=accepted").get_data(as_text=True)
    assert "Where is my wombat?" in page and "searchable after the next index build" in page


def test_a_decision_needs_the_csrf_token_and_a_wording(app):
    for _ in range(5):
        visit(app)
    (proposal,) = proposals(app)
    client = app.test_client()
    login(client)
    assert client.post(f"/admin/questions/{proposal['id']}", data={"action": "accept"}).status_code == 400
    token = csrf_token(client.get("/admin/questions/").get_data(as_text=True))
    response = client.post(f"/admin/questions/{proposal['id']}",
                           data={"csrf_token": token, "action": "accept", "wording": "   "})
    assert "done=invalid" in response.headers["Location"]
    assert stored(app) == [(PHRASE, ARTICLE_ID, "proposed")]
    missing = client.post("/admin/questions/999", data={"csrf_token": token, "action": "reject"})
    assert missing.status_code == 404
    assert client.post(f"/admin/questions/{proposal['id']}",
                       data={"csrf_token": token, "action": "delete"}).status_code == 400


def test_the_review_page_needs_a_login(app):
    response = app.test_client().get("/admin/questions/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_export_writes_accepted_questions_into_the_front_matter(app_factory, tmp_path):
    content = tmp_path / "content-copy"
    shutil.copytree(DEMO_CONTENT, content)
    app = editor_app(app_factory, content)
    for _ in range(5):
        visit(app)
    (proposal,) = proposals(app)
    runner = app.test_cli_runner()
    runner.invoke(args=["learn", "accept", str(proposal["id"]), "--wording", "Where is my wombat?"])
    result = runner.invoke(args=["learn", "export"])
    assert result.exit_code == 0, result.output
    assert "en/delivery/track-your-order.md: 1 question(s) added" in result.output
    text = (content / "en/delivery/track-your-order.md").read_text("utf-8")
    meta = yaml.safe_load(text.split("---")[1])
    assert meta["questions"][-1] == "Where is my wombat?"
    assert text.split("---", 2)[2] == (DEMO_CONTENT / "en/delivery/track-your-order.md").read_text(
        "utf-8").split("---", 2)[2]
    assert stored(app) == [("Where is my wombat?", ARTICLE_ID, "exported")]
    assert runner.invoke(args=["content", "check"]).exit_code == 0
    assert "0 question(s) exported" in runner.invoke(args=["learn", "export"]).output


@pytest.mark.parametrize("front_matter, expected", [
    ("title: T\n", ["a: b?", "#1 question"]),
    ("title: T\nquestions:\n  - old one\ntags: [x]\n", ["old one", "a: b?", "#1 question"]),
    ("title: T\nquestions:\n- old one\n- 'a: b?'\n", ["old one", "a: b?", "#1 question"]),
    ("title: T\nquestions: [old one]\n", ["old one", "a: b?", "#1 question"]),
])
def test_add_questions_keeps_the_rest_of_the_file(front_matter, expected):
    text = f"---\n{front_matter}---\nBody: text\n"
    written, _added = add_questions(text, ["a: b?", "#1 question"])
    meta = yaml.safe_load(written.split("---\n")[1])
    assert meta["questions"] == expected and meta["title"] == "T"
    assert written.endswith("---\nBody: text\n")
