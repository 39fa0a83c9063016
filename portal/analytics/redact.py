"""Remove what identifies a customer from text they typed, before it is stored."""

from __future__ import annotations

import re

# Links: a pasted URL can carry a token or an order in its query string.
LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.I)
EMAIL = re.compile(r"[\w.+-]+(@|%40)[\w-]+(\.[\w-]+)*", re.I)
# Written out to fool filters: anna at example dot com, anna(at)example.com, anna @ example.com.
SPELLED_EMAIL = re.compile(
    r"[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\s(?:at|snabel-a|snabela|małpa)\s|@)\s*[\w-]+"
    r"(?:\s*(?:\.|\(dot\)|\[dot\]|\s(?:dot|punkt|kropka|prik)\s)\s*[\w-]+)+", re.I)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b", re.I)
# The portal's own references: a prefix (site.yml's reference_prefix, NV- in the demo) and 8
# Crockford base32 characters. Any short prefix with its dash counts, so no site's is kept.
REFERENCE = re.compile(r"(?<!\w)(?:NV-?|[A-Z0-9]{1,5}-)[0-9A-HJKMNP-TV-Z]{8}(?!\w)", re.I)
# Order numbers: a letter prefix with digits (NV-1234, #48213) or any run of 5+ digits.
ORDER = re.compile(r"(?<!\w)(#|[A-Za-z]{1,4}-?)?\d[\d-]{3,}\d(?!\w)")
PREFIXED_ORDER = re.compile(r"(?<!\w)(?:#|[A-Za-z]{1,4}-)\d{3,}(?!\w)")
# After a word for "order": any number, however short (order 1234, zamówienie 987).
ORDER_AFTER_WORD = re.compile(
    r"\b(order(?:\s*(?:no|nr|number))?|ordre(?:nummer)?|ordernummer|best[äa]llning(?:snummer)?|"
    r"bestilling(?:snummer)?|zam[óo]wieni[ea](?:\s*nr)?|nr|no)\.?\s*[:#]?\s*\d{3,}\b", re.I)
# Codes that mix letters and digits (AB12CD34EF): order numbers, vouchers, tracking codes.
MIXED_CODE = re.compile(
    r"(?<!\w)(?=(?:[A-Za-z-]*\d){3})(?=[\w-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{6,}[A-Za-z0-9](?!\w)")
PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")


def redact(text: str | None, limit: int = 500) -> str | None:
    if text is None:
        return None
    text = LINK.sub("[link]", text)
    text = EMAIL.sub("[email]", text)
    text = SPELLED_EMAIL.sub("[email]", text)
    text = IBAN.sub("[iban]", text)
    text = REFERENCE.sub("[order]", text)
    text = PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text)
    text = ORDER.sub("[order]", text)
    text = PREFIXED_ORDER.sub("[order]", text)
    text = ORDER_AFTER_WORD.sub(lambda m: m.group(1) + " [order]", text)
    text = MIXED_CODE.sub("[order]", text)
    return text[:limit]
