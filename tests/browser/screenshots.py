"""Screenshots of the main pages on a phone and a desktop, for people who do not run anything.

    .venv/bin/python -m tests.browser.screenshots docs/screenshots     (make screenshots)

Viewport-sized PNGs (not whole pages), so the folder stays small.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .admin_demo import seed, sign_in
from .live import demo_app, demo_server, launch_chromium, serve

VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True,
              "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}
PAGES = [  # name, path, colour scheme, devices
    ("home", "/en/", "light", ("phone", "desktop")),
    ("article", "/en/delivery/track-your-order", "light", ("phone", "desktop")),
    ("search", "/sv/search?q=paket", "light", ("phone", "desktop")),
    # Search in the other languages: a question in the customer's words, and pl "zwrot
    # pieniędzy", which the fixed synonym lists now send to refunds, not to returns.
    ("search-en", "/en/search?q=where+is+my+parcel", "light", ("phone", "desktop")),
    ("search-da", "/da/search?q=hvor+er+min+pakke", "light", ("phone", "desktop")),
    ("search-pl", "/pl/search?q=zwrot+pieni%C4%99dzy", "light", ("phone", "desktop")),
    ("article-dark", "/pl/returns/reklamacja", "dark", ("phone",)),
]
# The contact page after "Show me how to get help", on a phone in every language: a payment
# problem on the Saturday afternoon of the first-use review, when chat and phone are closed.
CONTACT_TIME = dt.datetime(2026, 12, 5, 15, 33, tzinfo=dt.UTC)
CONTACT_PROBLEM = {"en": "I was charged twice for one order", "sv": "Jag har debiterats två gånger",
                   "da": "Jeg er blevet trukket to gange", "pl": "Pobrano ode mnie opłatę dwa razy"}


def take(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with demo_server(FIXED_NOW=CONTACT_TIME) as base, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for device, options in VIEWPORTS.items():
            for name, path, scheme, devices in PAGES:
                if device not in devices:
                    continue
                context = browser.new_context(base_url=base, color_scheme=scheme, reduced_motion="reduce",
                                              **options)
                page = context.new_page()
                page.goto(path, wait_until="networkidle")
                target = out / f"{name}-{device}.png"
                page.screenshot(path=str(target), animations="disabled")
                written.append(target)
                context.close()
            # The instant-search suggestions, open, as a keyboard user sees them.
            context = browser.new_context(base_url=base, **options)
            page = context.new_page()
            page.goto("/en/")
            page.focus("#search-q")
            page.keyboard.type("track", delay=30)
            page.locator("#search-q-listbox [role=option]").first.wait_for()
            page.keyboard.press("ArrowDown")
            target = out / f"suggestions-{device}.png"
            page.screenshot(path=str(target))
            written.append(target)
            context.close()
        for locale, problem in CONTACT_PROBLEM.items():
            context = browser.new_context(base_url=base, reduced_motion="reduce", locale=locale,
                                          timezone_id="Europe/Stockholm", **VIEWPORTS["phone"])
            page = context.new_page()
            page.goto(f"/{locale}/contact")
            page.check("#topic-payment-problem")
            page.fill("#description", problem)
            page.click(".contact-describe button[type=submit]")
            page.wait_for_url("**#help")
            page.wait_for_load_state("networkidle")
            target = out / f"contact-answer-{locale}-phone.png"
            page.screenshot(path=str(target), animations="disabled")
            written.append(target)
            context.close()
        written += take_admin(browser, out)
        browser.close()
    for target in written:
        print(f"{target}  {target.stat().st_size // 1024} KB")


# The editors' pages with two weeks of visits: where each view starts (an element to scroll to).
ADMIN_PAGES = [  # name, path, element at the top, devices
    ("admin-charts", "/admin/", "#charts-title", ("desktop", "phone")),
    ("admin-gaps", "/admin/", "#gaps-title", ("desktop", "phone")),
    ("admin-questions", "/admin/questions/", "h1", ("desktop", "phone")),
]


def take_admin(browser, out: Path) -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory(prefix="portal-admin-") as data_dir:
        app = demo_app(Path(data_dir))
        seed(app)
        with serve(app) as base:
            for device, options in VIEWPORTS.items():
                context = browser.new_context(base_url=base, reduced_motion="reduce", **options)
                page = context.new_page()
                sign_in(page)
                for name, path, top, devices in ADMIN_PAGES:
                    if device not in devices:
                        continue
                    page.goto(path, wait_until="networkidle")
                    page.evaluate("selector => document.querySelector(selector).scrollIntoView()", top)
                    target = out / f"{name}-{device}.png"
                    page.screenshot(path=str(target), animations="disabled")
                    written.append(target)
                context.close()
        app.extensions["analytics"].flush()
        app.extensions["db"].engine.dispose()
    return written


if __name__ == "__main__":
    take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
