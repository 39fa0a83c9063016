"""Ranking by words and by meaning together, and how sure we are of the best answer.

Pure functions on scores: the service (portal/search/__init__.py) feeds them the lexical
backend's hits and the dense scores of every article. Weights and the confidence model
were chosen on the development sets only (docs/search.md, "Meaning", has the tables).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .interface import Hit, SearchResults

# Share of the dense score in the fused one, each min-max normalised per query.
DENSE_WEIGHT = 0.6
# How many articles each side proposes before fusing.
CANDIDATES = 30
# A dense-only candidate counts as a result when this close to the best dense score
# (0.06 left out right answers the lexical side missed: en-bitext 0.768 -> 0.772).
DENSE_WINDOW = 0.08
# Logistic confidence of a hit (the chance it is the right answer), fitted by bench/semantic_tuning.py
# on answerable questions, the same with their right articles removed, and off-topic questions:
# bias, dense cosine, margin over the next dense score, lexical share.
CONFIDENCE_WEIGHTS = (-11.9, 9.64, 40.34, 2.5)
# Below it the page says we may not have the answer: the highest threshold that flags at most 10 %
# of the answerable questions of every development set (docs/search.md, "Unanswerable questions").
CONFIDENCE_THRESHOLD = 0.099


@dataclass(frozen=True)
class RankedHit(Hit):
    confidence: float = 0.0  # 0-1: how likely this is the right answer
    dense: float = 0.0  # cosine similarity of question and article


@dataclass(frozen=True)
class RankedResults(SearchResults):
    confident: bool | None = None  # None: not measured (search by meaning off or unavailable)
    detected_language: str | None = None  # the language the question seems typed in
    other_language: bool = False  # answers are in the site's language, not the question's
    semantic: bool = False  # ranked with meaning


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values)
    return (values - low) / (high - low)


def _lexical_share(scores: list) -> np.ndarray:
    """Lexical scores min-max normalised over the lexical hits; not found by words: 0."""
    found = [score for score in scores if score is not None]
    if not found:
        return np.zeros(len(scores))
    low, high = min(found), max(found)
    if high - low < 1e-9:
        return np.array([0.0 if score is None else 1.0 for score in scores])
    return np.array([0.0 if score is None else (score - low) / (high - low) for score in scores])


def confidence(dense: float, margin: float, lexical_share: float, weights=CONFIDENCE_WEIGHTS) -> float:
    bias, w_dense, w_margin, w_lexical = weights
    z = bias + w_dense * dense + w_margin * margin + w_lexical * lexical_share
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fuse(lexical: SearchResults, dense_scores: np.ndarray, ids, *, dense_weight=DENSE_WEIGHT,
         candidates=CANDIDATES, window=DENSE_WINDOW, weights=CONFIDENCE_WEIGHTS,
         position: dict | None = None):
    """[(article id, fused score, dense score, lexical share, confidence)], best first, every result."""
    if position is None:
        position = {article_id: row for row, article_id in enumerate(ids)}
    count = min(candidates, len(ids))
    nearest = np.argpartition(-dense_scores, count - 1)[:count] if count else np.array([], dtype=int)
    top = sorted(nearest.tolist(), key=lambda row: -dense_scores[row])
    lexical_scores = {hit.article_id: hit.score for hit in lexical.hits if hit.article_id in position}
    best_dense = float(dense_scores[top[0]]) if top else 0.0
    rows = [row for row in top if dense_scores[row] >= best_dense - window]
    rows += [position[a] for a in lexical_scores if position[a] not in rows]
    if not rows:
        return []
    dense = np.array([float(dense_scores[row]) for row in rows])
    share = _lexical_share([lexical_scores.get(ids[row]) for row in rows])
    fused = dense_weight * _minmax(dense) + (1 - dense_weight) * share
    order = np.argsort(-fused, kind="stable")
    # Margin: how far a hit's meaning stands above every other candidate's (negative below the best).
    leader = int(np.argmax(dense))
    alone = float(dense[leader]) - window  # no competitor: as if one stood a window below
    runner_up = float(np.max(np.delete(dense, leader))) if len(dense) > 1 else alone
    ranked = []
    for index in order:
        margin = float(dense[index] - (runner_up if index == leader else dense[leader]))
        ranked.append((ids[rows[index]], float(fused[index]), float(dense[index]), float(share[index]),
                       confidence(float(dense[index]), margin, float(share[index]), weights)))
    return ranked


def ranked_results(lexical: SearchResults, ranked, *, limit, offset, detected_language, other_language,
                   categories_of: dict, category=None, threshold=CONFIDENCE_THRESHOLD) -> RankedResults:
    """The fused ranking as the views' results: facets over every result, then the category filter."""
    snippets = {hit.article_id: hit.snippet for hit in lexical.hits}
    counts: dict = {}
    for article_id, *_ in ranked:
        counts[categories_of.get(article_id)] = counts.get(categories_of.get(article_id), 0) + 1
    counts.pop(None, None)
    if category:
        ranked = [entry for entry in ranked if categories_of.get(entry[0]) == category]
    confident = bool(ranked) and ranked[0][4] >= threshold
    hits = tuple(RankedHit(article_id=article_id, score=round(fused, 4), snippet=snippets.get(article_id, ""),
                           confidence=round(sure, 3), dense=round(dense, 4))
                 for article_id, fused, dense, _share, sure in ranked[offset:offset + limit])
    return RankedResults(query=lexical.query, locale=lexical.locale, total=len(ranked), hits=hits,
                         suggestion=None if other_language else lexical.suggestion,
                         fuzzy=lexical.fuzzy and not other_language,
                         categories=counts, confident=confident,
                         detected_language=detected_language, other_language=other_language, semantic=True)
