"""Time asyncomm's hot paths against the standard library, pyee and blinker.

Run ``python benchmarks/bench_core.py`` (15-20 s on an idle machine) or add ``--quick`` for a smoke run of
about a second. It prints a Markdown table, ready to paste into ``benchmarks/README.md``, and a one-line summary.

What is timed (``ns/op`` is one send+receive pair, one message, or one trigger):

* ``MessageQueue`` send+receive in one thread vs ``queue.Queue`` put+get and ``collections.deque``
  append+popleft (the floor: no lock, no checks);
* two threads, producer and consumer, on a bounded queue (``maxsize=100``) vs ``queue.Queue``;
* ``AsyncMessageQueue`` send+receive in one task, and producer/consumer tasks on a bounded queue, vs
  ``asyncio.Queue``, on a plain ``asyncio`` event loop;
* ``EventBus.trigger`` with 1 and 10 listeners vs ``pyee.EventEmitter.emit``, ``blinker.Signal.send`` and a
  plain loop over a list of functions (the floor);
* each asyncomm case again with ``trace=ac.Trace()`` (the trace is checked to hold the expected rows, then
  cleared after every run so memory stays flat).

Method: ``time.perf_counter`` around each run of a few milliseconds; every contender is warmed up, then run
``repeats`` times, the order of contenders reversed on every other repeat so drift hits all of them alike. The
``ns/op`` columns are the fastest run (noise only ever adds time). The ratio is the median, over repeats, of
the ratio of the two runs of the same repeat: on a shared 2-core machine a neighbour process can halve our
speed for seconds, and a ratio of two minima taken at different moments then swings by up to 2x, while runs
timed next to each other slow down together. The garbage collector stays on (tracing allocates rows, and
collecting them is part of what tracing costs) but a full collection runs before each run.

What "tracing off costs" means here: with ``trace=None`` the only tracing code left on the hot path is the test
``if self.trace is not None`` (one per send, one per receive, one per trigger; ``self.clock`` and the row are
only touched when tracing is on). Timing a copy of the hot path without that test is overkill, so the script
times the test itself -- the same bytecode on a real queue or bus object, minus the same loop without it,
interleaved with the case it belongs to -- and reports (tests per operation x cost of one test) / (time of the
operation with tracing off). That share is what the target "< 5 %" is judged on, for the one-thread, one-task
and trigger cases (with two threads or two tasks an operation costs more, so the share is smaller). For context
the table also shows trace-off time vs the floor (what the whole hot path costs over a bare deque or loop) and
trace-on vs trace-off (what recording a row costs).

Importing this module runs nothing; ``main()`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import platform
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from statistics import median
from time import perf_counter
from typing import Any

import blinker
from pyee import EventEmitter

import asyncomm as ac

#: A contender: ``run(n)`` does ``n`` operations and returns the seconds they took.
Run = Callable[[int], float]


@dataclass(frozen=True)
class Sizes:
    """Operations per run, for each kind of benchmark, and how often each run is repeated."""

    single: int  # send+receive pairs in one thread / task
    threaded: int  # messages through two threads
    tasks: int  # messages through two asyncio tasks
    triggers: int  # triggers of one event
    repeats: int
    # Two threads on a shared 2-core machine are bimodal (fast when the OS keeps them apart, about twice as slow
    # otherwise): more runs make it likely that every contender gets a fast one.
    threaded_repeats: int


# Many short runs (a few ms each) rather than a few long ones: on a machine shared with busy processes a 20 ms
# run is almost always cut by someone else's time slice, a 4 ms one often is not.
FULL = Sizes(single=10_000, threaded=100_000, tasks=10_000, triggers=10_000, repeats=20, threaded_repeats=10)
QUICK = Sizes(single=2_000, threaded=10_000, tasks=2_000, triggers=2_000, repeats=3, threaded_repeats=3)
BOUND = 100  # maxsize of the bounded queues


def _expect(condition: bool, what: str) -> None:
    # Not `assert`: a benchmark that silently measured the wrong thing under `python -O` is worse than none.
    if not condition:
        raise RuntimeError(f"benchmark sanity check failed: {what}")


def _settle_trace(trace: ac.Trace | None, rows: int) -> None:
    """Check that tracing really was on (the run recorded ``rows`` rows), then empty the trace."""
    if trace is not None:
        _expect(len(trace) == rows, f"trace has {len(trace)} rows, expected {rows}")
        trace.clear()


class Timings:
    """Seconds per operation of each contender, one value per repeat (in the order the repeats ran)."""

    def __init__(self, runs: dict[str, list[float]]) -> None:
        self.runs = runs

    def best(self, name: str) -> float:
        """The fastest run: noise only ever adds time."""
        return min(self.runs[name])

    def ratio(self, ours: str, theirs: str) -> float:
        """Median over repeats of ours / theirs, each pair timed next to each other.

        A neighbour process that slows the whole machine for a second or two hits both runs of a pair, so this
        holds steadier than best(ours) / best(theirs), which compares runs from different moments.
        """
        return median(a / b for a, b in zip(self.runs[ours], self.runs[theirs], strict=True))

    def test_cost(self) -> float:
        """Seconds of one tracing test (from the :func:`tracing_test` contenders), fastest runs."""
        return max(0.0, self.best("test") - self.best("loop")) / TESTS

    def test_share(self, tests: int, of: str) -> float:
        """Median over repeats of (``tests`` tracing tests) / (one operation of ``of``)."""
        return median(
            tests * max(0.0, test - loop) / TESTS / op
            for test, loop, op in zip(self.runs["test"], self.runs["loop"], self.runs[of], strict=True)
        )


def measure(contenders: dict[str, Run], n: int, repeats: int) -> Timings:
    """Time ``repeats`` runs of ``n`` operations of each contender, after a warm-up run.

    >>> t = measure({"a": lambda n: 0.5, "b": lambda n: 1.0}, n=10, repeats=3)
    >>> t.best("a"), t.ratio("a", "b")
    (0.05, 0.5)
    """
    names = list(contenders)
    for name in names:  # warm up: imports, caches, the interpreter's specialised bytecode
        contenders[name](max(1, n // 10))
    runs: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            gc.collect()
            runs[name].append(contenders[name](n) / n)
    return Timings(runs)


# -- one thread ----------------------------------------------------------------------------------------
def single_message_queue(trace: ac.Trace | None) -> Run:
    def run(n: int) -> float:
        q = ac.MessageQueue(trace=trace)
        send, receive = q.send, q.receive
        start = perf_counter()
        for i in range(n):
            send(i)
            receive()
        elapsed = perf_counter() - start
        _settle_trace(trace, 2 * n)
        return elapsed

    return run


def single_stdlib_queue(n: int) -> float:
    q: queue.Queue[int] = queue.Queue()
    put, get = q.put, q.get
    start = perf_counter()
    for i in range(n):
        put(i)
        get()
    return perf_counter() - start


def single_deque(n: int) -> float:
    q: collections.deque[int] = collections.deque()
    append, popleft = q.append, q.popleft
    start = perf_counter()
    for i in range(n):
        append(i)
        popleft()
    return perf_counter() - start


# -- two threads ---------------------------------------------------------------------------------------
def _threaded(q: Any, put: Callable[[Any], None], get: Callable[[], Any], n: int) -> float:
    """Producer thread -> bounded queue -> consumer (this thread); ``None`` ends the stream."""

    def produce() -> None:
        for i in range(n):
            put(i)
        put(None)

    received = 0
    producer = threading.Thread(target=produce)
    start = perf_counter()
    producer.start()
    while get() is not None:
        received += 1
    producer.join()
    elapsed = perf_counter() - start
    _expect(received == n, f"consumer got {received} of {n} messages")
    return elapsed


def threaded_message_queue(trace: ac.Trace | None) -> Run:
    def run(n: int) -> float:
        q = ac.MessageQueue(BOUND, trace=trace)
        elapsed = _threaded(q, q.send, q.receive, n)
        _settle_trace(trace, 2 * (n + 1))
        return elapsed

    return run


def threaded_stdlib_queue(n: int) -> float:
    q: queue.Queue[int | None] = queue.Queue(BOUND)
    return _threaded(q, q.put, q.get, n)


# -- asyncio -------------------------------------------------------------------------------------------
def _single_task(loop: asyncio.AbstractEventLoop, make: Callable[[], Any], put: str, get: str) -> Run:
    async def body(n: int) -> float:
        q = make()
        send, receive = getattr(q, put), getattr(q, get)
        start = perf_counter()
        for i in range(n):
            await send(i)
            await receive()
        return perf_counter() - start

    return lambda n: loop.run_until_complete(body(n))


def _two_tasks(loop: asyncio.AbstractEventLoop, make: Callable[[], Any], put: str, get: str) -> Run:
    async def body(n: int) -> float:
        q = make()
        send, receive = getattr(q, put), getattr(q, get)

        async def produce() -> None:
            for i in range(n):
                await send(i)
            await send(None)

        async def consume() -> int:
            received = 0
            while (await receive()) is not None:
                received += 1
            return received

        start = perf_counter()
        _, received = await asyncio.gather(produce(), consume())
        elapsed = perf_counter() - start
        _expect(received == n, f"consumer task got {received} of {n} messages")
        return elapsed

    return lambda n: loop.run_until_complete(body(n))


def single_async_queue(loop: asyncio.AbstractEventLoop, trace: ac.Trace | None) -> Run:
    timed = _single_task(loop, lambda: ac.AsyncMessageQueue(trace=trace), "send", "receive")

    def run(n: int) -> float:
        elapsed = timed(n)
        _settle_trace(trace, 2 * n)
        return elapsed

    return run


def tasks_async_queue(loop: asyncio.AbstractEventLoop, trace: ac.Trace | None) -> Run:
    timed = _two_tasks(loop, lambda: ac.AsyncMessageQueue(BOUND, trace=trace), "send", "receive")

    def run(n: int) -> float:
        elapsed = timed(n)
        _settle_trace(trace, 2 * (n + 1))
        return elapsed

    return run


# -- events --------------------------------------------------------------------------------------------
def _listeners(k: int) -> list[Callable[[Any], None]]:
    # Distinct functions: pyee and blinker keep one registration per function.
    def make() -> Callable[[Any], None]:
        def listener(x: Any) -> None:
            return None

        return listener

    return [make() for _ in range(k)]


def trigger_event_bus(k: int, trace: ac.Trace | None) -> Run:
    bus = ac.EventBus(trace=trace)
    for fn in _listeners(k):
        bus.register("tick", fn)
    _settle_trace(trace, k)  # the "register" rows

    def run(n: int) -> float:
        trigger = bus.trigger
        start = perf_counter()
        for i in range(n):
            trigger("tick", i)
        elapsed = perf_counter() - start
        _settle_trace(trace, n)
        return elapsed

    _expect(bus.trigger("tick", 0) == k, "EventBus did not run every listener")
    _settle_trace(trace, 1)
    return run


def trigger_pyee(k: int) -> Run:
    ee = EventEmitter()
    for fn in _listeners(k):
        ee.on("tick", fn)
    _expect(len(ee.listeners("tick")) == k, "pyee did not keep every listener")

    def run(n: int) -> float:
        emit = ee.emit
        start = perf_counter()
        for i in range(n):
            emit("tick", i)
        return perf_counter() - start

    return run


def trigger_blinker(k: int) -> Run:
    signal = blinker.Signal()
    for fn in _listeners(k):
        signal.connect(fn, weak=False)
    _expect(len(signal.send(0)) == k, "blinker did not call every receiver")

    def run(n: int) -> float:
        send = signal.send
        start = perf_counter()
        for i in range(n):
            send(i)
        return perf_counter() - start

    return run


def trigger_plain_loop(k: int) -> Run:
    listeners = _listeners(k)

    def emit(x: Any) -> None:
        for fn in listeners:
            fn(x)

    def run(n: int) -> float:
        start = perf_counter()
        for i in range(n):
            emit(i)
        return perf_counter() - start

    return run


# -- the cost of the tracing test when tracing is off ------------------------------------------------
TESTS = 4  # tests per loop iteration: enough to stand out of the timing noise
LOOPS = 10  # loop iterations per "operation", so a run lasts about as long as the others


def tracing_test(obj: Any) -> dict[str, Run]:
    """Two contenders whose difference is the time of ``TESTS`` x ``if self.trace is not None`` on ``obj``.

    They run inside the case's own ``measure`` call, interleaved with it, so machine drift hits the test and
    the operation it is compared with alike. The loops differ only by the tests, which read ``self.trace`` from
    a local ``self`` as a method does.
    """
    _expect(obj.trace is None, "the tracing test is timed with tracing off")

    def with_tests(n: int) -> float:
        self = obj
        start = perf_counter()
        for _ in range(LOOPS * n):
            if self.trace is not None:
                raise RuntimeError("tracing is on")
            if self.trace is not None:
                raise RuntimeError("tracing is on")
            if self.trace is not None:
                raise RuntimeError("tracing is on")
            if self.trace is not None:
                raise RuntimeError("tracing is on")
        return (perf_counter() - start) / LOOPS

    def without_tests(n: int) -> float:
        start = perf_counter()
        for _ in range(LOOPS * n):
            pass
        return (perf_counter() - start) / LOOPS

    return {"test": with_tests, "loop": without_tests}


# -- report --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One line of the table: ``ours`` vs ``theirs`` (seconds per operation), their ratio, maybe a target."""

    case: str
    ours: str
    theirs: str
    ours_s: float
    theirs_s: float
    ratio: float
    target: float | None = None
    aim: str = ""
    percent: bool = False  # the ratio is a share (tracing tests / operation), shown in %

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target

    def cells(self) -> list[str]:
        if self.percent:
            ratio = f"{100 * self.ratio:.1f} %"
            target = "" if self.target is None else f"< {100 * self.target:g} %"
        else:
            ratio = f"{self.ratio:.2f}x"
            target = "" if self.target is None else f"<= {self.target:g}x"
        if self.aim:
            target += f" (aim {self.aim})"
        met = {None: "", True: "met", False: "**missed**"}[self.met]
        return [self.case, self.ours, _ns(self.ours_s), self.theirs, _ns(self.theirs_s), ratio, target, met]


