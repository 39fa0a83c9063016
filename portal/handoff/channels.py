"""Contact channels and topics (configured in `content/channels.yml`, read by channels_file.py),
and their hours.

Pure Python: no Flask, no clock. Every question about time takes an aware `now`.

Hours are wall-clock hours in the channel's time zone: "09:00-17:00" means from when the
clocks there show 09:00, whatever the UTC offset is that day. A range that ends at or before
it starts crosses midnight ("22:00-02:00"); it belongs to the day it starts on. A closed date
closes the whole local calendar day, 00:00-24:00, including the hours after midnight of the
previous day's late range.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

ALL = "all"
FALLBACK_TOPIC = "something-else"
# kind -> whether it is live (synchronous) unless the entry says `live:`; the contact page
# needs a label and an icon per kind, so a new kind starts here.
KINDS = {
    "chat": True, "phone": True, "video": True, "whatsapp": True,
    "messenger": False, "sms": False, "email": False, "form": False,
}
SEARCH_DAYS = 14
TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})$")

# The built-in default: the portal's own form, for a content folder without channels.yml.
DEFAULT_FORM_NAMES = {"en": "Contact form", "sv": "Kontaktformulär", "da": "Kontaktformular",
                      "pl": "Formularz kontaktowy"}
DEFAULT_TOPIC_NAMES = {"en": "Something else", "sv": "Något annat", "da": "Noget andet",
                       "pl": "Coś innego"}
DEFAULT_RESPONSE_MINUTES = 1440

TimeRange = tuple[dt.time, dt.time]
K = TypeVar("K")
V = TypeVar("V")


def frozen_mapping(mapping: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(mapping))


def _pick_name(names: Mapping[str, str], fallback: str, locale: str, default_locale: str | None) -> str:
    for candidate in (locale, default_locale):
        if candidate and names.get(candidate):
            return names[candidate]
    return next(iter(names.values()), fallback)


@dataclass(frozen=True)
class Topic:
    """What the visitor needs help with; `categories` are the article categories it covers."""

    id: str
    names: Mapping[str, str] = field(default_factory=dict, hash=False)
    categories: tuple[str, ...] = ()

    def name(self, locale: str, default_locale: str | None = None) -> str:
        return _pick_name(self.names, self.id, locale, default_locale)


@dataclass(frozen=True)
class Channel:
    """One way to reach customer service.

    `hours` maps a weekday (0 = Monday) to its (start, end) ranges; an end at or before the
    start means the range runs past midnight. `hours` None means around the clock.
    `resolves` is ALL or a tuple of topic ids; `cannot` maps a topic id to the reason per
    locale ("" holds a reason written without a language; it is empty when none was given).
    """

    id: str
    kind: str
    names: Mapping[str, str] = field(default_factory=dict, hash=False)
    url: str | None = None
    phone: str | None = None
    address: str | None = None
    languages: tuple[str, ...] = ()
    timezone: str = "UTC"
    hours: Mapping[int, tuple[TimeRange, ...]] | None = field(default=None, hash=False)
    closed_dates: frozenset[dt.date] = frozenset()
    response_minutes: int = DEFAULT_RESPONSE_MINUTES
    live: bool = False
    resolves: str | tuple[str, ...] = ALL
    cannot: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def name(self, locale: str, default_locale: str | None = None) -> str:
        return _pick_name(self.names, self.id, locale, default_locale)

    def handles(self, topic: str) -> bool:
        if topic in self.cannot:
            return False
        return self.resolves == ALL or topic in self.resolves

    def cannot_reason(self, topic: str, locale: str, default_locale: str | None = None) -> str | None:
        """Why this channel does not take `topic`, in the visitor's language if written; else None."""
        reasons = self.cannot.get(topic)
        if not reasons:
            return None
        for candidate in (locale, default_locale, ""):
            if candidate is not None and reasons.get(candidate):
                return reasons[candidate]
        return next(iter(reasons.values()), None) or None

    def speaks(self, locale: str) -> bool:
        """Whether the channel serves `locale`; 'en' and 'en-GB' count as the same language."""
        return any(_same_language(locale, language) for language in self.languages)


def _same_language(a: str, b: str) -> bool:
    primary = [tag.replace("_", "-").split("-")[0].lower() for tag in (a, b)]
    return primary[0] == primary[1]


# -- time ---------------------------------------------------------------------------------


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be an aware datetime, e.g. datetime.now(timezone.utc)")


