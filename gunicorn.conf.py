"""gunicorn settings of the portal: `make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`.

Each value comes from an environment variable when set; docs/operations.md explains them.
"""

import os

from portal.observability import logging_config

# Where to listen: 127.0.0.1 behind a proxy on the same host, 0.0.0.0:8000 (private network) for
# a proxy on another machine.
bind = [os.environ.get("PORTAL_BIND", "127.0.0.1:8000")]

# Worker processes: WEB_CONCURRENCY, the usual platform variable, else one per CPU core (a page
# is CPU work: Markdown is rendered at start, so a request is templates and search).
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
# A few threads per worker: a request waiting on PostgreSQL or Redis does not hold up the others,
# and connections from the proxy can be kept alive. Of sync and gthread with 1, 2 and 4 threads,
# gthread x 4 served article pages for the least CPU on 2 cores (docs/operations.md, "Load").
worker_class = os.environ.get("PORTAL_WORKER_CLASS", "gthread")
threads = int(os.environ.get("PORTAL_THREADS", "4"))

# Load the app (every article, rendered) once in the master, then fork the workers: a worker
# starts in milliseconds and shares the articles' memory with the others. On HUP the master
# loads the app again (on_reload, below) before forking new workers. PORTAL_PRELOAD=0: every
# worker loads the app itself (then `timeout` must exceed that load time).
preload_app = os.environ.get("PORTAL_PRELOAD", "1") != "0"

# A worker that has not checked in for this long is killed and replaced; a request taking
# longer than this is a bug, not a workload.
timeout = int(os.environ.get("PORTAL_WORKER_TIMEOUT", "30"))
# On shutdown, reload and re-exec: how long requests in flight may finish.
graceful_timeout = int(os.environ.get("PORTAL_GRACEFUL_TIMEOUT", "30"))
# Idle keep-alive connections (from the proxy) stay open this long.
keepalive = 5

proc_name = "portal"
# The master's pid, for signals: `flask content deploy` sends it HUP (docs/deploy.md).
pidfile = os.environ.get("PORTAL_PIDFILE") or None
# Managed by signals and the pidfile; gunicorn's control socket has one default path per user,
# which two instances on one host (tests, two nodes) would share.
control_socket_disable = True

# JSON log lines on stderr, each with the request id. The access log is on and records method,
# path (never the query string), status, size, duration and request id: no IP address, user agent
# or referrer. PORTAL_ACCESS_LOG=0 turns it off.
logconfig_dict = logging_config(os.environ.get("PORTAL_LOG_LEVEL", "INFO"),
                                access_log=os.environ.get("PORTAL_ACCESS_LOG", "1") != "0")
access_log_format = "%(m)s %(U)s %(s)s %(B)s %(M)s %({x-request-id}o)s"


def when_ready(server):
    from portal.deploy import settle_memory

    settle_memory(server.app.wsgi() if server.cfg.preload_app else None)


def on_reload(server):
    # HUP (a content deploy): the old workers keep serving while the master loads the new
    # content; a release with errors is refused and the previous content keeps serving.
    from portal import create_app
    from portal.deploy import reload_app

    reload_app(server, create_app)


def post_fork(server, worker):
    # Database connections must not be shared across processes: each worker opens its own.
    if server.cfg.preload_app:
        server.app.wsgi().extensions["db"].engine.dispose(close=False)


def post_worker_init(worker):
    # With "Booting worker", the start-up time of each worker (bench/memory.py reads both).
    worker.log.info("Worker ready (pid: %s)", worker.pid)