def compare(case: str, ours: str, theirs: str, t: Timings, a: str, b: str, **target: Any) -> Row:
    """The row comparing contender ``a`` (labelled ``ours``) with ``b`` (``theirs``)."""
    return Row(case, ours, theirs, t.best(a), t.best(b), t.ratio(a, b), **target)


def _ns(seconds: float) -> str:
    ns = 1e9 * seconds
    return f"{ns:.1f}" if ns < 100 else f"{ns:,.0f}"


HEADER = ["case", "asyncomm", "ns/op", "compared with", "ns/op", "ratio", "target", "result"]


def markdown(rows: list[Row]) -> str:
    table = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    numeric = {2, 4, 5}

    def fmt(line: list[str]) -> str:
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in numeric else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(HEADER), rule, *(fmt(line) for line in table[1:])])


def summary(rows: list[Row]) -> str:
    judged = [row for row in rows if row.met is not None]
    missed = [row for row in judged if not row.met]
    text = f"{len(judged) - len(missed)} of {len(judged)} targets met"
    if missed:
        text += "; missed: " + "; ".join(
            f"{row.case} vs {row.theirs} {row.cells()[5]} (target {row.cells()[6]})" for row in missed
        )
    return text


def _progress(what: str) -> None:
    print(f"  timing {what} ...", file=sys.stderr, flush=True)


