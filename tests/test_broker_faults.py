"""The Redis backend when something else goes wrong: bytes that are not text, passwords in every URL form,
time limits with no limit, a stream deleted or a server restarted under the queue, a key of another type,
concurrent bounded sends, and dead-letter streams other programs wrote to. A real redis-server, never a mock."""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import threading
import time

import pytest
import redis

import asyncomm as ac
from asyncomm.errors import BrokerStateError
from asyncomm.reliable.redis_protocol import PAYLOAD_TRIMMED, JSONSerializer
from asyncomm.reliable.redis_streams import AsyncRedisStreamQueue, LocalRedis, RedisStreamQueue, reachable, safe_url
from asyncomm.statistics import QueueStatistics
from tests.conftest import require_program

_streams = itertools.count()
JOIN_TIMEOUT = 30.0  # real seconds; generous, the machine is shared


def _stream(prefix="f"):
    return f"{prefix}-{next(_streams)}"


@pytest.fixture
def raw(redis_url):
    """Another program's client: bytes in, bytes out, no asyncomm in between."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def queue(redis_url):
    """A queue on a fresh stream; more with ``queue.make(**options)``; all closed afterwards."""
    made = []

    def make(stream=None, **options):
        q = RedisStreamQueue(redis_url, stream or _stream(), **options)
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


def _eventually(condition):
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# -- item 2: an entry that is not UTF-8 --------------------------------------------------------------------------

NOT_UTF8 = "malformed: not UTF-8 text (another program wrote raw bytes into the stream)"


def test_an_entry_that_is_not_utf8_is_dead_lettered_and_the_messages_behind_it_delivered(queue, raw):
    q = queue.make(max_deliveries=2)
    first = raw.xadd(q.stream, {b"data": b"\xff\xfe garbage"}).decode()
    second = raw.xadd(q.stream, {b"data": b'{"m": "caf\xe9"}'}).decode()  # JSON, but Latin-1, not UTF-8
    q.send("good 1")
    q.send({"good": 2})
    got = [q.receive(consumer="c1", timeout=5) for _ in range(2)]
    assert [d.message for d in got] == ["good 1", {"good": 2}]
    for d in got:
        d.ack()
    assert q.dead_letters() == [
        (first, "\\xff\\xfe garbage", NOT_UTF8, 1),  # the bytes shown as escapes: printable, never a crash
        (second, '{"m": "caf\\xe9"}', NOT_UTF8, 1),
    ]
    # the dead-letter stream keeps the very bytes that were sent, for whoever investigates
    assert [fields[b"data"] for _, fields in raw.xrange(f"{q.stream}:dead")] == [
        b"\xff\xfe garbage",
        b'{"m": "caf\xe9"}',
    ]
    assert (q.ready(), q.in_flight(), q.statistics().dead) == (0, 0, 2)


def test_the_asyncio_queue_dead_letters_an_entry_that_is_not_utf8_too(redis_url, raw):
    async def main():
        async with AsyncRedisStreamQueue(redis_url, _stream()) as q:
            bad = raw.xadd(q.stream, {b"data": b"\x80"}).decode()
            await q.send("good")
            d = await q.receive(consumer="c1", timeout=5)
            await d.ack()
            return bad, d.message, await q.dead_letters()

    bad, message, letters = ac.RealClock().run(main())
    assert (message, letters) == ("good", [(bad, "\\x80", NOT_UTF8, 1)])


# -- item 4: passwords never shown -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:topsecret@cache:6379/0", "redis://user:***@cache:6379/0"),
        ("redis://:topsecret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://cache:6379/0?password=topsecret", "redis://cache:6379/0?password=***"),
        ("redis://cache:6379/0?db=1&password=topsecret&ssl=0", "redis://cache:6379/0?db=1&password=***&ssl=0"),
        ("unix:///run/redis.sock?password=topsecret&db=0", "unix:///run/redis.sock?password=***&db=0"),
        ("redis://:top#secret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://:top@secret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://:top%40secret%25@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://cache/0?password=top@sec#ret", "redis://cache/0?password=***"),
        ("redis://[::1]:6379/0", "redis://[::1]:6379/0"),
        ("redis://:topsecret@[::1]:6379/0", "redis://:***@[::1]:6379/0"),
        ("redis://user@cache/0", "redis://user@cache/0"),  # a user name is no secret
    ],
)
def test_safe_url_hides_the_password_in_every_form_and_keeps_the_rest(url, shown):
    assert safe_url(url) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:1/0?password=topsecret", "redis://127.0.0.1:1/0?password=***"),
        ("redis://:top%40secret@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0"),
        ("unix:///nonexistent/redis.sock?password=topsecret", "unix:///nonexistent/redis.sock?password=***"),
    ],
)
def test_an_unreachable_server_is_named_without_the_password(url, shown):
    with pytest.raises(ac.BrokerUnavailable, match=re.escape(f"cannot reach Redis at {shown} (")) as caught:
        RedisStreamQueue(url, "x")
    assert "secret" not in str(caught.value)


def test_repr_hides_a_password_given_in_the_query(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    with RedisStreamQueue("redis://h:6379/0?password=topsecret", _stream(), client=client) as q:
        assert repr(q) == f"<RedisStreamQueue {q.stream!r} at redis://h:6379/0?password=*** (at-least-once, unbounded)>"


FORMS = (
    "write it as redis://[[user]:password@]host[:port][/db], rediss://... (TLS) or unix:///path/to/socket?db=0, "
    "with special characters of a password percent-encoded (urllib.parse.quote(password, safe=''))"
)


def test_a_url_redis_py_cannot_read_is_refused_with_the_password_masked():
    # a "#" ends a URL: redis-py read "top" as the port and said so, quoting that piece of the password
    with pytest.raises(ValueError, match=re.escape("the Redis URL redis://:***@cache:6379/0 holds a '#', which ends")):
        RedisStreamQueue("redis://:top#secret@cache:6379/0", "x")
    with pytest.raises(ValueError, match=re.escape(f"{FORMS} (# is %23)")):
        RedisStreamQueue("redis://cache:6379/0?password=top#secret", "x")
    with pytest.raises(ValueError, match=re.escape(f"cannot read the Redis URL redis://:***@cache:99999/0; {FORMS}")):
        RedisStreamQueue("redis://:topsecret@cache:99999/0", "x")
    # without a password there is nothing to hide: redis-py's reason helps
    with pytest.raises(
        ValueError, match=re.escape("cannot read the Redis URL cache:6379 (Redis URL must specify one of the following")
    ):
        RedisStreamQueue("cache:6379", "x")
    with pytest.raises(
        TypeError, match=re.escape("url must be a str such as 'redis://localhost:6379/0', got 6379 (int)")
    ):
        RedisStreamQueue(6379, "x")


def test_a_password_with_a_hash_cannot_move_the_host_reachable_probes(redis_server):
    # urlsplit took "top" for the port and no host at all: reachable() then probed localhost:6379 instead
    assert reachable(f"redis://:top#secret@127.0.0.1:{redis_server.port}/0")
    assert reachable("redis://[::1]:1/0") is False


# -- item 6: time limits -----------------------------------------------------------------------------------------

TOO_LONG = (
    "timeout must be at most 31,536,000 seconds (one year), got 1e+20; use None or math.inf to wait with no limit"
)


def test_timeout_inf_waits_with_no_limit_and_1e20_is_refused(queue):
    q = queue.make(maxsize=1, poll=0.02)
    sender = _in_thread(lambda: (time.sleep(0.1), q.send("later")))
    assert q.receive(consumer="c1", timeout=math.inf).message == "later"
    sender.join(JOIN_TIMEOUT)
    q.send("fills it")
    consumer = _in_thread(lambda: (time.sleep(0.1), q.receive(consumer="c2", timeout=5).ack()))
    q.send("waits for room", timeout=math.inf)
    consumer.join(JOIN_TIMEOUT)
    assert q.ready() == 1
    with pytest.raises(ValueError, match=re.escape(TOO_LONG)):
        q.receive(consumer="c1", timeout=1e20)
    with pytest.raises(ValueError, match=re.escape(TOO_LONG)):
        q.send("x", timeout=1e20)


def test_timeout_inf_on_the_asyncio_queue(redis_url):
    async def main():
        async with AsyncRedisStreamQueue(redis_url, _stream(), maxsize=1, poll=0.02) as q:

            async def send_later():
                await asyncio.sleep(0.1)
                await q.send("later", timeout=math.inf)

            sending = asyncio.create_task(send_later())
            got = await q.receive(consumer="c1", timeout=math.inf)
            await sending
            with pytest.raises(ValueError, match=re.escape(TOO_LONG)):
                await q.receive(consumer="c1", timeout=1e20)
            with pytest.raises(ValueError, match=re.escape(TOO_LONG)):
                await q.send("x", timeout=1e20)
            return got.message

    assert ac.RealClock().run(main()) == "later"


def test_a_wait_with_no_limit_still_takes_back_an_expired_delivery(queue):
    q = queue.make(visibility_timeout=0.2, poll=0.05)
    q.send("forgotten")
    q.receive(consumer="crashed", timeout=1)  # never acked
    back = q.receive(consumer="rescuer", timeout=math.inf)
    assert (back.message, back.delivery_count) == ("forgotten", 2)


# -- item 7: the stream deleted, the server restarted, a key of another type -------------------------------------


def test_a_stream_deleted_by_another_client_is_made_again(queue, raw):
    q = queue.make(max_deliveries=3)
    q.send("before")
    held = q.receive(consumer="c1", timeout=1)
    raw.delete(q.stream, f"{q.stream}:dead")  # the stream, its group and its dead letters: all gone
    assert (q.ready(), q.in_flight(), q.dead_letters()) == (0, 0, [])
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait(consumer="c1")  # was: ResponseError NOGROUP, on every receive
    with pytest.raises(
        ac.StaleDelivery,
        match=re.escape(
            f"too late to ack message {held.id} (delivery 1 to consumer 'c1'): the stream or its consumer group was "
            f"deleted after it was delivered (by another client, or a restart of the server without persistence), "
            f"so the server no longer knows it; the stream and its group are made again, so later sends and receives "
            f"work. If the work of this message is not done, send it again"
        ),
    ):
        held.ack()
    raw.delete(q.stream)
    q.send("after")  # sends first this time: the stream comes back with its group
    d = q.receive(consumer="c1", timeout=1)
    d.ack()
    assert d.message == "after"
    assert q.statistics() == QueueStatistics(
        name=q.stream, ready=0, maxsize=0, closed=False, senders_waiting=0, receivers_waiting=0, dropped=0, dead=0
    )


def test_a_bounded_send_to_a_deleted_stream_makes_it_again(queue, raw):
    q = queue.make(maxsize=2, policy="raise")
    q.send("a")
    raw.delete(q.stream)
    q.send("b")
    assert [q.receive_nowait(consumer="c").message, q.ready()] == ["b", 0]


def test_a_waiting_receive_survives_its_stream_being_deleted(queue, raw):
    q = queue.make(poll=0.5)
    got = []
    receiver = _in_thread(lambda: got.append(q.receive(consumer="c1", timeout=JOIN_TIMEOUT).message))
    assert _eventually(lambda: q.statistics().receivers_waiting == 1)
    time.sleep(0.1)  # inside its XREADGROUP BLOCK now, most likely: the server ends that with UNBLOCKED
    raw.delete(q.stream)
    q.send("after the delete")
    receiver.join(JOIN_TIMEOUT)
    assert got == ["after the delete"]


def test_a_group_destroyed_on_an_empty_stream_is_made_again(queue, raw):
    raw.xgroup_destroy(queue.stream, queue.group)  # no entries: nothing was delivered, nothing to deliver twice
    with pytest.raises(ac.QueueEmpty):
        queue.receive_nowait(consumer="c")
    queue.send("y")
    assert queue.receive_nowait(consumer="c").message == "y"


def test_a_group_destroyed_while_the_stream_holds_entries_is_a_clear_error(queue, raw):
    queue.send("a")
    queue.receive_nowait(consumer="c").ack()  # acked, but still an entry of the stream
    queue.send("b")
    raw.xgroup_destroy(queue.stream, queue.group)
    s, g = queue.stream, queue.group
    message = re.escape(
        f"stream {s!r} has lost its consumer group {g!r} but still holds 2 entries: another client deleted the group "
        f"(XGROUP DESTROY), or wrote to the stream after it was deleted. Which entries were delivered already is "
        f"unknown, so the queue does not guess. In redis-cli: XGROUP CREATE {s} {g} 0 to deliver them all (again), "
        f"XGROUP CREATE {s} {g} $ to skip them, or DEL {s} to start afresh"
    )
    for verb in (
        lambda: queue.receive_nowait(consumer="c"),
        queue.ready,
        queue.statistics,
        lambda: queue.consumer_died("c"),
    ):
        with pytest.raises(BrokerStateError, match=message):
            verb()
    raw.xgroup_create(s, g, id="$")  # what the message says to do, to skip them
    queue.send("c")
    assert queue.receive_nowait(consumer="c").message == "c"


def test_a_key_of_another_type_is_named_with_what_to_do(queue, raw, redis_url):
    name = _stream()
    raw.set(name, "someone's value")
    with pytest.raises(
        BrokerStateError,
        match=re.escape(
            f"the key {name!r} on the Redis server holds a string, not a stream, so queue {name!r} cannot use it: "
            f"another program uses that name. Give the queue another stream name, or delete the key (DEL {name} in "
            f"redis-cli) if its value is not needed"
        ),
    ):
        RedisStreamQueue(redis_url, name)
    raw.delete(queue.stream)
    raw.rpush(queue.stream, "a list now")
    for verb in (lambda: queue.send("x"), lambda: queue.receive(consumer="c", timeout=0), queue.ready):
        with pytest.raises(
            BrokerStateError, match=re.escape(f"the key {queue.stream!r} on the Redis server holds a list")
        ):
            verb()
    raw.delete(queue.stream)
    raw.set(f"{queue.stream}:dead", "x")
    with pytest.raises(
        BrokerStateError, match=re.escape(f"the key '{queue.stream}:dead' on the Redis server holds a string")
    ):
        queue.dead_letters()


def test_the_asyncio_queue_makes_a_deleted_stream_again(redis_url, raw):
    async def main():
        async with AsyncRedisStreamQueue(redis_url, _stream()) as q:
            await q.send("before")
            held = await q.receive(consumer="c1", timeout=1)
            raw.delete(q.stream)
            with pytest.raises(ac.QueueEmpty):
                await q.receive_nowait(consumer="c1")
            with pytest.raises(ac.StaleDelivery, match=re.escape("the stream or its consumer group was deleted")):
                await held.ack()
            await q.send("after")
            d = await q.receive(consumer="c1", timeout=1)
            await d.ack()
            return d.message, await q.ready()

    assert ac.RealClock().run(main()) == ("after", 0)


@pytest.fixture
def restartable():
    """A private redis-server of this test's own, to restart (no persistence: it comes back empty)."""
    require_program("redis-server", "install it with: apt-get install -y redis-server")
    with LocalRedis() as server:
        yield server


