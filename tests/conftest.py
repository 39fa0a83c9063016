"""Fixtures: an app on the demo content (or a fixture folder), with its own data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal import create_app

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONTENT = ROOT / "content"
DATA = Path(__file__).resolve().parent / "data"


def make_app(tmp_path, content_dir=DEMO_CONTENT, **config):
    settings = {"TESTING": True, "CONTENT_DIR": Path(content_dir), "DATA_DIR": tmp_path / "instance"}
    settings.update(config)
    return create_app(settings)


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """The demo help centre with a real search index; shared, read-only."""
    return make_app(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def app_factory(tmp_path):
    """Build an app on any content folder: app_factory(folder, **config)."""
    return lambda content_dir=DEMO_CONTENT, **config: make_app(tmp_path, content_dir, **config)


@pytest.fixture
def content_copy(tmp_path):
    """A writable copy of a fixture folder under tests/data/."""

    def copy(name):
        target = tmp_path / "content" / name
        shutil.copytree(DATA / name, target)
        return target

    return copy
