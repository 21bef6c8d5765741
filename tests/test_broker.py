"""What only the Redis backend has: JSON on the wire, malformed entries, bounded streams and their policies,
counts the server must work out, connection errors, closing under a waiting call, the asyncio variant, and a
crash across processes. A real redis-server, never a mock."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import re
import threading
import time

import pytest
import redis

import asyncomm as ac
from asyncomm.labs.redis_lab import RoundTripCounter
from asyncomm.reliable.contract import AsyncDeliveryQueue, DeliveryQueue
from asyncomm.reliable.redis_streams import (
    AsyncRedisStreamQueue,
    JSONSerializer,
    RedisStreamQueue,
    reachable,
    run_consumer,
    safe_url,
)
from asyncomm.statistics import QueueStatistics

_streams = itertools.count()
JOIN_TIMEOUT = 30.0  # real seconds; generous, the machine is shared


def _stream(prefix="t"):
    return f"{prefix}-{next(_streams)}"


@pytest.fixture
def queue(redis_url):
    """A queue on a fresh stream; more with ``queue.make(**options)``; all closed afterwards."""
    made = []

    def make(**options):
        q = RedisStreamQueue(redis_url, _stream(), **options)
        made.append(q)
        return q

    first = make()
    first.make = make
    yield first
    for q in made:
        q.close()


def _in_thread(target, *args, **kwargs):
    worker = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
    worker.start()
    return worker


# -- what travels on the wire ----------------------------------------------------------------------------------


def test_messages_are_json_on_the_wire(queue):
    entry = queue.send({"order": 7, "items": ["tea"]}, key="acct-1")
    [(entry_id, fields)] = queue._client.xrange(queue.stream, "-", "+")
    assert entry_id == entry and json.loads(fields["data"]) == {"m": {"order": 7, "items": ["tea"]}, "k": "acct-1"}
    with pytest.raises(TypeError, match=re.escape("this message cannot be sent as JSON")):
        queue.send({1, 2})


@pytest.mark.parametrize(("data", "kind"), [("[1]", "list"), ("5", "int"), ('"m"', "str")])
def test_json_that_is_not_an_asyncomm_message_is_refused(data, kind):
    with pytest.raises(
        ValueError, match=re.escape(f"not an asyncomm message (a JSON {kind}, not an object with an 'm' field)")
    ):
        JSONSerializer().loads(data)
    with pytest.raises(ValueError, match=re.escape("not an asyncomm message (no 'm' field)")):
        JSONSerializer().loads('{"order": 7}')


def test_a_malformed_entry_goes_to_the_dead_letters_and_the_consumer_goes_on(queue):
    queue._client.xadd(queue.stream, {"data": "{not json"})
    queue._client.xadd(queue.stream, {"other": "field"})
    queue.send("good")
    d = queue.receive(consumer="c1", timeout=1)
    assert d.message == "good"
    d.ack()
    letters = queue.dead_letters()
    assert [(letter.reason.split(":")[0], letter.message) for letter in letters] == [
        ("malformed", "{not json"),
        ("malformed", ""),
    ]
    assert letters[1].reason == "malformed: no 'data' field"


def test_an_entry_another_program_wrote_as_a_json_list_is_dead_lettered_and_the_messages_behind_it_delivered(queue):
    first = queue.send("before")
    foreign = queue._client.xadd(queue.stream, {"data": "[1]"})  # another client, not asyncomm's format
    queue.send("after 1")
    queue.send("after 2")
    got = [queue.receive(consumer="c1", timeout=1) for _ in range(3)]
    assert [(d.id == first, d.message) for d in got] == [(True, "before"), (False, "after 1"), (False, "after 2")]
    for d in got:
        d.ack()
    [letter] = queue.dead_letters()
    assert letter == (
        foreign,
        "[1]",
        "malformed: not an asyncomm message (a JSON list, not an object with an 'm' field)",
        1,
    )
    assert queue.statistics() == QueueStatistics(
        name=queue.stream, ready=0, maxsize=0, closed=False, senders_waiting=0, receivers_waiting=0, dropped=0, dead=1
    )


# -- bounded streams -------------------------------------------------------------------------------------------


def test_drop_oldest_trims_and_ready_counts_only_what_is_left(queue):
    q = queue.make(maxsize=2, policy="drop-oldest")
    for i in range(4):
        q.send(i)
    assert q.ready() == 2  # Redis reports no group lag after trimming: ready() counts the entries itself
    assert q.receive(consumer="c", timeout=1).message == 2
    assert q.ready() == 1
    q.send(4)
    q.send(5)  # trims 3, never delivered: the group's lag still counts it, ready() must not
    assert (q.ready(), [d.message for d in (q.receive_nowait(consumer="c"), q.receive_nowait(consumer="c"))]) == (
        2,
        [4, 5],
    )
    assert q.statistics().dropped is None  # MAXLEN trims without telling anyone


def test_raise_refuses_a_send_to_a_full_stream(queue):
    strict = queue.make(maxsize=2, policy="raise")
    strict.send("a")
    strict.send("b")
    with pytest.raises(
        ac.QueueFull,
        match=re.escape(
            f"stream {strict.stream!r} is full (2 messages waiting) and its policy is 'raise'; let consumers catch "
            f"up, or raise maxsize"
        ),
    ):
        strict.send("c", timeout=5)  # "raise" never waits
    strict.receive(consumer="c", timeout=1).ack()
    strict.send("c")  # room again
    assert strict.ready() == 2


def test_block_is_the_default_and_send_waits_for_room(queue):
    q = queue.make(maxsize=1)
    assert q.policy == "block"
    q.send("a")
    with pytest.raises(
        ac.QueueFull,
        match=re.escape(
            f"stream {q.stream!r} is full (1 message waiting); receive some first, or send with a timeout to wait "
            f"for room"
        ),
    ):
        q.send_nowait("b")
    started = time.monotonic()
    with pytest.raises(
        ac.QueueFull,
        match=re.escape(
            f"stream {q.stream!r} stayed full (1 message waiting) for 0.2 s; the message was not sent: consume "
            f"faster, or give the queue a larger maxsize"
        ),
    ):
        q.send("b", timeout=0.2)
    assert time.monotonic() - started >= 0.2

    def consume_later():
        time.sleep(0.3)
        q.receive(consumer="slow", timeout=5).ack()

    consumer = _in_thread(consume_later)
    q.send("b", timeout=10)  # waits until the consumer made room
    consumer.join(JOIN_TIMEOUT)
    assert [q.receive_nowait(consumer="c").message, q.ready()] == ["b", 0]


def _eventually(condition):
    """Whether ``condition()`` holds within JOIN_TIMEOUT real seconds (looking every 10 ms)."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_waiting_sender_and_receiver_show_in_statistics(queue):
    q = queue.make(maxsize=1, poll=0.02)
    q.send("a")
    sender = _in_thread(q.send, "b", timeout=10)
    assert _eventually(lambda: q.statistics().senders_waiting == 1)
    assert q.receive_nowait(consumer="c").message == "a"  # room: maxsize bounds the ready messages
    sender.join(JOIN_TIMEOUT)
    assert q.statistics().senders_waiting == 0 and q.ready() == 1
    q.receive_nowait(consumer="c").ack()
    got = []
    receiver = _in_thread(lambda: got.append(q.receive(consumer="c", timeout=10).message))
    assert _eventually(lambda: q.statistics().receivers_waiting == 1)
    q.send("c")
    receiver.join(JOIN_TIMEOUT)
    assert got == ["c"] and q.statistics().receivers_waiting == 0


