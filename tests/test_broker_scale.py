"""A Redis receive with thousands of deliveries in flight: what it sends to the server stays bounded, and an
expired delivery deep in a long pending list still comes back within the bound the docs state. A real
redis-server, never a mock; no timed assertions (the machine is shared): the commands are counted, and real
time only ever passes *at least* as long as a bound needs."""

from __future__ import annotations

import itertools
import time

import pytest
import redis

import asyncomm as ac
from asyncomm.labs.redis_lab import RoundTripCounter
from asyncomm.reliable.redis_protocol import LOOK_EVERY, JSONSerializer
from asyncomm.reliable.redis_streams import RedisStreamQueue

_streams = itertools.count()


@pytest.fixture
def make(redis_url):
    """``make(stream=None, **options)`` -> (queue, counter): a queue whose client counts its commands."""
    made = []

    def make_queue(stream=None, **options):
        counter = RoundTripCounter(redis.Redis.from_url(redis_url, decode_responses=True))
        q = RedisStreamQueue(redis_url, stream or f"scale-{next(_streams)}", client=counter, **options)
        counter.take()  # setting the group up is not what is counted
        made.append(q)
        return q, counter

    yield make_queue
    for q in made:
        q.close()


def _hold(q, n, consumer="holder"):
    """``n`` messages delivered to ``consumer``, a live consumer that never acks during the test; their ids."""
    client, dumps = q._client._client, JSONSerializer().dumps  # the raw client: this setup is not counted
    for first in range(0, n, 1000):
        with client.pipeline(transaction=False) as pipe:
            for i in range(first, min(first + 1000, n)):
                pipe.xadd(q.stream, {"data": dumps(f"held {i}", None)})
            pipe.execute()
    [(_, entries)] = client.xreadgroup(q.group, consumer, {q.stream: ">"}, count=n)
    assert len(entries) == n
    return [entry_id for entry_id, _ in entries]


def _still_alive(q, ids, consumer="holder"):
    # A live Redis consumer says it is still at work on its deliveries by claiming them to itself (XCLAIM),
    # which resets their idle time: they stay in flight however long the test waits.
    q._client._client.xclaim(q.stream, q.group, consumer, 0, ids, justid=True)


def test_a_receive_with_5000_in_flight_sends_two_commands_then_one(make):
    # Before: every receive followed XAUTOCLAIM's cursor over the whole pending list, ten entries a call:
    # 501 XAUTOCLAIMs and an XREADGROUP per receive with 5,000 in flight (75 ms on the development machine).
    q, counter = make()
    _hold(q, 5000)
    sent = [q.send(f"m{i}") for i in range(5)]
    counter.take()
    first = q.receive_nowait(consumer="c")
    assert counter.take() == ["EVAL", "XREADGROUP"]  # one look through the pending list, in one script
    rest = [q.receive_nowait(consumer="c") for _ in range(4)]
    # Within a quarter of the visibility timeout (30 s) no receive looks again: one round trip each.
    assert counter.take() == ["XREADGROUP"] * 4
    assert [d.id for d in [first, *rest]] == sent
    assert q.in_flight() == 5005


def test_an_expired_delivery_deep_in_a_long_pending_list_comes_back_within_the_stated_bound(make):
    visibility = 0.4
    q, _ = make(visibility_timeout=visibility)
    live = _hold(q, 3000)
    q.send("forgotten")  # behind 3,000 live deliveries: the last entry of the pending list
    forgotten = q.receive(consumer="slow", timeout=1)  # never acked
    delivered = time.monotonic()
    # A second queue object on the same group, with its own cursor: it looks now, and finds nothing idle.
    rescuer, counter = make(q.stream, visibility_timeout=visibility)
    with pytest.raises(ac.QueueEmpty):
        rescuer.receive_nowait(consumer="rescuer")
    # The stated bound: the delivery expires at delivered + visibility; the first receive that starts a
    # visibility x LOOK_EVERY later takes it back (the 20 ms cover the server's millisecond idle clock).
    time.sleep(max(0.0, delivered + visibility * (1 + LOOK_EVERY) + 0.02 - time.monotonic()))
    _still_alive(q, live)
    counter.take()
    back = rescuer.receive_nowait(consumer="rescuer")
    assert (back.id, back.message, back.delivery_count, back.redelivered) == (forgotten.id, "forgotten", 2, True)
    # One script found it past 3,000 live entries (before: 301 XAUTOCLAIMs); XPENDING reads its delivery count.
    assert counter.take() == ["EVAL", "XPENDING"]


