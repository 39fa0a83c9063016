"""What an article is searched by: its text analysed once, the same for every engine.

Each engine stores these fields as space-separated terms (tantivy's `whitespace` tokenizer,
Whoosh's `SpaceSeparatedTokenizer`), so every language we support is analysed by our own
`analysis.py` (Snowball incl. Polish, folding, stop words) whichever engine ranks it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import chain

from .analysis import fold_word, query_words, stopwords, term_function, word_grams
from .compounds import compound_candidates

# Stems, in these fields: where a customer's word is found says how much it counts. `parts`
# holds the stems of the known words a compound is made of ('returfrakten': retur, frakt), in
# Swedish and Danish (compounds.py).
STEM_FIELDS = {"title": 2.0, "questions": 2.5, "tags": 1.5, "body": 1.0, "parts": 0.5}
# Words exactly as written, on top of their stems: 'ordinera' should prefer 'ordinera' over
# every other word that stems to 'ordin'.
WORDS_FIELD, EXACT_WORD_WEIGHT = "words", 1.0
# Four-letter pieces of folded words: Swedish and Danish compounds ('returfrakt') and
# inflections a stemmer misses still share most of their pieces with the customer's word.
GRAMS_FIELD, GRAM_WEIGHT = "grams", 1.0
# The title and each `questions:` line whole: a customer who asks exactly that question has
# found exactly that article.
ASKED_FIELD, WHOLE_QUESTION_WEIGHT = "asked", 10.0
# Folded title and question words, for as-you-type prefixes.
PREFIXES_FIELD = "prefixes"
CATEGORY_FIELD = "category"


def idf(field: str, df: int, doc_count: int) -> float:
    """How much a term found in `df` of `doc_count` articles counts. Words and stems: Whoosh's
    ln(N / (df + 1)) + 1, which never falls below about 1, so a common word of the question
    still counts. Pieces: Lucene's ln(1 + (N - df + 0.5) / (df + 0.5)), near zero for a piece
    in nearly every article: small help centres keep every piece, and common ones would
    outweigh the words. Each engine scales its own idf to this one."""
    if field == GRAMS_FIELD:
        return lucene_idf(df, doc_count)
    return math.log(doc_count / (df + 1)) + 1


def lucene_idf(df: int, doc_count: int) -> float:
    return math.log(1 + (doc_count - df + 0.5) / (df + 0.5))


def whole_question(text: str) -> str:
    return " ".join(fold_word(word) for word in query_words(text))


@dataclass(frozen=True)
class AnalysedArticle:
    """One article as the engines index it: `fields` maps a field name to its terms, separated by
    spaces (the engines' tokenizer)."""

    number: int  # position in the locale's build: the engines' shared document key
    id: str
    category: str
    fields: dict[str, str]
    asked: tuple[str, ...]


@dataclass
class ArticleTerms:
    """What an article is searched by, as far as it depends on the article alone. The rest is
    decided for a whole locale (analysis_cache.py): the parts of its compounds (by the locale's
    vocabulary) and which pieces are too common to index."""

    fields: dict[str, str]  # every field but GRAMS_FIELD and PARTS_FIELD, terms separated by spaces
    pieces: list[str]  # GRAMS_FIELD's terms, every one
    written: set[str]  # its words as written, stop words too: its share of the vocabulary
    compounds: dict[str, int]  # words that may be compounds, with how often they occur
    asked: tuple[str, ...]


PARTS_FIELD = "parts"


def analyse(article, locale: str) -> ArticleTerms:
    term, stops = term_function(locale), stopwords(locale)
    title, questions = query_words(article.title), query_words(" ".join(article.questions))
    body = query_words(article.body_text)
    tags = query_words(" ".join((*article.tags, article.category.replace("-", " "))))
    stemmed = {"title": title, "questions": questions, "tags": tags, "body": body}
    fields = {name: " ".join(filter(None, map(term, words))) for name, words in stemmed.items()}
    # Stop words as written are never asked for: a query's exact words leave them out too.
    fields[WORDS_FIELD] = " ".join([w for w in chain(title, questions, tags, body) if w not in stops])
    pieces = list(chain.from_iterable(map(word_grams, chain(title, questions, body))))
    fields[PREFIXES_FIELD] = " ".join(sorted(set(map(fold_word, chain(title, questions)))))
    asked = tuple(dict.fromkeys(q for q in map(whole_question, (article.title, *article.questions)) if q))
    # The vocabulary: every word as written, stop words too ('did you mean', written forms).
    written = set(chain(title, questions, body, query_words(" ".join(article.tags))))
    compounds = Counter(compound_candidates(chain(title, questions, body), locale))
    return ArticleTerms(fields=fields, pieces=pieces, written=written, compounds=dict(compounds), asked=asked)


def parts_field(compounds: dict[str, int], splits: dict[str, tuple[str, ...]], locale: str) -> str:
    """The stems of the known words an article's compounds are made of (`splits`: compound ->
    parts), each as often as its compound."""
    term = term_function(locale)
    return " ".join(stem for word, count in compounds.items() for part in splits[word]
                    if (stem := term(part)) for _ in range(count))
