"""Chapter 07 exercises (summary): predict the order of a queue that redelivers, build the capstone
pipeline - producer -> queue -> 2 workers -> "done" events -> callbacks - checked by its trace
(:mod:`asyncomm.labs.pipeline`), predict its time, then write the same worker pool with the standard
library only (``asyncio.Queue``, ``asyncio.TaskGroup``, a sentinel)."""

from __future__ import annotations

import asyncio
import inspect
import math
import textwrap
from collections import Counter
from typing import Any

from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.callbacks import CallbackRegistry
from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import (
    Exercise,
    as_list,
    as_notebook_code,
    clean_text,
    real_number,
    register,
)
from asyncomm.course.exercises.ch06 import busy
from asyncomm.errors import Deadlock, QueueClosed, QueueEmpty
from asyncomm.events import EventBus
from asyncomm.labs.pipeline import run_pipeline
from asyncomm.reliable.memory import ReliableQueue
from asyncomm.trace import Trace

__all__ = ["acked_order", "pipeline", "run_jobs"]


# -- 07.capstone ---------------------------------------------------------------


async def pipeline(messages: list, trace: Trace) -> list:
    """producer -> queue -> 2 workers -> "done" events -> callbacks; returns the results.

    >>> from asyncomm.labs.pipeline import run_pipeline
    >>> run_pipeline(pipeline, ["a", "b", "c"]).report()
    'pipeline OK: 17 trace rows, finished at t=2 s'
    """
    queue = AsyncMessageQueue(trace=trace, name="jobs")
    bus = EventBus(trace=trace, name="bus")
    results = CallbackRegistry(trace=trace, name="results")

    collected: list = []
    results.register(collected.append)  # the callback: collect each result
    bus.register("done", results.trigger)  # the listener: hand each "done" to the callbacks

    async def producer():
        for msg in messages:
            await queue.send(msg)
        queue.close()  # no more messages: workers stop once the queue is drained

    async def worker():
        async for msg in queue:  # until the queue is closed and drained
            await asyncio.sleep(1)  # the work: 1 s of waiting (a call to another service)
            bus.trigger("done", msg)

    await asyncio.gather(producer(), worker(), worker())
    return collected


async def _build(
    messages: list[Any],
    trace: Trace,
    *,
    workers: int = 2,
    work_time: float = 1.0,
    cpu_bound: bool = False,
    close: bool = True,
    receive_timeout: float | None = None,
    listener: bool = True,
    drop: Any = None,
    duplicate: Any = None,
) -> list[Any]:
    """The reference pipeline with knobs, to compute true times and to make
    the typical mistakes the checks must catch."""
    queue = AsyncMessageQueue(trace=trace, name="jobs")
    bus = EventBus(trace=trace, name="bus")
    results = CallbackRegistry(trace=trace, name="results")
    collected: list[Any] = []
    results.register(collected.append)
    if listener:
        bus.register("done", results.trigger)

    async def producer() -> None:
        for msg in messages:
            await queue.send(msg)
            if msg == duplicate:  # a "retry" that sends the same message again
                await queue.send(msg)
        if close:
            queue.close()

    async def worker() -> None:
        while True:
            try:
                msg = await queue.receive(timeout=receive_timeout)
            except (QueueClosed, QueueEmpty):
                return
            if cpu_bound:
                busy(work_time)  # CPU work: never awaits
            else:
                await asyncio.sleep(work_time)
            if msg == drop:
                continue
            bus.trigger("done", msg)

    await asyncio.gather(producer(), *(worker() for _ in range(workers)))
    return collected


def _variant(**knobs: Any) -> Any:
    async def variant(messages: list[Any], trace: Trace) -> list[Any]:
        return await _build(messages, trace, **knobs)

    variant.__qualname__ = "pipeline_" + "_".join(f"{k}_{v}" for k, v in knobs.items())
    return variant


#: What the solution's source calls by name: in the notebook, they are ac.AsyncMessageQueue and so on.
_SHOWN_NAMES = ("AsyncMessageQueue", "CallbackRegistry", "EventBus", "QueueClosed", "Trace")

CAPSTONE_CASES: tuple[list[str], ...] = (["a", "b", "c", "d"], ["x", "y", "z"], [])


def _judge_capstone(fn: Any) -> str | None:
    if not inspect.iscoroutinefunction(fn):
        return "pipeline must be an `async def` function taking (messages, trace)"
    for messages in CAPSTONE_CASES:
        run = run_pipeline(fn, messages)
        if not run.ok:
            shown = run.problems[:3]
            more = f" (and {len(run.problems) - 3} more)" if len(run.problems) > 3 else ""
            return f"with messages {messages!r}: " + " | ".join(shown) + more
    return None


