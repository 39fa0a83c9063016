"""Index build time and query latency on synthetic corpora, beside two SQLite FTS5 baselines in the same run.

    .venv/bin/python bench/search_latency.py [--sizes 1000 10000 50000] [--queries 300]
                                             [--backend tantivy whoosh]

Articles are made of words drawn with Zipf's law from a vocabulary that starts with the
demo content's English words (most frequent first) and continues with made-up rarer
words, as real text does: a 10,000-article help centre has tens of thousands of distinct
words, most of them rare. Queries are the demo articles' titles and `questions:`.
Latency is measured in-process on the backend with the result cache bypassed: what a
cache miss costs. The baselines are bench/relevance.py's: FTS5 as it comes ("fts5") and
FTS5 given the portal's analysis and field weights ("fts5-fair", its build includes the
analysis); each backend's build time and p95 are printed as ratios to both.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import BASELINES, backend_arguments, default_backend, open_backend
from portal.content.loader import load_content
from portal.content.model import Article
from portal.search.analysis import query_words

ROOT = Path(__file__).resolve().parent.parent
RARE_WORDS = 40_000


def vocabulary():
    loaded = load_content(ROOT / "content")
    counts = {}
    for article in loaded.articles:
        if article.locale == "en":
            for word in query_words(f"{article.title} {article.body_text}"):
                if word.isalpha():
                    counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=counts.get, reverse=True)
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words += ["".join(rng.choices(letters, k=rng.randint(5, 11))) for _ in range(RARE_WORDS)]
    questions = [q for a in loaded.articles if a.locale == "en" for q in (a.title, *a.questions)]
    return words, questions


def synthetic_articles(count, words, rng):
    weights = [1 / (rank + 1) for rank in range(len(words))]
    articles = []
    for number in range(count):
        title = " ".join(rng.choices(words, weights, k=rng.randint(4, 9))).capitalize()
        body = " ".join(rng.choices(words, weights, k=rng.randint(120, 320)))
        questions = tuple(" ".join(rng.choices(words, weights, k=6)) for _ in range(2))
        articles.append(Article(
            id=f"c{number % 40}/a{number}", locale="en", category=f"c{number % 40}", title=title,
            slug=f"a{number}", description="", body_text=body, html="", questions=questions))
    return articles


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(run_query, queries):
    for query in queries[:20]:  # warm up
        run_query(query)
    timings = []
    for query in queries:
        started = time.perf_counter()
        run_query(query)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.95)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--queries", type=int, default=300)
    backend_arguments(parser)
    args = parser.parse_args(argv)
    backends = args.backend or [default_backend()]
    rng = random.Random(7)
    words, questions = vocabulary()
    queries = [rng.choice(questions) for _ in range(args.queries)]
    print(f"{'articles':>9} {'engine':<11}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'build/fts5':>12}{'build/fair':>12}{'p95/fts5':>10}{'p95/fair':>10}")
    for size in args.sizes:
        articles = synthetic_articles(size, words, rng)
        measured = {}
        for baseline_class in BASELINES:
            started = time.perf_counter()
            baseline = baseline_class(articles)
            build = time.perf_counter() - started
            measured[baseline_class.name] = (build, *measure(lambda q, b=baseline: b.query("en", q), queries))
            del baseline
        for name in backends:
            with tempfile.TemporaryDirectory() as data_dir:
                backend = open_backend(name, data_dir)
                started = time.perf_counter()
                backend.build(articles)
                build = time.perf_counter() - started
                measured[name] = (build, *measure(lambda q, s=backend: s.query("en", q, limit=10), queries))
                getattr(backend, "close", lambda: None)()
        for engine, (build, p50, p95) in measured.items():
            tail = ""
            if engine in backends:
                tail = "".join(f"{build / measured[b.name][0]:>11.2f}x" for b in BASELINES)
                tail += "".join(f"{p95 / measured[b.name][2]:>9.2f}x" for b in BASELINES)
            print(f"{size:>9} {engine:<11}{build:>9.2f}{p50:>9.2f}{p95:>9.2f}{tail}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
