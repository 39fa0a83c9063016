"""Editors' and operators' commands."""

from __future__ import annotations

import json

from tests.helpers import DATA


def test_content_check_passes_on_demo_content(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_content_check_reports_every_problem_and_fails(app_factory):
    runner = app_factory(DATA / "broken").test_cli_runner()
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1
    for expected in ("en/returns/broken-yaml.md:2: error:", "en/returns/no-title.md:1: error:",
                     "de/: error: unknown locale folder", "sv/returns/b-second.md:3: error: slug",
                     "en/returns/unknown-key.md:3: warning:"):
        assert expected in result.output


def test_content_check_json(app_factory):
    runner = app_factory(DATA / "broken").test_cli_runner()
    result = runner.invoke(args=["content", "check", "--format", "json"])
    problems = json.loads(result.output)
    assert result.exit_code == 1
    assert {"path": "en/returns/no-title.md", "line": 1, "severity": "error",
            "message": "'title' is required"} in problems


def test_search_build_indexes_every_locale(app_factory):
    app = app_factory(DATA / "good")
    result = app.test_cli_runner().invoke(args=["search", "build"])
    assert result.exit_code == 0 and "indexed 3 articles" in result.output
    index = app.config["DATA_DIR"] / "index"
    current = (index / "CURRENT").read_text()
    assert sorted(p.name for p in (index / current).iterdir() if p.is_dir()) == ["en", "sv"]


def test_search_build_shows_progress_per_locale_on_a_terminal_only(app_factory):
    """`--progress` (the default on a terminal) reports each locale; in logs only the summary."""
    runner = app_factory(DATA / "good").test_cli_runner()
    shown = runner.invoke(args=["search", "build", "--progress"])
    assert shown.exit_code == 0
    assert [line.strip() for line in shown.output.replace("\r", "\n").splitlines() if "of" in line] == [
        "en: 2 of 2 articles", "sv: 1 of 1 articles"]
    quiet = runner.invoke(args=["search", "build"])  # the runner's output is no terminal
    assert quiet.exit_code == 0 and quiet.output.splitlines() == [quiet.output.strip()]
    assert quiet.output.startswith("indexed 3 articles")