register(
    Exercise(
        id="07.capstone",
        title="Capstone: a pipeline checked by its trace",
        kind="write",
        prompt=textwrap.dedent("""\
        Write `async def pipeline(messages, trace)` that returns the list of results:

          producer -> ac.AsyncMessageQueue -> 2 workers -> ac.EventBus "done" -> ac.CallbackRegistry

          - create the queue, the bus and the registry with trace=trace;
          - the registry has one callback that appends each result to a list (the list you return);
          - the bus has one listener for "done" that triggers the registry with the message alone;
          - the producer sends every message, then closes the queue;
          - each of the 2 workers receives a message, works on it for 1 s (await asyncio.sleep(1):
            waiting work, like a call to another service), then triggers "done" with the message,
            and stops when receive() raises ac.QueueClosed.

        The check runs it on a VirtualClock and reads the trace: every message sent once, received once,
        one "done" per message, each message passed to the callbacks once, the queue closed, and the
        run lasting exactly the time 2 workers need."""),
        judge=_judge_capstone,
        hints=[
            "Start the producer and both workers together with asyncio.gather(producer(), worker(), worker()). "
            "Register the callback and the listener before you start them.",
            "A worker is a loop: try: msg = await queue.receive() / except ac.QueueClosed: return; then "
            'await asyncio.sleep(1); bus.trigger("done", msg). The listener can be the registry\'s own '
            'trigger method: bus.register("done", results.trigger).',
        ],
        solution_text=as_notebook_code(textwrap.dedent(inspect.getsource(pipeline)), _SHOWN_NAMES),
        reference=pipeline,
        wrong_answers=[
            _variant(workers=1),
            _variant(close=False, receive_timeout=5.0),
            _variant(drop="c"),
            _variant(duplicate="b"),
            _variant(listener=False),
            _variant(cpu_bound=True),
            _variant(workers=3),
            print,
        ],
    )
)


# -- 07.pipeline-time ------------------------------------------------------------

N_MESSAGES = 7
_SETUPS = (
    ("a", "2 workers, 1 s of waiting work per message (await asyncio.sleep(1))", {"workers": 2}),
    ("b", "4 workers, the same waiting work", {"workers": 4}),
    ("c", "2 workers, but the work is 1 s of CPU (busy, never awaits)", {"workers": 2, "cpu_bound": True}),
)


def _pipeline_time(**knobs: Any) -> float:
    clock = VirtualClock()
    clock.run(_build(list(range(N_MESSAGES)), Trace(), **knobs))
    return clock.now()


def _judge_time(answer: Any) -> str | None:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 3 and all(real_number(a) is not None for a in answer)):
        return "answer with three numbers: (a, b, c)"
    for (label, _, knobs), guess in zip(_SETUPS, map(float, answer), strict=True):
        truth = _pipeline_time(**knobs)
        if math.isclose(guess, truth):
            continue
        workers = knobs["workers"]
        if not knobs.get("cpu_bound") and math.isclose(guess, N_MESSAGES / workers):
            return (
                f"({label}): a worker takes whole messages - {N_MESSAGES} messages over {workers} workers "
                f"means some worker handles more than {N_MESSAGES / workers:g}"
            )
        if knobs.get("cpu_bound") and guess > truth:
            return (
                f"({label}): count again, that is too long: the CPU work runs one message after another, "
                f"1 s each, and nothing else adds time"
            )
        if knobs.get("cpu_bound"):
            return (
                f"({label}): work that never awaits never lets the other worker run - the loop does one "
                f"thing at a time (chapter 06, question 1)"
            )
        return f"({label}): count the rounds: in each second every worker finishes one message"
    return None


register(
    Exercise(
        id="07.pipeline-time",
        title="Predict the pipeline's virtual time",
        kind="predict",
        prompt=(
            f"The capstone pipeline runs with {N_MESSAGES} messages on a VirtualClock. How many seconds does it "
            f"take with\n"
            + "\n".join(f"  ({label}) {text}" for label, text, _ in _SETUPS)
            + "\nAnswer with a tuple (a, b, c)."
        ),
        judge=_judge_time,
        hints=[
            "Waiting work overlaps across workers; each worker still takes one whole message at a time.",
            "CPU work that does not await holds the event loop: nothing else runs until it awaits.",
        ],
        solution_text=textwrap.dedent("""\
        answer = (4.0, 2.0, 7.0)
        # (a) 2 workers take 2 messages per second: 7 messages need 4 rounds (the last round has one).
        # (b) 4 workers: 2 rounds (4 + 3 messages).
        # (c) CPU work never awaits, so the first worker never lets the second one run:
        #     7 x 1 s one after another, as in chapter 06, question 1."""),
        reference=(4.0, 2.0, 7.0),
        wrong_answers=[
            (3.5, 1.75, 7.0),
            (4.0, 2.0, 4.0),
            (7.0, 7.0, 7.0),
            (4.0, 2.0, 3.5),
            (4.0, 1.0, 7.0),
            (4, 2),
            (4, 2, 8),
            [5, 2, 7],
        ],
    )
)


