"""Chapter 03a exercises: structures, callbacks, the event loop and a worker (the models are in ``ch03b``).

* ``03a.array-moves`` (predict): element moves of a list-based queue.
* ``03a.ring-receive`` (write): ``receive`` for a ring buffer.
* ``03a.closure-in-a-loop`` (fix): callbacks made in a loop that all see the last value.
* ``03a.loop-order`` (predict): the order in which asyncio runs ``call_soon`` / ``call_later`` callbacks.
* ``03a.finish-order`` (predict): the order in which tasks finish.
* ``03a.worker`` (write): a worker that takes jobs from a queue until it is closed, checked on a VirtualClock.

Predict exercises run their own code to know the answer.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import textwrap
from dataclasses import dataclass, field
from typing import Any

from asyncomm._checks import plural
from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.callbacks import CallbackRegistry
from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import (
    Exercise,
    as_list,
    as_notebook_code,
    clean_text,
    register,
    whole_number,
)
from asyncomm.course.exercises.ch02 import _run
from asyncomm.errors import QueueClosed, QueueEmpty, QueueFull
from asyncomm.labs.structures import ArrayQueue, count_moves

__all__ = ["LOOP_PROGRAM", "WORKER_JOBS", "Ring", "register_loggers", "relay_race", "run_workers"]


# -- 03a.array-moves -----------------------------------------------------------------

_MOVES_N = 6


def _judge_moves(answer: Any) -> str | None:
    answer = whole_number(answer)
    if answer is None:
        return "answer with a whole number of element moves"
    expected = count_moves(lambda n: ArrayQueue(), _MOVES_N)
    if answer == expected:
        return None
    if answer == 0:
        return "pop(0) is not free: the elements behind the first one shift one slot left"
    if answer == _MOVES_N * _MOVES_N:
        return "not n per receive: count the elements *behind* the head, and the queue shrinks as you go"
    if answer == _MOVES_N * (_MOVES_N + 1) // 2:
        return "close: the last receive finds nothing behind the head, and the first finds n - 1, not n"
    return "add up, receive by receive, how many elements stand behind the one taken"


register(
    Exercise(
        id="03a.array-moves",
        title="Predict the cost of draining a list",
        kind="predict",
        prompt=textwrap.dedent(f"""\
        ArrayQueue.receive is list.pop(0), and q.moves counts the elements that shift one slot left.
        What is q.moves at the end?

            q = ArrayQueue()
            for i in range({_MOVES_N}):
                q.send(i)
            for _ in range({_MOVES_N}):
                q.receive()
            q.moves"""),
        judge=_judge_moves,
        hints=[
            f"The first receive finds {_MOVES_N} elements and takes the first: how many stand behind it?",
            "The receives find 6, 5, 4, 3, 2, 1 elements; each moves all but the one it takes.",
        ],
        solution_text=("answer = 15\n# 15 = 5 + 4 + 3 + 2 + 1 + 0, that is n(n-1)/2 for n = 6: the cost grows as n²."),
        reference=15,
        wrong_answers=[0, 36, 21, 6, "15", 21.0, 15.5],
    )
)


# -- 03a.ring-receive ----------------------------------------------------------------


@dataclass
class Ring:
    """A ring buffer kept as ``slots`` (fixed length), ``head`` (index of the
    oldest message) and ``count`` (messages held); the next free slot is
    ``(head + count) % len(slots)``.

    >>> ring = Ring.empty(3)
    >>> ring.send("a"); ring.send("b")
    >>> ring
    Ring(slots=['a', 'b', None], head=0, count=2)
    """

    slots: list[Any] = field(default_factory=list)
    head: int = 0
    count: int = 0

    @classmethod
    def empty(cls, capacity: int) -> Ring:
        return cls([None] * capacity)

    def send(self, msg: Any) -> None:
        if self.count == len(self.slots):
            raise QueueFull(f"the ring is full ({len(self.slots)} slots)")
        self.slots[(self.head + self.count) % len(self.slots)] = msg
        self.count += 1


def _reference_receive(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    msg = ring.slots[ring.head]
    ring.slots[ring.head] = None
    ring.head = (ring.head + 1) % len(ring.slots)
    ring.count -= 1
    return msg


def _receive_without_wrap(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    msg = ring.slots[ring.head]
    ring.slots[ring.head] = None
    ring.head += 1
    ring.count -= 1
    return msg


def _receive_newest(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    last = (ring.head + ring.count - 1) % len(ring.slots)
    msg = ring.slots[last]
    ring.slots[last] = None
    ring.count -= 1
    return msg


def _receive_keeping_slot(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    msg = ring.slots[ring.head]
    ring.head = (ring.head + 1) % len(ring.slots)
    ring.count -= 1
    return msg


def _receive_without_count(ring: Ring) -> Any:
    msg = ring.slots[ring.head]
    ring.slots[ring.head] = None
    ring.head = (ring.head + 1) % len(ring.slots)
    return msg


def _receive_resetting_head(ring: Ring) -> Any:
    msg = _reference_receive(ring)
    if ring.count == 0:
        ring.head = 0
    return msg


def _receive_raising_queue_empty(ring: Ring) -> Any:
    if ring.count == 0:
        raise queue.Empty
    return _reference_receive(ring)


def _receive_returning_none_when_empty(ring: Ring) -> Any:
    if ring.count == 0:
        return None
    return _reference_receive(ring)


def _judge_ring(receive: Any) -> str | None:
    if not callable(receive):
        return "set answer to your function itself: answer = ring_receive (no parentheses)"
    ring = Ring.empty(3)
    ring.send("a")
    ring.send("b")
    got = receive(ring)
    if got == "b":
        return "that is the newest message; a queue gives the oldest first, the one at ring.head"
    if got != "a":
        return f"the first receive after sending 'a', 'b' should give 'a', yours gave {got!r}"
    if ring.count != 1:
        return "after a receive the ring holds one message fewer: update ring.count"
    if ring.head != 1:
        return "after a receive the oldest message is in the next slot: move ring.head on by one"
    if ring.slots[0] is not None:
        return "set the freed slot to None, so the ring does not keep the message alive"
    ring = Ring.empty(3)
    ring.send("a")
    receive(ring)
    if ring.head == 0 and ring.count == 0:
        return (
            "when the ring became empty your receive set ring.head back to 0: move head on by one (with %), "
            "do not reset it"
        )
    # Around the end of the array and back to slot 0.
    ring = Ring.empty(3)
    taken = []
    try:
        for msg in "abc":
            ring.send(msg)
        taken += [receive(ring), receive(ring)]
        for msg in "de":
            ring.send(msg)
        taken += [receive(ring) for _ in range(3)]
    except IndexError:
        return "ring.head ran past the last slot: it must wrap around to 0 (use % len(ring.slots))"
    if taken != list("abcde"):
        return f"sending a..e with receives in between, the receives gave {taken}; they must keep FIFO order"
    if ring.head != 5 % 3:
        return "ring.head must wrap around to 0 after the last slot (use % len(ring.slots))"
    tiny = Ring.empty(1)
    for msg in ("x", "y"):
        tiny.send(msg)
        if receive(tiny) != msg or tiny.count != 0 or tiny.head != 0:
            return "a ring of one slot must work too: send, receive, send, receive"
    before = Ring.empty(2)
    try:
        got = receive(before)
    except QueueEmpty:
        pass
    except queue.Empty:
        return "on an empty ring raise ac.QueueEmpty (asyncomm's), not the standard library's queue.Empty"
    except IndexError:
        return "on an empty ring raise ac.QueueEmpty (check ring.count first), not IndexError"
    else:
        return f"receive on an empty ring must raise ac.QueueEmpty; yours returned {got!r}"
    if before != Ring.empty(2):
        return "a receive that raises QueueEmpty must leave the ring as it was"
    return None


register(
    Exercise(
        id="03a.ring-receive",
        title="Write a ring buffer's receive",
        kind="write",
        prompt=textwrap.dedent("""\
        A Ring (from asyncomm.course.exercises.ch03) holds `slots` (a list of fixed length), `head` (index of
        the oldest message) and `count` (how many messages it holds). Its send writes at
        (head + count) % len(slots). Write ring_receive(ring) that:
          * raises ac.QueueEmpty if the ring is empty;
          * otherwise returns the oldest message, sets its slot to None, moves head on by one
            (wrapping around to 0 after the last slot) and lowers count by one."""),
        judge=_judge_ring,
        hints=[
            "The oldest message is ring.slots[ring.head]. Everything else is bookkeeping: head, count, the slot.",
            "ring.head = (ring.head + 1) % len(ring.slots) wraps around; check ring.count == 0 first.",
        ],
        solution_text=textwrap.dedent("""\
        def ring_receive(ring):
            if ring.count == 0:
                raise ac.QueueEmpty("the ring is empty")
            msg = ring.slots[ring.head]
            ring.slots[ring.head] = None          # do not keep the message alive
            ring.head = (ring.head + 1) % len(ring.slots)
            ring.count -= 1
            return msg"""),
        reference=_reference_receive,
        wrong_answers=[
            _receive_without_wrap,
            _receive_newest,
            _receive_keeping_slot,
            _receive_without_count,
            _receive_returning_none_when_empty,
            _receive_resetting_head,
            _receive_raising_queue_empty,
            "ring_receive",
        ],
    )
)


# -- 03a.closure-in-a-loop -------------------------------------------------------------


def register_loggers(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    """The buggy code of ``03a.closure-in-a-loop``: one callback per name,
    meant to append its own name to ``log`` when the registry is triggered."""
    for name in names:
        registry.register(lambda: log.append(name))  # noqa: B023 - the bug this exercise is about


def _reference_loggers(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    for name in names:
        registry.register(lambda name=name: log.append(name))


def _loggers_at_registration(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    for name in names:
        log.append(name)
        registry.register(lambda: None)


def _loggers_in_one_callback(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    registry.register(lambda: log.extend(names))


def _loggers_calling_now(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    for name in names:
        registry.register(log.append(name))  # type: ignore[type-var, func-returns-value]


def _judge_loggers(fixed: Any) -> str | None:
    if not callable(fixed):
        return "set fixed to your corrected function itself: fixed = register_loggers (no parentheses)"
    for names in (["a", "b", "c"], ["x"], ["first", "second"], []):
        registry, log = CallbackRegistry(), list[str]()
        fixed(registry, list(names), log)
        if log:
            return (
                "the names were logged while registering: the callbacks must do the logging, "
                "later, when the registry is triggered"
            )
        if len(registry) != len(names):
            return f"register one callback per name: for {names} you registered {plural(len(registry), 'callback')}"
        registry.trigger()
        if len(set(names)) > 1 and log == [names[-1]] * len(names):
            return (
                "every callback logged the last name: a callback made in the loop (a lambda or a nested def) "
                "looks `name` up when it runs, after the loop has ended. Capture the current value when you "
                "create it"
            )
        if log != names:
            return f"triggering once with names {names} logged {log}"
        registry.trigger()
        if log != names * 2:
            return "triggering twice must log the names twice: keep the callbacks registered"
    return None


register(
    Exercise(
        id="03a.closure-in-a-loop",
        title="Fix the closure-in-a-loop bug",
        kind="fix",
        prompt=textwrap.dedent("""\
        register_loggers should register one callback per name; each appends ITS name to `log` when the
        registry is triggered. But triggering after register_loggers(registry, ["a", "b", "c"], log)
        logs ['c', 'c', 'c']. Write a fixed version (same signature) and set `fixed` to it.

            def register_loggers(registry, names, log):
                for name in names:
                    registry.register(lambda: log.append(name))"""),
        judge=_judge_loggers,
        hints=[
            "A lambda or a def inside the loop does not copy `name`; it remembers the variable and reads it "
            "when called. "
            "By the time the registry is triggered, the loop has finished and `name` is the last one.",
            "Bind the value at creation time: a default argument (lambda name=name: ..., or "
            "def callback(name=name): ...) or functools.partial(log.append, name).",
        ],
        solution_text=textwrap.dedent("""\
        def register_loggers(registry, names, log):
            for name in names:
                registry.register(lambda name=name: log.append(name))   # default value taken now

        # or: registry.register(functools.partial(log.append, name))
        fixed = register_loggers"""),
        reference=_reference_loggers,
        wrong_answers=[register_loggers, _loggers_at_registration, _loggers_in_one_callback, _loggers_calling_now],
    )
)


# -- 03a.loop-order --------------------------------------------------------------------

LOOP_PROGRAM = textwrap.dedent("""\
    import asyncio

    async def main():
        loop = asyncio.get_running_loop()
        log = []

        def a():
            log.append("A")
            loop.call_soon(log.append, "C")     # scheduled while the loop runs A

        loop.call_later(2, log.append, "later 2s")
        loop.call_soon(a)
        loop.call_later(1, log.append, "later 1s")
        loop.call_soon(log.append, "B")
        log.append("main")
        await asyncio.sleep(3)
        return log

    log = ac.VirtualClock().run(main())
