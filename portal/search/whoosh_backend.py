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
from collections import Counter, defaultdict
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import NgramWordAnalyzer
from whoosh.fields import ID, KEYWORD, TEXT, Schema
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
# Four-letter pieces of words: Swedish and Danish compounds ('returfrakt') and inflections
# a stemmer misses still share most of their pieces with the customer's word.
GRAM_SIZE = 4
GRAM_WEIGHT = 1.2
# Pieces and words in most articles say little and cost the most: leave them out.
GRAM_MAX_SHARE = 0.05
MAX_GRAMS = 24
STEM_MAX_SHARE = 0.5
# A search returns at most this many articles, and only those scoring at least this share
# of the best one: "23 articles found" should mean 23 plausible answers, not every
# article that shares one word with the question.
MAX_RESULTS = 100
MIN_RELATIVE_SCORE = 0.15
MAX_QUERY_WORDS = 32
MAX_QUERY_CHARS = 500
TYPO_WEIGHT = 0.7
WHOLE_QUESTION_WEIGHT = 10.0  # a corrected word counts less than one the customer typed
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
        grams=TEXT(analyzer=NgramWordAnalyzer(GRAM_SIZE, GRAM_SIZE), phrase=False),
        # The title and each `questions:` line whole: a customer who asks exactly that
        # question has found exactly that article.
        asked=KEYWORD(commas=True),
    )


def whole_question(text: str) -> str:
    return " ".join(fold(word) for word in query_words(text))


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
                    tags=" ".join((*article.tags, article.category.replace("-", " "))),
                    body=article.body_text,
                    spell=" ".join((article.title, *article.questions, *article.tags, article.body_text)),
                    prefix=fold(" ".join((article.title, *article.questions))),
                    grams=fold(" ".join((article.title, *article.questions, article.body_text))),
                    asked=",".join(whole_question(q) for q in (article.title, *article.questions)),
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
                    # The text only: keeping the exception would keep its traceback, and with it
                    # the file Whoosh failed to read, open until the garbage collector runs.
                    last_error = f"{error}"
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

    # The lock spans opening and searching: another thread must not close this searcher
    # (on seeing a new build) while it is in use.
    def query(self, locale, text, *, category=None, limit=10, offset=0):
        with self._lock:
            opened = self._index(locale)
            if opened is None:
                return SearchResults(query=text, locale=locale, total=0)
            return opened.query(text, category=category, limit=limit, offset=offset)

    def suggest(self, locale, text, *, limit=6):
        with self._lock:
            opened = self._index(locale)
            return opened.suggest(text, limit=limit) if opened is not None else []


class _OpenIndex:
    """One locale's index with its searcher, vocabulary and synonyms, kept warm."""

    def __init__(self, folder: Path, locale: str, synonyms_file: Path):
        self.locale = locale
        self.ix = whoosh_index.open_dir(str(folder))
        self.searcher = self.ix.searcher(weighting=BM25F(B=0.6, K1=1.2))
        self.reader = self.searcher.reader()
        self.doc_count = self.reader.doc_count()
        self.analyzer = self.ix.schema["title"].analyzer
        self.stopwords = stopwords(locale)
        self.gram_analyzer = self.ix.schema["grams"].analyzer
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

    def _selective(self, field, terms, max_share, limit=None):
        """The terms that occur in the index but not in most articles, rarest first."""
        frequency = {term: self.reader.doc_frequency(field, term) for term in terms}
        ceiling = max(1.0, max_share * self.doc_count)
        kept = sorted((t for t, df in frequency.items() if 0 < df <= ceiling), key=frequency.get)
        if not kept and frequency:  # a query of only common words still needs something to match
            kept = sorted((t for t, df in frequency.items() if df), key=frequency.get)[:1]
        return kept[:limit]

    def _build_query(self, stems, boost=1.0, words=()):
        clauses = [self._stem_clause(stem, boost)
                   for stem in self._selective("body", stems, STEM_MAX_SHARE) or stems]
        content_words = [word for word in dict.fromkeys(words) if word not in self.stopwords]
        clauses.extend(Term("spell", word, boost=EXACT_WORD_WEIGHT * boost) for word in content_words)
        grams = {token.text for word in content_words for token in self.gram_analyzer(fold(word))}
        clauses.extend(Term("grams", gram, boost=GRAM_WEIGHT * boost)
                       for gram in self._selective("grams", grams, GRAM_MAX_SHARE, MAX_GRAMS))
        present = set(stems)
        for group in self.synonyms:
            for phrase in group:
                if phrase and set(phrase) <= present:
                    clauses.extend(
                        And([self._stem_clause(stem, 0.8 * boost) for stem in other])
                        for other in group if other and other != phrase)
        return Or(clauses) if clauses else NullQuery

    def _stem_known(self, word) -> bool:
        """'returns' is no typo when 'return' is indexed: its stem is in the index."""
        stems = self.stems(word)
        return bool(stems) and all(self.reader.doc_frequency("body", stem) or
                                   self.reader.doc_frequency("title", stem) for stem in stems)

    def corrections(self, words) -> dict[str, str]:
        """Unknown words and the nearest word of the index vocabulary: 'crdate' -> 'create'."""
        found = {}
        for word in words:
            if (word in self.vocabulary or len(word) < 3 or word.isdigit() or word in found
                    or word in self.stopwords or self._stem_known(word)):
                continue
            nearest = self.corrector.suggest(word, limit=1, maxdist=2 if len(word) > 5 else 1, prefix=1)
            if nearest and nearest[0] != word:
                found[word] = nearest[0]
        return found

    def query(self, text, *, category=None, limit=10, offset=0) -> SearchResults:
        words = self._words(text)
        query = self._build_query(self.stems(" ".join(words)), words=words)
        if words:
            query = Or([query, Term("asked", whole_question(text), boost=WHOLE_QUESTION_WEIGHT)])
        corrections = self.corrections(words)
        suggestion = " ".join(corrections.get(word, word) for word in words) if corrections else None
        if corrections:
            # Typo tolerance: the corrected words join the query with less weight than exact ones.
            fixed = list(corrections.values())
            query = Or([query, self._build_query(self.stems(" ".join(fixed)), TYPO_WEIGHT, fixed)])
        fuzzy = bool(corrections)
        if query is NullQuery:
            return SearchResults(query=text, locale=self.locale, total=0, suggestion=suggestion)
        # One bounded top-N search serves the count, the category facets and every page.
        results = self.searcher.search(query, limit=MAX_RESULTS)
        results.fragmenter = ContextFragmenter(maxchars=240, surround=70)
        results.formatter = HtmlFormatter(tagname="mark", between=" … ")
        best = results[0].score if results.scored_length() else 0.0
        relevant = [hit for hit in results if hit.score >= MIN_RELATIVE_SCORE * best]
        categories = Counter(hit["category"] for hit in relevant)
        if category:
            relevant = [hit for hit in relevant if hit["category"] == category]
        hits = tuple(
            Hit(article_id=hit["id"], score=round(hit.score, 4), snippet=hit.highlights("body", top=2))
            for hit in relevant[offset: offset + limit])
        return SearchResults(query=text, locale=self.locale, total=len(relevant), hits=hits,
                             suggestion=suggestion, fuzzy=fuzzy, categories=dict(categories))

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