def run_all(sizes: Sizes) -> list[Row]:
    """Time every case and return the table's rows."""
    reps = sizes.repeats
    traced = ac.Trace()
    rows: list[Row] = []

    def tracing_rows(case: str, t: Timings, tests: int) -> None:
        rows.append(compare(case, "trace on", "trace off", t, "on", "off"))
        rows.append(
            Row(
                case,
                f"tracing test x{tests}, off",
                "trace off",
                tests * t.test_cost(),
                t.best("off"),
                t.test_share(tests, "off"),
                target=0.05,
                percent=True,
            )
        )

    _progress("one thread: MessageQueue vs queue.Queue vs deque")
    t = measure(
        {
            "off": single_message_queue(None),
            "on": single_message_queue(traced),
            "queue": single_stdlib_queue,
            "deque": single_deque,
            **tracing_test(ac.MessageQueue()),
        },
        sizes.single,
        reps,
    )
    case = "MessageQueue send+receive, 1 thread"
    rows.append(compare(case, "trace off", "queue.Queue put+get", t, "off", "queue", target=1.0, aim="0.5x"))
    rows.append(compare(case, "trace off", "deque append+popleft (floor)", t, "off", "deque"))
    tracing_rows(case, t, 2)

    _progress(f"two threads, maxsize={BOUND}: MessageQueue vs queue.Queue")
    t = measure(
        {"off": threaded_message_queue(None), "on": threaded_message_queue(traced), "queue": threaded_stdlib_queue},
        sizes.threaded,
        sizes.threaded_repeats,
    )
    case = f"MessageQueue, 2 threads, maxsize={BOUND}"
    rows.append(compare(case, "trace off", "queue.Queue", t, "off", "queue", target=1.0, aim="0.5x"))
    rows.append(compare(case, "trace on", "trace off", t, "on", "off"))

    loop = asyncio.new_event_loop()
    try:
        _progress("one task: AsyncMessageQueue vs asyncio.Queue")
        t = measure(
            {
                "off": single_async_queue(loop, None),
                "on": single_async_queue(loop, traced),
                "asyncio": _single_task(loop, asyncio.Queue, "put", "get"),
                **tracing_test(ac.AsyncMessageQueue()),
            },
            sizes.single,
            reps,
        )
        case = "AsyncMessageQueue send+receive, 1 task"
        rows.append(compare(case, "trace off", "asyncio.Queue put+get", t, "off", "asyncio", target=1.0))
        tracing_rows(case, t, 2)

        _progress(f"two tasks, maxsize={BOUND}: AsyncMessageQueue vs asyncio.Queue")
        t = measure(
            {
                "off": tasks_async_queue(loop, None),
                "on": tasks_async_queue(loop, traced),
                "asyncio": _two_tasks(loop, lambda: asyncio.Queue(BOUND), "put", "get"),
            },
            sizes.tasks,
            reps,
        )
        case = f"AsyncMessageQueue, 2 tasks, maxsize={BOUND}"
        rows.append(compare(case, "trace off", "asyncio.Queue", t, "off", "asyncio", target=1.0))
        rows.append(compare(case, "trace on", "trace off", t, "on", "off"))
    finally:
        loop.close()

    for k in (1, 10):
        _progress(f"EventBus.trigger, {k} listener(s), vs pyee, blinker, a plain loop")
        t = measure(
            {
                "off": trigger_event_bus(k, None),
                "on": trigger_event_bus(k, traced),
                "pyee": trigger_pyee(k),
                "blinker": trigger_blinker(k),
                "plain": trigger_plain_loop(k),
                **tracing_test(ac.EventBus()),
            },
            sizes.triggers,
            reps,
        )
        case = f"EventBus.trigger, {k} listener{'s' if k > 1 else ''}"
        rows.append(compare(case, "trace off", "pyee EventEmitter.emit", t, "off", "pyee", target=0.5))
        rows.append(compare(case, "trace off", "blinker Signal.send", t, "off", "blinker"))
        rows.append(compare(case, "trace off", "plain loop over list (floor)", t, "off", "plain"))
        tracing_rows(case, t, 1)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of about a second (noisier figures)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = perf_counter()
    print(f"asyncomm benchmarks ({'quick' if args.quick else 'full'} run) ...", file=sys.stderr, flush=True)
    rows = run_all(sizes)
    took = perf_counter() - started
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}; "
        f"asyncomm {ac.__version__}, pyee {version('pyee')}, blinker {version('blinker')}; "
        f"{sizes.repeats} repeats ({sizes.threaded_repeats} with threads); ns/op: fastest run; "
        f"ratio: median of paired runs, asyncomm / compared with (< 1 is faster); took {took:.0f} s\n"
    )
    print(markdown(rows))
    print(f"\nSummary: {summary(rows)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
