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
    for problem in content.problems:
        (log.error if problem.severity == "error" else log.warning)("content: %s", problem)
    app.extensions["content"] = content
    preview.init_app(app)


def get_content() -> ContentRepository:
    return current_app.extensions["content"]