def test_concurrent_senders_never_overshoot_maxsize(queue):
    """The room check and the XADD run in one server-side script: no sender slips in between."""
    q = queue.make(maxsize=10, policy="raise")
    refused = []

    def send_five():
        for i in range(5):
            try:
                q.send(i)
            except ac.QueueFull:
                refused.append(i)

    senders = [_in_thread(send_five) for _ in range(8)]
    for sender in senders:
        sender.join(JOIN_TIMEOUT)
    assert (q.ready(), len(refused), q._client.xlen(q.stream)) == (10, 30, 10)


def test_policies_a_stream_cannot_honour_are_refused_when_the_queue_is_made(redis_url):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "policy 'drop-newest' cannot be honoured by a Redis stream: a message dropped on arrival never enters "
            "the stream, so it has no stream id for send() to return. On Redis use 'block' (send waits for room), "
            "'raise' (QueueFull at once) or 'drop-oldest' (MAXLEN trims the oldest entries)"
        ),
    ):
        RedisStreamQueue(redis_url, _stream(), maxsize=2, policy="drop-newest")
    with pytest.raises(
        ValueError, match=re.escape("policy must be one of 'block', 'raise', 'drop-oldest' on Redis, got 'wait'")
    ):
        RedisStreamQueue(redis_url, _stream(), policy="wait")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"maxsize": "3"}, TypeError, "maxsize must be an int (0 means unbounded), got '3' (str)"),
        ({"maxsize": -1}, ValueError, "maxsize must be an int >= 0 (0 means unbounded), got -1"),
        ({"maxsize": True}, TypeError, "maxsize must be an int (0 means unbounded), got True (bool)"),
        ({"poll": 0}, ValueError, "poll must be > 0 seconds: it is how long a waiting send or receive waits"),
        (
            {"visibility_timeout": float("inf")},
            ValueError,
            "on Redis visibility_timeout must be a finite number of seconds (XAUTOCLAIM takes a delivery back "
            "after a set idle time), got inf",
        ),
        ({"max_deliveries": 0}, ValueError, "max_deliveries must be an int >= 1 or None (never dead-letter), got 0"),
    ],
)
def test_options_are_checked_before_anything_is_sent(options, error, message):
    with pytest.raises(error, match=re.escape(message)):
        RedisStreamQueue("redis://127.0.0.1:1/0", "x", **options)  # nothing listens there: checked first


