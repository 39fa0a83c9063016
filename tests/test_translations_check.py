"""`make translations-check` (part of `make test`): fails on a stale messages.pot, on a catalog that
`msgfmt --check` rejects and on one that does not compile; passes on the committed catalogs."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.helpers import ROOT

SV = "translations/sv/LC_MESSAGES/messages.po"


@pytest.fixture
def project(tmp_path):
    """The files the target reads, in a scratch copy; the virtualenv is shared, never reinstalled."""
    target = tmp_path / "project"
    target.mkdir()
    for name in ("Makefile", "babel.cfg", "pyproject.toml"):
        shutil.copy2(ROOT / name, target / name)
    for name in ("portal", "translations"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


@pytest.fixture
def fresh(project):
    """The copy with messages.pot extracted anew, so each test below breaks one thing only."""
    subprocess.run([str(ROOT / ".venv" / "bin" / "pybabel"), "extract", "--no-location", "--omit-header",
                    "--sort-by-file", "-F", "babel.cfg", "-k", "_l", "-o", "translations/messages.pot", "."],
                   cwd=project, check=True, capture_output=True)
    return project


def translations_check(project):
    stamp = project / "installed.stamp"  # stands in for .venv/.installed: nothing is installed
    newer = (project / "pyproject.toml").stat().st_mtime_ns + 1_000_000_000
    stamp.touch()
    os.utime(stamp, ns=(newer, newer))
    return subprocess.run(["make", "--no-print-directory", "translations-check", f"STAMP={stamp}"],
                          cwd=project, capture_output=True, text=True, timeout=120)


def test_the_committed_catalogs_pass(project):
    assert shutil.which("msgfmt"), "msgfmt is missing: run 'make system-deps' (Debian package gettext)"
    result = translations_check(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_new_ui_string_makes_messages_pot_stale(fresh):
    assert translations_check(fresh).returncode == 0
    view = fresh / "portal" / "admin" / "translations.py"
    view.write_text(view.read_text() + '\nNEW = _("Brand new words")\n')
    result = translations_check(fresh)
    assert result.returncode != 0
    assert "translations/messages.pot is stale: run 'make translations'" in result.stdout
    assert 'Brand new words' in result.stdout


def test_msgfmt_check_rejects_a_broken_placeholder(fresh):
    po = fresh / SV
    po.write_text(po.read_text().replace('"Läs den senaste versionen på %(language)s"',
                                         '"Läs den senaste versionen på %(sprak)s"'))
    result = translations_check(fresh)
    assert result.returncode != 0
    line = po.read_text().split("\n").index('msgstr "Läs den senaste versionen på %(sprak)s"') + 1
    assert f"{SV}:{line}: a format specification for argument 'language' doesn't exist" in result.stderr


def test_a_catalog_that_does_not_compile_fails(fresh):
    """Without the python-format flag msgfmt looks away; Babel's compile still checks the placeholders."""
    po = fresh / SV
    before = '#, python-format\nmsgid "Read the latest version in %(language)s"\nmsgstr "Läs den senaste'
    after = 'msgid "Read the latest version in %(language)s"\nmsgstr "Läs den senaste'
    text = po.read_text().replace(before, after, 1)
    po.write_text(text.replace("senaste versionen på %(language)s", "senaste versionen på %(language)d", 1))
    result = translations_check(fresh)
    assert result.returncode != 0
    line = text.split("\n").index(after.split("\n")[0]) + 1  # the msgid's line
    assert (f"error: {SV}:{line}: incompatible format for placeholder 'language'" in result.stderr
            and "1 errors encountered" in result.stderr)
