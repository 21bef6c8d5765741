"""The timing lab: run ``n`` identical tasks one way or another and record when each ran.

Each task either *waits* (``work="wait"``: a reply from a network, a disk, a
person) or *computes* (``work="cpu"``: keeps its thread busy) for ``latency``
seconds. The strategies:

* ``"sequential"``: plain synchronous code, one task after the other;
* ``"asyncio"``: one coroutine per task on one event loop, started together;
* ``"threads"``: one task per thread of a thread pool (real clock only).

On a :class:`~asyncomm.VirtualClock` (the default) the results are the exact
model: ``n`` waiting tasks take ``n * latency`` sequentially and ``latency``
with asyncio. On a :class:`~asyncomm.RealClock` they are a measurement.

>>> run = run_tasks(3, 2.0, "asyncio")
>>> run.total, [(r.start, r.end) for r in run.records]
(2.0, [(0.0, 2.0), (0.0, 2.0), (0.0, 2.0)])
>>> run_tasks(3, 2.0, "sequential").total
6.0
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ._checks import check_seconds
from .clock import Clock, VirtualClock

__all__ = ["STRATEGIES", "WORKS", "TaskRecord", "TimingRun", "run_tasks", "summary", "to_frame"]

STRATEGIES = ("sequential", "asyncio", "threads")
WORKS = ("wait", "cpu")


@dataclass(frozen=True)
class TaskRecord:
    """When one task ran, in seconds from the start of the run, and on which
    thread (``0``, ``1``, ... in order of first use).

    >>> TaskRecord(task=0, start=1.0, end=3.0, thread=0).duration
    2.0
    """

    task: int
    start: float
    end: float
    thread: int

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class TimingRun:
    """The result of :func:`run_tasks`: one record per task, and the total
    time from the start of the run until every task had finished.

    >>> run = run_tasks(2, 1.0, "sequential")
    >>> run.total, run.threads, run.throughput
    (2.0, 1, 1.0)
    """

    strategy: str
    work: str
    n: int
    latency: float
    virtual: bool
    records: tuple[TaskRecord, ...]
    total: float

    @property
    def threads(self) -> int:
        """How many threads ran the tasks."""
        return len({record.thread for record in self.records})

    @property
    def throughput(self) -> float:
        """Tasks finished per second (``inf`` if the run took no time)."""
        return self.n / self.total if self.total > 0 else float("inf")

    @property
    def mean_response(self) -> float:
        """Mean time from the start of the run until a task finished: how long,
        on average, whoever asked for a task waited for its result."""
        return sum(record.end for record in self.records) / self.n


class _Recorder:
    """Collects records from any thread and numbers threads by first use."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.origin = clock.now()
        self._lock = threading.Lock()
        self._threads: dict[int, int] = {}
        self.records: list[TaskRecord] = []

    def elapsed(self) -> float:
        return self.clock.now() - self.origin

    def add(self, task: int, start: float, end: float) -> None:
        with self._lock:
            thread = self._threads.setdefault(threading.get_ident(), len(self._threads))
            self.records.append(TaskRecord(task, start, end, thread))


def _busy(clock: Clock, seconds: float) -> None:
    """Keep this thread computing for ``seconds``: on a virtual clock time just
    moves on (nothing else runs meanwhile); on a real one the thread spins until
    it has used that much CPU time of its own, so threads sharing the GIL take
    turns instead of all finishing together."""
    if isinstance(clock, VirtualClock):
        clock.advance(seconds)
        return
    stop = time.thread_time() + seconds
    while time.thread_time() < stop:
        pass


def _blocking_task(recorder: _Recorder, task: int, latency: float, work: str) -> None:
    start = recorder.elapsed()
    if work == "wait":
        recorder.clock.sleep(latency)
    else:
        _busy(recorder.clock, latency)
    recorder.add(task, start, recorder.elapsed())


def _run_sequential(recorder: _Recorder, n: int, latency: float, work: str) -> None:
    for task in range(n):
        _blocking_task(recorder, task, latency, work)


