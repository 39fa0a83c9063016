"""Nothing that identifies a customer is stored from what they typed."""

import pytest

from portal.analytics.redact import redact


@pytest.mark.parametrize(("typed", "stored"), [
    ("order NV-123456 never arrived", "order [order] never arrived"),
    ("where is #48213", "where is [order]"),
    ("order 1234567", "order [order]"),
    ("anna.berg+shop@example.co.uk wants a refund", "[email] wants a refund"),
    ("call me on +46 70 123 45 67", "call me on [phone]"),
    ("ring 0701234567 please", "ring [phone] please"),
    ("size 38 shoes, 2 pairs, 30 days", "size 38 shoes, 2 pairs, 30 days"),
    ("zwrot w 14 dni", "zwrot w 14 dni"),
])
def test_personal_data_is_redacted(typed, stored):
    assert redact(typed) == stored


def test_length_is_capped():
    assert len(redact("a" * 900)) == 500
    assert redact(None) is None
