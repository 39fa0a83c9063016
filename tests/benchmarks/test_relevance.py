"""The relevance benchmark's baselines: the fair FTS5 gets the portal's analysis and field weights."""

from __future__ import annotations

import pytest

from bench.relevance import FairFts5Baseline, Fts5Baseline, evaluate, score
from portal.content.model import Article


def article(slug, *, locale="pl", title="", body="", questions=(), tags=()):
    return Article(id=f"help/{slug}", locale=locale, category="help", title=title, slug=slug,
                   description="", body_text=body, html="", questions=questions, tags=tags)


def test_fair_baseline_matches_inflected_forms_the_plain_one_misses():
    """'zwrotu' meets 'zwrot' only through the portal's stems."""
    articles = [article("zwrot", title="Zwrot", body="Jak oddać towar."),
                article("dostawa", title="Dostawa", body="Kurier przywiezie.")]
    assert Fts5Baseline(articles).query("pl", "zwrotu") == []
    assert FairFts5Baseline(articles).query("pl", "zwrotu") == ["help/zwrot"]


def test_fair_baseline_drops_stop_words():
    """A query of stop words only finds nothing, as in the portal, instead of every article."""
    articles = [article("a", locale="en", title="How to track the parcel", body="the and of")]
    assert Fts5Baseline(articles).query("en", "the") == ["help/a"]
    assert FairFts5Baseline(articles).query("en", "the") == []


@pytest.mark.parametrize("field", ["title", "questions"])
def test_fair_baseline_weighs_title_and_questions_above_body(field):
    """Same word, same lengths: the article that has it in a heavier field ranks first."""
    heavy = {"title": {"title": "parcel tracking guide"},
             "questions": {"title": "tracking guide here", "questions": ("parcel",)}}[field]
    articles = [article("in-body", locale="en", title="tracking guide here", body="parcel"),
                article("heavy", locale="en", body="words", **heavy)]
    assert FairFts5Baseline(articles).query("en", "parcel") == ["help/heavy", "help/in-body"]


def test_score_counts_reciprocal_rank_within_ten():
    queries = [{"id": "q1"}, {"id": "q2"}, {"id": "q3"}]
    relevant = {"q1": {"a"}, "q2": {"a"}, "q3": {"a"}}
    rankings = {"q1": ["a"], "q2": ["b", "a"], "q3": [f"x{i}" for i in range(10)] + ["a"]}
    assert score(rankings, queries, relevant)["MRR@10"] == pytest.approx((1 + 0.5 + 0) / 3)


def test_evaluate_scores_each_named_backend_beside_both_baselines(tmp_path):
    """Every --backend name is made by make_backend() and measured beside fts5 and fts5-fair."""
    content = tmp_path / "content"
    delivery = content / "en" / "delivery"
    delivery.mkdir(parents=True)
    (content / "site.yml").write_text("name: Test\ndefault_locale: en\nlocales: [en]\n")
    (delivery / "track.md").write_text("---\ntitle: Track your parcel\n---\nUse the link.\n")
    (delivery / "cost.md").write_text("---\ntitle: Delivery costs\n---\nShipping fees.\n")
    (tmp_path / "queries.jsonl").write_text('{"id": "q1", "text": "where is my parcel", "locale": "en"}\n')
    (tmp_path / "qrels.tsv").write_text("query-id\tarticle-id\nq1\tdelivery/track\n")
    result = evaluate(tmp_path, ["tantivy", "whoosh", "null"])
    assert result["fts5"]["MRR@10"] == result["fts5-fair"]["MRR@10"] == 1.0
    assert result["backends"]["tantivy"]["MRR@10"] == result["backends"]["whoosh"]["MRR@10"] == 1.0
    assert result["backends"]["null"]["MRR@10"] == 0.0
