"""Near-identical wordings grouped by meaning, with the search embedder when it is on.

Without it, questions are grouped by their folded words alone (evidence.question_key).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import numpy as np

from ..search.embedding import EmbedderUnavailable
from .evidence import most_typed

if TYPE_CHECKING:
    from ..search.embedding import Embedder
    from .evidence import Evidence

# Cosine similarity (e5 query vectors) above which two wordings ask the same thing: a
# rewording ('refund time' / 'how long does a refund take'), not a neighbouring topic.
SAME_MEANING = 0.92


def leaders(texts: list[str], embedder: Embedder | None, threshold: float = SAME_MEANING) -> list[int]:
    """For each text (most important first) the index of the first earlier text that means the
    same, or its own index. Every text is its own leader when the model is unavailable."""
    if embedder is None or len(texts) < 2:
        return list(range(len(texts)))
    try:
        vectors = np.stack([embedder.embed_query(text) for text in texts])
    except EmbedderUnavailable:
        return list(range(len(texts)))
    found: list[int] = []
    heads: list[int] = []
    for index, vector in enumerate(vectors):
        similar = next((head for head in heads if float(vectors[head] @ vector) >= threshold), None)
        if similar is None:
            heads.append(index)
        found.append(index if similar is None else similar)
    return found


def merge_by_meaning(evidence: Evidence, embedder: Embedder) -> None:
    """Fold the evidence of question keys that mean the same into the most asked one's."""
    keys = sorted(evidence.asked_by, key=lambda key: (-len(evidence.asked_by[key]), key))
    texts = [most_typed(evidence.wordings[key]) for key in keys]
    head_of = {key: keys[head] for key, head in zip(keys, leaders(texts, embedder), strict=True)}
    if all(head == key for key, head in head_of.items()):
        return
    visitors: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    asked_by: defaultdict[str, set[str]] = defaultdict(set)
    wordings: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for (key, article_id), seen in evidence.visitors.items():
        visitors[(head_of[key], article_id)] |= seen
    for key in keys:
        asked_by[head_of[key]] |= evidence.asked_by[key]
        wordings[head_of[key]].update(evidence.wordings[key])
    evidence.visitors, evidence.asked_by, evidence.wordings = visitors, asked_by, wordings
