"""The timing lab: run ``n`` identical tasks one way or another and record when each ran.

Each task either *waits* (``work="wait"``: a reply from a network, a disk, a
person) or *computes* (``work="cpu"``: keeps a core busy) for ``latency``
seconds. The strategies:

* ``"sequential"``: plain synchronous code, one task after the other;
* ``"asyncio"``: one coroutine per task on one event loop, started together;
* ``"threads"``: a thread pool of ``workers`` threads (default: one per task);
* ``"processes"``: a process pool of ``workers`` processes (default on the real
  clock: one per CPU core). Starting the processes is part of the run: see
  :attr:`TimingRun.startup`.

On a :class:`~asyncomm.VirtualClock` (the default) the results are the exact
model and take no real time. Sequential and asyncio code really runs, on the
virtual clock. Threads and processes are *modelled*, not run, because real
threads start whenever the operating system lets them: ``k`` workers take the
tasks in order, each as soon as it is free; a process has a core of its own;
threads that compute share one core (CPython's global interpreter lock), taking
turns so finely that they progress together. On a :class:`~asyncomm.RealClock`
every strategy runs for real and the results are a measurement. (Worker processes
are started with ``spawn``: each imports the main script again, so in a script
call the lab under ``if __name__ == "__main__":``, as multiprocessing requires.)

>>> run = run_tasks(3, 2.0, "asyncio")
>>> run.total, [(r.start, r.end) for r in run.records]
(2.0, [(0.0, 2.0), (0.0, 2.0), (0.0, 2.0)])
>>> run_tasks(3, 2.0, "sequential").total, run_tasks(3, 2.0, "processes", workers=2).total
(6.0, 4.0)
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncomm._checks import check_int, check_seconds
from asyncomm._lazy import requires_extra
from asyncomm.clock import Clock, VirtualClock

__all__ = [
    "POOLS",
    "STRATEGIES",
    "WORKS",
    "TaskRecord",
    "TimingRun",
    "compare",
    "from_frame",
    "model_total",
    "read_csv",
    "run_tasks",
    "side_by_side",
    "speedups",
    "summary",
    "sweep",
    "to_frame",
    "write_csv",
]

STRATEGIES = ("sequential", "asyncio", "threads", "processes")
POOLS = ("threads", "processes")
WORKS = ("wait", "cpu")

Progress = Callable[[int, int, "TimingRun"], None]


@dataclass(frozen=True)
class TaskRecord:
    """When one task ran, in seconds from the start of the run, and which
    worker ran it: the thread or process, numbered ``0``, ``1``, ... in the
    order they started their first task.

    >>> TaskRecord(task=0, start=1.0, end=3.0, worker=0).duration
    2.0
    """

    task: int
    start: float
    end: float
    worker: int

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class TimingRun:
    """The result of :func:`run_tasks`: one record per task, and the total
    time from the start of the run until every task had finished (and, for
    pools, until the pool had shut down). ``workers`` is the pool size: 1 for
    ``"sequential"`` and ``"asyncio"``, which run every task on one thread.

    >>> run = run_tasks(2, 1.0, "sequential")
    >>> run.total, run.workers, run.throughput
    (2.0, 1, 1.0)
    """

    strategy: str
    work: str
    n: int
    latency: float
    virtual: bool
    records: tuple[TaskRecord, ...]
    total: float
    workers: int = 1

    @property
    def workers_used(self) -> int:
        """How many distinct threads or processes actually ran a task."""
        return len({record.worker for record in self.records})

    @property
    def startup(self) -> float:
        """Seconds from the start of the run until the first task started: the
        cost of creating the threads, the event loop or - mostly - the processes."""
        return min(record.start for record in self.records)

    @property
    def throughput(self) -> float:
        """Tasks finished per second (``inf`` if the run took no time)."""
        return self.n / self.total if self.total > 0 else float("inf")

    @property
    def mean_response(self) -> float:
        """Mean time from the start of the run until a task finished: how long,
        on average, whoever asked for a task waited for its result."""
        return sum(record.end for record in self.records) / self.n

    @property
    def model(self) -> float:
        """What :func:`model_total` predicts for this run."""
        return model_total(
            self.n,
            self.latency,
            self.strategy,
            work=self.work,
            workers=self.workers if self.strategy in POOLS else None,
        )


# --- checks ----------------------------------------------------------------------------------------------------


def _choice(value: Any, what: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, one of {', '.join(map(repr, choices))}; got {value!r}")
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}: choose one of {', '.join(map(repr, choices))}")
    return value


def _count(value: Any, what: str, unit: str) -> int:
    return check_int(value, what, minimum=1, meaning=f" (a number of {unit}s)")


def _pool_size(strategy: str, n: int, workers: Any, virtual: bool) -> int:
    if strategy not in POOLS:
        if workers is not None:
            raise ValueError(
                f"workers= is for the 'threads' and 'processes' strategies; {strategy!r} runs every task on one thread"
            )
        return 1
    if workers is not None:
        return _count(workers, "workers", "worker")
    if strategy == "threads":
        return n
    if virtual:
        raise ValueError(
            "the 'processes' model needs workers=, the number of processes (each with a core of its "
            "own), e.g. workers=4; only on the real clock does it default to one per CPU core"
        )
    return min(n, os.cpu_count() or 1)


# --- the model -------------------------------------------------------------------------------------------------


def model_total(n: int, latency: float, strategy: str, *, work: str = "wait", workers: int | None = None) -> float:
    """Seconds until ``n`` tasks of ``latency`` seconds have all finished, by
    the model the virtual clock follows: waits add up sequentially and overlap
    with asyncio; a pool of ``k`` workers runs ``ceil(n / k)`` rounds; computing
    overlaps only on processes (threads share one core under the GIL).

    >>> model_total(10, 1.0, "threads", workers=4), model_total(10, 1.0, "threads", work="cpu", workers=4)
    (3.0, 10.0)
    """
    n = _count(n, "n", "task")
    latency = check_seconds(latency, "latency")
    strategy = _choice(strategy, "strategy", STRATEGIES)
    work = _choice(work, "work", WORKS)
    k = _pool_size(strategy, n, workers, virtual=True)
    overlaps = strategy == "processes" or (work == "wait" and strategy != "sequential")
    if not overlaps:
        return n * latency
    if strategy == "asyncio":
        return latency
    return math.ceil(n / k) * latency


# --- running ---------------------------------------------------------------------------------------------------


class _Recorder:
    """Collects records from any thread; workers are numbered at the end."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.origin = clock.now()
        self.monotonic_origin = time.monotonic()  # for times taken in other processes
        self._lock = threading.Lock()
        self._raw: list[tuple[int, float, float, object]] = []

    def elapsed(self) -> float:
        return self.clock.now() - self.origin

    def add(self, task: int, start: float, end: float, worker: object = None) -> None:
        with self._lock:
            self._raw.append((task, start, end, threading.get_ident() if worker is None else worker))

    def records(self) -> tuple[TaskRecord, ...]:
        numbers: dict[object, int] = {}
        for _, _, _, worker in sorted(self._raw, key=lambda raw: (raw[1], raw[0])):
            numbers.setdefault(worker, len(numbers))
        return tuple(
            sorted(
                (TaskRecord(task, start, end, numbers[worker]) for task, start, end, worker in self._raw),
                key=lambda record: record.task,
            )
        )


