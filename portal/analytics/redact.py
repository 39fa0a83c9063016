"""Remove what identifies a customer from text they typed, before it is stored."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Order numbers: a letter prefix with digits (NV-123456, #48213) or any run of 5+ digits.
ORDER = re.compile(r"(?<!\w)(#|[A-Za-z]{1,4}-?)?\d[\d-]{3,}\d(?!\w)")
PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")


def redact(text: str | None, limit: int = 500) -> str | None:
    if text is None:
        return None
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text)
    text = ORDER.sub("[order]", text)
    return text[:limit]