def is_open(channel: Channel, now: dt.datetime) -> bool:
    """Whether the channel's wall clock shows a time inside its hours on a day it is not closed."""
    _require_aware(now)
    local = now.astimezone(channel.zone)
    day = local.date()
    if day in channel.closed_dates:
        return False
    if channel.hours is None:
        return True
    clock = local.time()
    for start, end in channel.hours.get(day.weekday(), ()):
        if start <= clock and (clock < end or end <= start):
            return True
    # the part after midnight of yesterday's late range ("22:00-02:00")
    yesterday = channel.hours.get((day.weekday() - 1) % 7, ())
    return any(end <= start and clock < end for start, end in yesterday)


def next_opening(channel: Channel, now: dt.datetime) -> dt.datetime | None:
    """The first moment from `now` on when the channel is open (`now` itself when it is open),
    in UTC; None when it does not open within the next 14 days.

    UTC, because Python compares and subtracts two datetimes of the same zone by their wall
    clocks, and never finds a time in a DST fold equal to one in another zone. For display:
    `.astimezone(channel.zone)`.
    """
    _require_aware(now)
    if is_open(channel, now):
        return now.astimezone(dt.UTC)
    # Whether it is open changes only where the wall clock reaches a range boundary or midnight,
    # or where the clock jumps (a DST change); test exactly those moments, in order.
    zone = channel.zone
    start = now.astimezone(dt.UTC)
    limit = start + dt.timedelta(days=SEARCH_DAYS)
    boundaries = {dt.time(0)}
    for ranges in (channel.hours or {}).values():
        for range_start, range_end in ranges:
            boundaries.update((range_start, range_end))
    candidates = set(_offset_changes(zone, start, limit))
    first_day = start.astimezone(zone).date() - dt.timedelta(days=1)
    for offset in range(SEARCH_DAYS + 3):
        day = first_day + dt.timedelta(days=offset)
        for boundary in boundaries:
            for fold in (0, 1):
                wall = dt.datetime.combine(day, boundary, tzinfo=zone).replace(fold=fold)
                candidates.add(wall.astimezone(dt.UTC))
    for moment in sorted(c for c in candidates if start < c <= limit):
        if is_open(channel, moment):
            return moment
    return None


def _offset_changes(zone: ZoneInfo, start: dt.datetime, limit: dt.datetime) -> Iterator[dt.datetime]:
    """The UTC moments in (start, limit] where the zone's UTC offset changes, to the second."""
    step = dt.timedelta(hours=12)
    low = start
    while low < limit:
        high = min(low + step, limit)
        before = low.astimezone(zone).utcoffset()
        if high.astimezone(zone).utcoffset() != before:
            a, b = low, high
            while b - a > dt.timedelta(seconds=1):
                middle = a + (b - a) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    a = middle
                else:
                    b = middle
            # the change falls on a whole second in (a, b], and b - a <= 1 s: that second is b's
            yield b.replace(microsecond=0)
        low = high


def parse_time_range(text: object) -> TimeRange:
    """'09:00-17:00' -> (09:00, 17:00); '22:00-02:00' -> (22:00, 02:00); '00:00-24:00' -> (00:00, 00:00)."""
    match = TIME_RANGE.match(str(text).strip())
    if not match:
        raise ValueError("is not a time range like '09:00-17:00' or '22:00-02:00'")
    h1, m1, h2, m2 = map(int, match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError("is not a time range between 00:00 and 24:00 like '09:00-17:00'")
    start, end = dt.time(h1, m1), dt.time(h2 % 24, m2)
    if start == end and h2 != 24:
        raise ValueError("starts and ends at the same time: write '00:00-24:00' for the whole day")
    return start, end


# -- topics -------------------------------------------------------------------------------


def topic_for_category(topics: Iterable[Topic], category: str) -> Topic | None:
    """The first topic (in file order) that lists the article category, else None."""
    return next((topic for topic in topics if category in topic.categories), None)


def default_channels(locales: Sequence[str]) -> tuple[tuple[Channel, ...], tuple[Topic, ...]]:
    """What a content folder without channels.yml gets: the portal's form, always open."""
    form = Channel(id="form", kind="form", names=frozen_mapping(DEFAULT_FORM_NAMES), languages=tuple(locales),
                   response_minutes=DEFAULT_RESPONSE_MINUTES, live=False, resolves=ALL)
    topic = Topic(id=FALLBACK_TOPIC, names=frozen_mapping(DEFAULT_TOPIC_NAMES))
    return (form,), (topic,)


@dataclass(frozen=True)
class ContactChannels:
    """What the contact page offers: the channels and the topics, in file order."""

    channels: tuple[Channel, ...]
    topics: tuple[Topic, ...]

    def channel(self, channel_id: str) -> Channel | None:
        return next((channel for channel in self.channels if channel.id == channel_id), None)

    def topic_for_category(self, category: str) -> Topic | None:
        return topic_for_category(self.topics, category)
