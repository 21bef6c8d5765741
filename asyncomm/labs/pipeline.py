"""The capstone of chapter 07: a small pipeline, checked by the trace it leaves.

::

    producer -> AsyncMessageQueue "jobs" -> 2 workers -> EventBus "done" -> CallbackRegistry -> results

The learner writes ``async def pipeline(messages, trace) -> list`` that builds the
three patterns with ``trace=trace``. :func:`run_pipeline` runs it on a fresh
:class:`~asyncomm.VirtualClock` and :func:`check_pipeline_trace` reads the trace
and lists what went wrong: an empty list means every message was sent once,
received once, announced as ``"done"`` once and reached the callbacks once, the
queue was closed, and the run took the time two workers need.
"""

from __future__ import annotations

import inspect
import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from asyncomm._checks import check_int
from asyncomm.clock import VirtualClock
from asyncomm.errors import Deadlock
from asyncomm.trace import (
    CALLBACK,
    CLEAR,
    CLOSE,
    EVENT,
    OK,
    QUEUE,
    QUEUE_CLOSED,
    RECEIVE,
    SEND,
    TRIGGER,
    Trace,
    TraceRow,
)

__all__ = ["PipelineRun", "check_pipeline_trace", "expected_pipeline_time", "run_pipeline"]


def expected_pipeline_time(n_messages: int, workers: int = 2, work_time: float = 1.0) -> float:
    """Virtual seconds ``workers`` workers need for ``n_messages`` messages of
    ``work_time`` s of *waiting* work each: whole messages, so round up.

    >>> expected_pipeline_time(5, workers=2, work_time=1.0)
    3.0
    """
    n_messages = check_int(n_messages, "n_messages", minimum=0)
    workers = check_int(workers, "workers", minimum=1)
    return math.ceil(n_messages / workers) * work_time


