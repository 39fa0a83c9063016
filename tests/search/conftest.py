"""Search indexes of the fixture folders, on every engine: built once and only read, or made per test."""

from __future__ import annotations

import pytest

from portal.search import make_backend

from .helpers import BASIC, ENGINES, MANY, build_from


def _built(tmp_path_factory, engine, name, content_dir, *, builtin_synonyms=True, **options):
    backend = make_backend({"SEARCH_BACKEND": engine, "DATA_DIR": tmp_path_factory.mktemp(f"{engine}-{name}"),
                            "SEARCH_BUILTIN_SYNONYMS": builtin_synonyms})
    build_from(backend, content_dir, **options)
    return backend


@pytest.fixture(scope="session", params=ENGINES)
def engine(request):
    """The name of each engine behind PORTAL_SEARCH_BACKEND: every search test runs on each."""
    return request.param


@pytest.fixture(scope="session")
def basic_index(tmp_path_factory, engine):
    """search-basic with its synonyms."""
    backend = _built(tmp_path_factory, engine, "basic", BASIC)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def basic_index_without_synonyms(tmp_path_factory, engine):
    """search-basic with no synonyms at all, the editors' or built-in: the control for the synonym tests."""
    backend = _built(tmp_path_factory, engine, "basic-plain", BASIC, synonyms=False, builtin_synonyms=False)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def basic_index_builtin_synonyms(tmp_path_factory, engine):
    """search-basic with synonyms.txt left out: only the built-in shop vocabulary."""
    backend = _built(tmp_path_factory, engine, "basic-builtin", BASIC, synonyms=False)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def many_index(tmp_path_factory, engine):
    backend = _built(tmp_path_factory, engine, "many", MANY)
    yield backend
    backend.close()


@pytest.fixture
def make_search(tmp_path, engine):
    """make_search(data_dir=None, **config) -> this engine's backend on that data folder, closed after."""
    made = []

    def make(data_dir=None, **config):
        config = {"SEARCH_BACKEND": engine, "DATA_DIR": data_dir or tmp_path / "data", **config}
        backend = make_backend(config)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()
