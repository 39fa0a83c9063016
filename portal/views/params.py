"""Query-string values, read the same way everywhere: bad input falls back, never raises."""

from __future__ import annotations

MAX_NUMBER = 10_000


def positive_int(value: str | None, default: int | None = None) -> int | None:
    """'3' -> 3; anything else ('0', '-1', '²', 'x', '99999999') -> default."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_NUMBER:
        return int(value)
    return default
