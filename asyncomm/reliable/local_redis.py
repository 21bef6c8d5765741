"""A Redis server for the course and its tests, without redis-py: start a private one, ask whether one answers.

:class:`LocalRedis` runs ``redis-server`` on a free loopback port in a temporary folder (no persistence) and
stops it afterwards: what the broker chapter, the contract tests and the benchmark use, so none of them needs a
system service. :func:`reachable` speaks just enough of the Redis protocol (PING) to answer "is anyone there?"
without importing redis-py. :func:`safe_url` keeps passwords out of every message.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit

from asyncomm.errors import BrokerUnavailable

__all__ = ["LocalRedis", "has_password", "reachable", "safe_url"]


def _split(url: str) -> tuple[str, str, str]:
    """``url`` as ``(scheme, credentials, rest)``; ``credentials`` is what comes before the *last* ``@``.

    Not :func:`urllib.parse.urlsplit`: a password may hold ``@``, ``#``, ``?`` or ``/``, and urlsplit then
    cuts it in two (a ``#`` starts its "fragment"), so part of the password would end up in the host or the
    fragment and be printed. Everything before the last ``@`` is treated as a secret instead.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    credentials, at, rest_after = rest.rpartition("@")
    return scheme, credentials if at else "", rest_after if at else rest


# The password of ``?password=...`` (redis-py reads it there too, also in ``unix://`` URLs): to the next
# ``&`` or the end, ``#`` included, since a ``#`` there is part of the password, not a fragment.
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit for messages and logs: the one in front of the
    host (``user:password@``, ``:password@``) and ``?password=`` in the query (redis-py reads both).

    >>> safe_url("redis://:s3cret@cache.example:6379/0")
    'redis://:***@cache.example:6379/0'
    >>> safe_url("unix:///run/redis.sock?db=0&password=s3cret")
    'unix:///run/redis.sock?db=0&password=***'
    >>> safe_url("redis://[::1]:6379/0")
    'redis://[::1]:6379/0'
    """
    # The query first: a password there may hold an "@", which must not be taken for the end of credentials.
    masked = _QUERY_PASSWORD.sub(r"\1***", url)
    scheme, credentials, rest = _split(masked)
    if credentials:
        user, colon, _ = credentials.partition(":")
        # "user@host" names a user and no password; anything after a ":" is the password
        credentials = f"{user}:***" if colon else user
        masked = f"{scheme}://" if scheme else ""
        masked += f"{credentials}@{rest}"
    return masked


def has_password(url: str) -> bool:
    """Whether ``url`` carries a password (before the host, or as ``?password=``).

    >>> has_password("redis://h:6379/0"), has_password("redis://:pw@h/0"), has_password("redis://h/0?password=x")
    (False, True, True)
    """
    return safe_url(url) != url


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
        self._end_process()
        self._folder.cleanup()

    def restart(self) -> LocalRedis:
        """Stop the server and start a new one on the same port: with no persistence it comes back empty,
        as a real server does after a crash or a restart without a saved dataset (clients reconnect)."""
        self._end_process()
        return self.start()

    def _end_process(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def reachable(url: str, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers PING at ``url`` (never raises): the host and port of a
    ``redis://`` or ``rediss://`` URL, the socket of a ``unix://`` one.

    >>> reachable("redis://127.0.0.1:1/0")       # port 1: nothing listens there
    False
    """
    scheme, _, rest = _split(url)  # without the credentials: a "#" or "@" in a password cannot move the host
    try:
        if scheme == "unix":
            connection = socket.socket(socket.AF_UNIX)
            connection.settimeout(timeout)
            connection.connect(rest.partition("?")[0])
        else:
            parts = urlsplit("//" + rest)
            connection = socket.create_connection((parts.hostname or "localhost", parts.port or 6379), timeout)
        with connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except (OSError, ValueError):  # ValueError: a port that is not a number
        return False
