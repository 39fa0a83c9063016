"""Each locale's analysis kept from one build to the next: a rebuild analyses only what changed.

<data dir>/analysis/<engine>-<engine version>-<format>-<VERSION>-<python>/<locale>.marshal holds
the last build of a locale: every article's analysed fields (keyed by a hash of its text), the
vocabulary and how many articles hold each word and each piece, the splits of its compound words,
and the folder it was written to. A rebuild analyses only the articles whose text changed and
brings the rest up to date with what the whole locale decides:

- pieces in too many articles are not indexed (planner.GRAM_MAX_SHARE): the counts are updated by
  the articles that came and went; a piece that becomes common is left out of the other articles,
  and the few articles holding one that no longer is are analysed again;
- the parts of a compound depend on the vocabulary (compounds.py): when words enter or leave it,
  the splits of the compounds containing them are worked out again, and the articles holding
  those compounds get new parts;
- a locale whose articles are all unchanged links the files of the last build (nothing is
  written twice), and an unchanged vocabulary links its 'did you mean' files.

A missing, unreadable or foreign cache file means a build from scratch, never a failed build.
Any change to what the analysis produces (analysis.py, fields.py, compounds.py) bumps VERSION.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from ..content.model import packed
from .compounds import Decompounder
from .fields import GRAMS_FIELD, PARTS_FIELD, AnalysedArticle, ArticleTerms, analyse, parts_field
from .planner import GRAM_MAX_SHARE, GRAM_MIN_CEILING, ceiling

log = logging.getLogger(__name__)

VERSION = 2
# More vocabulary changes than this: every compound is split again rather than checked one by one.
MAX_CHECKED_WORD_CHANGES = 200

Progress = Callable[[str, int, int], None]


def article_key(article) -> str:
    """A hash of everything the analysis of an article reads. The text is hashed as the article
    keeps it, packed with its HTML: unpacking costs more than hashing, and a change to the HTML
    alone (a link's title) only means one more article analysed."""
    what = [article.id, article.category, article.title, list(article.questions), list(article.tags)]
    return hashlib.sha256(json.dumps(what, ensure_ascii=False).encode("utf-8") + packed(article)).hexdigest()


@dataclass
class CachedArticle:
    """An article's fields as the engines are given them, and what the locale's changes need."""

    fields: dict[str, str]  # the common pieces left out, the parts of its compounds added
    removed: str  # the common pieces it has, left out of its fields
    written: str  # its words as written
    compounds: dict[str, int]
    asked: tuple[str, ...]

    @classmethod
    def of(cls, terms: ArticleTerms, common: frozenset) -> CachedArticle:
        left_out = common.intersection(terms.pieces)
        kept = [p for p in terms.pieces if p not in left_out] if left_out else terms.pieces
        return cls(fields={**terms.fields, GRAMS_FIELD: " ".join(kept), PARTS_FIELD: ""},
                   removed=" ".join(left_out), written=" ".join(terms.written), compounds=terms.compounds,
                   asked=terms.asked)

    def pieces(self) -> set[str]:
        return set(self.fields[GRAMS_FIELD].split()) | set(self.removed.split())

    def plain(self) -> tuple:
        return self.fields, self.removed, self.written, self.compounds, self.asked

    @classmethod
    def from_plain(cls, plain) -> CachedArticle:
        fields, removed, written, compounds, asked = plain
        return cls(dict(fields), str(removed), str(written), dict(compounds), tuple(asked))


@dataclass
class LocaleAnalysis:
    """The analysis of one build of a locale."""

    order: list[str] = field(default_factory=list)  # the articles' keys, in build order
    articles: dict[str, CachedArticle] = field(default_factory=dict)
    words: Counter = field(default_factory=Counter)  # written word -> articles holding it
    pieces: Counter = field(default_factory=Counter)  # piece -> articles holding it
    common: frozenset = frozenset()  # pieces not indexed
    splits: dict[str, tuple[str, ...]] = field(default_factory=dict)  # compound -> parts
    folder: str = ""  # the locale folder written from it, under the index folder
    written_files: tuple[str, ...] = ()  # the files the lexical build wrote there
    vocabulary_files: tuple[str, ...] = ()  # those that depend on the vocabulary alone

    def vocabulary(self) -> list[str]:
        return sorted(self.words)

    def plain(self) -> dict:
        return {"order": self.order, "articles": {k: a.plain() for k, a in self.articles.items()},
                "words": dict(self.words), "pieces": dict(self.pieces), "common": self.common,
                "splits": self.splits, "folder": self.folder, "written_files": self.written_files,
                "vocabulary_files": self.vocabulary_files}

    @classmethod
    def from_plain(cls, plain: dict) -> LocaleAnalysis:
        articles = {key: CachedArticle.from_plain(a) for key, a in plain["articles"].items()}
        order = list(plain["order"])
        if not set(order) <= articles.keys():
            raise ValueError("articles missing")
        return cls(order=order, articles=articles, words=Counter(plain["words"]),
                   pieces=Counter(plain["pieces"]), common=frozenset(plain["common"]),
                   splits={w: tuple(p) for w, p in plain["splits"].items()}, folder=str(plain["folder"]),
                   written_files=tuple(plain["written_files"]),
                   vocabulary_files=tuple(plain["vocabulary_files"]))


class AnalysisCache:
    """The locales' last analyses for one engine and index format. Plain data in `marshal`'s
    format: fast to read and write, and reading runs no code (unlike pickle)."""

    def __init__(self, data_dir, signature: dict):
        name = "-".join(str(signature[k]) for k in ("engine", "engine_version", "format"))
        name = f"{name}-{VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
        self.folder = Path(data_dir) / "analysis" / re.sub(r"[^A-Za-z0-9._-]", "_", name)

    def _path(self, locale: str) -> Path:
        return self.folder / f"{re.sub(r'[^A-Za-z0-9_-]', '_', locale)}.marshal"

    def load(self, locale: str) -> LocaleAnalysis:
        path = self._path(locale)
        try:
            return LocaleAnalysis.from_plain(marshal.loads(path.read_bytes()))
        except FileNotFoundError:
            return LocaleAnalysis()
        except Exception as error:  # whatever is wrong with a cache, the build starts over
            log.warning("analysis cache %s unreadable (%r): %s is analysed from scratch", path, error, locale)
            return LocaleAnalysis()

    def save(self, locale: str, analysis: LocaleAnalysis):
        path = self._path(locale)
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staging.write_bytes(marshal.dumps(analysis.plain()))
            os.replace(staging, path)
        except OSError as error:  # a cache: the build is live all the same
            log.warning("analysis cache %s not written: %s", path, error)
            staging.unlink(missing_ok=True)


class LocaleUpdate:
    """The analysis of `articles` (a locale's, in build order), from `previous` where it holds them,
    in two steps. Made, it has analysed what changed and settled what the whole locale decides:
    `analysis` has its order, vocabulary, counts, common pieces and compound splits, enough to write
    the vocabulary's files. `analysed()` then gives each article's final fields in build order, for
    the engine to index while the vocabulary is written, and fills `analysis.articles`."""

    def __init__(self, previous: LocaleAnalysis, articles: list, locale: str,
                 progress: Progress | None = None):
        self.previous, self.articles, self.locale = previous, articles, locale
        keys = [article_key(article) for article in articles]
        known, fresh = previous.articles, {}
        for done, (key, article) in enumerate(zip(keys, articles, strict=True), 1):
            if key not in known and key not in fresh:
                fresh[key] = analyse(article, locale)
            if progress and done % 500 == 0:
                progress(locale, done, len(articles))
        self.fresh = fresh
        words, pieces = _counts(previous, keys, fresh)
        # Pieces in too many articles are not indexed: no query reads them (planner.GRAM_MAX_SHARE),
        # and they would be most of the postings.
        limit = ceiling(GRAM_MAX_SHARE, len(keys), GRAM_MIN_CEILING)
        common = frozenset(piece for piece, count in pieces.items() if count > limit)
        self.analysis = LocaleAnalysis(order=keys, words=words, pieces=pieces, common=common)
        needed = set().union(*((fresh[key] if key in fresh else known[key]).compounds for key in set(keys)))
        decompounder = Decompounder(self.analysis.vocabulary(), locale)
        self.analysis.splits = _splits(previous, self.analysis, needed, decompounder)
        self.changed_splits = {word for word, parts in self.analysis.splits.items()
                               if previous.splits.get(word) != parts}

    def analysed(self) -> Iterator[AnalysedArticle]:
        previous, analysis, fresh, locale = self.previous, self.analysis, self.fresh, self.locale
        newly, back = analysis.common - previous.common, previous.common - analysis.common
        current = analysis.articles
        for number, (key, article) in enumerate(zip(analysis.order, self.articles, strict=True)):
            if key not in current:
                cached = previous.articles.get(key)
                if cached is not None and not back.isdisjoint(cached.removed.split()):
                    # Pieces no longer common go back in: from the text, as the cache keeps no counts of them.
                    fresh[key] = analyse(article, locale)
                terms = fresh.pop(key, None)  # dropped once used: a first build holds no more than it must
                if terms is not None:
                    cached = current[key] = CachedArticle.of(terms, analysis.common)
                else:
                    assert cached is not None  # neither fresh nor changed: the last build holds it
                    current[key] = cached
                    if newly:
                        _leave_out(cached, newly)
                if cached.compounds and (terms is not None
                                         or not self.changed_splits.isdisjoint(cached.compounds)):
                    cached.fields[PARTS_FIELD] = parts_field(cached.compounds, analysis.splits, locale)
            yield AnalysedArticle(number=number, id=article.id, category=article.category,
                                  fields=current[key].fields, asked=current[key].asked)

    def finish(self) -> LocaleAnalysis:
        """The whole analysis, every article's fields final."""
        for _ in self.analysed():
            pass
        return self.analysis


def update(previous: LocaleAnalysis, articles: list, locale: str,
           progress: Progress | None = None) -> LocaleAnalysis:
    """The analysis of `articles` (a locale's, in build order), from `previous` where it holds them."""
    return LocaleUpdate(previous, articles, locale, progress).finish()


def _counts(previous: LocaleAnalysis, keys: list[str], fresh: dict[str, ArticleTerms]):
    """How many articles hold each word and each piece: the last build's counts, less the
    articles that left, plus those that came. (Each article's set of pieces is made and dropped
    in turn: holding 10,000 of them at once made a first build a second slower.)"""
    words, pieces = previous.words.copy(), previous.pieces.copy()
    before, after = Counter(previous.order), Counter(keys)
    for key, times in chain(((k, -n) for k, n in (before - after).items()), (after - before).items()):
        if key in fresh:
            _count(words, fresh[key].written, times)
            _count(pieces, set(fresh[key].pieces), times)
        else:
            _count(words, previous.articles[key].written.split(), times)
            _count(pieces, previous.articles[key].pieces(), times)
    return words, pieces


def _count(counter: Counter, items, times: int):
    """Add `items` `times` times (fewer when negative), dropping what falls to none."""
    for _ in range(abs(times)):
        (counter.update if times > 0 else counter.subtract)(items)
    if times < 0:
        for item in items:
            if counter[item] <= 0:
                del counter[item]


def _leave_out(article: CachedArticle, newly: frozenset):
    """Leave out of a cached article the pieces that became common."""
    pieces = article.fields[GRAMS_FIELD].split()
    left_out = newly.intersection(pieces)
    if left_out:
        article.fields[GRAMS_FIELD] = " ".join([p for p in pieces if p not in left_out])
        article.removed = " ".join({*article.removed.split(), *left_out})


def _splits(previous: LocaleAnalysis, analysis: LocaleAnalysis, needed: set[str],
            decompounder: Decompounder) -> dict:
    """The parts of every compound of the locale (`needed`): the last build's, unless a word they
    may depend on entered or left the vocabulary."""
    if not needed:
        return {}
    changed = previous.words.keys() ^ analysis.words.keys()
    kept = {}
    if len(changed) <= MAX_CHECKED_WORD_CHANGES:
        kept = {word: parts for word, parts in previous.splits.items()
                if word in needed and not any(decompounder.depends_on(word, known) for known in changed)}
    return {word: kept[word] if word in kept else decompounder.parts(word) for word in needed}


def link_files(source: Path, names, target: Path) -> bool:
    """Hard-link `names` (relative paths) from a folder of an earlier build into `target`, copying
    where linking is not possible. Build files are never written to once their build is made, so
    a link shares them safely. False, with nothing left behind, when one cannot be had (that build
    was pruned meanwhile)."""
    made: list[Path] = []
    try:
        for name in names:
            path = target / name
            for folder in reversed(path.relative_to(target).parents[:-1]):
                if not (target / folder).is_dir():
                    (target / folder).mkdir()
                    made.append(target / folder)
            try:
                os.link(source / name, path)
            except OSError:
                shutil.copy2(source / name, path)
            made.append(path)
        return bool(names)
    except OSError:
        for path in reversed(made):
            path.rmdir() if path.is_dir() else path.unlink()
        return False
