"""Look-ups the views rely on: by URL, by id, translations, redirects, drafts."""

from __future__ import annotations

import dataclasses

from portal.content.repository import ContentRepository
from tests.helpers import DATA


def repo(include_drafts=False):
    return ContentRepository.from_folder(DATA / "good", include_drafts=include_drafts)


def test_lookup_by_localized_url_and_by_id():
    content = repo()
    article = content.article("sv", "returns", "returnera-en-vara")
    assert article.id == "returns/return-an-item"
    assert content.article_by_id("sv", "returns/return-an-item") is article
    assert content.article("sv", "returns", "return-an-item") is None


def test_translations_come_in_site_locale_order():
    assert [a.locale for a in repo().translations("returns/return-an-item")] == ["en", "sv"]


def test_find_elsewhere_names_the_versions_that_exist():
    versions = repo().find_elsewhere("sv", "delivery", "track-parcel")
    assert [a.url for a in versions] == ["/en/delivery/track-parcel"]
    assert repo().find_elsewhere("sv", "delivery", "no-such-thing") == []


def test_only_elsewhere_lists_articles_missing_in_a_locale_without_walking_every_article():
    content = repo()
    missing = content.only_elsewhere("sv")
    assert "delivery/track-parcel" in {a.id for a in missing}
    assert all(a.locale != "sv" and not content.article_by_id("sv", a.id) for a in missing)
    assert content.only_elsewhere("sv", "returns") == [a for a in missing if a.id.startswith("returns/")]
    # Asked by every search and category page: answered from the lists made at load time.
    content._translations = None
    assert content.only_elsewhere("sv", "delivery") == [a for a in missing if a.id.startswith("delivery/")]


def test_redirect_from_paths():
    assert repo().redirect_for("/old/returns-policy/").id == "returns/return-an-item"
    assert repo().redirect_for("/old/other") is None


def test_drafts_are_hidden_unless_previewing():
    assert repo().article_by_id("en", "delivery/secret-draft") is None
    assert repo(include_drafts=True).article_by_id("en", "delivery/secret-draft").draft


def test_categories_with_only_drafts_or_nothing_are_not_listed():
    content = repo()
    assert [c.id for c in content.categories("en")] == ["delivery", "returns"]
    assert [c.id for c in content.categories("sv")] == ["returns"]


def test_outdated_translation_is_detected():
    content = repo()
    swedish = content.article_by_id("sv", "returns/return-an-item")
    assert swedish.source_hash is None and not content.is_outdated(swedish)
    stale = dataclasses.replace(swedish, source_hash="0" * 16)
    assert content.is_outdated(stale)


def test_an_article_in_a_locale_falls_back_to_the_default_locale():
    content = repo()
    english = content.article_by_id("en", "returns/return-an-item")
    assert content.article_or_default("sv", "returns/return-an-item").locale == "sv"
    assert content.article_or_default("xx", "returns/return-an-item") is english
    assert content.article_or_default("sv", "returns/no-such-article") is None
