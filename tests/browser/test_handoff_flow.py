"""From a 'not helpful' vote to a confirmed contact request, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import make_app

from .live import serve


@pytest.fixture(scope="module")
def contact_url(tmp_path_factory):
    """A server of its own: the minimum fill time is for bots, not for this test's typing speed."""
    app = make_app(tmp_path_factory.mktemp("handoff-live"), CONTACT_MIN_FILL_SECONDS=0)
    with serve(app) as url:
        yield url


@pytest.fixture
def visitor(browser, contact_url):
    # Headless Chromium names itself in its user agent and would be left out of analytics as a bot.
    context = browser.new_context(base_url=contact_url,
                                  user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    yield page
    context.close()


def test_not_helpful_vote_leads_to_the_contact_page(visitor):
    page = visitor
    page.goto("/sv/returns/returnera-en-vara")
    page.get_by_role("button", name="Nej").click()
    heading = page.locator("#feedback-title")
    expect(heading).to_be_focused()  # replaced in place, focus moved to the new question
    page.locator("#feedback .choice label").first.click()
    page.get_by_role("button", name="Skicka").click()
    expect(page.locator("#feedback [role=status]")).to_be_visible()
    page.locator("#feedback .feedback-contact a").click()
    page.wait_for_url(re.compile(r"/sv/contact\?article=returns"))
    expect(page.locator("#topic-return-or-refund")).to_be_checked()
    assert page.console_errors == []


def test_contact_form_error_fixed_then_confirmed(visitor):
    page = visitor
    page.goto("/en/search?q=broken+zip")
    for _attempt in range(50):  # the search event is stored by a background writer
        page.goto("/en/contact?topic=return-or-refund&description=The+zip+of+my+jacket+broke")
        if page.locator(".context").count():
            break
        page.wait_for_timeout(100)
    expect(page.locator("#message")).to_have_value("The zip of my jacket broke")
    expect(page.locator(".context")).to_contain_text("Searched for “broken zip”")
    page.fill("#name", "Anna Berg")
    page.fill("#email", "anna-at-example.com")
    page.get_by_role("button", name="Send message").click()
    error = page.locator("#email-error")
    expect(error).to_contain_text("e-mail address we can reply to")
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_attribute("aria-describedby", re.compile("email-error"))
    expect(page.locator("#name")).to_have_value("Anna Berg")  # nothing typed is lost
    page.fill("#email", "anna@example.com")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url(re.compile(r"/en/contact/sent/NV-[0-9A-Z]{8}$"))
    expect(page.locator("h1")).to_have_text("Thank you, we have your message")
    expect(page.locator(".reference strong")).to_have_text(re.compile(r"NV-[0-9A-Z]{8}"))
    # The form came back once with 422 (the e-mail error): the browser logs that status, nothing else.
    assert [e for e in page.console_errors if "status of 422" not in e] == []