""")


def _judge_loop(answer: Any) -> str | None:
    items = as_list(answer)
    if items is None or not all(isinstance(item, str) for item in items):
        return "answer with the list `log` holds at the end, a list of strings such as ['main', ...]"
    expected = _run_loop_program()
    appended = {clean_text(text): text for text in expected}  # every append runs: these are all the strings
    for item in items:
        if clean_text(item) not in appended:
            return f"{item!r} is not a string the program appends"
    answer = [appended[clean_text(item)] for item in items]
    if answer == expected:
        return None
    if sorted(answer) != sorted(expected):
        return "every append in the program runs exactly once: list each of them"
    if answer[0] != "main":
        return (
            "call_soon and call_later do not call anything now: they schedule. main keeps running "
            "until it awaits; only then can the loop run callbacks"
        )
    if answer.index("later 1s") < answer.index("C") or answer.index("later 2s") < answer.index("C"):
        return "timers run when their time comes; callbacks that are ready (call_soon) run first"
    if answer.index("later 2s") < answer.index("later 1s"):
        return "timers run in the order of their due time, not the order they were scheduled"
    return "the ready queue is FIFO, and C joins it only when A runs"


def _run_loop_program() -> list[str]:
    return _run(LOOP_PROGRAM, "log")  # type: ignore[no-any-return]


register(
    Exercise(
        id="03a.loop-order",
        title="Predict the event loop's order",
        kind="predict",
        prompt="What does `log` hold at the end of this program?\n\n" + LOOP_PROGRAM,
        judge=_judge_loop,
        hints=[
            "The loop runs one thing at a time. While main runs, nothing else does; callbacks wait in the "
            "ready queue (call_soon) or among the timers (call_later).",
            "When main awaits, the loop runs the ready queue in FIFO order - A, then B. A adds C to the end "
            "of the queue. Then the timers, by due time.",
        ],
        solution_text=textwrap.dedent("""\
        answer = ['main', 'A', 'B', 'C', 'later 1s', 'later 2s']
        # call_soon / call_later only schedule; main appends 'main' and then awaits. The ready queue
        # holds a, then B (FIFO); running a appends 'A' and puts C at the back of the queue, behind B.
        # Then the clock jumps to t=1 ('later 1s') and t=2 ('later 2s'); main wakes at t=3."""),
        reference=["main", "A", "B", "C", "later 1s", "later 2s"],
        wrong_answers=[
            ("MAIN", "a", "c", "b", "Later 1s", "later 2s"),
            ["main", "A", "B", "C", "later 1", "later 2"],
            ["main", "A", "B", "C", "later 1s", "later 2s", "main"],
            ["later 2s", "A", "later 1s", "B", "main", "C"],
            ["A", "C", "B", "main", "later 1s", "later 2s"],
            ["main", "A", "C", "B", "later 1s", "later 2s"],
            ["main", "A", "B", "later 1s", "C", "later 2s"],
            ["main", "A", "B", "C", "later 2s", "later 1s"],
            ["main", "A", "B", "later 1s", "later 2s"],
        ],
    )
)


