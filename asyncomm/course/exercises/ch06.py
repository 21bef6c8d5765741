"""Chapter 06 exercises (FAQ): gather versus sequential time, choosing a
pattern by its properties (then writing that choice as a function), and a
batching receive that must not lose messages.

Every check computes the truth by running the experiment on a VirtualClock,
never from a stored number.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import textwrap
from collections.abc import Callable
from typing import Any

from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.clock import VirtualClock, current_clock
from asyncomm.course.exercises._core import Exercise, as_notebook_code, clean_text, real_number, register
from asyncomm.errors import Deadlock, QueueClosed, QueueEmpty, UsageError

__all__ = ["DECISIONS", "busy", "choose_pattern", "receive_batch"]


# -- 06.gather-time -----------------------------------------------------------

LATENCIES = (2, 5, 1, 4)
CPU_PER_CALL = 0.5


def busy(seconds: float) -> None:
    """CPU work on a VirtualClock: time passes, and since the task does not
    await, no other task runs meanwhile.

    >>> import asyncio, asyncomm as ac
    >>> async def main():
    ...     busy(2)
    ...     return asyncio.get_running_loop().time()
    >>> ac.VirtualClock().run(main())
    2.0
    """
    clock = current_clock()
    if not isinstance(clock, VirtualClock):
        raise UsageError("busy() models CPU work on a VirtualClock: call it inside clock.run(...)")
    clock.advance(seconds)


async def _call(latency: float) -> None:
    busy(CPU_PER_CALL)  # CPU work: time passes, nobody else runs
    await asyncio.sleep(latency)  # waiting for the reply: the loop runs other tasks


async def _sequential() -> None:
    for latency in LATENCIES:
        await _call(latency)


async def _concurrent() -> None:
    await asyncio.gather(*(_call(latency) for latency in LATENCIES))


def _total_time(main: Callable[[], Any]) -> float:
    clock = VirtualClock()
    clock.run(main())
    return clock.now()


_BUSY = f"busy({CPU_PER_CALL:g})"


def _judge_gather(answer: Any) -> str | None:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2 and all(real_number(a) is not None for a in answer)):
        return "answer with two numbers: (sequential_seconds, concurrent_seconds)"
    sequential, concurrent = (float(a) for a in answer)
    true_seq, true_conc = _total_time(_sequential), _total_time(_concurrent)
    cpu_total = CPU_PER_CALL * len(LATENCIES)
    if not math.isclose(sequential, true_seq):
        if math.isclose(sequential, sum(LATENCIES)):
            return (
                "sequential: you added the waiting times but left out the CPU work - every call also "
                f"computes for {CPU_PER_CALL:g} s before it waits"
            )
        return "sequential: one call after another, so every call's CPU time and every call's waiting time add up"
    if math.isclose(concurrent, true_conc):
        return None
    if math.isclose(concurrent, true_seq):
        return (
            "concurrent: gather does overlap the waiting - while one call sleeps the loop runs the others; "
            "only the CPU parts cannot overlap"
        )
    if math.isclose(concurrent, max(LATENCIES)):
        return (
            "concurrent: gather overlaps the waiting, but not the CPU work - a call that computes without "
            "awaiting holds the loop, so the CPU parts run one after another"
        )
    if math.isclose(concurrent, max(LATENCIES) + CPU_PER_CALL):
        return (
            "concurrent: the CPU parts do not overlap each other either - a call starts waiting only after "
            "the CPU parts of the calls gathered before it have run"
        )
    if math.isclose(concurrent, cpu_total + max(LATENCIES)):
        return (
            "concurrent: the CPU parts do run one after another, but each call starts waiting as soon as its "
            "own CPU part ends, not after all of them - work out when each call's wait ends"
        )
    return (
        "concurrent: for each call in gather order, work out when its CPU part ends (they queue up) and when "
        "its wait ends; the gather ends with the last wait"
    )


register(
    Exercise(
        id="06.gather-time",
        title="Predict: sequential calls versus asyncio.gather",
        kind="predict",
        prompt=textwrap.dedent(f"""\
        A client calls four services. Each call first computes for {CPU_PER_CALL:g} s (CPU work that
        never awaits, like building the request), then waits for the reply:

            async def call(latency):
                {_BUSY:<28}   # CPU: advances the clock, does not await
                await asyncio.sleep(latency)   # waiting for the service's reply

            latencies = {list(LATENCIES)}

        On a VirtualClock, how many seconds does the client take
          (a) calling them one after another:  for l in latencies: await call(l)
          (b) calling them concurrently:       await asyncio.gather(*(call(l) for l in latencies))
        Answer with a tuple (a, b)."""),
        judge=_judge_gather,
        hints=[
            "(a) is a plain sum. For (b), only the awaits overlap: a task holds the loop while it computes.",
            "For (b), follow the calls in gather order: call i finishes computing at 0.5 * (i + 1) s, then waits "
            "its latency. The gather ends when the last wait ends.",
        ],
        solution_text=textwrap.dedent("""\
        answer = (14.0, 6.0)
        # (a) 4 x 0.5 s of CPU + 2 + 5 + 1 + 4 s of waiting = 14 s.
        # (b) The CPU parts run one after another (0-0.5, 0.5-1.0, 1.0-1.5, 1.5-2.0 s) and each call
        #     waits from the end of its own CPU part: the waits end at 2.5, 6.0, 2.5 and 6.0 s.
        #     The gather ends at 6.0 s - neither the sum (14) nor the largest latency (5).
        #
        #     clock = ac.VirtualClock(); clock.run(main()); clock.now()   # checks it"""),
        reference=(14.0, 6.0),
        wrong_answers=[(12.0, 5.0), (14.0, 5.0), (14.0, 5.5), (14.0, 7.0), (14.0, 14.0), (12.0, 6.0), (14, 6, 0)],
    )
)


