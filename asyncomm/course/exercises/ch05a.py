"""Exercises of chapter 05a (bottlenecks and backpressure).

* ``05a.queue-length`` (predict), ``05a.utilisation`` (write): a producer faster than its consumer;
* ``05a.size-the-queue`` (predict): a bounded queue for bursts, block or drop;
* ``05a.send-or-shed`` (write): backpressure with :class:`asyncio.Queue`, and load shedding after a patience;
* ``05a.blocking-probability`` (predict): the share of messages a bounded queue drops (M/M/1/K).

>>> from asyncomm import exercises
>>> exercises.get("05a.queue-length").check(14).outcome.value
'correct'
"""

from __future__ import annotations

import asyncio
import inspect
import math
from functools import cache
from typing import Any

from asyncomm._checks import is_number
from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, as_list, clean_text, real_number, register, whole_number
from asyncomm.errors import Deadlock
from asyncomm.labs.queueing import MM1, MM1K
from asyncomm.labs.simulate import POLICIES, regular_arrivals, simulate_pipeline

__all__: list[str] = []


# -- 05a.queue-length ------------------------------------------------------------

#: A moment when nothing happens (sends are at multiples of 0.5 s, takes at multiples of 1.5 s), so the count
#: does not hang on which of two things at the same instant happens first.
QUEUE_LENGTH_AT = 10.25


@cache
def _queue_length_run():  # type: ignore[no-untyped-def]
    # One message every 0.5 s from t=0 for 20 s; one consumer, 1.5 s per message.
    return simulate_pipeline(regular_arrivals(0.5, 41), service_time=1.5)


def _judge_queue_length(answer: Any) -> str | None:
    answer = whole_number(answer)
    if answer is None:
        return "give a whole number of messages, e.g. answer = 7"
    run = _queue_length_run()
    expected = run.length_at(QUEUE_LENGTH_AT)
    if answer == expected:
        return None
    sent = sum(m.sent <= QUEUE_LENGTH_AT for m in run.messages)
    if answer == expected + 1:
        return "you counted the message the consumer is handling; count only those still waiting in the queue"
    if answer == expected - 1:
        return "count the message sent at t = 10 too: by t = 10.25 it is in the queue"
    if answer == sent:
        return "that is how many were sent; subtract the ones the consumer has already taken"
    if abs(answer - expected) <= 2:
        return (
            "close: the rates give the trend, but count whole messages - one is sent at t = 0 and one at "
            "t = 10, and the consumer takes a message at t = 0, 1.5, 3, ..."
        )
    return "not quite: count the messages sent by t = 10.25, then subtract those the consumer has taken"


register(
    Exercise(
        id="05a.queue-length",
        title="Predict the queue length",
        kind="predict",
        prompt=(
            "A producer sends one message every 0.5 s, the first at t = 0. One consumer needs 1.5 s per message "
            "and takes the next one as soon as it is free. The queue is unbounded. How many messages are "
            "waiting in the queue at t = 10.25 s? Count only the messages waiting, not the one the consumer is "
            "handling. Answer with a whole number."
        ),
        judge=_judge_queue_length,
        hints=[
            "In: 2 messages per second. Out: one per 1.5 s. The queue grows by the difference, about 1.33 per "
            "second - but count whole messages to get it exact.",
            "Sent by t = 10.25: the ones at 0, 0.5, ..., 10. Taken by the consumer by then: the ones it started "
            "at 0, 1.5, 3, ..., 9.",
        ],
        solution_text=(
            "answer = 14\n"
            "# Sent by t = 10.25: 21 messages (t = 0, 0.5, ..., 10). The consumer started one at t = 0,\n"
            "# 1.5, 3, 4.5, 6, 7.5 and 9: 7 taken. Waiting: 21 - 7 = 14. Check it:\n"
            "#     from asyncomm.labs.simulate import simulate_pipeline, regular_arrivals\n"
            "#     simulate_pipeline(regular_arrivals(0.5, 41), 1.5).length_at(10.25)"
        ),
        reference=14,
        wrong_answers=[15, 21, 13, 40, "14", 21.0, 14.5],
    )
)


# -- 05a.utilisation --------------------------------------------------------------

