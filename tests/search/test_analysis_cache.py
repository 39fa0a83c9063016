"""The analysis kept between builds: only changed articles analysed, the same index as from scratch."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from itertools import pairwise

import pytest

from portal.content.loader import load_content
from portal.content.model import Article
from portal.search import analysis_cache, builds
from portal.search.analysis import term_function
from portal.search.analysis_cache import AnalysisCache, LocaleAnalysis, update
from portal.search.fields import PARTS_FIELD

from .helpers import BASIC, ids


@pytest.fixture
def analysed(monkeypatch):
    """The articles analysed (by id), build after build."""
    seen = []
    analyse = analysis_cache.analyse

    def counting(article, locale):
        seen.append(article.id)
        return analyse(article, locale)

    monkeypatch.setattr(analysis_cache, "analyse", counting)
    return seen


def _published():
    return [a for a in load_content(BASIC).articles if not a.draft]


def _edited(articles, article_id, locale, words):
    return [dataclasses.replace(a, body_text=f"{a.body_text} {words}")
            if (a.id, a.locale) == (article_id, locale) else a for a in articles]


def _article(number, body, locale="sv"):
    return Article(id=f"c/a{number}", locale=locale, category="c", title=f"Artikel {number}",
                   slug=f"a{number}", description="", body_text=body, html="")


def test_a_rebuild_analyses_only_the_changed_articles(make_search, analysed):
    backend = make_search()
    articles = _published()
    backend.build(articles)
    assert len(analysed) == len(articles)
    analysed.clear()
    backend.build(_edited(articles, "delivery/track-parcel", "en", "capybara"))
    assert analysed == ["delivery/track-parcel"]
    assert ids(backend.query("en", "capybara")) == ["delivery/track-parcel"]
    assert ids(backend.query("sv", "paket"))[:1] == ["delivery/track-parcel"]


def test_an_unchanged_locale_links_the_last_builds_files(make_search, analysed, tmp_path):
    backend = make_search()
    articles = _published()
    first = backend.build(articles)
    analysed.clear()
    second = backend.build(_edited(articles, "delivery/track-parcel", "en", "capybara"))
    index = tmp_path / "data" / "index"
    for name in ("lexicon.json", "texts.bin", "words.txt"):
        assert (index / second / "sv" / name).stat().st_ino == (index / first / "sv" / name).stat().st_ino
        assert (index / second / "en" / name).stat().st_ino != (index / first / "en" / name).stat().st_ino
    engine_files = sorted(p.name for p in (index / first / "sv" / "engine").iterdir())
    assert engine_files == sorted(p.name for p in (index / second / "sv" / "engine").iterdir())
    shutil.rmtree(index / first)  # the files live on in the new build
    backend.close()
    assert ids(backend.query("sv", "paket"))[:1] == ["delivery/track-parcel"]


@pytest.mark.parametrize("damage", [b"not a cache at all", b"\xfb\x00\x00", b""],
                         ids=["garbage", "cut", "empty"])
def test_an_unreadable_cache_means_a_build_from_scratch(make_search, analysed, tmp_path, caplog, damage):
    backend = make_search()
    articles = _published()
    backend.build(articles)
    files = sorted((tmp_path / "data" / "analysis").rglob("*.marshal"))
    assert {f.stem for f in files} == {"en", "sv", "da", "pl"}
    for file in files:
        file.write_bytes(damage)
    analysed.clear()
    caplog.set_level(logging.WARNING, logger="portal.search")
    backend.build(_edited(articles, "delivery/track-parcel", "en", "capybara"))
    assert len(analysed) == len(articles)
    assert sum("analysis cache" in r.getMessage() for r in caplog.records) == 4
    assert ids(backend.query("en", "capybara")) == ["delivery/track-parcel"]
    analysed.clear()
    backend.build(articles)  # and the cache is whole again
    assert analysed == ["delivery/track-parcel"]


def test_the_cache_is_kept_per_engine_and_format(make_search, analysed, tmp_path, monkeypatch, engine):
    articles = _published()
    make_search(tmp_path / "data", SEARCH_BACKEND=engine).build(articles)
    other = "whoosh" if engine == "tantivy" else "tantivy"
    analysed.clear()
    switched = make_search(tmp_path / "data", SEARCH_BACKEND=other)
    switched.build(articles)  # another engine's analysis and files are not taken
    assert len(analysed) == len(articles)
    assert ids(switched.query("en", "parcel"))[:1] == ["delivery/track-parcel"]
    monkeypatch.setattr(builds, "FORMAT", builds.FORMAT + 1)
    analysed.clear()
    make_search(tmp_path / "data", SEARCH_BACKEND=other).build(articles)
    assert len(analysed) == len(articles)
    assert len(list((tmp_path / "data" / "analysis").iterdir())) == 3


def _same_analysis(cached: LocaleAnalysis, scratch: LocaleAnalysis):
    """What the engines would be given, field by field (terms in any order: no field keeps positions)."""
    assert cached.order == scratch.order
    assert cached.words == scratch.words and cached.common == scratch.common
    assert cached.splits == scratch.splits
    for key in scratch.order:
        ours, theirs = cached.articles[key], scratch.articles[key]
        assert {n: sorted(t.split()) for n, t in ours.fields.items()} == \
            {n: sorted(t.split()) for n, t in theirs.fields.items()}, key
        assert ours.asked == theirs.asked


def test_a_new_word_in_the_vocabulary_splits_a_cached_compound_anew(analysed):
    stem = term_function("sv")
    compound = _article(1, "Returfrakten betalar du själv.")
    first = update(LocaleAnalysis(), [compound, _article(2, "Vi tar emot din retur.")], "sv")
    assert first.splits == {"returfrakten": ()}  # 'frakt' is not a known word yet
    analysed.clear()
    articles = [compound, _article(2, "Vi tar emot din retur."), _article(3, "Frakt kostar 49 kronor.")]
    second = update(first, articles, "sv")
    assert analysed == ["c/a3"]  # the compound's article is not analysed again
    assert second.splits["returfrakten"] == ("retur", "frakten")
    key = second.order[0]
    parts = second.articles[key].fields[PARTS_FIELD]
    assert sorted(parts.split()) == sorted((stem("retur"), stem("frakten")))
    _same_analysis(second, update(LocaleAnalysis(), articles, "sv"))
    third = update(second, articles[:2], "sv")  # 'frakt' leaves again
    assert third.articles[key].fields[PARTS_FIELD] == "" and third.splits == {"returfrakten": ()}


def test_a_cached_rebuild_indexes_what_a_build_from_scratch_does(monkeypatch):
    # Pieces in more than 2 articles are common here, so edits move pieces in and out of that set.
    monkeypatch.setattr(analysis_cache, "GRAM_MIN_CEILING", 2)
    monkeypatch.setattr(analysis_cache, "GRAM_MAX_SHARE", 0.01)
    articles = [_article(n, body) for n, body in enumerate((
        "Returfrakten betalar du själv.", "Vi tar emot din retur inom 30 dagar.", "Paketet kommer i morgon.",
        "Fakturan skickas med paketet.", "Spåra paketet med koden.", "Betala med kort eller faktura."))]
    edits = [
        # A new word ('frakt': compounds split) and a third article with 'faktura' (its pieces common).
        lambda a: a + [_article(9, "Frakt kostar 49 kronor enligt fakturan.")],
        lambda a: _edited(a, "c/a0", "sv", "Paketet paketet."),
        lambda a: a[2:],  # articles leave
        lambda a: a + [_article(n, "Paketfakturan och paketet.") for n in (10, 11, 12)],
        lambda a: [x for x in a if x.id not in ("c/a9", "c/a10", "c/a11", "c/a12")],  # 'faktura' in two again
    ]
    analysis = update(LocaleAnalysis(), articles, "sv")
    commons = [analysis.common]
    for edit in edits:
        articles = edit(articles)
        analysis = update(analysis, articles, "sv")
        _same_analysis(analysis, update(LocaleAnalysis(), articles, "sv"))
        commons.append(analysis.common)
    steps = list(pairwise(commons))
    assert any(after - before for before, after in steps) and any(before - after for before, after in steps)


def test_the_cache_files_are_named_by_engine_format_and_version(tmp_path):
    tantivy = AnalysisCache(tmp_path, {"engine": "tantivy", "engine_version": "0.22", "format": 2})
    whoosh = AnalysisCache(tmp_path, {"engine": "whoosh", "engine_version": "2.7", "format": 2})
    newer = AnalysisCache(tmp_path, {"engine": "tantivy", "engine_version": "0.22", "format": 3})
    assert len({tantivy.folder, whoosh.folder, newer.folder}) == 3
    assert tantivy.load("en") == LocaleAnalysis()


def test_linking_links_every_file_named_or_leaves_nothing(tmp_path):
    earlier, target = tmp_path / "earlier", tmp_path / "target"
    (earlier / "engine").mkdir(parents=True)
    for name in ("words.txt", "engine/meta.json", "engine/a.idx"):
        (earlier / name).write_text(name)
    target.mkdir()
    assert analysis_cache.link_files(earlier, ["engine/a.idx", "engine/meta.json", "words.txt"], target)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == [
        "engine", "engine/a.idx", "engine/meta.json", "words.txt"]
    assert (target / "engine" / "a.idx").stat().st_ino == (earlier / "engine" / "a.idx").stat().st_ino
    shutil.rmtree(target)
    target.mkdir()
    # A file gone from the earlier build (pruned meanwhile): nothing is left half-linked.
    gone = ["engine/a.idx", "engine/meta.json", "lexicon.json"]
    assert not analysis_cache.link_files(earlier, gone, target)
    assert list(target.iterdir()) == []
