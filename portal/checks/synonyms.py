"""Synonym phrases that search reads differently from how they were written.

Search matches a phrase by its stems after stop words are dropped, with accents folded
(portal/search/analysis.py). A phrase that shrinks to one common stem then fires on
unrelated questions: "call off" is searched as "call", so "can I call you" finds the
cancel-order article; Swedish "säga upp" is "säg", which folds to the same term as "såg"
(saw); Polish "nie dotarła" loses "nie" and means "arrived". These checks only warn: a
group may still be what the editor wants, but they should know what search does with it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from ..content.loader import SYNONYMS_FILE, LoadedContent, parse_synonyms
from ..content.model import Problem
from ..search.analysis import SHOP_SYNONYMS, fold, primary, query_words, stem_function, stopwords, terms

# Words that turn a phrase into its opposite. Only those that are also stop words are lost,
# but the whole list is here so a change of stop words cannot hide one.
NEGATIONS = {
    "en": {"no", "not", "nor", "never", "none", "nothing", "without", "cannot", "can't", "don't",
           "didn't", "doesn't", "hasn't", "haven't", "isn't", "wasn't", "won't"},
    "sv": {"inte", "ej", "icke", "ingen", "inget", "inga", "aldrig", "utan"},
    "da": {"ikke", "ej", "ingen", "intet", "aldrig", "uden"},
    "nb": {"ikke", "ingen", "intet", "aldri", "uten"},
    "pl": {"nie", "bez", "nigdy", "żaden", "żadna", "żadne", "ani"},
    "de": {"nicht", "kein", "keine", "keinen", "nie", "ohne"},
}
# Where the built-in lists are shown: relative to the project, like the content paths.
BUILTIN_ROOT = SHOP_SYNONYMS.parent.parent.parent

Vocabulary = dict[str, dict[str, Counter]]  # term -> unfolded stem -> written words and counts


def vocabulary(locale: str, texts) -> Vocabulary:
    """Every term the texts give search, with the stems and words behind it: 'sag' <- 'såg'."""
    stem, stops = stem_function(locale), stopwords(locale)
    found: Vocabulary = defaultdict(lambda: defaultdict(Counter))
    for text in texts:
        for word in query_words(text):
            if word not in stops:
                written = stem(word)
                found[fold(written)][written][word] += 1
    return found


def article_texts(article):
    return (article.title, article.description, article.body_text, *article.questions, *article.tags)


def numbered_groups(text: str):
    """(line number, phrases) of each group in a synonyms.txt, read by the loader's rules."""
    for number, line in enumerate(text.splitlines(), 1):
        groups, _errors = parse_synonyms(line)
        if groups:
            yield number, groups[0]


def check_synonym_text(locale: str, text: str, path: str, words: Vocabulary | None = None) -> list[Problem]:
    """A warning for each phrase of a synonyms.txt that search cannot use as written.

    `words` is the content's vocabulary in that language: a phrase whose one term is also
    the term of another written word (säg and såg both fold to 'sag') is found there."""
    problems = []
    for number, group in numbered_groups(text):
        for phrase in group:
            message = _phrase_problem(locale, phrase, group, words or {})
            if message:
                problems.append(Problem(path, message, number, "warning"))
    return problems


def _quoted(words, last="and") -> str:
    quoted = [f'"{word}"' for word in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {last} {quoted[-1]}"


def _stop_words(dropped) -> str:
    return f"{_quoted(dropped)} {'is a stop word' if len(dropped) == 1 else 'are stop words'}"


def _phrase_problem(locale: str, phrase: str, group, words: Vocabulary) -> str | None:
    """What search makes of a phrase, when that is not what it says; else None."""
    stem, stops = stem_function(locale), stopwords(locale)
    written = query_words(phrase)
    kept = [word for word in written if word not in stops]
    dropped = [word for word in written if word in stops]
    if not written:
        return f'"{phrase}" has no word in it, so search ignores it; remove it'
    if not kept:
        return (f'"{phrase}" has no word search can use ({_stop_words(dropped)}), so it never matches; '
                "write the words it stands for, or remove it")
    searched = " ".join(dict.fromkeys(stem(word) for word in kept))
    negations = [word for word in dropped if word in NEGATIONS.get(primary(locale), ())]
    if negations:
        return (f'"{phrase}" loses its negation: {_stop_words(negations)}, so it is searched as '
                f'"{searched}" and also matches questions without {_quoted(negations, "or")}, which mean '
                'the opposite; name the thing itself instead (such as "lost parcel" for "not received")')
    found = set(terms(locale, phrase))
    if len(found) != 1:
        return None
    (term,) = found
    forms = words.get(term, {})
    others = [_most_used(counts)[0] for unfolded, counts in forms.items() if unfolded != searched]
    clash = f", which also matches {_quoted(others)} (search ignores accents)" if others else ""
    if len(written) == 1:
        if not others:
            return None
        return (f'"{phrase}" is searched as "{searched}"{clash}; if that means something else, write a '
                "longer phrase that says what it is about, or remove it")
    collapsed = f'"{phrase}" is searched as "{searched}" only ({_stop_words(dropped)}){clash}'
    same = [other for other in group if len(query_words(other)) == 1 and set(terms(locale, other)) == found]
    if same:
        return f'{collapsed}: the same as "{same[0]}" in this group; remove it'
    longer = f'write a longer phrase that says what it is about ("{phrase}" and a noun)'
    if others:
        return f"{collapsed}; {longer}"
    matches = _quoted(_most_used(forms.get(searched)) or [kept[0]], "or")
    return (f"{collapsed}, so it matches any question with {matches}; {longer}, "
            f'or just "{kept[0]}" if that is meant')


def _most_used(counts: Counter | None, limit=3) -> list[str]:
    return [word for word, _count in counts.most_common(limit)] if counts else []


def check_synonym_lists(loaded: LoadedContent, content_dir, *, builtin: bool = False) -> list[Problem]:
    """Warnings for the editors' synonyms.txt of each locale, and with `builtin` for the
    built-in list of each locale's language, each against that locale's articles."""
    content_dir = Path(content_dir)
    by_locale = defaultdict(list)
    for article in loaded.articles:
        by_locale[article.locale].append(article)
    problems = []
    languages: dict[str, list[str]] = defaultdict(list)
    for locale in loaded.site.locales:
        languages[primary(locale)].append(locale)
        path = content_dir / locale / SYNONYMS_FILE
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # none, or the loader has reported it
        words = vocabulary(locale, _texts(by_locale[locale]))
        problems += check_synonym_text(locale, text, f"{locale}/{SYNONYMS_FILE}", words)
    if builtin:
        for language, locales in languages.items():
            path = SHOP_SYNONYMS / f"{language}.txt"
            if path.is_file():
                words = vocabulary(locales[0], _texts(a for locale in locales for a in by_locale[locale]))
                problems += check_synonym_text(locales[0], path.read_text("utf-8"),
                                               path.relative_to(BUILTIN_ROOT).as_posix(), words)
    return problems


def _texts(articles):
    for article in articles:
        yield from article_texts(article)
