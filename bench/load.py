"""Requests per second and latency under gunicorn (2 workers), on SQLite and on PostgreSQL, beside
a static file served by the same gunicorn in the same run: the ceiling of this machine and client.

    .venv/bin/python bench/load.py [--seconds 20] [--processes 2] [--threads 8]

The portal runs as `make serve` runs it (gunicorn.conf.py, access log on) on the demo content.
Keep-alive clients, as a proxy in front of the nodes would hold, spread over several
processes, drive a mix drawn request by request:

    article views 60 %   (a browser: one `view` event stored per page)
    searches      15 %   (the demo's questions, in their locale: one `search` event each)
    suggestions   15 %   (the first letters of those questions, as typed)
    votes         10 %   ("was this helpful?", POST: one `vote` event each)

then, each for the same time and with the same clients, article views alone, searches alone
with a question never asked before each time (a demo question plus a word of another one: no
result-cache hit, so with search by meaning every request embeds its question), and the static
file alone. `--semantic off` runs it with search by meaning off, for the comparison.
An error is a connection failure or a status other than the route's (200, votes
303). The client runs on the same machine and takes its share of the CPU: the figures are a
floor for the portal, and the article/static ratio is the comparison that does not depend on it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.content.repository import ContentRepository  # noqa: E402
from portal.migrations import upgrade  # noqa: E402

POSTGRES_ADMIN = os.environ.get("PORTAL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) bench/load.py"
MIX = (("article", 60), ("search", 15), ("suggest", 15), ("vote", 10))
EXPECTED = {"article": 200, "search": 200, "suggest": 200, "vote": 303, "static": 200, "new search": 200}
STATIC_FILE = "css/portal.css"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workload():
    """Article URLs and (locale, question) pairs of the demo content."""
    content = ContentRepository.from_folder(ROOT / "content")
    articles = [(a.url, a.id, a.locale) for a in content.articles()]
    questions = [(a.locale, q) for a in content.articles() for q in (a.title, *a.questions)]
    return articles, questions


class Connection:
    """A keep-alive HTTP/1.1 connection with just enough parsing for a benchmark."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buffer = b""
        self.cookie = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buffer += chunk

    def request(self, method, path, body=b""):
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.buffer = b""
        lines = [f"{method} {path} HTTP/1.1", "Host: help.example", f"User-Agent: {BROWSER}"]
        if self.cookie:
            lines.append(f"Cookie: visit={self.cookie}")
        if body:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lower = head.lower()
        match = re.search(rb"\r\ncontent-length:\s*(\d+)", lower)
        length = int(match.group(1)) if match else 0
        while len(self.buffer) < length:
            self._fill()
        self.buffer = self.buffer[length:]
        cookie = re.search(rb"\r\nset-cookie: visit=([0-9a-f]+)", lower)
        if cookie:
            self.cookie = cookie.group(1).decode()
        if b"\r\nconnection: close" in lower:
            self.close()
        return int(head[9:12])


def next_request(route, rng, articles, questions, static_url):
    if route == "article":
        return "GET", rng.choice(articles)[0], b""
    if route == "static":
        return "GET", static_url, b""
    locale, question = rng.choice(questions)
    if route == "new search":
        extra = rng.choice(rng.choice(questions)[1].split())
        return "GET", f"/{locale}/search?q={quote(f'{question} {extra} {rng.randrange(10**6)}')}", b""
    if route == "search":
        return "GET", f"/{locale}/search?q={quote(question)}", b""
    if route == "suggest":
        typed = question[: rng.randint(3, max(3, min(12, len(question))))]
        return "GET", f"/api/v1/suggest?locale={locale}&q={quote(typed)}", b""
    url, article_id, locale = rng.choice(articles)
    return "POST", f"/{locale}/feedback", urlencode({"article": article_id, "helpful": "yes"}).encode()


