"""Chapter 07 exercises (summary): predict the pipeline's time, then build the
capstone pipeline - producer -> queue -> 2 workers -> "done" events -> callbacks -
checked by its trace (:mod:`asyncomm.labs.pipeline`)."""

from __future__ import annotations

import asyncio
import inspect
import math
import textwrap
from typing import Any

from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.callbacks import CallbackRegistry
from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, as_notebook_code, real_number, register
from asyncomm.course.exercises.ch06 import busy
from asyncomm.errors import QueueClosed, QueueEmpty
from asyncomm.events import EventBus
from asyncomm.labs.pipeline import run_pipeline
from asyncomm.trace import Trace

__all__ = ["pipeline"]


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
