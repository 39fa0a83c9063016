"""`flask content new CATEGORY/SLUG`: a new article file in the default locale that passes the check."""

from __future__ import annotations

import re

import pytest

from portal.checks import check_site
from portal.content.loader import load_content


@pytest.fixture
def new(app_factory):
    def run(folder, *args):
        runner = app_factory(folder, SEARCH_BACKEND="null").test_cli_runner()
        return runner.invoke(args=["content", "new", *args])

    return run


def test_new_article_is_a_draft_with_front_matter_in_the_default_locale(new, content_copy):
    folder = content_copy("good")
    result = new(folder, "returns/exchange-a-size")
    assert result.exit_code == 0, result.output
    assert result.output == ("created en/returns/exchange-a-size.md: "
                             "a draft until you delete its 'draft: true' line\n")
    text = (folder / "en" / "returns" / "exchange-a-size.md").read_text()
    assert text.startswith("---\ntitle: Exchange a size\n")
    assert re.search(r"^updated: \d{4}-\d{2}-\d{2}$", text, re.M)
    article = next(a for a in load_content(folder).articles if a.id == "returns/exchange-a-size")
    assert article.locale == "en" and article.draft and article.questions == () and article.description
    assert [str(p) for p in check_site(folder).problems] == []


def test_published_article_with_a_title_that_needs_quotes(new, content_copy, app_factory):
    folder = content_copy("good")
    result = new(folder, "returns/refunds", "--title", "Refunds: how long?", "--publish")
    assert result.exit_code == 0 and result.output == "created en/returns/refunds.md\n"
    article = next(a for a in load_content(folder).articles if a.id == "returns/refunds")
    assert article.title == "Refunds: how long?" and not article.draft
    page = app_factory(folder, SEARCH_BACKEND="null").test_client().get("/en/returns/refunds")
    assert page.status_code == 200


def test_a_new_category_gets_a_category_file(new, content_copy):
    folder = content_copy("good")
    assert new(folder, "gift-cards/check-balance").exit_code == 0
    assert (folder / "en" / "gift-cards" / "_category.yml").read_text().startswith("title: Gift cards\n")
    assert [str(p) for p in check_site(folder).problems] == []


def test_the_default_locale_decides_the_folder(new, content_copy):
    folder = content_copy("sv-only")
    assert new(folder, "paket/skicka-paket").exit_code == 0
    assert (folder / "sv" / "paket" / "skicka-paket.md").is_file()


@pytest.mark.parametrize(("spec", "message"), [
    ("returns/return-an-item", "en/returns/return-an-item.md already exists"),
    ("returns", "is not CATEGORY/SLUG"),
    ("Returns/x", "is not CATEGORY/SLUG"),
    ("returns/a b", "may hold only letters, digits and '-'"),
    ("returns/../../x", "may hold only letters, digits and '-'"),
])
def test_refuses_what_it_cannot_create(new, content_copy, spec, message):
    folder = content_copy("good")
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    result = new(folder, spec)
    assert result.exit_code == 1 and message in result.output
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before


def test_following_the_templates_comment_gives_valid_questions(new, content_copy):
    """The comment under `questions:` says: one per line below, each starting with "  - "."""
    folder = content_copy("good")
    assert new(folder, "delivery/late-parcel", "--title", "My parcel is late").exit_code == 0
    path = folder / "en" / "delivery" / "late-parcel.md"
    lines = path.read_text().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("questions:"))
    assert '"  - "' in lines[at]
    lines[at + 1:at + 1] = ["  - where is my parcel", "  - my order has not arrived"]
    path.write_text("\n".join(lines))
    article = next(a for a in load_content(folder).articles if a.id == "delivery/late-parcel")
    assert article.questions == ("where is my parcel", "my order has not arrived")
    assert [str(p) for p in check_site(folder).problems] == []
