"""Reading `content/channels.yml` (docs/content-format.md): every bad entry is reported with
its line and left out, so the contact page keeps working with the rest.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..config import Settings
from ..content.frontmatter import explain_yaml_error
from ..content.model import Problem
from .channels import (
    ALL,
    FALLBACK_TOPIC,
    KINDS,
    Channel,
    TimeRange,
    Topic,
    default_channels,
    frozen_mapping,
    parse_time_range,
)

CHANNELS_FILE = "channels.yml"
T = TypeVar("T")
LineAt = Callable[..., int | None]  # _Lines.at: the line of a key path
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LOCALE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
CHANNEL_KEYS = {
    "kind", "names", "url", "phone", "address", "languages", "timezone", "hours", "closed",
    "response_time", "live", "resolves", "cannot",
}
TOPIC_KEYS = {"names", "categories"}



URL_SCHEMES = ("https", "http", "mailto", "tel")


def _reachable_url(url: str) -> bool:
    """A place a visitor can go: never javascript:, data: or vbscript:."""
    if url.startswith("/") and not url.startswith("//"):
        return True
    return urllib.parse.urlsplit(url).scheme.lower() in URL_SCHEMES


class _EntryError(Exception):
    """A bad entry; `where` is the key path inside the entry that is wrong, for its line."""

    def __init__(self, message: str, where: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.message = message
        self.where = where


def load_channels(content_dir: str | Path, locales: Sequence[str] = ("en",)
                  ) -> tuple[tuple[Channel, ...], tuple[Topic, ...], list[Problem]]:
    """Read `<content_dir>/channels.yml`; each bad entry is reported with its line and left out.

    `locales` are the site's locales: the default form serves them, `languages: all` means
    them, and each should be served by some channel.
    """
    content_dir = Path(content_dir)
    locales = tuple(locales)
    path = content_dir / CHANNELS_FILE
    if not path.is_file():
        return (*default_channels(locales), [])
    problems: list[Problem] = []
    try:
        text = path.read_text("utf-8")
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader
    except UnicodeDecodeError:
        return (*default_channels(locales), [Problem(CHANNELS_FILE, "not UTF-8 text: save the file as "
                                                     "UTF-8; the contact form alone is offered")])
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        return (*default_channels(locales), [Problem(
            CHANNELS_FILE, f"not valid YAML: {reason}; the contact form alone is offered",
            mark.line + 1 if mark is not None else None)])
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return (*default_channels(locales), [Problem(
            CHANNELS_FILE, "must be a set of 'key: value' lines with 'topics:' and 'channels:'", 1)])
    lines = _Lines(root)
    for key in sorted(set(map(str, data)) - {"topics", "channels"}):
        problems.append(Problem(CHANNELS_FILE, f"unknown key '{key}' is ignored", lines.at(key),
                                severity="warning"))

    default_form, default_topic = default_channels(locales)
    if data.get("topics") is None:
        topics = default_topic
    else:
        topics = tuple(_read_section(data, "topics", lines, problems, _read_topic, content_dir, locales))
        if not topics:
            problems.append(Problem(CHANNELS_FILE, f"no usable topic: only '{FALLBACK_TOPIC}' is offered",
                                    lines.at("topics")))
            topics = default_topic
    topic_ids = {topic.id for topic in topics}
    if data.get("channels") is None:
        channels = default_form
    else:
        channels = tuple(_read_section(data, "channels", lines, problems, _read_channel, topic_ids, locales))
        if not channels:
            problems.append(Problem(CHANNELS_FILE, "no usable channel: the contact form alone is offered",
                                    lines.at("channels")))
            channels = default_form
    _check_coverage(channels, topics, locales, lines, problems)
    return channels, topics, problems


class _Loader(yaml.SafeLoader):
    """Safe YAML, but dates stay text: `2026-02-30` is then one bad entry, not an unreadable file."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


