"""Settings from the environment: numbers and durations read one way, a bad value named."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.config import Config, SettingError, parse_duration


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", dt.timedelta(seconds=90)), ("30min", dt.timedelta(minutes=30)), ("12h", dt.timedelta(hours=12)),
    ("3d", dt.timedelta(days=3)), ("12w", dt.timedelta(weeks=12)), ("1.5h", dt.timedelta(minutes=90)),
    ("25mo", dt.timedelta(days=25 * 30.44)), ("2y", dt.timedelta(days=2 * 365.25)), (" 0D ", dt.timedelta(0)),
])
def test_one_duration_syntax(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("25m", "ambiguous: write 25min for minutes or 25mo for months"),
    ("soon", "not a duration"), ("d", "not a duration"), ("-3d", "not a duration"), ("٣d", "not a duration"),
    ("101y", "longer than 100 years"),
])
def test_a_bad_duration_says_how_to_write_one(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PORTAL_PROXY_HOPS", "two", "PORTAL_PROXY_HOPS='two': must be a whole number, e.g. 0"),
    ("PORTAL_WEBHOOK_TIMEOUT", "10s", "PORTAL_WEBHOOK_TIMEOUT='10s': must be a number, e.g. 10.0"),
    ("PORTAL_ADMIN_IDLE_TIMEOUT", "30m", "PORTAL_ADMIN_IDLE_TIMEOUT: '30m' is ambiguous"),
])
def test_a_bad_setting_names_its_variable(name, value, message):
    with pytest.raises(SettingError) as error:
        Config({name: value})
    assert str(error.value).startswith(message)


def test_numbers_keep_their_kind_and_empty_means_the_default():
    config = Config({"PORTAL_PROXY_HOPS": " 2 ", "PORTAL_WEBHOOK_TIMEOUT": "2.5", "PORTAL_HANDOFF_BATCH": ""})
    assert (config.PROXY_HOPS, config.WEBHOOK_TIMEOUT, config.HANDOFF_BATCH) == (2, 2.5, 20)
    assert isinstance(Config({}).CONTACT_MIN_FILL_SECONDS, float)
