"""/<locale>/contact: describe the problem, see the best channel, or send it to us.

Without JavaScript it is two plain steps (GET: topic and description, then the
recommended channels and the form). With it, matching articles appear while typing.
Whatever the visitor typed comes back on every error, including a database outage.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask import session as session_store
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.wrappers import Response

from ..analytics import record
from ..content import get_content
from ..content.model import Article
from ..db import get_db
from ..i18n import localized_blueprint
from ..models import Handoff
from ..params import clean_text
from ..ratelimit import network_key, visit_key
from ..search import SearchUnavailable, get_search
from ..security import protect_form
from .channels import ContactChannels, is_open, next_opening
from .context import decode_items, encode_item, unanswered_searches, visit_context
from .recommend import describe, recommend_channels
from .store import REFERENCE, create_handoff, new_reference

bp = localized_blueprint("contact", __name__)

LIMITS = {"name": 200, "email": 320, "message": 5000, "order_number": 64}
MIN_MESSAGE = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ORDER_NUMBER = re.compile(r"^#?[A-Za-z0-9][A-Za-z0-9-]*$")
FORM_KINDS = ("form",)
# Where the answer starts on the page: "Show me how to get help" lands here (docs/handoff.md).
ANSWER_ANCHOR = "help"
# How a weekday and date read in each language; Babel's pattern for the rest.
DAY_PATTERNS = {"da": "EEEE 'den' d. MMMM"}
DAY_PATTERN = "EEEE d MMMM"
FORM_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# What the contact form holds: the fields as typed (cleaned), and the context items.
Form = dict[str, Any]
SENT_IN_SESSION = 10  # the references this visit may look at again on /contact/sent/


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="contact-form-started")


def _channels() -> ContactChannels:
    channels: ContactChannels = current_app.extensions["channels"]
    return channels


def _topic_names(locale: str) -> list[tuple[str, str]]:
    default = get_content().default_locale
    return [(t.id, t.names.get(locale) or t.names.get(default) or t.id) for t in _channels().topics]


def _default_topic(article_id: str | None) -> str | None:
    if not article_id:
        return None
    topic = _channels().topic_for_category(article_id.split("/", 1)[0])
    return topic.id if topic else None


def recommendation_for_article(article_id: str | None) -> dict[str, Any] | None:
    """The contact page's first recommendation for the topic of an article's category, with its
    topic: the search page shows it beside the best guess."""
    topic = _default_topic(article_id)
    if topic is None:
        return None
    recommended = _recommendations(topic, False)
    return {"topic": topic, **recommended[0]} if recommended else None


def _now() -> dt.datetime:
    """The clock the channels' hours are read with; tests fix it with the FIXED_NOW setting."""
    return current_app.config.get("FIXED_NOW") or dt.datetime.now(dt.UTC)