# -- 06.choose-pattern ---------------------------------------------------------

SCENARIOS = {
    1: "An online shop's web servers accept orders in bursts (hundreds in the first second of a sale). "
    "One payment service handles 50 orders per second and restarts now and then. No order may be lost.",
    2: "When a user signs up, a welcome e-mail, an analytics counter and an audit log must each react. "
    "Other teams add new reactions every few months and must not have to change the sign-up code.",
    3: "A desktop app starts one file download in the background. When that download finishes, its result "
    "must be handed to the GUI thread once, which updates the window.",
}
_EXPECTED = {1: "queue", 2: "event", 3: "callback"}
_ALIASES = {
    "queue": "queue",
    "queues": "queue",
    "message queue": "queue",
    "messagequeue": "queue",
    "mq": "queue",
    "asyncmessagequeue": "queue",
    "event": "event",
    "events": "event",
    "event bus": "event",
    "eventbus": "event",
    "bus": "event",
    "event-driven": "event",
    "event driven": "event",
    "pub/sub": "event",
    "pubsub": "event",
    "pub-sub": "event",
    "pub sub": "event",
    "publish/subscribe": "event",
    "publish-subscribe": "event",
    "observer": "event",
    "observer pattern": "event",
    "callback": "callback",
    "callbacks": "callback",
    "callback function": "callback",
    "callbackregistry": "callback",
    "callback registry": "callback",
}
_WHY_NOT = {
    (1, "event"): "scenario 1: an event bus calls the listeners that are registered at trigger time and keeps "
    "nothing - an order triggered while the payment service restarts is gone. Which pattern "
    "keeps a message until someone receives it?",
    (1, "callback"): "scenario 1: a callback runs inline, once, in whoever completes the work - it has no buffer "
    "for a burst and nothing survives a restart. Which pattern absorbs a burst?",
    (2, "queue"): "scenario 2: each message in a queue goes to ONE receiver (competing consumers share the work); "
    "here every reaction must see every sign-up. Which pattern fans one trigger out to many?",
    (2, "callback"): "scenario 2: a callback is one-to-one - each new reaction would mean editing the sign-up "
    "code. Which pattern lets a new reaction register without touching the trigger side?",
    (3, "queue"): "scenario 3: one result, for one caller, once - a queue adds a buffer and a receive loop that "
    "nobody needs. Which pattern is one-to-one, called when the work completes?",
    (3, "event"): "scenario 3: nobody else needs to hear about this one download - an event bus is for many "
    "listeners who do not know each other. Which pattern is one-to-one?",
}


def _normalise_choices(answer: Any) -> dict[int, str] | str:
    if isinstance(answer, (list, tuple)):
        answer = dict(enumerate(answer, start=1))
    if not isinstance(answer, dict):
        return 'answer with a dict {1: "queue" | "event" | "callback", 2: ..., 3: ...}'
    choices = {}
    for key, value in answer.items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            return f"the keys must be the scenario numbers 1, 2 and 3, got {key!r}"
        if not isinstance(value, str) or clean_text(value) not in _ALIASES:
            return f'scenario {number}: {value!r} is not one of "queue", "event", "callback"'
        choices[number] = _ALIASES[clean_text(value)]
    missing = sorted(set(_EXPECTED) - set(choices))
    if missing or set(choices) != set(_EXPECTED):
        return f"answer every scenario, 1, 2 and 3 (missing or extra: {sorted(set(_EXPECTED) ^ set(choices))})"
    return choices


