"""Every search engine on small fixture folders: ranking, synonyms, typos, filters, rebuilds, the contract."""

from __future__ import annotations

import json
import re
import shutil
import threading

import pytest

from portal.config import Config
from portal.content.loader import load_content
from portal.search import make_backend
from portal.search.builds import IndexMismatch
from portal.search.interface import Hit, NullSearch, SearchResults, SearchUnavailable
from portal.search.planner import BestOf, Term, rarest_first

from .helpers import BASIC, ENGINES, MANY, MORE_LOCALES, build_from, ids

# -- ranking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, question, article",
    [
        ("en", "where is my parcel", "delivery/track-parcel"),
        ("en", "How do I return an item?", "returns/return-an-item"),
        ("sv", "hur returnerar jag", "returns/return-an-item"),
        ("da", "hvor er pakken", "delivery/track-parcel"),
        ("pl", "gdzie jest moja paczka", "delivery/track-parcel"),
    ],
)
def test_natural_question_ranks_the_right_article_first(basic_index, locale, question, article):
    """A customer's whole question, stop words and all, puts the answering article on top."""
    assert ids(basic_index.query(locale, question))[:1] == [article]


def test_question_alias_outweighs_a_mention_in_the_body(basic_index):
    """'subscription' in an article's `questions:` beats the same word once in another's body."""
    found = ids(basic_index.query("en", "subscription"))
    assert found == ["payments/klarna", "payments/payment-methods"]


def test_not_every_word_must_match(basic_index):
    """A word no article has does not hide the articles that match the others."""
    assert ids(basic_index.query("en", "track parcel unicorn"))[:1] == ["delivery/track-parcel"]


def test_snippet_marks_matched_words_and_escapes_text(basic_index):
    """Snippets are HTML: matched words in <mark>, the article's own '&' escaped."""
    snippet = basic_index.query("en", "lockers").hits[0].snippet
    assert re.search(r'<mark class="match term\d+">Lockers</mark> &amp; pickup points', snippet)
    assert " & " not in snippet


# -- synonyms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, query, article",
    [
        ("en", "money back", "returns/refund-times"),  # refund = money back
        ("sv", "paket", "delivery/track-parcel"),  # paket = försändelse
        ("sv", "paketet", "delivery/track-parcel"),  # inflected, still the synonym
    ],
)
def test_synonyms_find_articles_that_use_the_other_phrase(
    basic_index, basic_index_without_synonyms, locale, query, article
):
    """synonyms.txt lets a query find an article with none of its words; without it, no match."""
    assert article in ids(basic_index.query(locale, query))
    assert article not in ids(basic_index_without_synonyms.query(locale, query))


def test_a_partial_synonym_phrase_does_not_expand(basic_index):
    """Only the whole phrase 'money back' stands for 'refund', not 'money' on its own."""
    assert "returns/refund-times" not in ids(basic_index.query("en", "money"))


@pytest.mark.parametrize(
    "locale, query, article",
    [
        ("en", "reimbursement", "returns/refund-times"),  # refund = reimbursement
        ("sv", "kolli", "delivery/track-parcel"),  # paket = försändelse, kolli
        ("da", "forsendelse", "delivery/track-parcel"),  # pakke = forsendelse
        ("pl", "pakunek", "delivery/track-parcel"),  # paczka = przesyłka, pakunek
    ],
)
def test_builtin_shop_vocabulary_works_without_editor_synonyms(
    basic_index_builtin_synonyms, basic_index_without_synonyms, locale, query, article
):
    """With no synonyms.txt, the built-in vocabulary of the locale's language still finds the
    article by a word it does not use; without it, the article is not found."""
    assert ids(basic_index_builtin_synonyms.query(locale, query))[:1] == [article]
    assert article not in ids(basic_index_without_synonyms.query(locale, query))


def test_builtin_synonyms_can_be_switched_off(tmp_path):
    """PORTAL_SEARCH_BUILTIN_SYNONYMS=off keeps only the editors' synonyms; unset, they are on."""
    assert Config({}).SEARCH_BUILTIN_SYNONYMS is True
    backend = make_backend(Config({"PORTAL_SEARCH_BUILTIN_SYNONYMS": "off",
                                   "PORTAL_DATA_DIR": str(tmp_path)}).as_dict())
    try:
        build_from(backend, BASIC)
        assert "returns/refund-times" not in ids(backend.query("en", "reimbursement"))
        assert "returns/refund-times" in ids(backend.query("en", "money back")), "the editors' group stays"
    finally:
        backend.close()


