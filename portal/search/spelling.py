"""'Did you mean': the nearest word of the index vocabulary, found through deletions.

Two words within edit distance 2 share a string made by deleting at most two letters from
each (the symmetric-delete method). The build stores, for every vocabulary word, the
checksums of its deletions, sorted and memory-mapped; a query looks up its own deletions
by binary search and checks the few candidates' real distance. A correction costs
microseconds however large the vocabulary, where walking a Levenshtein automaton over
it costs tens of milliseconds at 10,000 articles.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from itertools import repeat
from pathlib import Path

import numpy as np

MAX_DISTANCE = 2
MAX_WORD_LENGTH = 24  # longer words are left alone: no customer mistypes those alone


def deletions(word: str, distance: int = MAX_DISTANCE) -> set[str]:
    """`word` without up to `distance` of its letters; the first letter always stays,
    as customers rarely get it wrong and it keeps the candidates few."""
    found, last = {word}, {word}
    for _ in range(distance):
        last = {w[:i] + w[i + 1:] for w in last for i in range(1, len(w))}
        found |= last
    return found


def _checksums(strings) -> np.ndarray:
    return np.fromiter((zlib.crc32(s.encode("utf-8")) for s in strings), dtype=np.uint32)


def _table(numbered_words) -> tuple[np.ndarray, np.ndarray]:
    """The deletion checksums of (number, word) pairs, and the number each belongs to."""
    variants: list[str] = []
    owners: list[int] = []
    for number, word in numbered_words:
        if 3 <= len(word) <= MAX_WORD_LENGTH:
            made = deletions(word)
            variants.extend(made)
            owners.extend(repeat(number, len(made)))
    return _checksums(variants), np.array(owners, dtype=np.int32)


def _earlier_table(words: list[str], earlier: Path, earlier_words: Sequence[str]):
    """The table of `earlier_words` in `earlier`, renumbered for `words`, plus the new words' rows."""
    sums = np.load(earlier / "spelling_sums.npy")
    owners = np.load(earlier / "spelling_words.npy")
    position = {word: number for number, word in enumerate(words)}
    renumber = np.array([position.get(word, -1) for word in earlier_words], dtype=np.int32)
    if len(owners) and (owners.max() >= len(renumber)):
        raise ValueError(f"{earlier}: the table does not match its words")
    owners = renumber[owners]
    kept = owners >= 0
    known = set(earlier_words)
    new_sums, new_owners = _table((n, w) for n, w in enumerate(words) if w not in known)
    return np.concatenate((sums[kept], new_sums)), np.concatenate((owners[kept], new_owners))


def write(folder: Path, words: list[str], earlier: Path | None = None, earlier_words: Sequence[str] = ()):
    """Store the deletion checksums of `words` (the sorted vocabulary) in `folder`. `earlier`: a
    folder holding the table of `earlier_words` (the last build's): only new words are worked out."""
    try:
        sums, owners = _earlier_table(words, earlier, earlier_words) if earlier else _table(enumerate(words))
    except (OSError, ValueError):
        sums, owners = _table(enumerate(words))
    # Sorted by checksum, then word: the same table however it was made.
    rows = np.sort((sums.astype(np.uint64) << np.uint64(32)) | owners.astype(np.uint64))
    np.save(folder / "spelling_sums.npy", (rows >> np.uint64(32)).astype(np.uint32))
    np.save(folder / "spelling_words.npy", (rows & np.uint64(0xFFFFFFFF)).astype(np.int32))


def distance(a: str, b: str) -> int:
    """Edits between two words, two swapped neighbours counting as one ('pkake' -> 'pakke',
    'zwrto' -> 'zwrot'): the optimal-string-alignment form of Damerau-Levenshtein distance."""
    before, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if before is not None and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]


class Speller:
    def __init__(self, folder: Path, words: list[str]):
        self.words = words
        self.sums = np.load(folder / "spelling_sums.npy", mmap_mode="r")
        self.owners = np.load(folder / "spelling_words.npy", mmap_mode="r")

    def candidates(self, word: str, max_distance: int) -> dict[str, int]:
        """Vocabulary words within `max_distance` edits of `word` (same first letter), with
        their distance."""
        if not 3 <= len(word) <= MAX_WORD_LENGTH or not len(self.sums):
            return {}
        wanted = _checksums(deletions(word, max_distance))
        starts = np.searchsorted(self.sums, wanted, side="left")
        ends = np.searchsorted(self.sums, wanted, side="right")
        numbers = {int(n) for s, e in zip(starts, ends, strict=True) if e > s for n in self.owners[s:e]}
        found = {}
        for number in numbers:
            candidate = self.words[number]
            if candidate != word and candidate[0] == word[0]:
                edits = distance(word, candidate)
                if edits <= max_distance:
                    found[candidate] = edits
        return found