_UTILISATION_CASES = [  # (arrival_rate per s, service_time s, consumers)
    (1.0, 2.0, 1),
    (1.0, 2.0, 2),
    (0.5, 1.0, 1),
    (3.0, 0.5, 2),
    (10.0, 0.25, 4),
    (0.8, 1.0, 1),
]


def _judge_utilisation(fn: Any) -> str | None:
    if not callable(fn):
        return "set answer to your function itself: answer = utilisation"
    for rate, service, consumers in _UTILISATION_CASES:
        expected = rate * service / consumers
        got = fn(rate, service, consumers)
        if not is_number(got):
            return f"utilisation(...) must return a number, got {got!r}"
        if math.isclose(got, expected, rel_tol=1e-9):
            continue
        if math.isclose(got, rate / service / consumers, rel_tol=1e-9):
            return (
                "service_time is seconds per message, not messages per second: the service *rate* is 1 / service_time"
            )
        if math.isclose(got, rate * service, rel_tol=1e-9):
            return "with more consumers each one gets a share of the work: divide by the number of consumers"
        return f"utilisation({rate}, {service}, {consumers}) gave {got!r}: compare arrivals with what can be served"
    return None


def _reference_utilisation(arrival_rate: float, service_time: float, consumers: int = 1) -> float:
    return arrival_rate * service_time / consumers


register(
    Exercise(
        id="05a.utilisation",
        title="Write utilisation(): the number that decides if a queue grows",
        kind="write",
        prompt=(
            "Write utilisation(arrival_rate, service_time, consumers=1): messages arrive at arrival_rate per "
            "second, each consumer needs service_time seconds per message. Return rho = arrival rate / total "
            "service rate. rho < 1: the consumers keep up; rho > 1: the queue grows without bound."
        ),
        judge=_judge_utilisation,
        hints=[
            "One consumer serves 1 / service_time messages per second; c consumers serve c / service_time.",
            "rho = arrival_rate / (consumers / service_time).",
        ],
        solution_text=(
            "def utilisation(arrival_rate, service_time, consumers=1):\n"
            "    return arrival_rate * service_time / consumers"
        ),
        reference=_reference_utilisation,
        wrong_answers=[lambda r, s, c=1: r / s / c, lambda r, s, c=1: r * s, lambda r, s, c=1: "rho", 0.5],
    )
)


# -- 05a.size-the-queue -----------------------------------------------------------

BURSTS = [0.0] * 8 + [20.0] * 8  # two bursts of 8 messages
BURST_SERVICE = 1.0
MAX_PRODUCER_WAIT = 3.0


def _bursts(maxsize: int, policy: str):  # type: ignore[no-untyped-def]
    return simulate_pipeline(BURSTS, BURST_SERVICE, maxsize=maxsize, policy=policy).summary()


def _meets_goals(maxsize: int, policy: str) -> bool:
    s = _bursts(maxsize, policy)
    return s.dropped == 0 and s.max_producer_wait <= MAX_PRODUCER_WAIT


def _judge_sizing(answer: Any) -> str | None:
    pair = as_list(answer)
    if pair is None or len(pair) != 2:
        return "answer with a pair: (maxsize, policy), e.g. (10, 'drop')"
    if isinstance(pair[0], str) and whole_number(pair[1]) is not None:
        return "the number comes first: answer = (maxsize, policy)"
    maxsize, policy = whole_number(pair[0]), pair[1]
    if maxsize is None or maxsize < 0:
        return "maxsize must be a whole number >= 0"
    policy = clean_text(policy) if isinstance(policy, str) else policy
    if policy not in POLICIES:
        return f"policy must be one of {', '.join(map(repr, POLICIES))}"
    if maxsize == 0:
        return (
            "an unbounded queue never drops nor blocks, but it also puts no limit on memory: "
            "choose a bound (maxsize > 0)"
        )
    s = _bursts(maxsize, policy)
    if s.dropped:
        return f"{s.dropped} of the {s.sent} messages were dropped: that queue is too small for that policy"
    if s.max_producer_wait > MAX_PRODUCER_WAIT:
        return (
            f"a message was accepted more than {MAX_PRODUCER_WAIT:g} s after the producer wanted to send it "
            f"(max_producer_wait = {s.max_producer_wait:g} s): allow a longer queue"
        )
    if any(_meets_goals(m, p) for m in range(1, maxsize) for p in POLICIES):
        return "no message is lost and the producer waits little enough - but a smaller queue would do too"
    return None


