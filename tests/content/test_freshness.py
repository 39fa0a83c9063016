"""Translation freshness: source_hash written in place, copies of the source, diffs from the copy or git."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from portal.content.freshness import (
    STORE,
    TranslationError,
    mark_current,
    set_source_hash,
    source_diff,
    translation_states,
)
from portal.content.loader import content_hash, load_content
from tests.helpers import DATA

FIXTURE = DATA / "i18n-status" / "content"
OLD_REFUND = "d8150e64b3ee3b40"  # the version of en/returns/refund-times.md that sv was translated from
NEW_REFUND = content_hash((FIXTURE / "en" / "returns" / "refund-times.md").read_text())


@pytest.fixture
def content(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def stored(content, article_id):
    return sorted(p.stem for p in (content / STORE / article_id).glob("*.md"))


# -- writing source_hash ------------------------------------------------------------------

def test_source_hash_is_inserted_before_the_closing_line_and_nothing_else_changes():
    text = "---\ntitle: Hej\n# a comment the translator wrote\ntags: [a,   b]  \n---\nBody  \n\n"
    assert set_source_hash(text, "0123456789abcdef") == (
        "---\ntitle: Hej\n# a comment the translator wrote\ntags: [a,   b]  \n"
        "source_hash: 0123456789abcdef\n---\nBody  \n\n")


def test_an_existing_source_hash_line_is_replaced_in_place():
    text = "---\ntitle: Hej\nsource_hash: 1111111111111111\nslug: hej\n---\nBody\n"
    assert set_source_hash(text, "abcdefabcdefabcd") == text.replace("1111111111111111", "abcdefabcdefabcd")


def test_windows_line_endings_and_a_bom_survive():
    text = "\ufeff---\r\ntitle: Hej\r\n---\r\nBody\r\n"
    assert set_source_hash(text, "abcdefabcdefabcd") == (
        "\ufeff---\r\ntitle: Hej\r\nsource_hash: abcdefabcdefabcd\r\n---\r\nBody\r\n")


def test_a_value_continued_on_indented_lines_is_replaced_whole():
    text = "---\ntitle: Hej\nsource_hash: >\n  1111\n  2222\nslug: hej\n---\n"
    assert set_source_hash(text, "abcdefabcdefabcd") == (
        "---\ntitle: Hej\nsource_hash: abcdefabcdefabcd\nslug: hej\n---\n")


def test_a_hash_of_digits_only_is_quoted_so_yaml_keeps_it_a_string():
    written = set_source_hash("---\ntitle: x\n---\n", "0123456701234567")
    assert written == '---\ntitle: x\nsource_hash: "0123456701234567"\n---\n'


def test_a_file_without_front_matter_is_refused():
    with pytest.raises(TranslationError, match="no front matter"):
        set_source_hash("just text\n", "abcdefabcdefabcd")


# -- mark-current ---------------------------------------------------------------------------

def test_mark_current_records_the_source_hash_and_changes_only_that_line(content):
    path = content / "sv" / "returns" / "refund-times.md"
    before = path.read_bytes()
    old = OLD_REFUND
    marked = mark_current(content, "sv", "returns/refund-times")
    current = content_hash((content / "en" / "returns" / "refund-times.md").read_text())
    assert (marked.path, marked.previous, marked.current, marked.changed) == (
        "sv/returns/refund-times.md", old, current, True)
    assert path.read_bytes() == before.replace(old.encode(), current.encode())
    states = translation_states(load_content(content), "sv")
    assert "returns/refund-times" in states["current"]


def test_mark_current_keeps_a_copy_of_the_source_and_drops_versions_nobody_records(content):
    assert stored(content, "returns/refund-times") == sorted([NEW_REFUND, OLD_REFUND])
    marked = mark_current(content, "sv", "returns/refund-times")
    # sv was the only translation made from the old version; da and now sv follow the new one
    assert stored(content, "returns/refund-times") == [marked.current] == [NEW_REFUND]
    copy = content / STORE / "returns" / "refund-times" / f"{marked.current}.md"
    assert copy.read_bytes() == (content / "en" / "returns" / "refund-times.md").read_bytes()


def test_mark_current_adds_source_hash_to_a_translation_without_one(content):
    path = content / "da" / "returns" / "return-an-item.md"
    before = path.read_text()
    marked = mark_current(content, "da", "returns/return-an-item")
    assert marked.previous is None
    assert path.read_text() == before.replace("---\nDu kan", f"source_hash: {marked.current}\n---\nDu kan")


def test_marking_twice_changes_nothing(content):
    mark_current(content, "sv", "returns/refund-times")
    before = (content / "sv" / "returns" / "refund-times.md").read_bytes()
    assert not mark_current(content, "sv", "returns/refund-times").changed
    assert (content / "sv" / "returns" / "refund-times.md").read_bytes() == before


@pytest.mark.parametrize(("locale", "article_id", "reason"), [
    ("en", "returns/return-an-item", "'en' is the source language"),
    ("fr", "returns/return-an-item", "'fr' is not a locale of this site"),
    ("sv", "delivery/track-parcel", "there is no translation sv/delivery/track-parcel.md yet"),
    ("sv", "delivery/nothing", "there is no source article en/delivery/nothing.md"),
    ("sv", "../../../etc/passwd", "is not an article id"),
    ("sv", "returns/../../x", "is not an article id"),
])
def test_mark_current_refuses_what_it_cannot_do(content, locale, article_id, reason):
    with pytest.raises(TranslationError, match=reason):
        mark_current(content, locale, article_id)


# -- diff -------------------------------------------------------------------------------------

def test_diff_from_the_stored_copy(content):
    diff = source_diff(content, "sv", "returns/refund-times")
    assert diff.origin == f"stored copy {STORE}/returns/refund-times/{OLD_REFUND}.md"
    assert diff.lines == (
        f"--- en/returns/refund-times.md ({OLD_REFUND}, translated from)",
        f"+++ en/returns/refund-times.md ({NEW_REFUND}, now)",
        "@@ -1,6 +1,6 @@",
        " ---",
        " title: When do I get my money back?",
        " ---",
        "-We refund you within 10 days of receiving your parcel.",
        "+We refund you within 5 days of receiving your parcel.",
        " ",
        " Refunds go to the card you paid with.",
    )


def test_diff_of_a_current_translation_is_empty(content):
    diff = source_diff(content, "sv", "returns/return-an-item")
    assert diff.lines == () and diff.recorded == diff.current


def test_diff_needs_a_recorded_source_hash(content):
    with pytest.raises(TranslationError, match="records no source_hash"):
        source_diff(content, "da", "returns/return-an-item")


def test_diff_says_so_when_the_old_version_is_nowhere(content):
    shutil.rmtree(content / STORE)
    with pytest.raises(TranslationError, match="neither in .i18n/sources/returns/refund-times/ nor in"):
        source_diff(content, "sv", "returns/refund-times")


def git(folder, *args):
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=Test", "-c", "user.email=test@example.com",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


def test_diff_from_git_history_when_no_copy_is_stored(content):
    """Two commits of the source; the translation records the first; no copy in the store."""
    shutil.rmtree(content / STORE)
    source = content / "en" / "returns" / "return-an-item.md"
    git(content, "init", "-q")
    git(content, "add", ".")
    git(content, "commit", "-q", "-m", "first version")
    first = content_hash(source.read_text())
    source.write_text(source.read_text().replace("within 30 days", "within 60 days"))
    git(content, "commit", "-q", "-am", "longer return window")
    source.write_text(source.read_text() + "\nUncommitted: the diff ends at the file as it is now.\n")
    diff = source_diff(content, "sv", "returns/return-an-item")
    assert diff.recorded == first and diff.origin.startswith("git commit ")
    assert "-You can return any item within 30 days." in diff.lines
    assert "+You can return any item within 60 days." in diff.lines
    assert "+Uncommitted: the diff ends at the file as it is now." in diff.lines
