"""Proposed questions: evidence from at least k distinct visitors, for editors to review.

For each question (folded, per locale) the article most visitors found is proposed when at
least `min_visits` visitors found it and they are at least half of those who found anything
for it: a minority of wrong reads (or of an attacker's) never outvotes the right article.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import LearnedQuestion, utcnow
from .evidence import Evidence, most_typed, read_evidence

PROPOSED, ACCEPTED, REJECTED, EXPORTED = "proposed", "accepted", "rejected", "exported"
# Exported questions are in the articles' front matter now: the build reads them there.
SEARCHABLE = (ACCEPTED,)
MIN_SHARE = 0.5
MAX_QUESTION_LENGTH = 200

ArticleExists = Callable[[str, str], bool]  # (locale, article id)
FoundFirst = Callable[[str, str, str], bool]  # (locale, query, article id)
Group = Callable[[str, Evidence], None]  # (locale, evidence), merges its keys in place


@dataclass(frozen=True)
class Candidate:
    locale: str
    key: str
    article_id: str
    query: str  # the wording most of its visitors typed
    visits: int


def candidates(evidence: dict[str, Evidence], min_visits: int,
               article_exists: ArticleExists = lambda locale, a: True,
               found_first: FoundFirst = lambda locale, query, a: False) -> list[Candidate]:
    """The proposals the evidence supports: one article per question at most, and none that
    search already answers with that article first (it would change nothing)."""
    found: list[Candidate] = []
    for locale, seen in evidence.items():
        by_key: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)  # key -> [(visits, article)]
        for (key, article_id), visitors in seen.visitors.items():
            by_key[key].append((len(visitors), article_id))
        for key, counts in by_key.items():
            visits, article_id = max(counts, key=lambda c: (c[0], c[1]))
            if visits < min_visits or visits < MIN_SHARE * len(seen.asked_by[key]):
                continue
            if sum(1 for count, _ in counts if count == visits) > 1 or not article_exists(locale, article_id):
                continue  # a tie says nothing
            query = most_typed(seen.wordings[key])[:MAX_QUESTION_LENGTH]
            if found_first(locale, query, article_id):
                continue
            found.append(Candidate(locale, key, article_id, query, visits))
    return found


def refresh(session: Session, *, now: dt.datetime | None = None, window: dt.timedelta, min_visits: int,
            article_exists: ArticleExists = lambda locale, a: True,
            found_first: FoundFirst = lambda locale, query, a: False, group: Group | None = None) -> int:
    """Bring the proposals up to date with the events of the last `window`; returns how many
    are open. Decided questions keep their status: a rejected one is never proposed again.
    `group(locale, evidence)`, when given, merges the keys of near-identical wordings first."""
    now = now or utcnow()
    evidence = read_evidence(session, now, now - window)
    if group is not None:
        for locale, seen in evidence.items():
            group(locale, seen)
    wanted = {(c.locale, c.key, c.article_id): c for c in candidates(evidence, min_visits, article_exists,
                                                                        found_first)}
    stored = {(q.locale, q.query_key, q.article_id): q for q in session.scalars(select(LearnedQuestion))}
    for ident, candidate in wanted.items():
        question = stored.get(ident)
        if question is None:
            session.add(LearnedQuestion(locale=candidate.locale, query_key=candidate.key,
                                        article_id=candidate.article_id, query=candidate.query,
                                        visits=candidate.visits, status=PROPOSED, created_at=now))
        elif question.status == PROPOSED or question.visits < candidate.visits:
            question.visits = candidate.visits
    # An open proposal the evidence no longer supports (events purged, or outvoted) goes away.
    stale = [q.id for ident, q in stored.items() if q.status == PROPOSED and ident not in wanted]
    if stale:
        session.execute(delete(LearnedQuestion).where(LearnedQuestion.id.in_(stale)))
    session.flush()
    return sum(1 for ident in wanted if ident not in stored or stored[ident].status == PROPOSED)


def listed(session: Session, *, locale: str | None = None,
           statuses: Collection[str] = (PROPOSED,)) -> list[LearnedQuestion]:
    """Strongest evidence first."""
    query = select(LearnedQuestion).where(LearnedQuestion.status.in_(statuses))
    if locale:
        query = query.where(LearnedQuestion.locale == locale)
    return list(session.scalars(query.order_by(LearnedQuestion.visits.desc(), LearnedQuestion.locale,
                                               LearnedQuestion.query, LearnedQuestion.id)))


class DecisionError(Exception):
    pass


def decide(session: Session, question_id: int, status: str, wording: str | None = None,
           now: dt.datetime | None = None) -> LearnedQuestion:
    """Accept (optionally with an editor's wording) or reject a proposal."""
    question = session.get(LearnedQuestion, question_id)
    if question is None:
        raise DecisionError(f"no learned question {question_id}")
    if status == ACCEPTED and wording is not None:
        wording = " ".join(wording.split())
        if not wording or len(wording) > MAX_QUESTION_LENGTH:
            raise DecisionError(f"the wording must have 1 to {MAX_QUESTION_LENGTH} characters")
        question.query = wording
    if not (status == ACCEPTED and question.status == EXPORTED):
        question.status = status
    question.decided_at = now or utcnow()
    return question


def add_accepted(session: Session, locale: str, wording: str, article_id: str, key: str,
                 now: dt.datetime | None = None) -> LearnedQuestion:
    """An editor's own choice (a content gap added to an article): accepted at once."""
    wording = " ".join(wording.split())
    if not wording or len(wording) > MAX_QUESTION_LENGTH or not key:
        raise DecisionError(f"the wording must have 1 to {MAX_QUESTION_LENGTH} characters")
    question = session.scalar(select(LearnedQuestion).where(
        LearnedQuestion.locale == locale, LearnedQuestion.query_key == key,
        LearnedQuestion.article_id == article_id))
    if question is None:
        question = LearnedQuestion(locale=locale, query_key=key, article_id=article_id, visits=0,
                                   created_at=now or utcnow())
        session.add(question)
    question.query, question.status, question.decided_at = wording, ACCEPTED, now or utcnow()
    return question


def accepted_questions(session: Session) -> dict[tuple[str, str], list[str]]:
    """{(locale, article id): [question, ...]}: what the next index build adds to articles."""
    found: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for question in session.scalars(select(LearnedQuestion).where(LearnedQuestion.status.in_(SEARCHABLE))
                                    .order_by(LearnedQuestion.id)):
        found[(question.locale, question.article_id)].append(question.query)
    return dict(found)