def test_a_queue_recovers_after_the_server_restarts_without_persistence(restartable):
    with RedisStreamQueue(restartable.url, "jobs", visibility_timeout=5) as q:
        q.send("lost with the server")
        held = q.receive(consumer="c1", timeout=1)
        restartable.restart()
        with pytest.raises(ac.StaleDelivery, match=re.escape("the stream or its consumer group was deleted")):
            held.ack()
        q.send("after the restart")
        d = q.receive(consumer="c1", timeout=1)
        d.ack()
        assert d.message == "after the restart"
        assert (q.ready(), q.in_flight(), q.dead_letters()) == (0, 0, [])


def test_the_asyncio_queue_recovers_after_the_server_restarts(restartable):
    async def main():
        async with AsyncRedisStreamQueue(restartable.url, "jobs") as q:
            await q.send("lost with the server")
            restartable.restart()
            with pytest.raises(ac.QueueEmpty):
                await q.receive_nowait(consumer="c1")
            await q.send("after the restart")
            return (await q.receive(consumer="c1", timeout=1)).message

    assert ac.RealClock().run(main()) == "after the restart"


# -- item 8: policy "raise" under concurrent senders -------------------------------------------------------------


def test_concurrent_senders_with_policy_raise_never_overshoot_maxsize(queue):
    q = queue.make(maxsize=5, policy="raise")
    sent, refused = [], []
    start = threading.Barrier(6)

    def sender():
        start.wait(JOIN_TIMEOUT)
        for i in range(4):
            try:
                sent.append(q.send(i))
            except ac.QueueFull:
                refused.append(i)

    senders = [_in_thread(sender) for _ in range(6)]
    for s in senders:
        s.join(JOIN_TIMEOUT)
    assert (len(sent), len(refused), q._client.xlen(q.stream), q.ready()) == (5, 19, 5, 5)


