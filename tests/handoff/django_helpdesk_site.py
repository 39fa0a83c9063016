"""A real django-helpdesk for the end-to-end tests: its own virtualenv, a tiny Django project
on SQLite with the REST API on, one queue and one staff API user, served on a free port.

The virtualenv is made once per pinned version under the temp folder and reused by later
runs (pip needs the package registry the first time only). Used by tests/handoff/
test_django_helpdesk.py and bench/faults.py.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PINNED = ("django-helpdesk==2.6.1", "djangorestframework==3.18.3", "Django==5.2.19")
USER, PASSWORD = "portal-api", "portal-api-password"
QUEUE_SLUG = "help-centre"

SETTINGS = """
SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "site_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH,
                         "OPTIONS": {"timeout": 30}}}
USE_TZ = True
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HELPDESK_API_ENABLED = True
HELPDESK_USE_CDN = False  # its own copy of Bootstrap: the agent pages need no network
LOGIN_URL = "/helpdesk/login/"
HELPDESK_TEAMS_MODE_ENABLED = False  # teams need pinax-teams, which the help centre does not use
HELPDESK_ACTIVATE_API_ENDPOINT = True  # the setting's name before django-helpdesk 0.5
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.BasicAuthentication"]}
"""

URLS = """
from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""

SEED = f'''
from django.contrib.auth import get_user_model
from helpdesk.models import Queue

User = get_user_model()
if not User.objects.filter(username="{USER}").exists():
    User.objects.create_user("{USER}", "api@example.com", "{PASSWORD}", is_staff=True, is_superuser=True)
queue, _ = Queue.objects.get_or_create(slug="{QUEUE_SLUG}", defaults={{"title": "Help centre"}})
print(queue.id)
'''


def cache_dir() -> Path:
    key = "-".join(spec.replace("==", "-") for spec in PINNED)
    return Path(os.environ.get("PORTAL_TEST_CACHE", tempfile.gettempdir())) / f"portal-tests-{key}"


def ensure_virtualenv() -> Path:
    """The virtualenv's python, made (and django-helpdesk installed) on first use. A lock file
    makes a second test run wait for the first one's install instead of racing it."""
    folder = cache_dir()
    python = folder / "bin" / "python"
    ready = folder / ".installed"
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return python
        if folder.exists():
            shutil.rmtree(folder)  # an install that broke half-way
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PINNED],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if install.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(PINNED)} failed:\n{install.stderr[-3000:]}")
        ready.write_text("\n".join(PINNED))
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DjangoHelpdesk:
    """The project in `folder`; start() and stop() may be called repeatedly on one database."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.python = ensure_virtualenv()
        self.process: subprocess.Popen | None = None
        self.folder.mkdir(parents=True, exist_ok=True)
        db_path = self.folder / "helpdesk.sqlite3"
        (self.folder / "site_settings.py").write_text(f"DB_PATH = {str(db_path)!r}\n" + SETTINGS)
        (self.folder / "site_urls.py").write_text(URLS)
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "site_settings", "PYTHONPATH": str(self.folder)}
        self.env.pop("VIRTUAL_ENV", None)
        self.manage("migrate", "--noinput")
        self.queue_id = int(self.manage("shell", "-c", SEED).strip().splitlines()[-1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/helpdesk"

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.python), "-m", "django", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"django-admin {args[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self):
        self.log = open(self.folder / "server.log", "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                str(self.python),
                "-m",
                "django",
                "runserver", "--insecure",  # --insecure: its CSS and scripts too, for people looking
                "--noreload",
                "--skip-checks",
                f"127.0.0.1:{self.port}",
            ],
            cwd=self.folder,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "django-helpdesk exited:\n" + (self.folder / "server.log").read_text()[-3000:]
                )
            try:
                urllib.request.urlopen(f"{self.url}/api/tickets/", timeout=2).close()
            except urllib.error.HTTPError:
                return self  # 401/403: it answers
            except OSError:
                time.sleep(0.1)
                continue
            return self
        raise RuntimeError("django-helpdesk did not start within 60 s")

    def kill(self):
        """SIGKILL: whatever it was doing is cut off, as in a crash or a power cut."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
            self.log.close()

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            self.log.close()

    def query(self, code: str) -> str:
        """Run Python in the project (Django set up) and return what it printed: the test's view
        of the helpdesk's database, independent of the REST API the portal uses."""
        lines = self.manage("shell", "-c", code).strip().splitlines()
        return lines[-1] if lines else ""  # Django 5.2's shell first says what it imported
