"""Snippets: the passages around matched words, marked and escaped."""

from __future__ import annotations

import re

from portal.search.analysis import term_function
from portal.search.snippets import MAX_CHARS, SEPARATOR, snippet

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