def _judge_choose(answer: Any) -> str | None:
    choices = _normalise_choices(answer)
    if isinstance(choices, str):
        return choices
    wrong = [_WHY_NOT[(n, choices[n])] for n in sorted(_EXPECTED) if choices[n] != _EXPECTED[n]]
    return "; ".join(wrong) if wrong else None


register(
    Exercise(
        id="06.choose-pattern",
        title="Choose the pattern by its properties",
        kind="predict",
        prompt='For each scenario choose "queue", "event" or "callback", and name to yourself the property '
        'that decides it (not "it has many tasks"):\n\n'
        + "\n".join(f"  {n}. {text}" for n, text in SCENARIOS.items())
        + '\n\nAnswer with a dict: {1: "...", 2: "...", 3: "..."}',
        judge=_judge_choose,
        hints=[
            "For each scenario ask: must the message wait for a receiver that is busy or absent (buffering)? "
            "Must one signal reach many parties who do not know each other (fan-out)? Is it one result for one "
            "caller (one-to-one)?",
            "Look back at the experiments: 'the consumer starts late and still gets everything', 'a late listener "
            "misses the event', 'on_done runs in the completer's thread'.",
        ],
        solution_text=textwrap.dedent("""\
        answer = {1: "queue", 2: "event", 3: "callback"}
        # 1. queue: it buffers the burst (rate difference) and keeps every order until the payment service
        #    receives it, even across a restart (with a durable broker; in memory, across a pause).
        # 2. event: one trigger fans out to every listener; a new reaction registers itself and the
        #    sign-up code (the trigger side) does not change. (Pub/sub and the observer pattern are this.)
        # 3. callback: one result, for one caller, once, when the work completes (or await it:
        #    ac.from_callbacks turns the callback into an awaitable). The callback runs on the download's
        #    thread, so it hands the update to the GUI thread instead of touching the window itself."""),
        reference={1: "queue", 2: "event", 3: "callback"},
        wrong_answers=[
            {1: "event", 2: "queue", 3: "callback"},
            {1: "queue", 2: "callback", 3: "event"},
            {1: "queue", 2: "queue", 3: "queue"},
            {1: "queue", 2: "event"},
            {1: "pub/sub", 2: "event", 3: "callback"},
            {1: "queue", 2: "Observer", 3: "MessageQueue"},
            {1: "queue", 2: "CallbackRegistry", 3: "callback"},
            {1: "queue", 2: "event", 3: "webhook"},
        ],
    )
)


# -- 06.decide ---------------------------------------------------------------------

#: The situations of chapter 06's decision guide: the properties a situation needs -> the pattern.
DECISIONS: dict[frozenset[str], str] = {
    frozenset({"buffer"}): "queue",
    frozenset({"share work"}): "queue",
    frozenset({"buffer", "share work"}): "queue",
    frozenset({"fan out"}): "event",
    frozenset({"fan out", "buffer"}): "event + queue",
    frozenset({"one result"}): "callback",
}
_PATTERNS = ("queue", "event", "event + queue", "callback")


def _pattern_name(result: Any) -> str | None:
    """A returned pattern in its canonical form, or None: 'Event bus + a queue per party' -> 'event + queue'."""
    if not isinstance(result, str):
        return None
    found = set()
    for part in clean_text(result).split("+"):
        part = part.strip()
        if part in _ALIASES:
            found.add(_ALIASES[part])
        elif "queue" in part:
            found.add("queue")
        elif "event" in part or "bus" in part:
            found.add("event")
        else:
            return None
    if found == {"event", "queue"} and "+" in result:
        return "event + queue"
    return found.pop() if len(found) == 1 and "+" not in result else None


_WRONG_CHOICE = {
    ("fan out + buffer", "event"): "a bus keeps nothing: a party that is away when the event happens misses it "
    "(property 5). What must each party have, to keep events while it is away?",
    ("fan out + buffer", "queue"): "one queue gives each message to ONE receiver (property 3), so the parties "
    "would share the events instead of each getting all of them",
    ("fan out + buffer", "callback"): "a callback is one-to-one and keeps nothing; here several parties each need "
    "every event, kept while they are away",
    ("share work", "event"): "every listener hears every trigger, so every worker would do every job; which "
    "pattern gives each message to exactly one receiver (property 3)?",
    ("fan out", "queue"): "in a queue each message goes to one receiver; here every party must hear every "
    "happening (property 4)",
    ("fan out", "event + queue"): "nobody here needs to be away and catch up: the bus alone fans out; add a "
    "queue per party only when a party must not miss events",
}


