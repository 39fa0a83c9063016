"""The help centre's articles: loaded once per process, read by everything else."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from ..observability import serving
from . import preview
from .model import Problem
from .repository import ContentRepository
from .signals import content_reloaded

__all__ = ["ContentRepository", "content_reloaded", "get_content", "init_app"]

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    # Drafts are served in preview only (debug mode, or PREVIEW=True): see preview.py.
    drafts = app.config.get("PREVIEW_DRAFTS", preview.enabled(app))
    content = ContentRepository.from_folder(app.config["CONTENT_DIR"], include_drafts=drafts)
    if serving():
        for problem in content.problems:  # a server's log names each file it left out
            (log.error if problem.severity == "error" else log.warning)("content: %s", problem)
    else:
        _log_summary(content.problems)
    app.extensions["content"] = content
    preview.init_app(app)


def _log_summary(problems: list[Problem]) -> None:
    """Under the `flask` command one line: `flask content check` prints each problem itself
    (and `make run` runs it first), so the list is not printed twice."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    counts = f"{_count(errors, 'error')} and {_count(warnings, 'warning')}"
    if errors:
        log.error("content: %s; files with errors are left out. See each one with: "
                  "flask --app portal content check", counts)
    elif warnings:
        log.warning("content: %s. See each one with: flask --app portal content check", counts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def get_content() -> ContentRepository:
    content: ContentRepository = current_app.extensions["content"]
    return content
