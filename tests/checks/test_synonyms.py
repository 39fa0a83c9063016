"""Synonym phrases that search reads differently from how they were written: each warning
kind in the language it concerns, then the same warnings through `flask content check`."""

from __future__ import annotations

import json

import pytest

from portal.checks import check_site
from portal.checks.synonyms import check_synonym_text, vocabulary
from portal.search.analysis import SHOP_SYNONYMS


def warnings(locale, text, *articles):
    """The check's messages for a synonyms.txt, against articles written in that language."""
    problems = check_synonym_text(locale, text, f"{locale}/synonyms.txt", vocabulary(locale, articles))
    assert all(p.severity == "warning" for p in problems)
    return [str(p) for p in problems]


# -- a phrase of two or more words that search reads as one term ----------------------


def test_a_phrase_that_collapses_to_one_common_word_en():
    assert warnings("en", "# comment\ncancel = revoke, call off\n", "Call us: we call back.") == [
        'en/synonyms.txt:2: warning: "call off" is searched as "call" only ("off" is a stop word), so it '
        'matches any question with "call"; write a longer phrase that says what it is about ("call off" '
        'and a noun), or just "call" if that is meant']


def test_a_collapsed_phrase_names_the_other_words_it_matches_da():
    """Danish "min side" is "sid", the stem of "siden" (since): the message shows that word."""
    [message] = warnings("da", "konto = profil, min side\n", "Pakken blev sendt for 2 uger siden.")
    assert message.startswith('da/synonyms.txt:1: warning: "min side" is searched as "sid" only ("min" is '
                              'a stop word), so it matches any question with "siden"')


def test_a_collapsed_phrase_whose_stem_folds_onto_another_word_sv():
    """Swedish "säga upp" is "säg", which without accents is "såg" (saw)."""
    assert warnings("sv", "radera = ta bort, säga upp\n", "Jag såg att priset sänktes.") == [
        'sv/synonyms.txt:1: warning: "säga upp" is searched as "säg" only ("upp" is a stop word), which '
        'also matches "såg" (search ignores accents); write a longer phrase that says what it is about '
        '("säga upp" and a noun)']


def test_several_stop_words_are_named_sv():
    [message] = warnings("sv", "övergå = gå över till\n")
    assert '"gå över till" is searched as "gå" only ("över" and "till" are stop words)' in message


def test_a_collapsed_phrase_that_repeats_a_word_of_its_group_pl():
    assert warnings("pl", "wypisać = wypisać się, odsubskrybować\n") == [
        'pl/synonyms.txt:1: warning: "wypisać się" is searched as "wypis" only ("się" is a stop word): the '
        'same as "wypisać" in this group; remove it']


# -- a negation lost to stop words ------------------------------------------------------


@pytest.mark.parametrize(("locale", "line", "phrase", "negation", "searched"), [
    ("pl", "zaginiona = zagubiona, nie dotarła", "nie dotarła", "nie", "dotarł"),
    ("pl", "zły produkt = nie ten produkt", "nie ten produkt", "nie", "produkt"),
    ("da", "bortkommet = ikke modtaget", "ikke modtaget", "ikke", "modtag"),
    ("sv", "slutsåld = ej i lager", "ej i lager", "ej", "lag"),
    ("en", "missing = not received", "not received", "not", "receiv"),
])
def test_a_negation_lost_to_stop_words(locale, line, phrase, negation, searched):
    """A phrase that keeps only its verb means the opposite: "nie dotarła" becomes "dotarła"."""
    assert warnings(locale, line + "\n") == [
        f'{locale}/synonyms.txt:1: warning: "{phrase}" loses its negation: "{negation}" is a stop word, '
        f'so it is searched as "{searched}" and also matches questions without "{negation}", which mean the '
        'opposite; name the thing itself instead (such as "lost parcel" for "not received")']


# -- a single word whose stem folds onto another written word ------------------------------


def test_a_word_whose_stem_folds_onto_another_word_of_the_content_sv():
    """"spåra" (track) is "spår", "spara" (save, keep) is "spar": without accents both are "spar"."""
    assert warnings("sv", "spårning = spåra\n", "Spara kvittot.") == [
        'sv/synonyms.txt:1: warning: "spåra" is searched as "spår", which also matches "spara" (search '
        'ignores accents); if that means something else, write a longer phrase that says what it is '
        "about, or remove it"]