# -- 03a.finish-order ------------------------------------------------------------------


async def relay_race(rt: Any) -> None:
    """The program of exercise 03a.finish-order."""

    async def runner(legs: int, pause: float) -> None:
        for _ in range(legs):
            await rt.sleep(pause)

    first = rt.create_task(runner(3, 0), name="first")  # three turns, no waiting
    second = rt.create_task(runner(1, 1.0), name="second")  # one leg of 1 s
    third = rt.create_task(runner(2, 0), name="third")  # two turns, no waiting
    await second
    await first
    await third


def _judge_finish_order(answer: Any) -> str | None:
    from asyncomm.teaching.eventloop import TeachingLoop

    items = as_list(answer)
    if items is None or not all(isinstance(name, str) for name in items):
        return "answer with a list of task names in the order they finish, such as ['x', 'y', 'z', 'main']"
    loop = TeachingLoop()
    loop.run(relay_race)
    expected = loop.finished
    answer = [clean_text(name) for name in items]
    if answer == expected:
        return None
    if sorted(answer) != sorted(expected):
        return "list every task exactly once, main included: first, second, third and main"
    if answer[-1] != "main":
        return (
            "main awaits the other three tasks, one after the other: it cannot finish before all of them have finished"
        )
    if answer.index("second") < answer.index("first"):
        return "second sleeps a whole second; sleep(0) only hands the turn on, with no time passing"
    return (
        "the ready queue is first in, first out: after each sleep(0) a task goes to the back of the line; "
        "step the program in the loop widget"
    )


