"""PostgreSQL and Redis for the test session: the ones named by TEST_DATABASE_URL / TEST_REDIS_URL,
else throw-away servers started here. Servers someone happens to run on the default ports are
never used: a run depends on nothing started by hand and never sees another run's data.

A throw-away server lives in a temporary folder on a free port (Debian's `postgresql` and
`redis-server` packages, which `make test` installs when missing) and is stopped and deleted
when the session ends. As root, PostgreSQL runs as the `postgres` user (initdb refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_SECONDS = 60


def answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(ready, what: str, log: Path | None = None):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not start within {START_SECONDS} s\n{detail}")


def postgres_bin(name: str) -> str:
    """initdb and pg_ctl: Debian keeps them in /usr/lib/postgresql/<version>/bin, off the PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise RuntimeError(f"{name} not found: install Debian's postgresql package (make test does)")


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own: trust authentication, 127.0.0.1 and a free port only."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="portal-test-postgres-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command):
        subprocess.run([*self._as_user, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> ThrowawayPostgres:
        data = self.folder / "data"
        self._run(postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
                   "-c full_page_writes=off -c synchronous_commit=off")
        self._run(postgres_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"),
                  "-w", "start")
        _wait(lambda: answers("127.0.0.1", self.port), "PostgreSQL", self.folder / "log")
        return self

    def stop(self):
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(postgres_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class ThrowawayRedis:
    """A redis-server of its own: 127.0.0.1, a free port, nothing written to disk."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="portal-test-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> ThrowawayRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server not found: install Debian's redis-server (make test does)")
        log = self.folder / "log"
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                 "--save", "", "--appendonly", "no", "--daemonize", "no"],
                stdout=output, stderr=subprocess.STDOUT)
        _wait(lambda: self.process.poll() is None and answers("127.0.0.1", self.port), "redis-server", log)
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


class TestServers:
    """The session's PostgreSQL admin URL and Redis URL, starting throw-away servers unless named."""

    __test__ = False  # not a test class

    def __init__(self, environ=None):
        self.environ = os.environ if environ is None else environ
        self.started: list = []
        self._postgres_url: str | None = None
        self._redis_url: str | None = None

    @property
    def postgres_url(self) -> str:
        if self._postgres_url is None:
            named = self.environ.get("TEST_DATABASE_URL") or self.environ.get("PORTAL_TEST_POSTGRES")
            if named:
                self._postgres_url = named
            else:
                server = ThrowawayPostgres()
                self.started.append(server)
                self._postgres_url = server.start().url
        return self._postgres_url

    @property
    def redis_url(self) -> str:
        if self._redis_url is None:
            named = self.environ.get("TEST_REDIS_URL")
            if named:
                self._redis_url = named
            else:
                server = ThrowawayRedis()
                self.started.append(server)
                self._redis_url = server.start().url
        return self._redis_url

    def stop(self):
        while self.started:
            self.started.pop().stop()
