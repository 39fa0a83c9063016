"""`flask i18n status | diff | mark-current`: counts on a fixture with missing, outdated and current
translations and catalogs with fuzzy and empty entries; the demo is complete."""

from __future__ import annotations

import json
import shutil

import pytest

from portal.i18n.status import catalog_status, format_status, translation_status
from tests.helpers import DATA, ROOT

FIXTURE = DATA / "i18n-status"


@pytest.fixture(scope="module")
def status():
    return translation_status(FIXTURE / "content", FIXTURE / "translations")


@pytest.fixture
def copied(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "i18n")
    return tmp_path / "i18n"


@pytest.fixture
def cli(app_factory, copied):
    app = app_factory(copied / "content", SEARCH_BACKEND="null",
                      BABEL_TRANSLATION_DIRECTORIES=str(copied / "translations"))
    return lambda *args: app.test_cli_runner().invoke(args=["i18n", *args])


def by_locale(status):
    return {entry.locale: entry for entry in status.locales}


@pytest.mark.parametrize(("locale", "current", "outdated", "unknown", "missing"), [
    ("sv", ["returns/return-an-item"], ["returns/refund-times"], [], ["delivery/track-parcel"]),
    # a translation without source_hash is "unknown"; one still marked draft is missing
    ("da", ["returns/refund-times"], [], ["returns/return-an-item"], ["delivery/track-parcel"]),
    ("nb", ["returns/return-an-item"], [], [], ["delivery/track-parcel", "returns/refund-times"]),
])
def test_article_counts_per_locale(status, locale, current, outdated, unknown, missing):
    entry = by_locale(status)[locale]
    assert {state: list(ids) for state, ids in entry.articles.items()} == {
        "current": current, "outdated": outdated, "unknown": unknown, "missing": missing}
    assert entry.expected == 3 and not entry.complete


def test_drafts_and_source_only_articles_are_not_expected(status):
    assert status.source_locale == "en"
    assert status.source_articles == ("delivery/track-parcel", "orders/phone", "returns/refund-times",
                                      "returns/return-an-item")
    assert status.source_only == ("orders/phone",)


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", dict(is_source=True, complete=True, percent=100)),
    ("sv", dict(total=4, translated=4, fuzzy=0, untranslated=0, complete=True, percent=100)),
    ("da", dict(total=4, translated=1, fuzzy=1, untranslated=2, complete=False, percent=25)),
    ("nb", dict(exists=False, total=4, translated=0, untranslated=4, complete=False, percent=0)),
])
def test_ui_catalog_completion_counts_fuzzy_separately(locale, expected):
    catalog = catalog_status(FIXTURE / "translations", locale)
    assert {key: getattr(catalog, key) for key in expected} == expected


def test_totals(status):
    assert status.totals() == {"ui_total": 12, "ui_translated": 5, "ui_fuzzy": 1, "ui_untranslated": 6,
                               "expected": 9, "current": 3, "outdated": 1, "unknown": 1, "missing": 4}
    assert not status.complete


def test_status_command_prints_a_table_and_the_articles_to_do(cli):
    result = cli("status")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "source: en, 4 articles (1 kept in en only: orders/phone)"
    assert lines[1].split() == ["locale", "UI", "strings", "fuzzy", "articles", "current", "outdated",
                                "unknown", "missing"]
    assert lines[2].split() == ["en", "source", "4", "source", "complete"]
    assert lines[3].split() == ["sv", "4/4", "100%", "0", "1/3", "1", "1", "0", "1", "incomplete"]
    assert lines[4].split() == ["da", "1/4", "25%", "1", "1/3", "1", "0", "1", "1", "incomplete"]
    assert lines[5].split() == ["nb", "no", "catalog", "1/3", "1", "0", "0", "2", "incomplete"]
    assert lines[6].split() == ["total", "5/12", "1", "3/9", "3", "1", "1", "4", "incomplete"]
    assert lines[7:] == ["sv: outdated: returns/refund-times", "sv: missing: delivery/track-parcel",
                         "da: unknown: returns/return-an-item", "da: missing: delivery/track-parcel",
                         "nb: missing: delivery/track-parcel", "nb: missing: returns/refund-times"]