def _spin(seconds: float) -> None:
    # Counts this thread's own CPU time, so threads sharing the GIL take turns rather than all finishing together.
    stop = time.thread_time() + seconds
    while time.thread_time() < stop:
        pass


def _wait(clock: Clock, seconds: float) -> None:
    if isinstance(clock, VirtualClock):
        clock.advance(seconds)  # only this thread runs: no need to let the clock's autojump find out
    else:
        clock.sleep(seconds)


def _busy(clock: Clock, seconds: float) -> None:
    """Keep this thread computing for ``seconds``; on a virtual clock time just
    moves on, and nothing else runs meanwhile."""
    if isinstance(clock, VirtualClock):
        clock.advance(seconds)
    else:
        _spin(seconds)


def _blocking_task(recorder: _Recorder, task: int, latency: float, work: str) -> None:
    start = recorder.elapsed()
    (_wait if work == "wait" else _busy)(recorder.clock, latency)
    recorder.add(task, start, recorder.elapsed())


def _process_task(task: int, latency: float, work: str) -> tuple[int, float, float, int]:
    """Runs in a worker process (so it lives at module level: it is pickled by name)."""
    start = time.monotonic()
    if work == "wait":
        time.sleep(latency)
    else:
        _spin(latency)
    return task, start, time.monotonic(), os.getpid()


def _run_sequential(recorder: _Recorder, n: int, latency: float, work: str, workers: int) -> None:
    for task in range(n):
        _blocking_task(recorder, task, latency, work)


def _run_asyncio(recorder: _Recorder, n: int, latency: float, work: str, workers: int) -> None:
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


