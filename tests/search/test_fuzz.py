"""Whatever a visitor or an API client sends, search answers with a status, never a crash."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any Unicode (control characters included), query-syntax operators and very long strings.
queries = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=10_000),
    st.lists(st.sampled_from(["AND", "OR", "NOT", "(", ")", "*", "~", '"', "'", ":", "^2", "?", "\\",
                              "-", "+", "where", "parcel", "zwróć", "retrun", "\x00", "\t", "\u200b"]),
             max_size=30).map(" ".join),
)
locales = st.one_of(st.sampled_from(["en", "sv", "da", "pl"]), st.text(max_size=12))
categories = st.one_of(st.none(), st.text(),
                       st.sampled_from(["delivery", "returns", "payments", "orders", ""]))
limits = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=60).map(str),
    st.sampled_from(["", " 5", "5 ", "+5", "1_0", "٣", "²", "1e1", "10" * 50]),
    st.text(max_size=5),
)
pages = st.one_of(st.none(), st.integers(min_value=-3, max_value=10**20).map(str), st.text(max_size=20))


def _params(**values):
    return {name: value for name, value in values.items() if value is not None}


def _content(demo_app):
    return demo_app.extensions["content"]


@SETTINGS
@given(q=queries, locale=locales, category=categories, page=pages)
def test_search_page_never_fails(demo_app, client, q, locale, category, page):
    """The page answers 200 for a served locale, 404 for any other single path segment."""
    response = client.get(f"/{quote(locale, safe='')}/search",
                          query_string=_params(q=q, category=category, page=page))
    if locale in _content(demo_app).locales:
        assert response.status_code == 200
    elif "/" not in locale and locale not in ("", ".", ".."):
        assert response.status_code == 404
    else:  # not a single path segment: a redirect or a 404, never a server error
        assert response.status_code < 500


@SETTINGS
@given(q=queries, locale=st.one_of(st.none(), locales), limit=limits, category=categories)
@example(q="parcel", locale="en", limit="²", category=None)  # a digit to isdigit(), not to int()
def test_search_api_never_fails(demo_app, client, q, locale, limit, category):
    """The API answers 200 with results or 400 with an error, and 200 for plainly valid input."""
    response = client.get("/api/v1/search",
                          query_string=_params(q=q, locale=locale, limit=limit, category=category))
    assert response.status_code in (200, 400)
    body = response.get_json()
    if response.status_code == 400:
        assert isinstance(body["error"], str) and body["error"]
        content = _content(demo_app)
        served = locale or content.default_locale
        plainly_valid = (
            0 < len(q.strip()) <= 500
            and served in content.locales
            and (limit is None or (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 50))
            and (not category or content.category(served, category) is not None)
        )
        assert not plainly_valid, body
    else:
        assert isinstance(body["results"], list)
        assert len(body["results"]) <= body["total"]


@SETTINGS
@given(q=queries, locale=st.one_of(st.none(), locales))
def test_suggest_api_never_fails(demo_app, client, q, locale):
    """Suggestions answer 200 for a served (or absent or empty) locale and 400 for any other."""
    response = client.get("/api/v1/suggest", query_string=_params(q=q, locale=locale))
    body = response.get_json()
    if not locale or locale in _content(demo_app).locales:
        assert response.status_code == 200
        assert isinstance(body["results"], list)
    else:
        assert response.status_code == 400
        assert body["error"]