def _visitor_zone(name: str | None) -> ZoneInfo | None:
    """The visitor's time zone as their browser reported it (an IANA name), else None."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, or not a zone's name at all
        return None


def _recommendations(topic: str, urgent: bool) -> list[dict[str, Any]]:
    now = _now()
    ranked = recommend_channels(topic, "urgent" if urgent else "normal", g.locale, now, _channels().channels)
    default = get_content().default_locale
    entries = []
    for rec in ranked:
        channel = rec.channel
        if channel.kind in FORM_KINDS:
            link = "#contact-form"
        elif channel.url:
            link = channel.url
        elif channel.phone:
            link = "tel:" + re.sub(r"[^\d+]", "", channel.phone)
        elif channel.address:
            link = "mailto:" + channel.address
        else:
            link = None
        name = channel.name(g.locale, default)
        reason = describe(rec, g.locale, default).removeprefix(f"{name}: ")  # the name is the link
        entries.append({"channel": channel, "name": name, "reason": reason[:1].upper() + reason[1:],
                        "link": link, "open_now": rec.open_now, "recommendation": rec,
                        "is_form": channel.kind in FORM_KINDS})
    return entries


def _closed_channels(topic: str, zone_name: str | None) -> list[dict[str, Any]]:
    """Live channels for `topic` that are closed now, soonest opening first, with when they open
    in the visitor's time zone (or, unknown, the channel's, named) and language."""
    from babel.dates import format_date, format_time, get_timezone_location

    now = _now()
    default = get_content().default_locale
    visitor_zone = _visitor_zone(zone_name)
    closed = []
    for channel in _channels().channels:
        if not channel.live or not channel.handles(topic) or is_open(channel, now):
            continue
        opening = next_opening(channel, now)
        if opening is None:
            continue
        zone = visitor_zone or channel.zone
        local_opening, local_now = opening.astimezone(zone), now.astimezone(zone)
        days = (local_opening.date() - local_now.date()).days
        values = {"time": format_time(local_opening, "short", locale=g.locale)}
        if days == 0:
            when = _l("Closed now. Opens today at %(time)s", **values)
        elif days == 1:
            when = _l("Closed now. Opens tomorrow at %(time)s", **values)
        else:
            day = format_date(local_opening, DAY_PATTERNS.get(g.locale, DAY_PATTERN), locale=g.locale)
            when = _l("Closed now. Opens %(day)s at %(time)s", day=day, **values)
        zone_label = None if visitor_zone else get_timezone_location(zone, locale=g.locale)
        closed.append({"channel": channel, "name": channel.name(g.locale, default), "when": when,
                       "zone": zone_label, "opens": opening})
    closed.sort(key=lambda entry: (entry["opens"], entry["channel"].id))
    return closed


def _suggestions(text: str) -> list[Article]:
    """One last chance to self-serve: articles that match what the visitor wrote."""
    if len(text.strip()) < 3:
        return []
    try:
        results = get_search().query(g.locale, text[:500], limit=3)
    except SearchUnavailable:
        return []
    content = get_content()
    found = (content.article_by_id(g.locale, hit.article_id) for hit in results.hits)
    return [article for article in found if article is not None]


def _context_entries(items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    content = get_content()
    entries = []
    for kind, value in items:
        if kind == "article":
            article = content.article_or_default(g.locale, value)
            label = article.title if article else value
        else:
            label = value
        entries.append({"value": encode_item(kind, value), "kind": kind, "label": label})
    return entries


def _render(form: Form, errors: dict[str, str] | None = None, status: int = 200,
            notice: str | None = None) -> tuple[str, int]:
    topic = form.get("topic") or None
    topics = _topic_names(g.locale)
    if topic not in {t for t, _ in topics}:
        topic = None
    recommendations = _recommendations(topic, form.get("urgent") == "1") if topic else []
    form_channel = next((r for r in recommendations if r["is_form"]), None)
    if "context_items" in form:
        context_items = form["context_items"]
    else:
        try:
            with get_db().session() as session:
                context_items = visit_context(session, g.get("visit_id"))
        except SQLAlchemyError:
            context_items = []
    return render_template(
        "contact.html", form=form, errors=errors or {}, topics=topics, topic=topic,
        recommendations=recommendations, form_channel=form_channel, notice=notice,
        closed_channels=_closed_channels(topic, form.get("tz")) if topic else [],
        answer_anchor=ANSWER_ANCHOR,
        language_form={"form": "contact-form" if form_channel else "contact-describe",
                       "targets": {tag: url_for("contact.carry", locale=tag)
                                   for tag in get_content().locales}},
        language_links={tag: url_for("contact.page", locale=tag) for tag in get_content().locales},
        suggestions=_suggestions(form.get("description", "")) if topic else [],
        context=_context_entries(context_items),
        started=_signer().sign(str(int(dt.datetime.now(dt.UTC).timestamp()))).decode(),
        form_id=form.get("form_id") or secrets.token_urlsafe(16),
        csrf_token=generate_csrf(),
    ), status


@bp.route("/contact", methods=["GET"])
def page() -> ResponseReturnValue:
    args = request.args
    article = _known_article_id(args.get("article"))
    form = {
        "topic": clean_text(args.get("topic")) or _default_topic(article),
        "description": clean_text(args.get("description") or args.get("q"),
                                  multiline=True)[:LIMITS["message"]],
        "urgent": args.get("urgent", ""),
        "article": article,
        "tz": clean_text(args.get("tz")),
    }
    form["message"] = form["description"]
    record("contact_opened", article_id=form["article"] or None)
    return _render(form)


@bp.route("/contact/continue", methods=["GET", "POST"])
def carry() -> ResponseReturnValue:
    """The contact page in another language, with everything the visitor had typed: the
    language buttons post the page's form here (through /language/<locale>). Nothing is sent."""
    if request.method == "GET":
        return redirect(url_for("contact.page"), 303)
    form = _posted_form()
    form["description"] = clean_text(request.form.get("description"), multiline=True)[:LIMITS["message"]] \
        or form["message"]
    form["message"] = form["message"] or form["description"].strip()
    if form["context_shown"]:
        form["ticked"] = [encode_item(kind, value) for kind, value in form["context_items"]]
        form["context_items"] = form["context_shown"]
    else:
        del form["context_items"]  # the first step carries no context: the visit's own applies
    return _render(form)


