"""Query-string values, read the same way everywhere: bad input falls back, never raises."""

from __future__ import annotations

import re

MAX_NUMBER = 10_000
# C0 and C1 control characters, DEL, and the two non-characters. NUL is what PostgreSQL refuses in
# text; the others are never typed by a person and only confuse what reads the text later.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\t\r\n]")


def positive_int(value: str | None, default: int | None = None) -> int | None:
    """'3' -> 3; anything else ('0', '-1', '²', 'x', '99999999') -> default."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_NUMBER:
        return int(value)
    return default


def clean_text(value: str | None, multiline: bool = False) -> str:
    """What a visitor typed, without control characters (a NUL pasted from a PDF, say): removed
    rather than refused, since the visitor cannot see them. One-line fields also lose line breaks."""
    if not value:
        return ""
    text = _CONTROL.sub("", value)
    return text if multiline else _LINE_BREAKS.sub(" ", text)
