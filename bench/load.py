"""Requests per second and latency under gunicorn (2 workers), on SQLite and on PostgreSQL, beside
a static file served by the same gunicorn in the same run: the ceiling of this machine and client.

    .venv/bin/python bench/load.py [--seconds 20] [--processes 2] [--threads 5] [--profile] [--quick]
                                   [--databases sqlite postgresql] [--data-dir DIR]

The portal runs as `make serve` runs it (gunicorn.conf.py, access log on) on the demo content.
Keep-alive clients, as a proxy in front of the nodes would hold, spread over several
processes, drive a mix drawn request by request:

    article views 60 %   (a browser: one `view` event stored per page)
    searches      15 %   (the demo's questions, in their locale: one `search` event each)
    suggestions   15 %   (the first letters of those questions, as typed)
    votes         10 %   ("was this helpful?", POST: one `vote` event each)

then, each for the same time and with the same clients (10 connections: wrk's `-c10`), alone:
article views; search pages and API searches of 20 popular questions (asked again and again, so
their results are cached, as a shop's "where is my parcel" is); searches with a question never
asked before each time (a demo question plus a word of another one: no result-cache hit, so with
search by meaning every request embeds its question); and the static file. Each single route
prints the server's CPU time per request (the figure noise moves least), p50, p99 and their
ratio, with the targets of issue #19. `--profile` runs py-spy over both workers while articles,
search pages and the API run, and prints where the CPU went. `--quick`: the single routes only.
`--semantic off` runs it with search by meaning off, for the comparison.
An error is a connection failure or a status other than the route's (200, votes
303). The client runs on the same machine and takes its share of the CPU: the figures are a
floor for the portal, and the article/static ratio is the comparison that does not depend on it.
"""

from __future__ import annotations

import argparse
import contextlib
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
EXPECTED = {"article": 200, "search": 200, "suggest": 200, "vote": 303, "static": 200, "new search": 200,
            "search page": 200, "api search": 200}
STATIC_FILE = "css/portal.css"
POPULAR_QUESTIONS = 20


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


def popular_questions(questions):
    """The questions asked again and again (a shop's 'where is my parcel'): a fixed sample."""
    return random.Random(19).sample(questions, POPULAR_QUESTIONS)


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


def search_url(route, locale, question):
    if route == "api search":
        return f"/api/v1/search?{urlencode({'q': question, 'locale': locale})}"
    return f"/{locale}/search?q={quote(question)}"


def next_request(route, rng, articles, questions, static_url):
    if route == "article":
        return "GET", rng.choice(articles)[0], b""
    if route == "static":
        return "GET", static_url, b""
    locale, question = rng.choice(questions)
    if route == "new search":
        extra = rng.choice(rng.choice(questions)[1].split())
        return "GET", f"/{locale}/search?q={quote(f'{question} {extra} {rng.randrange(10**6)}')}", b""
    if route in ("search page", "api search"):
        locale, question = rng.choice(popular_questions(questions))
    if route in ("search", "search page", "api search"):
        return "GET", search_url(route, locale, question), b""
    if route == "suggest":
        typed = question[: rng.randint(3, max(3, min(12, len(question))))]
        return "GET", f"/api/v1/suggest?locale={locale}&q={quote(typed)}", b""
    url, article_id, locale = rng.choice(articles)
    return "POST", f"/{locale}/feedback", urlencode({"article": article_id, "helpful": "yes"}).encode()