def test_arguments_of_each_verb_are_checked(queue):
    with pytest.raises(ValueError, match=re.escape("consumer must be a non-empty str naming the consumer, got ''")):
        queue.receive(consumer="", timeout=0)
    with pytest.raises(TypeError, match=re.escape("consumer must be a non-empty str naming the consumer, got 3")):
        queue.consumer_died(3)
    with pytest.raises(TypeError, match=re.escape("timeout must be a number of seconds or None, got '1' (str)")):
        queue.send("x", timeout="1")
    with pytest.raises(TypeError, match=re.escape("takes 1 positional argument but 2 were given")):
        queue.receive("c1")  # keyword-only, as on every backend


# -- counts the server works out -------------------------------------------------------------------------------


def test_ready_counts_the_waiting_entries_after_a_deletion(queue):
    ids = [queue.send(i) for i in range(4)]
    queue._client.xdel(queue.stream, ids[1])  # from here on Redis reports the group's lag as unknown (None)
    assert queue.ready() == 3
    queue.receive(consumer="c", timeout=1).ack()
    assert queue.ready() == 2


def test_an_expired_delivery_counts_as_ready_before_any_receive_takes_it_back(queue):
    q = queue.make(visibility_timeout=0.2)
    q.send("a")
    q.receive(consumer="c1", timeout=1)
    assert (q.ready(), q.in_flight()) == (0, 1)
    time.sleep(0.25)
    assert (q.ready(), q.in_flight()) == (1, 0)


def test_an_expired_delivery_behind_many_live_ones_comes_back(queue):
    # XAUTOCLAIM scans ten pending entries per call: a look through the pending list must reach the 13th.
    q = queue.make(visibility_timeout=0.2)
    for i in range(13):
        q.send(i)
    live = [q.receive(consumer="busy", timeout=1) for _ in range(12)]
    forgotten = q.receive(consumer="slow", timeout=1)  # never acked
    time.sleep(0.25)
    # "busy" is still at work and says so, as a Redis consumer does: XCLAIM to itself resets the idle time.
    q._client.xclaim(q.stream, q.group, "busy", 0, [d.id for d in live], justid=True)
    back = q.receive(consumer="rescuer", timeout=1)
    assert (back.message, back.delivery_count, back.redelivered) == (12, 2, True)
    assert forgotten.message == 12


