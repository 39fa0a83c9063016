"""'Did you mean': symmetric-delete candidates, checked by real edit distance."""

from __future__ import annotations

import numpy as np
import pytest

from portal.search.spelling import Speller, deletions, distance, write

WORDS = sorted(["create", "created", "delete", "parcel", "parcels", "password", "refund", "return"])


@pytest.fixture
def speller(tmp_path):
    write(tmp_path, WORDS)
    return Speller(tmp_path, WORDS)


def test_deletions_keep_the_first_letter():
    assert deletions("abcd", 1) == {"abcd", "acd", "abd", "abc"}
    assert all(variant.startswith("a") for variant in deletions("abcdef"))


@pytest.mark.parametrize("a, b, expected", [("parcel", "parcle", 1), ("crdate", "create", 1),
                                            ("refund", "refund", 0), ("", "abc", 3), ("ca", "abc", 3),
                                            ("pkake", "pakke", 1), ("zwrto", "zwrot", 1)])
def test_distance_counts_two_swapped_letters_as_one_edit(a, b, expected):
    assert distance(a, b) == expected


@pytest.mark.parametrize("typed, maximum, expected", [
    ("crdate", 1, {"create": 1}),                  # substitution
    ("parcl", 1, {"parcel": 1}),                   # deletion
    ("passsword", 2, {"password": 1}),             # insertion
    ("refnud", 1, {"refund": 1}),                  # transposition: one edit
    ("retrun", 1, {"return": 1}),                  # even in a short word
    ("retrnu", 1, {}),                             # two edits are too many for a short word
])
def test_candidates_within_the_distance(speller, typed, maximum, expected):
    assert speller.candidates(typed, maximum) == expected


def test_first_letter_and_the_word_itself_are_never_suggested(speller):
    assert speller.candidates("barcel", 2) == {}
    assert "parcel" not in speller.candidates("parcel", 2)


def test_an_empty_vocabulary_suggests_nothing(tmp_path):
    write(tmp_path, [])
    assert Speller(tmp_path, []).candidates("parcel", 2) == {}


@pytest.mark.parametrize("earlier_exists", [True, False])
def test_a_table_made_from_the_last_builds_is_the_one_made_from_scratch(tmp_path, earlier_exists):
    changed = sorted({*WORDS, "parcelbox", "shipping"} - {"delete", "refund"})
    for name in ("earlier", "updated", "scratch"):
        (tmp_path / name).mkdir()
    if earlier_exists:
        write(tmp_path / "earlier", WORDS)
    write(tmp_path / "updated", changed, tmp_path / "earlier", WORDS)
    write(tmp_path / "scratch", changed)
    for name in ("spelling_sums.npy", "spelling_words.npy"):
        assert np.array_equal(np.load(tmp_path / "updated" / name), np.load(tmp_path / "scratch" / name))
    updated = Speller(tmp_path / "updated", changed)
    assert updated.candidates("shiping", 1) == {"shipping": 1} and updated.candidates("refnd", 1) == {}
