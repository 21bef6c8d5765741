"""What only the Redis backend has: JSON on the wire, malformed entries, bounded streams, connection errors,
the asyncio variant, and a crash across processes. A real redis-server, never a mock."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import re
import time

import pytest

import asyncomm as ac
from asyncomm.reliable.redis_streams import AsyncRedisStreamQueue, RedisStreamQueue, reachable, run_consumer, safe_url

_streams = itertools.count()


def _stream(prefix="t"):
    return f"{prefix}-{next(_streams)}"


def test_messages_are_json_on_the_wire(redis_url):
    q = RedisStreamQueue(redis_url, _stream())
    entry = q.send({"order": 7, "items": ["tea"]}, key="acct-1")
    [(entry_id, fields)] = q._client.xrange(q.stream, "-", "+")
    assert entry_id == entry and json.loads(fields["data"]) == {"m": {"order": 7, "items": ["tea"]}, "k": "acct-1"}
    with pytest.raises(TypeError, match=re.escape("this message cannot be sent as JSON")):
        q.send({1, 2})
    q.close()


def test_a_malformed_entry_goes_to_the_dead_letters_and_the_consumer_goes_on(redis_url):
    q = RedisStreamQueue(redis_url, _stream())
    q._client.xadd(q.stream, {"data": "{not json"})
    q._client.xadd(q.stream, {"other": "field"})
    q.send("good")
    d = q.receive("c1", timeout=1)
    assert d.message == "good"
    d.ack()
    letters = q.dead_letters
    assert [(letter.reason.split(":")[0], letter.message) for letter in letters] == [
        ("malformed", "{not json"),
        ("malformed", ""),
    ]
    assert letters[1].reason == "malformed: no 'data' field"
    q.close()


def test_bounded_stream_drop_oldest_trims_and_raise_refuses(redis_url):
    q = RedisStreamQueue(redis_url, _stream(), maxsize=2)
    for i in range(4):
        q.send(i)
    assert len(q) == 2  # Redis reports no group lag after trimming: len() counts the entries itself
    assert q.receive("c", timeout=1).message == 2
    assert len(q) == 1
    assert q.receive("c", timeout=1).message == 3
    assert len(q) == 0
    strict = RedisStreamQueue(redis_url, _stream(), maxsize=2, policy="raise")
    strict.send("a")
    strict.send("b")
    with pytest.raises(ac.QueueFull, match=re.escape("is full (2 messages waiting) and its policy is 'raise'")):
        strict.send("c")
    strict.receive("c", timeout=1).ack()
    strict.send("c")  # room again
    assert len(strict) == 2
    with pytest.raises(ValueError, match=re.escape("on Redis the policy of a bounded stream is 'drop-oldest'")):
        RedisStreamQueue(redis_url, _stream(), maxsize=2, policy="block")


def test_unreachable_server_names_the_url_without_password():
    with pytest.raises(ac.BrokerUnavailable, match=re.escape("cannot reach Redis at redis://:***@127.0.0.1:1/0")):
        RedisStreamQueue("redis://:topsecret@127.0.0.1:1/0", "x")
    assert safe_url("redis://user:pw@h:1/2") == "redis://user:***@h:1/2"
    assert safe_url("redis://h") == "redis://h"
    assert not reachable("redis://127.0.0.1:1/0")


def test_len_counts_the_waiting_entries_after_a_deletion(redis_url):
    q = RedisStreamQueue(redis_url, _stream())
    ids = [q.send(i) for i in range(4)]
    q._client.xdel(q.stream, ids[1])  # from here on Redis reports the group's lag as unknown (None)
    assert len(q) == 3
    q.receive("c", timeout=1).ack()
    assert len(q) == 2
    q.close()


def test_an_expired_delivery_behind_many_live_ones_comes_back(redis_url):
    # XAUTOCLAIM scans ten pending entries per call: the queue must follow its cursor to reach the 13th.
    q = RedisStreamQueue(redis_url, _stream(), visibility_timeout=0.2)
    for i in range(13):
        q.send(i)
    live = [q.receive("busy", timeout=1) for _ in range(12)]
    forgotten = q.receive("slow", timeout=1)  # never acked
    time.sleep(0.25)
    # "busy" is still at work and says so, as a Redis consumer does: XCLAIM to itself resets the idle time.
    q._client.xclaim(q.stream, q._proto.group, "busy", 0, [d.id for d in live], justid=True)
    back = q.receive("rescuer", timeout=1)
    assert (back.message, back.delivery_count, back.redelivered) == (12, 2, True)
    assert forgotten.message == 12
    q.close()


def test_an_entry_trimmed_while_pending_is_recorded_as_a_dead_letter(redis_url):
    q = RedisStreamQueue(redis_url, _stream(), maxsize=2, visibility_timeout=0.1)
    first = q.send("a")
    q.send("b")
    q.receive("c1", timeout=1)  # "a" is pending, never acked...
    q.send("c")  # ...and MAXLEN 2 trims it from the stream
    time.sleep(0.15)
    assert q.receive("c2", timeout=1).message == "b"
    [letter] = q.dead_letters
    assert (letter.id, letter.reason) == (first, "trimmed while pending: maxsize dropped it")
    q.close()


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


def test_closed_queue_refuses(redis_url):
    q = RedisStreamQueue(redis_url, _stream())
    q.close()
    with pytest.raises(ac.QueueClosed, match="is closed; make a new queue object"):
        q.send("x")


def test_asyncio_variant_follows_the_same_contract(redis_url):
    async def main():
        q = await AsyncRedisStreamQueue.connect(redis_url, _stream(), visibility_timeout=0.2, max_deliveries=2)
        await q.send("a")
        await q.send("b")
        first = await q.receive("c1", timeout=1)
        await first.nack()
        again = await q.receive("c1", timeout=1)
        assert (again.message, again.delivery_count) == ("a", 2)
        await again.nack()  # second failed delivery of two allowed: dead-lettered
        b = await q.receive("c1", timeout=1)
        await b.ack()
        letters = await q.dead_letters()
        assert [(x.message, x.reason, x.deliveries) for x in letters] == [("a", "max deliveries", 2)]
        assert await q.in_flight() == 0 and await q.ready() == 0
        with pytest.raises(ac.QueueEmpty):
            await q.receive_nowait("c1")
        await q.close()

    ac.RealClock().run(main())


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
    from asyncomm.reliable.redis_streams import check_server_version

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
