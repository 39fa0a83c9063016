"""Snippets: the passages around matched words, marked and escaped."""

from __future__ import annotations

import re

import pytest

from portal.content.loader import load_content
from portal.search.analysis import WORD, query_words, term_function
from portal.search.snippets import MAX_CHARS, SEPARATOR, _matches, snippet

from .helpers import BASIC

TERM = term_function("en")


def test_matched_words_are_marked_by_stem_and_the_text_escaped():
    html = snippet("Returns & refunds: we returned it <fast>.", {"return"}, TERM)
    assert html == ('<mark class="match term0">Returns</mark> &amp; refunds: we '
                    '<mark class="match term0">returned</mark> it &lt;fast&gt;.')


def test_no_match_gives_no_snippet():
    assert snippet("Nothing to see here.", {"parcel"}, TERM) == ""


def test_distinct_terms_are_numbered_in_order_of_appearance():
    html = snippet("Track the parcel, then return the parcel.", {"parcel", "return"}, TERM)
    assert re.findall(r'class="match (term\d)">(\w+)<', html) == [
        ("term0", "parcel"), ("term1", "return"), ("term0", "parcel")]


def test_long_text_gives_at_most_two_passages_of_whole_words_in_text_order():
    filler = " ".join(["lorem"] * 80)
    text = f"Start parcel {filler} middle refund {filler} end parcel refund finish."
    html = snippet(text, {"parcel", "refund"}, TERM)
    passages = html.split(SEPARATOR)
    assert len(passages) == 2
    # The passage with both terms wins a place; order follows the text.
    assert "end" in passages[1] and "refund" in passages[1] and "parcel" in passages[1]
    for passage in passages:
        plain = re.sub(r"<[^>]+>", "", passage)
        assert len(plain) <= MAX_CHARS
        assert not plain.startswith("orem") and not plain.endswith("lore")


def test_marks_fall_on_whole_words_wherever_they_stand():
    # First and last word, a word with an apostrophe (one word, as the index has it), letters
    # whose lowercase differs in length ('İ'), diacritics: each mark covers exactly its word.
    text = "Zwrot: İade hasn't zwrotu, ZWROT"
    html = snippet(text, {term_function("pl")("zwrot"), "hasn't"}, term_function("pl"))
    marked = re.findall(r'<mark class="match term\d">([^<]+)</mark>', html)
    assert marked == ["Zwrot", "hasn't", "zwrotu", "ZWROT"]
    assert re.sub(r"<[^>]+>", "", html) == text


TRICKY_TEXTS = (
    "rock'n'roll n roll", "'Quoted' parcel's parcel' PARCEL", "a_b parcel_1 parcel", "x'y'z y z",
    "’Return’ it, returns' RETURNS", "ΟΔΟΣ.Α οδος", "İade iade İADE", "Straße STRASSE strasse",
)


@pytest.mark.parametrize("locale", ["en", "sv", "da", "pl"])
def test_matches_are_exactly_the_words_the_index_reads(locale):
    """Found with str.find among the text's distinct words, the matches are the words
    analysis.WORD finds, at their places, whether the words are given or not."""
    term = term_function(locale)
    texts = [a.body_text for a in load_content(BASIC).articles if a.locale == locale] + list(TRICKY_TEXTS)
    for text in texts:
        words = query_words(text)
        every = [(m.start(), m.end(), term(w)) for m, w in zip(WORD.finditer(text), words, strict=True)]
        found_terms = sorted({t for _, _, t in every if t})
        for terms in (set(found_terms), set(found_terms[::3])):
            expected = [match for match in every if match[2] in terms]
            assert _matches(text, terms, term, None) == expected, text
            assert _matches(text, terms, term, sorted(set(words))) == expected, text