def test_status_command_json_for_one_locale(cli):
    result = cli("status", "--locale", "da", "--format", "json")
    data = json.loads(result.output)
    assert [entry["locale"] for entry in data["locales"]] == ["da"]
    da = data["locales"][0]
    assert da["articles"] == {"expected": 3, "current": 1, "outdated": 0, "unknown": 1, "missing": 1}
    assert da["catalog"]["fuzzy"] == 1 and da["catalog"]["percent"] == 25
    assert da["article_ids"]["unknown"] == ["returns/return-an-item"]
    assert data["totals"]["missing"] == 1 and data["complete"] is False


def test_status_command_rejects_an_unknown_locale(cli):
    result = cli("status", "--locale", "fr")
    assert result.exit_code == 2 and "not a site locale: fr" in result.output


def test_diff_command_prints_a_unified_diff(cli):
    result = cli("diff", "sv", "returns/refund-times")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("# en/returns/refund-times.md: old text from the stored copy .i18n/sources/")
    assert lines[1].startswith("--- en/returns/refund-times.md (") and lines[2].startswith("+++ ")
    assert "-We refund you within 10 days of receiving your parcel." in lines
    assert "+We refund you within 5 days of receiving your parcel." in lines


def test_diff_command_for_a_current_translation(cli):
    result = cli("diff", "sv", "returns/return-an-item")
    assert result.exit_code == 0 and "the source has not changed since the translation" in result.output


def test_diff_command_explains_a_translation_without_source_hash(cli):
    result = cli("diff", "da", "returns/return-an-item")
    assert result.exit_code == 1 and "records no source_hash" in result.output


def test_mark_current_command_then_status_shows_it_current(cli, copied):
    result = cli("mark-current", "sv", "returns/refund-times")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sv/returns/refund-times.md: source_hash ")
    assert "(was d8150e64b3ee3b40)" in result.output
    status = translation_status(copied / "content", copied / "translations", ["sv"])
    assert status.locales[0].articles["current"] == ("returns/refund-times", "returns/return-an-item")
    assert cli("diff", "sv", "returns/refund-times").output.startswith(
        "sv/returns/refund-times: the source has not changed")


def test_mark_current_all_adopts_unmarked_translations_but_not_outdated_ones(cli, copied):
    result = cli("mark-current", "--all")
    assert result.exit_code == 0, result.output
    assert "sv/returns/refund-times.md: outdated, not marked" in result.output
    assert "da/returns/return-an-item.md: source_hash " in result.output
    counts = {e.locale: (e.count("current"), e.count("outdated"), e.count("unknown"))
              for e in translation_status(copied / "content", copied / "translations").translations}
    assert counts == {"sv": (1, 1, 0), "da": (2, 0, 0), "nb": (1, 0, 0)}
    result = cli("mark-current", "--all", "sv", "--force")
    assert "sv/returns/refund-times.md: source_hash" in result.output
    sv = translation_status(copied / "content", copied / "translations", ["sv"]).locales[0]
    assert sv.count("outdated") == 0


@pytest.mark.parametrize(("args", "message"), [
    ((), "give LOCALE ARTICLE_ID, or --all [LOCALE]"),
    (("sv",), "give LOCALE ARTICLE_ID, or --all [LOCALE]"),
    (("--all", "sv", "returns/x"), "give LOCALE ARTICLE_ID, or --all [LOCALE]"),
    (("en", "returns/return-an-item"), "'en' is the source language"),
    (("--all", "en"), "'en' is not a translated locale (sv, da, nb)"),
    (("--all", "fr"), "'fr' is not a translated locale"),
])
def test_mark_current_command_errors(cli, args, message):
    result = cli("mark-current", *args)
    assert result.exit_code != 0 and message in result.output


def test_demo_articles_are_translated_and_current_in_every_locale():
    status = translation_status(ROOT / "content", ROOT / "translations")
    assert [entry.locale for entry in status.locales] == ["en", "sv", "da", "pl"]
    assert status.source_only == ("orders/order-by-phone",)
    for entry in status.translations:
        assert entry.count("current") == entry.expected == len(status.source_articles) - 1, entry.locale
        assert entry.articles_complete


def test_demo_status_is_complete_ui_strings_included():
    status = translation_status(ROOT / "content", ROOT / "translations")
    incomplete = {entry.locale: (entry.catalog.untranslated, entry.catalog.fuzzy)
                  for entry in status.locales if not entry.complete}
    assert incomplete == {}, "untranslated and fuzzy UI strings per locale"
    assert format_status(status).splitlines()[-1].split()[-1] == "complete"
