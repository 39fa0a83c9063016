"""The help centre's articles: loaded once per process, read by everything else."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from .repository import ContentRepository

log = logging.getLogger(__name__)


def init_app(app: Flask):
    content = ContentRepository.from_folder(app.config["CONTENT_DIR"],
                                            include_drafts=app.config.get("PREVIEW_DRAFTS", False))
    for problem in content.problems:
        (log.error if problem.severity == "error" else log.warning)("content: %s", problem)
    app.extensions["content"] = content


def get_content() -> ContentRepository:
    return current_app.extensions["content"]
