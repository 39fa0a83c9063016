"""Search snippets: the passages of an article around the words that matched, marked.

One regular-expression pass over the text with the index's own (cached) word -> term
function: a snippet costs well under a microsecond a word, so ten results' snippets
cost less than finding them.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from .analysis import WORD

MAX_CHARS = 240  # one passage
SURROUND = 70  # context kept before the first and after the last marked word
SEPARATOR = " … "


def snippet(text: str, terms: set[str], term: Callable[[str], str | None], top: int = 2) -> str:
    """Up to `top` passages of `text` with the words whose term is in `terms` in <mark>; ''
    when no word matches. Passages keep their order in the text."""
    matches = [(m.start(), m.end(), found) for m in WORD.finditer(text)
               if (found := term(m.group().lower())) in terms]
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
