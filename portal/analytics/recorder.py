"""Recording events without ever failing or slowing a page.

A request hands its events to a queue and returns; one writer thread per process stores
them in batches. The writer lingers a moment after the first event of a batch for the next
ones, so one transaction stores the events of many requests instead of one or two (a
transaction costs the worker CPU, whatever it holds); flush() ends the lingering at once.
When the database is unreachable a batch is dropped and counted in the log, and no write
is tried again for a few seconds, so an outage costs a page nothing. Only a connection
error counts as an outage: a row the database refuses (bad data) is dropped alone, and the
rest of its batch is stored.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, insert
from sqlalchemy import exc as sa_exc

from ..models import Event, utcnow

if TYPE_CHECKING:
    from ..db import Database

log = logging.getLogger(__name__)

EVENT_TYPES = frozenset({
    "search", "click", "view", "vote", "vote_reason", "contact_opened", "contact_submitted",
    "contact_suggestion_click",
})
BATCH_SIZE = 200
QUEUE_LIMIT = 20_000
LINGER_SECONDS = 0.25  # events wait at most this long for company; reports never notice
# An event as analytics.record() notes it: column name -> value, of that column's type.
EventFields = dict[str, Any]


_COLUMNS = tuple(column.name for column in Event.__table__.columns if column.name != "id")
_LENGTHS = {column.name: column.type.length for column in Event.__table__.columns
            if isinstance(column.type, String) and column.type.length}
# Errors that say the database cannot be reached (or the pool is exhausted), not that a row is bad.
_CONNECTION_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                      sa_exc.TimeoutError)


def _storable(value: object, column: str) -> object:
    """Text as every database takes it: no NUL (PostgreSQL refuses it), within the column's length."""
    if not isinstance(value, str):
        return value
    value = value.replace("\x00", "")
    limit = _LENGTHS.get(column)
    return value[:limit] if limit else value


def _row(fields: EventFields) -> dict[str, object]:
    """Every column present, so one executemany INSERT can take the whole batch."""
    return {"created_at": fields.get("created_at") or utcnow(),
            **{name: _storable(fields.get(name), name) for name in _COLUMNS if name != "created_at"}}


def next_batch(events_queue: queue.Queue[EventFields], linger: float,
               hurry: threading.Event) -> list[EventFields]:
    """Up to BATCH_SIZE events: waits for the first, then `linger` seconds (or until `hurry` is
    set) for more. Sleeping rather than waiting on the queue: a request's put wakes no one."""
    taken = [events_queue.get()]
    if events_queue.qsize() < BATCH_SIZE - 1:
        hurry.wait(linger)
    hurry.clear()
    while len(taken) < BATCH_SIZE:
        try:
            taken.append(events_queue.get_nowait())
        except queue.Empty:
            break
    return taken


def is_connection_error(error: BaseException) -> bool:
    return isinstance(error, _CONNECTION_ERRORS) or bool(getattr(error, "connection_invalidated", False))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"


class EventRecorder:
    def __init__(self, database: Database, retry_after: float = 5.0,
                 clock: Callable[[], dt.datetime] = utcnow, linger: float = LINGER_SECONDS) -> None:
        self.database = database
        self.linger = linger
        # When events happen and what "now" is for reports; tests replace it, nothing sleeps.
        self.clock = clock
        self.retry_after = retry_after
        self.lost = 0
        self.written = 0
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._queue: queue.Queue[EventFields] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._hurry = threading.Event()  # flush() sets it: stop lingering, write now
        self._writer_pid: int | None = None

    def submit(self, events: list[EventFields]) -> None:
        """Queue a request's events for the writer thread; never blocks, never raises."""
        self._ensure_writer()
        for fields in events:
            try:
                self._queue.put_nowait(fields)
            except queue.Full:
                self._count_lost(1, "queue full")

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is written or dropped (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            self._hurry.set()
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def _ensure_writer(self) -> None:
        # A thread does not survive fork(): each gunicorn worker starts its own.
        if self._writer_pid != os.getpid():
            with self._lock:
                if self._writer_pid != os.getpid():
                    self._queue = queue.Queue(maxsize=QUEUE_LIMIT)
                    self._hurry = threading.Event()
                    threading.Thread(target=self._run, name="event-writer", daemon=True).start()
                    atexit.register(self.flush, 5.0)
                    self._writer_pid = os.getpid()

    def _run(self) -> None:
        events_queue = self._queue
        while True:
            batch = next_batch(events_queue, self.linger, self._hurry)
            try:
                self.write(batch)
            finally:
                for _ in batch:
                    events_queue.task_done()

    def write(self, events: list[EventFields]) -> bool:
        """Store events now; on failure count them as lost. Never raises."""
        if not events:
            return True
        if time.monotonic() < self._down_until:
            self._count_lost(len(events), "database marked unavailable")
            return False
        rows = [_row(fields) for fields in events]
        try:
            self._insert(rows)
        except Exception as error:
            if is_connection_error(error):
                self._down_until = time.monotonic() + self.retry_after
                self._count_lost(len(rows), _describe(error))
                return False
            return self._write_one_by_one(rows)
        with self._lock:
            self.written += len(rows)
        return True

    def _insert(self, rows: list[dict[str, object]]) -> None:
        with self.database.engine.begin() as connection:
            connection.execute(insert(Event), rows)

    def _write_one_by_one(self, rows: list[dict[str, object]]) -> bool:
        """A row the database refused spoiled the batch: store the others, drop only that row."""
        stored = 0
        for index, row in enumerate(rows):
            try:
                self._insert([row])
            except Exception as error:
                if is_connection_error(error):
                    self._down_until = time.monotonic() + self.retry_after
                    self._count_lost(len(rows) - index, _describe(error))
                    break
                self._count_lost(1, f"refused by the database: {_describe(error)}")
            else:
                stored += 1
        with self._lock:
            self.written += stored
        return stored == len(rows)

    def _count_lost(self, count: int, reason: str) -> None:
        with self._lock:
            self.lost += count
            total = self.lost
        log.warning("analytics: %d event(s) lost (%s); %d lost since start", count, reason, total)
