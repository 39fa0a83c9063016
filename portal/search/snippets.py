"""Search snippets: the passages of an article around the words that matched, marked.

The text's distinct words (the build stores them beside it) go through the index's own
(cached) word -> term function, and only those that match are looked for in the text, with
`str.find`: ten results' snippets cost less than finding them.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from itertools import compress
from typing import cast

from .analysis import WORD, lowercase_in_place

MAX_CHARS = 240  # one passage
SURROUND = 70  # context kept before the first and after the last marked word
SEPARATOR = " … "
APOSTROPHES = "'’"  # a word may hold one (analysis.WORD_PATTERN)


def snippet(text: str, terms: set[str], term: Callable[[str], str | None], top: int = 2,
            words: list[str] | None = None) -> str:
    """Up to `top` passages of `text` with the words whose term is in `terms` in <mark>; ''
    when no word matches. Passages keep their order in the text. `words`: the text's distinct
    words (analysis.query_words; more do no harm), when the caller has them: the build stores
    each article's."""
    matches = _matches(text, terms, term, words)
    if not matches:
        return ""
    passages: list[list[tuple[int, int, str]]] = []
    current: list[tuple[int, int, str]] = []
    for match in matches:
        if current and match[1] - max(0, current[0][0] - SURROUND) > MAX_CHARS:
            passages.append(current)
            current = []
        current.append(match)
    passages.append(current)
    # The passages with the most different matched terms, then the most matches.
    best = sorted(passages, key=lambda p: (-len({t for _, _, t in p}), -len(p), p[0][0]))[:top]
    numbers: dict[str, int] = {}
    return SEPARATOR.join(_marked(text, passage, numbers) for passage in sorted(best))


def _matches(text: str, terms: set[str], term: Callable[[str], str | None],
             words: list[str] | None) -> list[tuple[int, int, str]]:
    """(start, end, term) of each word of `text` whose term is in `terms`, in text order. Only the
    distinct words whose term matches are looked for, with `str.find` in the lowercased text: a
    regular expression over the whole text cost more than the rest of a search (an article has
    hundreds of words, a snippet a few matches)."""
    lowered = lowercase_in_place(text)
    if lowered is None:  # the words' places are only found word by word
        return [(m.start(), m.end(), found) for m in WORD.finditer(text)
                if (found := term(m.group().lower())) in terms]
    if words is None:
        words = list(set(WORD.findall(lowered)))
    found_terms = cast(list[str], list(map(term, words)))  # only those in `terms` are read: no None
    matches = []
    for word, found in compress(zip(words, found_terms, strict=True), map(terms.__contains__, found_terms)):
        place = lowered.find(word)
        while place >= 0:
            if _is_word_at(lowered, place, place + len(word)):
                matches.append((place, place + len(word), found))
            place = lowered.find(word, place + 1)
    return sorted(matches)


def _is_word_character(char: str) -> bool:
    return char.isalnum() or char == "_"  # the regular expressions' \w


def _is_in_run(char: str) -> bool:
    """Part of a run of words joined by apostrophes."""
    return _is_word_character(char) or char in APOSTROPHES


def _is_word_at(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is one of the words analysis.WORD finds in `text`."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if _is_word_character(before) or _is_word_character(after):
        return False
    if before not in APOSTROPHES and after not in APOSTROPHES:
        return True
    # Next to an apostrophe ('hasn't', 'rock'n'roll'): the words of its whole run tell.
    run_start, run_end = start, end
    while run_start > 0 and _is_in_run(text[run_start - 1]):
        run_start -= 1
    while run_end < len(text) and _is_in_run(text[run_end]):
        run_end += 1
    return (start, end) in {m.span() for m in WORD.finditer(text, run_start, run_end)}


def _marked(text: str, passage, numbers) -> str:
    start = max(0, passage[0][0] - SURROUND)
    end = min(len(text), passage[-1][1] + SURROUND, start + MAX_CHARS)
    end = max(end, passage[-1][1])
    # Whole words only at the edges.
    if start > 0:
        space = text.find(" ", start, passage[0][0])
        start = space + 1 if space >= 0 else passage[0][0]
    if end < len(text):
        space = text.rfind(" ", passage[-1][1], end)
        end = space if space >= 0 else passage[-1][1]
    pieces, position = [], start
    for match_start, match_end, found in passage:
        number = numbers.setdefault(found, len(numbers))
        word = escape(text[match_start:match_end], quote=False)
        pieces.append(escape(text[position:match_start], quote=False))
        pieces.append(f'<mark class="match term{number}">{word}</mark>')
        position = match_end
    pieces.append(escape(text[position:end], quote=False))
    return "".join(pieces).strip()
