"""Articles keep their long texts packed, and give them back exactly as they were written."""

from __future__ import annotations

import dataclasses
import pickle
import sys

import pytest

from portal.content.loader import load_content
from portal.content.model import Article
from tests.helpers import DEMO_CONTENT


def article(**changes) -> Article:
    fields = dict(id="returns/refund", locale="pl", category="returns", title="Zwrot", slug="zwrot",
                  description="Jak dostać zwrot.", body_text="Zwrot pieniędzy\x00 w ciągu 14 dni. " * 40,
                  html="<p>Zwrot <b>pieniędzy</b> 😀</p>" * 40)
    return Article(**{**fields, **changes})


def test_the_texts_read_back_as_written():
    written = article()
    assert written.body_text == "Zwrot pieniędzy\x00 w ciągu 14 dni. " * 40
    assert written.html == "<p>Zwrot <b>pieniędzy</b> 😀</p>" * 40
    empty = article(body_text="", html="")
    assert (empty.body_text, empty.html) == ("", "")


def test_an_article_stays_a_plain_immutable_value():
    written = article()
    edited = dataclasses.replace(written, body_text="Nowy tekst.")
    assert (edited.body_text, edited.html) == ("Nowy tekst.", written.html)
    assert edited != written and dataclasses.replace(written) == written
    assert pickle.loads(pickle.dumps(written)) == written
    with pytest.raises(dataclasses.FrozenInstanceError):
        written.html = "<p>changed</p>"
    with pytest.raises(TypeError, match="body_text"):
        Article(id="a/b", locale="en", category="a", title="T", slug="b", description="")


def test_a_loaded_help_centre_keeps_its_texts_in_a_fraction_of_their_size():
    # Most of the memory a worker shares with the master; bench/memory.py measures the whole.
    articles = load_content(DEMO_CONTENT).articles
    as_strings = sum(sys.getsizeof(a.html) + sys.getsizeof(a.body_text) for a in articles)
    kept = sum(sys.getsizeof(value) for a in articles for value in vars(a).values()
               if isinstance(value, str | bytes) and len(value) > 200)
    assert kept < as_strings / 3