def test_a_synonym_counts_once_however_many_groups_offer_it(basic_index, basic_index_builtin_synonyms):
    """search-basic's own 'refund = money back' repeats a built-in group: the refund article
    scores the same as with the built-in group alone, not twice as much."""

    def refund_score(index):
        scores = {hit.article_id: hit.score for hit in index.query("en", "money back").hits}
        return scores["returns/refund-times"]

    assert refund_score(basic_index) == refund_score(basic_index_builtin_synonyms) > 0


def test_only_the_best_synonym_of_a_word_counts(make_search, tmp_path):
    """An article with two synonyms of 'bill' scores as with its best one, not their sum: a
    word with many synonyms must not outweigh the rest of the question."""
    content = tmp_path / "content"
    (content / "en" / "documents").mkdir(parents=True)
    (content / "site.yml").write_text("name: Shop\ndefault_locale: en\nlocales: [en]\n", "utf-8")
    (content / "en" / "synonyms.txt").write_text("bill = invoice, receipt\n", "utf-8")
    (content / "en" / "documents" / "copies.md").write_text(
        "---\ntitle: Invoice and receipt copies\n---\nDownload an invoice or a receipt.\n", "utf-8")
    (content / "en" / "documents" / "other.md").write_text(
        "---\ntitle: Other\n---\nSomething else.\n", "utf-8")
    backend = make_search(SEARCH_BUILTIN_SYNONYMS=False)
    build_from(backend, content)
    opened = backend._index("en")
    [best_of] = [c for c in opened.planner.query("bill").clauses if isinstance(c, BestOf)]
    score = _scores_by_article(opened, [best_of])["documents/copies"]
    each = [_scores_by_article(opened, [BestOf((option,))])["documents/copies"] for option in best_of.options]
    assert len(each) == 2 and all(each)
    assert score == pytest.approx(max(each)) and score < sum(each)


def _scores_by_article(opened, clauses):
    return {opened.ids[number]: score for number, score in opened.engine_index.search(clauses, 100)}


def test_snippets_mark_the_synonym_that_found_the_article(basic_index_builtin_synonyms):
    """Searching 'reimbursement' highlights 'refund', the word the article uses."""
    snippet = basic_index_builtin_synonyms.query("en", "reimbursement").hits[0].snippet
    assert re.search(r'<mark class="match term\d+">refund</mark>', snippet)


# -- typos ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, typed, suggestion",
    [("en", "retrun", "return"), ("en", "retrun an item", "return an item")],
)
def test_typo_gets_a_suggestion_from_the_index_vocabulary(basic_index, locale, typed, suggestion):
    """'did you mean' offers the indexed spelling."""
    assert basic_index.query(locale, typed).suggestion == suggestion


def test_typo_falls_back_to_fuzzy_matching(basic_index):
    """When the exact words find too little, typo-tolerant results say so and find the article."""
    results = basic_index.query("en", "retrun")
    assert results.fuzzy is True
    assert ids(results)[:1] == ["returns/return-an-item"]


@pytest.mark.parametrize(
    "locale, query",
    [
        pytest.param("en", "where is my parcel", id="en-plain"),
        pytest.param("en", "my package hasn't arrived", id="en-contraction"),
        pytest.param("en", "returns", id="en-plural-of-indexed-word"),
        pytest.param("sv", "returnerar", id="sv-inflection-of-indexed-word"),
        pytest.param("pl", "paczki", id="pl-inflection-of-indexed-word"),
        pytest.param("sv", "hur skickar jag tillbaka", id="sv-stop-word"),
    ],
)
def test_correctly_spelled_query_gets_no_suggestion(basic_index, locale, query):
    """No 'did you mean' (and no fuzzy mode) for words that are spelled right and match by stem."""
    results = basic_index.query(locale, query)
    assert results.total >= 1
    assert (results.suggestion, results.fuzzy) == (None, False)


# -- filters, pages, facets -------------------------------------------------------------


def test_category_filter_keeps_only_that_category(basic_index):
    """category= returns the matches of one category, with their total."""
    everything = basic_index.query("en", "parcel")
    returns_only = basic_index.query("en", "parcel", category="returns")
    assert set(ids(everything)) >= {"delivery/track-parcel", "returns/return-an-item"}
    assert ids(returns_only) == ["returns/return-an-item"]
    assert returns_only.total == everything.categories["returns"] == 1


def test_unknown_category_filter_finds_nothing(basic_index):
    """A category no article has filters everything out (the page and API check names first)."""
    assert basic_index.query("en", "parcel", category="no-such-category").total == 0


