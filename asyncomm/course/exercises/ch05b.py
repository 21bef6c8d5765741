"""Exercises of chapter 05b (delivery guarantees).

* ``05b.acking-consumer`` (write): a consumer loop that acks after the work and nacks when it fails;
* ``05b.choose-guarantee`` (predict): at-most-once, at-least-once or at-least-once + idempotent consumer;
* ``05b.idempotent-consumer`` (write): a consumer that processes each message id once, checked on the
  deliveries of a real fault-lab run;
* ``05b.fair-dispatch`` (predict): round-robin against prefetch=1 with a slow consumer.

>>> from asyncomm import exercises
>>> exercises.get("05b.fair-dispatch").check({0: 12, 1: 6}).outcome.value
'correct'
"""

from __future__ import annotations

import contextlib
import re
from functools import cache
from typing import Any

from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, clean_text, real_number, register
from asyncomm.errors import QueueClosed
from asyncomm.labs.faults import run_lab
from asyncomm.labs.messaging import fair_dispatch
from asyncomm.reliable.idempotent import IdempotentConsumer
from asyncomm.reliable.memory import ReliableQueue

__all__: list[str] = []


# -- 05b.acking-consumer ---------------------------------------------------------

ACK_MESSAGES = ("a", "b", "c", "poison", "d")
ACK_FAILS_ONCE = "c"  # its handler fails the first time (a database briefly down), then succeeds
ACK_POISON = "poison"  # its handler always fails
ACK_MAX_DELIVERIES = 3
_RUNAWAY = 50  # handler calls after which the check stops a consumer that goes round and round


class HandlerFailed(Exception):
    """What the check's handler raises for a message it cannot handle (this time)."""


class _Runaway(Exception):
    pass


def _acking_run(consume: Any) -> dict[str, Any]:
    """Run ``consume(queue, handler)`` on a closed ReliableQueue holding ACK_MESSAGES; report what happened."""
    queue: ReliableQueue[str] = ReliableQueue(
        clock=VirtualClock(), max_deliveries=ACK_MAX_DELIVERIES, visibility_timeout=30, name="jobs"
    )
    for body in ACK_MESSAGES:
        queue.send(body)
    queue.close()  # nothing more will come: `for delivery in queue` ends once it is drained
    calls: list[str] = []
    done: list[str] = []
    settled_first: list[str] = []

    def handler(body: str) -> None:
        calls.append(body)
        if len(calls) > _RUNAWAY:
            raise _Runaway
        if queue.in_flight() == 0:  # the delivery was settled before its work began
            settled_first.append(body)
        if body == ACK_POISON or (body == ACK_FAILS_ONCE and calls.count(body) == 1):
            raise HandlerFailed(f"cannot handle {body!r} now")
        done.append(body)

    error: BaseException | None = None
    try:
        consume(queue, handler)
    except QueueClosed:
        pass  # a receive loop that ends on the closed, drained queue
    except (HandlerFailed, _Runaway) as err:
        error = err
    return {
        "error": error,
        "calls": calls,
        "done": done,
        "settled_first": settled_first,
        "in_flight": queue.in_flight(),
        "ready": queue.ready(),
        "dead": {row.message: row.reason for row in queue.dead_letters()},
    }