# -- 07.redelivery-order -----------------------------------------------------------

#: The redelivery scenario: A takes m1 and crashes; B does the rest, one at a time.
REDELIVERY_MESSAGES = ("m1", "m2", "m3", "m4", "m5")
REDELIVERY_TIMEOUT = 25.0
REDELIVERY_WORK = 10.0


def acked_order() -> list[str]:
    """Play the scenario of ``07.redelivery-order`` on a :class:`~asyncomm.reliable.ReliableQueue` and a
    virtual clock: the messages in the order consumer B acked them.

    >>> acked_order()[0]
    'm2'
    """
    clock = VirtualClock()
    queue: ReliableQueue[str] = ReliableQueue(visibility_timeout=REDELIVERY_TIMEOUT, clock=clock)
    for message in REDELIVERY_MESSAGES:
        queue.send(message)
    queue.receive_nowait(consumer="A")  # A crashes holding m1: it never acks
    acked: list[str] = []
    while queue.ready() or queue.in_flight():
        try:
            delivery = queue.receive_nowait(consumer="B")
        except QueueEmpty:  # only A's delivery is left: wait until it comes back
            clock.advance(1.0)
            continue
        clock.advance(REDELIVERY_WORK)
        delivery.ack()
        acked.append(delivery.message)
    return acked


def _judge_redelivery(answer: Any) -> str | None:
    order = as_list(answer)
    if order is None or not all(isinstance(name, str) for name in order):
        return "answer with a list of names in the order B acks them, e.g. ['m1', 'm2', ...]"
    order = [clean_text(name) for name in order]
    if sorted(order) != sorted(REDELIVERY_MESSAGES):
        return "every message is acked exactly once in the end: list m1 .. m5, each once"
    truth = acked_order()
    if order == truth:
        return None
    if order == list(REDELIVERY_MESSAGES):
        return (
            "the queue hands messages out in order, but A holds m1 until its visibility timeout runs out: "
            "B cannot take it before then"
        )
    if order[-1] == "m1":
        return (
            "m1 does come back, and a message that comes back goes in front of the ones not yet delivered: "
            "when does B next ask for a message after t = 25 s?"
        )
    return f"follow B's clock: it receives at t = 0, {REDELIVERY_WORK:g}, {2 * REDELIVERY_WORK:g}, ... s"


register(
    Exercise(
        id="07.redelivery-order",
        title="Does a queue stay first-in, first-out?",
        kind="predict",
        prompt=(
            f"A ReliableQueue with visibility_timeout={REDELIVERY_TIMEOUT:g} holds m1 .. m5 (sent in that order). "
            f"At t = 0 consumer A receives m1 and crashes: it never acks. Consumer B then works one message at a "
            f"time: receive, {REDELIVERY_WORK:g} s of work, ack, receive the next, ... (it receives at t = 0, "
            f"{REDELIVERY_WORK:g}, {2 * REDELIVERY_WORK:g}, ...). In which order does B ack the five messages?\n"
            f"Answer with a list: answer = ['m?', 'm?', ...]"
        ),
        judge=_judge_redelivery,
        hints=[
            f"A delivery that is never acked returns to the queue {REDELIVERY_TIMEOUT:g} s after it was received.",
            "A message that comes back is handed out before the messages that were never delivered.",
        ],
        solution_text=(
            "answer = ['m2', 'm3', 'm4', 'm1', 'm5']\n"
            "# B receives m2 at t=0, m3 at 10, m4 at 20. m1 came back at t=25 (A's visibility timeout),\n"
            "# so at t=30 B gets m1 before m5, which was never delivered. Sent m1..m5, acked m2 m3 m4 m1 m5:\n"
            "# redelivery reorders. Replay it:\n"
            "#     from asyncomm.course.exercises.ch07 import acked_order; acked_order()"
        ),
        reference=["m2", "m3", "m4", "m1", "m5"],
        wrong_answers=[
            ["m1", "m2", "m3", "m4", "m5"],
            ["m2", "m3", "m4", "m5", "m1"],
            ["m2", "m1", "m3", "m4", "m5"],
            ["m2", "m3", "m4", "m5"],
            "m2 m3 m4 m1 m5",
            [2, 3, 4, 1, 5],
        ],
    )
)


