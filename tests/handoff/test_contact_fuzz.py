"""No input to the contact and feedback forms ever causes a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEXT = st.one_of(st.text(max_size=300), st.text(max_size=6000).map(lambda t: t * 2),
                 st.sampled_from(["", " ", "\x00", "' OR 1=1 --", "<script>x</script>", "NV-1", "a@b.c"]))
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def open_client(app_factory):
    """CSRF, fill time and rate limits out of the way, so every field reaches validation."""
    app = app_factory(WTF_CSRF_ENABLED=False, CONTACT_MIN_FILL_SECONDS=0,
                      CONTACT_LIMIT_PER_VISIT="100000 per minute",
                      CONTACT_LIMIT_PER_NETWORK="100000 per minute")
    return app.test_client()


@SETTINGS
@given(topic=st.one_of(TEXT, st.sampled_from(["return-or-refund", "account"])), name=TEXT, email=TEXT,
       message=TEXT, order=TEXT, context=st.lists(TEXT, max_size=30), started=TEXT, urgent=TEXT)
def test_contact_post_never_fails(open_client, topic, name, email, message, order, context, started, urgent):
    client = open_client
    response = client.post("/en/contact", data={"topic": topic, "name": name, "email": email,
                                                "message": message, "order_number": order,
                                                "context": context, "started": started, "urgent": urgent})
    assert response.status_code in (303, 400, 422, 429)


@SETTINGS
@given(topic=TEXT, description=TEXT, article=TEXT, q=TEXT)
def test_contact_page_never_fails(client, topic, description, article, q):
    response = client.get("/sv/contact", query_string={"topic": topic, "description": description,
                                                       "article": article, "q": q})
    assert response.status_code == 200


@SETTINGS
@given(article=TEXT, helpful=TEXT, reason=st.one_of(st.none(), TEXT), comment=TEXT)
def test_feedback_never_fails(client, article, helpful, reason, comment):
    data = {"article": article, "helpful": helpful, "comment": comment}
    if reason is not None:
        data["reason"] = reason
    response = client.post("/pl/feedback", data=data)
    assert response.status_code in (303, 400, 422)