def _run_threads(recorder: _Recorder, n: int, latency: float, work: str, workers: int) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_blocking_task, recorder, task, latency, work) for task in range(n)]
    for future in futures:
        future.result()


def _run_processes(recorder: _Recorder, n: int, latency: float, work: str, workers: int) -> None:
    # "spawn" everywhere: a fresh interpreter per worker, as Windows and macOS do by default, and no fork() of a
    # process that has threads (a Jupyter kernel has several). It costs tens of milliseconds per process; the
    # run reports it as its startup time.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_process_task, task, latency, work) for task in range(n)]
        results = [future.result() for future in futures]
    # time.monotonic() is one system-wide clock, so the workers' readings line up with ours.
    origin = recorder.monotonic_origin
    for task, start, end, pid in results:
        recorder.add(task, start - origin, end - origin, pid)


def _model_pool(recorder: _Recorder, n: int, latency: float, work: str, workers: int, strategy: str) -> None:
    # Round r of the pool runs tasks r*k ... r*k+k-1, one per worker. Threads that compute share one core, so a
    # round of m of them lasts m * latency and they all finish together at its end.
    shared_core = strategy == "threads" and work == "cpu"
    end = 0.0
    for task in range(n):
        round_, worker = divmod(task, workers)
        if shared_core:
            first = round_ * workers
            start, end = first * latency, (first + min(workers, n - first)) * latency
        else:
            start, end = round_ * latency, (round_ + 1) * latency
        recorder.add(task, start, end, worker)
    assert isinstance(recorder.clock, VirtualClock)  # only virtual runs are modelled
    recorder.clock.advance(end)


_RUNNERS: dict[str, Callable[[_Recorder, int, float, str, int], None]] = {
    "sequential": _run_sequential,
    "asyncio": _run_asyncio,
    "threads": _run_threads,
    "processes": _run_processes,
}


def _check_clock(clock: Any) -> Clock:
    if clock is None:
        return VirtualClock()
    if not isinstance(clock, Clock):
        raise TypeError(f"clock must be an asyncomm clock (ac.VirtualClock() or ac.RealClock()), got {clock!r}")
    return clock


def run_tasks(
    n: int, latency: float, strategy: str, clock: Clock | None = None, *, work: str = "wait", workers: int | None = None
) -> TimingRun:
    """Run ``n`` tasks of ``latency`` seconds each with ``strategy`` and record
    when each started and ended, and on which worker.

    ``clock`` defaults to a fresh :class:`~asyncomm.VirtualClock` (exact,
    instant); pass ``ac.RealClock()`` to measure for real. ``work`` is
    ``"wait"`` (the task waits, e.g. for a reply) or ``"cpu"`` (it computes).
    ``workers`` sizes the pool of ``"threads"`` (default: one per task) or
    ``"processes"`` (default on the real clock: one per CPU core; the virtual
    clock's model needs it said, so results do not depend on the machine).

    >>> run_tasks(4, 0.5, "asyncio", work="cpu").total   # computing does not overlap
    2.0
    >>> [(r.task, r.start, r.worker) for r in run_tasks(3, 1.0, "threads", workers=2).records]
    [(0, 0.0, 0), (1, 0.0, 1), (2, 1.0, 0)]
    """
    n = _count(n, "n", "task")
    latency = check_seconds(latency, "latency")
    strategy = _choice(strategy, "strategy", STRATEGIES)
    work = _choice(work, "work", WORKS)
    clock = _check_clock(clock)
    k = _pool_size(strategy, n, workers, clock.is_virtual)
    recorder = _Recorder(clock)
    if clock.is_virtual and strategy in POOLS:
        _model_pool(recorder, n, latency, work, k, strategy)
    else:
        _RUNNERS[strategy](recorder, n, latency, work, k)
    total = recorder.elapsed()
    return TimingRun(strategy, work, n, latency, clock.is_virtual, recorder.records(), total, k)