register(
    Exercise(
        id="03a.finish-order",
        title="Predict the order tasks finish",
        kind="predict",
        prompt=(
            "In which order do the tasks of this program finish (main included)?\n\n"
            + textwrap.dedent(inspect.getsource(relay_race))
        ),
        judge=_judge_finish_order,
        hints=[
            "Tasks start in the order they were created, and each sleep(0) sends a task to the back of the "
            "ready queue.",
            "No time passes until every ready task has run: the 1 s sleeper finishes only after the clock jumps.",
        ],
        solution_text=textwrap.dedent("""\
        answer = ['third', 'first', 'second', 'main']
        # Round 1: first, second (starts its 1 s sleep), third each take a turn. Round 2: first, third.
        # Round 3: first; third finishes (2 turns). Round 4: first finishes (3 turns). The clock jumps to
        # t=1: second finishes; main, waiting for them in turn, finishes last.
        # Check it: loop_widget(relay_race) and step through."""),
        reference=["third", "first", "second", "main"],
        wrong_answers=[
            ["first", "second", "third", "main"],
            ["first", "third", "second", "main"],
            ["second", "third", "first", "main"],
            ["third", "first", "second"],
            ["third", "first", "main", "second"],
            ("Main", "Third", "First", "Second"),
            ("First", "Third", "Second", "Main"),
        ],
    )
)


