"""What first use showed (issue 17), in a real browser at phone size: the contact page lands on
its answer, the language buttons carry what was typed, tables scroll inside a named box that
keyboard users reach, the admin header fits, the 404 page can search."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.helpers import DATA, make_app

from .live import serve

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PASSWORD = "correct horse battery"
SATURDAY_AFTERNOON = dt.datetime(2026, 12, 5, 15, 33, tzinfo=dt.UTC)  # 16:33 in Stockholm


@pytest.fixture(scope="module")
def shop_url(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("first-use-live"), DATA / "first-use",
                   FIXED_NOW=SATURDAY_AFTERNOON, CONTACT_MIN_FILL_SECONDS=0)
    result = app.test_cli_runner().invoke(args=["admin", "create-user", "editor@shop.example",
                                                "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    with serve(app) as url:
        yield url


@pytest.fixture
def phone(browser, shop_url):
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=shop_url, **PHONE, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def top_of(page, selector):
    return page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().top")


@pytest.mark.parametrize("javascript", [True, False])
def test_show_me_how_lands_on_the_recommendation(phone, javascript):
    page = phone(java_script_enabled=javascript)
    page.goto("/en/contact")
    page.check("#topic-payment-problem")
    page.fill("#description", "I was charged twice for one order")
    page.get_by_role("button", name="Show me how to get help").click()
    page.wait_for_url(re.compile(r"/en/contact\?.*#help$"))
    assert 0 <= top_of(page, "#help") < 844 / 3  # the answer is at the top of the screen
    first = page.locator("#help .channel-list li").first
    expect(first).to_contain_text("Recommended")
    expect(first).to_be_in_viewport()
    if javascript:  # the keyboard and screen reader start at the answer too
        expect(page.locator("#help")).to_be_focused()
        assert page.locator("#contact-describe input[name=tz]").input_value()  # the visitor's zone
    expect(page.locator("#help .channel-closed").first).to_contain_text("Closed now. Opens Monday")


def test_the_language_buttons_keep_what_was_typed_without_javascript(phone):
    page = phone(java_script_enabled=False)
    page.goto("/en/contact?topic=payment-problem&description=charged+twice#help")
    page.fill("#name", "Anna Berg")
    page.fill("#message", "Jag blev debiterad två gånger för samma order.")
    page.locator(".languages").get_by_role("button", name="Svenska").click()
    page.wait_for_url("**/sv/contact/continue")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("#message")).to_have_value("Jag blev debiterad två gånger för samma order.")
    expect(page.locator("#name")).to_have_value("Anna Berg")
    expect(page.locator("#topic-payment-problem")).to_be_checked()


def test_the_language_switch_keeps_the_search(phone):
    page = phone()
    page.goto("/en/search?q=order")
    page.locator(".languages").get_by_role("link", name="Polski").click()
    page.wait_for_url(re.compile(r"/pl/search\?q=order$"))
    expect(page.locator("#search-q")).to_have_value("order")


def test_a_wide_table_scrolls_in_a_named_box_that_the_keyboard_reaches(phone):
    page = phone()
    page.goto("/en/returns/refund-times")
    box = page.locator(".article-body .table-scroll")
    expect(box).to_have_attribute("role", "region")
    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_attribute("aria-label", "Payment method, Time after we confirm, "
                                                "Where the money goes back")
    sizes = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert sizes[0] > sizes[1]  # the table is wider than a phone: it scrolls inside the box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself does not
    last_column = page.locator(".table-scroll th").last
    expect(last_column).not_to_be_in_viewport(ratio=1)
    for _ in range(30):  # Tab from the top of the page until the box has the focus
        page.keyboard.press("Tab")
        if box.evaluate("b => b === document.activeElement"):
            break
    expect(box).to_be_focused()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-scroll').scrollLeft > 0")
    expect(last_column).to_be_in_viewport(ratio=1)


def test_the_admin_header_fits_a_phone(phone):
    page = phone()
    page.goto("/admin/login")
    page.fill("#email", "editor@shop.example")
    page.fill("#password", PASSWORD)
    page.locator("main").get_by_role("button").click()
    page.wait_for_url("**/admin/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport(ratio=1)


def test_the_404_page_searches(phone):
    page = phone(java_script_enabled=False)
    response = page.goto("/sv/no/such-page")
    assert response.status == 404
    page.fill("#search-not-found", "beställning")
    page.locator("#search-not-found").press("Enter")
    page.wait_for_url(re.compile(r"/sv/search\?q="))
    expect(page.locator("ol.results li").first).to_contain_text("Hur lägger jag en beställning?")
