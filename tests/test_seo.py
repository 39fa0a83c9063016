"""portal/seo.py: Q&A detection, hreflang, sitemap entries and files, robots.txt, JSON-LD builders."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import seo
from portal.content.render import render_markdown
from portal.content.repository import ContentRepository
from tests.helpers import DATA, DEMO_CONTENT

FAQ = ContentRepository.from_folder(DATA / "seo-faq")
PREVIEW = ContentRepository.from_folder(DATA / "seo-faq", include_drafts=True)
DEMO = ContentRepository.from_folder(DEMO_CONTENT)


def faq(markdown_text):
    return seo.faq_from_html(render_markdown(markdown_text))


def test_question_blocks_after_an_introduction_are_a_faq():
    pairs = faq('Intro.\n\n??? question "Can I pay later?"\n    Yes, with **Klarna**.\n\n'
                '    Within 30 days.\n\n???+ question "Is it free?"\n    Yes.\n')
    assert pairs == (("Can I pay later?", "Yes, with Klarna. Within 30 days."), ("Is it free?", "Yes."))


def test_question_headings_answered_by_what_follows_are_a_faq():
    pairs = faq("### Do you ship abroad?\nTo the EU.\n\n- Sweden\n- Poland\n\n## Can I collect it?\nYes.\n")
    assert pairs == (("Do you ship abroad?", "To the EU. Sweden Poland"), ("Can I collect it?", "Yes."))


def test_both_forms_may_be_mixed():
    assert len(faq('### Is it free?\nYes.\n\n??? question "Is it fast?"\n    Yes.\n')) == 2


@pytest.mark.parametrize("markdown_text", [
    'One question is not a FAQ.\n\n??? question "Is it free?"\n    Yes.\n',
    '??? question "A?"\n    a\n\nLoose text between the questions.\n\n??? question "B?"\n    b\n',
    '??? question "A?"\n    a\n\n??? question "B?"\n    b\n\nA closing paragraph.\n',
    "### A?\na\n\n## Not a question\nText.\n\n### B?\nb\n",
    "### A?\n\n### B?\nb\n",  # a question without an answer
    '??? note "Not a question"\n    a\n\n??? note "Nor this"\n    b\n',
    "## How it works\nSteps.\n\n## Where to find it\nThere.\n",
    "Intro.\n\n## Steps\n1. Click.\n\n## Email missing?\nWait.\n\n## Locked out?\nReset.\n",  # a how-to
    "",
])
def test_articles_that_only_contain_some_questions_are_not_a_faq(markdown_text):
    assert faq(markdown_text) == ()


def test_demo_how_tos_with_some_questions_are_not_a_faq_but_all_question_sections_are():
    how_to = DEMO.article_by_id("en", "account/reset-password")  # "## Reset your password" first
    assert "<h2" in how_to.html and seo.faq_pairs(how_to) == ()
    complaint = DEMO.article_by_id("pl", "returns/faulty-item-complaint")  # every section a question
    assert [q for q, _ in seo.faq_pairs(complaint)] == [
        "Ile mam czasu na reklamację?", "Co uznajemy za brak zgodności z umową?",
        "Jak złożyć reklamację?", "Czego mogę żądać?",
        "Czy mogę reklamować produkt kupiony na wyprzedaży?",
        "Co zrobić, jeśli nie zgadzam się z odpowiedzią na reklamację?"]
    assert sorted(a.url for a in FAQ.articles() if seo.faq_pairs(a)) == [
        "/en/payments/payment-questions", "/sv/payments/fragor-om-betalning"]


@pytest.mark.parametrize(("tag", "expected"), [
    ("en", "en_US"), ("sv", "sv_SE"), ("nb", "nb_NO"), ("pt-BR", "pt_BR"), ("xx", "xx")])
def test_open_graph_locales_carry_a_territory(tag, expected):
    assert seo.og_locale(tag) == expected


def test_hreflang_lists_every_version_and_x_default_is_the_default_locale():
    links = seo.hreflang_links([("sv", "/sv/a"), ("en", "/en/a")], "en")
    assert links == [("sv", "/sv/a"), ("en", "/en/a"), ("x-default", "/en/a")]
    assert seo.hreflang_links([("sv", "/sv/a")], "en") == [("sv", "/sv/a"), ("x-default", "/sv/a")]
    assert seo.hreflang_links([], "en") == []


def test_sitemap_has_every_published_page_in_every_locale_and_no_draft():
    entries = {e.path: e for e in seo.sitemap_entries(PREVIEW)}
    assert set(entries) == {
        "/en/", "/en/delivery/", "/en/delivery/pickup-points", "/en/payments/", "/en/payments/invoice",
        "/en/payments/payment-questions", "/sv/", "/sv/payments/", "/sv/payments/fragor-om-betalning"}
    assert "/en/payments/new-methods" not in entries, "a previewed draft stays out"
    faq_entry = entries["/sv/payments/fragor-om-betalning"]
    assert faq_entry.lastmod == dt.date(2026, 3, 2)
    assert faq_entry.alternates == (("en", "/en/payments/payment-questions"),
                                    ("sv", "/sv/payments/fragor-om-betalning"),
                                    ("x-default", "/en/payments/payment-questions"))
    assert entries["/en/payments/"].lastmod == dt.date(2026, 3, 1), "a category: its newest article"
    assert entries["/sv/"].lastmod == dt.date(2026, 3, 2)
    assert entries["/en/delivery/"].alternates == (("en", "/en/delivery/"), ("x-default", "/en/delivery/"))


def test_demo_sitemap_covers_every_article_of_every_locale():
    paths = {e.path for e in seo.sitemap_entries(DEMO)}
    assert {a.url for a in DEMO.articles()} <= paths
    assert {f"/{locale}/" for locale in DEMO.locales} <= paths
    assert not any("/search" in path for path in paths)


def test_sitemap_pages_split_at_the_limit():
    entries = [seo.SitemapEntry(f"/en/{n}", None) for n in range(7)]
    assert [len(p) for p in seo.sitemap_pages(entries, 3)] == [3, 3, 1]
    assert seo.sitemap_pages([], 3) == [[]]
    assert seo.SITEMAP_MAX_URLS == 50_000


def test_urlset_escapes_urls():
    xml = seo.render_urlset([seo.SitemapEntry("/en/a&b", dt.date(2026, 1, 2), (("en", "/en/a&b"),))],
                            "https://help.example/")
    assert "<loc>https://help.example/en/a&amp;b</loc>" in xml and "<lastmod>2026-01-02</lastmod>" in xml
    assert 'href="https://help.example/en/a&amp;b"' in xml


def test_robots_blocks_search_but_not_a_category_named_like_it():
    text = seo.robots_txt(["en", "sv"], "https://help.example/sitemap.xml")
    assert "Disallow: /en/search$" in text and "Disallow: /sv/search?" in text
    assert "Disallow: /en/search\n" not in text
    assert text.rstrip().endswith("Sitemap: https://help.example/sitemap.xml")


def test_json_ld_builders_carry_the_properties_search_engines_need():
    article = FAQ.article_by_id("en", "payments/invoice")
    category = FAQ.category("en", "payments")
    data = seo.article_data(article, "https://h.example/en/payments/invoice", "FAQ Shop",
                            "https://h.example/en/", category)
    assert data["@type"] == "Article" and data["headline"] == "Paying by invoice"
    assert data["dateModified"] == "2026-02-10" and data["inLanguage"] == "en"
    assert data["publisher"]["name"] == "FAQ Shop" and data["keywords"] == "invoice, payment"
    crumbs = seo.breadcrumb_list([("Help", "https://h.example/en/"), ("Payments", "https://h.example/en/payments/")])
    assert [i["position"] for i in crumbs["itemListElement"]] == [1, 2]
    page = seo.faq_page([("Q?", "A.")], "https://h.example/x", "en")
    assert page["mainEntity"][0]["acceptedAnswer"] == {"@type": "Answer", "text": "A."}