def _known_article_id(value: str | None) -> str:
    """The article a visitor came from, if it is one: anything else is not stored or echoed."""
    content = get_content()
    value = clean_text(value)[:255]
    found = value and content.article_or_default(g.locale, value)
    return value if found else ""


def _validate(form: Form) -> dict[str, str]:
    errors = {}
    if not form["name"]:
        errors["name"] = _l("Please tell us your name.")
    if not EMAIL.match(form["email"]):
        errors["email"] = _l("Please enter an e-mail address we can reply to, like name@example.com.")
    if len(form["message"]) < MIN_MESSAGE:
        errors["message"] = _l("Please describe your question in at least %(num)d characters.",
                               num=MIN_MESSAGE)
    if form["order_number"] and not ORDER_NUMBER.match(form["order_number"]):
        errors["order_number"] = _l("An order number has only letters, digits and dashes, like NV-123456.")
    for field, limit in LIMITS.items():
        if len(form[field]) > limit and field not in errors:
            errors[field] = _l("Please keep this under %(num)d characters.", num=limit)
    if form["topic"] not in {t for t, _ in _topic_names(g.locale)}:
        errors["topic"] = _l("Choose what your question is about.")
    return errors


def _too_fast(token: str) -> bool:
    """A person takes more than a few seconds to fill the form; a bot does not."""
    try:
        started = int(_signer().unsign(token, max_age=24 * 3600))
    except (BadSignature, SignatureExpired, ValueError):
        return True
    elapsed = dt.datetime.now(dt.UTC).timestamp() - started
    return bool(elapsed < current_app.config["CONTACT_MIN_FILL_SECONDS"])


def _posted_form() -> Form:
    data = request.form
    # Control characters (a NUL pasted from a PDF) are removed here, before anything stores them.
    form: Form = {field: clean_text(data.get(field)).strip()
            for field in ("topic", "name", "email", "order_number")}
    form["message"] = clean_text(data.get("message"), multiline=True).strip()
    form["description"] = form["message"]
    form["urgent"] = data.get("urgent", "")
    form["article"] = _known_article_id(data.get("article"))
    form["tz"] = clean_text(data.get("tz"))
    form_id = data.get("form_id", "")
    form["form_id"] = form_id if FORM_ID.match(form_id) else None
    form["context_items"] = decode_items(data.getlist("context"))
    form["context_shown"] = decode_items(data.getlist("context_shown"))
    return form


def rate_limited(request_limit: Any) -> Response:
    from ..ratelimit import retry_after_seconds

    response = make_response(*_render(_posted_form(), status=429, notice=_l(
        "You have sent several messages in a short time. Please wait a few minutes and try again; "
        "your text is kept below.")))
    response.headers["Retry-After"] = str(retry_after_seconds(request_limit))
    return response


RATE_LIMITS = [
    (lambda: current_app.config["CONTACT_LIMIT_PER_VISIT"], visit_key, "contact-visit"),
    (lambda: current_app.config["CONTACT_LIMIT_PER_NETWORK"], network_key, "contact-network"),
]


