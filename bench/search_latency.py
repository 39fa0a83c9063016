"""Index build time and query latency on synthetic corpora, beside SQLite FTS5 in the same run.

    .venv/bin/python bench/search_latency.py [--sizes 1000 10000 50000] [--queries 300]

Articles are made of words drawn with Zipf's law from a vocabulary that starts with the
demo content's English words (most frequent first) and continues with made-up rarer
words, as real text does: a 10,000-article help centre has tens of thousands of distinct
words, most of them rare. Queries are the demo articles' titles and `questions:`.
Latency is measured in-process on the backend with the result cache bypassed: what a
cache miss costs.
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

from bench.relevance import Fts5Baseline
from portal.content.loader import load_content
from portal.content.model import Article
from portal.search import make_backend
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
    args = parser.parse_args(argv)
    rng = random.Random(7)
    words, questions = vocabulary()
    queries = [rng.choice(questions) for _ in range(args.queries)]
    print(f"{'articles':>9} {'engine':<8}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for size in args.sizes:
        articles = synthetic_articles(size, words, rng)
        with tempfile.TemporaryDirectory() as data_dir:
            portal = make_backend({"SEARCH_BACKEND": "tantivy", "DATA_DIR": data_dir})
            started = time.perf_counter()
            portal.build(articles)
            portal_build = time.perf_counter() - started
            portal_p50, portal_p95 = measure(lambda q, s=portal: s.query("en", q, limit=10), queries)
            portal.close()
        started = time.perf_counter()
        baseline = Fts5Baseline(articles)
        fts_build = time.perf_counter() - started
        fts_p50, fts_p95 = measure(lambda q, b=baseline: b.query("en", q), queries)
        print(f"{size:>9} {'fts5':<8}{fts_build:>9.2f}{fts_p50:>9.2f}{fts_p95:>9.2f}")
        print(f"{size:>9} {'portal':<8}{portal_build:>9.2f}{portal_p50:>9.2f}{portal_p95:>9.2f}"
              f"   (p95 {portal_p95 / fts_p95:.2f}x FTS5)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
