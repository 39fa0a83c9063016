"""`flask content check`: everything the running app would find wrong in a content folder.

The content package checks the articles (portal/content/lint.py); the features that read other
files of the folder check those: the contact channels (handoff) and the synonym lists against
search's analysis (synonyms.py). This module joins them, so content imports neither feature.
"""

from __future__ import annotations

from pathlib import Path

from ..content.lint import LintReport, lint_content
from ..handoff.channels_file import check_channels_file
from .synonyms import check_synonym_lists


def check_site(content_dir, *, builtin_synonyms: bool = False) -> LintReport:
    """Every problem in the folder, sorted by file and line; with `builtin_synonyms`, the
    built-in synonym lists are checked against the articles too."""
    content_dir = Path(content_dir)
    report = lint_content(content_dir)
    problems = [*report.problems, *check_channels_file(content_dir, report.loaded.site.locales),
                *check_synonym_lists(report.loaded, content_dir, builtin=builtin_synonyms)]
    unique = list(dict.fromkeys(problems))
    return LintReport(report.loaded, sorted(unique, key=lambda p: (p.path, p.line or 0)))