@bp.route("/contact", methods=["POST"])
def submit() -> ResponseReturnValue:
    form = _posted_form()
    # Unticked context stays visible (and can be ticked again) if the form comes back.
    ticked = form["context_items"]
    form["ticked"] = [encode_item(kind, value) for kind, value in ticked]
    form["context_items"] = form["context_shown"] or ticked
    try:
        protect_form()
    except CSRFError:
        return _render(form, status=400, notice=_l(
            "This form was open for a long time. Please check it and send it again."))
    if request.form.get("website"):
        # The honeypot: a field people cannot see. Answer like a success (a reference that looks
        # real, for this visit only), store nothing.
        return _sent(new_reference(get_content().site.reference_prefix))
    errors = _validate(form)
    if errors:
        return _render(form, errors, status=422)
    if _too_fast(request.form.get("started", "")):
        return _render(form, status=422, notice=_l(
            "That was very quick. Please check the form and send it again."))
    recommendations = _recommendations(form["topic"], form["urgent"] == "1")
    channel = next((r["channel"].id for r in recommendations if r["is_form"]), "form")
    context = _handoff_context(ticked, recommendations)
    try:
        reference = _already_sent(form["form_id"])
        if reference is not None:
            return _sent(reference)  # the same form again (a double click): one handoff
        with get_db().session() as session:
            # The agent sees which of the visitor's searches had no good answer in the help centre.
            unanswered = unanswered_searches(session, g.get("visit_id"))
            context["searches_not_confident"] = [text for text in context["searches"] if text in unanswered]
            handoff = create_handoff(session, locale=g.locale, topic=form["topic"], channel=channel,
                                     name=form["name"], email=form["email"], message=form["message"],
                                     order_number=form["order_number"] or None, context=context,
                                     form_id=form["form_id"],
                                     reference_prefix=get_content().site.reference_prefix)
            reference = handoff.reference
    except IntegrityError:
        reference = _already_sent(form["form_id"])  # sent twice at the same moment: the other one won
        return _not_stored(form) if reference is None else _sent(reference)
    except SQLAlchemyError:
        return _not_stored(form)
    # The channel, for the dashboard's content gaps: what visitors did when search had no answer.
    record("contact_submitted", article_id=form["article"] or None, reason=channel)
    return _sent(reference)


def _handoff_context(ticked: list[tuple[str, str]], recommendations: list[dict[str, Any]]) -> dict[str, Any]:
    """What the agent gets besides the message: the searches and articles the visitor left ticked,
    and, in the shop's own language, what the visitor was offered first and why."""
    context: dict[str, Any] = {
        "searches": [value for kind, value in ticked if kind == "search"],
        "articles": [_article_ref(value) for kind, value in ticked if kind == "article"],
    }
    if recommendations:
        best, default = recommendations[0], get_content().default_locale
        context["recommended"] = {"channel": best["channel"].id,
                                  "reason": describe(best["recommendation"], default, default)}
    return context


def _not_stored(form: Form) -> tuple[str, int]:
    current_app.logger.exception("contact: handoff could not be stored")
    return _render(form, status=503, notice=_l(
        "We could not send your message because of a technical problem on our side. Your text is "
        "kept below: please try again in a few minutes, or use one of the other ways to reach us."))


def _already_sent(form_id: str | None) -> str | None:
    if not form_id:
        return None
    with get_db().session() as session:
        reference: str | None = session.scalar(select(Handoff.reference).where(Handoff.form_id == form_id))
        return reference


def _sent(reference: str) -> Response:
    """To the confirmation page, which shows only references sent in this visit's session."""
    sent = [ref for ref in session_store.get("contact_sent", []) if ref != reference]
    session_store["contact_sent"] = [*sent, reference][-SENT_IN_SESSION:]
    return redirect(url_for("contact.sent", reference=reference), 303)


def _article_ref(article_id: str) -> dict[str, str | None]:
    content = get_content()
    article = content.article_or_default(g.locale, article_id)
    if article is None:
        return {"id": article_id, "title": None, "url": None}
    return {"id": article.id, "title": article.title, "url": article.url}


@bp.route("/contact/sent/<reference>")
def sent(reference: str) -> ResponseReturnValue:
    # Only a reference this visit was given: the page cannot be made to show someone else's text.
    if not REFERENCE.match(reference) or reference not in session_store.get("contact_sent", []):
        abort(404)
    reply_minutes = None
    try:
        with get_db().session() as session:
            handoff = session.scalar(select(Handoff).where(Handoff.reference == reference))
    except SQLAlchemyError:
        handoff = None
    if handoff is not None:
        channel = _channels().channel(handoff.channel)
        reply_minutes = channel.response_minutes if channel else None
    return render_template("contact_sent.html", reference=reference, reply_minutes=reply_minutes)
