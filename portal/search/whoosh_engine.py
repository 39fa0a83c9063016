"""Whoosh, the pure-Python engine: no native wheel, for small help centres and platforms
tantivy has no wheel for (docs/search.md says up to what size it serves).

The same analysed fields and the same plan as tantivy: terms joined by spaces, split by
Whoosh's `SpaceSeparatedTokenizer`, scored with BM25F, the planner's weights as boosts.
"""

from __future__ import annotations

import math
import threading
import weakref
from itertools import islice
from pathlib import Path

import whoosh
from whoosh import fields, index, query, scoring
from whoosh.analysis import SpaceSeparatedTokenizer

from .fields import ASKED_FIELD, CATEGORY_FIELD, GRAMS_FIELD, PREFIXES_FIELD, STEM_FIELDS, WORDS_FIELD, idf
from .planner import AnyPrefix, BestOf, Stem, Term

ANALYSED_FIELDS = (*STEM_FIELDS, WORDS_FIELD, GRAMS_FIELD)
NUMBER = "n"
# tantivy's BM25 constants, so both engines weigh length alike.
BM25_B, BM25_K1 = 0.75, 1.2


def _schema() -> fields.Schema:
    analysed = {name: fields.TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False)
                for name in ANALYSED_FIELDS}
    return fields.Schema(
        **analysed,
        **{PREFIXES_FIELD: fields.KEYWORD(),
           # Whole questions, several a document: commas never occur in them (words only).
           ASKED_FIELD: fields.KEYWORD(commas=True, scorable=True),
           CATEGORY_FIELD: fields.ID(), NUMBER: fields.STORED()})


class WhooshEngine:
    name = "whoosh"
    version = ".".join(map(str, whoosh.__version__))

    def write(self, folder: Path, articles):
        folder.mkdir()
        ix = index.create_in(str(folder), _schema())
        writer = ix.writer(limitmb=256)
        for article in articles:
            writer.add_document(
                **{name: article.fields[name] for name in (*ANALYSED_FIELDS, PREFIXES_FIELD)},
                **{ASKED_FIELD: ",".join(article.asked), CATEGORY_FIELD: article.category,
                   NUMBER: article.number})

        def commit():
            writer.commit()
            ix.close()

        return commit

    def open(self, folder: Path) -> WhooshIndex:
        return WhooshIndex(folder)


class WhooshIndex:
    def __init__(self, folder: Path):
        try:
            ix = index.open_dir(str(folder))
        except index.IndexError as error:  # no or damaged index files: the build is unreadable
            raise ValueError(f"{folder}: {error!r}") from error
        self.searcher = ix.searcher(weighting=scoring.BM25F(B=BM25_B, K1=BM25_K1))
        weakref.finalize(self, self.searcher.close)
        # A Whoosh searcher is not made for threads: queries on one locale take turns.
        self._lock = threading.Lock()
        self.doc_count = self.searcher.doc_count()

    def doc_freq(self, field, term):
        with self._lock:
            return self.searcher.doc_frequency(field, term)

    def prefix_terms(self, start, limit):
        with self._lock:
            return list(islice(self.searcher.reader().expand_prefix(PREFIXES_FIELD, start), limit))

    def _stem(self, stem: Stem):
        return query.Or([query.Term(name, stem.text, boost=weight * stem.boost)
                         for name, weight in STEM_FIELDS.items()])

    def _clause(self, clause):
        if isinstance(clause, Stem):
            return self._stem(clause)
        if isinstance(clause, Term):
            boost = clause.boost
            if clause.field == GRAMS_FIELD and (df := self.doc_freq(GRAMS_FIELD, clause.text)):
                # Whoosh's BM25F has Whoosh's idf; pieces count with Lucene's (fields.idf).
                boost *= idf(GRAMS_FIELD, df, self.doc_count) / (math.log(self.doc_count / (df + 1)) + 1)
            return query.Term(clause.field, clause.text, boost=boost)
        if isinstance(clause, BestOf):
            return query.DisjunctionMax([query.And([self._stem(stem) for stem in option])
                                         for option in clause.options])
        if isinstance(clause, AnyPrefix):
            return query.ConstantScoreQuery(
                query.Or([query.Term(PREFIXES_FIELD, term) for term in clause.terms]), clause.score)
        raise TypeError(f"no Whoosh query for {clause!r}")

    def search(self, clauses, limit):
        whole = query.Or([self._clause(clause) for clause in clauses])
        with self._lock:
            results = self.searcher.search(whole, limit=limit)
            return [(hit[NUMBER], hit.score) for hit in results]