def _judge_decide(answer: Any) -> str | None:
    if not callable(answer):
        return 'pass your function itself: ac.check("06.decide", choose_pattern)'
    problems = []
    for needs, expected in DECISIONS.items():
        returned = answer(set(needs))
        name = _pattern_name(returned)
        label = " + ".join(sorted(needs, key=["fan out", "share work", "buffer", "one result"].index))
        if name is None:
            return f"for {sorted(needs)} your function returned {returned!r}; return one of " + ", ".join(
                map(repr, _PATTERNS)
            )
        if name != expected:
            problems.append(
                _WRONG_CHOICE.get(
                    (label, name),
                    f"for {sorted(needs)} you chose {name!r}; look again at the property that decides it",
                )
            )
    return problems[0] if problems else None


def choose_pattern(needs):
    if "fan out" in needs:
        return "event + queue" if "buffer" in needs else "event"
    if "buffer" in needs or "share work" in needs:
        return "queue"
    return "callback"


def _always_queue(needs: set[str]) -> str:
    return "queue"


def _fan_out_forgets_absent_parties(needs: set[str]) -> str:
    if "fan out" in needs:
        return "event"
    return "queue" if needs & {"buffer", "share work"} else "callback"


def _buffer_first(needs: set[str]) -> str:  # a buffer wins over everything: the parties would share the events
    if "buffer" in needs or "share work" in needs:
        return "queue"
    return "event" if "fan out" in needs else "callback"


def _returns_nothing(needs: set[str]) -> None:
    return None


register(
    Exercise(
        id="06.decide",
        title="Write the decision guide as a function",
        kind="write",
        prompt=textwrap.dedent("""\
        Write the decision guide as code. choose_pattern(needs) gets the set of properties a situation
        needs, drawn from:
          "buffer"      messages must wait for a receiver that is slow, busy or away
          "share work"  each job goes to one of several workers
          "fan out"     one happening reaches several parties, more joining later
          "one result"  one caller wants one job's result when it completes
        It returns "queue", "event", "event + queue" (a bus, plus a queue per party) or "callback".
        The check tries every situation of the guide's table."""),
        judge=_judge_decide,
        hints=[
            "Start from the property that changes the shape most: does one happening go to several parties? "
            "Then ask whether those parties may be away.",
            'if "fan out" in needs: a bus, plus a queue per party when "buffer" is needed too; otherwise '
            '"buffer" or "share work" need a queue; what is left is one result for one caller.',
        ],
        solution_text=textwrap.dedent(inspect.getsource(choose_pattern)),
        reference=choose_pattern,
        wrong_answers=[_always_queue, _fan_out_forgets_absent_parties, _buffer_first, _returns_nothing, "queue"],
    )
)


# -- 06.batch-fix ----------------------------------------------------------------


async def buggy_receive_batch(q, k):
    """Wait for one message, then take up to k-1 more that are already queued."""
    batch = [await q.receive()]
    while len(batch) < k:
        try:
            batch.append(q.receive_nowait())
        except QueueEmpty:
            break
    return batch


async def receive_batch(q, k):
    """Wait for one message, then take up to k-1 more that are already queued."""
    batch = [await q.receive()]  # waits; raises QueueClosed only when nothing is left
    while len(batch) < k and not q.empty():  # only what is already there: never wait for more
        batch.append(q.receive_nowait())
    return batch


async def _nowait_only(q: AsyncMessageQueue, k: int) -> list[Any]:
    batch: list[Any] = []
    while len(batch) < k:
        try:
            batch.append(q.receive_nowait())
        except QueueEmpty:
            break
    return batch


async def _wait_for_k(q: AsyncMessageQueue, k: int) -> list[Any]:
    return [await q.receive() for _ in range(k)]


async def _swallow_close(q: AsyncMessageQueue, k: int) -> list[Any]:
    batch: list[Any] = []
    try:
        batch.append(await q.receive())
        while len(batch) < k and not q.empty():
            batch.append(q.receive_nowait())
    except QueueClosed:
        pass
    return batch


async def _one_too_many(q: AsyncMessageQueue, k: int) -> list[Any]:
    batch = [await q.receive()]
    while len(batch) <= k and not q.empty():
        batch.append(q.receive_nowait())
    return batch


