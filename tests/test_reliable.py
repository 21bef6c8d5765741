"""ReliableQueue, PartitionedQueue and IdempotentConsumer: every verb, every error message.

Time-dependent tests run on a VirtualClock, so a visibility timeout is checked to
the exact instant. The last tests use real threads: nothing is lost with
at-least-once delivery, and blocked receivers wake up.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Any

import pytest

import asyncomm as ac
from asyncomm.reliable import (
    DeadLetter,
    Delivery,
    IdempotentConsumer,
    PartitionedQueue,
    PrefetchLimitReached,
    ReliableQueue,
    StaleDelivery,
)

JOIN_TIMEOUT = 60.0  # real seconds; generous, the machine is shared


def make(**kwargs: Any) -> tuple[ReliableQueue, ac.VirtualClock, ac.Trace]:
    clock, trace = ac.VirtualClock(), ac.Trace()
    kwargs.setdefault("name", "jobs")
    return ReliableQueue(clock=clock, trace=trace, **kwargs), clock, trace


def ops(trace: ac.Trace) -> list[tuple[str, Any, int, str]]:
    return [(row.operation, row.item, row.size, row.outcome) for row in trace]


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


# -- sending and receiving ----------------------------------------------------------------------
def test_send_returns_increasing_ids_and_receive_is_fifo() -> None:
    q, _, _ = make()
    assert [q.send(m) for m in "abc"] == [1, 2, 3]
    assert len(q) == 3 and q.snapshot() == ["a", "b", "c"]
    got = [q.receive(consumer="c1") for _ in range(3)]
    assert [(d.id, d.message, d.consumer) for d in got] == [(1, "a", "c1"), (2, "b", "c1"), (3, "c", "c1")]
    assert len(q) == q.ready() == 0 and q.in_flight() == 3


def test_delivery_fields_and_key() -> None:
    q, _, _ = make()
    q.send("pay", key="acct-1")
    d = q.receive_nowait()
    assert isinstance(d, Delivery)
    assert (d.id, d.message, d.key, d.delivery_count, d.redelivered, d.consumer, d.state, d.deadline) == (
        1,
        "pay",
        "acct-1",
        1,
        False,
        "consumer",
        "pending",
        30.0,
    )
    assert repr(d) == "<Delivery of message 1 'pay': delivery 1 to 'consumer', pending>"


def test_ack_settles_and_trace_shows_the_life_of_a_message() -> None:
    q, _, trace = make()
    q.send("a")
    d = q.receive(consumer="c1")
    d.ack()
    assert d.state == "acked" and q.in_flight() == 0 and len(q) == 0
    assert ops(trace) == [("send", (1, "a"), 1, "ok"), ("receive", (1, "a"), 0, "ok"), ("ack", (1, "a"), 0, "ok")]
    assert {row.pattern for row in trace} == {"queue"} and {row.name for row in trace} == {"jobs"}


def test_receive_nowait_on_empty_queue() -> None:
    q, _, trace = make()
    with pytest.raises(
        ac.QueueEmpty,
        match=exact("queue 'jobs' is empty; send a message first, or receive with a timeout to wait for one"),
    ):
        q.receive_nowait(consumer="c1")
    assert ops(trace) == [("receive", None, 0, "QueueEmpty")]


def test_receive_timeout_is_exact_on_a_virtual_clock() -> None:
    q, clock, _ = make()
    with pytest.raises(ac.QueueEmpty, match=exact("no message arrived on queue 'jobs' within 2.5 s")):
        q.receive(consumer="c1", timeout=2.5)
    assert clock.now() == 2.5


# -- at-most-once ---------------------------------------------------------------------------------
def test_at_most_once_settles_on_receive() -> None:
    q, clock, trace = make(delivery="at-most-once")
    q.send("a")
    d = q.receive(consumer="c1")
    assert d.state == "auto-acked" and d.deadline is None and q.in_flight() == 0
    clock.advance(1000)
    assert len(q) == 0 and q.in_flight() == 0  # a crash after receiving lost it: it never comes back
    assert ops(trace)[-2:] == [("receive", (1, "a"), 0, "ok"), ("ack", (1, "a"), 0, "auto")]
    message = (
        "message 1 was acknowledged automatically when consumer 'c1' received it "
        "(delivery='at-most-once'); there is nothing to {}: use delivery='at-least-once' "
        "to acknowledge by hand"
    )
    with pytest.raises(StaleDelivery, match=exact(message.format("ack"))):
        d.ack()
    with pytest.raises(StaleDelivery, match=exact(message.format("nack"))):
        d.nack()
    assert ops(trace)[-1] == ("nack", (1, "a"), 0, "StaleDelivery")


# -- acking twice, nack ----------------------------------------------------------------------------
def test_ack_twice_or_nack_after_ack() -> None:
    q, _, trace = make()
    q.send("a")
    d = q.receive(consumer="c1")
    d.ack()
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "message 1 (delivery 1 to consumer 'c1') was already acked; ack or nack each delivery exactly once"
        ),
    ):
        d.ack()
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "message 1 (delivery 1 to consumer 'c1') was already acked; ack or nack each delivery exactly once"
        ),
    ):
        d.nack()
    assert ops(trace)[-2:] == [("ack", (1, "a"), 0, "StaleDelivery"), ("nack", (1, "a"), 0, "StaleDelivery")]


def test_nack_requeues_with_same_id_and_growing_count() -> None:
    q, _, trace = make()
    q.send("a")
    first = q.receive(consumer="c1")
    first.nack()
    assert first.state == "nacked" and len(q) == 1 and q.in_flight() == 0
    again = q.receive(consumer="c2")
    assert (again.id, again.delivery_count, again.redelivered, again.consumer) == (1, 2, True, "c2")
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "message 1 (delivery 1 to consumer 'c1') was already nacked; ack or nack each delivery exactly once"
        ),
    ):
        first.ack()
    assert ops(trace)[2:5] == [
        ("nack", (1, "a"), 0, "ok"),
        ("redeliver", (1, "a"), 1, "nacked"),
        ("receive", (1, "a"), 0, "ok"),
    ]


def test_nack_without_requeue_dead_letters_as_rejected() -> None:
    q, _, trace = make()
    q.send("bad")
    q.receive().nack(requeue=False)
    assert q.dead_letters() == [DeadLetter(1, "bad", "rejected", 1)]
    assert len(q) == 0 and q.in_flight() == 0
    assert ops(trace)[-1] == ("dead-letter", (1, "bad"), 0, "rejected")


def test_nack_requeue_must_be_a_bool() -> None:
    q, _, _ = make()
    q.send("a")
    d = q.receive()
    with pytest.raises(TypeError, match=exact("requeue must be True or False, got 'no' (str)")):
        d.nack(requeue="no")  # type: ignore[arg-type]
    assert d.state == "pending"


def test_redelivered_message_goes_before_newer_ones() -> None:
    q, _, _ = make()
    for m in "abcd":
        q.send(m)
    one, two = q.receive(consumer="c1"), q.receive(consumer="c2")
    two.nack()
    one.nack()
    assert q.snapshot() == ["a", "b", "c", "d"]
    assert [q.receive().id for _ in range(4)] == [1, 2, 3, 4]


def test_poison_message_dead_lettered_after_exactly_max_deliveries() -> None:
    q, _, trace = make(max_deliveries=3)
    q.send("poison")
    q.send("fine")
    counts = []
    while True:
        d = q.receive_nowait(consumer="c1")
        if d.message == "fine":
            d.ack()
            break
        counts.append(d.delivery_count)
        d.nack()
    assert counts == [1, 2, 3]
    assert q.dead_letters() == [DeadLetter(1, "poison", "max deliveries", 3)]
    assert [row.outcome for row in trace.where(operation="dead-letter")] == ["max deliveries"]
    assert len(q) == 0 and q.in_flight() == 0


def test_max_deliveries_none_never_dead_letters() -> None:
    q, _, _ = make(max_deliveries=None)
    q.send("a")
    for _ in range(50):
        q.receive().nack()
    d = q.receive()
    assert d.delivery_count == 51 and q.dead_letters() == []


# -- visibility timeout ----------------------------------------------------------------------------
def test_visibility_timeout_is_exact() -> None:
    q, clock, trace = make(visibility_timeout=30)
    q.send("a")
    d = q.receive(consumer="c1")
    clock.advance_to(29.999)
    assert q.in_flight() == 1 and len(q) == 0 and d.state == "pending"
    clock.advance_to(30)
    assert q.in_flight() == 0 and len(q) == 1 and d.state == "expired"  # questions answer as of now ...
    assert ops(trace)[-1] == ("receive", (1, "a"), 0, "ok")  # ... and change nothing
    clock.advance_to(31)
    q.send("b")  # the next verb takes the message back, then does its own work
    assert ops(trace)[-2:] == [("redeliver", (1, "a"), 1, "visibility timeout"), ("send", (2, "b"), 2, "ok")]
    assert [row.time for row in trace][-2:] == [31, 31]


def test_ack_just_before_the_timeout_works_and_at_the_timeout_fails() -> None:
    q, clock, _ = make(visibility_timeout=10)
    q.send("a")
    q.send("b")
    early = q.receive(consumer="c1")
    clock.advance_to(9.5)
    early.ack()
    late = q.receive(consumer="c1")  # deadline 19.5
    clock.advance_to(19.5)
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "too late to ack message 2 (delivery 1 to consumer 'c1'): it was not acked within the visibility "
            "timeout of 10 s, so the queue took it back and it waits to be delivered again; the work may be "
            "done twice: ack sooner, raise visibility_timeout, or make the consumer idempotent"
        ),
    ):
        late.ack()


def test_ack_after_the_message_went_to_someone_else() -> None:
    q, clock, _ = make(visibility_timeout=30)
    q.send("a")
    slow = q.receive(consumer="c1")
    clock.advance(30)
    fast = q.receive(consumer="c2")
    assert (fast.id, fast.delivery_count, fast.redelivered) == (1, 2, True)
    message = (
        "too late to {} message 1 (delivery 1 to consumer 'c1'): it was not acked within the visibility "
        "timeout of 30 s, so the queue took it back and delivered it again (delivery 2 to consumer 'c2'); "
        "the work may be done twice: ack sooner, raise visibility_timeout, or make the consumer idempotent"
    )
    with pytest.raises(StaleDelivery, match=exact(message.format("ack"))):
        slow.ack()
    with pytest.raises(StaleDelivery, match=exact(message.format("nack"))):
        slow.nack()
    fast.ack()
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "too late to ack message 1 (delivery 1 to consumer 'c1'): it was not acked within the visibility "
            "timeout of 30 s, so the queue took it back and a later delivery of it was acked; the work may be "
            "done twice: ack sooner, raise visibility_timeout, or make the consumer idempotent"
        ),
    ):
        slow.ack()


def test_expiry_of_the_last_delivery_dead_letters() -> None:
    q, clock, _ = make(visibility_timeout=5, max_deliveries=2)
    q.send("a")
    q.receive(consumer="c1")
    clock.advance(5)
    d = q.receive(consumer="c1")
    clock.advance(5)
    assert q.dead_letters() == [DeadLetter(1, "a", "max deliveries", 2)] and len(q) == 0
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "too late to ack message 1 (delivery 2 to consumer 'c1'): it was not acked within the visibility "
            "timeout of 5 s, so the queue took it back and it was dead-lettered; ack sooner, raise "
            "visibility_timeout"
        ),
    ):
        d.ack()


def test_waiting_receiver_wakes_when_a_delivery_expires() -> None:
    q, clock, _ = make(visibility_timeout=30)
    q.send("a")
    q.receive(consumer="c1")
    clock.advance(4)
    again = q.receive(consumer="c2", timeout=100)  # autojump: the clock moves to the expiry
    assert clock.now() == 30 and (again.id, again.delivery_count) == (1, 2)


def test_infinite_visibility_timeout_never_expires() -> None:
    q, clock, _ = make(visibility_timeout=float("inf"))
    q.send("a")
    d = q.receive()
    assert d.deadline is None
    clock.advance(1e9)
    assert q.in_flight() == 1
    d.ack()


def test_many_settled_deliveries_do_not_pile_up_in_the_expiry_heap() -> None:
    q, _, _ = make()
    for i in range(1000):
        q.send(i)
        q.receive().ack()
    assert len(q._expiries) <= 2 * q.in_flight() + 65


# -- consumer_died -----------------------------------------------------------------------------------
def test_consumer_died_returns_its_deliveries_at_once() -> None:
    q, _, trace = make()
    for m in "abc":
        q.send(m)
    a, b, c = q.receive(consumer="c1"), q.receive(consumer="c2"), q.receive(consumer="c1")
    assert q.consumer_died("c1") == 2
    assert (a.state, b.state, c.state) == ("returned", "pending", "returned")
    assert q.snapshot() == ["a", "c"] and q.in_flight() == 1
    assert [row.outcome for row in trace.where(operation="redeliver")] == ["consumer died", "consumer died"]
    assert q.consumer_died("c1") == 0 and q.consumer_died("never-seen") == 0
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "too late to ack message 1 (delivery 1 to consumer 'c1'): consumer 'c1' was declared dead, so the "
            "queue took it back and it waits to be delivered again; the work may be done twice: declare a "
            "consumer dead only once it has stopped, or make the consumer idempotent"
        ),
    ):
        a.ack()
    again = q.receive(consumer="c3")
    assert (again.id, again.redelivered) == (1, True)


def test_stale_message_when_a_returned_message_was_dropped() -> None:
    q, _, _ = make(maxsize=1, policy="drop-oldest")
    q.send("a")
    d = q.receive(consumer="c1")
    q.consumer_died("c1")
    q.send("b")  # the queue is full with "a": drop-oldest throws "a" away
    assert q.snapshot() == ["b"] and q.statistics().dropped == 1
    with pytest.raises(
        StaleDelivery,
        match=exact(
            "too late to ack message 1 (delivery 1 to consumer 'c1'): consumer 'c1' was declared dead, so the "
            "queue took it back and it was dropped (policy 'drop-oldest'); declare a consumer dead only once "
            "it has stopped"
        ),
    ):
        d.ack()


# -- prefetch ---------------------------------------------------------------------------------------
def test_prefetch_limits_each_consumer() -> None:
    q, _, trace = make(prefetch=2)
    for m in "abcd":
        q.send(m)
    first, _ = q.receive_nowait(consumer="c1"), q.receive_nowait(consumer="c1")
    with pytest.raises(
        PrefetchLimitReached,
        match=exact(
            "consumer 'c1' holds 2 unacked deliveries, its prefetch limit on queue 'jobs'; ack or nack one "
            "before receiving more, or raise prefetch"
        ),
    ):
        q.receive_nowait(consumer="c1")
    assert ops(trace)[-1] == ("receive", None, 2, "PrefetchLimitReached")
    assert q.receive_nowait(consumer="c2").message == "c"  # another consumer is not limited
    first.ack()
    assert q.receive_nowait(consumer="c1").message == "d"


def test_prefetch_limit_with_timeout_and_empty_queue() -> None:
    q, clock, _ = make(prefetch=1, visibility_timeout=100)
    q.send("a")
    q.send("b")
    q.receive(consumer="c1")
    with pytest.raises(
        PrefetchLimitReached,
        match=exact(
            "consumer 'c1' still held 1 unacked delivery (its prefetch limit on queue 'jobs') after waiting 5 s; "
            "ack or nack one before receiving more, or raise prefetch"
        ),
    ):
        q.receive(consumer="c1", timeout=5)
    assert clock.now() == 5
    q.receive(consumer="c2").ack()
    with pytest.raises(PrefetchLimitReached):  # at the limit wins over empty: it is why you get nothing
        q.receive_nowait(consumer="c1")


def test_a_consumer_waiting_at_its_limit_gets_its_own_expired_delivery_back() -> None:
    q, clock, _ = make(prefetch=1, visibility_timeout=30)
    q.send("a")
    q.receive(consumer="c1")
    again = q.receive(consumer="c1", timeout=60)
    assert clock.now() == 30 and (again.id, again.delivery_count) == (1, 2)


def test_prefetch_is_ignored_with_at_most_once() -> None:
    q, _, _ = make(prefetch=1, delivery="at-most-once")
    for m in "abc":
        q.send(m)
    assert [q.receive_nowait(consumer="c1").message for _ in range(3)] == ["a", "b", "c"]


# -- bounded queue and closing -------------------------------------------------------------------------
def test_bounded_send_blocks_then_times_out_exactly() -> None:
    q, clock, trace = make(maxsize=1)
    q.send("a")
    with pytest.raises(
        ac.QueueFull,
        match=exact(
            "queue 'jobs' stayed full for 5 s; the message was not sent: consume faster, or give the queue a "
            "larger maxsize"
        ),
    ):
        q.send("b", timeout=5)
    assert clock.now() == 5 and ops(trace)[-1] == ("send", (None, "b"), 1, "QueueFull")


def test_policy_raise_and_drop_newest() -> None:
    q, _, trace = make(maxsize=1, policy="raise")
    q.send("a")
    with pytest.raises(
        ac.QueueFull,
        match=exact(
            "queue 'jobs' is full (1 message) and its policy is 'raise'; receive some first, or use "
            "policy='block' to wait for room"
        ),
    ):
        q.send("b")
    assert ops(trace)[-1] == ("send", (None, "b"), 1, "QueueFull")
    q2, _, trace2 = make(maxsize=1, policy="drop-newest")
    assert q2.send("a") == 1 and q2.send("b") == 2
    assert q2.snapshot() == ["a"] and q2.statistics().dropped == 1
    assert ops(trace2)[-1] == ("send", (2, "b"), 1, "dropped")


def test_a_returning_message_is_never_refused_by_a_full_queue() -> None:
    q, _, _ = make(maxsize=1, policy="raise")
    q.send("a")
    d = q.receive()
    q.send("b")
    d.nack()
    assert q.snapshot() == ["a", "b"] and len(q) == 2 and q.statistics().maxsize == 1


def test_close_refuses_sends_but_waits_for_in_flight_messages() -> None:
    q, clock, _ = make(visibility_timeout=10)
    q.send("a")
    q.receive(consumer="c1")
    q.close()
    q.close()  # harmless
    with pytest.raises(ac.QueueClosed, match=exact("queue 'jobs' is closed; no new messages can be sent")):
        q.send("b")
    again = q.receive(consumer="c2", timeout=60)  # not "drained" while a delivery could come back
    assert clock.now() == 10 and again.redelivered
    again.ack()
    with pytest.raises(ac.QueueClosed, match=exact("queue 'jobs' is closed and drained; there are no more messages")):
        q.receive(consumer="c2")
    assert "closed" in repr(q)


def test_repr() -> None:
    q, _, _ = make()
    q.send("a")
    q.send("b")
    q.receive()
    assert repr(q) == "<ReliableQueue 'jobs' (at-least-once): 1 ready, 1 in flight, 0 dead-lettered>"


# -- arguments ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"delivery": "exactly-once"},
            ValueError,
            "delivery must be 'at-most-once' (auto-ack) or 'at-least-once' (manual ack), got 'exactly-once'",
        ),
        (
            {"visibility_timeout": 0},
            ValueError,
            "visibility_timeout must be > 0 seconds: with 0 every delivery would expire before it could be acked",
        ),
        ({"visibility_timeout": -1}, ValueError, "visibility_timeout must be >= 0 seconds, got -1"),
        ({"visibility_timeout": "30"}, TypeError, "visibility_timeout must be a number of seconds, got '30' (str)"),
        ({"max_deliveries": 0}, ValueError, "max_deliveries must be an int >= 1 or None (never dead-letter), got 0"),
        ({"prefetch": -1}, ValueError, "prefetch must be an int >= 0 (0 means unlimited), got -1"),
        ({"prefetch": "3"}, TypeError, "prefetch must be an int (0 means unlimited), got '3' (str)"),
        ({"prefetch": True}, TypeError, "prefetch must be an int (0 means unlimited), got True (bool)"),
        (
            {"max_deliveries": 2.0},
            TypeError,
            "max_deliveries must be an int or None (never dead-letter), got 2.0 (float)",
        ),
        (
            {"policy": "drop"},
            ValueError,
            "policy must be one of 'block', 'raise', 'drop-newest', 'drop-oldest', got 'drop'",
        ),
        ({"maxsize": -1}, ValueError, "maxsize must be an int >= 0 (0 means unbounded), got -1"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=exact(message)):
        ReliableQueue(**kwargs)


@pytest.mark.parametrize(("consumer", "error"), [("", ValueError), (None, TypeError), (3, TypeError)])
def test_consumer_must_be_named(consumer: Any, error: type[Exception]) -> None:
    q, _, _ = make()
    q.send("a")
    message = exact(f"consumer must be a non-empty str naming the consumer, got {consumer!r}")
    with pytest.raises(error, match=message):
        q.receive(consumer=consumer)
    with pytest.raises(error, match=message):
        q.consumer_died(consumer)
    assert len(q) == 1


def test_bad_timeout() -> None:
    q, _, _ = make()
    with pytest.raises(ValueError, match=exact("timeout must be >= 0 seconds or None (wait forever), got -1")):
        q.receive(timeout=-1)
    with pytest.raises(TypeError, match=exact("timeout must be a number of seconds or None, got '1' (str)")):
        q.send("a", timeout="1")  # type: ignore[arg-type]


# -- partitions ----------------------------------------------------------------------------------------
def test_partition_is_a_stable_crc32_of_the_key() -> None:
    import zlib

    pq = PartitionedQueue(4, clock=ac.VirtualClock())
    for key in ["alice", "bob", 7, ("a", 1)]:
        assert pq.partition_for(key) == zlib.crc32(str(key).encode()) % 4
    assert pq.partition_for(7) == pq.partition_for("7")  # keys are compared by their str


def test_partitions_keep_per_key_order_and_share_ids() -> None:
    trace = ac.Trace()
    pq = PartitionedQueue(3, clock=ac.VirtualClock(), trace=trace, name="orders")
    sent = [(key, n) for n in range(10) for key in ("k1", "k2", "k3")]  # partitions 1, 0, 2
    ids = [pq.send((key, n), key=key) for key, n in sent]
    assert ids == list(range(1, 31))
    assert len(pq) == 30 and [p.name for p in pq] == ["orders[0]", "orders[1]", "orders[2]"]
    for partition in pq:
        got = []
        while len(partition):
            d = partition.receive_nowait(consumer=partition.name)
            got.append(d.message)
            d.ack()
        by_key: dict[str, list[int]] = {}
        for key, n in got:
            by_key.setdefault(key, []).append(n)
        assert all(numbers == list(range(10)) for numbers in by_key.values())
        assert all(pq.partition_for(key) == pq.partitions.index(partition) for key in by_key)
    assert pq.in_flight() == 0 and {row.name for row in trace} == {"orders[0]", "orders[1]", "orders[2]"}


def test_partitioned_queue_verbs() -> None:
    clock = ac.VirtualClock()
    # prefetch=0: "w" holds two messages of one partition at once (k1 and k2 share one), to be declared dead
    pq = PartitionedQueue(2, delivery="at-least-once", visibility_timeout=5, max_deliveries=1, prefetch=0, clock=clock)
    pq.send("a", key="k1")
    pq.send("b", key="k2")
    d1 = pq[pq.partition_for("k1")].receive(consumer="w")
    pq[pq.partition_for("k2")].receive(consumer="w")
    assert pq.in_flight() == 2 and pq.consumer_died("w") == 2
    assert [row.id for row in pq.dead_letters()] == [1, 2] and d1.state == "returned"
    pq.close()
    with pytest.raises(ac.QueueClosed):
        pq.send("c", key="k1")
    assert repr(pq) == "<PartitionedQueue 'queue': 2 partitions, 0 ready>" and pq.statistics().dropped == 0


def test_partitioned_send_needs_a_key_and_partitions_a_count() -> None:
    pq = PartitionedQueue(2)
    with pytest.raises(
        ValueError,
        match=exact(
            "PartitionedQueue.send() needs key=...: the messages that must stay in order share a key (an account, "
            "an order id) and so a partition"
        ),
    ):
        pq.send("a")
    with pytest.raises(ValueError, match=exact("partitions must be an int >= 1, got 0")):
        PartitionedQueue(0)


# -- idempotent consumer -------------------------------------------------------------------------------
def test_idempotent_consumer_runs_each_id_once() -> None:
    q, _, _ = make()
    done: list[str] = []
    handle = IdempotentConsumer(done.append)
    q.send("pay 10")
    first = q.receive(consumer="c1")
    assert handle(first) is True
    first.nack()  # as if the ack was lost
    again = q.receive(consumer="c2")
    assert handle(again) is False
    again.ack()
    assert done == ["pay 10"] and handle.processed == 1 and handle.duplicates == 1
    assert 1 in handle and 2 not in handle and len(handle) == 1
    assert repr(handle) == "<IdempotentConsumer: 1 processed, 1 duplicates skipped, remembers 1/10000 ids>"


def test_idempotent_consumer_forgets_beyond_its_window() -> None:
    done: list[str] = []
    handle = IdempotentConsumer(done.append, remember=2)
    for item in [(1, "a"), (2, "b"), (1, "a"), (3, "c"), (1, "a"), (3, "c")]:
        handle(item)
    # 1 fell out of the window when 3 came in, so its late duplicate ran again: the documented trade-off.
    assert done == ["a", "b", "c", "a"] and handle.duplicates == 2 and len(handle) == 2


def test_idempotent_consumer_retries_after_a_failing_handler() -> None:
    calls: list[str] = []

    def flaky(message: str) -> None:
        calls.append(message)
        if len(calls) == 1:
            raise RuntimeError("database down")

    handle = IdempotentConsumer(flaky)
    with pytest.raises(RuntimeError, match="database down"):
        handle((1, "a"))
    assert 1 not in handle and handle((1, "a")) is True and calls == ["a", "a"]


def test_idempotent_consumer_bad_arguments() -> None:
    with pytest.raises(
        TypeError,
        match=exact(
            "handler must be callable (a function or method), got 3 (int); pass the function itself, without calling it"
        ),
    ):
        IdempotentConsumer(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=exact("remember must be an int >= 1 (how many ids to keep), got 0")):
        IdempotentConsumer(print, remember=0)
    with pytest.raises(TypeError, match=exact("IdempotentConsumer takes a Delivery or an (id, message) pair, got 'a'")):
        IdempotentConsumer(print)("a")  # type: ignore[arg-type]


# -- real threads ---------------------------------------------------------------------------------------
def test_threads_lose_nothing_with_at_least_once() -> None:
    """Producers and consumers in real threads; consumers nack some messages and 'crash' on others
    (a supervisor declares them dead and they come back under a new name). Every message ends up
    acked exactly once; nothing is lost, nothing is left in flight."""
    q = ReliableQueue(
        delivery="at-least-once", visibility_timeout=600, max_deliveries=None, prefetch=1, clock=ac.RealClock()
    )
    producers, per_producer, consumers = 3, 300, 4
    acked: Counter[int] = Counter()
    processed: Counter[int] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    total = producers * per_producer

    def produce(p: int) -> None:
        for n in range(per_producer):
            q.send((p, n))

    def consume(number: int) -> None:
        name, life = f"c{number}", 1
        while True:
            try:
                d = q.receive(consumer=name)
            except ac.QueueClosed:
                return
            if d.id % 11 == 0 and d.delivery_count == 1:  # crash before processing
                q.consumer_died(name)
                life += 1
                name = f"c{number}#{life}"
                continue
            if d.id % 7 == 0 and d.delivery_count == 1:
                d.nack()
                continue
            with lock:
                processed[d.id] += 1
            d.ack()
            with lock:
                acked[d.id] += 1
                if sum(acked.values()) == total:
                    q.close()

    def guarded(work: Any, *args: Any) -> None:
        try:
            work(*args)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(produce, p), daemon=True) for p in range(producers)]
    threads += [threading.Thread(target=guarded, args=(consume, c), daemon=True) for c in range(consumers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not [t.name for t in threads if t.is_alive()], "threads still running (a lost wake-up?)"
    assert not errors, errors
    assert sorted(acked) == list(range(1, total + 1)) and set(acked.values()) == {1}
    assert set(processed.values()) == {1}
    assert len(q) == 0 and q.in_flight() == 0 and q.dead_letters() == []


def test_a_blocked_receiver_wakes_when_a_prefetch_slot_frees() -> None:
    # No timeout and a long visibility timeout: only the ack's wake-up can end this wait.
    q = ReliableQueue(prefetch=1, visibility_timeout=3600, clock=ac.RealClock())
    q.send("a")
    q.send("b")
    held = q.receive(consumer="c1")
    got: list[Delivery] = []
    waiter = threading.Thread(target=lambda: got.append(q.receive(consumer="c1")), daemon=True)
    waiter.start()
    time.sleep(0.05)
    assert not got  # still waiting: c1 is at its limit
    held.ack()
    waiter.join(10)
    assert not waiter.is_alive(), "the receiver was not woken when the prefetch slot freed"
    assert [d.message for d in got] == ["b"]
