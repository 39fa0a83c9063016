"""Probes for load balancers and orchestrators, outside the locale prefix and never cached.

/healthz: the process is alive and answers (restart it when this fails).
/readyz: this node can serve: content loaded, search index open in every locale, database
reachable and migrated. Search by meaning unavailable is reported ("degraded") but not a failure:
lexical search still answers. 503 with the reason of each failed check otherwise
(docs/operations.md says which probe to use where).
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..content import get_content
from ..db import get_db
from ..search import SearchUnavailable, get_search

bp = Blueprint("health", __name__)


def _no_store(response, status=200):
    response.status_code = status
    response.cache_control.no_store = True
    return response


@bp.route("/healthz")
def healthz():
    return _no_store(jsonify(status="ok"))


def _check_content() -> dict:
    content = get_content()
    count = content.article_count
    errors = sum(1 for problem in content.problems if problem.severity == "error")
    detail = f"{count} articles in {len(content.locales)} locales"
    if errors:
        detail += f"; {errors} content error(s), their files left out (see the log)"
    if not count:
        return {"ok": False, "detail": f"no articles loaded ({detail})"}
    # Equal on every node serving the same release: what a deploy waits for.
    return {"ok": True, "detail": detail, "revision": content.revision}


def _check_search() -> dict:
    content = get_content()
    try:
        generation = get_search().check(content.locales)
    except SearchUnavailable as error:
        return {"ok": False, "detail": f"{error}; rebuild it with 'flask --app portal search build'"}
    # Search by meaning failing leaves lexical search serving: reported, still ready.
    semantic = get_search().semantic_status()
    detail = f"index {generation} open; search by meaning {semantic['state']}"
    if semantic["state"] == "degraded":
        detail += f": {semantic['detail']}"
    return {"ok": True, "detail": detail, "semantic": semantic}


def _check_database() -> dict:
    try:
        with get_db().engine.connect() as connection:
            version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
        return {"ok": False, "detail": f"unreachable or not migrated: {type(error).__name__}: {reason}"}
    return {"ok": True, "detail": f"reachable, schema {version}"}


@bp.route("/readyz")
def readyz():
    checks = {"content": _check_content(), "search": _check_search(), "database": _check_database()}
    ready = all(check["ok"] for check in checks.values())
    return _no_store(jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503)
