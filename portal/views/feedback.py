""""Was this helpful?": a plain form that works without JavaScript, and in place with it."""

from __future__ import annotations

from flask import g, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l

from ..analytics import record
from ..content import get_content
from ..i18n import localized_blueprint
from ..params import clean_text

bp = localized_blueprint("feedback", __name__)

REASONS = {
    "not_my_question": _l("It did not answer my question"),
    "incomplete": _l("Information is missing"),
    "unclear": _l("It was hard to understand"),
    "wrong": _l("It is wrong or out of date"),
    "other": _l("Something else"),
}
MAX_COMMENT = 1000


def feedback_state(article, step=None, errors=None, comment=""):
    """What the widget under an article shows: the question, the 'why?' form, or thanks."""
    step = step or request.args.get("feedback")
    if step not in ("yes", "no", "thanks"):
        step = "ask"
    return {"article": article, "step": step, "reasons": REASONS, "errors": errors or {},
            "comment": comment}


def init_app(app):
    """Votes are anonymous and need no token (cacheable pages), so each network may cast only so
    many: beyond the limit a vote is thanked for but not counted (review L1, vote stuffing)."""
    from ..ratelimit import limit_view, network_key

    limit_view(app, "feedback.vote", [(lambda: app.config["VOTE_LIMIT_PER_NETWORK"], network_key, "votes")],
               on_breach=vote_not_counted)


def vote_not_counted(_request_limit):
    article = get_content().article_by_id(g.locale, request.form.get("article", ""))
    if _wants_json() and article is not None:
        return jsonify(html=render_template("_feedback.html", feedback=feedback_state(article, "thanks")))
    return redirect(f"{article.url}?feedback=thanks#feedback" if article else f"/{g.locale}/", 303)


def _wants_json():
    return request.accept_mimetypes.best == "application/json"


@bp.route("/feedback", methods=["POST"])
def vote():
    content = get_content()
    article = content.article_by_id(g.locale, request.form.get("article", ""))
    if article is None:
        return (jsonify(error="unknown article"), 400) if _wants_json() else redirect(f"/{g.locale}/", 303)
    answer = request.form.get("helpful")
    reason = request.form.get("reason")
    comment = clean_text(request.form.get("comment"), multiline=True)
    if answer in ("yes", "no") and reason is None:
        record("vote", article_id=article.id, category=article.category, helpful=answer == "yes")
        step = answer
    else:
        errors = {}
        if reason not in REASONS:
            errors["reason"] = _l("Choose what was wrong with the article.")
        if len(comment) > MAX_COMMENT:
            errors["comment"] = _l("Please keep it under %(num)d characters.", num=MAX_COMMENT)
        if errors:
            state = feedback_state(article, "no", errors, comment)
            if _wants_json():
                return jsonify(html=render_template("_feedback.html", feedback=state)), 422
            return render_template("feedback_error.html", article=article, feedback=state), 422
        record("vote_reason", article_id=article.id, category=article.category, reason=reason,
               comment=comment.strip() or None)
        step = "thanks"
    if _wants_json():
        return jsonify(html=render_template("_feedback.html", feedback=feedback_state(article, step)))
    return redirect(f"{article.url}?feedback={step}#feedback", 303)
