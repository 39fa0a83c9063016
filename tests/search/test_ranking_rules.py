"""One test per documented ranking rule (docs/search.md), on every engine: the rule decides
the first result, and the same test with the rule switched off ranks otherwise, so a rule
that stops working cannot go unnoticed."""

from __future__ import annotations

import pytest

from portal.search import builds, planner
from portal.search.fields import STEM_FIELDS

from .helpers import ids

SITE = "name: Zoo shop\ndefault_locale: en\nlocales: [en, sv]\n"


def _site(tmp_path, articles: dict[str, str], locale="en"):
    """A content folder of `articles` ({'category/slug': 'front matter and body'}), all in one
    locale, written in sorted order: the index keeps that order, so ties put the first id first."""
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    (content / "site.yml").write_text(SITE, "utf-8")
    for article_id, text in articles.items():
        path = content / locale / f"{article_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return content


def _ranking(make_search, content, locale, query):
    from .helpers import build_from

    backend = make_search(SEARCH_BUILTIN_SYNONYMS=False)
    build_from(backend, content)
    return backend.query(locale, query)


def _article(title, body, questions=(), tags=()):
    front = [f"title: {title}"]
    if questions:
        front.append("questions:\n" + "".join(f"  - {q}\n" for q in questions).rstrip("\n"))
    if tags:
        front.append(f"tags: [{', '.join(tags)}]")
    return "---\n" + "\n".join(front) + "\n---\n" + body + "\n"


@pytest.fixture(params=["rule on", "rule off"])
def switched(request):
    return request.param == "rule on"


def test_field_weights_questions_then_title_then_tags_then_body(make_search, tmp_path, monkeypatch, switched):
    """The same word counts most in `questions:`, then the title, tags and body: each article
    has 'yak' in one field, everything else of the same length (a word too short for pieces,
    which tags do not have)."""
    filler = "plain words about nothing in particular here"
    content = _site(tmp_path, {
        "a/body": _article("Animal care", f"yak {filler}", ["what about cats"], ["mammal"]),
        "b/tags": _article("Animal care", f"cat {filler}", ["what about cats"], ["yak"]),
        "c/title": _article("Yak care", f"cat {filler}", ["what about cats"], ["mammal"]),
        "d/questions": _article("Animal care", f"cat {filler}", ["what about yak"], ["mammal"]),
    })
    if not switched:
        for name in STEM_FIELDS:
            monkeypatch.setitem(STEM_FIELDS, name, 1.0)
    found = ids(_ranking(make_search, content, "en", "yak"))
    if switched:
        assert found == ["d/questions", "c/title", "b/tags", "a/body"]
    else:
        assert found != ["d/questions", "c/title", "b/tags", "a/body"]


def test_word_pieces_find_a_compound(make_search, tmp_path, monkeypatch, switched):
    """Swedish 'frakt' finds 'returfrakten' only through their shared four-letter pieces."""
    content = _site(tmp_path, {
        "a/other": _article("Öppettider", "Vi har öppet varje dag."),
        "b/compound": _article("Vad kostar returen", "Returfrakten betalar du själv."),
    }, locale="sv")
    if not switched:
        monkeypatch.setattr(planner, "GRAM_WEIGHT", 0.0)
    found = ids(_ranking(make_search, content, "sv", "frakt"))
    assert (found[:1] == ["b/compound"]) is switched


def test_an_exact_word_beats_another_word_with_the_same_stem(make_search, tmp_path, monkeypatch, switched):
    """'run' and 'runs' share the stem 'run': the article with the very word typed comes first."""
    content = _site(tmp_path, {
        "a/runs": _article("Sizes", "It runs small."),
        "b/run": _article("Sizes", "We run small."),
    })
    if not switched:
        monkeypatch.setattr(planner, "EXACT_WORD_WEIGHT", 0.0)
    found = ids(_ranking(make_search, content, "en", "run"))
    assert (found[:1] == ["b/run"]) is switched


