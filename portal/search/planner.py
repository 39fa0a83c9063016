"""A customer's words -> the weighted terms an engine adds up: the ranking rules, once.

The plan is engine-neutral: each backend turns its clauses into its own queries (tantivy's
boolean, boost and disjunction-max queries; Whoosh's Or, Boost and DisjunctionMax), so the
rules below rank alike in every engine, and one test per rule runs over every engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from .analysis import fold_word, query_words, terms, word_grams
from .fields import (
    ASKED_FIELD,
    EXACT_WORD_WEIGHT,
    GRAM_WEIGHT,
    GRAMS_FIELD,
    STEM_FIELDS,
    WHOLE_QUESTION_WEIGHT,
    WORDS_FIELD,
    whole_question,
)

MAX_QUERY_WORDS = 32
MAX_QUERY_CHARS = 500
# Stems in most articles say little: left out, unless the query has nothing else. 0.7 and not
# 0.5: in a small help centre a word in 60 % of the articles still tells them apart (da-bitext-dev).
STEM_MAX_SHARE = 0.7
# Pieces in more than 5 % of articles are left out, but only past a floor of articles: in a
# small help centre every piece is cheap, and a compound's pieces are how it is found.
GRAM_MAX_SHARE = 0.05
GRAM_MIN_CEILING = 50
MAX_GRAMS = 48
TYPO_WEIGHT = 0.7  # a corrected word counts less than one the customer typed
# The known words of a compound the customer typed ('säkerhetsnivån': säkerhet, nivå) count
# too, less than the word itself.
COMPOUND_PART_WEIGHT = 0.25
SYNONYM_WEIGHT = 1.0  # every phrase of a group finds what the others find
PREFIX_WEIGHT = 4.0  # as-you-type: any word starting with the unfinished one, once
MAX_PREFIX_WORDS = 200


@dataclass(frozen=True)
class Term:
    """One term of one field, its score multiplied by `boost`."""

    field: str
    text: str
    boost: float


@dataclass(frozen=True)
class Stem:
    """A stem in every stem field, each with its field weight times `boost`."""

    text: str
    boost: float


@dataclass(frozen=True)
class BestOf:
    """Synonyms: of the options, only the best in each article counts; an option counts
    only where every one of its stems matches."""

    options: tuple[tuple[Stem, ...], ...]


@dataclass(frozen=True)
class AnyPrefix:
    """A constant `score` for an article with any of these prefix-field terms."""

    terms: tuple[str, ...]
    score: float


@dataclass
class Plan:
    clauses: list = field(default_factory=list)
    matched: set[str] = field(default_factory=set)  # stems snippets mark
    suggestion: str | None = None  # 'did you mean', the whole corrected query
    fuzzy: bool = False  # corrected words were added


class IndexView(Protocol):
    """What planning needs to know of one locale's index."""

    locale: str
    doc_count: int
    stopwords: frozenset[str]

    def doc_freq(self, field: str, term: str) -> int: ...

    def written_form(self, folded: str) -> str | None: ...

    def synonym_phrases(self, first_stem: str) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]: ...

    def spelling_candidates(self, word: str, max_distance: int) -> dict[str, int]: ...

    def prefix_terms(self, start: str, limit: int) -> list[str]: ...

    def compound_parts(self, word: str) -> tuple[str, ...]: ...


def ceiling(max_share: float, doc_count: int, floor: float = 1.0) -> float:
    """How many articles a term may be in and still be worth reading."""
    return max(floor, max_share * doc_count)


def rarest_first(frequency: dict[str, int], limit_articles: float, limit: int | None = None,
                 keep_one: bool = False) -> list[str]:
    """The keys in at least one and at most `limit_articles` articles, rarest first; ties in
    key order, not the caller's: a set's order changes from process to process, and workers
    must agree."""
    kept = sorted((k for k, df in frequency.items() if 0 < df <= limit_articles),
                  key=lambda k: (frequency[k], k))
    if not kept and keep_one:  # a query of only common words still needs something to match
        kept = sorted((k for k, df in frequency.items() if df), key=lambda k: (frequency[k], k))[:1]
    return kept[:limit]


def stems(locale: str, text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(terms(locale, text)))


def group_phrases(locale: str, groups) -> dict[str, list]:
    """Each synonym phrase, stemmed, under its first stem with its whole group: a query looks
    only at the phrases that can match it, not at every group of the built-in vocabulary."""
    phrases: dict[str, list] = defaultdict(list)
    for group in groups:
        stemmed = [stems(locale, phrase) for phrase in group]
        for phrase in filter(None, stemmed):
            phrases[phrase[0]].append((phrase, stemmed))
    return dict(phrases)


