"""What translation freshness shows: the visitors' notice on an outdated translation, and the
editors' status page under /admin/translations."""

from __future__ import annotations

import time

import pytest

from tests.helpers import DATA

CONTENT = DATA / "i18n-status" / "content"
NOTICE = {"sv": "Den här översättningen kan vara inaktuell.",
          "da": "Denne oversættelse er muligvis forældet."}


@pytest.fixture
def app(app_factory):
    return app_factory(CONTENT, SEARCH_BACKEND="null")


@pytest.fixture
def editor(app_factory):
    """Signed in, on an app whose UI catalogs are the fixture's (4 strings, sv complete)."""
    app = app_factory(CONTENT, SEARCH_BACKEND="null",
                      BABEL_TRANSLATION_DIRECTORIES=str(DATA / "i18n-status" / "translations"))
    created = app.test_cli_runner().invoke(args=["admin", "create-user", "editor@shop.example",
                                                 "--password", "correct horse battery"])
    assert created.exit_code == 0, created.output
    client = app.test_client()
    with client.session_transaction() as session:  # signed in, as portal/admin/auth.py records it
        now = int(time.time())
        session.update(admin_user_id=1, admin_session_version=0, admin_signed_in_at=now, admin_seen_at=now)
    return client


def test_outdated_translation_shows_a_notice_in_its_language_with_a_link_to_the_source(app):
    html = app.test_client().get("/sv/returns/aterbetalning").get_data(as_text=True)
    assert f'<p class="notice">{NOTICE["sv"]}' in html
    assert ('<a href="/en/returns/refund-times" hreflang="en">'
            "Läs den senaste versionen på engelska</a>") in html


@pytest.mark.parametrize(("url", "locale"), [
    ("/sv/returns/returnera-en-vara", "sv"),  # current
    ("/da/returns/return-an-item", "da"),  # no source_hash recorded: no false alarm
    ("/da/returns/refund-times", "da"),  # current
])
def test_current_or_unknown_translations_show_no_notice(app, url, locale):
    response = app.test_client().get(url)
    assert response.status_code == 200
    assert NOTICE[locale] not in response.get_data(as_text=True)


def test_status_page_needs_the_admin_login(app):
    response = app.test_client().get("/admin/translations/")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/admin/login")


def test_status_page_is_an_accessible_table(editor):
    html = editor.get("/admin/translations/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<caption id="status-caption">Translation status by language</caption>' in html
    assert '<div class="table-scroll" tabindex="0" role="region" aria-labelledby="status-caption">' in html
    assert html.count('<th scope="col">') == 8
    assert '<th scope="row"><span lang="sv">Svenska</span> (sv)</th>' in html
    row = html.split('(sv)</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>4 / 4 (100 %)</td><td>0</td>" in row
    assert "<td>1 / 3</td><td>1</td><td>0</td><td>1</td>" in row and "Incomplete" in row
    assert '<meta name="robots" content="noindex' in html


def test_status_page_lists_what_to_do_with_a_diff_link_for_outdated_articles(editor):
    html = editor.get("/admin/translations/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    swedish = html.split('<h2 id="locale-sv">', 1)[1].split("</section>", 1)[0]
    assert "Outdated articles" in swedish and "Missing articles" in swedish
    assert 'href="/admin/translations/sv/returns/refund-times"' in swedish
    assert '<a href="/en/delivery/track-parcel" hreflang="en">Where is my parcel?</a>' in swedish


def test_diff_page_shows_what_changed_in_the_source(editor):
    html = editor.get("/admin/translations/sv/returns/refund-times").get_data(as_text=True)
    assert "<del>-We refund you within 10 days of receiving your parcel.</del>" in html
    assert "<ins>+We refund you within 5 days of receiving your parcel.</ins>" in html


@pytest.mark.parametrize(("url", "status", "text"), [
    ("/admin/translations/da/returns/return-an-item", 200, "records no source_hash"),
    ("/admin/translations/sv/returns/return-an-item", 200, "has not changed since this translation"),
    ("/admin/translations/sv/returns/../../../etc/passwd", 200, "is not an article id"),
    ("/admin/translations/en/returns/refund-times", 404, ""),
    ("/admin/translations/xx/returns/refund-times", 404, ""),
])
def test_diff_page_edge_cases(editor, url, status, text):
    response = editor.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