register(
    Exercise(
        id="05a.size-the-queue",
        title="Size a queue for bursts",
        kind="predict",
        prompt=(
            "A producer sends bursts: 8 messages at once at t = 0, and 8 more at t = 20. One consumer needs 1 s "
            "per message. Choose the queue's maxsize and its policy ('block': the producer waits for room, "
            "'drop': a message that finds the queue full is discarded) so that no message is lost and no message "
            f"is accepted more than {MAX_PRODUCER_WAIT:g} s after the producer wanted to send it (max_producer_wait "
            "in the run's summary) - with the smallest maxsize that does both. Answer with a pair: "
            "answer = (maxsize, policy)."
        ),
        judge=_judge_sizing,
        hints=[
            "'drop' loses every message that finds the queue full, so it needs room for a whole burst. "
            "'block' loses nothing, but the producer waits.",
            "At t = 0 the consumer takes the first message at once; it then takes one per second. With "
            "policy 'block' and maxsize m, message k (k > m) is accepted at t = k - m.",
        ],
        solution_text=(
            "answer = (4, 'block')\n"
            "# The consumer takes message 0 at once; messages 1-4 fill the queue; message k > 4 waits\n"
            "# until t = k - 4, so message 7 waits 3 s. With maxsize 3 it would wait 4 s; 'drop' needs\n"
            "# maxsize 7 to hold a burst."
        ),
        reference=(4, "block"),
        wrong_answers=[
            (3, "block"),
            (4, "drop"),
            (7, "drop"),
            (0, "block"),
            (5, "block"),
            [3, "Block"],
            ("block", 4),
            (4.5, "block"),
            ("4", "block"),
            4,
            (4, "block", "drop"),
        ],
    )
)


# -- 05a.send-or-shed ------------------------------------------------------------

SHED_MAXSIZE = 2
SHED_ITEMS = 8  # all offered at t = 0
SHED_SERVICE = 1.0  # the consumer's seconds per item
SHED_PATIENCE = 0.8


def _shed_run(send_all: Any, maxsize: int, patience: float) -> tuple[Any, float, list[Any]]:
    """Run ``send_all(queue, items, patience)`` against an ``asyncio.Queue(maxsize)`` whose consumer takes
    ``SHED_SERVICE`` s per item, on a virtual clock. Returns (what it returned, when, what was accepted)."""

    async def main() -> tuple[Any, float, list[Any]]:
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=maxsize)
        taken: list[Any] = []

        async def consumer() -> None:
            while True:
                taken.append(await queue.get())
                await asyncio.sleep(SHED_SERVICE)

        worker = asyncio.create_task(consumer())
        try:
            shed = await send_all(queue, list(range(SHED_ITEMS)), patience)
        finally:
            worker.cancel()
        accepted = taken + [queue.get_nowait() for _ in range(queue.qsize())]
        return shed, asyncio.get_running_loop().time(), accepted

    return VirtualClock(deadlock_after=0.05).run(main())


