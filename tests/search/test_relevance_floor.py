"""A relevance floor: the development sets through the default engine, never far below the
figures recorded in tests/data/relevance-floor.json (a regression guard, not a timed test)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bench.relevance import read_dataset, score
from portal.config import Config
from portal.content.loader import load_content
from portal.search import make_backend

ROOT = Path(__file__).resolve().parents[2]
RECORDED = json.loads((ROOT / "tests" / "data" / "relevance-floor.json").read_text("utf-8"))


def _dev_sets() -> Path:
    """PORTAL_DEV_SETS, else shared/data/dev beside the repository (as CI lays it out), else
    beside the checkout this one was cloned from (a clone made in a temporary folder)."""
    if os.environ.get("PORTAL_DEV_SETS"):
        return Path(os.environ["PORTAL_DEV_SETS"])
    beside = ROOT.parent / "shared" / "data" / "dev"
    origin = subprocess.run(["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
                            capture_output=True, text=True, check=False).stdout.strip()
    cloned_from = Path(origin).parent / "shared" / "data" / "dev" if origin.startswith("/") else beside
    return beside if beside.is_dir() or not cloned_from.is_dir() else cloned_from


DEV_SETS = _dev_sets()


@pytest.mark.parametrize("name", sorted(RECORDED["sets"]))
def test_relevance_stays_above_the_recorded_figure(name, tmp_path):
    folder = DEV_SETS / name
    assert folder.is_dir(), f"{folder} is missing: run beside shared/data/dev, or set PORTAL_DEV_SETS"
    loaded = load_content(folder / "content")
    queries, relevant = read_dataset(folder)
    backend = make_backend({"SEARCH_BACKEND": Config({}).SEARCH_BACKEND, "DATA_DIR": tmp_path})
    backend.build(loaded.articles, loaded.site.synonyms)
    rankings = {query["id"]: [hit.article_id for hit in backend.query(query["locale"], query["text"]).hits]
                for query in queries}
    backend.close()
    measured = score(rankings, queries, relevant)["MRR@10"]
    floor = RECORDED["sets"][name] - RECORDED["tolerance"]
    assert measured >= floor, f"{name}: MRR@10 {measured:.3f}, below the floor {floor:.3f}"
