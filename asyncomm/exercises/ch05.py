"""Exercises of chapter 05 (challenges): predict a queue's length, compute utilisation, size a queue.

>>> from asyncomm import exercises
>>> exercises.get("05.queue-length").check(14).outcome.value
'correct'
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from ..simulate import POLICIES, regular_arrivals, simulate_pipeline
from ._core import Exercise, register

__all__: list[str] = []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- 05.queue-length -------------------------------------------------------------

QUEUE_LENGTH_AT = 10.0


@cache
def _queue_length_run():  # type: ignore[no-untyped-def]
    # One message every 0.5 s from t=0 for 20 s; one consumer, 1.5 s per message.
    return simulate_pipeline(regular_arrivals(0.5, 41), service_time=1.5)


def _judge_queue_length(answer: Any) -> str | None:
    if not _is_int(answer):
        return "give a whole number of messages, e.g. answer = 7"
    run = _queue_length_run()
    expected = run.length_at(QUEUE_LENGTH_AT)
    if answer == expected:
        return None
    sent = sum(m.sent <= QUEUE_LENGTH_AT for m in run.messages)
    if answer == expected + 1:
        return "you counted the message the consumer is handling; count only those still waiting in the queue"
    if answer == sent:
        return "that is how many were sent; subtract the ones the consumer has already taken"
    if abs(answer - expected) <= 2:
        return ("close: the rates give the trend, but count whole messages - one is sent at t = 0 and one at "
                "t = 10, and the consumer takes a message at t = 0, 1.5, 3, ...")
    return "not quite: count the messages sent by t = 10, then subtract those the consumer has taken"


register(Exercise(
    id="05.queue-length",
    title="Predict the queue length",
    kind="predict",
    prompt=("A producer sends one message every 0.5 s, the first at t = 0. One consumer needs 1.5 s per message "
            "and takes the next one as soon as it is free. The queue is unbounded. How many messages are "
            "waiting in the queue at t = 10 s (not counting the one being handled)? Answer with a whole number."),
    judge=_judge_queue_length,
    hints=["In: 2 messages per second. Out: one per 1.5 s. The queue grows by the difference, about 1.33 per "
           "second - but count whole messages to get it exact.",
           "Sent by t = 10: the ones at 0, 0.5, ..., 10. Taken by the consumer by t = 10: the ones it started "
           "at 0, 1.5, 3, ..., 9."],
    solution_text=("14. Sent by t = 10: 21 messages (t = 0, 0.5, ..., 10). The consumer started one at t = 0, "
                   "1.5, 3, 4.5, 6, 7.5 and 9: 7 taken. Waiting: 21 - 7 = 14. Check it:\n"
                   "    from asyncomm.simulate import simulate_pipeline, regular_arrivals\n"
                   "    simulate_pipeline(regular_arrivals(0.5, 41), 1.5).length_at(10)"),
    reference=14,
    wrong_answers=[15, 21, 13, 40, 14.0, "14"],
))


# -- 05.utilisation --------------------------------------------------------------

_UTILISATION_CASES = [  # (arrival_rate per s, service_time s, consumers)
    (1.0, 2.0, 1), (1.0, 2.0, 2), (0.5, 1.0, 1), (3.0, 0.5, 2), (10.0, 0.25, 4), (0.8, 1.0, 1),
]


def _judge_utilisation(fn: Any) -> str | None:
    if not callable(fn):
        return "set answer to your function itself: answer = utilisation"
    for rate, service, consumers in _UTILISATION_CASES:
        expected = rate * service / consumers
        got = fn(rate, service, consumers)
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return f"utilisation(...) must return a number, got {got!r}"
        if math.isclose(got, expected, rel_tol=1e-9):
            continue
        if math.isclose(got, rate / service / consumers, rel_tol=1e-9):
            return ("service_time is seconds per message, not messages per second: the service *rate* is "
                    "1 / service_time")
        if math.isclose(got, rate * service, rel_tol=1e-9):
            return "with more consumers each one gets a share of the work: divide by the number of consumers"
        return f"utilisation({rate}, {service}, {consumers}) gave {got!r}: compare arrivals with what can be served"
    return None


def _reference_utilisation(arrival_rate: float, service_time: float, consumers: int = 1) -> float:
    return arrival_rate * service_time / consumers


register(Exercise(
    id="05.utilisation",
    title="Write utilisation(): the number that decides if a queue grows",
    kind="write",
    prompt=("Write utilisation(arrival_rate, service_time, consumers=1): messages arrive at arrival_rate per "
            "second, each consumer needs service_time seconds per message. Return rho = arrival rate / total "
            "service rate. rho < 1: the consumers keep up; rho > 1: the queue grows without bound."),
    judge=_judge_utilisation,
    hints=["One consumer serves 1 / service_time messages per second; c consumers serve c / service_time.",
           "rho = arrival_rate / (consumers / service_time)."],
    solution_text=("def utilisation(arrival_rate, service_time, consumers=1):\n"
                   "    return arrival_rate * service_time / consumers"),
    reference=_reference_utilisation,
    wrong_answers=[lambda r, s, c=1: r / s / c, lambda r, s, c=1: r * s, lambda r, s, c=1: "rho", 0.5],
))


# -- 05.size-the-queue -----------------------------------------------------------

BURSTS = [0.0] * 8 + [20.0] * 8  # two bursts of 8 messages
BURST_SERVICE = 1.0
MAX_PRODUCER_WAIT = 3.0


def _bursts(maxsize: int, policy: str):  # type: ignore[no-untyped-def]
    return simulate_pipeline(BURSTS, BURST_SERVICE, maxsize=maxsize, policy=policy).summary()


def _meets_goals(maxsize: int, policy: str) -> bool:
    s = _bursts(maxsize, policy)
    return s.dropped == 0 and s.max_producer_wait <= MAX_PRODUCER_WAIT


def _judge_sizing(answer: Any) -> str | None:
    if not (isinstance(answer, tuple) and len(answer) == 2):
        return "answer with a pair: (maxsize, policy), e.g. (10, 'drop')"
    maxsize, policy = answer
    if not _is_int(maxsize) or maxsize < 0:
        return "maxsize must be a whole number >= 0"
    if policy not in POLICIES:
        return f"policy must be one of {', '.join(map(repr, POLICIES))}"
    if maxsize == 0:
        return ("an unbounded queue never drops nor blocks, but it also puts no limit on memory: "
                "choose a bound (maxsize > 0)")
    s = _bursts(maxsize, policy)
    if s.dropped:
        return f"{s.dropped} of the {s.sent} messages were dropped: that queue is too small for that policy"
    if s.max_producer_wait > MAX_PRODUCER_WAIT:
        return f"the producer had to wait longer than {MAX_PRODUCER_WAIT:g} s for room: allow a longer queue"
    if any(_meets_goals(m, p) for m in range(1, maxsize) for p in POLICIES):
        return "no message is lost and the producer waits little enough - but a smaller queue would do too"
    return None


register(Exercise(
    id="05.size-the-queue",
    title="Size a queue for bursts",
    kind="predict",
    prompt=("A producer sends bursts: 8 messages at once at t = 0, and 8 more at t = 20. One consumer needs 1 s "
            "per message. Choose the queue's maxsize and its policy ('block': the producer waits for room, "
            "'drop': a message that finds the queue full is discarded) so that no message is lost and the "
            "producer never waits more than 3 s to hand over a message - with the smallest maxsize that does "
            "both. Answer with a pair: answer = (maxsize, policy)."),
    judge=_judge_sizing,
    hints=["'drop' loses every message that finds the queue full, so it needs room for a whole burst. "
           "'block' loses nothing, but the producer waits.",
           "At t = 0 the consumer takes the first message at once; it then takes one per second. With "
           "policy 'block' and maxsize m, message k (k > m) is accepted at t = k - m."],
    solution_text=("(4, 'block'). The consumer takes message 0 at once; messages 1-4 fill the queue; message k > 4 "
                   "waits until t = k - 4, so message 7 waits 3 s. With maxsize 3 it would wait 4 s; 'drop' needs "
                   "maxsize 7 to hold a burst."),
    reference=(4, "block"),
    wrong_answers=[(3, "block"), (4, "drop"), (7, "drop"), (0, "block"), (5, "block"), [4, "block"], 4],
))