# -- 03a.worker -----------------------------------------------------------------------

#: The jobs the check sends: each is the seconds of (waiting) work it takes. Binary fractions, so sums are exact.
WORKER_JOBS = [0.5, 0.25, 0.75, 0.25, 0.5, 1.0]
_SEND_GAP = 0.125  # the producer pauses before each job, so a worker finds the queue empty but not closed


def run_workers(worker: Any, jobs: list[float], workers: int = 1) -> tuple[list[Any], list[float], float]:
    """Run ``workers`` copies of ``worker(queue, done)`` against a producer that sends ``jobs`` (pausing
    1/8 s before each) and then closes the queue, on a VirtualClock. Returns what each worker returned,
    ``done`` and the virtual time at the end.

    >>> async def worker(jobs, done):
    ...     handled = 0
    ...     async for job in jobs:
    ...         await asyncio.sleep(job)
    ...         done.append(job)
    ...         handled += 1
    ...     return handled
    >>> run_workers(worker, [1.0, 0.5], workers=2)
    ([1, 1], [0.5, 1.0], 1.125)
    """
    clock = VirtualClock(deadlock_after=0.25)

    async def main() -> tuple[list[Any], list[float], float]:
        queue: AsyncMessageQueue[float] = AsyncMessageQueue(name="jobs")
        done: list[float] = []

        async def producer() -> None:
            for job in jobs:
                await asyncio.sleep(_SEND_GAP)
                await queue.send(job)
            queue.close()

        _, *returned = await asyncio.gather(producer(), *(worker(queue, done) for _ in range(workers)))
        return returned, done, asyncio.get_running_loop().time()

    return clock.run(main())


