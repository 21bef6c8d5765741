"""Real I/O: many slow clients served at once, timed on real sockets on this machine (loopback).

A *slow echo server* answers each connection after ``delay`` seconds, like a service that has to look
something up first. It is an ordinary :func:`asyncio.start_server` server on ``127.0.0.1`` and a port the
system picks, so it serves every connection at once: the server is never the bottleneck, the clients are.
:func:`time_clients` then asks it ``n`` times, one way or another, and records when each request started
and ended as the same :class:`~asyncomm.labs.timing.TimingRun` the timing lab returns, so
:func:`asyncomm.labs.plots.gantt` and :func:`~asyncomm.labs.plots.total_bars` draw it:

* ``"sequential"``: a blocking :mod:`socket` client, one request after the other;
* ``"threads"``: the same blocking client, one thread per request (or ``workers`` threads);
* ``"asyncio"``: an :func:`asyncio.open_connection` client, one coroutine per request, all on one thread.

The protocol is one line each way: the client sends a line, the server waits ``delay`` s and sends it back.

>>> run = time_clients(5, 0.05, "asyncio")
>>> run.strategy, run.n, run.virtual, run.total < 5 * 0.05
('asyncio', 5, False, True)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from asyncomm._checks import check_int, check_seconds
from asyncomm.clock import RealClock
from asyncomm.labs.timing import TaskRecord, TimingRun

__all__ = [
    "STRATEGIES",
    "Address",
    "compare_clients",
    "echo",
    "echo_async",
    "echo_server_thread",
    "slow_echo_server",
    "time_clients",
]

STRATEGIES = ("sequential", "threads", "asyncio")
HOST = "127.0.0.1"  # loopback only: nothing outside this machine can reach the lab's server
#: How long a client waits for the server before giving up (seconds): far longer than any lab's delay.
TIMEOUT = 30.0
#: The most clients one run makes: each is an open socket (a file descriptor) while it waits.
MAX_CLIENTS = 500


class Address(NamedTuple):
    """Where a server listens; it unpacks as ``host, port``.

    >>> host, port = Address("127.0.0.1", 8888)
    >>> port
    8888
    """

    host: str
    port: int


# --- the server ------------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def slow_echo_server(delay: float) -> AsyncIterator[Address]:
    """Serve on ``127.0.0.1`` (a free port) while the ``async with`` block runs: each connection's first
    line comes back after ``delay`` seconds. Every connection is served at once, in a task of its own.

    >>> import asyncio
    >>> async def main():
    ...     async with slow_echo_server(0.1) as (host, port):
    ...         return await echo_async(host, port, "hello")
    >>> asyncio.run(main())
    'hello'
    """
    delay = check_seconds(delay, "delay")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            await asyncio.sleep(delay)  # the slow part: while this connection waits, the loop serves others
            writer.write(line)
            await writer.drain()
        except ConnectionError:  # the client gave up: nothing to answer
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, HOST, 0)  # port 0: the system picks a free one
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield Address(HOST, port)


@contextlib.contextmanager
def echo_server_thread(delay: float) -> Iterator[Address]:
    """:func:`slow_echo_server`, run on an event loop in a thread of its own, for blocking clients (or a
    notebook cell) to call while the ``with`` block runs. The thread is stopped and joined at the end.

    >>> with echo_server_thread(0.1) as (host, port):
    ...     echo(host, port, "hello")
    'hello'
    """
    delay = check_seconds(delay, "delay")
    loop = asyncio.new_event_loop()
    started = threading.Event()
    address: list[Address] = []
    errors: list[BaseException] = []
    stop = loop.create_future()

    async def serve() -> None:
        async with slow_echo_server(delay) as where:
            address.append(where)
            started.set()
            await stop

    def run() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as err:  # e.g. no free port: handed to the caller below
            errors.append(err)
        finally:
            started.set()
            loop.close()

    thread = threading.Thread(target=run, name="asyncomm-echo-server")
    thread.start()
    started.wait()
    try:
        if errors:
            raise errors[0]
        yield address[0]
    finally:
        if not errors:
            loop.call_soon_threadsafe(stop.set_result, None)
        thread.join()


# --- the clients -----------------------------------------------------------------------------------------------


def _line(message: str) -> bytes:
    if not isinstance(message, str):
        raise TypeError(f"message must be a str, got {message!r} ({type(message).__name__})")
    if "\n" in message:
        raise ValueError(f"message must be one line (no newline): the server answers the first line, got {message!r}")
    return message.encode() + b"\n"


def echo(host: str, port: int, message: str, *, timeout: float = TIMEOUT) -> str:
    """Send ``message`` to the echo server and return its answer: a blocking :mod:`socket` client. The
    calling thread does nothing else until the answer comes.

    >>> with echo_server_thread(0.0) as address:
    ...     echo(*address, "ping")
    'ping'
    """
    data = _line(message)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        with sock.makefile("rb") as answer:
            return answer.readline().decode().removesuffix("\n")


async def echo_async(host: str, port: int, message: str, *, timeout: float = TIMEOUT) -> str:
    """:func:`echo` with asyncio: while it waits for the answer, the event loop runs other coroutines.

    >>> import asyncio
    >>> with echo_server_thread(0.1) as (host, port):
    ...     async def both():
    ...         return await asyncio.gather(echo_async(host, port, "a"), echo_async(host, port, "b"))
    ...     asyncio.run(both())
    ['a', 'b']
    """
    data = _line(message)
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(data)
            await writer.drain()
            return (await reader.readline()).decode().removesuffix("\n")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


# --- timing them -----------------------------------------------------------------------------------------------


def _choice(strategy: object) -> str:
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: choose one of {', '.join(map(repr, STRATEGIES))}")
    return strategy


def time_clients(n: int, delay: float, strategy: str, *, workers: int | None = None) -> TimingRun:
    """Start a slow echo server, ask it ``n`` times with ``strategy`` and record when each request started
    and ended (seconds of the real clock from the start of the run; the server starts before). ``workers``
    sizes the thread pool of ``"threads"`` (default: one thread per request).

    Returns a :class:`~asyncomm.labs.timing.TimingRun` (``virtual=False``, ``work="wait"``,
    ``latency=delay``), so the timing lab's plots and tables take it:

    >>> from asyncomm.labs import plots, sockets
    >>> runs = [sockets.time_clients(20, 0.2, s) for s in sockets.STRATEGIES]   # doctest: +SKIP
    >>> fig = plots.gantt(runs); fig2 = plots.total_bars(runs)                   # doctest: +SKIP
    >>> run = time_clients(4, 0.05, "threads", workers=2)
    >>> run.workers, run.workers_used, [r.task for r in run.records]
    (2, 2, [0, 1, 2, 3])
    """
    n = check_int(n, "n", minimum=1, meaning=" (a number of clients)")
    if n > MAX_CLIENTS:
        raise ValueError(f"n must be at most {MAX_CLIENTS} clients (each holds a socket open), got {n}")
    delay = check_seconds(delay, "delay")
    strategy = _choice(strategy)
    if workers is not None and strategy != "threads":
        raise ValueError(f"workers= is for the 'threads' strategy; {strategy!r} runs every client on one thread")
    pool = n if workers is None else check_int(workers, "workers", minimum=1, meaning=" (a number of threads)")
    raw: list[tuple[int, float, float, int]] = []  # (task, start, end, thread); list.append is thread-safe
    with echo_server_thread(delay) as (host, port):
        origin = time.monotonic()

        def since() -> float:
            return time.monotonic() - origin

        def blocking(task: int) -> None:
            start = since()
            echo(host, port, f"request {task}")
            raw.append((task, start, since(), threading.get_ident()))

        async def one(task: int) -> None:
            start = since()
            await echo_async(host, port, f"request {task}")
            raw.append((task, start, since(), threading.get_ident()))

        async def together() -> None:
            await asyncio.gather(*(one(task) for task in range(n)))

        if strategy == "sequential":
            for task in range(n):
                blocking(task)
        elif strategy == "threads":
            with ThreadPoolExecutor(max_workers=pool, thread_name_prefix="asyncomm-client") as executor:
                for future in [executor.submit(blocking, task) for task in range(n)]:
                    future.result()
        else:
            RealClock().run(together())  # works in a notebook too, where a loop is already running
        total = since()
    return TimingRun(strategy, "wait", n, delay, False, _records(raw), total, pool if strategy == "threads" else 1)


def _records(raw: list[tuple[int, float, float, int]]) -> tuple[TaskRecord, ...]:
    # Threads are numbered 0, 1, ... in the order they started their first request, as the timing lab does.
    numbers: dict[int, int] = {}
    for _, _, _, thread in sorted(raw, key=lambda row: (row[1], row[0])):
        numbers.setdefault(thread, len(numbers))
    records = (TaskRecord(task, start, end, numbers[thread]) for task, start, end, thread in raw)
    return tuple(sorted(records, key=lambda record: record.task))


def compare_clients(n: int = 20, delay: float = 0.2) -> list[TimingRun]:
    """The same ``n`` requests once per strategy (sequential, threads, asyncio), each on a fresh server.
    With the defaults the sequential run takes about 4 s, the others about 0.2 s.

    >>> from asyncomm.labs import plots, sockets
    >>> runs = sockets.compare_clients(20, 0.2)          # doctest: +SKIP
    >>> plots.gantt(runs); plots.total_bars(runs)        # doctest: +SKIP
    >>> [run.strategy for run in compare_clients(3, 0.01)]
    ['sequential', 'threads', 'asyncio']
    """
    return [time_clients(n, delay, strategy) for strategy in STRATEGIES]
