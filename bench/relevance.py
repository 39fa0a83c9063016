"""Search quality on FAQ retrieval sets, beside a SQLite FTS5 bm25() baseline in the same run.

    .venv/bin/python bench/relevance.py ../shared/data/dev/*

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
from portal.search import make_backend


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
        portal = make_backend({"SEARCH_BACKEND": "tantivy", "DATA_DIR": data_dir})
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object per dataset")
    args = parser.parse_args(argv)
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
