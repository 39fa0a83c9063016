"""Search over a maintained engine: builds swapped atomically, opened once per process.

Layout under <data dir>/index/:  CURRENT (the live build's name) and one folder per build:

    <build>/build.json          format, engine and engine version: what can read it
    <build>/synonyms.json       the synonym groups the build was made with, per locale
    <build>/<locale>/engine/    the engine's own index (tantivy or Whoosh)
    <build>/<locale>/lexicon.json   article ids and categories by number, written forms
    <build>/<locale>/words.txt + spelling_*.npy   the vocabulary and its 'did you mean' table
    <build>/<locale>/texts.bin + texts.offsets    article texts and their words, for snippets
    <build>/<locale>/vectors.npy + vectors.json   article vectors, with search by meaning (vectors.py)

A rebuild writes a new folder, vectors included, and then replaces CURRENT, so a running server
keeps answering from the old build until its next query sees the new name, words and meanings
together. It analyses only the articles that changed since the last build (analysis_cache.py).
Which engine ranks is a setting; the ranking rules are the planner's (`planner.py`), the same for
every engine.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import weakref
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from . import spelling
from .analysis import fold_word, shop_synonyms, stopwords, term_function
from .analysis_cache import AnalysisCache, LocaleUpdate, link_files
from .compounds import Decompounder
from .fields import WORDS_FIELD, AnalysedArticle
from .interface import Hit, SearchResults, SearchUnavailable
from .planner import Plan, Planner, group_phrases
from .snippets import snippet

log = logging.getLogger(__name__)

# The layout above; any change to it, or to what the fields hold, bumps it.
FORMAT = 3
# A search returns at most this many articles, and only those scoring at least this share
# of the best one: "23 articles found" should mean 23 plausible answers, not every article
# that shares one word with the question.
MAX_RESULTS = 100
MIN_RELATIVE_SCORE = 0.15
KEEP_BUILDS = 3

Progress = Callable[[str, int, int], None]  # locale, articles done, articles in the locale


class IndexMismatch(SearchUnavailable):
    """The live build was written by another format or engine: it is rebuilt, never half-read."""


class EngineIndex(Protocol):
    """One locale's open index in an engine."""

    doc_count: int

    def doc_freq(self, field: str, term: str) -> int: ...

    def prefix_terms(self, start: str, limit: int) -> list[str]: ...

    def search(self, clauses: list, limit: int) -> list[tuple[int, float]]:
        """(article number, score) best first, at most `limit`."""


class Engine(Protocol):
    name: str
    version: str

    def write(self, folder: Path, articles: Iterable[AnalysedArticle]) -> Callable[[], None]:
        """Index `articles` in a new index in `folder`, and return its commit: the build runs it,
        in another thread, before anyone opens the index."""

    def open(self, folder: Path) -> EngineIndex: ...