def sweep(
    ns: Iterable[int],
    latency: float,
    *,
    strategies: Iterable[str] = STRATEGIES,
    clock: Clock | None = None,
    work: str = "wait",
    threads: int | None = None,
    processes: int | None = None,
    progress: Progress | None = None,
) -> list[TimingRun]:
    """One run per number of tasks in ``ns`` and per strategy, in that order.

    ``threads`` and ``processes`` size the pools (see :func:`run_tasks`).
    ``clock=None`` gives each run a fresh virtual clock. ``progress(done,
    count, run)`` is called after each run. Every argument is checked before
    anything runs.

    >>> [(r.strategy, r.n, r.total) for r in sweep([1, 4], 1.0, strategies=["sequential", "threads"], threads=2)]
    [('sequential', 1, 1.0), ('threads', 1, 1.0), ('sequential', 4, 4.0), ('threads', 4, 2.0)]
    """
    ns = [_count(n, "n", "task") for n in ns]
    strategies = [_choice(strategy, "strategy", STRATEGIES) for strategy in strategies]
    latency = check_seconds(latency, "latency")
    work = _choice(work, "work", WORKS)
    clock = _check_clock(clock) if clock is not None else None
    virtual = clock is None or clock.is_virtual
    sizes = {"threads": threads, "processes": processes}
    plan = [(n, strategy) for n in ns for strategy in strategies]
    for n, strategy in plan:
        _pool_size(strategy, n, sizes.get(strategy), virtual)
    runs = []
    for done, (n, strategy) in enumerate(plan, start=1):
        runs.append(run_tasks(n, latency, strategy, clock, work=work, workers=sizes.get(strategy)))
        if progress is not None:
            progress(done, len(plan), runs[-1])
    return runs


def compare(n: int, latency: float, **options: Any) -> list[TimingRun]:
    """The same ``n`` tasks run once per strategy: ``sweep([n], latency, **options)``.

    >>> [(r.strategy, r.total) for r in compare(8, 0.5, processes=2)]
    [('sequential', 4.0), ('asyncio', 0.5), ('threads', 0.5), ('processes', 2.0)]
    """
    return sweep([n], latency, **options)


# --- tables ----------------------------------------------------------------------------------------------------

_RUNS = TimingRun | Iterable[TimingRun]
_COLUMNS = [
    "run",
    "strategy",
    "work",
    "tasks",
    "latency",
    "workers",
    "clock",
    "total",
    "task",
    "start",
    "end",
    "duration",
    "worker",
]


def _listed(runs: _RUNS) -> list[TimingRun]:
    return [runs] if isinstance(runs, TimingRun) else list(runs)


def to_frame(runs: _RUNS):  # type: ignore[no-untyped-def]
    """One row per task of each run (a pandas DataFrame): the run's number,
    ``strategy``, ``work``, ``tasks``, ``latency``, ``workers``, ``clock``
    and ``total``, then the task's ``task``, ``start``, ``end``, ``duration``
    and ``worker``. :func:`from_frame` turns it back into runs.

    >>> to_frame(run_tasks(2, 1.0, "sequential"))[["strategy", "task", "start", "end", "worker"]]
         strategy  task  start  end  worker
    0  sequential     0    0.0  1.0       0
    1  sequential     1    1.0  2.0       0
    """
    with requires_extra():  # deferred: pandas is heavy and only tables and views need it
        import pandas as pd

    rows = [
        (
            number,
            run.strategy,
            run.work,
            run.n,
            run.latency,
            run.workers,
            "virtual" if run.virtual else "real",
            run.total,
            r.task,
            r.start,
            r.end,
            r.duration,
            r.worker,
        )
        for number, run in enumerate(_listed(runs))
        for r in run.records
    ]
    return pd.DataFrame(rows, columns=_COLUMNS)


def from_frame(frame: Any) -> list[TimingRun]:
    """The runs back from a :func:`to_frame` table (for instance read from a CSV file).

    >>> runs = compare(2, 1.0, processes=1)
    >>> from_frame(to_frame(runs)) == runs
    True
    """
    missing = [column for column in _COLUMNS if column not in getattr(frame, "columns", ())]
    if missing:
        raise ValueError(
            f"not a timing table: missing column(s) {', '.join(missing)}; make one with "
            f"asyncomm.labs.timing.to_frame(runs)"
        )
    runs = []
    for _, rows in frame.groupby("run", sort=True):
        first = rows.iloc[0]
        records = tuple(
            sorted(
                (TaskRecord(int(r.task), float(r.start), float(r.end), int(r.worker)) for r in rows.itertuples()),
                key=lambda record: record.task,
            )
        )
        runs.append(
            TimingRun(
                str(first.strategy),
                str(first.work),
                int(first.tasks),
                float(first.latency),
                first.clock == "virtual",
                records,
                float(first.total),
                int(first.workers),
            )
        )
    return runs


def write_csv(runs: _RUNS, path: str | Path, *, decimals: int | None = None) -> Path:
    """Write :func:`to_frame` of ``runs`` to a CSV file and return its path.
    Times are kept exactly, or rounded to ``decimals`` places (6: microseconds).

    >>> import pathlib, tempfile
    >>> path = write_csv([run_tasks(3, 1.0, "asyncio")], pathlib.Path(tempfile.mkdtemp()) / "mine.csv")
    >>> [(run.strategy, run.total) for run in read_csv(path)]
    [('asyncio', 1.0)]
    """
    path = Path(path)
    frame = to_frame(runs)
    if decimals is not None:
        frame = frame.round({column: decimals for column in ("total", "start", "end", "duration")})
    frame.to_csv(path, index=False)
    return path