class Planner:
    def __init__(self, index: IndexView):
        self.index = index
        self.locale = index.locale

    def words(self, text: str) -> list[str]:
        """The query's words, lowercased; a word typed without its diacritics that the index
        only knows with them gets them back ('zwrocic' -> 'zwrócić')."""
        found = []
        for word in query_words(text[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]:
            written = self.index.written_form(word)
            found.append(written if written and not self.index.doc_freq(WORDS_FIELD, word) else word)
        return found

    def _selective(self, field_name, keys, max_share, limit=None, floor=1.0):
        frequency = {key: self.index.doc_freq(field_name, key) for key in keys}
        return rarest_first(frequency, ceiling(max_share, self.index.doc_count, floor), limit)

    def add_words(self, plan: Plan, query_stems, boost=1.0, words=()):
        """The stems (the common ones left out), the exact words and their rarest pieces, and
        the synonyms of every phrase the stems contain."""
        index = self.index
        stem_frequency = {stem: max(index.doc_freq(name, stem) for name in STEM_FIELDS)
                          for stem in query_stems}
        for stem in rarest_first(stem_frequency, ceiling(STEM_MAX_SHARE, index.doc_count), keep_one=True) \
                or query_stems:
            plan.clauses.append(Stem(stem, boost))
        content_words = [word for word in dict.fromkeys(words) if word not in index.stopwords]
        plan.clauses.extend(Term(WORDS_FIELD, word, EXACT_WORD_WEIGHT * boost) for word in content_words)
        pieces = {piece for word in content_words for piece in word_grams(word)}
        plan.clauses.extend(Term(GRAMS_FIELD, piece, GRAM_WEIGHT * boost) for piece in self._selective(
            GRAMS_FIELD, pieces, GRAM_MAX_SHARE, MAX_GRAMS, GRAM_MIN_CEILING))
        # Each phrase of the query with its other phrases, each once however many groups (the
        # editors', the built-in) offer it, and none the query already has.
        present = set(query_stems)
        others: dict[tuple, dict] = {}
        for stem in query_stems:
            for phrase, group in index.synonym_phrases(stem):
                if set(phrase) <= present:
                    others.setdefault(phrase, {}).update(
                        dict.fromkeys(other for other in group if other and not set(other) <= present))
        for alternatives in others.values():
            if alternatives:
                plan.clauses.append(BestOf(tuple(
                    tuple(Stem(stem, SYNONYM_WEIGHT * boost) for stem in other) for other in alternatives)))
                plan.matched.update(stem for other in alternatives for stem in other)

    def known(self, word: str) -> bool:
        """A word the index knows as written, by its stem, or in a synonym phrase: never a typo."""
        index = self.index
        if index.doc_freq(WORDS_FIELD, word) or word in index.stopwords:
            return True
        word_stems = stems(self.locale, word)
        return bool(word_stems) and all(
            index.synonym_phrases(stem) or any(index.doc_freq(name, stem) for name in STEM_FIELDS)
            for stem in word_stems)

    def corrections(self, words) -> dict[str, str]:
        """Unknown words and the nearest word of the index vocabulary: 'crdate' -> 'create'."""
        found = {}
        for word in words:
            if len(word) < 3 or word.isdigit() or word in found or self.known(word):
                continue
            candidates = {candidate: edits for candidate, edits
                          in self.index.spelling_candidates(word, 2 if len(word) > 5 else 1).items()
                          if candidate not in self.index.stopwords}  # 'teh' is no question about 'the'
            if candidates:
                # The closest word; of equally close ones, the one most articles use.
                found[word] = min(candidates, key=lambda c: (candidates[c],
                                                             -self.index.doc_freq(WORDS_FIELD, c), c))
        return found

    def query(self, text: str) -> Plan:
        plan = Plan()
        words = self.words(text)
        query_stems = stems(self.locale, " ".join(words))
        self.add_words(plan, query_stems, words=words)
        if words:
            plan.clauses.append(Term(ASKED_FIELD, whole_question(text), WHOLE_QUESTION_WEIGHT))
        plan.matched.update(query_stems)
        part_stems = [stem for word in words for part in self.index.compound_parts(word)
                      for stem in stems(self.locale, part) if stem not in query_stems]
        plan.clauses.extend(Stem(stem, COMPOUND_PART_WEIGHT) for stem in dict.fromkeys(part_stems))
        plan.matched.update(part_stems)
        corrections = self.corrections(words)
        if corrections:
            plan.suggestion = " ".join(corrections.get(word, word) for word in words)
            plan.fuzzy = True
            fixed = list(corrections.values())
            fixed_stems = stems(self.locale, " ".join(fixed))
            self.add_words(plan, fixed_stems, TYPO_WEIGHT, fixed)
            plan.matched.update(fixed_stems)
        return plan

    def suggest(self, text: str) -> Plan:
        """As-you-type: the words as in `query` (no typo correction), the last one as a prefix too."""
        plan = Plan()
        words = self.words(text)
        if not words:
            return plan
        # Every word as the results page reads it, so both agree on a finished question...
        self.add_words(plan, stems(self.locale, " ".join(words)), words=words)
        plan.clauses.append(Term(ASKED_FIELD, whole_question(text), WHOLE_QUESTION_WEIGHT))
        # ...and the last word, unless a space ended it, as the start of any word.
        if not text[-1:].isspace():
            prefixed = self.index.prefix_terms(fold_word(words[-1]), MAX_PREFIX_WORDS)
            if prefixed:
                plan.clauses.append(AnyPrefix(tuple(prefixed), PREFIX_WEIGHT))
        return plan