def test_a_fold_is_only_a_clash_when_the_content_has_the_other_word_sv():
    assert warnings("sv", "spårning = spåra\n", "Spåra ditt paket.") == []
    assert warnings("sv", "spårning = spåra\n") == []


# -- a phrase with no searchable word -----------------------------------------------------


@pytest.mark.parametrize(("locale", "line", "expected"), [
    ("en", "refund = up to", '"up to" has no word search can use ("up" and "to" are stop words), so it '
     "never matches; write the words it stands for, or remove it"),
    ("sv", "retur = till", '"till" has no word search can use ("till" is a stop word), so it never '
     "matches; write the words it stands for, or remove it"),
    ("pl", "zwrot = -, oddanie", '"-" has no word in it, so search ignores it; remove it'),
])
def test_a_phrase_with_no_searchable_word(locale, line, expected):
    assert warnings(locale, line + "\n") == [f"{locale}/synonyms.txt:1: warning: {expected}"]


# -- what passes -------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "text"), [
    ("en", "refund = money back, reimbursement\ndelete account = close account\n"),
    ("sv", "radera konto = säga upp kontot\nslutsåld = slut i lager\n"),
    ("da", "bortkommet = aldrig modtaget, pakken er væk\n"),
    ("pl", "zwrot towaru = zwrócić towar\nzaginiona = zaginęła\n"),
])
def test_phrases_that_keep_their_meaning_pass(locale, text):
    """Stop words inside a phrase are fine while two or more words remain."""
    assert warnings(locale, text, "Jag såg det. Pakken blev sendt for 2 uger siden. Spara.") == []


# -- through content check -----------------------------------------------------------------


def test_content_check_warns_with_path_and_line(content_copy, app_factory):
    """The editors' synonyms.txt is checked against the content's own words; warnings do not fail."""
    folder = content_copy("good")
    with (folder / "sv" / "returns" / "return-an-item.md").open("a", encoding="utf-8") as article:
        article.write("\nSpara kvittot tills returen är klar.\n")
    (folder / "sv" / "synonyms.txt").write_text("# spårning\npaket = försändelse\nspårning = spåra\n",
                                               "utf-8")
    runner = app_factory(folder, SEARCH_BACKEND="null").test_cli_runner()
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert ('sv/synonyms.txt:3: warning: "spåra" is searched as "spår", which also matches "spara"'
            in result.output)
    assert result.output.rstrip().endswith("0 errors, 1 warnings")


def test_builtin_lists_are_checked_only_when_asked(content_copy, app_factory):
    """The built-in Swedish list says "sönder" (broken): its stem "sönd" is "sond" (a probe)
    without accents, so a shop whose articles talk of probes hears about it."""
    folder = content_copy("good")
    with (folder / "sv" / "returns" / "return-an-item.md").open("a", encoding="utf-8") as article:
        article.write("\nVi mäter vikten med en sond.\n")
    runner = app_factory(folder, SEARCH_BACKEND="null").test_cli_runner()
    plain = runner.invoke(args=["content", "check", "--format", "json"])
    assert json.loads(plain.output) == []
    result = runner.invoke(args=["content", "check", "--builtin-synonyms", "--format", "json"])
    assert result.exit_code == 0, result.output
    [problem] = json.loads(result.output)
    assert problem["path"] == "portal/search/synonyms/sv.txt" and problem["severity"] == "warning"
    assert problem["message"].startswith('"sönder" is searched as "sönd", which also matches "sond"')
    builtin = (SHOP_SYNONYMS / "sv.txt").read_text("utf-8").splitlines()
    assert "sönder" in builtin[problem["line"] - 1]


def test_content_check_reads_the_same_lines_as_the_loader(content_copy):
    """Comments, blank lines and a bad line keep the line numbers of the file."""
    folder = content_copy("good")
    (folder / "en" / "synonyms.txt").write_text(
        "# comment\n\nparcel\ncancel = call off  # trailing comment\n", "utf-8")
    problems = [str(p) for p in check_site(folder).problems]
    assert problems[0] == ("en/synonyms.txt:3: error: a synonym line needs two or more phrases: "
                           "'refund = money back'")
    assert problems[1].startswith('en/synonyms.txt:4: warning: "call off" is searched as "call" only')
    assert len(problems) == 2