# -- 07.stdlib-workers -------------------------------------------------------------

STDLIB_CASES: tuple[list[Any], ...] = (["a", "b", "c", "d", "e"], [], [1, 2, 3, 4])


async def run_jobs(jobs: list) -> list:
    queue: asyncio.Queue = asyncio.Queue()
    done = []

    async def worker():
        while True:
            job = await queue.get()
            if job is None:  # the sentinel: no more jobs
                return
            await asyncio.sleep(1)  # the work: 1 s of waiting
            done.append(job)

    async with asyncio.TaskGroup() as tg:  # waits for both workers
        for _ in range(2):
            tg.create_task(worker())
        for job in jobs:
            await queue.put(job)
        for _ in range(2):
            await queue.put(None)  # one sentinel per worker
    return done


def _stdlib_variant(*, workers: int = 2, sentinels: int = 2, skip_last: bool = False) -> Any:
    async def variant(jobs: list[Any]) -> list[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done: list[Any] = []

        async def worker() -> None:
            while (job := await queue.get()) is not None:
                await asyncio.sleep(1)
                done.append(job)

        async with asyncio.TaskGroup() as tg:
            for _ in range(workers):
                tg.create_task(worker())
            for job in jobs[:-1] if skip_last else jobs:
                await queue.put(job)
            for _ in range(sentinels):
                await queue.put(None)
        return done

    variant.__qualname__ = f"run_jobs_{workers}_workers_{sentinels}_sentinels" + ("_skip_last" * skip_last)
    return variant


async def _one_after_another(jobs: list[Any]) -> list[Any]:
    done = []
    for job in jobs:
        await asyncio.sleep(1)
        done.append(job)
    return done


def _judge_stdlib(fn: Any) -> str | None:
    if not inspect.iscoroutinefunction(fn):
        return "run_jobs must be an `async def` function taking the list of jobs"
    for jobs in STDLIB_CASES:
        clock = VirtualClock(deadlock_after=0.3)
        try:
            done = clock.run(fn(list(jobs)))
        except Deadlock:
            return (
                f"with jobs {jobs!r} the program never ended: a worker still waits in queue.get(). Put one "
                f"sentinel per worker after the jobs (on Python 3.13+, queue.shutdown() ends them all)"
            )
        if not isinstance(done, list) or Counter(map(repr, done)) != Counter(map(repr, jobs)):
            return f"with jobs {jobs!r} you returned {done!r}: return every job once, as the workers finish them"
        expected = math.ceil(len(jobs) / 2)
        if clock.now() != expected:
            if jobs and clock.now() == len(jobs):
                return (
                    f"with {len(jobs)} jobs it took {clock.now():g} s: the jobs ran one after another. Start 2 "
                    f"worker tasks that both take from the queue"
                )
            return f"with {len(jobs)} jobs 2 workers need {expected} s, yours took {clock.now():g} s"
    return None


register(
    Exercise(
        id="07.stdlib-workers",
        title="The worker pool with the standard library only",
        kind="write",
        prompt=textwrap.dedent("""\
        Write `async def run_jobs(jobs)` with the standard library only (no ac.*):
          - an asyncio.Queue holds the jobs;
          - 2 worker tasks, started in an `async with asyncio.TaskGroup() as tg:` block, each take a job,
            work on it for 1 s (await asyncio.sleep(1)), and append it to a `done` list;
          - after the jobs, put a sentinel (None) for each worker: a worker that takes it returns;
          - return `done` once both workers have returned (the TaskGroup waits for them).
        The check runs it on a VirtualClock with 5, 0 and 4 jobs: every job done once, in ceil(n / 2) s."""),
        judge=_judge_stdlib,
        hints=[
            "The shape: async with asyncio.TaskGroup() as tg: create 2 tasks with tg.create_task(worker()), then "
            "await queue.put(job) for each job, then await queue.put(None) twice.",
            "A worker is a loop: job = await queue.get(); if job is None: return; await asyncio.sleep(1); "
            "done.append(job). One sentinel stops one worker only: 2 workers need 2.",
        ],
        solution_text=textwrap.dedent(inspect.getsource(run_jobs)),
        reference=run_jobs,
        wrong_answers=[
            _stdlib_variant(workers=1, sentinels=1),
            _stdlib_variant(sentinels=1),
            _stdlib_variant(skip_last=True),
            _stdlib_variant(workers=3, sentinels=3),
            _one_after_another,
            run_pipeline,
        ],
    )
)
