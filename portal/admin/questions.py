"""/admin/questions: editors review the questions learned from visitors."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ..content import get_content
from ..db import get_db
from ..learning import proposals, refresh_proposals
from ..learning.gaps import gap_key
from .dashboard import admin_locale

bp = Blueprint("admin_questions", __name__, url_prefix="/admin/questions")
bp.before_request(admin_locale)
DONE = {"accepted": _l("Accepted: the question is searchable after the next index build."),
        "rejected": _l("Rejected: it will not be proposed again."),
        "invalid": _l("The question needs between 1 and 200 characters."),
        "added": _l("Added: the question is searchable for that article after the next index build.")}


def _locale_filter():
    locale = request.args.get("locale") or None
    return locale if locale in get_content().locales else None


@bp.route("/")
def index():
    locale = _locale_filter()
    content = get_content()
    with get_db().session() as session:
        refresh_proposals(session)
        proposed = proposals.listed(session, locale=locale)
        accepted = proposals.listed(session, locale=locale, statuses=(proposals.ACCEPTED,))
        session.expunge_all()

    def article_of(question):
        return content.article_by_id(question.locale, question.article_id)

    return render_template("admin/questions.html", proposed=proposed, accepted=accepted, locale=locale,
                           locales=content.locales, article_of=article_of,
                           done=DONE.get(request.args.get("done", "")),
                           min_visits=current_app.config["LEARN_MIN_VISITS"])


@bp.route("/<int:question_id>", methods=["POST"])
def decide(question_id):
    action = request.form.get("action")
    if action not in ("accept", "reject"):
        abort(400)
    status = proposals.ACCEPTED if action == "accept" else proposals.REJECTED
    done = "accepted" if action == "accept" else "rejected"
    with get_db().session() as session:
        try:
            proposals.decide(session, question_id, status, request.form.get("wording"),
                             now=current_app.extensions["analytics"].clock())
        except proposals.DecisionError:
            if session.get(proposals.LearnedQuestion, question_id) is None:
                abort(404)
            done = "invalid"
    return redirect(url_for(".index", locale=_locale_filter(), done=done), 303)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a question (a content gap) to an article an editor chooses: accepted at once."""
    content = get_content()
    locale = request.values.get("locale")
    if locale not in content.locales:
        locale = content.default_locale
    articles = sorted(content.articles(locale), key=lambda a: a.title.casefold())
    text = request.values.get("q", "").strip()
    chosen = request.values.get("article", "")
    error = None
    if request.method == "POST":
        article = content.article_by_id(locale, chosen)
        if article is None:
            error = _l("Choose the article that answers the question.")
        else:
            with get_db().session() as session:
                try:
                    proposals.add_accepted(session, locale, text, article.id, gap_key(locale, text),
                                           now=current_app.extensions["analytics"].clock())
                except proposals.DecisionError:
                    error = DONE["invalid"]
            if error is None:
                return redirect(url_for(".index", locale=locale, done="added"), 303)
    return render_template("admin/question_new.html", locale=locale, text=text, chosen=chosen,
                           articles=articles, error=error), 422 if error else 200
