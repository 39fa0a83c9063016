"""A TCP proxy a test can pull the plug on: the database or Redis "goes down" and comes back."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`. down() refuses new connections and cuts the open
    ones, as a crashed server or a broken network would; up() serves again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()
        self._stop = threading.Event()
        self._silent = threading.Event()  # accept and read, never forward or answer
        self._listener: socket.socket | None = None
        self.up()

    def silent(self, on: bool = True):
        """A server that hangs: connections are accepted, requests read, and nothing ever answered."""
        if on:
            self._silent.set()
        else:
            self._silent.clear()

    def up(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._start(self._accept, listener)

    def down(self):
        """Refuse new connections and cut the open ones; returns when everything is closed."""
        self._stop.set()
        while True:
            with self._threads_lock:
                if not self._threads:
                    break
                thread = self._threads.pop()
            thread.join(10)  # the accept thread may start pipes until it stops: they are joined too
        with self._threads_lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.down()

    def _start(self, target, *args):
        # Registered only once started (under the lock): down() may join any thread it finds.
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._threads_lock:
            thread.start()
            self._threads.append(thread)

    def _accept(self, listener):
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            with self._threads_lock:
                self._sockets.append(client)
            if self._silent.is_set():
                continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._threads_lock:
                self._sockets.append(upstream)
            for sock in (client, upstream):
                sock.settimeout(0.05)
            self._start(self._pipe, client, upstream)
            self._start(self._pipe, upstream, client)

    def _pipe(self, source, sink):
        try:
            while not self._stop.is_set():
                try:
                    data = source.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                if not self._silent.is_set():
                    sink.sendall(data)
        except OSError:
            pass
        # One side hung up: hang up the other, as a real connection would.
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class SilentServer:
    """Accepts TCP connections and never answers: a server that hangs (a blackholed Redis)."""

    def __init__(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)  # the kernel completes the handshakes; nobody ever reads
        self.port = self._listener.getsockname()[1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._listener.close()
