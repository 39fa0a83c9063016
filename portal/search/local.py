"""The local search index: one per locale, built from the content, swapped atomically.

Layout under <data dir>/index/:  CURRENT (the live build's name) and one folder per build,
holding one index folder per locale and the synonyms it was built with. A rebuild writes
a new folder and then replaces CURRENT, so a running server keeps answering from the old
build until its next query sees the new name.

Ranking is BM25 over impact lists computed at build time: for every term, the articles
that contain it and what it adds to their score. A query adds up the lists of its terms
with NumPy, so its cost is a few vector operations, not a Python step per posting, and
the lists are read from files as needed: every worker on a machine shares one copy in the
page cache.
Whoosh supplies the stop-word lists (docs/search.md says why the rest is our own).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import shutil
import sys
import threading
import time
import weakref
from bisect import bisect_left
from collections import Counter, defaultdict
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from . import spelling
from .analysis import fold_word, query_words, shop_synonyms, stopwords, term_function, terms, word_grams
from .interface import Hit, SearchResults, SearchUnavailable
from .snippets import snippet

log = logging.getLogger(__name__)

FORMAT = 1
# Where a stem counts, and how much: one stem row sums all four fields.
FIELD_WEIGHTS = {"title": 2.0, "questions": 2.5, "tags": 1.5, "body": 1.0}
# Words exactly as the customer wrote them, on top of their stems: 'ordinera' should
# prefer 'ordinera' over every other word that stems to 'ordin'.
EXACT_WORD_WEIGHT = 1.0
# Four-letter pieces of words: Swedish and Danish compounds ('returfrakt') and inflections
# a stemmer misses still share most of their pieces with the customer's word.
GRAM_WEIGHT = 1.2
# Pieces and words in most articles say little and cost the most: leave them out. A piece is
# only left out past a floor of articles too: in a small help centre every piece is cheap,
# and a compound's pieces are how it is found.
GRAM_MAX_SHARE = 0.05
GRAM_MIN_CEILING = 50
MAX_GRAMS = 48
STEM_MAX_SHARE = 0.5
# The title and each `questions:` line whole: a customer who asks exactly that question
# has found exactly that article.
WHOLE_QUESTION_WEIGHT = 10.0
TYPO_WEIGHT = 0.7  # a corrected word counts less than one the customer typed
SYNONYM_WEIGHT = 1.0  # every phrase of a group finds what the others find
PREFIX_WEIGHT = 4.0
MAX_PREFIX_WORDS = 200
# A search returns at most this many articles, and only those scoring at least this share
# of the best one: "23 articles found" should mean 23 plausible answers, not every
# article that shares one word with the question.
MAX_RESULTS = 100
MIN_RELATIVE_SCORE = 0.15
MAX_QUERY_WORDS = 32
MAX_QUERY_CHARS = 500
BM25_B, BM25_K1 = 0.6, 1.2
KEEP_BUILDS = 3

# Row kinds: the first letter of a row's key.
STEM, WORD, GRAM, ASKED, PREFIX = "s", "w", "g", "q", "p"


def whole_question(text: str) -> str:
    return " ".join(fold_word(word) for word in query_words(text))


def _ceiling(max_share: float, doc_count: int, floor: float = 1.0) -> float:
    """How many articles a term may be in and still be worth reading."""
    return max(floor, max_share * doc_count)


def rarest_first(frequency: dict[str, int], ceiling: float, limit: int | None = None) -> list[str]:
    """The keys in at least one and at most `ceiling` articles, rarest first; ties in key order,
    not the caller's: a set's order changes from process to process, and workers must agree."""
    kept = sorted((k for k, df in frequency.items() if 0 < df <= ceiling), key=lambda k: (frequency[k], k))
    if not kept and frequency:  # a query of only common words still needs something to match
        kept = sorted((k for k, df in frequency.items() if df), key=lambda k: (frequency[k], k))[:1]
    return kept[:limit]


def term_hash(key: str, salt: int) -> int:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8, salt=salt.to_bytes(8, "little"))
    return int.from_bytes(digest.digest(), "little")


# -- building ------------------------------------------------------------------------


class _FieldPostings:
    """Term frequencies of one field, gathered article by article into flat lists."""

    def __init__(self, kind: str, weight: float):
        self.kind, self.weight = kind, weight
        self.terms, self.counts, self.docs, self.lengths = [], [], [], []

    def add(self, doc: int, counts: Counter):
        # Interned: the same word in a thousand articles is one string, not a thousand.
        self.terms.extend(map(sys.intern, counts))
        self.counts.extend(counts.values())
        self.docs.extend(repeat(doc, len(counts)))
        self.lengths.append(counts.total())

    def impacts(self, rows: np.ndarray, doc_count: int) -> np.ndarray:
        """Whoosh's BM25F for each posting, idf = log(N / (df + 1)) + 1 (Lucene's for pieces)."""
        docs = np.array(self.docs, dtype=np.int64)
        tf = np.array(self.counts, dtype=np.float64)
        lengths = np.array(self.lengths, dtype=np.float64)
        df = np.bincount(rows)
        if self.kind == GRAM:
            # Lucene's idf, near zero for a piece in nearly every article: small help centres
            # keep every piece, and Whoosh's never falls below about 1.
            idf = np.log(1 + (doc_count - df[rows] + 0.5) / (df[rows] + 0.5))
        else:
            idf = np.log(doc_count / (df[rows] + 1.0)) + 1.0
        norm = (1 - BM25_B) + BM25_B * lengths[docs] / max(lengths.mean(), 1e-9)
        return self.weight * idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * norm)


def _write_locale(folder: Path, locale: str, articles: list):
    term = term_function(locale)
    stemmed = [_FieldPostings(STEM, weight) for weight in FIELD_WEIGHTS.values()]
    spell, pieces = _FieldPostings(WORD, EXACT_WORD_WEIGHT), _FieldPostings(GRAM, GRAM_WEIGHT)
    asked, prefix = _FieldPostings(ASKED, WHOLE_QUESTION_WEIGHT), _FieldPostings(PREFIX, 1.0)
    fields = [*stemmed, spell, pieces, asked, prefix]
    body_offsets, bodies = [0], bytearray()
    for doc, article in enumerate(articles):
        title, questions = query_words(article.title), query_words(" ".join(article.questions))
        body = query_words(article.body_text)
        tags = query_words(" ".join((*article.tags, article.category.replace("-", " "))))
        for postings, words in zip(stemmed, (title, questions, tags, body), strict=True):
            postings.add(doc, Counter(filter(None, map(term, words))))
        spell.add(doc, Counter(chain(title, questions, tags, body)))
        pieces.add(doc, Counter(chain.from_iterable(map(word_grams, chain(title, questions, body)))))
        asked.add(doc, Counter(q for q in map(whole_question, (article.title, *article.questions)) if q))
        prefix.add(doc, Counter(map(fold_word, chain(title, questions))))
        bodies += article.body_text.encode("utf-8")
        body_offsets.append(len(bodies))

    # Rows: one per kind and term; a stem's row gathers its four fields.
    vocabularies = {}
    for postings in fields:
        vocabularies.setdefault(postings.kind, {}).update(dict.fromkeys(postings.terms))
    keys, first_row = [], {}
    for kind, vocabulary in vocabularies.items():
        first_row[kind] = len(keys)
        for number, term_text in enumerate(vocabulary):
            vocabulary[term_text] = first_row[kind] + number
            keys.append(kind + term_text)
    doc_count = len(articles)
    all_rows, all_docs, all_impacts = [], [], []
    for postings in fields:
        rows = np.fromiter(map(vocabularies[postings.kind].__getitem__, postings.terms),
                           dtype=np.int64, count=len(postings.terms))
        local = rows - first_row[postings.kind]
        all_impacts.append(postings.impacts(local, doc_count))
        all_rows.append(rows)
        all_docs.append(np.array(postings.docs, dtype=np.int64))
    rows, docs, impacts = np.concatenate(all_rows), np.concatenate(all_docs), np.concatenate(all_impacts)
    # Rows no query reads take no space: word pieces in too many articles (left out of every
    # query) and stop words as written (a query's exact words leave them out too).
    never_read = np.zeros(len(keys), dtype=bool)
    gram_rows = slice(first_row.get(GRAM, 0), first_row.get(GRAM, 0) + len(vocabularies.get(GRAM, ())))
    never_read[gram_rows] = np.bincount(rows, minlength=len(keys))[gram_rows] > _ceiling(
        GRAM_MAX_SHARE, doc_count, GRAM_MIN_CEILING)
    stops = stopwords(locale)
    for word in stops.intersection(vocabularies.get(WORD, ())):
        never_read[vocabularies[WORD][word]] = True
    kept = ~never_read[rows]
    rows, docs, impacts = rows[kept], docs[kept], impacts[kept]
    # Rows are stored in the order of their keys' hashes: a query finds a row by binary
    # search, with no dictionary of every term in every process.
    for salt in range(8):
        hashes = np.array([term_hash(key, salt) for key in keys], dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        if len(hashes) < 2 or (np.diff(hashes[order]) != 0).all():
            break
    else:  # pragma: no cover - eight 64-bit collisions in a row
        raise RuntimeError("no collision-free term hash found")
    position = np.empty(len(keys), dtype=np.int64)
    position[order] = np.arange(len(keys))
    # Sorted by (row, article), a stem in several fields of one article merged into one
    # posting with the summed impact.
    combined, inverse = np.unique(position[rows] * doc_count + docs, return_inverse=True)
    summed = np.bincount(inverse, weights=impacts)
    stored_rows = combined // doc_count
    offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(np.bincount(stored_rows, minlength=len(keys)), out=offsets[1:])

    np.save(folder / "hashes.npy", hashes[order])
    np.save(folder / "offsets.npy", offsets)
    # Four bytes a posting: article numbers in 16 bits while they fit (65,536 articles per
    # locale), impacts as half floats (three significant digits; sums are in full floats).
    article_type = np.uint16 if doc_count <= 1 << 16 else np.int32
    np.save(folder / "docs.npy", (combined % doc_count).astype(article_type))
    np.save(folder / "impacts.npy", summed.astype(np.float16))
    np.save(folder / "body_offsets.npy", np.array(body_offsets, dtype=np.int64))
    (folder / "bodies.txt").write_bytes(bytes(bodies))
    words = sorted(vocabularies.get(WORD, ()))
    (folder / "words.txt").write_text("\n".join(words), "utf-8")
    spelling.write(folder, words)
    (folder / "prefixes.txt").write_text("\n".join(sorted(vocabularies.get(PREFIX, ()))), "utf-8")
    # The written form of a folded word, for queries typed without diacritics: 'zwrocic' -> 'zwrócić'.
    with_diacritics = {}
    for word in words:
        if (folded := fold_word(word)) != word:
            with_diacritics.setdefault(folded, word)
    (folder / "articles.json").write_text(json.dumps({
        "format": FORMAT, "salt": salt,
        "ids": [a.id for a in articles], "categories": [a.category for a in articles],
        "with_diacritics": with_diacritics,
    }, ensure_ascii=False), "utf-8")


class LocalSearch:
    def __init__(self, data_dir, *, builtin_synonyms=True):
        self.root = Path(data_dir) / "index"
        self.builtin_synonyms = builtin_synonyms
        self._lock = threading.RLock()
        self._generation = None
        self._open: dict[str, _OpenIndex] = {}

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
            _write_locale(folder, locale, items)
        # The editors' groups, then the built-in shop vocabulary of each locale's language.
        groups = {locale: [*(synonyms or {}).get(locale, ()),
                           *(shop_synonyms(locale) if self.builtin_synonyms else ())]
                  for locale in by_locale}
        (staging / "synonyms.json").write_text(json.dumps(
            {locale: [list(group) for group in found] for locale, found in groups.items() if found},
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
        """The open index of a locale, reopened when a new build goes live."""
        last_error = None
        for _attempt in range(3):
            generation = self.generation()
            if not generation:
                raise SearchUnavailable("no search index has been built yet")
            with self._lock:
                if generation != self._generation:
                    self._open.clear()
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
                    last_error = f"{error}"
                    self._generation = None
                    time.sleep(0.05)
                    continue
                self._open[locale] = opened
                return opened
        raise SearchUnavailable(f"the search index cannot be opened: {last_error}")

    def close(self):
        with self._lock:
            self._open.clear()
            self._generation = None

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


# -- querying ------------------------------------------------------------------------


class _Query:
    """Rows to add up, each with a weight, and the synonyms of phrases the query contains."""

    def __init__(self):
        self.rows: dict[str, float] = {}
        # For each phrase of the query that has synonyms, the other phrases of its groups,
        # each as (row key, weight) pairs.
        self.alternatives: list[list[list[tuple[str, float]]]] = []

    def add(self, key, weight):
        self.rows[key] = self.rows.get(key, 0.0) + weight


def _mapped(path: Path) -> np.ndarray:
    """A read-only memory map of an index file, for the small files a query searches in:
    without the advice, the kernel reads ahead around every place a query looks."""
    array = np.load(path, mmap_mode="r")
    advise = getattr(array._mmap, "madvise", None) if array._mmap is not None else None
    if advise is not None and hasattr(mmap, "MADV_RANDOM"):
        advise(mmap.MADV_RANDOM)
    return array


class _Slices:
    """Slices of a large index file (postings, article texts), read with pread.

    Not memory-mapped: the page cache keeps large files in folios of up to 2 MB, and a fault
    maps the whole folio, so a 2 KB snippet left 2 MB in the worker. Mapped, postings and
    texts were 161 MB of each worker's RSS at 10,000 articles x 4 locales (docs/operations.md)."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)
        if path.suffix == ".npy":
            with open(path, "rb") as file:
                version = np.lib.format.read_magic(file)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                (self.length,), _fortran_order, self.dtype = read_header(file)
                self.start = file.tell()
        else:
            self.dtype, self.start = np.dtype(np.uint8), 0
            self.length = os.fstat(self.fd).st_size

    def __len__(self):
        return self.length

    def __getitem__(self, window: slice) -> np.ndarray:
        start, stop, _step = window.indices(self.length)
        size = self.dtype.itemsize
        data = os.pread(self.fd, max(stop - start, 0) * size, self.start + start * size)
        return np.frombuffer(data, dtype=self.dtype)


