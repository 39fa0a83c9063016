"""tantivy, the default engine: a maintained Rust index, memory-mapped and shared by workers.

Fields hold our own analysis as space-separated terms (the `whitespace` tokenizer), so
Polish and every other language are analysed as in any engine; tantivy scores them with
BM25 per field, and the planner's weights become boosts.
"""

from __future__ import annotations

from pathlib import Path

import tantivy

from .fields import (
    ASKED_FIELD,
    CATEGORY_FIELD,
    GRAMS_FIELD,
    PREFIXES_FIELD,
    STEM_FIELDS,
    WORDS_FIELD,
    idf,
    lucene_idf,
)
from .planner import AnyPrefix, BestOf, Stem, Term

Occur, Query = tantivy.Occur, tantivy.Query
ANALYSED_FIELDS = (*STEM_FIELDS, WORDS_FIELD, GRAMS_FIELD)
NUMBER = "n"
WRITER_HEAP = 200_000_000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in ANALYSED_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field(PREFIXES_FIELD, tokenizer_name="whitespace", index_option="basic")
    builder.add_text_field(ASKED_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(CATEGORY_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field(NUMBER, fast=True)
    return builder.build()


class TantivyEngine:
    name = "tantivy"
    version: str = tantivy.__version__  # type: ignore[attr-defined]  # not in its stubs

    def write(self, folder: Path, articles):
        folder.mkdir()
        index = tantivy.Index(_schema(), path=str(folder), reuse=False)
        # One thread: documents stay in article order, and the build is the same every time.
        writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
        for article in articles:
            document = tantivy.Document()
            document.add_unsigned(NUMBER, article.number)
            for name in (*ANALYSED_FIELDS, PREFIXES_FIELD):
                document.add_text(name, article.fields[name])
            for question in article.asked:
                document.add_text(ASKED_FIELD, question)
            document.add_text(CATEGORY_FIELD, article.category)
            writer.add_document(document)

        def commit():
            writer.commit()
            writer.wait_merging_threads()

        return commit

    def open(self, folder: Path) -> TantivyIndex:
        return TantivyIndex(folder)


class TantivyIndex:
    def __init__(self, folder: Path):
        self.index = tantivy.Index.open(str(folder))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()
        self.doc_count = self.searcher.num_docs

    def doc_freq(self, field, term):
        return self.searcher.doc_freq(field, term)

    def prefix_terms(self, start, limit):
        return [term for term, _count in self.searcher.terms_with_prefix(PREFIXES_FIELD, start, limit=limit)]

    def _term(self, field, text, boost):
        query = Query.term_query(self.schema, field, text, index_option="freq")
        if field != GRAMS_FIELD and (df := self.searcher.doc_freq(field, text)):
            # tantivy's BM25 has Lucene's idf: scaled to ours (fields.idf).
            boost *= idf(field, df, self.doc_count) / lucene_idf(df, self.doc_count)
        return query if boost == 1.0 else Query.boost_query(query, boost)

    def _stem(self, stem: Stem):
        return Query.boolean_query([(Occur.Should, self._term(name, stem.text, weight * stem.boost))
                                    for name, weight in STEM_FIELDS.items()])

    def _clause(self, clause):
        if isinstance(clause, Stem):
            return self._stem(clause)
        if isinstance(clause, Term):
            return self._term(clause.field, clause.text, clause.boost)
        if isinstance(clause, BestOf):
            return Query.disjunction_max_query([
                Query.boolean_query([(Occur.Must, self._stem(stem)) for stem in option])
                for option in clause.options])
        if isinstance(clause, AnyPrefix):
            return Query.const_score_query(
                Query.term_set_query(self.schema, PREFIXES_FIELD, list(clause.terms)), clause.score)
        raise TypeError(f"no tantivy query for {clause!r}")

    def search(self, clauses, limit):
        query = Query.boolean_query([(Occur.Should, self._clause(clause)) for clause in clauses])
        hits = self.searcher.search(query, limit, count=False).hits
        addresses = [address for _score, address in hits]
        numbers = self.searcher.fast_field_values(NUMBER, addresses)
        return [(number, score) for (score, _address), number in zip(hits, numbers, strict=True)]