def test_an_entry_trimmed_while_pending_is_recorded_as_a_dead_letter(queue):
    q = queue.make(maxsize=2, policy="drop-oldest", visibility_timeout=0.1)
    first = q.send("a")
    q.send("b")
    q.receive(consumer="c1", timeout=1)  # "a" is pending, never acked...
    q.send("c")  # ...and MAXLEN 2 trims it from the stream
    time.sleep(0.15)
    assert q.receive(consumer="c2", timeout=1).message == "b"
    [letter] = q.dead_letters()
    assert (letter.id, letter.reason) == (first, "trimmed while pending: maxsize dropped it")


def test_options_repr_and_truth_ask_nothing_of_the_server(redis_url):
    client = RoundTripCounter(redis.Redis.from_url(redis_url, decode_responses=True))
    q = RedisStreamQueue(redis_url, "quiet", client=client, maxsize=3)
    client.take()
    looks = (q.name, q.stream, q.group, q.delivery, q.visibility_timeout, q.max_deliveries, q.maxsize, q.policy)
    assert looks == ("quiet", "quiet", "workers", "at-least-once", 30.0, 5, 3, "block")
    assert bool(q) and not q.closed
    assert repr(q) == f"<RedisStreamQueue 'quiet' at {redis_url} (at-least-once, maxsize=3, policy='block')>"
    assert client.take() == []
    with pytest.raises(TypeError, match="has no len"):
        len(q)  # counting is a round trip: ready(), not len()
    q.close()
    assert repr(q).endswith("(at-least-once, maxsize=3, policy='block', closed)>")


# -- connections and closing -----------------------------------------------------------------------------------


def test_unreachable_server_names_the_url_without_password():
    with pytest.raises(ac.BrokerUnavailable, match=re.escape("cannot reach Redis at redis://:***@127.0.0.1:1/0")):
        RedisStreamQueue("redis://:topsecret@127.0.0.1:1/0", "x")
    assert safe_url("redis://user:pw@h:1/2") == "redis://user:***@h:1/2"
    assert safe_url("redis://h") == "redis://h"
    assert not reachable("redis://127.0.0.1:1/0")


def test_a_missing_redis_server_program_is_reported_as_broker_unavailable():
    from asyncomm.reliable.redis_streams import LocalRedis

    with pytest.raises(
        ac.BrokerUnavailable,
        match=re.escape(
            "'/nonexistent/redis-server' is not an executable program; install it (apt-get install redis-server, "
            "conda install -c conda-forge redis-server, or docker run -p 6379:6379 redis:7)"
        ),
    ):
        LocalRedis(executable="/nonexistent/redis-server")


def test_closed_queue_refuses_every_verb(queue):
    queue.send("x")
    d = queue.receive_nowait(consumer="c")
    queue.close()
    closed = re.escape(f"queue {queue.stream!r} is closed; make a new queue object to talk to the stream again")
    for verb in (
        lambda: queue.send("x"),
        lambda: queue.receive(consumer="c"),
        lambda: queue.ready(),
        lambda: queue.dead_letters(),
        d.ack,
    ):
        with pytest.raises(ac.QueueClosed, match=closed):
            verb()
    queue.close()  # twice is harmless


def test_close_from_another_thread_ends_a_waiting_iteration(queue):
    for m in ("a", "b"):
        queue.send(m)
    seen = []

    def consume():
        for d in queue:  # waits for more after "b", until the queue is closed
            seen.append(d.message)
            d.ack()

    consumer = _in_thread(consume)
    assert _eventually(lambda: len(seen) == 2)
    queue.close()
    consumer.join(JOIN_TIMEOUT)
    assert not consumer.is_alive() and seen == ["a", "b"]


# -- asyncio ---------------------------------------------------------------------------------------------------


