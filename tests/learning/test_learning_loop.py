"""The whole loop through the real site: visits -> proposal -> accepted -> searchable."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.learning.visits import ARTICLE, ARTICLE_ID, PHRASE, WRONG, WRONG_ID, proposals, visit


@pytest.fixture
def app(app_factory):
    app = app_factory(VOTE_LIMIT_PER_NETWORK="10000 per hour")
    yield app
    assert app.extensions["analytics"].flush()
    app.extensions["db"].engine.dispose()


def first_hit(app, phrase=PHRASE):
    response = app.test_client().get("/api/v1/search", query_string={"q": phrase, "locale": "en"})
    hits = response.get_json()["results"]
    return hits[0]["id"] if hits else None


def test_five_visitors_teach_the_help_centre_a_question(app):
    assert first_hit(app) != ARTICLE_ID
    for _ in range(5):
        visit(app)
    (proposal,) = proposals(app)
    assert (proposal["locale"], proposal["query"], proposal["article"], proposal["visits"]) == (
        "en", PHRASE, ARTICLE_ID, 5)
    runner = app.test_cli_runner()
    accepted = runner.invoke(args=["learn", "accept", str(proposal["id"])])
    assert accepted.exit_code == 0 and "accepted" in accepted.output
    assert first_hit(app) != ARTICLE_ID  # not before the next index build
    built = runner.invoke(args=["search", "build"])
    assert built.exit_code == 0, built.output
    assert first_hit(app) == ARTICLE_ID
    assert proposals(app) == []


def test_four_visitors_are_not_enough(app):
    for _ in range(4):
        visit(app)
    assert proposals(app) == []


def test_one_visitor_repeating_a_hundred_times_proposes_nothing(app):
    client = app.test_client()
    for _ in range(100):
        visit(app, client=client)
    assert proposals(app) == []


def test_visits_that_ask_not_to_be_tracked_count_nothing(app):
    for _ in range(6):
        visit(app, headers={"DNT": "1"})
    assert proposals(app) == []


def test_ten_percent_wrong_evidence_does_not_outvote_the_right_article(app):
    for number in range(50):
        if number % 10 == 0:
            visit(app, path=WRONG, article_id=WRONG_ID)
        else:
            visit(app)
    # The wrong article has k = 5 visitors too, but the question goes to the one most found.
    assert [(p["article"], p["visits"]) for p in proposals(app)] == [(ARTICLE_ID, 45)]


def test_a_visit_voting_everything_helpful_is_not_evidence(app):
    for _ in range(5):
        client = visit(app)
        for other in ("returns/return-an-item", "account/reset-password", "delivery/delivery-countries"):
            client.post("/en/feedback", data={"article": other, "helpful": "yes"})
    assert proposals(app) == []


def test_finding_it_in_the_question_s_own_results_is_not_evidence(app):
    for _ in range(5):
        visit(app, path=ARTICLE + "?from=search&position=3")
    assert proposals(app) == []


def test_a_later_search_that_finds_it_is_evidence_for_the_first(app):
    for _ in range(5):
        client = app.test_client()
        client.get("/en/search", query_string={"q": PHRASE})
        client.get("/en/search", query_string={"q": "track order"})
        client.get(ARTICLE + "?from=search&position=1")
        client.post("/en/feedback", data={"article": ARTICLE_ID, "helpful": "yes"})
    assert [(p["query"], p["article"]) for p in proposals(app)] == [(PHRASE, ARTICLE_ID)]


def test_word_forms_case_and_punctuation_are_one_question(app):
    for phrase in ("Flibbertigibbet wombats?", "flibbertigibbet wombat", "FLIBBERTIGIBBET, WOMBAT",
                   "wombat flibbertigibbet", "flibbertigibbet wombat!"):
        visit(app, phrase=phrase)
    (proposal,) = proposals(app)
    assert proposal["visits"] == 5 and proposal["query"] == "flibbertigibbet wombat"


def test_questions_with_a_customer_s_details_are_never_learned(app):
    for _ in range(5):
        visit(app, phrase="flibbertigibbet order NV-4821377")
    assert proposals(app) == []


def test_a_rejected_question_is_never_proposed_again(app):
    for _ in range(5):
        visit(app)
    (proposal,) = proposals(app)
    assert app.test_cli_runner().invoke(args=["learn", "reject", str(proposal["id"])]).exit_code == 0
    for _ in range(5):
        visit(app)
    assert proposals(app) == []
    (rejected,) = proposals(app, "--status", "rejected")
    assert rejected["id"] == proposal["id"]


def test_not_contacting_within_24_hours_is_evidence_and_contacting_is_not(app):
    now = [dt.datetime(2026, 11, 2, 10, 0)]
    app.extensions["analytics"].clock = lambda: now[0]
    for _ in range(5):
        visit(app, helpful=None)
    assert proposals(app) == []  # their 24 hours are not over yet
    now[0] += dt.timedelta(hours=25)
    assert [p["visits"] for p in proposals(app)] == [5]


def test_unknown_ids_and_locales_are_clear_errors(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["learn", "accept", "999"])
    assert result.exit_code != 0 and "no learned question 999" in result.output
    result = runner.invoke(args=["learn", "list", "--locale", "xx"])
    assert result.exit_code != 0 and "not a site locale" in result.output


def test_a_question_search_already_answers_with_that_article_is_not_proposed(app):
    assert first_hit(app, "track my order") == ARTICLE_ID
    for _ in range(5):
        visit(app, phrase="track my order")
    assert proposals(app) == []


def test_k_is_configurable(app_factory):
    app = app_factory(LEARN_MIN_VISITS=3)
    for _ in range(3):
        visit(app)
    assert [p["visits"] for p in proposals(app)] == [3]
    app.extensions["db"].engine.dispose()


def test_the_settings_come_from_the_environment(monkeypatch):
    from portal.config import Config

    monkeypatch.setenv("PORTAL_LEARN_MIN_VISITS", "7")
    monkeypatch.setenv("PORTAL_LEARN_WINDOW_DAYS", "30")
    config = Config().as_dict()
    assert (config["LEARN_MIN_VISITS"], config["LEARN_WINDOW_DAYS"]) == (7, 30)
