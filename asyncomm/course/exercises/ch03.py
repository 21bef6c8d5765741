"""Chapter 03 exercises: structures, callbacks and the event loop.

* ``03.array-moves`` (predict): element moves of a list-based queue.
* ``03.ring-receive`` (write): ``receive`` for a ring buffer.
* ``03.closure-in-a-loop`` (fix): callbacks made in a loop that all see the last value.
* ``03.loop-order`` (predict): the order in which asyncio runs ``call_soon`` / ``call_later`` callbacks.
* ``03.finish-order`` (predict): the order in which tasks finish.
* ``03.littles-law`` (predict): how many requests are inside a service, from its rate and latency.
* ``03.mm1-wait`` (predict): the mean time in an M/M/1 queue at 90 % load.

Predict exercises run their own code to know the answer.
"""

from __future__ import annotations

import inspect
import math
import queue
import textwrap
from dataclasses import dataclass, field
from typing import Any

from asyncomm._checks import plural
from asyncomm.callbacks import CallbackRegistry
from asyncomm.course.exercises._core import Exercise, as_list, clean_text, real_number, register, whole_number
from asyncomm.course.exercises.ch02 import _run
from asyncomm.errors import QueueEmpty, QueueFull
from asyncomm.labs.queueing import MM1, littles_law
from asyncomm.labs.structures import ArrayQueue, count_moves

__all__ = ["LOOP_PROGRAM", "Ring", "register_loggers"]


# -- 03.array-moves -----------------------------------------------------------------

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
        id="03.array-moves",
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


# -- 03.ring-receive ----------------------------------------------------------------


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
        id="03.ring-receive",
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


# -- 03.closure-in-a-loop -------------------------------------------------------------


def register_loggers(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    """The buggy code of ``03.closure-in-a-loop``: one callback per name,
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
                "every callback logged the last name: the lambda looks `name` up when it runs, "
                "after the loop has ended. Capture the current value when you create it"
            )
        if log != names:
            return f"triggering once with names {names} logged {log}"
        registry.trigger()
        if log != names * 2:
            return "triggering twice must log the names twice: keep the callbacks registered"
    return None


register(
    Exercise(
        id="03.closure-in-a-loop",
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
            "A lambda does not copy `name`; it remembers the variable and reads it when called. "
            "By the time the registry is triggered, the loop has finished and `name` is the last one.",
            "Bind the value at creation time: a default argument (lambda name=name: ...) or "
            "functools.partial(log.append, name).",
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


# -- 03.loop-order --------------------------------------------------------------------

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
        id="03.loop-order",
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


# -- 03.finish-order ------------------------------------------------------------------


async def relay_race(rt: Any) -> None:
    """The program of exercise 03.finish-order."""

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
        id="03.finish-order",
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


# -- 03.littles-law -------------------------------------------------------------------

LITTLE_RATE = 200  # requests per second
LITTLE_LATENCY_MS = 50  # mean time inside, in milliseconds


def _judge_littles_law(answer: Any) -> str | None:
    answer = real_number(answer)
    if answer is None:
        return "answer with a number of requests (it may have decimals)"
    expected = littles_law(arrival_rate=LITTLE_RATE, W=LITTLE_LATENCY_MS / 1000)
    if math.isclose(answer, expected, rel_tol=1e-6):
        return None
    if math.isclose(answer, LITTLE_RATE * LITTLE_LATENCY_MS, rel_tol=1e-6):
        return "mind the units: the rate is per second, the latency in milliseconds; convert W to seconds"
    if any(
        math.isclose(answer, x, rel_tol=1e-6)
        for x in (
            LITTLE_RATE / LITTLE_LATENCY_MS,
            LITTLE_RATE / (LITTLE_LATENCY_MS / 1000),
            LITTLE_LATENCY_MS / LITTLE_RATE,
        )
    ):
        return "Little's law multiplies: L = λ × W (a rate times a time gives a count)"
    return "use Little's law, L = λ × W, with λ in requests per second and W in seconds"


register(
    Exercise(
        id="03.littles-law",
        title="Little's law: how many are inside?",
        kind="predict",
        prompt=(
            f"A web service receives {LITTLE_RATE} requests per second, and a request spends "
            f"{LITTLE_LATENCY_MS} ms inside it on average (waiting plus being handled). On average, how many "
            f"requests are inside the service at the same moment?"
        ),
        judge=_judge_littles_law,
        hints=[
            "Little's law: L = λ W. It holds whatever the arrival pattern and the order of service.",
            "λ is per second, so W must be in seconds: 50 ms = 0.05 s.",
        ],
        solution_text=(
            "answer = 10\n"
            "# 10 requests: L = λ W = 200 /s × 0.05 s. Check it: "
            "ac.labs.queueing.littles_law(arrival_rate=200, W=0.05)"
        ),
        reference=10,
        wrong_answers=[10_000, 4, 4000, 0.25, 200, True, "10"],
    )
)


# -- 03.mm1-wait ----------------------------------------------------------------------

MM1_ARRIVAL_RATE = 9.0  # per second
MM1_SERVICE_RATE = 10.0  # per second: 0.1 s per message on average


def _judge_mm1_wait(answer: Any) -> str | None:
    answer = real_number(answer)
    if answer is None:
        return "answer with a number of seconds"
    q = MM1(MM1_ARRIVAL_RATE, MM1_SERVICE_RATE)
    if math.isclose(answer, q.W, rel_tol=1e-3):
        return None
    if math.isclose(answer, 1 / MM1_SERVICE_RATE, rel_tol=1e-3):
        return "that is the service time alone; at ρ = 0.9 most messages find others ahead of them and wait first"
    if math.isclose(answer, q.Wq, rel_tol=1e-3):
        return "that is Wq, the wait before service; W adds the service itself"
    if math.isclose(answer, q.L, rel_tol=1e-3):
        return "that is L, the mean number in the system; W is a time (Little: W = L / λ)"
    if math.isclose(answer, 1 / MM1_ARRIVAL_RATE, rel_tol=1e-3):
        return "that is the mean gap between arrivals; W depends on both rates"
    return "for M/M/1, W = 1 / (μ − λ): the closer λ gets to μ, the longer the stay"


register(
    Exercise(
        id="03.mm1-wait",
        title="M/M/1: how long does a message stay?",
        kind="predict",
        prompt=(
            f"Messages arrive at random (a Poisson stream) at λ = {MM1_ARRIVAL_RATE:g} per second. One consumer "
            f"handles them in {1 / MM1_SERVICE_RATE:g} s on average (exponential service times, "
            f"μ = {MM1_SERVICE_RATE:g} per second). What is W, the mean time a message spends in the system "
            f"(waiting plus being handled), in seconds?"
        ),
        judge=_judge_mm1_wait,
        hints=[
            "ρ = λ / μ = 0.9: the consumer is busy 90 % of the time.",
            "M/M/1: W = 1 / (μ − λ), or equivalently (1/μ) / (1 − ρ): the service time divided by the idle share.",
        ],
        solution_text=(
            "answer = 1.0\n"
            "# 1.0 s: W = 1 / (μ − λ) = 1 / (10 − 9). That is ten times the service time of 0.1 s: at 90 %\n"
            "# load a message mostly waits. Check it: ac.labs.queueing.MM1(9, 10).W"
        ),
        reference=1.0,
        wrong_answers=[0.1, 0.9, 9.0, 1 / 9, 0.5, "1", None],
    )
)
