"""One contract, two backends: the in-memory ReliableQueue and RedisStreamQueue on a real redis-server.

Each backend is wrapped in a small driver that knows how to let time pass: the in-memory queue runs on a
VirtualClock (advance), Redis on the server's real clock (sleep past a short visibility timeout).
"""

from __future__ import annotations

import itertools
import re
import time

import pytest

import asyncomm as ac
from asyncomm.reliable import ReliableQueue, StaleDelivery

VISIBILITY = 0.3  # seconds; short, so the Redis backend's real waits stay short
_streams = itertools.count()


class MemoryBackend:
    name = "memory"

    def __init__(self, **options):
        self.clock = ac.VirtualClock(autojump_threshold=0)  # a lone waiting thread jumps to its deadline
        self.queue = ReliableQueue(visibility_timeout=VISIBILITY, clock=self.clock, **options)

    def let_time_pass(self, seconds):
        self.clock.advance(seconds)

    def close(self):
        self.queue.close()


class RedisBackend:
    name = "redis"

    def __init__(self, url, **options):
        from asyncomm.reliable.redis_streams import RedisStreamQueue

        self.queue = RedisStreamQueue(url, f"contract-{next(_streams)}", visibility_timeout=VISIBILITY, **options)

    def let_time_pass(self, seconds):
        time.sleep(seconds)

    def close(self):
        self.queue.close()


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    made = []

    def make(**options):
        if request.param == "memory":
            b = MemoryBackend(**options)
        else:
            b = RedisBackend(request.getfixturevalue("redis_url"), **options)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


def test_fifo_with_one_consumer_and_ids_match(backend):
    q = backend().queue
    ids = [q.send(m) for m in ["a", "b", "c"]]
    got = [q.receive("c1", timeout=1) for _ in range(3)]
    assert [d.message for d in got] == ["a", "b", "c"]
    assert [d.id for d in got] == ids
    assert all(d.delivery_count == 1 and not d.redelivered and d.consumer == "c1" for d in got)
    assert q.in_flight() == 3
    for d in got:
        d.ack()
    assert q.in_flight() == 0 and len(q) == 0
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait("c1")


def test_key_travels_with_the_message(backend):
    q = backend().queue
    q.send({"amount": 10}, key="acct-1")
    d = q.receive("c1", timeout=1)
    assert (d.message, d.key) == ({"amount": 10}, "acct-1")
    d.ack()


def test_unacked_delivery_comes_back_after_the_visibility_timeout(backend):
    b = backend()
    q = b.queue
    first_id = q.send("pay 10")
    crashed = q.receive("c1", timeout=1)  # c1 crashes: never acks
    b.let_time_pass(VISIBILITY + 0.1)
    again = q.receive("c2", timeout=1)
    assert (again.id, again.message, again.delivery_count, again.redelivered) == (first_id, "pay 10", 2, True)
    with pytest.raises(StaleDelivery, match="too late to ack message"):
        crashed.ack()
    again.ack()
    assert q.in_flight() == 0


def test_acking_twice_is_refused(backend):
    q = backend().queue
    q.send("x")
    d = q.receive("c1", timeout=1)
    d.ack()
    with pytest.raises(
        StaleDelivery,
        match=re.escape(
            f"message {d.id} (delivery 1 to consumer 'c1') was already acked; ack or nack each delivery exactly once"
        ),
    ):
        d.ack()


def test_nack_requeues_before_newer_messages(backend):
    q = backend().queue
    q.send("old")
    q.send("new")
    d = q.receive("c1", timeout=1)
    d.nack()
    back = q.receive("c1", timeout=1)
    assert (back.message, back.delivery_count, back.redelivered) == ("old", 2, True)
    back.ack()
    assert q.receive("c1", timeout=1).message == "new"


def test_nack_without_requeue_dead_letters_as_rejected(backend):
    q = backend().queue
    sent = q.send("bad order")
    q.receive("c1", timeout=1).nack(requeue=False)
    [letter] = q.dead_letters
    assert (letter.id, letter.message, letter.reason, letter.deliveries) == (sent, "bad order", "rejected", 1)
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait("c1")


def test_poison_message_is_dead_lettered_after_exactly_max_deliveries(backend):
    q = backend(max_deliveries=3).queue
    q.send("poison")
    attempts = 0
    while True:
        try:
            d = q.receive("c1", timeout=0.5)
        except ac.QueueEmpty:
            break
        attempts += 1
        d.nack()  # the handler always fails
    assert attempts == 3
    [letter] = q.dead_letters
    assert (letter.message, letter.reason, letter.deliveries) == ("poison", "max deliveries", 3)


def test_consumer_died_hands_its_deliveries_to_the_others(backend):
    q = backend().queue
    for m in ["a", "b", "c"]:
        q.send(m)
    q.receive("doomed", timeout=1)
    q.receive("doomed", timeout=1)
    assert q.consumer_died("doomed") == 2
    taken = [q.receive("survivor", timeout=1) for _ in range(3)]
    assert sorted(d.message for d in taken) == ["a", "b", "c"]
    assert sorted(d.delivery_count for d in taken) == [1, 2, 2]
    assert q.consumer_died("nobody") == 0


def test_at_most_once_auto_acks_and_a_crash_loses_the_message(backend):
    b = backend(delivery="at-most-once")
    q = b.queue
    q.send("metrics")
    d = q.receive("c1", timeout=1)
    assert d.state == "auto-acked"
    with pytest.raises(StaleDelivery, match="was acknowledged automatically"):
        d.ack()
    b.let_time_pass(VISIBILITY + 0.1)  # c1 "crashed": nothing comes back
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait("c2")
    assert q.in_flight() == 0


def test_receive_timeout_raises_queue_empty(backend):
    q = backend().queue
    with pytest.raises(ac.QueueEmpty):
        q.receive("c1", timeout=0.2)