def _times(k: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(k, f"{k} times")


def _count_problems(seen: Counter[Any], expected: Counter[Any], verb: str, fix: str) -> list[str]:
    """One problem listing the messages ``verb`` too often or too rarely, or none."""
    details = []
    for msg in [*expected, *(m for m in seen if m not in expected)]:
        if seen[msg] != expected[msg]:
            want = "" if expected[msg] == 1 else f" (expected {_times(expected[msg])})"
            details.append(f"{msg!r} {_times(seen[msg])}{want}")
    if not details:
        return []
    shown = ", ".join(details[:5]) + (f" and {len(details) - 5} more" if len(details) > 5 else "")
    return [f"messages {verb} the wrong number of times: {shown}; {fix}"]


def check_pipeline_trace(
    trace: Trace | Sequence[TraceRow],
    messages: Sequence[Hashable],
    *,
    workers: int = 2,
    work_time: float = 1.0,
    end_time: float | None = None,
) -> list[str]:
    """The problems a pipeline's trace shows, stage by stage; ``[]`` if none.

    ``end_time`` is the clock's time when the pipeline returned (default: the
    time of the last trace row); it must equal :func:`expected_pipeline_time`.

    >>> import asyncomm as ac
    >>> trace = ac.Trace()
    >>> q = ac.MessageQueue(trace=trace, clock=ac.VirtualClock(), name="jobs")
    >>> _ = q.send("a"); q.receive()
    'a'
    >>> for problem in check_pipeline_trace(trace, ["a"]):
    ...     print(problem.split(":")[0])
    the queue was never closed
    no EventBus in the trace
    no CallbackRegistry in the trace
    the pipeline ended at t=0 s, earlier than 2 workers can process 1 message of 1 s each (t=1 s)
    """
    rows = list(trace)
    end = end_time if end_time is not None else (rows[-1].time if rows else 0.0)
    return [
        *_queue_problems([r for r in rows if r.pattern == QUEUE], Counter(messages)),
        *_bus_problems([r for r in rows if r.pattern == EVENT], len(messages)),
        *_callback_problems([r for r in rows if r.pattern == CALLBACK], Counter(messages)),
        *_time_problems(end, len(messages), workers, work_time),
    ]


def _items(rows: list[TraceRow], operation: str) -> Counter[Any]:
    """How often each item went through ``operation`` successfully."""
    return Counter(r.item for r in rows if r.operation == operation and r.outcome == OK)


def _queue_problems(rows: list[TraceRow], expected: Counter[Any]) -> list[str]:
    """Step 1, the queue: each message in once and out once, then closed."""
    if not rows:
        return [
            "no queue in the trace: create it with ac.AsyncMessageQueue(trace=trace) and send every message through it"
        ]
    problems = [
        *_count_problems(_items(rows, SEND), expected, "sent", "the producer should send each message once"),
        *_count_problems(
            _items(rows, RECEIVE), expected, "received", "each message should be received once, by one worker"
        ),
    ]
    for r in rows:
        if r.operation == SEND and r.outcome == QUEUE_CLOSED:
            problems.append(
                f"sending {r.item!r} was refused because the queue was already closed: "
                f"close it only after the last send"
            )
    if not any(r.operation == CLOSE for r in rows):
        problems.append(
            "the queue was never closed: close it after the last send, so that the workers' "
            "receive() raises ac.QueueClosed and they stop"
        )
    cleared = sum(r.item for r in rows if r.operation == CLEAR)
    if cleared:
        problems.append(f"clear() dropped {cleared} queued message(s): a pipeline should not drop work")
    return problems


def _bus_problems(rows: list[TraceRow], n_messages: int) -> list[str]:
    """Step 2, the bus: one "done" per message, heard by at least one listener."""
    if not rows:
        return [
            'no EventBus in the trace: create it with ac.EventBus(trace=trace) and trigger "done" '
            "once per processed message"
        ]
    problems = []
    done = [r for r in rows if r.operation == TRIGGER and r.item == "done"]
    if len(done) != n_messages:
        problems.append(
            f'"done" was triggered {_times(len(done))} for {n_messages} message(s): '
            f"trigger it once per processed message"
        )
    unheard = sum(1 for r in done if r.size == 0)
    if unheard:
        problems.append(
            f'"done" was triggered {_times(unheard)} with no listener registered: '
            f"register the listener before the workers start"
        )
    failed = sum(1 for r in done if r.outcome != OK)
    if failed:
        problems.append(f'a "done" listener raised ({_times(failed)}): look at the TriggerFailed error')
    return problems


def _callback_problems(rows: list[TraceRow], expected: Counter[Any]) -> list[str]:
    """Step 3, the callbacks: each message's result arrives once, to a registered callback."""
    if not rows:
        return [
            "no CallbackRegistry in the trace: create it with ac.CallbackRegistry(trace=trace) "
            'and trigger it from the "done" listener'
        ]
    problems = _count_problems(
        _items(rows, TRIGGER),
        expected,
        "passed to the callbacks",
        'the "done" listener should call the registry\'s trigger(msg) once per message, with the message alone',
    )
    empty = sum(1 for r in rows if r.operation == TRIGGER and r.size == 0)
    if empty:
        problems.append(
            f"the CallbackRegistry was triggered {_times(empty)} with no callback registered: "
            f"register the collecting callback before the workers start"
        )
    return problems


def _time_problems(end: float, n_messages: int, workers: int, work_time: float) -> list[str]:
    """Step 4, the time: whole messages shared by ``workers`` workers, waiting at the same time."""
    target = expected_pipeline_time(n_messages, workers, work_time)
    if math.isclose(end, target, abs_tol=1e-9):
        return []
    what = (
        f"{workers} workers can process {n_messages} message{'s' if n_messages != 1 else ''} "
        f"of {work_time:g} s each (t={target:g} s)"
    )
    if end > target:
        return [
            f"the pipeline ended at t={end:g} s, later than {what}: do the workers run at the "
            f"same time, and does the work await (asyncio.sleep) rather than block?"
        ]
    return [
        f"the pipeline ended at t={end:g} s, earlier than {what}: does each message really "
        f"take {work_time:g} s of work (await asyncio.sleep), and are there exactly "
        f"{workers} workers?"
    ]


@dataclass(frozen=True)
class PipelineRun:
    """What :func:`run_pipeline` saw: the results returned, the trace, the
    virtual time at the end and the problems found (``ok`` if none).

    >>> async def nothing(messages, trace):
    ...     return []
    >>> run = run_pipeline(nothing, ["a"])
    >>> run.ok, run.end_time, run.report().splitlines()[0][:40]
    (False, 0.0, '- no queue in the trace: create it with ')
    """

    results: Any
    trace: Trace
    end_time: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        """One line per problem, or a line saying all is well."""
        if self.ok:
            return f"pipeline OK: {len(self.trace)} trace rows, finished at t={self.end_time:g} s"
        return "\n".join(f"- {problem}" for problem in self.problems)


def run_pipeline(
    pipeline: Callable[[list[Any], Trace], Any],
    messages: Sequence[Hashable],
    *,
    workers: int = 2,
    work_time: float = 1.0,
    deadlock_after: float = 0.5,
) -> PipelineRun:
    """Run ``await pipeline(list(messages), trace)`` on a fresh VirtualClock
    with a fresh Trace, then check what it did.

    ``workers`` and ``work_time`` say what the pipeline is meant to do (they
    set the expected end time); a pipeline that deadlocks is reported, not raised.

    >>> import asyncomm as ac
    >>> async def nothing(messages, trace):
    ...     return []
    >>> run = run_pipeline(nothing, [])
    >>> run.problems[0]
    'no queue in the trace: create it with ac.AsyncMessageQueue(trace=trace) and send every message through it'
    """
    if not inspect.iscoroutinefunction(pipeline):
        raise TypeError(f"pipeline must be an `async def` function taking (messages, trace), got {pipeline!r}")
    messages = list(messages)
    trace = Trace()
    clock = VirtualClock(deadlock_after=deadlock_after)
    try:
        results = clock.run(pipeline(list(messages), trace))
    except Deadlock as err:
        problem = (
            f"the pipeline never finished ({err}): close the queue after the last send, "
            f"and let each worker stop when receive() raises ac.QueueClosed"
        )
        return PipelineRun(None, trace, clock.now(), [problem])
    problems = check_pipeline_trace(trace, messages, workers=workers, work_time=work_time, end_time=clock.now())
    if not isinstance(results, list):
        problems.append(
            f"the pipeline returned {type(results).__name__}, not a list: return the list your callback filled"
        )
    elif Counter(results) != Counter(messages):
        problems.append(
            f"the pipeline returned {len(results)} result(s) for {len(messages)} message(s): "
            f"return the list your callback filled, with each message once"
        )
    return PipelineRun(results, trace, clock.now(), problems)