def _batch_case(
    fn: Callable[..., Any], queued: list[Any], k: int, *, close: bool = False, late: tuple[tuple[float, Any], ...] = ()
) -> tuple[Any, float, list[Any]]:
    """Run ``fn(q, k)`` on a queue holding ``queued`` (then closed if asked),
    with ``late`` messages sent at given times. Returns (result or the exception
    raised, time it returned, what stayed queued)."""

    async def main() -> tuple[Any, float, list[Any]]:
        q = AsyncMessageQueue(name="inbox")
        for msg in queued:
            q.send_nowait(msg)
        if close:
            q.close()

        async def sender() -> None:
            for when, msg in late:
                await asyncio.sleep(when - asyncio.get_running_loop().time())
                await q.send(msg)

        sending = asyncio.ensure_future(sender())
        try:
            outcome: Any = await fn(q, k)
        except QueueClosed as err:
            outcome = err
        returned_at = asyncio.get_running_loop().time()
        sending.cancel()
        return outcome, returned_at, q.snapshot()

    return VirtualClock(deadlock_after=0.05).run(main())


def _judge_batch(fixed: Any) -> str | None:
    if not inspect.iscoroutinefunction(fixed):
        return "fixed must be an `async def` function taking (q, k), like receive_batch above"
    try:
        got, _, left = _batch_case(fixed, [1, 2, 3, 4, 5, 6, 7], 3)
        if got != [1, 2, 3] or left != [4, 5, 6, 7]:
            return (
                f"with 7 messages queued and k=3 your function returned {got!r} and left {left!r} queued: "
                f"a batch is the k oldest messages, in order, and the rest stay queued"
            )
        got, at, _ = _batch_case(fixed, [], 2, late=((2.0, "a"), (3.0, "b")))
        if got == []:
            return "on an empty queue your function returned an empty batch at once: it must wait for a first message"
        if got != ["a"] or at != 2.0:
            return (
                f"with an empty queue, one message arriving at t=2 and another at t=3 (k=2), your function "
                f"returned {got!r} at t={at:g}: return as soon as there is one message, without waiting "
                f"for more"
            )
        got, _, _ = _batch_case(fixed, [1, 2], 5)
    except Deadlock:
        return (
            "with 2 messages queued and k=5 your function waited for ever: take only what is already "
            "queued after the first message, never wait for a full batch"
        )
    got, _, left = _batch_case(fixed, [1, 2], 5, close=True)
    if isinstance(got, QueueClosed):
        return (
            "on a closed queue still holding 2 messages (k=5) your function raised QueueClosed instead of "
            "returning them: the messages it had already taken are lost. Which errors can receive_nowait() "
            "raise once a closed queue runs dry?"
        )
    if got != [1, 2] or left:
        return f"on a closed queue holding [1, 2] (k=5) your function returned {got!r}: it should return both"
    got, _, _ = _batch_case(fixed, [], 3, close=True)
    if not isinstance(got, QueueClosed):
        return (
            f"on a closed, empty queue your function returned {got!r}: it must raise ac.QueueClosed, or the "
            f"consumer's loop never learns that the stream has ended"
        )
    return None


_BUGGY_SOURCE = textwrap.indent(
    as_notebook_code(inspect.getsource(buggy_receive_batch).replace("buggy_", ""), ["QueueEmpty"]), "    "
)

register(
    Exercise(
        id="06.batch-fix",
        title="Fix the batching receive that loses messages",
        kind="fix",
        prompt=textwrap.dedent("""\
        This batching receive (from the notebook) usually works, but with k=3 and 100 messages one
        message was received and never processed:

        """)
        + _BUGGY_SOURCE
        + textwrap.dedent("""
        Write a fixed version with the same contract and set `fixed` to it:
          - wait for the first message; then take only messages that are already queued, at most k in all;
          - return them oldest first;
          - raise ac.QueueClosed only if the queue is closed and nothing was taken."""),
        judge=_judge_batch,
        hints=[
            "Run it on a queue holding [1, 2] that is already closed, with k=5. What does receive_nowait() raise "
            "when a *closed* queue is empty?",
            "Either catch both ac.QueueEmpty and ac.QueueClosed around receive_nowait(), or do not call it on an "
            "empty queue at all: loop while len(batch) < k and not q.empty().",
        ],
        solution_text=textwrap.dedent(inspect.getsource(receive_batch)) + "\n\nfixed = receive_batch\n",
        reference=receive_batch,
        wrong_answers=[buggy_receive_batch, _nowait_only, _wait_for_k, _swallow_close, _one_too_many, sum],
    )
)
