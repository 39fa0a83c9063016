""""Was this helpful?" without JavaScript (plain forms) and with it (JSON)."""

from __future__ import annotations

import pytest

ARTICLE = "delivery/track-your-order"
URL = "/en/delivery/track-your-order"


@pytest.fixture
def client(app_factory):
    return app_factory().test_client()


def test_every_article_asks(client):
    html = client.get(URL).get_data(as_text=True)
    assert 'id="feedback"' in html and 'name="helpful" value="yes"' in html


def test_yes_thanks_without_javascript(client):
    response = client.post("/en/feedback", data={"article": ARTICLE, "helpful": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == f"{URL}?feedback=yes#feedback"
    assert "We are glad the article helped." in client.get(f"{URL}?feedback=yes").get_data(as_text=True)


def test_no_asks_why_and_offers_contact(client):
    response = client.post("/en/feedback", data={"article": ARTICLE, "helpful": "no"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="reason" value="incomplete"' in html and "Contact customer service" in html


@pytest.mark.parametrize(("locale", "message"), [
    ("en", "Choose what was wrong with the article."),
    ("sv", "Välj vad som var fel med artikeln."),
])
def test_missing_reason_is_explained_next_to_the_field_and_keeps_the_text(client, locale, message):
    article = {"en": ARTICLE, "sv": ARTICLE}[locale]
    response = client.post(f"/{locale}/feedback", data={"article": article, "comment": "Mitt paket <b>"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="reason-error">{message}' in html
    assert 'aria-describedby="reason-error"' in html
    assert "Mitt paket &lt;b&gt;</textarea>" in html


def test_reason_is_stored_and_thanked(client):
    response = client.post("/en/feedback", data={"article": ARTICLE, "reason": "unclear", "comment": "hm"})
    assert response.headers["Location"].endswith("?feedback=thanks#feedback")


def test_in_place_with_javascript(client):
    response = client.post("/en/feedback", data={"article": ARTICLE, "helpful": "no"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert 'name="reason"' in response.get_json()["html"]


def test_unknown_article_is_a_client_error(client):
    assert client.post("/en/feedback", data={"article": "nope"},
                       headers={"Accept": "application/json"}).status_code == 400
    assert client.post("/en/feedback", data={"article": "nope"}).status_code == 303


def test_votes_beyond_the_network_limit_are_thanked_for_but_not_counted(app_factory):
    """L1: 300 "not helpful" votes from one script were 300 votes (and 300 visits)."""
    from sqlalchemy import func, select

    from portal.models import Event

    app = app_factory(VOTE_LIMIT_PER_NETWORK="3 per hour")
    client = app.test_client()
    responses = [client.post("/en/feedback", data={"article": "delivery/track-your-order", "helpful": "no"})
                 for _ in range(6)]
    assert [r.status_code for r in responses] == [303] * 6
    assert all("feedback=" in r.headers["Location"] for r in responses)
    assert app.extensions["analytics"].flush()
    with app.extensions["db"].session() as session:
        votes = session.scalar(select(func.count()).select_from(Event).where(Event.type == "vote"))
    assert votes == 3
