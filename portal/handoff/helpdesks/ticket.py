"""What every helpdesk ticket carries, made once from the delivery payload.

The customer's message goes in unchanged as the customer's own words; everything the agent
needs besides (who, which order, topic, channel and why, language, what they already tried)
goes in an internal note the customer never sees. The note's first line names our reference,
so a connector can tell on a retry whether the note is already there.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError

SUBJECT_LIMIT = 150  # Zendesk's subject limit; the others allow more


@dataclass(frozen=True)
class Ticket:
    reference: str
    subject: str
    message: str
    name: str
    email: str
    order_number: str | None
    topic: str
    locale: str
    language: str  # "Swedish (sv)"
    tags: tuple[str, ...]
    note_lines: tuple[str, ...]

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0] if self.name.strip() else ""

    @property
    def last_name(self) -> str:
        return self.name.split(" ", 1)[1] if " " in self.name.strip() else ""

    @property
    def note_marker(self) -> str:
        return f"Help centre request {self.reference}"

    @property
    def note_text(self) -> str:
        return "\n".join(self.note_lines)

    @property
    def note_html(self) -> str:
        return "<p>" + "<br>".join(html.escape(line) for line in self.note_lines) + "</p>"

    @property
    def message_html(self) -> str:
        """The customer's words as HTML for the APIs that only take HTML, line breaks kept."""
        return "<p>" + html.escape(self.message).replace("\n", "<br>") + "</p>"


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def language_name(locale: str) -> str:
    try:
        name = Locale.parse(locale.replace("-", "_")).get_display_name("en")
    except (UnknownLocaleError, ValueError, TypeError):
        name = None
    return f"{name} ({locale})" if name else locale


def tag_value(text: str) -> str:
    """A tag every helpdesk accepts: lower case, letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in str(text).lower()).strip("-")


def build_ticket(payload: dict[str, Any]) -> Ticket:
    customer = payload["customer"]
    context = payload.get("context") or {}
    reference = payload["reference"]
    name = _one_line(customer.get("name")) or customer.get("email") or ""
    subject = f"[{reference}] {_one_line(payload['topic'])}: {name}"[:SUBJECT_LIMIT]
    language = language_name(payload["locale"])
    lines = [f"Help centre request {reference}, received {payload['created_at']}",
             f"Customer: {name}, {customer.get('email')}",
             f"Order number: {customer.get('order_number') or '-'}",
             f"Topic: {payload['topic']}",
             f"Language: {language}",
             f"Sent through: {payload['channel']}"]
    recommended = context.get("recommended")
    if isinstance(recommended, dict) and recommended.get("channel"):
        reason = _one_line(recommended.get("reason"))
        lines.append(f"Recommended channel: {recommended['channel']}" + (f" ({reason})" if reason else ""))
    if "search_confident" in context:
        confident = context["search_confident"]
        lines.append("Search found a confident answer: " + ("yes" if confident else "no" if confident is False
                                                              else "unknown"))
    searches = context.get("searches") or []
    lines.append("Searched for: " + ("; ".join(f"\u201c{_one_line(text)}\u201d" for text in searches)
                                     if searches else "nothing"))
    unanswered = context.get("searches_not_confident") or []
    if unanswered:  # search by meaning judged its best answer unlikely: an article may be missing
        lines.append("No confident answer for: " + "; ".join(f"\u201c{_one_line(text)}\u201d"
                                                           for text in unanswered))
    articles = context.get("articles") or []
    if articles:
        lines.append("Articles read:")
        lines += [f"- {article.get('title') or article.get('id')}"
                  + (f": {article['url']}" if article.get("url") else "") for article in articles]
    else:
        lines.append("Articles read: none")
    tags = ("help-centre", f"topic-{tag_value(payload['topic'])}", f"lang-{tag_value(payload['locale'])}")
    return Ticket(reference=reference, subject=subject, message=payload["message"], name=name,
                  email=customer.get("email") or "", order_number=customer.get("order_number"),
                  topic=payload["topic"], locale=payload["locale"], language=language, tags=tags,
                  note_lines=tuple(lines))
