"""The real-I/O lab: a slow echo server on loopback, blocking and asyncio clients, timed as TimingRuns.

Real sockets, real time. The timing assertions are order relations with wide margins (20 clients of 0.2 s:
one by one takes at least 4 s, asyncio well under 1 s), so a loaded machine cannot flip them.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading

import pytest

from asyncomm.labs import sockets
from asyncomm.labs.timing import TimingRun


def _server_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "asyncomm-echo-server"]


def test_the_server_answers_blocking_and_asyncio_clients_and_its_thread_ends() -> None:
    with sockets.echo_server_thread(0.0) as address:
        assert address.host == "127.0.0.1" and address.port > 0
        assert sockets.echo(*address, "hello") == "hello"

        async def two() -> list[str]:
            return await asyncio.gather(sockets.echo_async(*address, "a"), sockets.echo_async(*address, "b"))

        assert asyncio.run(two()) == ["a", "b"]
    assert _server_threads() == []


def test_the_server_thread_ends_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), sockets.echo_server_thread(0.0):
        raise RuntimeError("boom")
    assert _server_threads() == []


def test_the_async_server_serves_connections_at_once() -> None:
    async def main() -> tuple[list[str], float]:
        async with sockets.slow_echo_server(0.2) as (host, port):
            loop = asyncio.get_running_loop()
            start = loop.time()
            answers = await asyncio.gather(*(sockets.echo_async(host, port, f"m{i}") for i in range(10)))
            return answers, loop.time() - start

    answers, took = asyncio.run(main())
    assert answers == [f"m{i}" for i in range(10)]
    assert took < 10 * 0.2 / 2  # one by one it would take 2 s


def test_one_by_one_waits_for_each_answer_and_asyncio_waits_for_all_at_once() -> None:
    n, delay = 20, 0.2
    sequential = sockets.time_clients(n, delay, "sequential")
    together = sockets.time_clients(n, delay, "asyncio")
    for run, strategy in ((sequential, "sequential"), (together, "asyncio")):
        assert isinstance(run, TimingRun)
        assert (run.strategy, run.work, run.n, run.latency, run.virtual, run.workers) == (
            strategy,
            "wait",
            n,
            delay,
            False,
            1,
        )
        assert [r.task for r in run.records] == list(range(n))
        assert {r.worker for r in run.records} == {0}
        assert all(r.duration >= delay * 0.99 for r in run.records)  # the server really made each wait
        assert run.total >= max(r.end for r in run.records)
    records = sequential.records
    assert all(later.start >= earlier.end for earlier, later in itertools.pairwise(records))
    assert sequential.total >= n * delay * 0.99
    # Every asyncio request is on its way before the first answer comes back: all 20 wait together.
    assert max(r.start for r in together.records) < min(r.end for r in together.records)
    assert together.total < sequential.total / 4


def test_threads_overlap_the_waits_too() -> None:
    run = sockets.time_clients(8, 0.2, "threads")
    assert (run.strategy, run.workers) == ("threads", 8)
    assert sorted({r.worker for r in run.records}) == list(range(run.workers_used))
    assert run.total < 8 * 0.2 / 2
    pooled = sockets.time_clients(4, 0.1, "threads", workers=2)
    assert pooled.workers == 2 and pooled.workers_used <= 2
    assert pooled.total >= 2 * 0.1 * 0.99  # two rounds of two


def test_the_timing_plots_draw_socket_runs() -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    from asyncomm.labs import plots

    runs = sockets.compare_clients(3, 0.01)
    assert [run.strategy for run in runs] == ["sequential", "threads", "asyncio"]
    fig = plots.gantt(runs)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("sequential: ") and titles[1].startswith("threads, 3 workers: ")
    plt.close(fig)
    fig = plots.total_bars(runs)
    assert len(fig.axes[0].patches) == 3
    plt.close(fig)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: sockets.time_clients(3, 0.1, "processes"), ValueError, "unknown strategy 'processes': choose one of"),
        (lambda: sockets.time_clients(0, 0.1, "asyncio"), ValueError, "n must be"),
        (lambda: sockets.time_clients(501, 0.1, "asyncio"), ValueError, "n must be at most 500 clients"),
        (lambda: sockets.time_clients(2, -1, "asyncio"), ValueError, "delay"),
        (
            lambda: sockets.time_clients(2, 0.1, "asyncio", workers=2),
            ValueError,
            "workers= is for the 'threads' strategy; 'asyncio' runs every client on one thread",
        ),
        (lambda: sockets.echo("127.0.0.1", 1, b"x"), TypeError, "message must be a str, got b'x' (bytes)"),
        (lambda: sockets.echo("127.0.0.1", 1, "a\nb"), ValueError, "message must be one line (no newline)"),
    ],
)
def test_bad_arguments_say_what_to_do(call, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
    assert _server_threads() == []