def _write(path: Path, text: str):
    """Write and fsync: after a power cut, CURRENT never names a build with empty files."""
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def _sync_folder(path: Path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_texts(folder: Path, texts: list[str], words: list[str]):
    """Each article's text for its snippets, after its distinct words (those of its title,
    questions and tags too): snippets.py looks for the few that match rather than reading every
    word of the text."""
    offsets, position = array("q", [0]), 0
    with open(folder / "texts.bin", "wb") as file:
        for text, its_words in zip(texts, words, strict=True):
            position += file.write(f"{its_words}\0{text}".encode())
            offsets.append(position)
        os.fsync(file.fileno())
    (folder / "texts.offsets").write_bytes(offsets.tobytes())


def _write_vocabulary(folder: Path, words: list[str], earlier: Path | None, earlier_words: list[str]):
    """The vocabulary and its 'did you mean' table, from an earlier build's table where there is one;
    returns the names of the files written."""
    before = set(os.listdir(folder))
    _write(folder / "words.txt", "\n".join(words))
    spelling.write(folder, words, earlier, earlier_words)
    return tuple(sorted(set(os.listdir(folder)) - before))


def _write_lexicon(folder: Path, articles: list, words: list[str]):
    # The written form of a folded word, for queries typed without diacritics: 'zwrocic' -> 'zwrócić'.
    with_diacritics: dict[str, str] = {}
    for word in words:
        if (folded := fold_word(word)) != word:
            with_diacritics.setdefault(folded, word)
    _write(folder / "lexicon.json", json.dumps({
        "ids": [a.id for a in articles], "categories": [a.category for a in articles],
        "with_diacritics": with_diacritics,
    }, ensure_ascii=False))


class _Texts:
    """Article texts read with pread, one snippet's text at a time. Not through the engine's
    memory-mapped document store: the page cache keeps files in folios of up to 2 MB and a
    fault maps a whole folio, so snippets from a mapped store left all of it in every
    worker (docs/operations.md)."""

    def __init__(self, folder: Path):
        self.offsets = array("q")
        self.offsets.frombytes((folder / "texts.offsets").read_bytes())
        self.descriptor = os.open(folder / "texts.bin", os.O_RDONLY)
        weakref.finalize(self, os.close, self.descriptor)

    def __len__(self):
        return len(self.offsets) - 1

    def __getitem__(self, number: int) -> tuple[str, list[str]]:
        """An article's text and its distinct words."""
        start, end = self.offsets[number], self.offsets[number + 1]
        words, _, text = os.pread(self.descriptor, end - start, start).decode("utf-8").partition("\0")
        return text, words.split()


class IndexedSearch:
    """The SearchBackend over an `Engine`: build, swap, open per process, query, suggest."""

    def __init__(self, data_dir, engine: Engine, *, builtin_synonyms=True):
        self.root = Path(data_dir) / "index"
        self.engine = engine
        self.builtin_synonyms = builtin_synonyms
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._open: dict[str, _OpenLocale | None] = {}

    @property
    def signature(self) -> dict:
        return {"format": FORMAT, "engine": self.engine.name, "engine_version": self.engine.version}

    # -- building --------------------------------------------------------------------

    def build(self, articles, synonyms=None, progress: Progress | None = None,
              add_to_build: Callable[[Path], None] | None = None):
        """Write a new build and make it live; `add_to_build(folder)` writes more into the build
        before it goes live (the article vectors): one swap makes all of it live together, and
        if it fails the previous build stays live."""
        by_locale = defaultdict(list)
        for article in articles:
            if not article.draft:
                by_locale[article.locale].append(article)
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():x}-{os.getpid()}"
        staging = self.root / f".{name}.tmp"
        staging.mkdir()
        cache = AnalysisCache(self.root.parent, self.signature)
        try:
            for locale, items in sorted(by_locale.items()):
                self._write_locale(staging, name, locale, items, progress, cache)
            if add_to_build is not None:
                add_to_build(staging)
            self._write_synonyms(staging, synonyms, by_locale)
            _write(staging / "build.json", json.dumps(self.signature))
            _sync_folder(staging)
            os.rename(staging, self.root / name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._go_live(name)
        self._prune(keep=name)
        log.info("search index %s built with %s: %s", name, self.engine.name,
                 ", ".join(f"{loc} {len(items)}" for loc, items in sorted(by_locale.items())))
        return name

    def _write_synonyms(self, staging: Path, synonyms, by_locale):
        # The editors' groups, then the built-in shop vocabulary of each locale's language.
        groups = {locale: [*(synonyms or {}).get(locale, ()),
                           *(shop_synonyms(locale) if self.builtin_synonyms else ())]
                  for locale in by_locale}
        _write(staging / "synonyms.json", json.dumps(
            {locale: [list(group) for group in found] for locale, found in groups.items() if found},
            ensure_ascii=False))

    def _go_live(self, name: str):
        """Point CURRENT at a complete build folder: the one moment a reader's answer changes."""
        pointer = self.root / f".CURRENT.{name}"
        _write(pointer, name)
        os.replace(pointer, self.root / "CURRENT")
        _sync_folder(self.root)

    def _write_locale(self, staging: Path, name: str, locale: str, articles: list, progress: Progress | None,
                      cache: AnalysisCache):
        """Write a locale's files into build `name`, analysing only the articles the last build's
        analysis does not hold, and linking the last build's files where nothing changed. The
        analysis is kept at once, one locale in memory at a time. Should this build fail, its
        analyses are still right; the folder they name will not exist, and nothing is linked."""
        folder = staging / locale
        folder.mkdir()
        previous = cache.load(locale)
        pending = LocaleUpdate(previous, articles, locale, progress)
        analysis = pending.analysis
        analysis.folder = f"{name}/{locale}"
        earlier = self.root / previous.folder if previous.folder else None
        if earlier is not None and analysis.order == previous.order \
                and link_files(earlier, previous.written_files, folder):
            analysis = pending.finish()
            analysis.written_files = previous.written_files
            analysis.vocabulary_files = previous.vocabulary_files
        else:
            # Each article is given to the engine as its fields are final. tantivy indexes and
            # commits in native threads, without the GIL: the vocabulary's files are written meanwhile.
            commit = self.engine.write(folder / "engine", pending.analysed())
            with ThreadPoolExecutor(max_workers=1) as engine:
                committed = engine.submit(commit)
                _write_texts(folder, [article.body_text for article in articles],
                             [analysis.articles[key].written for key in analysis.order])
                words = analysis.vocabulary()
                if earlier is not None and analysis.words.keys() == previous.words.keys() \
                        and link_files(earlier, previous.vocabulary_files, folder):
                    analysis.vocabulary_files = previous.vocabulary_files
                else:
                    analysis.vocabulary_files = _write_vocabulary(folder, words, earlier,
                                                                  previous.vocabulary())
                _write_lexicon(folder, articles, words)
                committed.result()
            # Every file by name, the engine's too (known once it has committed): an earlier build
            # missing any of them is never linked.
            analysis.written_files = tuple(sorted(
                str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()))
        cache.save(locale, analysis)
        if progress:
            progress(locale, len(articles), len(articles))

    def _prune(self, keep):
        builds = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for old in builds[KEEP_BUILDS:]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)

    # -- reading ---------------------------------------------------------------------

    def generation(self) -> str:
        try:
            return (self.root / "CURRENT").read_text().strip()
        except OSError:
            return ""

    def _check_signature(self, generation: str):
        try:
            found = json.loads((self.root / generation / "build.json").read_text("utf-8"))
        except (OSError, ValueError):
            found = {}
        if found != self.signature:
            built = (f"{found.get('engine')} (index format {found.get('format')})" if found
                     else "an earlier version of the portal")
            raise IndexMismatch(
                f"the search index was built by {built}; this portal reads {self.engine.name} (index "
                f"format {FORMAT}): run `flask --app portal search build`")

    def available(self) -> bool:
        """A live build this portal can read."""
        generation = self.generation()
        if not generation or not (self.root / generation).is_dir():
            return False
        try:
            self._check_signature(generation)
        except IndexMismatch:
            return False
        return True

    def _index(self, locale) -> _OpenLocale | None:
        """The open index of a locale, reopened when a new build goes live. Opening happens
        outside the lock, and only a build swapped underneath is retried: at once, with the
        new name, never by sleeping."""
        for _attempt in range(3):
            generation = self.generation()
            if not generation:
                raise SearchUnavailable("no search index has been built yet")
            with self._lock:
                if generation != self._generation:
                    self._open = {}
                    self._generation = generation
                if locale in self._open:
                    return self._open[locale]
            try:
                self._check_signature(generation)
                folder = self.root / generation / locale
                opened = _OpenLocale(self.engine, folder, locale, self.root / generation / "synonyms.json") \
                    if folder.is_dir() else None  # a locale with no articles
            except (OSError, ValueError) as error:
                if self.generation() != generation:
                    continue  # the files changed underneath: open the new build
                raise SearchUnavailable(f"the search index cannot be opened: {error}") from error
            with self._lock:
                if self._generation == generation:
                    self._open[locale] = opened
            return opened
        raise SearchUnavailable("the search index kept changing while it was opened")

    def warm(self, locales):
        for locale in locales:
            opened = self._index(locale)
            if opened is not None:
                opened.speller()

    def close(self):
        with self._lock:
            self._open = {}
            self._generation = None

    def query(self, locale, text, *, category=None, limit=10, offset=0):
        opened = self._index(locale)
        if opened is None:
            return SearchResults(query=text, locale=locale, total=0)
        return opened.query(text, category=category, limit=limit, offset=offset)

    def suggest(self, locale, text, *, limit=6):
        opened = self._index(locale)
        return opened.suggest(text, limit=limit) if opened is not None else []