async def worker(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    while True:
        try:
            job = await jobs.receive()
        except QueueClosed:  # closed and drained: no job will ever come
            return handled
        await asyncio.sleep(job)  # the work: waiting, like a call to another service
        done.append(job)
        handled += 1


async def _worker_without_loop(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    job = await jobs.receive()
    await asyncio.sleep(job)
    done.append(job)
    return 1


async def _worker_letting_closed_escape(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    while True:
        job = await jobs.receive()
        await asyncio.sleep(job)
        done.append(job)
        handled += 1


async def _worker_stopping_when_empty(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    while len(jobs):
        job = await jobs.receive()
        await asyncio.sleep(job)
        done.append(job)
        handled += 1
    return handled


async def _worker_not_waiting(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    async for job in jobs:
        done.append(job)
        handled += 1
    return handled


async def _worker_handling_all_at_once(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    async def handle(job: float) -> None:
        await asyncio.sleep(job)
        done.append(job)

    started = [asyncio.ensure_future(handle(job)) async for job in jobs]
    await asyncio.gather(*started)
    return len(started)


async def _worker_appending_before_the_work(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    async for job in jobs:
        done.append(job)
        await asyncio.sleep(job)
        handled += 1
    return handled


async def _worker_returning_nothing(jobs: AsyncMessageQueue[float], done: list[float]) -> None:
    async for job in jobs:
        await asyncio.sleep(job)
        done.append(job)


def _blocking_worker(jobs: Any, done: list[float]) -> int:
    return 0


def _judge_worker(fn: Any) -> str | None:
    if not inspect.iscoroutinefunction(fn):
        return "worker must be an `async def` function taking (jobs, done), so that the loop can run it as a task"
    for workers in (1, 2):
        expected_counts, expected_done, expected_end = run_workers(worker, WORKER_JOBS, workers)
        try:
            counts, done, end = run_workers(fn, WORKER_JOBS, workers)
        except QueueClosed:
            return (
                "your worker let ac.QueueClosed escape: that is how a closed queue, once drained, says 'no more "
                "jobs'. Catch it and return (or loop with `async for job in jobs`, which stops there)"
            )
        with_n = f"with {workers} worker{'s' if workers > 1 else ''}"
        if sorted(done) != sorted(expected_done):
            if len(done) < len(expected_done):
                return (
                    f"{with_n}, {len(done)} of the {len(expected_done)} jobs were done: the worker stopped "
                    f"too early. A queue that is empty for a moment is not closed; keep receiving until "
                    f"receive() raises ac.QueueClosed"
                )
            return f"{with_n}, `done` holds {done}: append each job once, after its work"
        if end <= len(WORKER_JOBS) * _SEND_GAP:  # the producer's own time: no job's work waited
            return (
                f"{with_n}, the jobs took no time at all: do each job's work with `await asyncio.sleep(job)` "
                f"(time.sleep would block the whole loop, and a sleep that is not awaited never runs)"
            )
        if done != expected_done or end != expected_end:
            if end < expected_end:
                return (
                    f"{with_n}, the jobs overlapped (they ended at t={end:g}): a worker handles one job at a "
                    f"time: await its work before taking the next job"
                )
            return (
                f"{with_n}, the jobs finished in the order {done}: append a job to `done` when its work is "
                f"finished, not when it is received"
            )
        if any(isinstance(count, bool) or not isinstance(count, int) for count in counts):
            return f"return how many jobs this worker handled (a whole number); {with_n} they returned {counts}"
        if counts != expected_counts:
            return f"{with_n}, they returned {counts}, but handled {len(done)} jobs: count each job the worker handles"
    return None


register(
    Exercise(
        id="03a.worker",
        title="Write a worker that stops when its queue is closed",
        kind="write",
        prompt=textwrap.dedent("""\
        Write `async def worker(jobs, done)`. `jobs` is an ac.AsyncMessageQueue of jobs; a job is a number
        of seconds of waiting work. The worker takes one job at a time until the queue is closed:
          * receive a job; do its work with `await asyncio.sleep(job)`; then append the job to `done`;
          * when receive() raises ac.QueueClosed (closed, and every job taken), return how many jobs
            this worker handled.
        The check runs it on a VirtualClock, alone and as two workers sharing one queue, against a
        producer that pauses before each job and closes the queue after the last one."""),
        judge=_judge_worker,
        hints=[
            "A worker is a loop around receive(). An empty queue only means 'wait': receive() waits for the next "
            "job. Only ac.QueueClosed means 'stop'.",
            "while True: try: job = await jobs.receive() / except ac.QueueClosed: return handled; then "
            "await asyncio.sleep(job), done.append(job), handled += 1. (`async for job in jobs:` does the "
            "receive and the stop for you.)",
        ],
        solution_text=as_notebook_code(textwrap.dedent(inspect.getsource(worker)), ["QueueClosed"]).replace(
            "jobs: AsyncMessageQueue[float], done: list[float]) -> int", "jobs, done)"
        )
        + "\n# or: async for job in jobs: ... (it stops by itself when receive() raises ac.QueueClosed)\n",
        reference=worker,
        wrong_answers=[
            _worker_without_loop,
            _worker_letting_closed_escape,
            _worker_stopping_when_empty,
            _worker_not_waiting,
            _worker_handling_all_at_once,
            _worker_appending_before_the_work,
            _worker_returning_nothing,
            _blocking_worker,
        ],
    )
)
