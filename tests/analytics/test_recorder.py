"""The event writer: batches that gather many requests' events, and a flush that does not wait."""

from __future__ import annotations

import queue

from portal.analytics.recorder import _FLUSH, BATCH_SIZE, EventRecorder, next_batch


def filled(items):
    events_queue = queue.Queue()
    for item in items:
        events_queue.put(item)
    return events_queue


def test_a_batch_takes_what_is_queued_up_to_its_size():
    events_queue = filled(range(BATCH_SIZE + 50))
    assert next_batch(events_queue, linger=0) == list(range(BATCH_SIZE))
    assert next_batch(events_queue, linger=0) == list(range(BATCH_SIZE, BATCH_SIZE + 50))


def test_a_flush_request_ends_the_batch():
    events_queue = filled([1, 2, _FLUSH, 3])
    assert next_batch(events_queue, linger=60) == [1, 2, _FLUSH]
    assert events_queue.get_nowait() == 3


def test_flush_stores_everything_without_waiting_for_the_linger(app_factory):
    app = app_factory()
    recorder = EventRecorder(app.extensions["db"], linger=3600)
    recorder.submit([{"type": "view", "locale": "en", "article_id": f"a/{n}"} for n in range(3)])
    recorder.submit([{"type": "search", "locale": "en", "query": "parcel"}])
    assert recorder.flush(timeout=30)  # an hour's linger would have outlasted the timeout
    assert (recorder.written, recorder.lost) == (4, 0)
