"""What search engines see: head tags, JSON-LD, /sitemap.xml against the sitemaps.org schema,
/robots.txt, and old URLs that keep working."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import lxml.html
import pytest
from lxml import etree

from portal.content.loader import load_content
from tests.helpers import DATA, DEMO_CONTENT

DEMO = load_content(DEMO_CONTENT)
SCHEMAS = DATA / "sitemaps"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}
OG_LOCALE = {"en": "en_US", "sv": "sv_SE", "da": "da_DK", "pl": "pl_PL"}
BCP47 = re.compile(r"^([a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?|x-default)$")


def demo_url(locale, article_id):
    return next(a.url for a in DEMO.articles if a.locale == locale and a.id == article_id)


def page_types(locale):
    """Every kind of page, and whether search engines may index it."""
    return {
        "home": (f"/{locale}/", True),
        "category": (f"/{locale}/delivery/", True),
        "article": (demo_url(locale, "delivery/track-your-order"), True),
        "search": (f"/{locale}/search", False),
        "search results": (f"/{locale}/search?q=parcel", False),
        "no results": (f"/{locale}/search?q=zzqxvw", False),
        "404": (f"/{locale}/no/such-page", False),
    }


ALL_PAGES = [(loc, kind, *page_types(loc)[kind]) for loc in DEMO.site.locales for kind in page_types(loc)]


def head(client, path):
    response = client.get(path)
    return response, lxml.html.fromstring(response.get_data(as_text=True))


def meta(doc, key, attribute="property"):
    found = doc.xpath(f"//head/meta[@{attribute}=$key]/@content", key=key)
    return found[0] if found else None


# --- head tags ------------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "kind", "path", "indexable"), ALL_PAGES,
                         ids=[f"{p[0]}-{p[1]}" for p in ALL_PAGES])
def test_every_page_has_its_head_tags(client, locale, kind, path, indexable):
    response, doc = head(client, path)
    assert doc.get("lang") == locale
    title = doc.findtext(".//head/title")
    assert title and title.strip() and len(title) <= 120
    assert (meta(doc, "description", "name") or "").strip()
    assert meta(doc, "og:title") == title and meta(doc, "twitter:title", "name") == title
    assert meta(doc, "og:description") == meta(doc, "description", "name")
    assert meta(doc, "og:locale") == OG_LOCALE[locale] and meta(doc, "twitter:card", "name") == "summary"
    assert meta(doc, "og:url").startswith("http://localhost/")
    canonical = doc.xpath("//head/link[@rel='canonical']/@href")
    robots = (meta(doc, "robots", "name") or "") + response.headers.get("X-Robots-Tag", "")
    if indexable:
        assert canonical == [f"http://localhost{path}"] and "noindex" not in robots
    else:
        assert canonical == [] and "noindex" in robots


@pytest.mark.parametrize("locale", DEMO.site.locales)
def test_titles_and_descriptions_are_in_the_pages_language(client, locale):
    _, doc = head(client, f"/{locale}/")
    _, english = head(client, "/en/")
    if locale != "en":
        assert doc.findtext(".//head/title") != english.findtext(".//head/title")
        assert meta(doc, "description", "name") != meta(english, "description", "name")


def test_article_hreflang_lists_its_translations_itself_and_x_default(client):
    _, doc = head(client, demo_url("da", "delivery/track-your-order"))
    links = {e.get("hreflang"): e.get("href") for e in doc.xpath("//head/link[@rel='alternate']")}
    expected = {a.locale: f"http://localhost{a.url}"
                for a in DEMO.articles if a.id == "delivery/track-your-order"}
    assert links == {**expected, "x-default": expected["en"]}
    assert all(BCP47.match(tag) for tag in links)
    og_alternates = doc.xpath("//meta[@property='og:locale:alternate']/@content")
    assert sorted(og_alternates) == ["en_US", "pl_PL", "sv_SE"]


def test_an_article_only_in_english_has_hreflang_for_itself_only(client):
    _, doc = head(client, "/en/orders/order-by-phone")
    assert [(e.get("hreflang"), e.get("href")) for e in doc.xpath("//head/link[@rel='alternate']")] == [
        ("en", "http://localhost/en/orders/order-by-phone"),
        ("x-default", "http://localhost/en/orders/order-by-phone")]


def test_public_url_setting_makes_every_absolute_url(app_factory):
    # The node is reached as "localhost" (allowed); every URL names the public origin.
    client = app_factory(PUBLIC_URL="https://help.nordvik.example", ALLOWED_HOSTS=["localhost"]).test_client()
    _, doc = head(client, "/sv/delivery/")
    assert doc.xpath("//link[@rel='canonical']/@href") == ["https://help.nordvik.example/sv/delivery/"]
    alternates = doc.xpath("//link[@rel='alternate']/@href")
    assert alternates and all(h.startswith("https://help.nordvik.example/") for h in alternates)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: https://help.nordvik.example/sitemap.xml" in robots


def test_previewed_draft_is_noindex(app_factory):
    client = app_factory(DATA / "seo-faq", PREVIEW_DRAFTS=True).test_client()
    _, doc = head(client, "/en/payments/new-methods")
    assert meta(doc, "robots", "name") == "noindex"


# --- JSON-LD --------------------------------------------------------------------------

# What each type must carry: Google Search Central's required properties, plus what this
# portal promises (language, URL, publisher).
REQUIRED = {
    "Article": ["headline", "description", "inLanguage", "url", "mainEntityOfPage", "author.name",
                "publisher.name"],
    "BreadcrumbList": ["itemListElement"],
    "ListItem": ["position", "name", "item"],
    "FAQPage": ["mainEntity"],
    "Question": ["name", "acceptedAnswer.text"],
    "WebSite": ["name", "url"],
}


def json_ld_blocks(html):
    doc = lxml.html.fromstring(html)
    scripts = doc.xpath("//script[@type='application/ld+json']")
    assert all("</" not in s.text for s in scripts), "JSON in HTML must not close its <script>"
    return [json.loads(s.text) for s in scripts]


def missing_properties(node):
    missing = []
    for dotted in REQUIRED.get(node.get("@type"), []):
        value = node
        for key in dotted.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value in (None, "", []):
            missing.append(f"{node['@type']}.{dotted}")
    for value in node.values():
        children = value if isinstance(value, list) else [value]
        missing += [m for child in children if isinstance(child, dict) for m in missing_properties(child)]
    return missing


def check_json_ld(html):
    blocks = json_ld_blocks(html)
    for block in blocks:
        assert block["@context"] == "https://schema.org"
        assert missing_properties(block) == []
    return {block["@type"]: block for block in blocks}


@pytest.mark.parametrize("article", DEMO.articles, ids=lambda a: f"{a.locale}:{a.id}")
def test_every_article_has_valid_article_and_breadcrumb_json_ld(client, article):
    blocks = check_json_ld(client.get(article.url).get_data(as_text=True))
    assert {"Article", "BreadcrumbList"} <= set(blocks)
    data = blocks["Article"]
    assert data["headline"] == article.title and data["inLanguage"] == article.locale
    assert data["url"] == f"http://localhost{article.url}"
    if article.updated:
        assert data["dateModified"] == article.updated.isoformat()
    crumbs = blocks["BreadcrumbList"]["itemListElement"]
    assert [c["position"] for c in crumbs] == [1, 2, 3]
    assert crumbs[-1]["item"] == data["url"] and crumbs[-1]["name"] == article.title
    assert all(urlsplit(c["item"]).scheme == "http" for c in crumbs)


@pytest.mark.parametrize("locale", DEMO.site.locales)
def test_home_and_category_json_ld(client, locale):
    home = check_json_ld(client.get(f"/{locale}/").get_data(as_text=True))
    assert home["WebSite"]["inLanguage"] == locale
    assert home["WebSite"]["potentialAction"]["target"]["urlTemplate"].endswith(
        f"/{locale}/search?q={{search_term_string}}")
    category = check_json_ld(client.get(f"/{locale}/delivery/").get_data(as_text=True))
    assert [c["position"] for c in category["BreadcrumbList"]["itemListElement"]] == [1, 2]


def test_faq_articles_get_faqpage_json_ld(app_factory):
    client = app_factory(DATA / "seo-faq").test_client()
    blocks = check_json_ld(client.get("/en/payments/payment-questions").get_data(as_text=True))
    questions = blocks["FAQPage"]["mainEntity"]
    assert [q["name"] for q in questions] == [
        "Which cards do you accept?", "Can I pay by invoice?", "Is my card information safe?"]
    answer = "Yes: choose Invoice at checkout. You get 30 days to pay."
    assert questions[1]["acceptedAnswer"] == {"@type": "Answer", "text": answer}
    swedish = check_json_ld(client.get("/sv/payments/fragor-om-betalning").get_data(as_text=True))
    assert swedish["FAQPage"]["inLanguage"] == "sv" and len(swedish["FAQPage"]["mainEntity"]) == 2
    plain = check_json_ld(client.get("/en/payments/invoice").get_data(as_text=True))
    assert "FAQPage" not in plain and "Article" in plain


def test_demo_faq_shaped_articles_get_faqpage_too(client):
    blocks = check_json_ld(client.get(demo_url("pl", "returns/faulty-item-complaint")).get_data(as_text=True))
    assert len(blocks["FAQPage"]["mainEntity"]) == 6


def test_json_ld_cannot_be_broken_out_of(app_factory, content_copy):
    folder = content_copy("seo-faq")
    article = folder / "en" / "payments" / "invoice.md"
    article.write_text(article.read_text().replace("title: Paying by invoice",
                                                   "title: \"Pay </script><script>alert(1)</script>\""))
    html = app_factory(folder).test_client().get("/en/payments/invoice").get_data(as_text=True)
    blocks = check_json_ld(html)
    assert blocks["Article"]["headline"] == "Pay </script><script>alert(1)</script>"


# --- sitemap and robots.txt -----------------------------------------------------------

def schema(name):
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def assert_valid(xml_bytes, schema_name):
    document = etree.fromstring(xml_bytes)
    validator = schema(schema_name)
    assert validator.validate(document), validator.error_log
    return document


def sitemap_urls(document):
    return {
        url.findtext("sm:loc", namespaces=NS): (
            url.findtext("sm:lastmod", namespaces=NS),
            {link.get("hreflang"): link.get("href") for link in url.findall("xhtml:link", NS)})
        for url in document.findall("sm:url", NS)}


def test_sitemap_validates_and_lists_every_published_page(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    urls = sitemap_urls(assert_valid(response.data, "sitemap-with-alternates.xsd"))
    for article in DEMO.articles:
        lastmod, alternates = urls[f"http://localhost{article.url}"]
        assert lastmod == (article.updated.isoformat() if article.updated else None)
        assert alternates[article.locale] == f"http://localhost{article.url}" and "x-default" in alternates
    for locale in DEMO.site.locales:
        assert f"http://localhost/{locale}/" in urls and f"http://localhost/{locale}/returns/" in urls
    assert not [url for url in urls if "/search" in url]


def test_sitemap_hreflang_is_reciprocal_and_every_url_is_canonical_and_indexable(client):
    urls = sitemap_urls(etree.fromstring(client.get("/sitemap.xml").data))
    for url, (_lastmod, alternates) in urls.items():
        for tag, href in alternates.items():
            if tag != "x-default":
                assert urls[href][1] == alternates, f"{href} does not link back to {url}"
    for url in urls:
        response, doc = head(client, urlsplit(url).path)
        assert response.status_code == 200, url
        assert doc.xpath("//link[@rel='canonical']/@href") == [url]
        assert meta(doc, "robots", "name") is None


def test_drafts_stay_out_of_the_sitemap_even_in_preview(app_factory):
    client = app_factory(DATA / "seo-faq", PREVIEW_DRAFTS=True).test_client()
    assert client.get("/en/payments/new-methods").status_code == 200  # previewed
    urls = sitemap_urls(assert_valid(client.get("/sitemap.xml").data, "sitemap-with-alternates.xsd"))
    assert "http://localhost/en/payments/new-methods" not in urls
    assert urls["http://localhost/en/payments/payment-questions"][1] == {
        "en": "http://localhost/en/payments/payment-questions",
        "sv": "http://localhost/sv/payments/fragor-om-betalning",
        "x-default": "http://localhost/en/payments/payment-questions"}


def test_past_the_url_limit_the_sitemap_becomes_an_index(app_factory, client):
    small = app_factory(SITEMAP_MAX_URLS=50).test_client()
    index = assert_valid(small.get("/sitemap.xml").data, "siteindex.xsd")
    locations = [s.findtext("sm:loc", namespaces=NS) for s in index.findall("sm:sitemap", NS)]
    whole = sitemap_urls(etree.fromstring(client.get("/sitemap.xml").data))
    assert len(locations) == -(-len(whole) // 50)
    seen = {}
    for location in locations:
        part = small.get(urlsplit(location).path)
        assert part.status_code == 200
        urls = sitemap_urls(assert_valid(part.data, "sitemap-with-alternates.xsd"))
        assert len(urls) <= 50
        seen.update(urls)
    assert seen == whole
    assert small.get(f"/sitemap-{len(locations) + 1}.xml").status_code == 404
    assert client.get("/sitemap-1.xml").status_code == 404, "no numbered files while one sitemap suffices"


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_search(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    for locale in DEMO.site.locales:
        assert f"Disallow: /{locale}/search?" in text
    assert "Disallow: /api/" in text


def test_search_results_are_noindex(client):
    response = client.get("/sv/search?q=paket")
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex, follow">' in response.get_data(as_text=True)


# --- old links ------------------------------------------------------------------------

def test_redirect_from_paths_answer_301(app_factory):
    client = app_factory(DATA / "seo-faq").test_client()
    response = client.get("/help/payment-faq")
    assert response.status_code == 301 and response.headers["Location"] == "/en/payments/payment-questions"
    old_slug = client.get("/sv/payments/betalningsfragor")
    assert old_slug.status_code == 301 and old_slug.headers["Location"] == "/sv/payments/fragor-om-betalning"


def test_a_changed_slug_never_breaks_an_old_link(app_factory, content_copy):
    """An editor renames a URL the documented way (new `slug`, old path in `redirect_from`)."""
    folder = content_copy("seo-faq")
    before = app_factory(folder).test_client()
    assert before.get("/sv/payments/fragor-om-betalning").status_code == 200

    article = folder / "sv" / "payments" / "payment-questions.md"
    article.write_text(article.read_text().replace(
        "slug: fragor-om-betalning", "slug: vanliga-fragor-om-betalning").replace(
        "redirect_from: [/sv/payments/betalningsfragor]",
        "redirect_from: [/sv/payments/betalningsfragor, /sv/payments/fragor-om-betalning]"))
    after = app_factory(folder).test_client()
    new_url = "/sv/payments/vanliga-fragor-om-betalning"
    for old in ("/sv/payments/fragor-om-betalning",  # the previous slug
                "/sv/payments/betalningsfragor",  # the one before that
                "/sv/payments/payment-questions"):  # the id, which always works
        response = after.get(old)
        assert (response.status_code, response.headers["Location"]) == (301, new_url), old
    assert after.get(new_url).status_code == 200
    sitemap = after.get("/sitemap.xml").get_data(as_text=True)
    assert new_url in sitemap and "/sv/payments/fragor-om-betalning<" not in sitemap
