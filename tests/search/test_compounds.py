"""Compound splitting: a Swedish or Danish compound meets the known words it is made of."""

from __future__ import annotations

import pytest

from portal.search.compounds import Decompounder

SV_WORDS = {"journal", "information", "säkerhet", "nivå", "retur", "frakt", "skola", "väska", "kund",
            "tjänst", "kundtjänst", "betalning", "villkor", "kom", "mer", "dess", "utom", "möjlig",
            "heter", "behandla", "ingen", "sjuk", "hus", "vård"}
DA_WORDS = {"levering", "adresse", "adressen", "opsigelse", "gebyr", "bruger", "konto", "kunde",
            "reklamation", "tilbage", "betaling", "muligheder", "hund", "kurv"}


@pytest.mark.parametrize(
    "word, parts",
    [
        ("journalinformation", ("journal", "information")),  # joined directly
        ("säkerhetsnivån", ("säkerhet", "nivån")),  # linking -s-, inflected last part
        ("returfrakt", ("retur", "frakt")),
        ("skolväska", ("skola", "väska")),  # 'skola' drops its final vowel
        ("betalningsvillkoren", ("betalning", "villkoren")),
        ("returfraktvillkor", ("retur", "frakt", "villkor")),  # three parts when no two will do
        ("Returfrakt", ("retur", "frakt")),  # as typed, capitalised
    ],
)
def test_swedish_compound_splits_into_known_words(word, parts):
    assert Decompounder(SV_WORDS, "sv").parts(word) == parts


@pytest.mark.parametrize(
    "word, parts",
    [
        ("leveringsadressen", ("levering", "adressen")),  # linking -s-
        ("opsigelsesgebyret", ("opsigelse", "gebyret")),  # linking -s-, inflected 'gebyr'
        ("brugerkonto", ("bruger", "konto")),
        ("tilbagebetaling", ("tilbage", "betaling")),
        ("hundekurv", ("hund", "kurv")),  # linking -e-
    ],
)
def test_danish_compound_splits_into_known_words(word, parts):
    assert Decompounder(DA_WORDS, "da").parts(word) == parts


def test_fewest_parts_win():
    """'kundtjänstinformation' is kundtjänst + information, not kund + tjänst + information."""
    assert Decompounder(SV_WORDS, "sv").parts("kundtjänstinformation") == ("kundtjänst", "information")


@pytest.mark.parametrize(
    "word",
    [
        "information",  # a known word that is no compound
        "kommer",  # kom + mer: parts shorter than four letters
        "dessutom",  # dess + utom: stop words are never parts
        "möjligheter",  # möjlig + heter: a word ending, not a word
        "behandlingen",  # behandla + ingen
        "returpolicy",  # 'policy' is not a known word
        "retur",
    ],
)
def test_no_split_without_known_parts(word):
    assert Decompounder(SV_WORDS, "sv").parts(word) == ()


def test_languages_that_write_compounds_apart_are_left_alone():
    """English and Polish do not glue words: 'homework' stays whole even when 'home' and 'work' are known."""
    assert Decompounder({"home", "work"}, "en").parts("homework") == ()
    assert Decompounder({"konto", "bank"}, "pl").parts("kontobank") == ()


def test_region_subtag_uses_its_language_rules():
    assert Decompounder(SV_WORDS, "sv-FI").parts("returfrakt") == ("retur", "frakt")


def test_known_compounds_can_be_left_whole():
    """split_known=False splits only words the vocabulary lacks (query time against an index)."""
    words = SV_WORDS | {"returfrakt"}
    unknown_only = Decompounder(words, "sv", split_known=False)
    assert unknown_only.parts("returfrakt") == ()
    assert unknown_only.parts("journalinformation") == ("journal", "information")
    assert Decompounder(words, "sv").parts("returfrakt") == ("retur", "frakt")


def test_vocabulary_may_be_any_iterable_and_is_read_once():
    decompounder = Decompounder(iter(sorted(SV_WORDS)), "sv")
    assert decompounder.parts("returfrakt") == ("retur", "frakt")
    assert decompounder.parts("returfrakt") == ("retur", "frakt")  # from the remembered splits


def test_among_equally_many_parts_the_longest_shortest_part_wins():
    """Two splits into two known words: the one without a short part is the likelier reading
    (letters stand in for words so that both splits are real)."""
    words = {"abcd", "efghijkl", "abcdef", "ghijkl"}
    assert Decompounder(words, "sv").parts("abcdefghijkl") == ("abcdef", "ghijkl")