def read_csv(path: str | Path) -> list[TimingRun]:
    """The runs saved by :func:`write_csv`, e.g. the course's reference run (measured on a real clock).

    >>> from asyncomm.course.locator import data_path
    >>> sorted({run.strategy for run in read_csv(data_path("reference_timing.csv"))})
    ['asyncio', 'processes', 'sequential', 'threads']
    """
    with requires_extra():
        import pandas as pd

    return from_frame(pd.read_csv(path))


def summary(runs: _RUNS):  # type: ignore[no-untyped-def]
    """One row per run: ``strategy``, ``work``, ``tasks``, ``latency``,
    ``workers``, ``total``, ``startup`` (s until the first task started),
    ``throughput`` (tasks/s) and ``mean_response`` (s).

    >>> summary([run_tasks(4, 1.0, s) for s in ("sequential", "asyncio")])[["strategy", "workers", "total"]]
         strategy  workers  total
    0  sequential        1    4.0
    1     asyncio        1    1.0
    """
    with requires_extra():
        import pandas as pd

    rows = [
        (
            run.strategy,
            run.work,
            run.n,
            run.latency,
            run.workers,
            run.total,
            run.startup,
            run.throughput,
            run.mean_response,
        )
        for run in _listed(runs)
    ]
    return pd.DataFrame(
        rows,
        columns=["strategy", "work", "tasks", "latency", "workers", "total", "startup", "throughput", "mean_response"],
    )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def speedups(runs: _RUNS):  # type: ignore[no-untyped-def]
    """One row per run: its ``total``, its ``speedup`` (the total of the
    sequential run of the same tasks, divided by this run's) and the
    ``model_speedup`` that :func:`model_total` predicts. Needs a sequential
    run for each set of tasks.

    >>> speedups(compare(8, 0.5, processes=2))[["strategy", "total", "speedup", "model_speedup"]]
         strategy  total  speedup  model_speedup
    0  sequential    4.0      1.0            1.0
    1     asyncio    0.5      8.0            8.0
    2     threads    0.5      8.0            8.0
    3   processes    2.0      2.0            2.0
    """
    with requires_extra():
        import pandas as pd

    runs = _listed(runs)
    baseline = {(run.work, run.n, run.latency): run for run in runs if run.strategy == "sequential"}
    rows = []
    for run in runs:
        sequential = baseline.get((run.work, run.n, run.latency))
        if sequential is None:
            raise ValueError(
                f"no 'sequential' run of {run.n} task(s) of {run.latency:g} s ({run.work}) to compare "
                f"the {run.strategy!r} run with: include 'sequential' in the strategies"
            )
        rows.append(
            (
                run.strategy,
                run.work,
                run.n,
                run.latency,
                run.workers,
                run.total,
                _ratio(sequential.total, run.total),
                _ratio(sequential.model, run.model),
            )
        )
    return pd.DataFrame(
        rows, columns=["strategy", "work", "tasks", "latency", "workers", "total", "speedup", "model_speedup"]
    )


def side_by_side(named: Mapping[str, _RUNS]):  # type: ignore[no-untyped-def]
    """Compare runs of the same tasks made in different places (say, the
    course's reference machine and yours): one row per strategy, work and
    number of tasks they share, with ``total`` and ``speedup`` of each.

    >>> table = side_by_side({"model": compare(4, 1.0, processes=2), "bigger": compare(4, 1.0, processes=4)})
    >>> table[["strategy", "model speedup", "bigger speedup"]]
         strategy  model speedup  bigger speedup
    0  sequential            1.0             1.0
    1     asyncio            4.0             4.0
    2     threads            4.0             4.0
    3   processes            2.0             4.0
    """
    keys = ["strategy", "work", "tasks", "latency"]
    merged = None
    for name, runs in named.items():
        table = speedups(runs)[[*keys, "total", "speedup"]].rename(
            columns={"total": f"{name} total", "speedup": f"{name} speedup"}
        )
        merged = table if merged is None else merged.merge(table, on=keys, how="inner")
    if merged is None or merged.empty:
        raise ValueError("the runs have no strategy, work, tasks and latency in common to compare")
    return merged.reset_index(drop=True)