def _judge_send_or_shed(send_all: Any) -> str | None:
    if not inspect.iscoroutinefunction(send_all):
        return "send_all must be an `async def` function taking (queue, items, patience)"
    try:
        shed, at, accepted = _shed_run(send_all, SHED_MAXSIZE, SHED_PATIENCE)
    except Deadlock:
        return "your send_all waited for something that never happens: await queue.put(item) for each item"
    if not isinstance(shed, list):
        return f"send_all must return the list of items it shed (dropped), got {shed!r}"
    expected, _, _ = _shed_run(_reference_send_all, SHED_MAXSIZE, SHED_PATIENCE)
    if sorted(accepted + shed) != list(range(SHED_ITEMS)) or set(accepted) & set(shed):
        return (
            f"every item must either go into the queue or be returned as shed, never both: the queue took "
            f"{accepted} and you returned {shed}"
        )
    if shed != expected:
        if at == 0 and shed == list(range(shed[0], SHED_ITEMS)):
            return (
                "you shed every item that found the queue full, at once: that is load shedding without "
                "backpressure. Wait for room (await queue.put), and give up only after patience seconds"
            )
        if shed == list(range(SHED_MAXSIZE + 1, SHED_ITEMS)):
            return (
                "patience is per item: after the first wait ran out, every later item was shed too. Start a new "
                "timeout for each put (asyncio.timeout or asyncio.wait_for inside the loop)"
            )
        if not shed:
            return (
                f"nothing was shed: your producer waited for room as long as it took (until t = {at:g} s), though "
                f"the consumer needs {SHED_SERVICE:g} s per item and patience is {SHED_PATIENCE:g} s. Give up on "
                "an item after patience seconds: asyncio.timeout(patience) or asyncio.wait_for(..., patience)"
            )
        return (
            f"with maxsize={SHED_MAXSIZE}, {SHED_ITEMS} items at t = 0, a consumer taking {SHED_SERVICE:g} s per "
            f"item and patience {SHED_PATIENCE:g} s, you shed {shed}: each put should wait up to patience "
            "seconds for room, and only then be given up"
        )
    shed, at, _ = _shed_run(send_all, SHED_ITEMS + 2, SHED_PATIENCE)
    if shed or at:
        return f"with room for every item, send_all shed {shed} and returned at t = {at:g} s: nothing should wait"
    return None


