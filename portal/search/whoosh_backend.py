"""Whoosh behind the search interface: one index per locale, swapped atomically.

Layout under <data dir>/index/:  CURRENT (the live build's name) and one folder per build,
holding a Whoosh index per locale and the synonyms it was built with. A rebuild writes a
new folder and then replaces CURRENT, so a running server keeps answering from the old
build until its next query sees the new name.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections import defaultdict
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.query import And, NullQuery, Or, Prefix, Term
from whoosh.scoring import BM25F

from .analysis import fold, query_words, stemming_analyzer, stopwords, words_analyzer
from .interface import Hit, SearchResults, SearchUnavailable

log = logging.getLogger(__name__)

FIELD_WEIGHTS = {"title": 2.0, "questions": 2.5, "tags": 1.5, "body": 1.0}
# Words exactly as the customer wrote them, on top of their stems: 'ordinera' should
# prefer 'ordinera' over every other word that stems to 'ordin'.
EXACT_WORD_WEIGHT = 1.0
MAX_QUERY_WORDS = 32
MAX_QUERY_CHARS = 500
TYPO_WEIGHT = 0.7  # a corrected word counts less than one the customer typed
KEEP_BUILDS = 3


def schema_for(locale: str) -> Schema:
    analyzer = stemming_analyzer(locale)
    return Schema(
        id=ID(stored=True, unique=True),
        category=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True),
        questions=TEXT(analyzer=analyzer),
        tags=TEXT(analyzer=analyzer),
        body=TEXT(analyzer=analyzer, stored=True),
        # Words as written: 'did you mean' and restoring diacritics a query left out.
        spell=TEXT(analyzer=words_analyzer(), phrase=False, spelling=True),
        # Folded title words for as-you-type prefix matching.
        prefix=TEXT(analyzer=words_analyzer(), phrase=False),
    )


class WhooshSearch:
    def __init__(self, data_dir):
        self.root = Path(data_dir) / "index"
        self._lock = threading.RLock()
        self._generation = None
        self._open: dict[str, _OpenIndex] = {}

    # -- building -------------------------------------------------------------------

    def build(self, articles, synonyms=None):
        by_locale = defaultdict(list)
        for article in articles:
            if not article.draft:
                by_locale[article.locale].append(article)
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():x}-{os.getpid()}"
        staging = self.root / f".{name}.tmp"
        staging.mkdir()
        for locale, items in by_locale.items():
            folder = staging / locale
            folder.mkdir()
            ix = whoosh_index.create_in(str(folder), schema_for(locale))
            writer = ix.writer(limitmb=256)
            for article in items:
                writer.add_document(
                    id=article.id,
                    category=article.category,
                    title=article.title,
                    questions="\n".join(article.questions),
                    tags=" ".join(article.tags),
                    body=article.body_text,
                    spell=" ".join((article.title, *article.questions, *article.tags, article.body_text)),
                    prefix=fold(" ".join((article.title, *article.questions))),
                )
            writer.commit()
        (staging / "synonyms.json").write_text(json.dumps(
            {locale: [list(group) for group in groups] for locale, groups in (synonyms or {}).items()},
            ensure_ascii=False))
        os.rename(staging, self.root / name)
        pointer = self.root / f".CURRENT.{name}"
        pointer.write_text(name)
        os.replace(pointer, self.root / "CURRENT")
        self._prune(keep=name)
        log.info("search index %s built: %s", name,
                 ", ".join(f"{loc} {len(items)}" for loc, items in sorted(by_locale.items())))
        return name

    def _prune(self, keep):
        builds = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for old in builds[KEEP_BUILDS:]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)

    # -- reading --------------------------------------------------------------------

    def generation(self) -> str:
        try:
            return (self.root / "CURRENT").read_text().strip()
        except OSError:
            return ""

    def available(self) -> bool:
        generation = self.generation()
        return bool(generation) and (self.root / generation).is_dir()

    def _index(self, locale) -> _OpenIndex | None:
        """The warm searcher for a locale, reopened when a new build goes live."""
        last_error = None
        for _attempt in range(3):
            generation = self.generation()
            if not generation:
                raise SearchUnavailable("no search index has been built yet")
            with self._lock:
                if generation != self._generation:
                    self._close_all()
                    self._generation = generation
                if locale in self._open:
                    return self._open[locale]
                folder = self.root / generation / locale
                try:
                    if not folder.exists():
                        if (self.root / generation).is_dir():
                            return None  # a locale with no articles
                        raise FileNotFoundError(folder)
                    opened = _OpenIndex(folder, locale, self.root / generation / "synonyms.json")
                except Exception as error:
                    last_error = error
                    self._generation = None
                    time.sleep(0.05)
                    continue
                self._open[locale] = opened
                return opened
        raise SearchUnavailable(f"the search index cannot be opened: {last_error}")

    def _close_all(self):
        for opened in self._open.values():
            opened.close()
        self._open.clear()

    def close(self):
        with self._lock:
            self._close_all()
            self._generation = None

    def query(self, locale, text, *, category=None, limit=10, offset=0):
        opened = self._index(locale)
        if opened is None:
            return SearchResults(query=text, locale=locale, total=0)
        with self._lock:
            return opened.query(text, category=category, limit=limit, offset=offset)

    def suggest(self, locale, text, *, limit=6):
        opened = self._index(locale)
        if opened is None:
            return []
        with self._lock:
            return opened.suggest(text, limit=limit)


class _OpenIndex:
    """One locale's index with its searcher, vocabulary and synonyms, kept warm."""

    def __init__(self, folder: Path, locale: str, synonyms_file: Path):
        self.locale = locale
        self.ix = whoosh_index.open_dir(str(folder))
        self.searcher = self.ix.searcher(weighting=BM25F(B=0.6, K1=1.2))
        self.analyzer = self.ix.schema["title"].analyzer
        self.stopwords = stopwords(locale)
        self.vocabulary = {term.decode("utf-8") if isinstance(term, bytes) else term
                           for term in self.searcher.reader().lexicon("spell")}
        # The written form of a folded word: 'zwrocic' -> 'zwrócić'.
        self.with_diacritics = {}
        for word in sorted(self.vocabulary):
            folded = fold(word)
            if folded != word:
                self.with_diacritics.setdefault(folded, word)
        self.corrector = self.searcher.corrector("spell")
        groups = json.loads(synonyms_file.read_text("utf-8")).get(locale, [])
        self.synonyms = [[self.stems(phrase) for phrase in group] for group in groups]

    def close(self):
        self.searcher.close()

    def stems(self, text) -> tuple[str, ...]:
        seen = []
        for token in self.analyzer(text):
            if token.text not in seen:
                seen.append(token.text)
        return tuple(seen)

    def _words(self, text) -> list[str]:
        words = query_words(text[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        return [self.with_diacritics.get(word, word) if word not in self.vocabulary else word
                for word in words]

    def _stem_clause(self, stem, boost=1.0):
        return Or([Term(field, stem, boost=weight * boost) for field, weight in FIELD_WEIGHTS.items()])

    def _build_query(self, stems, boost=1.0, words=()):
        clauses = [self._stem_clause(stem, boost) for stem in stems]
        clauses.extend(Term("spell", word, boost=EXACT_WORD_WEIGHT * boost)
                       for word in dict.fromkeys(words) if word not in self.stopwords)
        present = set(stems)
        for group in self.synonyms:
            for phrase in group:
                if phrase and set(phrase) <= present:
                    clauses.extend(
                        And([self._stem_clause(stem, 0.8 * boost) for stem in other])
                        for other in group if other and other != phrase)
        return Or(clauses) if clauses else NullQuery

    def corrections(self, words) -> dict[str, str]:
        """Unknown words and the nearest word of the index vocabulary: 'crdate' -> 'create'."""
        found = {}
        for word in words:
            if word in self.vocabulary or len(word) < 3 or word.isdigit() or word in found:
                continue
            nearest = self.corrector.suggest(word, limit=1, maxdist=2 if len(word) > 5 else 1, prefix=1)
            if nearest and nearest[0] != word:
                found[word] = nearest[0]
        return found

    def query(self, text, *, category=None, limit=10, offset=0) -> SearchResults:
        words = self._words(text)
        query = self._build_query(self.stems(" ".join(words)), words=words)
        corrections = self.corrections(words)
        suggestion = " ".join(corrections.get(word, word) for word in words) if corrections else None
        if corrections:
            # Typo tolerance: the corrected words join the query with less weight than exact ones.
            fixed = list(corrections.values())
            query = Or([query, self._build_query(self.stems(" ".join(fixed)), TYPO_WEIGHT, fixed)])
        fuzzy = bool(corrections)
        if query is NullQuery:
            return SearchResults(query=text, locale=self.locale, total=0, suggestion=suggestion)
        filter_query = Term("category", category) if category else None
        results = self.searcher.search(query, limit=offset + limit, filter=filter_query,
                                       groupedby="category", terms=True)
        results.fragmenter = ContextFragmenter(maxchars=240, surround=70)
        results.formatter = HtmlFormatter(tagname="mark", between=" … ")
        categories = {name: len(ids) for name, ids in results.groups("category").items()}
        hits = tuple(
            Hit(article_id=hit["id"], score=round(hit.score, 4), snippet=hit.highlights("body", top=2))
            for hit in results[offset: offset + limit])
        return SearchResults(query=text, locale=self.locale, total=len(results), hits=hits,
                             suggestion=suggestion, fuzzy=fuzzy, categories=categories)

    def suggest(self, text, *, limit=6) -> list[Hit]:
        """As-you-type: whole words as in `query`, the last, unfinished word as a prefix."""
        words = self._words(text)
        if not words:
            return []
        complete, partial = (words, None) if text[-1:].isspace() else (words[:-1], words[-1])
        clauses = [self._build_query(self.stems(" ".join(complete)))] if complete else []
        if partial:
            clauses.append(Prefix("prefix", fold(partial), boost=4.0))
            clauses.append(self._build_query(self.stems(partial)))
        results = self.searcher.search(Or(clauses), limit=limit)
        return [Hit(article_id=hit["id"], score=round(hit.score, 4)) for hit in results]
