"""Chapter 03b exercises: queueing models (the mechanisms are in ``ch03``).

* ``03b.littles-law`` (predict): how many requests are inside a service, from its rate and latency.
* ``03b.mm1-wait`` (predict): the mean time in an M/M/1 queue at 90 % load.
* ``03b.smallest-maxsize`` (write): size a dropping queue with the M/M/1/K model, and know when no size will do.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

from asyncomm.course.exercises._core import Exercise, real_number, register
from asyncomm.labs.queueing import MM1, MM1K, littles_law

__all__ = ["smallest_maxsize"]


# -- 03b.littles-law -------------------------------------------------------------------

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
        id="03b.littles-law",
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


# -- 03b.mm1-wait ----------------------------------------------------------------------

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
        id="03b.mm1-wait",
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


# -- 03b.smallest-maxsize -----------------------------------------------------------------

LARGEST_MAXSIZE = 1000  # the search stops here, so that an impossible target cannot loop forever

#: (arrival_rate, service_rate, max_drop) the check asks about: light and heavy loads, rho = 1, an impossible target.
SIZING_CASES = [
    (0.9, 1.0, 0.05),
    (0.5, 1.0, 0.01),
    (0.2, 1.0, 0.2),
    (1.0, 1.0, 0.1),
    (1.2, 1.0, 0.18),
    (1.2, 1.0, 0.1),
    (0.9, 1.0, 0.5),
]


def smallest_maxsize(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(1, LARGEST_MAXSIZE + 1):
        model = MM1K.from_queue(maxsize, arrival_rate, service_rate)  # K = maxsize + 1
        if model.blocking_probability <= max_drop:
            return maxsize
    return None  # at a load above 1, the drops never fall below 1 - 1/rho


def _sizing_strictly_below(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(1, LARGEST_MAXSIZE + 1):
        if MM1K.from_queue(maxsize, arrival_rate, service_rate).blocking_probability < max_drop:
            return maxsize
    return None


def _sizing_with_capacity(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(1, LARGEST_MAXSIZE + 1):
        if MM1K(arrival_rate, service_rate, capacity=maxsize).blocking_probability <= max_drop:
            return maxsize
    return None


def _sizing_from_zero(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(LARGEST_MAXSIZE + 1):
        if MM1K(arrival_rate, service_rate, capacity=maxsize + 1).blocking_probability <= max_drop:
            return maxsize
    return None


def _sizing_never_none(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    return smallest_maxsize(arrival_rate, service_rate, max_drop) or LARGEST_MAXSIZE


def _sizing_last_too_small(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    found = smallest_maxsize(arrival_rate, service_rate, max_drop)
    return None if found is None else found - 1


def _sizing_returning_the_drop(arrival_rate: float, service_rate: float, max_drop: float) -> float | None:
    found = smallest_maxsize(arrival_rate, service_rate, max_drop)
    return None if found is None else MM1K.from_queue(found, arrival_rate, service_rate).blocking_probability


def _judge_sizing(fn: Any) -> str | None:
    if not callable(fn):
        return "set answer to your function itself: answer = smallest_maxsize (no parentheses)"
    for arrival_rate, service_rate, max_drop in SIZING_CASES:
        call = f"smallest_maxsize({arrival_rate:g}, {service_rate:g}, {max_drop:g})"
        expected = smallest_maxsize(arrival_rate, service_rate, max_drop)
        got = fn(arrival_rate, service_rate, max_drop)
        if got == expected and type(got) is type(expected):
            continue
        if expected is None:
            floor = 1 - service_rate / arrival_rate
            return (
                f"{call} gave {got!r}, but no maxsize reaches that target: at a load of "
                f"{arrival_rate / service_rate:g} the drops never fall below 1 - 1/ρ = {floor:.3f}. Return None "
                f"when no maxsize up to {LARGEST_MAXSIZE} meets it"
            )
        if got is None:
            return f"{call} gave None, but some maxsize up to {LARGEST_MAXSIZE} meets that target"
        if isinstance(got, float) and not got.is_integer():
            return f"{call} gave {got!r}: return the maxsize (a whole number), not the share dropped"
        if isinstance(got, bool) or not isinstance(got, int):
            return f"{call} gave {got!r}: return a maxsize, a whole number"
        if got == expected + 1 and got == _sizing_strictly_below(arrival_rate, service_rate, max_drop):
            return (
                f"{call} gave {got}, but maxsize {expected} drops exactly {max_drop:g} of the messages, and "
                f"'at most' includes equality: compare with <=, not <"
            )
        if got == expected + 1:
            return (
                f"{call}: one too many. A queue of maxsize m with one consumer holds K = m + 1 messages in "
                f"the system (the one being handled has left the queue): use MM1K.from_queue(m, λ, μ)"
            )
        if got == 0:
            return f"{call} gave 0: start at maxsize 1 (maxsize 0 means 'unbounded' in queue.Queue and asyncio.Queue)"
        if got < expected:
            return f"{call} gave {got}: with that maxsize more than {max_drop:g} of the messages are dropped"
        return f"{call} gave {got}: a smaller maxsize already drops at most {max_drop:g}; return the smallest"
    return None


register(
    Exercise(
        id="03b.smallest-maxsize",
        title="Size a dropping queue with the M/M/1/K model",
        kind="write",
        prompt=textwrap.dedent(f"""\
        A queue with one consumer drops a message that finds it full (send_nowait and QueueFull). Write
        smallest_maxsize(arrival_rate, service_rate, max_drop) that returns the smallest maxsize m,
        from 1 to {LARGEST_MAXSIZE}, for which the M/M/1/K model drops at most the share max_drop of the
        messages, or None if no m up to {LARGEST_MAXSIZE} does.
        The share dropped for maxsize m: MM1K.from_queue(m, arrival_rate, service_rate).blocking_probability
        (MM1K is in ac.labs.queueing)."""),
        judge=_judge_sizing,
        hints=[
            f"Try m = 1, 2, 3, ... in order and return the first m that is good enough; after {LARGEST_MAXSIZE}, "
            "give up with None.",
            "When the load λ/μ is above 1 the share dropped levels off at 1 - 1/ρ (the plot above): "
            "a smaller target is never met, whatever the maxsize. Your loop must end anyway.",
        ],
        solution_text=textwrap.dedent(f"""\
        from asyncomm.labs.queueing import MM1K

        def smallest_maxsize(arrival_rate, service_rate, max_drop):
            for maxsize in range(1, {LARGEST_MAXSIZE + 1}):
                model = MM1K.from_queue(maxsize, arrival_rate, service_rate)   # K = maxsize + 1
                if model.blocking_probability <= max_drop:
                    return maxsize
            return None   # at a load above 1 the drops never fall below 1 - 1/ρ

        answer = smallest_maxsize"""),
        reference=smallest_maxsize,
        wrong_answers=[
            _sizing_with_capacity,
            _sizing_from_zero,
            _sizing_never_none,
            _sizing_last_too_small,
            _sizing_returning_the_drop,
            "smallest_maxsize",
            _sizing_strictly_below,
        ],
    )
)
