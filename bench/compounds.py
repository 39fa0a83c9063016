"""Swedish and Danish compounds split against the vocabulary: MRR@10 with and without, per variant.

    .venv/bin/python bench/compounds.py ../shared/data/dev/{sv-swefaq,en-bitext,da-bitext,pl-bitext}-dev
                                        [--backend NAME...] [--show]

No engine splits compounds yet; this measures what it would bring before one does. Every
engine (both FTS5 baselines of bench/relevance.py and each backend) is fed the same rewritten
text: the parts of each compound (portal.search.compounds.Decompounder, vocabulary = every word
of the locale's articles, as an index would hold) are appended as extra words to the field
they occur in, and to the query. Variants change where the parts go and the splitting rules.
--show prints each dataset's splits (to judge them by eye).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import BASELINES, backend_arguments, default_backend, evaluate
from portal.search import compounds
from portal.search.analysis import query_words
from portal.search.compounds import Decompounder

# name -> (where the parts go: fields of the article, query; Decompounder options)
VARIANTS = {
    "none": (None, False, {}),
    "same field + query": ("same", True, {}),
    "query only": (None, True, {}),
    "articles only": ("same", False, {}),
    "body + query": ("body", True, {}),
    "body only": ("body", False, {}),
    "min 3, body + query": ("body", True, {"min_part": 3}),
    "min part 3": ("same", True, {"min_part": 3}),
    "min part 5": ("same", True, {"min_part": 5}),
    "links s, e only": ("same", True, {"links": ("s", "e")}),
    "unknown words only": ("same", True, {"split_known": False}),
    "max 2 parts": ("same", True, {"max_parts": 2}),
}


def decompounders(articles, options):
    vocabulary = defaultdict(set)
    for article in articles:
        vocabulary[article.locale].update(query_words(" ".join((
            article.title, article.body_text, *article.questions, *article.tags))))
    options = dict(options)
    links = options.pop("links", None)
    made = {}
    for locale, words in vocabulary.items():
        made[locale] = Decompounder(words, locale, **options)
        if links is not None and made[locale].links[1:]:
            made[locale].links = ("", *links)
    return made


def with_parts(text, decompounder):
    extra = [part for word in query_words(text) for part in decompounder.parts(word)]
    return f"{text} {' '.join(extra)}" if extra else text


def preparer(where, in_query, options, shown=None):
    def prepare(articles, queries):
        split = decompounders(articles, options)
        if where:
            rewritten = []
            for article in articles:
                parts = split[article.locale]
                if where == "same":
                    article = dataclasses.replace(
                        article, title=with_parts(article.title, parts),
                        body_text=with_parts(article.body_text, parts),
                        questions=tuple(with_parts(q, parts) for q in article.questions))
                else:  # every part into the body, the lightest field
                    extra = [p for text in (article.title, article.body_text, *article.questions)
                             for w in query_words(text) for p in parts.parts(w)]
                    article = dataclasses.replace(article, body_text=f"{article.body_text} {' '.join(extra)}")
                rewritten.append(article)
            articles = rewritten
        if in_query:
            queries = [{**q, "text": with_parts(q["text"], split[q["locale"]])} if q["locale"] in split else q
                       for q in queries]
        if shown is not None:
            for parts in split.values():
                shown.update((word, found) for word, found in parts._found.items() if found)
        return articles, queries
    return prepare


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--show", action="store_true", help="print the splits found in each dataset")
    backend_arguments(parser)
    args = parser.parse_args(argv)
    backends = args.backend or [default_backend()]
    engines = [b.name for b in BASELINES] + backends
    print(f"{'variant':<20}{'dataset':<16}" + "".join(f"{e:>11}" for e in engines))
    for folder in args.datasets:
        for name in args.variants:
            where, in_query, options = VARIANTS[name]
            shown = {} if args.show and name in ("same field + query", "min part 3") else None
            result = evaluate(folder, backends, prepare=preparer(where, in_query, options, shown))
            scores = [result[e]["MRR@10"] for e in engines[:len(BASELINES)]]
            scores += [result["backends"][b]["MRR@10"] for b in backends]
            print(f"{name:<20}{folder.name:<16}" + "".join(f"{s:>11.3f}" for s in scores))
            if shown:
                print("  " + ", ".join(f"{w}={'+'.join(p)}" for w, p in sorted(shown.items())))
            sys.stdout.flush()


assert compounds.COMPOUNDING  # the module under measurement

if __name__ == "__main__":
    main()