def client_process(port, routes, ready, start_at, seconds, threads, seed, static_url, results):
    """One client process: `threads` keep-alive connections for `seconds`, from the moment the
    parent sets when every client process is ready."""
    import threading

    articles, questions = workload()
    ready.wait()
    while not start_at.value:
        time.sleep(0.001)
    start = start_at.value
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
    ready, start_at = context.Barrier(processes + 1), context.Value("d", 0.0)
    clients = [context.Process(target=client_process, args=(port, routes, ready, start_at, seconds, threads,
                                                            seed, static_url, results))
               for seed in range(processes)]
    for client in clients:
        client.start()
    ready.wait(timeout=600)  # every client process imported and its workload loaded
    start_at.value = time.time() + 0.1
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
    cpu_per_request = f"{cpu * 1000 / len(values):>10.2f}" if cpu is not None and values else f"{'':>10}"
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    print(f"{label:<11}{route:<19}{len(values) / seconds:>9.0f}{p50:>9.1f}{p99:>9.1f}{p99 / p50:>9.1f}"
          f"{errors:>8}{cpu_per_request}")


# Each alone, for the same time with the same clients: (phase, route, CPU target ms/req or None).
SINGLE_ROUTES = (("articles only", "article", 1.5), ("search pages only", "search page", 2.0),
                 ("API searches only", "api search", None), ("new searches only", "new search", None),
                 ("static only", "static", None))
P99_TARGET = 2.0  # p99 at most twice p50: articles, search pages, API (issue #19)


