"""Exercises of chapter 05 (challenges).

* ``05.queue-length`` (predict), ``05.utilisation`` (write), ``05.size-the-queue`` (predict): the bottleneck;
* ``05.blocking-probability`` (predict): the share of messages a bounded queue drops (M/M/1/K);
* ``05.choose-guarantee`` (predict): at-most-once, at-least-once or at-least-once + idempotent consumer;
* ``05.idempotent-consumer`` (write): a consumer that processes each message id once, checked on the
  deliveries of a real fault-lab run.

>>> from asyncomm import exercises
>>> exercises.get("05.queue-length").check(14).outcome.value
'correct'
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

from asyncomm._checks import is_number
from asyncomm.course.exercises._core import Exercise, as_list, clean_text, real_number, register, whole_number
from asyncomm.labs.faults import run_lab
from asyncomm.labs.queueing import MM1, MM1K
from asyncomm.labs.simulate import POLICIES, regular_arrivals, simulate_pipeline
from asyncomm.reliable.idempotent import IdempotentConsumer

__all__: list[str] = []


# -- 05.queue-length -------------------------------------------------------------

QUEUE_LENGTH_AT = 10.0


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
    if answer == sent:
        return "that is how many were sent; subtract the ones the consumer has already taken"
    if abs(answer - expected) <= 2:
        return (
            "close: the rates give the trend, but count whole messages - one is sent at t = 0 and one at "
            "t = 10, and the consumer takes a message at t = 0, 1.5, 3, ..."
        )
    return "not quite: count the messages sent by t = 10, then subtract those the consumer has taken"


register(
    Exercise(
        id="05.queue-length",
        title="Predict the queue length",
        kind="predict",
        prompt=(
            "A producer sends one message every 0.5 s, the first at t = 0. One consumer needs 1.5 s per message "
            "and takes the next one as soon as it is free. The queue is unbounded. How many messages are "
            "waiting in the queue at t = 10 s (not counting the one being handled)? Answer with a whole number."
        ),
        judge=_judge_queue_length,
        hints=[
            "In: 2 messages per second. Out: one per 1.5 s. The queue grows by the difference, about 1.33 per "
            "second - but count whole messages to get it exact.",
            "Sent by t = 10: the ones at 0, 0.5, ..., 10. Taken by the consumer by t = 10: the ones it started "
            "at 0, 1.5, 3, ..., 9.",
        ],
        solution_text=(
            "answer = 14\n"
            "# Sent by t = 10: 21 messages (t = 0, 0.5, ..., 10). The consumer started one at t = 0,\n"
            "# 1.5, 3, 4.5, 6, 7.5 and 9: 7 taken. Waiting: 21 - 7 = 14. Check it:\n"
            "#     from asyncomm.labs.simulate import simulate_pipeline, regular_arrivals\n"
            "#     simulate_pipeline(regular_arrivals(0.5, 41), 1.5).length_at(10)"
        ),
        reference=14,
        wrong_answers=[15, 21, 13, 40, "14", 21.0, 14.5],
    )
)


# -- 05.utilisation --------------------------------------------------------------

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
        id="05.utilisation",
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
        id="05.size-the-queue",
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


# -- 05.blocking-probability -----------------------------------------------------

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
        id="05.blocking-probability",
        title="Predict the share a bounded queue drops",
        kind="predict",
        prompt=(
            f"A queue with maxsize={BLOCKING_MAXSIZE} and policy 'drop' feeds one consumer. Messages arrive at "
            f"random (a Poisson stream) at {BLOCKING_ARRIVAL_RATE:g} per second; the consumer needs "
            f"{1 / BLOCKING_SERVICE_RATE:g} s per message on average (exponential service times). In the long "
            f"run, what share of the messages is dropped? Work it out by hand first, with chapter 03's M/M/1/K "
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


# -- 05.choose-guarantee ---------------------------------------------------------

GUARANTEES = ("at-most-once", "at-least-once", "at-least-once + idempotent consumer")
_GUARANTEE_EVENTS = ("payment", "metrics")


def _guarantee_key(text: str) -> str:
    """A choice as the check compares it: case, quotes, hyphens or spaces, and spaces around '+' do not matter.

    >>> _guarantee_key(" At least once+Idempotent consumer") == _guarantee_key(GUARANTEES[2])
    True
    """
    text = clean_text(text).replace("-", " ")
    return " ".join(re.sub(r"\s*\+\s*", " + ", text).split())


_GUARANTEE_BY_KEY = {_guarantee_key(choice): choice for choice in GUARANTEES}
_GUARANTEE_BY_KEY[_guarantee_key("at-least-once + idempotent")] = GUARANTEES[2]


def _judge_guarantee(answer: Any) -> str | None:
    if (
        not isinstance(answer, dict)
        or not all(isinstance(key, str) for key in answer)
        or sorted(clean_text(key) for key in answer) != sorted(_GUARANTEE_EVENTS)
    ):
        return "answer with a dict of two entries: {'payment': ..., 'metrics': ...}"
    choices = {clean_text(key): value for key, value in answer.items()}
    for event in _GUARANTEE_EVENTS:
        choice = choices[event]
        if not isinstance(choice, str) or _guarantee_key(choice) not in _GUARANTEE_BY_KEY:
            return f"each choice must be one of: {', '.join(map(repr, GUARANTEES))}; got {choice!r}"
        choices[event] = _GUARANTEE_BY_KEY[_guarantee_key(choice)]
    payment, metrics = choices["payment"], choices["metrics"]
    if payment == "at-most-once":
        return (
            "payment: a consumer that crashes after receiving and before paying loses the payment for good; "
            "a lost payment is not acceptable"
        )
    if payment == "at-least-once":
        return (
            "payment: a consumer that pays and crashes before its ack gets the message again - and charges "
            "the customer twice"
        )
    if metrics == "at-least-once":
        return "metrics: a redelivered sample is counted twice, which the dashboard must not do"
    if metrics != "at-most-once":
        return (
            "metrics: that works, but it is not the cheapest: acks, redeliveries and a store of seen ids, "
            "for samples you are allowed to lose now and then"
        )
    return None


register(
    Exercise(
        id="05.choose-guarantee",
        title="Choose the delivery guarantee",
        kind="predict",
        prompt=(
            "Two kinds of message go through a queue whose consumers sometimes crash:\n"
            "  * 'payment': charge a customer. It must never be lost, and never be charged twice.\n"
            "  * 'metrics': a CPU-load sample, one of thousands per minute, averaged on a dashboard. Losing one "
            "now and then is fine; counting one twice is not.\n"
            "For each, choose the cheapest guarantee that meets its needs, one of:\n"
            f"  {', '.join(map(repr, GUARANTEES))}.\n"
            "Answer with a dict: answer = {'payment': ..., 'metrics': ...}"
        ),
        judge=_judge_guarantee,
        hints=[
            "Look at the table above: which guarantee loses messages, which duplicates them, which does neither?",
            "Neither lost nor duplicated needs both redelivery and a consumer that skips ids it has already "
            "processed. Lost-but-never-twice is what auto-ack gives, with nothing to store.",
        ],
        solution_text=(
            "answer = {'payment': 'at-least-once + idempotent consumer', 'metrics': 'at-most-once'}\n"
            "# A payment may not be lost (so at-least-once: ack after the work) nor done twice (so the\n"
            "# consumer remembers the ids it has processed). A metrics sample may be lost but not\n"
            "# duplicated: at-most-once (auto-ack) never delivers twice and costs nothing extra."
        ),
        reference={"payment": "at-least-once + idempotent consumer", "metrics": "at-most-once"},
        wrong_answers=[
            {"payment": "at-most-once", "metrics": "at-most-once"},
            {"payment": "at-least-once", "metrics": "at-most-once"},
            {"payment": "at-least-once + idempotent consumer", "metrics": "at-least-once"},
            {"payment": "at-least-once + idempotent consumer", "metrics": "at-least-once + idempotent consumer"},
            {"payment": "exactly-once", "metrics": "at-most-once"},
            ("at-least-once + idempotent consumer", "at-most-once"),
            {"Payment": "At least once", "Metrics": "at most once"},
            {"payment": "at-least-once+idempotent consumer", "metrics": "At-least-once"},
            {"payment": "at-least-once + idempotent consumer", "metrics": None},
        ],
    )
)


# -- 05.idempotent-consumer ------------------------------------------------------

IDEMPOTENT_SCENARIO = "crash-after-processing"
IDEMPOTENT_SEEDS = (0, 1)


@cache
def _redeliveries(seed: int) -> tuple[tuple[int, str], ...]:
    """What reached the handler in an at-least-once run of the lab, in order: ``(message id, body)``.

    Every delivery whose consumer got as far as processing is here, so a message whose consumer crashed
    after processing (before its ack) appears twice: exactly what an idempotent consumer must absorb.
    """
    run = run_lab(IDEMPOTENT_SCENARIO, delivery="at-least-once", seed=seed)
    ids = {m.number: m.id for m in run.messages if m.id is not None}  # None: refused by the queue
    return tuple((ids[number], f"m{number}") for _, number, _ in run.effects)


class _Flaky(Exception):
    """The handler of the retry check fails once, the way a database that is briefly down does."""


def _judge_idempotent(make: Any) -> str | None:
    if not callable(make):
        return "set answer to your function itself: answer = make_idempotent"
    # 1. The deliveries of real lab runs, duplicates included.
    for seed in IDEMPOTENT_SEEDS:
        deliveries = _redeliveries(seed)
        processed: list[str] = []
        consume = make(processed.append)
        if isinstance(consume, IdempotentConsumer):
            return (
                "ac.IdempotentConsumer is called with one (message_id, body) pair, not with two arguments, so it "
                "is not a drop-in for make_idempotent: return a function consume(message_id, body) that calls "
                "it with the pair"
            )
        if not callable(consume):
            return "make_idempotent(handler) must return a function consume(message_id, body)"
        for message_id, body in deliveries:
            consume(message_id, body)
        expected = sorted({body for _, body in deliveries}, key=lambda body: int(body[1:]))
        twice = len(processed) - len(set(processed))
        if twice:
            return (
                f"in the lab run (seed {seed}) {len(deliveries) - len(expected)} deliveries were redeliveries "
                f"of messages already processed, and your consumer processed {twice} of them again"
            )
        if sorted(processed, key=lambda body: int(body[1:])) != expected:
            return f"in the lab run (seed {seed}) some messages were never processed: each id must run once"
    # 2. Two different messages may carry the same body.
    done: list[str] = []
    consume = make(done.append)
    consume(1, "pay 10")
    consume(2, "pay 10")
    consume(1, "pay 10")
    if done != ["pay 10", "pay 10"]:
        if len(done) == 1:
            return (
                "messages 1 and 2 are two payments that happen to have the same body: remember message ids, not bodies"
            )
        return "consume(1, ...), consume(2, ...), consume(1, ...) must run the handler for 1 and 2, once each"
    # 3. A handler that fails must not make the consumer forget the message.
    tries: list[str] = []

    def flaky(body: str) -> None:
        tries.append(body)
        if len(tries) == 1:
            raise _Flaky("database unavailable")

    consume = make(flaky)
    try:
        consume(7, "pay 7")
    except _Flaky:
        pass
    else:
        return (
            "when the handler raises, let the exception out: the consumer must not ack, so the queue "
            "redelivers the message"
        )
    consume(7, "pay 7")  # the redelivery
    if tries != ["pay 7", "pay 7"]:
        return (
            "the handler failed the first time, so the redelivery must run it again: remember an id only "
            "after the handler has succeeded"
        )
    return None


def _reference_make_idempotent(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if message_id in seen:
            return
        handler(body)
        seen.add(message_id)  # only now: if the handler raised, the redelivery tries again

    return consume


def _no_memory(handler: Any) -> Any:
    return lambda message_id, body: handler(body)


def _remembers_bodies(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if body not in seen:
            handler(body)
            seen.add(body)

    return consume


def _remembers_too_early(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if message_id not in seen:
            seen.add(message_id)
            handler(body)

    return consume


def _swallows_errors(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if message_id in seen:
            return
        try:
            handler(body)
        except Exception:
            return
        seen.add(message_id)

    return consume


register(
    Exercise(
        id="05.idempotent-consumer",
        title="Make a consumer idempotent",
        kind="write",
        prompt=(
            "At-least-once delivery may hand you the same message twice (its consumer crashed after the work, "
            "before the ack). Write make_idempotent(handler): it returns consume(message_id, body), which calls "
            "handler(body) the first time it sees message_id and does nothing for a message_id it has already "
            "processed. If handler raises, let the exception out, and do not count the message as processed: "
            "the queue will deliver it again. The check replays the deliveries of real "
            f"run_lab({IDEMPOTENT_SCENARIO!r}) runs through your consumer."
        ),
        judge=_judge_idempotent,
        hints=[
            "Keep a set of the message ids already processed, inside make_idempotent (a closure), so each "
            "consumer has its own.",
            "Order matters: check the id, run the handler, and only then add the id - so that a handler that "
            "raised leaves the id unknown.",
        ],
        solution_text=(
            "def make_idempotent(handler):\n"
            "    seen = set()\n"
            "\n"
            "    def consume(message_id, body):\n"
            "        if message_id in seen:\n"
            "            return                   # a duplicate: already done\n"
            "        handler(body)                # may raise: then the id stays unknown\n"
            "        seen.add(message_id)\n"
            "\n"
            "    return consume\n"
            "\n"
            "# The library's version is ac.IdempotentConsumer, which also bounds the memory of ids. It is\n"
            "# called with ONE (message_id, body) pair (or a Delivery), so it is not a drop-in for\n"
            "# make_idempotent; wrapped, it passes the check too:\n"
            "#\n"
            "#     def make_idempotent(handler):\n"
            "#         consumer = ac.IdempotentConsumer(handler)\n"
            "#         return lambda message_id, body: consumer((message_id, body))"
        ),
        reference=_reference_make_idempotent,
        wrong_answers=[_no_memory, _remembers_bodies, _remembers_too_early, _swallows_errors, 42, IdempotentConsumer],
    )
)
