"""Which channels to offer a visitor, best first: a pure function of topic, urgency, language and time.

The rule (docs/handoff.md, "How a channel is recommended"):

- left out: a channel that cannot handle the topic; a live channel that is closed now; an
  asynchronous channel that does not open within 14 days;
- ranked in tiers, and within a tier by `wait_minutes`, then by channel id:

  normal: 1. live, in the visitor's language
          2. asynchronous, in the visitor's language
          3. in a fallback language (English unless told otherwise), live or not
          4. in any other language
  urgent: 1. live, in the visitor's language
          2. live, in a fallback language
          3. asynchronous, in the visitor's language
          4. asynchronous, in a fallback language
          5. in any other language

Only `describe()` touches Flask (for gettext); everything else is plain Python.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from flask_babel import force_locale
from flask_babel import ngettext as babel_ngettext

from ..i18n import language_name
from .channels import Channel, is_open, next_opening


def ngettext(singular: str, plural: str, num: int, **variables: object) -> str:
    """Flask-Babel's ngettext, typed (pybabel still finds the strings by this name)."""
    return str(babel_ngettext(singular, plural, num, **variables))

URGENCIES = ("normal", "urgent")
FALLBACK_LANGUAGES = ("en",)


@dataclass(frozen=True)
class Recommendation:
    """A channel offered to the visitor, with what they can expect from it.

    `wait_minutes`: the response time when open; for a closed (asynchronous) channel, the
    minutes until it opens plus the response time. `next_opening` is None when open now.
    `locale` is the visitor's; `language` the one they will be served in: `locale` when
    `speaks_locale`, else the first fallback language the channel serves, else its first.
    """

    channel: Channel
    open_now: bool
    speaks_locale: bool
    wait_minutes: int
    next_opening: dt.datetime | None = None  # UTC
    locale: str = ""
    language: str = ""


def assess_channel(channel: Channel, locale: str, now: dt.datetime,
                   fallback_languages: Sequence[str] = FALLBACK_LANGUAGES) -> Recommendation | None:
    """What the visitor can expect from one channel now; None when it does not open within 14 days."""
    open_now = is_open(channel, now)
    opening = None if open_now else next_opening(channel, now)
    if not open_now and opening is None:
        return None
    wait = channel.response_minutes
    if opening is not None:
        wait += math.ceil((opening - now.astimezone(dt.UTC)).total_seconds() / 60)
    speaks = channel.speaks(locale)
    language = _served_language(channel, locale, speaks, fallback_languages)
    return Recommendation(channel=channel, open_now=open_now, speaks_locale=speaks, wait_minutes=wait,
                          next_opening=opening, locale=locale, language=language)


def _served_language(channel: Channel, locale: str, speaks: bool, fallback_languages: Sequence[str]) -> str:
    if speaks:
        return locale
    for fallback in fallback_languages:
        if channel.speaks(fallback):
            return fallback
    return channel.languages[0] if channel.languages else ""


def _tier(rec: Recommendation, urgent: bool, fallback_languages: Sequence[str]) -> int:
    live = rec.channel.live
    if rec.speaks_locale:
        return 0 if live else (2 if urgent else 1)
    if any(rec.channel.speaks(fallback) for fallback in fallback_languages):
        if urgent:
            return 1 if live else 3
        return 2
    return 4 if urgent else 3


def recommend_channels(topic: str, urgency: str, locale: str, now: dt.datetime,
                       channels: Iterable[Channel], *,
                       fallback_languages: Sequence[str] = FALLBACK_LANGUAGES) -> list[Recommendation]:
    """The channels to offer for `topic`, best first (rules in the module docstring).

    `now` must be an aware datetime. Empty only when every channel that handles the topic is
    live and closed, or does not open within 14 days.
    """
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}, not {urgency!r}")
    urgent = urgency == "urgent"
    offered = []
    for channel in channels:
        if not channel.handles(topic) or (channel.live and not is_open(channel, now)):
            continue
        rec = assess_channel(channel, locale, now, fallback_languages)
        if rec is not None:
            offered.append(rec)
    # At an equal wait the portal's own form comes first: the visit's context travels with it.
    offered.sort(key=lambda rec: (_tier(rec, urgent, fallback_languages), rec.wait_minutes,
                                  rec.channel.kind != "form", rec.channel.id))
    return offered


def describe(recommendation: Recommendation, locale: str, default_locale: str | None = None) -> str:
    """Why this channel, in words the visitor reads in `locale`, e.g.
    "Chat: open now, answers in about 2 minutes, in Swedish". Needs a Flask app context;
    the sentence comes from the catalog of `locale` (English until it is translated)."""
    rec = recommendation
    values = {
        "channel": rec.channel.name(locale, default_locale),
        "language": language_name(rec.language, locale),
        "visitor_language": language_name(rec.locale, locale),
    }
    try:
        ui_locale = str(Locale.parse(locale.replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        ui_locale = "en"
    with force_locale(ui_locale):
        if rec.channel.live:
            minutes = rec.wait_minutes
            if rec.speaks_locale:
                return ngettext("%(channel)s: open now, answers in about %(num)d minute, in %(language)s",
                                "%(channel)s: open now, answers in about %(num)d minutes, in %(language)s",
                                minutes, **values)
            return ngettext("%(channel)s: open now, answers in about %(num)d minute, in %(language)s "
                            "(not in %(visitor_language)s)",
                            "%(channel)s: open now, answers in about %(num)d minutes, in %(language)s "
                            "(not in %(visitor_language)s)", minutes, **values)
        return _describe_reply(rec, values)


def _describe_reply(rec: Recommendation, values: Mapping[str, object]) -> str:
    """'we reply within ...': minutes below an hour, hours below a day, else days (rounded up)."""
    minutes = rec.wait_minutes
    if minutes < 60:
        if rec.speaks_locale:
            return ngettext("%(channel)s: we reply within %(num)d minute, in %(language)s",
                            "%(channel)s: we reply within %(num)d minutes, in %(language)s",
                            minutes, **values)
        return ngettext("%(channel)s: we reply within %(num)d minute, in %(language)s "
                        "(not in %(visitor_language)s)",
                        "%(channel)s: we reply within %(num)d minutes, in %(language)s "
                        "(not in %(visitor_language)s)", minutes, **values)
    if minutes < 24 * 60:
        hours = math.ceil(minutes / 60)
        if rec.speaks_locale:
            return ngettext("%(channel)s: we reply within %(num)d hour, in %(language)s",
                            "%(channel)s: we reply within %(num)d hours, in %(language)s", hours, **values)
        return ngettext("%(channel)s: we reply within %(num)d hour, in %(language)s "
                        "(not in %(visitor_language)s)",
                        "%(channel)s: we reply within %(num)d hours, in %(language)s "
                        "(not in %(visitor_language)s)", hours, **values)
    days = math.ceil(minutes / (24 * 60))
    if rec.speaks_locale:
        return ngettext("%(channel)s: we reply within %(num)d day, in %(language)s",
                        "%(channel)s: we reply within %(num)d days, in %(language)s", days, **values)
    return ngettext("%(channel)s: we reply within %(num)d day, in %(language)s "
                    "(not in %(visitor_language)s)",
                    "%(channel)s: we reply within %(num)d days, in %(language)s "
                    "(not in %(visitor_language)s)", days, **values)
