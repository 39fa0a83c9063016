"""Near-identical wordings grouped by meaning when the search embedder is on."""

from __future__ import annotations

import datetime as dt

import numpy as np

from portal.learning.evidence import Evidence, question_key
from portal.learning.grouping import leaders, merge_by_meaning
from portal.learning.proposals import candidates
from portal.search.embedding import EmbedderUnavailable

SAME = np.array([1.0, 0.0, 0.0], dtype=np.float32)
NEAR = np.array([0.96, 0.28, 0.0], dtype=np.float32)  # cosine 0.96 with SAME
OTHER = np.array([0.0, 0.0, 1.0], dtype=np.float32)


class Meanings:
    """A model that knows the meaning of a few wordings (the real one is in tests/search)."""

    model_id = "meanings"

    def __init__(self, vectors):
        self.vectors = vectors

    def embed_query(self, text):
        return self.vectors[text]


class Broken:
    model_id = "broken"

    def embed_query(self, text):
        raise EmbedderUnavailable("no model file")


def test_wordings_that_mean_the_same_follow_the_first():
    embedder = Meanings({"gift wrapping": SAME, "wrap my present": NEAR, "refund time": OTHER})
    assert leaders(["gift wrapping", "refund time", "wrap my present"], embedder) == [0, 1, 0]


def test_without_a_model_every_wording_is_its_own_group():
    assert leaders(["gift wrapping", "wrap my present"], None) == [0, 1]
    assert leaders(["gift wrapping", "wrap my present"], Broken()) == [0, 1]


def test_evidence_of_rewordings_adds_up_to_a_proposal():
    evidence = Evidence()
    for visitor in range(3):
        for text in ("gift wrapping", "wrap my present"):
            evidence.add(question_key("en", text), text, "orders/gift-cards", f"{text}-{visitor}")
    assert candidates({"en": evidence}, 5) == []
    merge_by_meaning(evidence, Meanings({"gift wrapping": SAME, "wrap my present": NEAR}))
    (proposal,) = candidates({"en": evidence}, 5)
    assert (proposal.article_id, proposal.visits) == ("orders/gift-cards", 6)


def test_content_gaps_are_grouped_by_meaning(app_factory):
    from portal.learning.gaps import content_gaps

    app = app_factory()
    now = dt.datetime(2026, 11, 2, 10, 0)
    events = [{"type": "search", "visit_id": f"{n:032x}", "locale": "en", "result_count": 0,
               "created_at": now, "query": "gift wrapping" if n % 2 else "wrap my present"} for n in range(4)]
    assert app.extensions["analytics"].write(events)
    embedder = Meanings({"gift wrapping": SAME, "wrap my present": NEAR})
    with app.extensions["db"].session() as session:
        lexical = content_gaps(session, now, now + dt.timedelta(days=1))
        grouped = content_gaps(session, now, now + dt.timedelta(days=1), embedder=embedder)
    assert [g.visits for g in lexical] == [2, 2]
    assert [(g.visits, g.examples) for g in grouped] == [(4, ["gift wrapping", "wrap my present"])]