def test_concurrent_asyncio_senders_with_policy_raise_never_overshoot_maxsize(redis_url):
    async def main():
        async with AsyncRedisStreamQueue(redis_url, _stream(), maxsize=5, policy="raise") as q:
            results = await asyncio.gather(*(q.send(i) for i in range(24)), return_exceptions=True)
            return results, await q.ready(), await q._client.xlen(q.stream)

    results, ready, length = ac.RealClock().run(main())
    sent = [r for r in results if isinstance(r, str)]
    assert all(isinstance(r, (str, ac.QueueFull)) for r in results)
    assert (len(sent), ready, length) == (5, 5, 5)


# -- item 11: dead letters others wrote, serializers, trimmed payloads, the reserved consumer name --------------


def test_dead_letters_another_program_wrote_are_shown_not_refused(queue, raw):
    queue.send("poison")
    queue.receive_nowait(consumer="c").nack(requeue=False)
    dead = f"{queue.stream}:dead"
    foreign = raw.xadd(dead, {"note": "hello", b"\xff": b"\xfe"}).decode()
    half = raw.xadd(dead, {"id": "7-0", "reason": "mine", "deliveries": "many", "data": '{"m": 7}'}).decode()
    letters = queue.dead_letters()  # was: KeyError: 'id'
    assert letters[1:] == [
        (foreign, {"note": "hello", "\\xff": "\\xfe"}, f"unknown: another program wrote this entry into {dead!r}", 0),
        ("7-0", 7, "mine", 0),
    ]
    assert (letters[0].message, letters[0].reason) == ("poison", "rejected")
    assert half != "7-0"


