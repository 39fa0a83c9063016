"""One node as `make serve` runs it: gunicorn.conf.py, JSON logs, probes, a crashed worker replaced."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

from tests.helpers import DEMO_CONTENT, wait_until

from .nodes import BROWSER

ARTICLE = "/en/delivery/track-your-order"


def workers_of(node) -> list[int]:
    children = Path(f"/proc/{node.process.pid}/task/{node.process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_node_logs_json_lines_naming_each_request_and_never_a_visitor(nodes, sqlite_database):
    node = nodes("node", content_dir=DEMO_CONTENT, database_url=sqlite_database)
    article = node.get(ARTICLE, **{"X-Request-ID": "ops-trace-1"})
    assert article.status == 200 and article.header("X-Request-ID") == "ops-trace-1"
    search = node.get("/en/search?q=anna+berg+NV-123456")
    assert search.status == 200
    # Malformed requests gunicorn itself refuses: its warnings named the address and quoted the
    # query string (review L6).
    for raw in (b"GET /en/search?q=anna.berg@example.com+NV-123456+\xff HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /en/search?q=anna" + b"x" * 5000 + b" HTTP/1.1\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", node.port), timeout=10) as sock:
            sock.sendall(raw)
            assert sock.recv(100).startswith(b"HTTP/1.1 4")
    assert node.readiness()["status"] == "ready"
    node.stop()

    lines = [line for line in node.log_text().splitlines() if line.strip()]
    records = node.log_records()
    assert len(records) == len(lines), "every line is JSON"
    [access] = [record for record in records
                if record["logger"] == "gunicorn.access" and record.get("request_id") == "ops-trace-1"]
    assert (access["method"], access["path"], access["status"]) == ("GET", ARTICLE, "200")
    assert access["bytes"] > 0 and access["duration_ms"] >= 0
    [search_line] = [r for r in records if r.get("path") == "/en/search"]
    assert search_line["request_id"] == search.header("X-Request-ID")
    for record in records:
        if record["logger"] == "gunicorn.access":
            assert "127.0.0.1" not in str(record)
    text = node.log_text()
    assert BROWSER not in text and "anna" not in text and "NV-123456" not in text
    assert "ip=" not in text and "Invalid request" in text
    assert "Booting worker" in text and "Worker ready" in text


def test_a_crashed_worker_is_replaced_and_the_node_keeps_serving(nodes, sqlite_database):
    node = nodes("node", content_dir=DEMO_CONTENT, database_url=sqlite_database)
    wait_until(lambda: len(workers_of(node)) == 2, message="two workers", describe=node.log_tail)
    before = workers_of(node)
    os.kill(before[0], signal.SIGKILL)
    assert node.get(ARTICLE).status == 200
    wait_until(lambda: len(set(workers_of(node)) - set(before)) == 1, message="a new worker",
               describe=node.log_tail)
    for _ in range(10):
        assert node.get(ARTICLE).status == 200
    assert node.readiness()["status"] == "ready"
