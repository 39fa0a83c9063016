"""The help centre's articles: loaded once per process, read by everything else."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from . import preview
from .repository import ContentRepository

log = logging.getLogger(__name__)


def init_app(app: Flask):
    # Drafts are served in preview only (debug mode, or PREVIEW=True): see preview.py.
    drafts = app.config.get("PREVIEW_DRAFTS", preview.enabled(app))
    content = ContentRepository.from_folder(app.config["CONTENT_DIR"], include_drafts=drafts)
    _log_summary(content.problems)
    app.extensions["content"] = content
    preview.init_app(app)


def _log_summary(problems):
    """One line at start: `flask content check` lists each problem (`make run` runs it first),
    so the list is not printed twice."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors:
        log.error("content: %d errors and %d warnings; files with errors are left out. "
                  "See each one with: flask --app portal content check", errors, warnings)
    elif warnings:
        log.warning("content: %d warnings. See each one with: flask --app portal content check", warnings)


def get_content() -> ContentRepository:
    return current_app.extensions["content"]
