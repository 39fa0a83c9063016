"""The loader turns a content folder into articles and reports each bad file with where and why."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from portal.content.frontmatter import FastLoader, load_yaml, split_front_matter
from portal.content.loader import content_hash, load_content
from tests.helpers import DATA, DEMO_CONTENT


@pytest.fixture(scope="module")
def broken():
    return load_content(DATA / "broken")


def _problem(loaded, path):
    found = [p for p in loaded.problems if p.path == path]
    assert found, f"no problem reported for {path}: {[str(p) for p in loaded.problems]}"
    return found[0]


@pytest.mark.parametrize(("path", "reason", "line"), [
    ("en/returns/broken-yaml.md", "a quote that is never closed: end the text with the same quote mark", 2),
    ("en/returns/no-title.md", "'title' is required", 1),
    ("en/returns/no-front-matter.md", "no front matter", 1),
    ("en/returns/bad-date.md", "'updated' must be a date", 3),
    ("en/returns/bad-questions.md", "'questions' must be a list", 3),
    ("sv/returns/b-second.md", "slug 'same-slug' is already used by sv/returns/a-first.md", 3),
    ("en/Bad_Category/", "must use only lowercase letters", None),
    ("de/", "unknown locale folder 'de'", None),
    ("en/loose.md", "must be inside a category folder", None),
])
def test_each_bad_file_is_reported_with_path_reason_and_line(broken, path, reason, line):
    problem = _problem(broken, path)
    assert reason in problem.message
    assert problem.severity == "error"
    if line is not None:
        assert problem.line == line
        assert str(problem).startswith(f"{path}:{line}: error: ")


def test_bad_files_are_left_out_and_the_rest_loads(broken):
    ids = {(a.locale, a.id) for a in broken.articles}
    assert ids == {("en", "returns/fine"), ("sv", "returns/a-first"), ("en", "returns/unknown-key")}


def test_unknown_front_matter_key_is_only_a_warning(broken):
    problem = _problem(broken, "en/returns/unknown-key.md")
    assert problem.severity == "warning" and "colour" in problem.message and problem.line == 3


def test_good_folder_loads_every_field():
    loaded = load_content(DATA / "good")
    assert loaded.errors == []
    article = next(a for a in loaded.articles if a.locale == "en" and a.id == "returns/return-an-item")
    assert article.category == "returns" and article.slug == "return-an-item"
    assert article.title == "How do I return an item?"
    assert article.description == "Return anything within 30 days."
    assert article.questions == ("can I send my order back",)
    assert article.tags == ("return", "refund")
    assert article.updated == dt.date(2026, 5, 4)
    assert article.redirect_from == ("/old/returns-policy",)
    assert article.draft is False
    assert '<h2 id="steps">' in article.html
    assert article.url == "/en/returns/return-an-item"
    assert article.content_hash == content_hash((DATA / "good" / article.path).read_text("utf-8"))


def test_translation_has_its_own_slug_and_links_resolve_to_localized_urls():
    loaded = load_content(DATA / "good")
    swedish = next(a for a in loaded.articles if a.locale == "sv")
    assert swedish.url == "/sv/returns/returnera-en-vara"
    # The Swedish tracking article does not exist: the link falls back to the source language.
    assert 'href="/en/delivery/track-parcel"' in swedish.html
    english = next(a for a in loaded.articles if a.locale == "en" and a.id == "returns/return-an-item")
    assert 'href="/en/delivery/track-parcel"' in english.html


def test_description_is_derived_from_the_first_paragraph_when_absent():
    loaded = load_content(DATA / "good")
    tracking = next(a for a in loaded.articles if a.id == "delivery/track-parcel")
    assert tracking.description == "Follow your parcel with the tracking link in the shipping e-mail."


def test_drafts_are_loaded_but_marked():
    loaded = load_content(DATA / "good")
    assert [a.id for a in loaded.articles if a.draft] == ["delivery/secret-draft"]


def test_missing_site_file_is_reported(tmp_path):
    loaded = load_content(tmp_path)
    assert loaded.articles == []
    assert "site.yml" in str(loaded.errors[0])


@pytest.mark.parametrize(("site_yml", "reason"), [
    ("name: x\nlocales: [en\n", "not valid YAML"),
    ("name: x\n", "'locales' must list at least one locale"),
    ("locales: [en]\ndefault_locale: sv\n", "default_locale 'sv' is not in locales"),
    ("locales: [English]\n", "not a BCP 47 language tag"),
])
def test_bad_site_file_is_reported(tmp_path, site_yml, reason):
    (tmp_path / "site.yml").write_text(site_yml)
    assert reason in load_content(tmp_path).errors[0].message


def test_split_front_matter_reports_unclosed_block():
    with pytest.raises(Exception, match="not closed"):
        split_front_matter("---\ntitle: x\n")


def test_one_locale_site_whose_default_is_not_english():
    loaded = load_content(DATA / "sv-only")
    assert loaded.site.default_locale == "sv" and loaded.site.locales == ("sv",)
    assert [a.url for a in loaded.articles] == ["/sv/paket/var-ar-paketet"]


def test_demo_content_has_no_problems():
    loaded = load_content(DEMO_CONTENT)
    assert [str(p) for p in loaded.problems] == []


def test_front_matter_is_parsed_by_libyaml_and_its_errors_read_as_pyyaml_writes_them():
    assert FastLoader is yaml.CSafeLoader
    text = "title: Hi\nupdated: 2026-05-01\nquestions: [a, b]\n"
    assert load_yaml(text) == yaml.safe_load(text)
    broken = "title: [unclosed\n"
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(broken)
    with pytest.raises(yaml.YAMLError) as ours:
        load_yaml(broken)
    assert str(ours.value) == str(pure.value)


@pytest.mark.parametrize(("site_yml", "names", "problems"), [
    # a plain text still works: one name for every locale
    ("name: Shop Help\nlocales: [en, sv]\n", {"en": "Shop Help", "sv": "Shop Help"}, []),
    ("name:\n  en: Shop Help\n  sv: Butikens hjälp\nlocales: [en, sv]\n",
     {"en": "Shop Help", "sv": "Butikens hjälp"}, []),
    ("name: {en: Shop Help}\nlocales: [en, sv]\n", {"en": "Shop Help", "sv": "Shop Help"}, []),
    ("locales: [en, sv]\n", {"en": "Help Centre", "sv": "Help Centre"}, []),
    ("name: {sv: Butikens hjälp, de: Hilfe}\nlocales: [en, sv]\n",
     {"en": "Butikens hjälp", "sv": "Butikens hjälp"},
     ["site.yml: warning: 'name' has a text for 'de', which is not in locales ['en', 'sv']",
      "site.yml: warning: 'name' has no text for the default locale 'en'"]),
    ("name: [a, b]\nlocales: [en, sv]\n", {"en": "Help Centre", "sv": "Help Centre"},
     ["site.yml: error: 'name' must be a text, or one text per locale like {en: Shop Help, sv: Butikens "
      "hjälp}"]),
])
def test_site_name_per_locale(tmp_path, site_yml, names, problems):
    (tmp_path / "site.yml").write_text(site_yml, "utf-8")
    loaded = load_content(tmp_path)
    assert {locale: loaded.site.name_in(locale) for locale in ("en", "sv")} == names
    assert loaded.site.name == names["en"]
    assert [str(p) for p in loaded.problems if p.path == "site.yml" and "has no folder" not in p.message] \
        == problems


def test_a_translation_of_a_draft_is_a_draft_and_content_check_says_so(content_copy):
    """L9: `draft: true` on a source did not hold back its translations (pages, search, sitemap)."""
    folder = content_copy("good")
    (folder / "sv" / "delivery").mkdir(parents=True, exist_ok=True)
    (folder / "sv" / "delivery" / "secret-draft.md").write_text(
        "---\ntitle: Hemlig rea\n---\nBlack friday secret.\n", "utf-8")
    loaded = load_content(folder)
    translation = next(a for a in loaded.articles if a.locale == "sv" and a.id == "delivery/secret-draft")
    assert translation.draft
    warning = next(p for p in loaded.problems if p.path.endswith("sv/delivery/secret-draft.md"))
    assert warning.severity == "warning" and "translation of the draft" in warning.message


def test_a_translation_of_a_draft_is_not_served(content_copy, app_factory):
    folder = content_copy("good")
    (folder / "sv" / "delivery").mkdir(parents=True, exist_ok=True)
    (folder / "sv" / "delivery" / "secret-draft.md").write_text(
        "---\ntitle: Hemlig rea\n---\nBlack friday secret.\n", "utf-8")
    client = app_factory(folder, SEARCH_BACKEND="null").test_client()
    assert client.get("/sv/delivery/secret-draft").status_code == 404
    assert "secret-draft" not in client.get("/sitemap.xml").get_data(as_text=True)


@pytest.mark.parametrize(("line", "prefix", "problems"), [
    ("", "HC-", []),
    ("reference_prefix: NV-\n", "NV-", []),
    ("reference_prefix: SHOP\n", "SHOP", []),
    ("reference_prefix: nv-\n", "HC-", ["site.yml: warning: 'reference_prefix' must be up to 5 capital "
                                        "letters or digits and an optional '-', like NV-; HC- is used"]),
])
def test_the_contact_reference_prefix_comes_from_site_yml(tmp_path, line, prefix, problems):
    (tmp_path / "site.yml").write_text("locales: [en]\n" + line)
    loaded = load_content(tmp_path)
    assert loaded.site.reference_prefix == prefix
    assert [str(p) for p in loaded.problems if "reference_prefix" in p.message] == problems
