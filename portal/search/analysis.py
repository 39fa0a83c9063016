"""Language analysis: words -> stems a customer's question and an article have in common.

Stemming runs on the text as written (Snowball rules need the diacritics), then the
stem is folded to plain letters so 'zwrocic' meets 'zwrócić' and 'pakke' meets 'pakké'.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer
from whoosh.lang import NoStopWords, stopwords_for_language

from ..content.loader import parse_synonyms

# BCP 47 primary language -> Snowball algorithm. Whoosh's own LanguageAnalyzer silently
# skips stemming for 'nb', 'nn' and 'pl'; snowballstemmer has all of them.
SNOWBALL = {
    "en": "english", "sv": "swedish", "da": "danish", "nb": "norwegian", "nn": "norwegian",
    "no": "norwegian", "pl": "polish", "de": "german", "fi": "finnish", "nl": "dutch",
    "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese", "ro": "romanian",
    "hu": "hungarian", "ru": "russian", "tr": "turkish", "cs": "czech", "et": "estonian",
    "lt": "lithuanian", "el": "greek", "ca": "catalan", "eu": "basque", "ga": "irish",
}
WHOOSH_STOPWORDS = {"nb": "no", "nn": "no"}
# Built-in synonym groups per language, one file each, in the editors' synonyms.txt format.
SHOP_SYNONYMS = Path(__file__).with_name("synonyms")
POLISH_STOPWORDS = frozenset((
    "a", "aby", "ale", "bo", "by", "być", "był", "była", "było", "były", "czy", "dla", "do", "go",
    "i", "ich", "im", "ja", "jak", "jako", "je", "jego", "jej", "jest", "jestem", "jeśli", "już",
    "ją", "każdy", "kiedy", "która", "które", "który", "ma", "mam", "mi", "mnie", "mogę", "może",
    "mój", "moja", "moje", "mu", "na", "nad", "nam", "nas", "nie", "nim", "nich", "niż", "o", "od",
    "on", "ona", "one", "oni", "oraz", "po", "pod", "przez", "przy", "się", "sobie", "są", "ta",
    "tak", "tam", "te", "tego", "tej", "ten", "to", "tu", "tych", "tylko", "tym", "u", "w", "we",
    "więc", "wszystko", "z", "za", "ze", "że", "żeby",
))
# Question words stay searchable: "where is my parcel" needs "where"-less matching to
# still rank, but words like "how"/"hur" are too common to help.
EXTRA_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ł": "l", "ß": "ss", "đ": "d", "œ": "oe", "ı": "i"})
WORD_PATTERN = r"\w+(?:['’]\w+)?"  # keeps "hasn't" whole, as the index does
WORD = re.compile(WORD_PATTERN)


def primary(locale: str) -> str:
    return locale.split("-")[0].split("_")[0].lower()


def fold(text: str) -> str:
    """Remove diacritics: 'zwrócić' -> 'zwrocic', 'försändelse' -> 'forsandelse'."""
    text = text.translate(EXTRA_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


fold_word = lru_cache(maxsize=200_000)(fold)


def stopwords(locale: str) -> frozenset[str]:
    lang = primary(locale)
    if lang == "pl":
        return POLISH_STOPWORDS
    try:
        return frozenset(stopwords_for_language(WHOOSH_STOPWORDS.get(lang, lang)))
    except (KeyError, NoStopWords):
        return frozenset()


@cache
def shop_synonyms(locale: str) -> tuple[tuple[str, ...], ...]:
    """The built-in shop vocabulary of a locale's language: 'refund = reimbursement'. A customer
    of a small shop whose editors wrote no synonyms still finds 'refund' by 'reimbursement'."""
    path = SHOP_SYNONYMS / f"{primary(locale)}.txt"
    return parse_synonyms(path.read_text("utf-8"))[0] if path.is_file() else ()


@cache
def _stemmer(algorithm: str):
    return snowballstemmer.stemmer(algorithm)


# Polish changes a word's last consonant in some forms (locative/dative: 'punkt' -> 'w punkcie',
# 'konto' -> 'na koncie', 'paczka' -> 'w paczce'), which Snowball then stems apart ('punkt' /
# 'punk'). Each ending goes back to the consonant of the other forms before stemming; the
# letter before it tells the alternation from a look-alike ending. Measured in docs/search.md.
POLISH_CONSONANTS = frozenset("bcćdfghjklłmnńprsśtwzźż")
POLISH_ALTERNATIONS = (
    # (ending, replacement, letters that may stand before the ending; None: any)
    ("ście", "st", POLISH_CONSONANTS | set("aeoóuąę")),  # 'wzroście' -> 'wzrost'; not 'pobraliście'
    ("cie", "t", POLISH_CONSONANTS),  # 'koncie' -> 'kont'; not 'macie' (a verb)
    ("dzie", "d", None),  # 'kodzie' -> 'kod'
    ("rze", "r", None),  # 'fakturze' -> 'faktur'
    ("dze", "g", frozenset("aeiouyó")),  # 'drodze' -> 'drog'; not 'pieniądze'
    # 'paczce' -> 'paczk', 'ręce' -> 'ręk'; not 'tablice', 'miejsce', 'dotyczące' (a participle)
    ("ce", "k", (POLISH_CONSONANTS - set("sc")) | set("ęó")),
)


def polish_stem(word: str, snowball_stem) -> str:
    """Snowball's Polish stem of `word`, with the consonant alternations above undone first and
    a stem-final 'i' after a consonant dropped ('wystawiamy' -> 'wystawi' -> 'wystaw', as
    'wystawia'), so the forms of one word share a stem."""
    for ending, replacement, allowed_before in POLISH_ALTERNATIONS:
        if word.endswith(ending) and len(word) - len(ending) >= 2:
            if allowed_before is None or word[-len(ending) - 1] in allowed_before:
                word = word[:-len(ending)] + replacement
            break
    stem = snowball_stem(word)
    if len(stem) >= 5 and stem[-1] == "i" and stem[-2] in POLISH_CONSONANTS:
        stem = stem[:-1]
    return stem


@cache
def stem_function(locale: str):
    """A cached word -> stem function; the identity for a language Snowball does not know."""
    language = primary(locale)
    algorithm = SNOWBALL.get(language)
    if algorithm is None:
        return lambda word: word
    stemmer = _stemmer(algorithm)
    if language == "pl":
        return lru_cache(maxsize=200_000)(lambda word: polish_stem(word, stemmer.stemWord))
    return lru_cache(maxsize=200_000)(stemmer.stemWord)


@cache
def term_function(locale: str):
    """A cached word -> index term function: the folded stem, or None for a stop word."""
    stem, stops = stem_function(locale), stopwords(locale)

    @lru_cache(maxsize=200_000)
    def term(word: str) -> str | None:
        return None if word in stops else fold_word(stem(word))

    return term


GRAM_SIZE = 4


@lru_cache(maxsize=200_000)
def word_grams(word: str) -> tuple[str, ...]:
    """The four-letter pieces of a word, without diacritics; none for a shorter word."""
    word = fold(word)
    return tuple(word[i:i + GRAM_SIZE] for i in range(len(word) - GRAM_SIZE + 1))


def lowercase_in_place(text: str) -> str | None:
    """`text` lowercased with every character where it was, or None: 'İ' lowercases to two
    characters, the second no word character, so such a text is lowercased word by word."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def query_words(text: str) -> list[str]:
    """The words of a text, lowercase (the text at once where `lowercase_in_place` can)."""
    lowered = lowercase_in_place(text)
    if lowered is None:
        return list(map(str.lower, WORD.findall(text)))
    return WORD.findall(lowered)


def terms(locale: str, text: str) -> list[str]:
    """The index terms of a text, in order: words, lowercased, stop words out, stemmed, folded."""
    return list(filter(None, map(term_function(locale), query_words(text))))
