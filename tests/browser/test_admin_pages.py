"""The editors' pages with two weeks of visits: charts, content gaps and learned questions are
axe-clean, and the charts are drawn without any script."""

from __future__ import annotations

import pytest

from .admin_demo import LEARNED, seed, sign_in
from .live import VIEWPORTS, axe_violations, demo_app, serve


@pytest.fixture(scope="module")
def admin_url(tmp_path_factory):
    app = demo_app(tmp_path_factory.mktemp("admin"))
    seed(app)
    with serve(app) as url:
        yield url


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_dashboard_and_learned_questions_have_no_wcag_violations(browser, admin_url, axe_source, device,
                                                                  scheme):
    context = browser.new_context(base_url=admin_url, viewport=VIEWPORTS[device], color_scheme=scheme,
                                  java_script_enabled=False)
    page = context.new_page()
    sign_in(page)
    assert page.locator("svg.chart").count() == 2 and page.locator("svg.sparkline").count() >= 4
    assert page.locator("#gaps-title").is_visible()
    context.close()
    # axe needs script; the pages themselves were just drawn without it.
    context = browser.new_context(base_url=admin_url, viewport=VIEWPORTS[device], color_scheme=scheme)
    page = context.new_page()
    sign_in(page)
    assert axe_violations(page, axe_source) == []
    page.goto("/admin/questions/")
    assert page.locator(f"input[value='{LEARNED[0]}']").count() == 1
    assert axe_violations(page, axe_source) == []
    context.close()
