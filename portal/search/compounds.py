"""Compound words split into known words: Swedish and Danish write 'returfrakt' where English
writes 'return shipping', so a customer's 'säkerhetsnivån' should meet an article's 'nivå'.

A word is split only into parts that are known written words (the index's vocabulary, or the
corpus's at build time), joined directly or by a linking letter ('säkerhet-s-nivån'), the last
part possibly inflected ('nivån'). Among the possible splits the one with the fewest parts wins,
then the one whose shortest part is longest. The parts are returned as written, for the same
analysis as every other word (stems, folding).
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from .analysis import primary, stopwords

# Letters that may join two parts: 'säkerhet-s-nivå', 'hund-e-kurv' (da). Only the languages
# measured (docs/search.md, "Compounds") are listed; any other gets no splits.
LINKING_LETTERS = {"sv": ("s", "e", "a", "u", "o"), "da": ("s", "e")}
# A first part may lose its final vowel: 'skol-väska' (skola); Danish keeps it ('pige-skole').
DROPPED_VOWELS = {"sv": ("a", "e")}
# Endings an inflected last part may carry beyond a known word: 'nivån' (nivå), 'gebyret' (gebyr).
INFLECTIONS = {
    "sv": ("n", "en", "et", "na", "ns", "er", "ar", "or", "arna", "erna", "orna", "ens", "ets"),
    "da": ("n", "en", "et", "e", "er", "ne", "erne", "ens", "ets", "s"),
}
COMPOUNDING = frozenset(LINKING_LETTERS)
# Words that are also word endings, never a part: 'möjlig-heter', 'behandl-ingen'. Stop words
# (the locale's list) are never parts either: 'dess-utom', 'framför-allt'.
SUFFIX_WORDS = {"sv": frozenset(("heter", "ingen", "ingar", "ningen", "ande", "else", "skap", "utom")),
                "da": frozenset(("heder", "else", "ning", "skab", "ende"))}
CACHE_SIZE = 100_000
MIN_PART = 4  # letters in the shortest part


def compound_candidates(words: Iterable[str], locale: str) -> list[str]:
    """The words (lowercase, as written) a Decompounder of `locale` may split, whatever its vocabulary."""
    if primary(locale) not in COMPOUNDING:
        return []
    return [word for word in words if len(word) >= 2 * MIN_PART and word.isalpha()]


class Decompounder:
    """Splits a locale's compound words into known words.

    `vocabulary`: the known written words, lowercase. Building one only makes a set of them;
    splits are worked out (and remembered) when asked. A language that does not write compounds
    as one word gets no splits.
    """

    def __init__(self, vocabulary: Iterable[str] | Container[str], locale: str, *, min_part: int = MIN_PART,
                 max_parts: int = 3, split_known: bool = True):
        self.language = primary(locale)
        if self.language not in COMPOUNDING:
            self.words: Container[str] = frozenset()
        else:  # a set, or anything that answers `in` (an open index), is used as it is
            self.words = vocabulary if isinstance(vocabulary, Container) else frozenset(vocabulary)
        self.never_parts = stopwords(locale) | SUFFIX_WORDS.get(self.language, frozenset())
        self.min_part = min_part
        self.max_parts = max_parts
        self.split_known = split_known
        self.links = ("", *LINKING_LETTERS.get(self.language, ()))
        self.dropped = DROPPED_VOWELS.get(self.language, ())
        self.inflections = INFLECTIONS.get(self.language, ())
        self._found: dict[str, tuple[str, ...]] = {}

    def parts(self, word: str) -> tuple[str, ...]:
        """The known words `word` is made of, in order; () when it is not a compound of them."""
        found = self._found.get(word)
        if found is None:
            if len(self._found) >= CACHE_SIZE:
                self._found.clear()
            found = self._found[word] = self._parts(word)
        return found

    def _parts(self, word: str) -> tuple[str, ...]:
        word = word.lower()
        if (not self.words or len(word) < 2 * self.min_part or not word.isalpha()
                or (not self.split_known and word in self.words)):
            return ()
        best = self._split(word, self.max_parts)
        return best[1] if best else ()

    def depends_on(self, word: str, known: str) -> bool:
        """Whether the parts of `word` may change when `known` enters or leaves the vocabulary: the
        splitter only asks about pieces of `word`, or a piece and a dropped vowel ('skol' + 'a')."""
        return known in word or (known[-1:] in self.dropped and known[:-1] in word)

    def _head(self, piece: str) -> str | None:
        """The known word a non-final part stands for, if any: itself, or itself plus a dropped vowel."""
        for vowel in ("", *self.dropped):
            if piece + vowel in self.words and piece + vowel not in self.never_parts:
                return piece + vowel
        return None

    def _last(self, piece: str) -> bool:
        if len(piece) < self.min_part or piece in self.never_parts:
            return False
        if piece in self.words:
            return True
        return any(piece.endswith(ending) and len(piece) - len(ending) >= self.min_part
                   and piece[:-len(ending)] in self.words and piece[:-len(ending)] not in self.never_parts
                   for ending in self.inflections)

    def _split(self, word: str, parts_left: int):
        """The best split of `word` into at most `parts_left` parts, as (sort key, parts), or None."""
        best = None
        if parts_left < 2:
            return None
        for cut in range(self.min_part, len(word) - self.min_part + 1):
            head = self._head(word[:cut])
            if head is None:
                continue
            for link in self.links:
                if not word.startswith(link, cut):
                    continue
                rest = word[cut + len(link):]
                candidates = []
                if self._last(rest):
                    candidates.append((rest,))
                if parts_left > 2:
                    deeper = self._split(rest, parts_left - 1)
                    if deeper:
                        candidates.append(deeper[1])
                for tail in candidates:
                    parts = (head, *tail)
                    # Fewest parts, then the longest shortest part, then no linking letter here.
                    key = (len(parts), -min(map(len, parts)), bool(link))
                    if best is None or key < best[0]:
                        best = (key, parts)
        return best
