"""The event writer: batches that gather many requests' events, and a flush that does not wait."""

from __future__ import annotations

import queue
import threading

from portal.analytics.recorder import BATCH_SIZE, EventRecorder, next_batch


def filled(items):
    events_queue = queue.Queue()
    for item in items:
        events_queue.put(item)
    return events_queue


def test_a_full_batch_is_taken_without_lingering():
    events_queue = filled(range(BATCH_SIZE + 50))
    never = threading.Event()
    assert next_batch(events_queue, linger=3600, hurry=never) == list(range(BATCH_SIZE))
    hurry = threading.Event()
    hurry.set()
    assert next_batch(events_queue, linger=3600, hurry=hurry) == list(range(BATCH_SIZE, BATCH_SIZE + 50))
    assert not hurry.is_set()  # the next batch lingers again


def test_flush_stores_everything_without_waiting_for_the_linger(app_factory):
    app = app_factory()
    recorder = EventRecorder(app.extensions["db"], linger=3600)
    recorder.submit([{"type": "view", "locale": "en", "article_id": f"a/{n}"} for n in range(3)])
    recorder.submit([{"type": "search", "locale": "en", "query": "parcel"}])
    assert recorder.flush(timeout=30)  # an hour's linger would have outlasted the timeout
    assert (recorder.written, recorder.lost) == (4, 0)
