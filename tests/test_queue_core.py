"""What the three in-memory queues share through asyncomm._queue_core, tested on each of them.

MessageQueue (threads), AsyncMessageQueue (asyncio) and ReliableQueue (threads, acknowledgements) apply one
admission rule, wait the same way, and offer the same Python surface: keyword-only timeouts, send returning a
number, statistics(), iteration that ends when the queue is closed and drained, ``with`` / ``async with``.
Questions (len, repr, bool, statistics() ...) change nothing, not even on a ReliableQueue whose lease expired.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import asyncomm as ac
from asyncomm.reliable import ReliableQueue, contract
from asyncomm.statistics import QueueStatistics

CLOSED = "queue 'jobs' is closed; no new messages can be sent"
DRAINED = "queue 'jobs' is closed and drained; there are no more messages"


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.001)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


# -- a sender woken by a receive, running only after close(), must not slip its message in ------------------
class LateWakeClock(ac.RealClock):
    """A real clock whose woken threads stay off the queue's lock until the test opens ``gate``: what
    happens when the operating system runs a woken thread only a little later."""

    def __init__(self) -> None:
        super().__init__()
        self.woken = threading.Event()
        self.gate = threading.Event()

    def wait(self, cond: threading.Condition, deadline: float | None) -> None:
        super().wait(cond, deadline)
        cond.release()
        try:
            self.woken.set()
            assert self.gate.wait(10), "the test never opened the gate"
        finally:
            cond.acquire()


def start_blocked_sender(q: Any, msg: str) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def send() -> None:
        try:
            outcome.append(q.send(msg))
        except ac.QueueClosed as err:
            outcome.append(err)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    wait_until(lambda: q.statistics().senders_waiting == 1, "the sender waits for room")
    return sender, outcome


def test_message_queue_sender_woken_after_close_gets_queue_closed():
    clock = LateWakeClock()
    q = ac.MessageQueue(maxsize=1, clock=clock, name="jobs")
    q.send("A")
    sender, outcome = start_blocked_sender(q, "B")
    assert q.receive_nowait() == "A"  # wakes the sender ...
    assert clock.woken.wait(10)  # ... which has not run yet
    q.close()
    with pytest.raises(ac.QueueClosed, match=re.escape(DRAINED)):
        q.receive_nowait()  # the receivers are told: nothing more will come
    clock.gate.set()
    sender.join(10)
    assert not sender.is_alive()
    assert [str(err) for err in outcome] == [CLOSED] and isinstance(outcome[0], ac.QueueClosed)
    assert q.snapshot() == []


@pytest.mark.parametrize("delivery", ["at-most-once", "at-least-once"])
def test_reliable_queue_sender_woken_after_close_gets_queue_closed(delivery):
    clock = LateWakeClock()
    q = ReliableQueue(maxsize=1, delivery=delivery, clock=clock, name="jobs")
    q.send("A")
    sender, outcome = start_blocked_sender(q, "B")
    taken = q.receive_nowait(consumer="c1")  # wakes the sender ...
    assert clock.woken.wait(10)  # ... which has not run yet
    if delivery == "at-least-once":
        taken.ack()  # nothing in flight: the queue can be drained
    q.close()
    with pytest.raises(ac.QueueClosed, match=re.escape(DRAINED)):
        q.receive_nowait(consumer="c1")
    clock.gate.set()
    sender.join(10)
    assert not sender.is_alive()
    assert [str(err) for err in outcome] == [CLOSED] and isinstance(outcome[0], ac.QueueClosed)
    assert q.snapshot() == [] and q.statistics().ready == 0


def test_async_queue_sender_woken_after_close_gets_queue_closed():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1, name="jobs")
        await q.send("A")
        sender = asyncio.create_task(q.send("B"))
        await settle()
        assert q.receive_nowait() == "A"  # wakes the sender, which runs only when this task waits
        q.close()
        with pytest.raises(ac.QueueClosed, match=re.escape(DRAINED)):
            q.receive_nowait()
        with pytest.raises(ac.QueueClosed, match=re.escape(CLOSED)):
            await sender
        assert q.snapshot() == []

    ac.VirtualClock().run(main())


# -- keyword-only timeouts and consumers -------------------------------------------------------------------
def test_timeouts_and_consumers_are_keyword_only():
    q = ac.MessageQueue()
    with pytest.raises(TypeError, match="positional argument"):
        q.send("a", 5)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional argument"):
        q.receive(5)  # type: ignore[misc]
    r = ReliableQueue()
    with pytest.raises(TypeError, match="positional argument"):
        r.receive("c1")  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional argument"):
        r.receive_nowait("c1")  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional argument"):
        r.send("a", "key")  # type: ignore[misc]
    assert len(q) == 0 and len(r) == 0  # refused before doing anything

    async def main():
        aq = ac.AsyncMessageQueue()
        with pytest.raises(TypeError, match="positional argument"):
            aq.receive(5)  # type: ignore[misc]
        with pytest.raises(TypeError, match="positional argument"):
            aq.send("a", 5)  # type: ignore[misc]

    ac.VirtualClock().run(main())


# -- send returns a number: 1, 2, 3 ... for every send that does not raise ----------------------------------
def test_send_returns_the_message_number_in_each_queue():
    q = ac.MessageQueue(maxsize=1, policy="raise")
    assert q.send("a") == 1
    with pytest.raises(ac.QueueFull):
        q.send("b")  # raised: no number used up
    q.receive()
    assert [q.send_nowait("c"), q.receive(), q.send("d")] == [2, "c", 3]

    async def main():
        aq = ac.AsyncMessageQueue(maxsize=2, policy="drop-oldest")
        return [await aq.send("a"), aq.send_nowait("b"), await aq.send("c")]

    assert ac.VirtualClock().run(main()) == [1, 2, 3]
    assert [ReliableQueue().send(m) for m in "ab"] == [1, 1]  # ids are per queue (or per PartitionedQueue)


def test_send_threadsafe_returns_the_number_too():
    async def main():
        q = ac.AsyncMessageQueue()
        await q.send("from the loop")
        return await asyncio.to_thread(q.send_threadsafe, "from a thread")

    assert asyncio.run(main()) == 2


# -- statistics() --------------------------------------------------------------------------------------------
def test_statistics_of_each_queue():
    q = ac.MessageQueue(maxsize=2, policy="drop-newest", name="jobs")
    for m in "abc":
        q.send(m)
    q.close()
    assert q.statistics() == QueueStatistics("jobs", 2, 2, True, 0, 0, dropped=1)

    clock = ac.VirtualClock()
    r = ReliableQueue(maxsize=5, max_deliveries=1, visibility_timeout=10, clock=clock, name="jobs")
    for m in "abcd":
        r.send(m)
    r.receive(consumer="c1").ack()
    r.receive(consumer="c1").nack(requeue=False)
    r.receive(consumer="c1")
    assert r.statistics() == QueueStatistics("jobs", 1, 5, False, 0, 0, dropped=0, in_flight=1, dead=1)

    async def main():
        aq = ac.AsyncMessageQueue(name="jobs")
        receivers = [asyncio.create_task(aq.receive()) for _ in range(3)]
        await settle()
        receivers[0].cancel()
        await settle()
        stats = aq.statistics()
        aq.close()
        await asyncio.gather(*receivers, return_exceptions=True)
        return stats

    assert ac.VirtualClock().run(main()) == QueueStatistics("jobs", 0, 0, False, 0, 2, dropped=0)


def test_the_old_counters_are_gone():
    for q in (ac.MessageQueue(), ac.AsyncMessageQueue(), ReliableQueue()):
        for name in ("senders_waiting", "receivers_waiting", "dropped"):
            assert not hasattr(q, name), f"{type(q).__name__}.{name}: use statistics()"
    assert not hasattr(ReliableQueue(), "held_by")


# -- iteration and with ----------------------------------------------------------------------------------------
def test_for_loop_receives_until_closed_and_drained_waiting_in_between():
    q = ac.MessageQueue(name="jobs")

    def produce() -> None:
        for n in range(3):
            q.send(n)
            time.sleep(0.01)  # the loop below has to wait for the next message
        q.close()

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    assert list(q) == [0, 1, 2]
    producer.join(10)
    assert list(q) == []  # closed and drained: a new loop ends at once


def test_with_closes_the_queue_also_on_an_exception():
    with ac.MessageQueue() as q:
        q.send("left over")
    assert q.closed and list(q) == ["left over"]
    r = ReliableQueue()
    with pytest.raises(RuntimeError, match="boom"), r:
        raise RuntimeError("boom")
    assert r.closed


def test_for_loop_over_a_reliable_queue_yields_deliveries_and_waits_for_the_acks():
    clock = ac.VirtualClock()
    q = ReliableQueue(visibility_timeout=5, clock=clock, name="jobs")
    for m in "ab":
        q.send(m)
    q.close()
    seen = []
    for delivery in q:  # consumer "consumer"
        seen.append((delivery.message, delivery.delivery_count, delivery.consumer))
        if delivery.message == "a" and delivery.delivery_count == 1:
            continue  # no ack: the queue is not drained while it could come back
        delivery.ack()
    assert seen == [("a", 1, "consumer"), ("b", 1, "consumer"), ("a", 2, "consumer")]
    assert clock.now() == 5


def test_async_for_and_async_with():
    async def main():
        got = []
        with pytest.raises(RuntimeError, match="boom"):
            async with ac.AsyncMessageQueue(name="jobs") as q:
                await q.send("a")
                raise RuntimeError("boom")
        assert q.closed

        feed = ac.AsyncMessageQueue(name="feed")

        async def produce() -> None:
            for n in range(3):
                await asyncio.sleep(1)
                await feed.send(n)
            feed.close()

        producer = asyncio.create_task(produce())
        async for msg in feed:
            got.append((msg, asyncio.get_running_loop().time()))
        await producer
        return got, [msg async for msg in q]

    assert ac.VirtualClock().run(main()) == ([(0, 1.0), (1, 2.0), (2, 3.0)], ["a"])


# -- ReliableQueue: the contract's surface -----------------------------------------------------------------------
def test_reliable_queue_is_a_delivery_queue_with_read_only_options():
    q = ReliableQueue(3, delivery="at-most-once", visibility_timeout=7, max_deliveries=2, prefetch=4, policy="raise")
    assert isinstance(q, contract.DeliveryQueue)
    options = (q.maxsize, q.delivery, q.visibility_timeout, q.max_deliveries, q.prefetch, q.policy)
    assert options == (3, "at-most-once", 7.0, 2, 4, "raise")
    for name in ("delivery", "visibility_timeout", "max_deliveries", "prefetch", "maxsize", "policy", "closed"):
        with pytest.raises(AttributeError):
            setattr(q, name, getattr(q, name))
    q.send("a")
    d = q.receive()
    assert isinstance(d, contract.Delivery)


def test_reliable_queue_clear_drops_the_ready_messages_and_wakes_a_blocked_sender():
    clock = ac.VirtualClock(autojump_threshold=None)  # time moves only when the test says so
    trace = ac.Trace()
    q = ReliableQueue(maxsize=2, clock=clock, trace=trace, name="jobs")
    q.send("a")
    q.send("b")
    taken = q.receive(consumer="c1")
    q.consumer_died("c1")  # "a" is ready again: the queue is full
    sender, outcome = start_blocked_sender(q, "c")
    assert q.clear() == 2
    sender.join(10)
    assert not sender.is_alive() and outcome == [3] and q.snapshot() == ["c"]
    assert [(row.operation, row.item) for row in trace][-2:] == [("clear", 2), ("send", (3, "c"))]
    with pytest.raises(
        ac.StaleDelivery,
        match=re.escape(
            "too late to ack message 1 (delivery 1 to consumer 'c1'): consumer 'c1' was declared dead, so the "
            "queue took it back and it was cleared (queue.clear()); declare a consumer dead only once it has "
            "stopped"
        ),
    ):
        taken.ack()


# -- questions change nothing ---------------------------------------------------------------------------------------
def state_of(q: ReliableQueue[Any]) -> tuple[Any, ...]:
    """Everything a question could change, read from the inside."""
    return (
        [(e.id, e.state, e.deliveries) for e in q._ready._items],
        {id: (lease.consumer, lease._state) for id, lease in q._leases.items()},
        list(q._dead),
        sorted(q._expiries),
        {consumer: set(ids) for consumer, ids in q._held.items()},
    )


def ask_everything(q: Any) -> list[Any]:
    answers = [len(q), repr(q), bool(q), q.statistics(), q.snapshot(), q.closed, q.maxsize, q.policy]
    if isinstance(q, ReliableQueue):
        answers += [q.ready(), q.in_flight(), q.dead_letters(), q.delivery, q.prefetch, q.name]
    return answers


@pytest.mark.parametrize("max_deliveries", [1, 5])
def test_questions_change_nothing_even_after_a_lease_expired(max_deliveries):
    clock, trace = ac.VirtualClock(), ac.Trace()
    q = ReliableQueue(visibility_timeout=10, max_deliveries=max_deliveries, clock=clock, trace=trace, name="jobs")
    for m in "abc":
        q.send(m)
    late = q.receive(consumer="c1")
    q.receive(consumer="c2").ack()
    clock.advance(10)  # late's lease has expired; no verb has run since
    rows, state = trace.rows, state_of(q)
    answers = ask_everything(q)
    assert ask_everything(q) == answers  # asking twice gives the same answers ...
    assert trace.rows == rows and state_of(q) == state  # ... and nothing moved
    assert late.state == "expired" and late._state == "pending"  # as of now; the queue has not acted yet
    if max_deliveries == 1:  # that was its last delivery: counted as dead, not ready
        assert answers[:3] == [1, "<ReliableQueue 'jobs' (at-least-once): 1 ready, 0 in flight, 1 dead-lettered>", True]
        assert q.dead_letters() == [contract.DeadLetter(1, "a", "max deliveries", 1)] and q.snapshot() == ["c"]
        outcome = "max deliveries"
    else:
        assert answers[:3] == [2, "<ReliableQueue 'jobs' (at-least-once): 2 ready, 0 in flight, 0 dead-lettered>", True]
        assert q.dead_letters() == [] and q.snapshot() == ["a", "c"]
        outcome = "visibility timeout"
    # The next verb takes the lease back and leaves the queue where the questions said it was.
    stats = q.statistics()
    q.close()
    assert [row.outcome for row in trace][len(rows) : len(rows) + 1] == [outcome]
    assert q.statistics() == QueueStatistics(**{**stats.__dict__, "closed": True})


@pytest.mark.parametrize("make", [ac.MessageQueue, ac.AsyncMessageQueue])
def test_questions_on_plain_queues_change_nothing(make):
    trace = ac.Trace()
    q = make(maxsize=2, trace=trace, clock=ac.VirtualClock(), name="jobs")
    q.send_nowait("a")
    rows = trace.rows
    answers = ask_everything(q)
    assert ask_everything(q) == answers and trace.rows == rows and q.snapshot() == ["a"]
    assert answers[:3] == [1, f"<{make.__name__} 'jobs': 1 message, maxsize=2>", True]
