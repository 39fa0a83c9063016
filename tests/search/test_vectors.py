"""Article vectors: the embedded text, the cache across builds, the matrix stored with a build."""

from __future__ import annotations

import dataclasses

import numpy as np

from portal.content.loader import load_content
from portal.search import SearchService, make_backend
from portal.search.embedding import NullEmbedder
from portal.search.vectors import (
    BODY_CHARS,
    VectorCache,
    embed_articles,
    passage_text,
    plain,
    read_vectors,
    write_vectors,
)

from .helpers import BASIC


def _articles():
    return [a for a in load_content(BASIC).articles if not a.draft]


def test_passage_text_is_title_questions_and_the_body_start():
    body = "## Steps\n\nPack it **well** and [print a label](../x.md). " * 40
    article = dataclasses.replace(_articles()[0], title="Return an item", questions=("Can I send it back?",),
                                  body_text=body)
    text = passage_text(article)
    assert text.startswith("Return an item. Can I send it back? Steps Pack it well and print a label")
    assert "**" not in text and "](" not in text and "#" not in text
    assert len(text) <= len("Return an item. Can I send it back? ") + BODY_CHARS + 1


def test_plain_keeps_link_texts():
    assert plain("See [the returns page](returns.md) or ![a photo](x.png).") == \
        "See the returns page or a photo."


def test_a_rebuild_embeds_only_changed_articles(tmp_path):
    articles = _articles()
    embedder = NullEmbedder()
    cache = VectorCache(tmp_path, embedder.model_id)
    first = embed_articles(articles, embedder, cache)
    assert embedder.calls == len({passage_text(a) for a in articles})
    edited = dataclasses.replace(articles[2], body_text=articles[2].body_text + " A new sentence.")
    changed = [*articles[:2], edited, *articles[3:]]
    second = embed_articles(changed, embedder, VectorCache(tmp_path, embedder.model_id))
    assert embedder.calls == len({passage_text(a) for a in articles}) + 1
    assert np.array_equal(np.delete(first, 2, axis=0), np.delete(second, 2, axis=0))
    assert not np.array_equal(first[2], second[2])


def test_the_cache_is_per_model(tmp_path):
    articles = _articles()[:3]
    embed_articles(articles, NullEmbedder(dim=64), VectorCache(tmp_path, "null-hash-64"))
    other = NullEmbedder(dim=32)
    matrix = embed_articles(articles, other, VectorCache(tmp_path, other.model_id))
    assert other.calls == 3 and matrix.shape == (3, 32)


def test_vectors_written_into_a_build_folder_read_back(tmp_path):
    articles = _articles()
    embedder = NullEmbedder()
    written = write_vectors(tmp_path, articles, embedder, None)
    assert written == {locale: sum(a.locale == locale for a in articles) for locale in written}
    vectors = read_vectors(tmp_path)
    en = [a for a in articles if a.locale == "en"]
    assert vectors["en"].ids == tuple(a.id for a in en)
    assert vectors["en"].categories == tuple(a.category for a in en)
    assert vectors["en"].model_id == embedder.model_id
    assert np.allclose(vectors["en"].matrix, embedder.embed_passages([passage_text(a) for a in en]))


def test_a_half_written_locale_is_left_out(tmp_path):
    write_vectors(tmp_path, _articles(), NullEmbedder(), None)
    (tmp_path / "sv" / "vectors.json").unlink()
    (tmp_path / "da" / "vectors.npy").write_bytes(b"garbage")
    assert set(read_vectors(tmp_path)) == {"en", "pl"}


def test_search_build_stores_vectors_with_each_build_and_reuses_the_cache(tmp_path):
    content = load_content(BASIC)
    backend = make_backend({"DATA_DIR": tmp_path})
    embedder = NullEmbedder()
    service = SearchService(backend, embedder=embedder, data_dir=tmp_path)

    class Content:
        all_articles = content.articles
        site = content.site

    first = service.build(Content)
    assert set(read_vectors(tmp_path / "index" / first)) == {"en", "sv", "da", "pl"}
    embedded = embedder.calls
    second = service.build(Content)
    assert second != first and embedder.calls == embedded  # nothing changed: nothing embedded
    assert set(read_vectors(tmp_path / "index" / second)) == {"en", "sv", "da", "pl"}
    assert (tmp_path / "vectors" / f"{embedder.model_id}.sqlite3").is_file()
    backend.close()