def _judge_acking(consume: Any) -> str | None:
    if not callable(consume):
        return "set answer to your function itself: answer = consume"
    run = _acking_run(consume)
    if isinstance(run["error"], HandlerFailed):
        return (
            "the handler's error escaped from your consumer: catch it, nack that delivery so the queue can "
            "deliver it again, and go on with the next message - one bad message must not stop the consumer"
        )
    if isinstance(run["error"], _Runaway):
        return (
            f"the handler was called more than {_RUNAWAY} times for {len(ACK_MESSAGES)} messages: a delivery "
            "that is never acked comes back after its visibility timeout, again and again. Ack each one once "
            "its handler has returned"
        )
    if run["settled_first"]:
        return (
            f"{run['settled_first'][0]!r} was acked before its handler ran: if the consumer crashed in the "
            "handler the message would be lost (that is at-most-once). Ack after the handler returns"
        )
    if run["in_flight"]:
        return (
            f"{run['in_flight']} delivery(ies) were neither acked nor nacked: the queue holds them in flight "
            "until their visibility timeout. Ack when the handler returns, nack when it raises"
        )
    dead, calls = run["dead"], run["calls"]
    if dead.get(ACK_FAILS_ONCE) == "rejected":
        return (
            f"{ACK_FAILS_ONCE!r} failed once and went straight to the dead letters: nack(requeue=False) gives "
            "up on a message that might work next time. nack() (requeue=True) lets it come back"
        )
    if ACK_FAILS_ONCE not in run["done"] and calls.count(ACK_FAILS_ONCE) == 1:
        return (
            f"the handler of {ACK_FAILS_ONCE!r} raised, and the message never came back: it was acked anyway, "
            "so the queue forgot it - lost. Nack a delivery whose handler raised"
        )
    never_acked = [body for body, reason in dead.items() if body != ACK_POISON and reason == "max deliveries"]
    if never_acked:
        return (
            f"{never_acked[0]!r} was handled {calls.count(never_acked[0])} times and then dead-lettered: the queue "
            "never heard that it was done, so each visibility timeout brought it back. Ack a delivery once its "
            "handler has returned"
        )
    if sorted(run["done"]) != sorted(set(ACK_MESSAGES) - {ACK_POISON}) or dead.get(ACK_POISON) != "max deliveries":
        return (
            f"the handler completed {run['done']} and the dead letters hold {dead}: each good message should "
            f"be handled once, and the poison message dead-lettered after {ACK_MAX_DELIVERIES} deliveries"
        )
    return None


def _reference_consume(queue: Any, handler: Any) -> None:
    for delivery in queue:
        try:
            handler(delivery.message)
        except Exception:
            delivery.nack()  # it comes back (or, at max_deliveries, goes to the dead letters)
        else:
            delivery.ack()  # only now is the work done


def _acks_first(queue: Any, handler: Any) -> None:
    for delivery in queue:
        delivery.ack()
        with contextlib.suppress(Exception):
            handler(delivery.message)


def _no_error_handling(queue: Any, handler: Any) -> None:
    for delivery in queue:
        handler(delivery.message)
        delivery.ack()


def _acks_in_finally(queue: Any, handler: Any) -> None:
    for delivery in queue:
        try:
            handler(delivery.message)
        except Exception:
            pass
        finally:
            delivery.ack()


def _never_acks(queue: Any, handler: Any) -> None:
    for delivery in queue:
        with contextlib.suppress(Exception):
            handler(delivery.message)


def _rejects_at_once(queue: Any, handler: Any) -> None:
    for delivery in queue:
        try:
            handler(delivery.message)
        except Exception:
            delivery.nack(requeue=False)
        else:
            delivery.ack()


register(
    Exercise(
        id="05b.acking-consumer",
        title="Write an acking consumer",
        kind="write",
        prompt=(
            "Write consume(queue, handler), the loop of an at-least-once consumer. `queue` is an ac.ReliableQueue "
            "that was closed after its messages were sent, so `for delivery in queue:` receives deliveries until "
            "it is drained. For each delivery, call handler(delivery.message). When the handler returns, ack the "
            "delivery; when it raises, nack it (it comes back, or goes to the dead letters once it has used its "
            "max_deliveries) and go on with the next one. The check sends "
            f"{', '.join(map(repr, ACK_MESSAGES))}: {ACK_FAILS_ONCE!r} fails once, {ACK_POISON!r} always "
            f"(max_deliveries={ACK_MAX_DELIVERIES})."
        ),
        judge=_judge_acking,
        hints=[
            "The ack says 'done': it belongs after the work, never before. A failure gets delivery.nack().",
            "try: handler(delivery.message) / except Exception: delivery.nack() / else: delivery.ack()",
        ],
        solution_text=(
            "def consume(queue, handler):\n"
            "    for delivery in queue:\n"
            "        try:\n"
            "            handler(delivery.message)\n"
            "        except Exception:\n"
            "            delivery.nack()   # comes back; after max_deliveries, a dead letter\n"
            "        else:\n"
            "            delivery.ack()    # only once the work is done\n"
            "\n"
            "# 'c' fails once, is nacked, comes back and succeeds. 'poison' is nacked three times and\n"
            "# then parked in queue.dead_letters(). Nothing is lost, and nothing stays in flight."
        ),
        reference=_reference_consume,
        wrong_answers=[_acks_first, _no_error_handling, _acks_in_finally, _rejects_at_once, _never_acks, 7],
    )
)