def test_categories_count_every_match(many_index, basic_index):
    """`categories` counts all matches per category, not only the page shown."""
    one_page = many_index.query("en", "voucher", limit=5)
    assert one_page.categories == {"vouchers": 23} and len(one_page.hits) == 5
    results = basic_index.query("en", "parcel", limit=50)
    counted = {}
    for article_id in ids(results):
        category = article_id.split("/")[0]
        counted[category] = counted.get(category, 0) + 1
    assert results.categories == counted
    assert sum(results.categories.values()) == results.total


@pytest.mark.parametrize("page_size", [1, 5, 10])
def test_pages_add_up_to_the_whole_ranking(many_index, page_size):
    """offset/limit pages are consecutive slices of one ranking: no gaps, no repeats."""
    whole = ids(many_index.query("en", "voucher", limit=50))
    assert len(whole) == 23
    paged = []
    for offset in range(0, 30, page_size):
        page = many_index.query("en", "voucher", limit=page_size, offset=offset)
        assert page.total == 23
        assert len(page.hits) <= page_size
        paged.extend(ids(page))
    assert paged == whole


def test_offset_past_the_end_is_empty(many_index):
    """A page after the last one is empty but still reports the total."""
    results = many_index.query("en", "voucher", limit=10, offset=40)
    assert (results.total, results.hits) == (23, ())


