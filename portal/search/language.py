"""Which language a question is typed in: cheap, for short texts, among the portal's languages.

Stop words (the same lists the index uses) and letters only one language has: ą ę ł ś ź ż
say Polish, æ ø Danish, ä ö Swedish. No model: a question is a few words, and all we need is
"the site's language or not". Accuracy on the dev questions is in docs/search.md ("Meaning").
"""

from __future__ import annotations

import re

from .analysis import stopwords

LANGUAGES = ("en", "sv", "da", "pl")
WORD = re.compile(r"[^\W\d_]+")
# Letters that settle it, weighted as several stop words.
MARKS = {"pl": "ąćęłńśźż", "da": "æø", "sv": "äö"}
MARK_WEIGHT = 2.0
# Frequent words the stop lists lack, telling the Scandinavian languages and English apart.
EXTRA = {
    "en": {"my", "i", "how", "can", "what", "do", "is", "the", "to", "please", "order", "want", "need",
           "where", "get", "help", "when", "why", "does", "account", "an", "would", "could"},
    "sv": {"jag", "hur", "kan", "vad", "inte", "min", "mitt", "mina", "får", "måste", "vill", "när", "var",
           "vilka", "vem", "finns", "ska", "behöver", "hjälp", "också", "eller", "om"},
    "da": {"jeg", "hvordan", "kan", "hvad", "ikke", "min", "mit", "mine", "får", "skal", "vil", "hvornår",
           "hvor", "hvem", "findes", "har", "brug", "hjælp", "også", "eller", "om", "hvis", "gerne"},
    "pl": {"jak", "czy", "mogę", "nie", "mój", "moje", "moja", "co", "gdzie", "kiedy", "chcę", "proszę",
           "jest", "się", "na", "do", "w", "z", "zamówienie", "potrzebuję"},
}
_WORDS = {lang: (stopwords(lang) | EXTRA[lang]) for lang in LANGUAGES}


def language_scores(text: str) -> dict[str, float]:
    text = text.casefold()
    words = WORD.findall(text)
    scores = {lang: float(sum(word in _WORDS[lang] for word in words)) for lang in LANGUAGES}
    for lang, letters in MARKS.items():
        scores[lang] += MARK_WEIGHT * sum(text.count(letter) for letter in letters)
    return scores


def detect_language(text: str, default: str | None = None) -> str | None:
    """The most likely language, or `default` when nothing in the text tells (or it is a tie)."""
    scores = language_scores(text)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, score = ranked[0]
    if score <= 0:
        return default
    if score == ranked[1][1]:
        # A tie between the default and another: keep the default; otherwise undecided.
        tied = {lang for lang, value in ranked if value == score}
        return default if default in tied or default is None else None
    return best