def client_process(port, routes, start, seconds, threads, seed, static_url, results):
    """One client process: `threads` keep-alive connections until start + seconds."""
    import threading

    articles, questions = workload()
    latencies = defaultdict(list)
    errors = defaultdict(int)
    samples = []
    lock = threading.Lock()
    names = [name for name, _ in routes]
    weights = [weight for _, weight in routes]

    def run(number):
        rng = random.Random(seed * 1000 + number)
        connection = Connection(port)
        mine, failed = defaultdict(list), defaultdict(int)
        while time.time() < start:
            time.sleep(0.001)
        stop = start + seconds
        while time.time() < stop:
            route = rng.choices(names, weights)[0]
            method, path, body = next_request(route, rng, articles, questions, static_url)
            began = time.perf_counter()
            try:
                status = connection.request(method, path, body)
            except OSError as error:
                connection.close()
                failed[route] += 1
                samples.append(f"{route} {path}: {error!r}")
                continue
            mine[route].append((time.perf_counter() - began) * 1000)
            if status != EXPECTED[route]:
                failed[route] += 1
                samples.append(f"{route} {path}: HTTP {status}")
        connection.close()
        with lock:
            for route, values in mine.items():
                latencies[route].extend(values)
            for route, count in failed.items():
                errors[route] += count

    workers = [threading.Thread(target=run, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((dict(latencies), dict(errors), samples[:5]))


def drive(port, routes, seconds, processes, threads, static_url):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start = time.time() + 1.5  # every client process imported and ready
    clients = [context.Process(target=client_process,
                               args=(port, routes, start, seconds, threads, seed, static_url, results))
               for seed in range(processes)]
    for client in clients:
        client.start()
    latencies, errors, samples = defaultdict(list), defaultdict(int), []
    for _ in clients:
        part_latencies, part_errors, part_samples = results.get(timeout=seconds + 120)
        for route, values in part_latencies.items():
            latencies[route].extend(values)
        for route, count in part_errors.items():
            errors[route] += count
        samples += part_samples
    for client in clients:
        client.join()
    results.close()
    return latencies, errors, samples


def server_cpu_seconds(pid):
    """CPU time used so far by the gunicorn master and its workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def serve(env, port, log):
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 900  # a first start embeds the demo articles
    while time.monotonic() < deadline:
        try:
            connection = Connection(port)
            status = connection.request("GET", "/readyz")
            connection.close()
            if status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError("gunicorn did not become ready")


def static_url(port):
    """The static file's versioned URL, as the pages link it (immutable, cacheable for a year)."""
    connection = Connection(port)
    connection.request("GET", "/en/")
    connection.close()
    from portal.http import file_version

    return f"/static/{STATIC_FILE}?v={file_version(str(ROOT / 'static' / STATIC_FILE))}"


def row(label, route, values, errors, seconds, cpu=None):
    cpu_per_request = f"{cpu * 1000 / len(values):>10.2f}" if cpu is not None and values else ""
    print(f"{label:<11}{route:<17}{len(values) / seconds:>9.0f}{percentile(values, 0.5):>9.1f}"
          f"{percentile(values, 0.99):>9.1f}{errors:>8}{cpu_per_request}")


def run(label, database_url, data_dir, args):
    port = free_port()
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "DATABASE_URL": database_url,
           "PORTAL_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "PORTAL_CONTENT_DIR": str(ROOT / "content"),
           # Production needs a key and its host names (portal/security.py); plain HTTP here.
           "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
           "PORTAL_ALLOWED_HOSTS": "127.0.0.1,help.example,bench",
           "PORTAL_HTTPS": "0", "PORTAL_SEARCH_SEMANTIC": args.semantic}
    env.pop("REDIS_URL", None)
    upgrade(database_url)
    # As `make serve` does: the index (and, with search by meaning, its vectors) before the server.
    subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "search", "build"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    with open(Path(data_dir) / f"gunicorn-{label}.log", "ab") as log:
        process = serve(env, port, log)
    try:
        url = static_url(port)
        drive(port, MIX, 2, args.processes, args.threads, url)  # warm-up: searchers, caches, pools
        phases = {"mix": MIX, "articles only": (("article", 1),), "new searches only": (("new search", 1),),
                  "static only": (("static", 1),)}
        results, cpu = {}, {}
        for name, routes in phases.items():
            before = server_cpu_seconds(process.pid)
            results[name] = drive(port, routes, args.seconds, args.processes, args.threads, url)
            cpu[name] = server_cpu_seconds(process.pid) - before
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    latencies, errors, samples = results["mix"]
    for route, _ in MIX:
        row(label, route, latencies[route], errors[route], args.seconds)
    everything = [value for values in latencies.values() for value in values]
    row(label, "mix, all routes", everything, sum(errors.values()), args.seconds, cpu["mix"])
    article, article_errors, more = results["articles only"]
    static, static_errors, static_samples = results["static only"]
    searched, searched_errors, searched_samples = results["new searches only"]
    row(label, "new searches only", searched["new search"], searched_errors["new search"], args.seconds,
        cpu["new searches only"])
    row(label, "articles only", article["article"], article_errors["article"], args.seconds,
        cpu["articles only"])
    row(label, "static (ceiling)", static["static"], static_errors["static"], args.seconds,
        cpu["static only"])
    for sample in samples + more + static_samples + searched_samples:
        print(f"{'':<11}error: {sample}")
    article_rate = len(article["article"]) / args.seconds
    static_rate = len(static["static"]) / args.seconds
    # Requests per CPU-second of the server, times the cores: the rate without a client beside it.
    alone = len(article["article"]) / cpu["articles only"] * (os.cpu_count() or 1)
    print(f"{'':<11}article pages: {article_rate:.0f} req/s (target >= 1000), "
          f"{article_rate / static_rate:.2f}x the static ceiling (target >= 0.30); "
          f"~{alone:.0f} req/s if the server had every core to itself")
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="keep-alive connections per client process")
    parser.add_argument("--semantic", choices=("on", "off"), default="on", help="PORTAL_SEARCH_SEMANTIC")
    parser.add_argument("--databases", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    print(f"search by meaning {args.semantic}; "
          f"gunicorn.conf.py, 2 workers x {os.environ.get('PORTAL_THREADS', '4')} threads; "
          f"{args.processes} client processes x {args.threads} connections; {args.seconds:.0f} s per phase; "
          f"{os.cpu_count()} CPU cores shared by server and client")
    print(f"{'database':<11}{'route':<17}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'server CPU ms/req':>19}")
    with tempfile.TemporaryDirectory() as data_dir:
        if "sqlite" in args.databases:
            run("sqlite", f"sqlite:///{data_dir}/bench.sqlite3", data_dir, args)
        if "postgresql" not in args.databases:
            return
        name = f"portal_bench_{secrets.token_hex(4)}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            run("postgresql", POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name, data_dir, args)
        finally:
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
