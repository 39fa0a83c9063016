"""What a visitor does in a real browser: search by keyboard, switch language, skip, resize."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

SEARCH_BOX = "#search-q"
LISTBOX = "#search-q-listbox"


def test_type_then_choose_a_suggestion_with_the_keyboard(page):
    page.goto("/en/")
    page.focus(SEARCH_BOX)
    page.keyboard.type("track parcel", delay=20)
    box = page.locator(SEARCH_BOX)
    options = page.locator(f"{LISTBOX} [role=option]")
    expect(options.first).to_be_visible()
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-controls", "search-q-listbox")
    expect(page.locator(LISTBOX)).to_have_attribute("role", "listbox")
    expect(page.locator(".search-form [role=status]")).to_contain_text("Suggestions: ")
    assert options.count() >= 2

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    page.keyboard.press("ArrowUp")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(second).to_have_attribute("aria-selected", "false")
    expect(box).to_be_focused()  # focus stays in the box: the option is only "active"

    title, url = first.inner_text(), first.get_attribute("data-url")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{url}")
    expect(page.locator("h1")).to_have_text(title)
    assert page.console_errors == []  # no CSP violation, no script error


def test_escape_closes_the_list_then_clears_the_box(page):
    page.goto("/en/")
    page.focus(SEARCH_BOX)
    page.keyboard.type("refund", delay=20)
    expect(page.locator(LISTBOX)).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(page.locator(SEARCH_BOX)).to_have_attribute("aria-expanded", "false")
    assert page.locator(SEARCH_BOX).get_attribute("aria-activedescendant") is None
    page.keyboard.press("Alt+ArrowDown")  # opens again, nothing highlighted
    expect(page.locator(LISTBOX)).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(page.locator(SEARCH_BOX)).to_have_value("")


def test_enter_without_a_highlighted_suggestion_searches(page):
    page.goto("/sv/")
    page.focus(SEARCH_BOX)
    page.keyboard.type("paket", delay=20)
    expect(page.locator(LISTBOX)).to_be_visible()
    expect(page.locator(".search-form [role=status]")).to_contain_text("Förslag: ")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/sv/search\?q=paket"))
    expect(page.locator("ol.results li").first).to_be_visible()


def test_search_works_without_javascript(new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/da/")
    page.fill(SEARCH_BOX, "pakke")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/da/search\?q=pakke"))
    expect(page.locator("ol.results li").first).to_be_visible()
    assert page.locator(LISTBOX).count() == 0


@pytest.mark.parametrize("via", ["header", "article footer"])
def test_switching_language_on_an_article_lands_on_its_translation(page, via):
    page.goto("/en/delivery/track-your-order")
    scope = page.locator("nav.languages") if via == "header" else page.locator("footer.article-meta")
    scope.locator("a[hreflang=sv]").click()
    page.wait_for_url("**/sv/delivery/spara-ditt-paket")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("h1")).to_have_text("Hur spårar jag mitt paket?")
    expect(page.locator("nav.languages a[aria-current]")).to_have_attribute("hreflang", "sv")
    # The choice is remembered: the bare root now goes to Swedish whatever the browser says.
    page.goto("/")
    page.wait_for_url("**/sv/")


def test_skip_link_is_first_visible_on_focus_and_moves_focus_to_main(page):
    page.goto("/pl/delivery/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link is on screen when focused"
    outline = skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none", "focus is visible"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_every_link_and_button_shows_focus(page):
    page.goto("/en/delivery/track-your-order")
    for _ in range(12):
        page.keyboard.press("Tab")
        style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                              " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }")
        assert style[1] != "none" and style[2] != "0px", style


@pytest.mark.parametrize("path", ["/en/", "/sv/returns/", "/en/delivery/track-your-order",
                                  "/pl/search?q=paczka", "/da/no/such-page"])
def test_phone_width_never_scrolls_sideways(new_page, path):
    page = new_page(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page.goto(path)
    overflow = page.evaluate("() => document.documentElement.scrollWidth"
                             " - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} is {overflow}px wider than a 320px phone"


def test_dark_mode_follows_the_system(new_page):
    page = new_page(color_scheme="dark")
    page.goto("/en/")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 20, 24)"
