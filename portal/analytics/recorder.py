"""Recording events without ever failing or slowing a page.

Events of a request are buffered and written after the response has been sent. When
the database is unreachable they are dropped and counted in the log, and no write is
tried again for a few seconds, so an outage costs each page nothing.
"""

from __future__ import annotations

import logging
import threading
import time

from ..models import Event

log = logging.getLogger(__name__)

EVENT_TYPES = frozenset({
    "search", "click", "view", "vote", "vote_reason", "contact_opened", "contact_submitted",
    "contact_suggestion_click",
})


class EventRecorder:
    def __init__(self, database, retry_after: float = 5.0):
        self.database = database
        self.retry_after = retry_after
        self.lost = 0
        self.written = 0
        self._down_until = 0.0
        self._lock = threading.Lock()

    def write(self, events: list[dict]) -> bool:
        """Store a request's events; on failure count them as lost. Never raises."""
        if not events:
            return True
        if time.monotonic() < self._down_until:
            self._count_lost(len(events), "database marked unavailable")
            return False
        try:
            with self.database.session() as session:
                session.add_all(Event(**fields) for fields in events)
        except Exception as error:
            self._down_until = time.monotonic() + self.retry_after
            self._count_lost(len(events), f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
            return False
        with self._lock:
            self.written += len(events)
        return True

    def _count_lost(self, count, reason):
        with self._lock:
            self.lost += count
            total = self.lost
        log.warning("analytics: %d event(s) lost (%s); %d lost since start", count, reason, total)