def test_asyncio_variant_follows_the_same_contract(redis_url):
    async def main():
        q = await AsyncRedisStreamQueue.connect(redis_url, _stream(), visibility_timeout=0.2, max_deliveries=2)
        assert isinstance(q, AsyncDeliveryQueue) and not isinstance(q, DeliveryQueue)
        await q.send("a")
        await q.send_nowait("b")
        first = await q.receive(consumer="c1", timeout=1)
        await first.nack()
        again = await q.receive(consumer="c1", timeout=1)
        assert (again.message, again.delivery_count) == ("a", 2)
        await again.nack()  # second failed delivery of two allowed: dead-lettered
        with pytest.raises(TypeError, match=re.escape("requeue must be True or False, got 'yes' (str)")):
            await again.nack(requeue="yes")
        b = await q.receive(consumer="c1", timeout=1)
        await b.ack()
        with pytest.raises(ac.StaleDelivery, match=re.escape("was already acked")):
            await b.ack()
        letters = await q.dead_letters()
        assert [(x.message, x.reason, x.deliveries) for x in letters] == [("a", "max deliveries", 2)]
        assert await q.in_flight() == 0 and await q.ready() == 0
        assert await q.statistics() == QueueStatistics(
            name=q.stream, ready=0, maxsize=0, closed=False, senders_waiting=0, receivers_waiting=0, dropped=0, dead=1
        )
        with pytest.raises(ac.QueueEmpty):
            await q.receive_nowait(consumer="c1")
        await q.close()

    ac.RealClock().run(main())


def test_asyncio_with_iteration_and_a_bounded_stream(redis_url):
    import asyncio

    async def main():
        async with AsyncRedisStreamQueue(redis_url, _stream(), maxsize=1, poll=0.02) as q:
            assert q.policy == "block"
            await q.send("a")
            with pytest.raises(ac.QueueFull, match=re.escape("is full (1 message waiting); receive some first")):
                await q.send_nowait("b")
            sending = asyncio.create_task(q.send("b", timeout=10))  # waits for room
            seen = []
            async for d in q:
                seen.append(d.message)
                await d.ack()
                if len(seen) == 2:
                    await q.close()  # iteration ends: receive on a closed queue raises QueueClosed
            await sending
        assert seen == ["a", "b"] and q.closed

    ac.RealClock().run(main())


# -- across processes ------------------------------------------------------------------------------------------


def test_killed_consumer_process_loses_nothing(redis_url):
    """A producer and three consumer processes over one stream; one consumer is killed mid-stream; the
    others claim its pending deliveries after the visibility timeout; every message is processed."""
    stream, processed = _stream("crash"), _stream("processed")
    producer = RedisStreamQueue(redis_url, stream, visibility_timeout=0.5)
    sent = list(range(150))
    for i in sent:
        producer.send({"n": i})
    ctx = multiprocessing.get_context("spawn")
    workers = {
        name: ctx.Process(
            target=run_consumer,
            args=(redis_url, stream, name),
            kwargs={"processed_key": processed, "work_seconds": 0.01, "idle_exit": 2.0, "visibility_timeout": 0.5},
        )
        for name in ("c1", "c2", "c3")
    }
    for w in workers.values():
        w.start()
    # Wait until c1 holds a delivery it has not acked yet, then kill it there.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if producer._client.xpending_range(stream, "workers", "-", "+", 10, consumername="c1"):
            break
        time.sleep(0.005)
    workers["c1"].kill()
    held = producer._client.xpending_range(stream, "workers", "-", "+", 10, consumername="c1")
    for name in ("c2", "c3"):
        workers[name].join(60)
        assert workers[name].exitcode == 0
    workers["c1"].join(60)
    done = [json.loads(x)["n"] for x in producer._client.lrange(processed, 0, -1)]
    lost = set(sent) - set(done)
    duplicated = len(done) - len(set(done))
    assert not lost, f"lost {sorted(lost)}"
    assert held, "c1 was killed while holding no delivery; the test did not test a takeover"
    assert producer.in_flight() == 0
    print(
        f"tally: sent {len(sent)}, processed {len(set(done))}, lost 0, duplicated {duplicated}, "
        f"taken over from the killed consumer {len(held)}"
    )
    producer.close()


def test_a_redis_server_older_than_7_is_refused_with_what_to_do():
    from asyncomm.reliable.redis_protocol import check_server_version

    for fine in ("7.0.0", "7.2.4", "8.0.1"):
        check_server_version(fine)
    with pytest.raises(
        ac.BrokerUnavailable,
        match=re.escape(
            "this Redis server is version 6.2.14; RedisStreamQueue needs 7.0 or later (XAUTOCLAIM and its report of "
            "deleted entries). Install a newer one: conda install -c conda-forge redis-server, docker run -p 6379:6379 "
            "redis:7, or apt on Debian 12 / Ubuntu 24.04"
        ),
    ):
        check_server_version("6.2.14")