def test_a_corrected_word_counts_less_than_a_typed_one(make_search, tmp_path, monkeypatch, switched):
    """'zebar tiger': 'tiger' as typed outweighs 'zebra' as corrected, though both articles are
    alike and the zebra one comes first in the index."""
    content = _site(tmp_path, {
        "a/zebra": _article("Animals", "A zebra lives here."),
        "b/tiger": _article("Animals", "A tiger lives here."),
    })
    if not switched:
        monkeypatch.setattr(planner, "TYPO_WEIGHT", 1.0)
    results = _ranking(make_search, content, "en", "zebar tiger")
    assert results.suggestion == "zebra tiger"
    assert (ids(results)[:1] == ["b/tiger"]) is switched


def test_a_whole_question_finds_its_article(make_search, tmp_path, monkeypatch, switched):
    """Asking exactly an article's `questions:` line finds that article first, even where
    another article uses the same words more."""
    content = _site(tmp_path, {
        "a/words": _article("Paying later with an invoice", "Pay later: invoice, pay later, invoice later."),
        "b/asked": _article("Klarna", "Klarna lets you spread the cost.",
                            ["can I pay later with an invoice"]),
    })
    if not switched:
        monkeypatch.setattr(planner, "WHOLE_QUESTION_WEIGHT", 0.0)
    found = ids(_ranking(make_search, content, "en", "Can I pay later with an invoice?"))
    assert (found[:1] == ["b/asked"]) is switched


def test_articles_far_below_the_best_are_not_results(make_search, tmp_path, monkeypatch, switched):
    """'23 articles found' means 23 plausible answers: an article that only shares one common
    word with the question, far below the best, is not counted."""
    content = _site(tmp_path, {
        "a/best": _article("Zebra stripes and zebra food", "Zebra stripes, zebra food and the zebra herd.",
                           ["what do zebra stripes mean"]),
        "b/weak": _article("Opening hours", "Our shop is open every day; we sell food for people. " * 8),
    })
    if not switched:
        monkeypatch.setattr(builds, "MIN_RELATIVE_SCORE", 0.0)
    results = _ranking(make_search, content, "en", "zebra stripes food")
    assert ids(results)[:1] == ["a/best"]
    assert (results.total == 1) is switched


def test_a_synonym_stands_in_for_the_word(make_search, tmp_path, monkeypatch, switched):
    """An article that only uses a synonym of the customer's word is found, weighed like the word."""
    content = _site(tmp_path, {
        "a/other": _article("Sizes", "How the sizes fit."),
        "b/refund": _article("Money back", "When your refund is paid."),
    })
    (content / "en" / "synonyms.txt").write_text("reimbursement = refund\n", "utf-8")
    if not switched:
        monkeypatch.setattr(planner, "SYNONYM_WEIGHT", 0.0)
    found = ids(_ranking(make_search, content, "en", "reimbursement"))
    assert (found[:1] == ["b/refund"]) is switched


def test_a_compound_is_found_by_its_parts(make_search, tmp_path, monkeypatch, switched):
    """Swedish compounds are split into known words on both sides: 'säkerhetsnivån' finds the
    article about 'säkerhet' and 'nivå', even with word pieces left out."""
    content = _site(tmp_path, {
        "a/other": _article("Öppettider", "Vi har öppet varje dag och svarar snabbt."),
        "b/parts": _article("Inloggning", "Vilken nivå av säkerhet krävs för e-legitimation?"),
    }, locale="sv")
    monkeypatch.setattr(planner, "GRAM_WEIGHT", 0.0)
    if not switched:
        monkeypatch.setattr(planner, "COMPOUND_PART_WEIGHT", 0.0)
    found = ids(_ranking(make_search, content, "sv", "säkerhetsnivån"))
    assert (found[:1] == ["b/parts"]) is switched
