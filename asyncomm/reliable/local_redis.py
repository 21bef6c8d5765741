"""A Redis server for the course and its tests, without redis-py: start a private one, ask whether one answers.

:class:`LocalRedis` runs ``redis-server`` on a free loopback port in a temporary folder (no persistence) and
stops it afterwards: what the broker chapter, the contract tests and the benchmark use, so none of them needs a
system service. :func:`reachable` speaks just enough of the Redis protocol (PING) to answer "is anyone there?"
without importing redis-py. :func:`safe_url` keeps passwords out of every message.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

from asyncomm.errors import BrokerUnavailable

__all__ = ["LocalRedis", "reachable", "safe_url"]


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit for messages and logs.

    >>> safe_url("redis://:s3cret@cache.example:6379/0")
    'redis://:***@cache.example:6379/0'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRedis:
    """A private ``redis-server`` on a free loopback port in a temporary folder,
    for tests and the course (no persistence; stopped on exit).

    >>> try:
    ...     server = LocalRedis().start()
    ... except BrokerUnavailable:      # no redis-server installed on this machine
    ...     server = None
    >>> server is None or server.url.startswith("redis://127.0.0.1:")
    True
    >>> if server is not None:
    ...     server.stop()
    """

    def __init__(self, executable: str | None = None) -> None:
        found = shutil.which(executable or "redis-server")
        if found is None:
            what = f"{executable!r} is not an executable program" if executable else "redis-server is not installed"
            raise BrokerUnavailable(
                f"{what}; install it (apt-get install redis-server, "
                "conda install -c conda-forge redis-server, or docker run -p 6379:6379 redis:7)"
            )
        self.executable: str = found
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = tempfile.TemporaryDirectory(prefix="asyncomm-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalRedis:
        self._process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._folder.name,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                if self._process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._folder.cleanup()

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def reachable(url: str, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers PING at ``url`` (never raises).

    >>> reachable("redis://127.0.0.1:1/0")       # port 1: nothing listens there
    False
    """
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or 6379), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False