class _OpenIndex:
    """One locale's open index, its vocabulary and synonyms. Read-only: threads share it."""

    def __init__(self, folder: Path, locale: str, synonyms_file: Path):
        self.folder = folder
        self.locale = locale
        meta = json.loads((folder / "articles.json").read_text("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"index format {meta.get('format')!r}, expected {FORMAT}")
        self.salt = meta["salt"]
        self.ids, self.categories = meta["ids"], meta["categories"]
        self.doc_count = len(self.ids)
        self.hashes, self.offsets, self.body_offsets = (
            _mapped(folder / f"{name}.npy") for name in ("hashes", "offsets", "body_offsets"))
        self.docs, self.impacts = _Slices(folder / "docs.npy"), _Slices(folder / "impacts.npy")
        if not (len(self.offsets) == len(self.hashes) + 1 and self.offsets[-1] == len(self.docs)
                == len(self.impacts) and len(self.body_offsets) == self.doc_count + 1):
            raise ValueError(f"inconsistent index files in {folder}")
        self.bodies = _Slices(folder / "bodies.txt")
        self.term = term_function(locale)
        self.stopwords = stopwords(locale)
        self._speller = None
        self._prefixes = None
        self.with_diacritics = meta["with_diacritics"]
        # Each synonym phrase, stemmed, under its first stem with its group: a query looks at
        # the phrases that can match it, not at every group of the built-in vocabulary.
        self.phrases: dict[str, list[tuple[tuple, list]]] = defaultdict(list)
        for group in json.loads(synonyms_file.read_text("utf-8")).get(locale, []):
            stemmed = [self.stems(phrase) for phrase in group]
            for phrase in filter(None, stemmed):
                self.phrases[phrase[0]].append((phrase, stemmed))

    # -- terms and rows --

    def _rows(self, keys) -> list[int]:
        """The row of each key, or -1 for a key not in the index."""
        if not keys or not len(self.hashes):
            return [-1] * len(keys)
        wanted = np.array([term_hash(key, self.salt) for key in keys], dtype=np.uint64)
        found = np.searchsorted(self.hashes, wanted).clip(max=len(self.hashes) - 1)
        return [int(r) if self.hashes[r] == h else -1 for r, h in zip(found, wanted, strict=True)]

    def _frequency(self, keys) -> dict[str, int]:
        return {key: int(self.offsets[row + 1] - self.offsets[row]) if row >= 0 else 0
                for key, row in zip(keys, self._rows(keys), strict=True)}

    def _known(self, key) -> bool:
        return self._rows([key])[0] >= 0

    def stems(self, text) -> tuple[str, ...]:
        return tuple(dict.fromkeys(terms(self.locale, text)))

    def _words(self, text) -> list[str]:
        words = query_words(text[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        return [word if word not in self.with_diacritics or self._known(WORD + word)
                else self.with_diacritics[word] for word in words]

    def _selective(self, keys, max_share, limit=None, floor=1.0):
        """The keys that occur in the index but not in most articles, rarest first."""
        return rarest_first(self._frequency(list(keys)), _ceiling(max_share, self.doc_count, floor), limit)

    def _add_words(self, query: _Query, stems, boost=1.0, words=()):
        keys = [STEM + stem for stem in stems]
        for key in self._selective(keys, STEM_MAX_SHARE) or keys:
            query.add(key, boost)
        content_words = [word for word in dict.fromkeys(words) if word not in self.stopwords]
        for word in content_words:
            query.add(WORD + word, boost)
        pieces = {GRAM + g for word in content_words for g in word_grams(word)}
        for key in self._selective(pieces, GRAM_MAX_SHARE, MAX_GRAMS, GRAM_MIN_CEILING):
            query.add(key, boost)
        # Each phrase of the query with its other phrases, each once however many groups (the
        # editors', the built-in) offer it, and none the query already has.
        present = set(stems)
        others: dict[tuple, dict] = {}
        for stem in stems:
            for phrase, group in self.phrases.get(stem, ()):
                if set(phrase) <= present:
                    others.setdefault(phrase, {}).update(
                        dict.fromkeys(other for other in group if other and not set(other) <= present))
        query.alternatives.extend(
            [[(STEM + stem, SYNONYM_WEIGHT * boost) for stem in other] for other in alternatives]
            for alternatives in others.values() if alternatives)

    # -- scoring --

    def _row_scores(self, rows_and_weights) -> np.ndarray:
        scores = np.zeros(self.doc_count, dtype=np.float64)
        for row, weight in rows_and_weights:
            if row >= 0:
                start, end = self.offsets[row], self.offsets[row + 1]
                scores[self.docs[start:end]] += self.impacts[start:end] * np.float64(weight)
        return scores

    def _phrase_scores(self, phrase) -> np.ndarray:
        """The phrase's score in the articles that have every one of its rows, else 0."""
        rows = self._rows([key for key, _ in phrase])
        if -1 in rows:
            return np.zeros(self.doc_count)
        parts = [self._row_scores([(row, weight)]) for row, (_, weight) in zip(rows, phrase, strict=True)]
        return np.where(np.all([part > 0 for part in parts], axis=0), np.sum(parts, axis=0), 0.0)

    def _scores(self, query: _Query) -> np.ndarray:
        keys = list(query.rows)
        scores = self._row_scores(zip(self._rows(keys), query.rows.values(), strict=True))
        # Of a phrase's synonyms, only the best in each article counts: a word with five
        # synonyms must not outweigh the rest of the question.
        for alternatives in query.alternatives:
            scores += np.max([self._phrase_scores(other) for other in alternatives], axis=0)
        return scores

    def _ranked(self, scores, limit) -> list[int]:
        """Article numbers by falling score, ties in index order; at most `limit`."""
        candidates = np.flatnonzero(scores)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
        return [int(doc) for doc in candidates[np.lexsort((candidates, -scores[candidates]))]]

    def _snippet(self, doc, terms) -> str:
        start, end = int(self.body_offsets[doc]), int(self.body_offsets[doc + 1])
        return snippet(self.bodies[start:end].tobytes().decode("utf-8"), terms, self.term)

    # -- typos --

    def _stem_known(self, word) -> bool:
        """'returns' is no typo when 'return' is indexed: its stem is in the index."""
        stems = self.stems(word)
        return bool(stems) and all(self._known(STEM + stem) for stem in stems)

    def corrections(self, words) -> dict[str, str]:
        """Unknown words and the nearest word of the index vocabulary: 'crdate' -> 'create'."""
        found = {}
        for word in words:
            if (len(word) < 3 or word.isdigit() or word in found or word in self.stopwords
                    or self._known(WORD + word) or self._stem_known(word)):
                continue
            if self._speller is None:
                vocabulary = (self.folder / "words.txt").read_text("utf-8").split("\n")
                self._speller = spelling.Speller(self.folder, vocabulary)
            candidates = {candidate: edits for candidate, edits
                          in self._speller.candidates(word, 2 if len(word) > 5 else 1).items()
                          if candidate not in self.stopwords}  # 'teh' is no question about 'the'
            if candidates:
                # The closest word; of equally close ones, the one most articles use.
                frequency = self._frequency([WORD + c for c in candidates])
                found[word] = min(candidates, key=lambda c: (candidates[c], -frequency[WORD + c], c))
        return found

    # -- the interface --

    def query(self, text, *, category=None, limit=10, offset=0) -> SearchResults:
        words = self._words(text)
        stems = self.stems(" ".join(words))
        query = _Query()
        self._add_words(query, stems, words=words)
        if words:
            query.add(ASKED + whole_question(text), 1.0)
        corrections = self.corrections(words)
        suggestion = " ".join(corrections.get(word, word) for word in words) if corrections else None
        matched = set(stems)
        if corrections:
            # Typo tolerance: the corrected words join the query with less weight than exact ones.
            fixed = list(corrections.values())
            fixed_stems = self.stems(" ".join(fixed))
            self._add_words(query, fixed_stems, TYPO_WEIGHT, fixed)
            matched.update(fixed_stems)
        # Snippets mark what found the article: the synonyms too ('refund' for 'reimbursement').
        matched.update(key[1:] for alternatives in query.alternatives for other in alternatives
                       for key, _ in other)
        if not query.rows and not query.alternatives:
            return SearchResults(query=text, locale=self.locale, total=0, suggestion=suggestion)
        # One bounded top-N search serves the count, the category facets and every page.
        scores = self._scores(query)
        ranked = self._ranked(scores, MAX_RESULTS)
        best = scores[ranked[0]] if ranked else 0.0
        relevant = [doc for doc in ranked if scores[doc] >= MIN_RELATIVE_SCORE * best]
        categories = Counter(self.categories[doc] for doc in relevant)
        if category:
            relevant = [doc for doc in relevant if self.categories[doc] == category]
        hits = tuple(
            Hit(article_id=self.ids[doc], score=round(float(scores[doc]), 4),
                snippet=self._snippet(doc, matched))
            for doc in relevant[offset: offset + limit])
        return SearchResults(query=text, locale=self.locale, total=len(relevant), hits=hits,
                             suggestion=suggestion, fuzzy=bool(corrections), categories=dict(categories))

    def _prefix_words(self, start) -> list[str]:
        if self._prefixes is None:
            self._prefixes = (self.folder / "prefixes.txt").read_text("utf-8").split("\n")
        first = bisect_left(self._prefixes, start)
        found = []
        for word in self._prefixes[first: first + MAX_PREFIX_WORDS]:
            if not word.startswith(start):
                break
            found.append(word)
        return found

    def suggest(self, text, *, limit=6) -> list[Hit]:
        """As-you-type: whole words as in `query`, the last, unfinished word as a prefix."""
        words = self._words(text)
        if not words:
            return []
        complete, partial = (words, None) if text[-1:].isspace() else (words[:-1], words[-1])
        query = _Query()
        if complete:
            self._add_words(query, self.stems(" ".join(complete)))
        scores = self._scores(query)
        if partial:
            self._add_words(query := _Query(), self.stems(partial))
            scores += self._scores(query)
            # Any word starting with the unfinished one counts once, as Whoosh's Prefix does.
            rows = [row for row in self._rows([PREFIX + w for w in self._prefix_words(fold_word(partial))])
                    if row >= 0]
            if rows:
                docs = np.concatenate([self.docs[self.offsets[r]:self.offsets[r + 1]] for r in rows])
                scores[np.unique(docs)] += PREFIX_WEIGHT
        return [Hit(article_id=self.ids[doc], score=round(float(scores[doc]), 4))
                for doc in self._ranked(scores, limit)]