def _run_asyncio(recorder: _Recorder, n: int, latency: float, work: str) -> None:
    async def one(task: int) -> None:
        start = recorder.elapsed()
        if work == "wait":
            await asyncio.sleep(latency)
        else:
            _busy(recorder.clock, latency)  # no await inside: the loop can run nothing else meanwhile
        recorder.add(task, start, recorder.elapsed())

    async def main() -> None:
        await asyncio.gather(*(one(task) for task in range(n)))

    recorder.clock.run(main())


def _run_threads(recorder: _Recorder, n: int, latency: float, work: str) -> None:
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(_blocking_task, recorder, task, latency, work) for task in range(n)]
    for future in futures:
        future.result()


_RUNNERS: dict[str, Callable[[_Recorder, int, float, str], None]] = {
    "sequential": _run_sequential,
    "asyncio": _run_asyncio,
    "threads": _run_threads,
}


def _choice(value: Any, what: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, one of {', '.join(map(repr, choices))}; got {value!r}")
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}: choose one of {', '.join(map(repr, choices))}")
    return value


def run_tasks(n: int, latency: float, strategy: str, clock: Clock | None = None, *, work: str = "wait") -> TimingRun:
    """Run ``n`` tasks of ``latency`` seconds each with ``strategy`` and record
    when each started and ended.

    ``clock`` defaults to a fresh :class:`~asyncomm.VirtualClock` (exact,
    instant); pass ``ac.RealClock()`` to measure for real. ``work`` is
    ``"wait"`` (the task waits, e.g. for a reply) or ``"cpu"`` (it computes).

    >>> run_tasks(4, 0.5, "asyncio", work="cpu").total   # computing does not overlap
    2.0
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"n must be an int number of tasks, got {n!r} ({type(n).__name__})")
    if n < 1:
        raise ValueError(f"n must be at least 1 task, got {n}")
    latency = check_seconds(latency, "latency")
    strategy = _choice(strategy, "strategy", STRATEGIES)
    work = _choice(work, "work", WORKS)
    if clock is None:
        clock = VirtualClock()
    elif not isinstance(clock, Clock):
        raise TypeError(f"clock must be an asyncomm clock (ac.VirtualClock() or ac.RealClock()), got {clock!r}")
    if strategy == "threads" and clock.is_virtual:
        raise ValueError("the 'threads' strategy runs real threads, whose start times depend on the operating "
                         "system: pass clock=ac.RealClock()")
    recorder = _Recorder(clock)
    _RUNNERS[strategy](recorder, n, latency, work)
    total = recorder.elapsed()
    records = tuple(sorted(recorder.records, key=lambda record: record.task))
    return TimingRun(strategy, work, n, latency, clock.is_virtual, records, total)


def to_frame(runs: TimingRun | Iterable[TimingRun]):  # type: ignore[no-untyped-def]
    """One row per task of each run: ``strategy``, ``work``, ``task``,
    ``start``, ``end``, ``duration``, ``thread`` (a pandas DataFrame).

    >>> to_frame(run_tasks(2, 1.0, "sequential"))[["task", "start", "end", "thread"]]
       task  start  end  thread
    0     0    0.0  1.0       0
    1     1    1.0  2.0       0
    """
    import pandas as pd  # deferred: pandas is heavy and only views need it

    runs = [runs] if isinstance(runs, TimingRun) else list(runs)
    rows = [(run.strategy, run.work, r.task, r.start, r.end, r.duration, r.thread) for run in runs for r in run.records]
    return pd.DataFrame(rows, columns=["strategy", "work", "task", "start", "end", "duration", "thread"])


def summary(runs: TimingRun | Iterable[TimingRun]):  # type: ignore[no-untyped-def]
    """One row per run: ``strategy``, ``work``, ``tasks``, ``latency``,
    ``total``, ``throughput`` (tasks/s), ``mean_response`` (s) and ``threads``.

    >>> summary([run_tasks(4, 1.0, s) for s in ("sequential", "asyncio")])[["strategy", "total"]]
         strategy  total
    0  sequential    4.0
    1     asyncio    1.0
    """
    import pandas as pd

    runs = [runs] if isinstance(runs, TimingRun) else list(runs)
    rows = [(run.strategy, run.work, run.n, run.latency, run.total, run.throughput, run.mean_response, run.threads)
            for run in runs]
    return pd.DataFrame(rows, columns=["strategy", "work", "tasks", "latency", "total", "throughput",
                                       "mean_response", "threads"])