def test_serializer_json_by_name_and_anything_else_explained(redis_url, queue):
    q = queue.make(serializer="json")
    q.send({"a": 1})
    assert q.receive_nowait(consumer="c").message == {"a": 1}
    what = 'serializer must be "json" or an object with dumps(message, key) -> str and loads(text) -> (message, key), '
    with pytest.raises(TypeError, match=re.escape(f"{what}as JSONSerializer() has; got 'pickle' (str)")):
        RedisStreamQueue(redis_url, "x", serializer="pickle")
    with pytest.raises(TypeError, match=re.escape("(type); pass an instance: JSONSerializer()")):
        RedisStreamQueue(redis_url, "x", serializer=JSONSerializer)


def test_a_dead_letter_whose_entry_was_trimmed_says_payload_trimmed(queue):
    q = queue.make(maxsize=2, policy="drop-oldest", visibility_timeout=0.1)
    first = q.send("a")
    held = q.receive(consumer="c1", timeout=1)
    q.send("b")
    q.send("c")  # MAXLEN 2 trims "a" while it is pending...
    held.nack(requeue=False)  # ...so its dead letter has no payload
    second = q.receive(consumer="c1", timeout=1)  # "b", never acked
    q.send("d")  # trims "b"
    time.sleep(0.15)
    assert q.receive(consumer="c2", timeout=1).message == "c"  # on the way, XAUTOCLAIM reports "b" deleted
    assert q.dead_letters() == [
        (first, "payload trimmed", "rejected", 1),  # was: message ''
        (second.id, "payload trimmed", "trimmed while pending: maxsize dropped it", 0),
    ]
    assert PAYLOAD_TRIMMED == "payload trimmed"


def test_the_consumer_name_the_queue_keeps_for_itself_is_refused(queue):
    reserved = re.escape(
        "consumer name '__returned__' is reserved: the Redis queue parks the deliveries handed back by nack() and "
        "consumer_died() under it; pick another name"
    )
    queue.send("x")
    with pytest.raises(ValueError, match=reserved):
        queue.receive(consumer="__returned__", timeout=0)
    with pytest.raises(ValueError, match=reserved):
        queue.consumer_died("__returned__")
    assert queue.ready() == 1
