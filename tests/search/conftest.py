"""Search indexes of the fixture folders: built once and only read, or made per test."""

from __future__ import annotations

import pytest

from portal.search.local import LocalSearch

from .helpers import BASIC, MANY, build_from


def _built(tmp_path_factory, name, content_dir, *, builtin_synonyms=True, **options):
    backend = LocalSearch(tmp_path_factory.mktemp(name), builtin_synonyms=builtin_synonyms)
    build_from(backend, content_dir, **options)
    return backend


@pytest.fixture(scope="session")
def basic_index(tmp_path_factory):
    """search-basic with its synonyms."""
    backend = _built(tmp_path_factory, "basic", BASIC)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def basic_index_without_synonyms(tmp_path_factory):
    """search-basic with no synonyms at all, the editors' or built-in: the control for the synonym tests."""
    backend = _built(tmp_path_factory, "basic-plain", BASIC, synonyms=False, builtin_synonyms=False)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def basic_index_builtin_synonyms(tmp_path_factory):
    """search-basic with synonyms.txt left out: only the built-in shop vocabulary."""
    backend = _built(tmp_path_factory, "basic-builtin", BASIC, synonyms=False)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def many_index(tmp_path_factory):
    backend = _built(tmp_path_factory, "many", MANY)
    yield backend
    backend.close()


@pytest.fixture
def local_search(tmp_path):
    """local_search(data_dir=None) -> a LocalSearch on that data folder, closed after the test."""
    made = []

    def make(data_dir=None):
        backend = LocalSearch(data_dir or tmp_path / "data")
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()