# -- 05b.choose-guarantee ---------------------------------------------------------

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
        id="05b.choose-guarantee",
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


# -- 05b.idempotent-consumer ------------------------------------------------------

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
        id="05b.idempotent-consumer",
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


# -- 05b.fair-dispatch -----------------------------------------------------------

FAIR_TIMES = {"fast": 1.0, "slow": 3.0}  # seconds per message
FAIR_MESSAGES = 8


def _fair_totals() -> dict[int, float]:
    return {prefetch: fair_dispatch(FAIR_TIMES, FAIR_MESSAGES, prefetch=prefetch).total for prefetch in (0, 1)}


def _judge_fair(answer: Any) -> str | None:
    if not isinstance(answer, dict) or sorted(map(str, answer)) != ["0", "1"]:
        return "answer with a dict of two entries: {0: seconds with prefetch=0, 1: seconds with prefetch=1}"
    got = {int(key): real_number(value) for key, value in answer.items()}
    if any(value is None for value in got.values()):
        return "each entry is a number of seconds: when the last of the 8 messages is done"
    expected = _fair_totals()
    if got == expected:
        return None
    if got == {0: expected[1], 1: expected[0]}:
        return "you swapped them: which setting lets the fast consumer take more than its half?"
    if got[0] != expected[0]:
        return (
            "prefetch=0: the broker deals the 8 messages out at once, one to each consumer in turn, whatever "
            "their speed. How many does the slow one get, and how long does it need for them?"
        )
    return (
        "prefetch=1: a consumer gets its next message only after acking the last, so the fast one comes back "
        "for more three times as often. Play it second by second"
    )


register(
    Exercise(
        id="05b.fair-dispatch",
        title="Predict fair dispatch with prefetch",
        kind="predict",
        prompt=(
            f"Two consumers share {FAIR_MESSAGES} messages sent at once: 'fast' needs {FAIR_TIMES['fast']:g} s "
            f"per message, 'slow' {FAIR_TIMES['slow']:g} s; each acks a message when it is done. With "
            "prefetch=0 (no limit: the broker deals all the messages out at once, one to each consumer in "
            "turn, as RabbitMQ does by default) and with prefetch=1 (a consumer is sent its next message only "
            "once it has acked the last), when is the last message done? Answer with a dict: "
            "answer = {0: seconds, 1: seconds}."
        ),
        judge=_judge_fair,
        hints=[
            "prefetch=0: half the messages each, whatever the speed. The slowest consumer decides when all is done.",
            "prefetch=1: at t = 0 each takes one. The fast one acks at t = 1, 2, 3 ... and takes the next each "
            "time; the slow one at t = 3, 6. Count until nothing is left.",
        ],
        solution_text=(
            "answer = {0: 12, 1: 6}\n"
            "# prefetch=0: 4 messages each; the slow one needs 4 × 3 = 12 s (the fast one idles from t = 4).\n"
            "# prefetch=1: the fast one does 6 (t = 1 ... 6), the slow one 2 (t = 3, 6): all done at 6 s.\n"
            "# Check: from asyncomm.labs.messaging import fair_dispatch\n"
            "#        fair_dispatch({'fast': 1, 'slow': 3}, 8, prefetch=1).total"
        ),
        reference={0: 12, 1: 6},
        wrong_answers=[{0: 6, 1: 12}, {0: 6, 1: 6}, {0: 12, 1: 8}, {0: 12}, (12, 6), {0: "12", 1: 6}],
    )
)