def worker_pids(master):
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def profile_workers(master, seconds, folder, name):
    """py-spy over every worker for one phase: collapsed stacks, summarised by profile_top()."""
    output = Path(folder) / f"{name.replace(' ', '-')}.txt"
    py_spy = str(Path(sys.executable).parent / "py-spy")
    # --gil: only the thread holding the GIL, so the profile is where the CPU goes, not the
    # waits of the other threads for the GIL.
    return [subprocess.Popen([py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                              "--rate", "200", "--format", "raw", "--nonblocking", "--gil",
                              "--output", f"{output}.{pid}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in worker_pids(master)], output


def profile_top(paths, limit=15):
    """The functions most often on the stack (inclusive) and at its top (self), in % of samples."""
    inclusive, own, total = defaultdict(int), defaultdict(int), 0
    for path in paths:
        for line in Path(path).read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():  # py-spy's own notes
                continue
            frames = [re.sub(r" \((?:.*/)?((?:site-packages/)?[^/]+/[^/]+\.py):\d+\)$", r" (\1)", frame)
                      for frame in stack.split(";")]
            count = int(count)
            total += count
            if frames[0].startswith("process "):
                frames = frames[1:]
            for frame in set(frames):
                inclusive[frame] += count
            if frames:
                own[frames[-1]] += count
    if not total:
        return ["(no samples)"]
    lines = [f"{'total %':>8}{'self %':>8}  function (file)"]
    # Frames every request passes through (threads, gunicorn's worker loop) say nothing.
    idle = {frame for frame in inclusive
            if any(part in frame for part in ("(threading.py", "futures/thread.py", "workers/gthread.py"))}
    ranked = sorted(inclusive, key=inclusive.get, reverse=True)
    for frame in [frame for frame in ranked if frame not in idle][:limit]:
        lines.append(f"{100 * inclusive[frame] / total:>8.1f}{100 * own[frame] / total:>8.1f}  {frame}")
    lines.append(f"{'':>16}  self time, top functions:")
    for frame in sorted(own, key=own.get, reverse=True)[:limit]:
        lines.append(f"{100 * inclusive[frame] / total:>8.1f}{100 * own[frame] / total:>8.1f}  {frame}")
    return lines


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
    phases = {"mix": MIX, **{name: ((route, 1),) for name, route, _target in SINGLE_ROUTES}}
    if args.quick:
        phases = {name: routes for name, routes in phases.items() if name not in ("mix", "new searches only")}
    results, cpu, profiles = {}, {}, {}
    profile_dir = tempfile.mkdtemp(dir=data_dir)
    try:
        url = static_url(port)
        drive(port, MIX, 2, args.processes, args.threads, url)  # warm-up: searchers, caches, pools
        # The steady state: each worker has the popular questions' results, and the pages read, in
        # its caches (a new question is the new searches phase).
        steady = (("article", 1), ("search page", 1), ("api search", 1))
        drive(port, steady, 5, args.processes, args.threads, url)
        for name, routes in phases.items():
            profilers = []
            if args.profile and name in ("articles only", "search pages only", "API searches only"):
                profilers, profiles[name] = profile_workers(process.pid, args.seconds, profile_dir, name)
            before = server_cpu_seconds(process.pid)
            results[name] = drive(port, routes, args.seconds, args.processes, args.threads, url)
            cpu[name] = server_cpu_seconds(process.pid) - before
            for profiler in profilers:
                profiler.wait(60)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    samples, verdicts = [], []
    if "mix" in results:
        latencies, errors, samples = results["mix"]
        for route, _ in MIX:
            row(label, route, latencies[route], errors[route], args.seconds)
        everything = [value for values in latencies.values() for value in values]
        row(label, "mix, all routes", everything, sum(errors.values()), args.seconds, cpu["mix"])
    for name, route, cpu_target in SINGLE_ROUTES:
        if name not in results:
            continue
        values, failed, more = results[name]
        row(label, name, values[route], failed[route], args.seconds, cpu[name])
        samples += more
        if not values[route]:
            continue
        per_request = cpu[name] * 1000 / len(values[route])
        tail = percentile(values[route], 0.99) / percentile(values[route], 0.5)
        if cpu_target is not None:
            verdicts.append(f"{route} {per_request:.2f} ms CPU (target <= {cpu_target})")
        if route in ("article", "search page", "api search"):
            verdicts.append(f"{route} p99/p50 {tail:.1f} (target <= {P99_TARGET:.0f})")
    for sample in samples:
        print(f"{'':<11}error: {sample}")
    article, static = results["articles only"][0]["article"], results["static only"][0]["static"]
    article_rate, static_rate = len(article) / args.seconds, len(static) / args.seconds
    # Requests per CPU-second of the server, times the cores: the rate without a client beside it.
    alone = len(article) / cpu["articles only"] * (os.cpu_count() or 1)
    print(f"{'':<11}article pages: {article_rate:.0f} req/s, {article_rate / static_rate:.2f}x the static "
          f"ceiling, {cpu['articles only'] / len(article) / (cpu['static only'] / len(static)):.2f}x its CPU "
          f"per request; ~{alone:.0f} req/s if the server had every core to itself")
    print(f"{'':<11}" + "; ".join(verdicts))
    for name, output in profiles.items():
        print(f"\n{label}, {name}: py-spy, {args.seconds:.0f} s over both workers")
        print("\n".join(profile_top(sorted(Path(profile_dir).glob(f"{output.name}.*")))))
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=5, help="keep-alive connections per client process")
    parser.add_argument("--semantic", choices=("on", "off"), default="on", help="PORTAL_SEARCH_SEMANTIC")
    parser.add_argument("--quick", action="store_true",
                        help="articles, search pages, the API and the static file: no mix, no new searches")
    parser.add_argument("--data-dir", type=Path,
                        help="a data folder kept for the next run (article vectors too); default: temporary")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy over the workers while articles, search pages and the API run alone")
    parser.add_argument("--databases", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    print(f"search by meaning {args.semantic}; "
          f"gunicorn.conf.py, 2 workers, {os.environ.get('PORTAL_WORKER_CLASS', 'default class')}, "
          f"{os.environ.get('PORTAL_THREADS', 'default')} threads; "
          f"{args.processes} client processes x {args.threads} connections; {args.seconds:.0f} s per phase; "
          f"{os.cpu_count()} CPU cores shared by server and client")
    print(f"{'database':<11}{'route':<19}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99/p50':>9}{'errors':>8}"
          f"{'server CPU ms/req':>19}")
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
    kept = args.data_dir.resolve() if args.data_dir else None
    with contextlib.nullcontext(kept) if kept else tempfile.TemporaryDirectory() as data_dir:
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