def test_scores_are_descending(many_index):
    """Hits come best first, and the scores really differ (term counts differ)."""
    scores = [hit.score for hit in many_index.query("en", "voucher", limit=50).hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


# -- what is indexed --------------------------------------------------------------------


def test_drafts_are_not_indexed(basic_index):
    """A draft's words find nothing, and it is never a hit."""
    assert basic_index.query("en", "zebracorn").total == 0
    assert "delivery/secret-draft" not in ids(basic_index.query("en", "delivery", limit=50))


@pytest.mark.parametrize("query", ["", "   ", "the", "how is the", "?!", "*", "AND (", "~"])
def test_query_without_searchable_words_finds_nothing(basic_index, query):
    """Empty, stop-word-only or punctuation-only queries answer 0 results, not an error."""
    results = basic_index.query("en", query)
    assert (results.total, results.hits) == (0, ())


def test_locale_without_articles_finds_nothing(basic_index):
    """A locale the index has no folder for answers an empty result."""
    assert basic_index.query("de", "paket").total == 0


def test_a_typo_is_not_corrected_to_a_stop_word(basic_index):
    """'thw' is one letter from 'the', but a stop word answers no question."""
    assert basic_index.query("en", "thw parcel").suggestion is None


def test_pieces_in_most_articles_of_a_large_index_are_not_read(make_search, content_copy):
    """Word pieces in more than 5 % of the articles (and more than 50) say little and cost the
    most: a query leaves them out. Stop words as written are never asked for."""
    folder = content_copy("search-many")
    for number in range(24, 61):
        (folder / "en" / "vouchers" / f"voucher-{number}.md").write_text(
            f"---\ntitle: Voucher question {number}\n---\nAnswer {number} about using a voucher\n", "utf-8")
    backend = make_search()
    build_from(backend, folder)
    plan = backend._index("en").planner.query("the voucher")
    terms = {(clause.field, clause.text) for clause in plan.clauses if isinstance(clause, Term)}
    assert ("words", "voucher") in terms and ("words", "the") not in terms
    assert not [text for field, text in terms if field == "grams"], "every piece of 'voucher' is in all 60"
    assert backend.query("en", "the voucher").total == 60
    assert backend.query("en", "the voucher").suggestion is None


def test_a_small_index_keeps_its_common_pieces(many_index):
    """Under 50 articles every piece is cheap to read and kept, even one in every article."""
    plan = many_index._index("en").planner.query("voucher")
    pieces = {c.text for c in plan.clauses if isinstance(c, Term) and c.field == "grams"}
    assert pieces == {"vouc", "ouch", "uche", "cher"}


def test_ties_between_rare_terms_break_the_same_way_in_every_process():
    """A query reads at most MAX_GRAMS pieces; which ones must not depend on a set's order,
    which changes from process to process, or two workers would rank differently."""
    frequency = {"gbbbb": 2, "gaaaa": 2, "gcccc": 1, "gdddd": 9}
    assert rarest_first(frequency, 5, keep_one=True) == ["gcccc", "gaaaa", "gbbbb"]
    assert rarest_first(dict(reversed(frequency.items())), 5, limit=2) == ["gcccc", "gaaaa"]


# -- rebuilding -------------------------------------------------------------------------


NEW_WORDS = ("aardvark", "bison", "capybara")  # no two within typo distance of each other


def _rewrite(folder, word):
    """Give the tracking article a new word; 'parcel' stays."""
    path = folder / "en" / "delivery" / "track-parcel.md"
    original = path.read_text("utf-8").split("\nNew word:", 1)[0].rstrip("\n")
    path.write_text(f"{original}\nNew word: {word}.\n", "utf-8")


def test_rebuild_is_atomic_under_concurrent_queries(make_search, content_copy):
    """Threads querying during three rebuilds always get a valid answer; then the new content."""
    folder = content_copy("search-basic")
    backend = make_search()
    build_from(backend, folder)
    queries = [("en", "parcel", "delivery/track-parcel"), ("en", "retrun", "returns/return-an-item"),
               ("sv", "paket", "delivery/track-parcel"), ("pl", "zwrocic", "returns/return-an-item")]
    stop = threading.Event()
    errors, answered = [], [threading.Event() for _ in range(len(queries) * 2)]

    def keep_querying(number, locale, text, expected):
        while not stop.is_set():
            try:
                results = backend.query(locale, text)
                assert isinstance(results, SearchResults)
                assert expected in ids(results), (text, ids(results))
            except Exception as error:  # reported by the main thread
                errors.append(error)
                return
            finally:
                answered[number].set()

    threads = [threading.Thread(target=keep_querying, args=(number, *queries[number % len(queries)]))
               for number in range(len(answered))]
    for thread in threads:
        thread.start()
    try:
        for event in answered:
            event.wait()
        for word in NEW_WORDS:
            _rewrite(folder, word)
            build_from(backend, folder)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert ids(backend.query("en", "capybara")) == ["delivery/track-parcel"]
    assert backend.query("en", "aardvark").total == 0


def test_another_instance_sees_a_rebuild(make_search, content_copy, tmp_path):
    """A second process on the same data folder switches to the first one's new build."""
    folder = content_copy("search-basic")
    builder, reader = make_search(tmp_path / "shared"), make_search(tmp_path / "shared")
    build_from(builder, folder)
    assert reader.query("en", "aardvark").total == 0  # warm: the reader has the old build open
    _rewrite(folder, "aardvark")
    name = build_from(builder, folder)
    assert reader.generation() == builder.generation() == name
    assert ids(reader.query("en", "aardvark")) == ["delivery/track-parcel"]


def test_generation_changes_with_each_build(make_search):
    """Each build gets a new generation name, which caches key on."""
    backend = make_search()
    first = build_from(backend, BASIC)
    second = build_from(backend, BASIC)
    assert first != second and backend.generation() == second


# -- unavailable index ------------------------------------------------------------------


def test_missing_index_raises_search_unavailable(make_search):
    """Before any build, searching raises SearchUnavailable (a 503), not an engine error."""
    backend = make_search()
    assert backend.available() is False
    with pytest.raises(SearchUnavailable):
        backend.query("en", "parcel")
    with pytest.raises(SearchUnavailable):
        backend.suggest("en", "parc")


def _delete_files(build_folder):
    for path in sorted(build_folder.rglob("*"), reverse=True):
        if path.is_file():
            path.unlink()


def _delete_engine_files(build_folder):
    for path in (build_folder / "en" / "engine").iterdir():
        path.unlink()


@pytest.mark.parametrize("damage", [_delete_files, _delete_engine_files, shutil.rmtree],
                         ids=["files-deleted", "engine-files-deleted", "folder-deleted"])
def test_corrupt_index_raises_search_unavailable_until_rebuilt(make_search, tmp_path, damage):
    """A damaged live build is reported as unavailable, not as a crash; build() repairs it."""
    data_dir = tmp_path / "damaged"
    name = build_from(make_search(data_dir), BASIC)
    damage(data_dir / "index" / name)
    restarted = make_search(data_dir)
    with pytest.raises(SearchUnavailable):
        restarted.query("en", "parcel")
    build_from(restarted, BASIC)
    assert ids(restarted.query("en", "parcel"))[:1] == ["delivery/track-parcel"]


# -- the interface, over every backend --------------------------------------------------


@pytest.fixture(params=[*ENGINES, "null"])
def any_backend(request, tmp_path):
    """Each backend make_backend() offers, built from search-basic."""
    backend = make_backend({"SEARCH_BACKEND": request.param, "DATA_DIR": tmp_path})
    loaded = load_content(BASIC)
    backend.build(loaded.articles, loaded.site.synonyms)
    yield backend
    getattr(backend, "close", lambda: None)()


@pytest.mark.parametrize("locale, query", [("en", "parcel"), ("sv", "paket"), ("en", "the"), ("de", "x")])
def test_backend_contract(any_backend, locale, query):
    """Every backend answers SearchResults for the asked locale, within limit, published ids only."""
    published = {a.id for a in load_content(BASIC).articles if not a.draft}
    generation = any_backend.generation()
    results = any_backend.query(locale, query, limit=1)
    assert isinstance(results, SearchResults)
    assert results.locale == locale
    assert results.total >= len(results.hits) and len(results.hits) <= 1
    assert all(isinstance(hit, Hit) and hit.article_id in published for hit in results.hits)
    assert isinstance(generation, str) and generation
    assert any_backend.generation() == generation  # a query does not change the generation


@pytest.mark.parametrize("query", ["", "the"])
def test_backend_contract_nothing_to_search(any_backend, query):
    """Every backend answers an empty or stop-word-only query with no results."""
    assert any_backend.query("en", query).total == 0


def test_null_search_finds_nothing(any_backend):
    """NullSearch answers zero results; every engine finds the article (so the check is not vacuous)."""
    results = any_backend.query("en", "where is my parcel")
    if isinstance(any_backend, NullSearch):
        assert (results.total, results.hits, results.suggestion) == (0, (), None)
    else:
        assert ids(results)[:1] == ["delivery/track-parcel"]


@pytest.mark.parametrize("folder", [BASIC, MANY, MORE_LOCALES], ids=lambda folder: folder.name)
def test_fixture_folder_loads_cleanly(folder):
    """Guards the fixtures: every file is read without a problem, so the tests see all of them."""
    assert load_content(folder).problems == []


# -- index format -----------------------------------------------------------------------


def test_an_index_of_another_engine_is_refused_with_a_clear_message(make_search, tmp_path, engine):
    """A build another engine wrote is never half-read: it is refused, naming the command that fixes it."""
    other = "whoosh" if engine == "tantivy" else "tantivy"
    data_dir = tmp_path / "switched"
    built = make_backend({"SEARCH_BACKEND": other, "DATA_DIR": data_dir})
    build_from(built, BASIC)
    built.close()
    backend = make_search(data_dir)
    assert backend.available() is False
    with pytest.raises(IndexMismatch, match=rf"built by {other} .*flask --app portal search build"):
        backend.query("en", "parcel")
    build_from(backend, BASIC)
    assert backend.available() and ids(backend.query("en", "parcel"))[:1] == ["delivery/track-parcel"]


@pytest.mark.parametrize("signature", [None, {"format": 1, "engine": "tantivy"}],
                         ids=["no-signature", "format-1"])
def test_an_index_of_an_older_format_is_refused(make_search, tmp_path, signature):
    """An index written before the format was recorded, or by an older format, is refused."""
    data_dir = tmp_path / "old"
    backend = make_search(data_dir)
    name = build_from(backend, BASIC)
    marker = data_dir / "index" / name / "build.json"
    if signature is None:
        marker.unlink()
    else:
        marker.write_text(json.dumps(signature))
    restarted = make_search(data_dir)
    with pytest.raises(IndexMismatch, match="search build"):
        restarted.suggest("en", "parc")


def test_the_app_rebuilds_an_index_it_cannot_read_when_it_starts(app_factory, tmp_path, engine):
    """An index left by another engine is rebuilt when the portal starts, not served half-read."""
    other = "whoosh" if engine == "tantivy" else "tantivy"
    build_from(make_backend({"SEARCH_BACKEND": other, "DATA_DIR": tmp_path / "instance"}), BASIC)
    app = app_factory(BASIC, SEARCH_BACKEND=engine, MIGRATE=False)
    backend = app.extensions["search"].backend
    assert backend.available()
    assert ids(backend.query("en", "where is my parcel"))[:1] == ["delivery/track-parcel"]


def test_a_programming_error_is_not_reported_as_an_unavailable_index(make_search, monkeypatch):
    """Only the errors of files changing underneath mean 'unavailable': a bug stays a bug."""
    backend = make_search()
    build_from(backend, BASIC)
    backend.close()

    def broken(folder):
        raise TypeError("a bug")

    monkeypatch.setattr(backend.engine, "open", broken)
    with pytest.raises(TypeError, match="a bug"):
        backend.query("en", "parcel")