async def _reference_send_all(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    shed = []
    for item in items:
        try:
            async with asyncio.timeout(patience):
                await queue.put(item)
        except TimeoutError:
            shed.append(item)
    return shed


async def _never_waits(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    shed = []
    for item in items:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            shed.append(item)
    return shed


async def _one_timeout_for_all(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    left = list(items)
    try:
        async with asyncio.timeout(patience):
            while left:
                await queue.put(left[0])
                left.pop(0)
    except TimeoutError:
        return left
    return []


async def _never_sheds(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    for item in items:
        await queue.put(item)
    return []


async def _returns_a_count(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> int:
    return len(await _reference_send_all(queue, items, patience))


register(
    Exercise(
        id="05a.send-or-shed",
        title="Backpressure first, then load shedding, with asyncio.Queue",
        kind="write",
        prompt=(
            "Write `async def send_all(queue, items, patience)`: put each item of `items`, in order, into "
            "`queue` (an asyncio.Queue with a maxsize). While the queue is full, wait for room - backpressure - "
            "but at most `patience` seconds per item: an item that finds no room in time is shed (dropped), and "
            "send_all goes on with the next one. Return the list of items shed. The check runs it on a virtual "
            f"clock: maxsize={SHED_MAXSIZE}, items 0..{SHED_ITEMS - 1} at t = 0, a consumer taking "
            f"{SHED_SERVICE:g} s per item, patience {SHED_PATIENCE:g} s."
        ),
        judge=_judge_send_or_shed,
        hints=[
            "`await queue.put(item)` waits for room (backpressure); `queue.put_nowait(item)` raises "
            "asyncio.QueueFull at once (shedding without waiting). You need the first, with a time limit.",
            "Around each put: `async with asyncio.timeout(patience): await queue.put(item)`, and catch "
            "TimeoutError after the `async with` to shed that item.",
        ],
        solution_text=(
            "async def send_all(queue, items, patience):\n"
            "    shed = []\n"
            "    for item in items:\n"
            "        try:\n"
            "            async with asyncio.timeout(patience):   # a new time limit for each item\n"
            "                await queue.put(item)               # waits while the queue is full\n"
            "        except TimeoutError:\n"
            "            shed.append(item)                       # no room in time: drop it, go on\n"
            "    return shed\n"
            "\n"
            "# asyncio.wait_for(queue.put(item), patience) does the same. Items 0-2 fit at once (the\n"
            "# consumer takes 0, the queue holds 1 and 2); 3 waits 0.8 s and is shed; 4 finds room at\n"
            "# t = 1; 5 is shed at 1.8; 6 fits at 2; 7 is shed at 2.8: [3, 5, 7]."
        ),
        reference=_reference_send_all,
        wrong_answers=[_never_waits, _one_timeout_for_all, _never_sheds, _returns_a_count, 3],
    )
)


# -- 05a.blocking-probability -----------------------------------------------------

BLOCKING_MAXSIZE = 2
BLOCKING_ARRIVAL_RATE = 1.0  # per second
BLOCKING_SERVICE_RATE = 2.0  # per second: 0.5 s per message on average


#: How close a share must be to count as right: 2 % of it (0.0667, 0.067 and 0.066 all pass for 1/15).
BLOCKING_REL_TOL = 0.02


def _judge_blocking(answer: Any) -> str | None:
    if isinstance(answer, str) and answer.strip().endswith("%"):
        return "give the share as a number between 0 and 1, not as a percentage string: 0.25 rather than '25%'"
    answer = real_number(answer)
    if answer is None:
        return "answer with a number between 0 and 1: the share of messages dropped"
    model = MM1K.from_queue(BLOCKING_MAXSIZE, BLOCKING_ARRIVAL_RATE, BLOCKING_SERVICE_RATE)
    if math.isclose(answer, model.blocking_probability, rel_tol=BLOCKING_REL_TOL):
        return None
    if 1 < answer <= 100:
        return "give a share between 0 and 1, not a percentage"
    if math.isclose(
        answer, MM1K(BLOCKING_ARRIVAL_RATE, BLOCKING_SERVICE_RATE, BLOCKING_MAXSIZE).blocking_probability, rel_tol=0.01
    ):
        return (
            "K counts every message in the system: the ones waiting in the queue *and* the one the consumer is handling"
        )
    unbounded = MM1(BLOCKING_ARRIVAL_RATE, BLOCKING_SERVICE_RATE)
    if math.isclose(answer, unbounded.p(model.capacity), rel_tol=0.01):
        return (
            "that is p(K) of an unbounded queue; a bounded queue never holds more than K, so its "
            "probabilities p(0) .. p(K) must add up to 1 on their own"
        )
    if math.isclose(answer, unbounded.rho**model.capacity, rel_tol=0.01):
        return "that is P(at least K inside) for an unbounded queue; the bounded queue has its own p(K)"
    if math.isclose(answer, model.blocking_probability, rel_tol=0.1):
        return (
            "close, but more than 2 % off: keep more digits through the calculation (round only the result, "
            "to 3 significant digits)"
        )
    return "M/M/1/K: p(n) = (1 - ρ) ρ^n / (1 - ρ^(K+1)) for n = 0 .. K, and an arrival is dropped when it finds n = K"


register(
    Exercise(
        id="05a.blocking-probability",
        title="Predict the share a bounded queue drops",
        kind="predict",
        prompt=(
            f"A queue with maxsize={BLOCKING_MAXSIZE} and policy 'drop' feeds one consumer. Messages arrive at "
            f"random (a Poisson stream) at {BLOCKING_ARRIVAL_RATE:g} per second; the consumer needs "
            f"{1 / BLOCKING_SERVICE_RATE:g} s per message on average (exponential service times). In the long "
            f"run, what share of the messages is dropped? Work it out by hand first, with chapter 03b's M/M/1/K "
            f"formula, then check it. Answer with a number between 0 and 1."
        ),
        judge=_judge_blocking,
        hints=[
            "This is M/M/1/K. What is K for a queue of maxsize 2 and one consumer that has already taken a "
            "message out of the queue?",
            "K = maxsize + 1 = 3, ρ = λ/μ = 0.5. An arrival is dropped when it finds K inside: "
            "p(K) = (1 - ρ) ρ^K / (1 - ρ^(K+1)).",
        ],
        solution_text=(
            "answer = 1 / 15   # ≈ 0.0667\n"
            "# K = 2 + 1 = 3 (two waiting plus the one being handled), ρ = 0.5:\n"
            "# p(3) = 0.5 × 0.125 / (1 - 0.0625) = 0.0625 / 0.9375. Check it:\n"
            "#     ac.labs.queueing.MM1K.from_queue(2, 1.0, 2.0).blocking_probability, or simulate it:\n"
            "#     ac.labs.queueing.simulate_mm1k(1.0, 2.0, capacity=3).blocking_fraction"
        ),
        reference=1 / 15,
        wrong_answers=[1 / 7, 1 / 16, 1 / 8, 0.5, 6.67, 0.0, "1/15", 0.065, 0.07, "6.67%"],
    )
)
