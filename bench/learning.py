"""Does the help centre learn from its visitors? A simulation on the dev sets.

    .venv/bin/python bench/learning.py ../shared/data/dev/{en,da,pl}-bitext-dev \
        ../shared/data/dev/sv-swefaq-dev

Each set's queries are split 50/50 into history and test. The history is replayed as visits
through the real HTTP app (Flask's test client): each history question is asked by a
Zipf-like number of visitors (rank r gets about A / r^s visits, at least 1; the mean is
printed); each visitor searches it, then a share p browses to the right article and votes it
helpful, a share w browses to a wrong one (the same wrong article for every visitor of that
question: the hardest case) and votes it helpful, and the rest leave. Then every proposal is
accepted, the index rebuilt, and the test half scored with bench/relevance.py's metrics,
before and after. Lexical search (search by meaning off), as most shops run it first.

Prints per set and w: visits, proposals, the share of proposals that name a right article,
the time the learning step (reading the visits, proposing) took per 10,000 visits, and
MRR@10 / R@1 of the test half before and after.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import content_folder, read_dataset, score
from portal import create_app
from portal.learning import proposals, refresh_proposals
from portal.learning.evidence import question_key
from portal.migrations import upgrade


def zipf_visits(count: int, mean: float, exponent: float) -> list[int]:
    """Visits per question by popularity rank: A / rank^exponent, at least 1, A set for `mean`."""
    weights = [1 / rank ** exponent for rank in range(1, count + 1)]
    scale = mean * count / sum(weights)
    return [max(1, round(scale * weight)) for weight in weights]


def split(queries, relevant, seed):
    """Half the queries to the history, half to the test, alternating within each article's
    queries (an article asked once goes to one side or the other, in turn)."""
    by_article = {}
    for query in queries:
        by_article.setdefault(min(relevant[query["id"]]), []).append(query)
    rng = random.Random(seed)
    halves = ([], [])
    turn = 0
    for _article, asked in sorted(by_article.items()):
        rng.shuffle(asked)
        for query in asked:
            halves[turn % 2].append(query)
            turn += 1
    return halves


def make_app(folder: Path, data_dir: Path, min_visits: int):
    database = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    upgrade(database)
    return create_app({
        "TESTING": True, "CONTENT_DIR": content_folder(folder), "DATA_DIR": data_dir,
        "DATABASE_URL": database,
        "SEARCH_SEMANTIC": False, "SEARCH_EMBEDDER": "null", "VOTE_LIMIT_PER_NETWORK": "1000000 per hour",
        "LEARN_MIN_VISITS": min_visits, "SEARCH_CACHE_SIZE": 0})


def rankings(app, queries):
    search = app.extensions["search"]
    return {q["id"]: [h.article_id for h in search.query(q["locale"], q["text"], limit=10).hits]
            for q in queries}


def replay(app, history, relevant, visits, p, w, rng):
    """Every visit of the history through the site; returns the number of visits."""
    content = app.extensions["content"]
    total = 0
    for query, count in zip(history, visits, strict=True):
        locale = query["locale"]
        right = content.article_by_id(locale, min(relevant[query["id"]]))
        others = [a for a in content.articles(locale) if a.id not in relevant[query["id"]]]
        wrong = rng.choice(others)
        for _ in range(count):
            client = app.test_client()  # a new visitor: new cookies
            client.get(f"/{locale}/search", query_string={"q": query["text"]})
            draw = rng.random()
            article = right if draw < p else wrong if draw < p + w else None
            if article is not None:
                client.get(article.url)
                client.post(f"/{locale}/feedback", data={"article": article.id, "helpful": "yes"})
            total += 1
    assert app.extensions["analytics"].flush(120)
    return total


def simulate(folder: Path, p: float, w: float, mean: float, exponent: float, min_visits: int, seed: int):
    queries, relevant = read_dataset(folder)
    with tempfile.TemporaryDirectory() as data_dir:
        app = make_app(folder, Path(data_dir), min_visits)
        locale = app.extensions["content"].default_locale
        for query in queries:
            query.setdefault("locale", locale)
        history, test = split(queries, relevant, seed)
        rng = random.Random(seed)
        rng.shuffle(history)  # popularity rank: random, not by article
        visits = zipf_visits(len(history), mean, exponent)
        before = score(rankings(app, test), test, relevant)
        total = replay(app, history, relevant, visits, p, w, rng)
        right_for = {}
        for query in history:
            key = (query["locale"], question_key(query["locale"], query["text"]))
            right_for.setdefault(key, set()).update(relevant[query["id"]])
        with app.app_context():
            db = app.extensions["db"]
            started = time.perf_counter()
            with db.session() as session:
                refresh_proposals(session)
            learn_seconds = time.perf_counter() - started
            with db.session() as session:
                proposed = proposals.listed(session)
                right = sum(q.article_id in right_for.get((q.locale, q.query_key), ()) for q in proposed)
                for question in proposed:
                    proposals.decide(session, question.id, proposals.ACCEPTED)
            app.extensions["search"].build(app.extensions["content"])
        after = score(rankings(app, test), test, relevant)
        app.extensions["db"].engine.dispose()
    return {"dataset": folder.name, "p": p, "w": w, "history": len(history), "test": len(test),
            "visits": total, "mean_visits": total / max(1, len(history)), "max_visits": max(visits),
            "proposals": len(proposed), "right_share": right / len(proposed) if proposed else None,
            "learn_s_per_10k": learn_seconds * 10_000 / max(1, total),
            "before": before, "after": after, "mrr_lift": after["MRR@10"] - before["MRR@10"]}


def print_row(r):
    right = "-" if r["right_share"] is None else f"{r['right_share']:.0%}"
    print(f"{r['dataset']:<16}{r['w']:>5.1f}{r['history']:>6}{r['test']:>6}{r['visits']:>8}{r['mean_visits']:>6.1f}"
          f"{r['proposals']:>7}{right:>7}{r['learn_s_per_10k']:>9.2f}"
          f"{r['before']['R@1']:>8.3f}{r['after']['R@1']:>7.3f}"
          f"{r['before']['MRR@10']:>8.3f}{r['after']['MRR@10']:>7.3f}{r['mrr_lift']:>+8.3f}")
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--p", type=float, default=0.5, help="share of visitors who reach the right article")
    parser.add_argument("--w", type=float, nargs="+", default=[0.1, 0.3],
                        help="shares of visitors who read a wrong article and vote it helpful")
    parser.add_argument("--mean-visits", type=float, default=10.0, help="mean visits per history question")
    parser.add_argument("--zipf", type=float, default=0.5, help="the Zipf exponent s")
    parser.add_argument("--k", type=int, default=5, help="LEARN_MIN_VISITS")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    print(f"p = {args.p}; visits per history question: Zipf-like, s = {args.zipf}, mean {args.mean_visits:g} "
          f"(at least 1); k = {args.k}; lexical search")
    if not args.json:
        print(f"{'dataset':<16}{'w':>5}{'hist':>6}{'test':>6}{'visits':>8}{'mean':>6}{'props':>7}{'right':>7}"
              f"{'s/10k':>9}{'R@1 bef':>8}{'after':>7}{'MRR bef':>8}{'after':>7}{'lift':>8}")
    for w in args.w:
        for folder in args.datasets:
            result = simulate(folder, args.p, w, args.mean_visits, args.zipf, args.k, args.seed)
            print(json.dumps(result)) if args.json else print_row(result)


if __name__ == "__main__":
    main()