class _Lines:
    """1-based line numbers in the YAML document, found by key path (mapping keys, list indexes)."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def at(self, *path: str | int) -> int | None:
        """The line of the deepest part of `path` that exists: a key's own line, an item's line."""
        node, line = self.root, None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                # the last of duplicate keys, as yaml.safe_load keeps the last one
                pair = next((pair for pair in reversed(node.value) if pair[0].value == str(key)), None)
                if pair is None:
                    break
                line, node = pair[0].start_mark.line + 1, pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def keys(self, *path: str | int) -> list[tuple[str, int]]:
        """The keys of the mapping at `path` with their lines, duplicates included."""
        node = self.root
        for key in path:
            if not isinstance(node, yaml.MappingNode):
                return []
            node = next((v for k, v in reversed(node.value) if k.value == str(key)), None)
        if not isinstance(node, yaml.MappingNode):
            return []
        return [(str(k.value), k.start_mark.line + 1) for k, _ in node.value]


def _read_section(data: Settings, section: str, lines: _Lines, problems: list[Problem],
                  read_entry: Callable[..., T], *context: Any) -> list[T]:
    entries = data.get(section)
    noun = section[:-1]
    if not isinstance(entries, dict):
        problems.append(Problem(CHANNELS_FILE, f"'{section}' must map each {noun} id to its settings",
                                lines.at(section)))
        return []
    seen: dict[str, int] = {}
    for key, line in lines.keys(section):
        if key in seen:
            problems.append(Problem(CHANNELS_FILE, f"{noun} '{key}' is defined twice (line {seen[key]}); "
                                    "the later one is used", line, severity="warning"))
        seen[key] = line
    read = []
    for raw_id, settings in entries.items():
        entry_id = str(raw_id)
        try:
            if not ID.match(entry_id):
                raise _EntryError(f"id '{entry_id}' may hold only lowercase letters, digits and '-'")
            if not isinstance(settings, dict):
                raise _EntryError("must be a set of 'key: value' lines")
            read.append(read_entry(entry_id, settings, lines.at, problems, *context))
        except _EntryError as error:
            path = (section, entry_id, *error.where)
            problems.append(Problem(CHANNELS_FILE, f"{noun} '{entry_id}': {error.message}; "
                                    f"this {noun} is left out", lines.at(*path)))
    return read


def _unknown_keys(kind: str, entry_id: str, settings: Settings, known: set[str], line_at: LineAt,
                  path: tuple[str, ...], problems: list[Problem]) -> None:
    for key in sorted(set(map(str, settings)) - known):
        problems.append(Problem(CHANNELS_FILE, f"{kind} '{entry_id}': unknown key '{key}' is ignored",
                                line_at(*path, key), severity="warning"))


def _names(settings: Settings) -> Mapping[str, str]:
    names = settings.get("names")
    if names is None:
        return frozen_mapping({})
    if not isinstance(names, dict) or not all(isinstance(v, str | int | float) for v in names.values()):
        raise _EntryError("'names' must map each locale to a text, e.g. {en: Chat, sv: Chatt}", ("names",))
    bad = [str(k) for k in names if not LOCALE_TAG.match(str(k))]
    if bad:
        hint = " (YAML reads a bare no/yes/on/off as true or false: write 'no')" if any(
            isinstance(k, bool) for k in names) else ""
        raise _EntryError(f"'names' has a key that is not a locale: {', '.join(bad)}{hint}", ("names",))
    return frozen_mapping({str(k): str(v).strip() for k, v in names.items() if str(v).strip()})


def _id_list(settings: Settings, key: str) -> list[str]:
    value = settings.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _EntryError(f"'{key}' must be a list of ids", (key,))
    return [item.strip() for item in value]


def _read_topic(topic_id: str, settings: Settings, line_at: LineAt, problems: list[Problem],
                content_dir: Path, locales: Sequence[str]) -> Topic:
    _unknown_keys("topic", topic_id, settings, TOPIC_KEYS, line_at, ("topics", topic_id), problems)
    categories = _id_list(settings, "categories")
    for index, category in enumerate(categories):
        if not ID.match(category):
            raise _EntryError(f"category '{category}' may hold only lowercase letters, digits and '-'",
                              ("categories", index))
    known = _category_folders(content_dir, locales)
    for index, category in enumerate(categories):
        if known and category not in known:
            problems.append(Problem(CHANNELS_FILE, f"topic '{topic_id}': no article category "
                                    f"'{category}' in the content folder", line_at(
                                        "topics", topic_id, "categories", index), severity="warning"))
    return Topic(id=topic_id, names=_names(settings), categories=tuple(categories))


def _category_folders(content_dir: Path, locales: Sequence[str]) -> set[str]:
    return {entry.name for locale in locales if (content_dir / locale).is_dir()
            for entry in (content_dir / locale).iterdir() if entry.is_dir()}


def _read_channel(channel_id: str, settings: Settings, line_at: LineAt, problems: list[Problem],
                  topic_ids: set[str], locales: Sequence[str]) -> Channel:
    where = ("channels", channel_id)
    _unknown_keys("channel", channel_id, settings, CHANNEL_KEYS, line_at, where, problems)
    kind = settings.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _EntryError(f"unknown kind '{kind}': use one of {', '.join(sorted(KINDS))}", ("kind",))
    live = settings.get("live", KINDS[kind])
    if not isinstance(live, bool):
        raise _EntryError("'live' must be true or false", ("live",))
    reach = _read_reach(kind, settings)
    languages = _read_languages(settings.get("languages"), locales)
    hours = _read_hours(settings.get("hours"))
    closed = _read_closed(settings.get("closed"))
    timezone = _read_timezone(settings.get("timezone"), needed=hours is not None or bool(closed))
    minutes = settings.get("response_time")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise _EntryError("'response_time' must be the minutes until a first answer, e.g. 2 or 1440",
                          ("response_time",))
    resolves = settings.get("resolves", ALL)
    if resolves != ALL:
        resolves = _id_list(settings, "resolves")
        _check_topics(resolves, topic_ids, "resolves")
        resolves = tuple(resolves)
    cannot = _read_cannot(settings.get("cannot"), topic_ids)
    if hours is None and live:
        problems.append(Problem(CHANNELS_FILE, f"channel '{channel_id}' is live but has no 'hours': it is "
                                "treated as staffed around the clock", line_at(*where), severity="warning"))
    return Channel(
        id=channel_id, kind=kind, names=_names(settings), url=reach["url"], phone=reach["phone"],
        address=reach["address"], languages=languages, timezone=timezone, hours=hours, closed_dates=closed,
        response_minutes=minutes, live=live, resolves=resolves, cannot=cannot,
    )


def _read_reach(kind: str, settings: Settings) -> dict[str, str | None]:
    """url, phone and address: how a visitor gets there (a form channel is this page itself)."""
    reach = {}
    for key in ("url", "phone", "address"):
        value = settings.get(key)
        if value is not None and (not isinstance(value, str | int) or not str(value).strip()):
            raise _EntryError(f"'{key}' must be a text", (key,))
        reach[key] = str(value).strip() if value is not None else None
    if kind != "form" and not any(reach.values()):
        raise _EntryError(f"a {kind} channel needs 'url', 'phone' or 'address' so visitors can reach it")
    if reach["url"] and not _reachable_url(reach["url"]):
        raise _EntryError(f"'url' must start with https://, http://, mailto:, tel: or / (a page of this "
                          f"site), not '{reach['url'][:40]}'", ("url",))
    if kind == "email" and reach["address"] and "@" not in reach["address"]:
        raise _EntryError(f"'address' '{reach['address']}' is not an e-mail address", ("address",))
    return reach


def _read_languages(languages: object, locales: Sequence[str]) -> tuple[str, ...]:
    if languages == ALL:
        languages = list(locales)
    if isinstance(languages, str):
        languages = [languages]
    if not languages or not isinstance(languages, list):
        raise _EntryError("'languages' must list the locales it serves, e.g. [sv, en], or say 'all'",
                          ("languages",))
    bad = [str(tag) for tag in languages if not LOCALE_TAG.match(str(tag))]
    if bad:
        raise _EntryError(f"'languages' has something that is not a locale: {', '.join(bad)}", ("languages",))
    return tuple(str(tag) for tag in languages)


def _read_timezone(timezone: object, *, needed: bool) -> str:
    if timezone is None:
        if needed:
            raise _EntryError("'timezone' is needed to read 'hours' and 'closed', e.g. Europe/Stockholm")
        return "UTC"
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _EntryError(f"unknown time zone '{timezone}': use an IANA name such as Europe/Stockholm "
                          "(is the tzdata package installed?)", ("timezone",)) from None
    return str(timezone)


def _check_topics(ids: list[str], topic_ids: set[str], key: str) -> None:
    for index, topic in enumerate(ids):
        if topic not in topic_ids:
            raise _EntryError(f"'{key}' names topic '{topic}', which is not under 'topics'", (key, index))


def _read_hours(value: object) -> Mapping[int, tuple[TimeRange, ...]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _EntryError("'hours' must map weekdays (mon ... sun) to lists of ranges like '09:00-17:00'",
                          ("hours",))
    hours = {}
    for raw_day, ranges in value.items():
        day = str(raw_day).lower()
        if day not in WEEKDAYS:
            raise _EntryError(f"unknown weekday '{raw_day}' in 'hours': use {', '.join(WEEKDAYS)}",
                              ("hours", str(raw_day)))
        if ranges is None:
            ranges = []
        if isinstance(ranges, str):
            ranges = [ranges]
        if not isinstance(ranges, list):
            raise _EntryError(f"'hours' {day} must be a list of ranges like '09:00-17:00'", ("hours", day))
        parsed = []
        for index, text in enumerate(ranges):
            try:
                parsed.append(parse_time_range(text))
            except ValueError as error:
                raise _EntryError(f"'hours' {day}: '{text}' {error}", ("hours", day, index)) from None
        hours[WEEKDAYS.index(day)] = tuple(sorted(parsed))
    return frozen_mapping(hours)


def _read_closed(value: object) -> frozenset[dt.date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        value = [value]
    dates = set()
    for index, item in enumerate(value):
        try:
            if not isinstance(item, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.strip()):
                raise ValueError
            dates.add(dt.date.fromisoformat(item.strip()))
        except ValueError:
            raise _EntryError(f"'closed' date '{item}' must be written YYYY-MM-DD",
                              ("closed", index)) from None
    return frozenset(dates)


def _read_cannot(value: object, topic_ids: set[str]) -> Mapping[str, Mapping[str, str]]:
    """`cannot` lists topic ids, each optionally `topic-id: reason`, or maps topic id -> reason;
    a reason is a text or {locale: text}."""
    if value is None:
        return frozen_mapping({})
    if isinstance(value, str):
        value = [value]
    if isinstance(value, dict):
        items = [((topic,), {topic: reason}) for topic, reason in value.items()]
    elif isinstance(value, list):
        items = [((index,), item) for index, item in enumerate(value)]
    else:
        raise _EntryError("'cannot' must list topic ids, optionally with a reason: '- topic-id: reason'",
                          ("cannot",))
    cannot = {}
    for index_path, item in items:
        where = ("cannot", *index_path)
        if isinstance(item, str):
            item = {item: None}
        if not isinstance(item, dict) or len(item) != 1:
            raise _EntryError("each 'cannot' item is a topic id or 'topic-id: reason'", where)
        ((topic, reason),) = item.items()
        topic = str(topic)
        if topic not in topic_ids:
            raise _EntryError(f"'cannot' names topic '{topic}', which is not under 'topics'", where)
        if reason is None:
            reasons = {}
        elif isinstance(reason, str):
            reasons = {"": reason.strip()}
        elif isinstance(reason, dict) and all(isinstance(text, str) for text in reason.values()):
            reasons = {str(locale): text.strip() for locale, text in reason.items()}
        else:
            raise _EntryError(f"'cannot' reason for '{topic}' must be a text or {{locale: text}}", where)
        cannot[topic] = frozen_mapping(reasons)
    return frozen_mapping(cannot)


def _check_coverage(channels: tuple[Channel, ...], topics: tuple[Topic, ...], locales: Sequence[str],
                    lines: _Lines, problems: list[Problem]) -> None:
    """Warnings for what visitors would miss: a site locale or a topic no channel serves."""
    for locale in locales:
        if not any(channel.speaks(locale) for channel in channels):
            problems.append(Problem(CHANNELS_FILE, f"no channel serves the site locale '{locale}'",
                                    lines.at("channels"), severity="warning"))
    for topic in topics:
        if not any(channel.handles(topic.id) for channel in channels):
            problems.append(Problem(CHANNELS_FILE, f"topic '{topic.id}': no channel resolves it",
                                    lines.at("topics", topic.id), severity="warning"))


def check_channels_file(content_dir: str | Path, locales: Sequence[str] = ("en",)) -> list[Problem]:
    """Everything the contact page would find wrong in channels.yml when the app starts."""
    path = Path(content_dir) / CHANNELS_FILE
    if not path.is_file():
        return []
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        return [Problem(CHANNELS_FILE, "not UTF-8 text: save the file as UTF-8")]
    if not text.strip():
        return [Problem(CHANNELS_FILE, "the file is empty: the contact form alone is offered",
                        severity="warning")]
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as error:
        message, line = explain_yaml_error(error, text.split("\n"))
        return [Problem(CHANNELS_FILE, f"the file cannot be read: {message}; the contact form alone is "
                        "offered", line)]
    return load_channels(content_dir, locales)[2]