def test_deliveries_that_came_back_are_taken_in_one_step_each_before_new_messages(make):
    visibility = 0.3
    q, counter = make(visibility_timeout=visibility)
    before = _hold(q, 1000, consumer="busy")
    forgotten = [q.send(f"forgotten {i}") for i in range(3)]
    for _ in forgotten:
        q.receive(consumer="slow", timeout=1)
    after = _hold(q, 1000, consumer="busy")
    time.sleep(visibility * (1 + LOOK_EVERY) + 0.02)
    _still_alive(q, before + after, consumer="busy")
    q.send("new")
    counter.take()
    taken = [q.receive_nowait(consumer="rescuer") for _ in range(4)]
    assert [d.message for d in taken] == ["forgotten 0", "forgotten 1", "forgotten 2", "new"]
    # Each claim is one step of the same look, from where the last one stopped; the look then ends, and the
    # new message is read.
    assert counter.take() == ["EVAL", "XPENDING"] * 3 + ["EVAL", "XREADGROUP"]


def test_a_waiting_receive_takes_back_a_delivery_that_expires_while_it_waits(make):
    q, _ = make(visibility_timeout=0.3)
    q.send("a")
    crashed = q.receive(consumer="c1", timeout=1)
    back = q.receive(consumer="c2", timeout=10)  # looks at most every 0.075 s while it waits
    assert (back.id, back.delivery_count) == (crashed.id, 2)


def test_a_nack_through_another_queue_object_comes_back_within_a_quarter_of_the_visibility_timeout(make):
    visibility = 2.0
    q1, _ = make(visibility_timeout=visibility)
    q2, counter = make(q1.stream, visibility_timeout=visibility)
    with pytest.raises(ac.QueueEmpty):
        q2.receive_nowait(consumer="c2")  # q2 looks now; its next look is due a quarter timeout later
    looked = time.monotonic()
    q1.send("x")
    q1.receive(consumer="c1", timeout=1).nack()
    assert (q2.ready(), q2.in_flight()) == (1, 0)  # counted as ready at once...
    time.sleep(max(0.0, looked + visibility * LOOK_EVERY - time.monotonic()))
    counter.take()
    back = q2.receive_nowait(consumer="c2")  # ...and taken back by q2's next look
    assert (back.message, back.delivery_count) == ("x", 2)
    assert counter.take() == ["EVAL", "XPENDING"]


def test_a_drop_oldest_stream_dead_letters_an_entry_trimmed_while_pending_at_the_next_receive(make):
    # Between looks a receive does not search for expired deliveries, but a drop-oldest stream still checks
    # for pending entries MAXLEN trimmed (ids before the stream's first entry) on every receive.
    q, counter = make(maxsize=2, policy="drop-oldest")
    first = q.send("a")
    q.send("b")
    held = q.receive_nowait(consumer="c1")  # this receive looked; the next look is 7.5 s away
    q.send("c")  # MAXLEN 2 trims "a", still pending with c1
    counter.take()
    assert q.receive_nowait(consumer="c2").message == "b"
    assert counter.take() == ["EVAL", "XADD", "XACK", "XREADGROUP"]  # the check, the dead letter, the read
    [letter] = q.dead_letters()
    assert (letter.id, letter.reason) == (first, "trimmed while pending: maxsize dropped it")
    with pytest.raises(ac.StaleDelivery, match="it is no longer pending"):
        held.ack()