class _OpenLocale:
    """One locale's open build: the engine's index, the lexicon and the synonyms. Read-only
    once opened (the vocabulary loads on first use, under a lock): threads share it."""

    def __init__(self, engine: Engine, folder: Path, locale: str, synonyms_file: Path):
        self.folder = folder
        self.locale = locale
        lexicon = json.loads((folder / "lexicon.json").read_text("utf-8"))
        self.ids, self.categories = lexicon["ids"], lexicon["categories"]
        self.with_diacritics = lexicon["with_diacritics"]
        self.engine_index = engine.open(folder / "engine")
        self.texts = _Texts(folder)
        self.doc_count = self.engine_index.doc_count
        if not self.doc_count == len(self.ids) == len(self.texts):
            raise ValueError(f"{folder}: {self.doc_count} articles indexed, {len(self.ids)} listed")
        self.stopwords = stopwords(locale)
        self.term = term_function(locale)
        self.phrases = group_phrases(locale, json.loads(synonyms_file.read_text("utf-8")).get(locale, []))
        self._speller: spelling.Speller | None = None
        self._speller_lock = threading.Lock()
        self.decompounder = Decompounder(self, locale)
        self.planner = Planner(self)

    def __contains__(self, word) -> bool:
        """A written word the index has (the decompounder's vocabulary)."""
        return bool(self.doc_freq(WORDS_FIELD, word))

    # -- what the planner asks (IndexView) --

    def doc_freq(self, field, term) -> int:
        return self.engine_index.doc_freq(field, term)

    def written_form(self, folded):
        return self.with_diacritics.get(folded)

    def synonym_phrases(self, first_stem):
        return self.phrases.get(first_stem, ())

    def speller(self) -> spelling.Speller:
        with self._speller_lock:
            if self._speller is None:
                words = (self.folder / "words.txt").read_text("utf-8").split("\n")
                self._speller = spelling.Speller(self.folder, words)
        return self._speller

    def spelling_candidates(self, word, max_distance):
        return self.speller().candidates(word, max_distance)

    def prefix_terms(self, start, limit):
        return self.engine_index.prefix_terms(start, limit)

    def compound_parts(self, word):
        return self.decompounder.parts(word)

    # -- the interface --

    def _ranked(self, plan: Plan, limit: int) -> list[tuple[int, float]]:
        """Best first; equal scores in index order, the same in every process."""
        found = self.engine_index.search(plan.clauses, limit) if plan.clauses else []
        # A match worth nothing (a rule weighted 0) is no result.
        return sorted((hit for hit in found if hit[1] > 0), key=lambda hit: (-hit[1], hit[0]))

    def _snippet(self, number: int, matched: set[str]) -> str:
        text, words = self.texts[number]
        return snippet(text, matched, self.term, words=words)

    def query(self, text, *, category=None, limit=10, offset=0) -> SearchResults:
        plan = self.planner.query(text)
        # One bounded top-N search serves the count, the category facets and every page.
        ranked = self._ranked(plan, MAX_RESULTS)
        best = ranked[0][1] if ranked else 0.0
        relevant = [hit for hit in ranked if hit[1] >= MIN_RELATIVE_SCORE * best]
        categories = Counter(self.categories[number] for number, _ in relevant)
        if category:
            relevant = [hit for hit in relevant if self.categories[hit[0]] == category]
        hits = tuple(Hit(article_id=self.ids[number], score=round(score, 4),
                         snippet=self._snippet(number, plan.matched))
                     for number, score in relevant[offset: offset + limit])
        return SearchResults(query=text, locale=self.locale, total=len(relevant), hits=hits,
                             suggestion=plan.suggestion, fuzzy=plan.fuzzy, categories=dict(categories))

    def suggest(self, text, *, limit=6) -> list[Hit]:
        plan = self.planner.suggest(text)
        return [Hit(article_id=self.ids[number], score=round(score, 4))
                for number, score in self._ranked(plan, limit)]
