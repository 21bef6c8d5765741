"""A real broker: the reliable-queue contract on Redis Streams (``pip install 'asyncomm[redis]'``).

Same verbs as :class:`~asyncomm.reliable.memory.ReliableQueue` -- ``send``,
``receive(consumer)`` returning a delivery with ``ack()`` / ``nack(requeue=)``,
``delivery_count`` and ``redelivered``, ``consumer_died``, ``in_flight``,
``dead_letters`` -- on a stream with a consumer group:

* ``send`` is XADD (with ``MAXLEN`` when the queue is bounded: the oldest entries
  are trimmed, or, with ``policy="raise"``, a send to a full stream is refused);
* ``receive`` first takes back deliveries idle longer than ``visibility_timeout``
  (XAUTOCLAIM, which also counts the delivery), else reads a new entry
  (XREADGROUP); a message past ``max_deliveries`` goes to the dead-letter stream
  ``<stream>:dead`` with its reason, and so does an entry that cannot be decoded
  (it never crashes the consumer);
* ``ack`` is XACK, after checking in one server-side script that the delivery is
  still this consumer's (else :class:`~asyncomm.reliable.memory.StaleDelivery`).

What changes compared with the in-memory queue: every verb is a network round
trip; messages survive the process (and, with persistence on, the server);
several processes and machines can share one queue; time is the server's real
time (no virtual clock); ``len(q)`` asks the server. Messages are JSON by default
(pass ``serializer=``); pickle is never the default, because unpickling what
comes from a shared broker runs arbitrary code.

The protocol is written once, as generators that yield Redis calls; a small
driver runs them on ``redis.Redis`` and another on ``redis.asyncio.Redis``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, NamedTuple

from asyncomm._checks import check_name, check_seconds, check_timeout
from asyncomm.errors import BrokerUnavailable, QueueClosed, QueueEmpty, QueueFull, UsageError
from asyncomm.reliable.local_redis import LocalRedis, reachable, safe_url
from asyncomm.reliable.memory import DeadLetter, StaleDelivery, check_delivery_options
from asyncomm.trace import Trace

__all__ = [
    "AsyncRedisStreamQueue",
    "BrokerUnavailable",
    "JSONSerializer",
    "LocalRedis",
    "RedisStreamQueue",
    "reachable",
    "run_consumer",
    "safe_url",
]

#: Consumer name that holds deliveries handed back by nack() or consumer_died(): they look idle
#: past the visibility timeout, so the next receive takes them (XAUTOCLAIM) before new entries.
RETURNED = "__returned__"


#: XAUTOCLAIM came with Redis 6.2, its report of deleted entries with 7.0: older servers fail on every receive.
MIN_REDIS_VERSION = (7, 0)


def check_server_version(version: str) -> None:
    """Refuse a Redis server older than :data:`MIN_REDIS_VERSION`, saying what to do.

    >>> check_server_version("7.0.15")
    >>> check_server_version("6.0.16")
    Traceback (most recent call last):
    ...
    asyncomm.errors.BrokerUnavailable: this Redis server is version 6.0.16; RedisStreamQueue needs 7.0 or later ...
    """
    numbers = tuple(int(part) if part.isdigit() else 0 for part in version.split(".")[:2])
    if numbers < MIN_REDIS_VERSION:
        need = ".".join(map(str, MIN_REDIS_VERSION))
        raise BrokerUnavailable(
            f"this Redis server is version {version}; RedisStreamQueue needs {need} or later "
            f"(XAUTOCLAIM and its report of deleted entries). Install a newer one: conda install "
            f"-c conda-forge redis-server, docker run -p 6379:6379 redis:7, or apt on Debian 12 / "
            f"Ubuntu 24.04"
        )


class JSONSerializer:
    """Messages as JSON text: readable in ``redis-cli`` and safe to decode.

    >>> s = JSONSerializer()
    >>> s.dumps({"order": 7}, "acct-1")
    '{"m": {"order": 7}, "k": "acct-1"}'
    >>> s.loads('{"m": {"order": 7}, "k": "acct-1"}')
    ({'order': 7}, 'acct-1')"""

    def dumps(self, message: Any, key: Any) -> str:
        try:
            return json.dumps({"m": message, "k": key})
        except TypeError as err:
            raise TypeError(
                f"this message cannot be sent as JSON ({err}); send plain data (dict, list, str, "
                f"numbers), or pass serializer= to the queue"
            ) from None

    def loads(self, data: str | None) -> tuple[Any, Any]:
        if data is None:
            raise ValueError("no 'data' field")
        decoded = json.loads(data)
        if not isinstance(decoded, dict) or "m" not in decoded:
            raise ValueError("not an asyncomm message (no 'm' field)")
        return decoded["m"], decoded.get("k")


class _Call(NamedTuple):
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def _call(method: str, *args: Any, **kwargs: Any) -> _Call:
    return _Call(method, args, kwargs)


Steps = Generator[_Call, Any, Any]

# Settles one delivery atomically: still pending, still this consumer's and this delivery's?
_SETTLE = """
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then return 'gone' end
if p[1][2] ~= ARGV[3] or tonumber(p[1][4]) ~= tonumber(ARGV[4]) then return 'moved' end
if ARGV[5] == 'ack' then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  return 'acked'
end
local maxd = tonumber(ARGV[6])
if ARGV[5] == 'requeue' and (maxd == 0 or tonumber(ARGV[4]) < maxd) then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[8], 0, ARGV[2], 'IDLE', ARGV[7], 'JUSTID')
  return 'requeued'
end
local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local data = ''
if #e > 0 then
  for i = 1, #e[1][2], 2 do if e[1][2][i] == 'data' then data = e[1][2][i + 1] end end
end
local reason = 'rejected'
if ARGV[5] == 'requeue' then reason = 'max deliveries' end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'reason', reason, 'deliveries', ARGV[4], 'data', data)
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 'dead'
"""


@dataclass
class _Got:
    id: str
    message: Any
    key: Any
    count: int
    state: str


class _StreamProtocol:
    """The queue's logic as generators of Redis calls (no I/O of its own)."""

    def __init__(
        self,
        stream: str,
        group: str,
        delivery: str,
        visibility_timeout: float,
        max_deliveries: int | None,
        maxsize: int,
        policy: str,
        serializer: Any,
    ) -> None:
        self.stream = check_name(stream)
        self.dead = f"{stream}:dead"
        self.group = check_name(group)
        self.delivery, self.visibility_timeout, self.max_deliveries = check_delivery_options(
            delivery, visibility_timeout, max_deliveries
        )
        self.idle_ms = max(1, int(self.visibility_timeout * 1000))
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 0:
            raise ValueError(f"maxsize must be an int >= 0 (0 means unbounded), got {maxsize!r}")
        if policy not in ("drop-oldest", "raise"):
            raise ValueError(
                f"on Redis the policy of a bounded stream is 'drop-oldest' (MAXLEN trims the oldest "
                f"entries) or 'raise' (QueueFull), got {policy!r}"
            )
        self.maxsize, self.policy = maxsize, policy
        self.serializer = serializer

    def setup(self) -> Steps:
        info = yield _call("info", "server")
        check_server_version(str(info.get("redis_version", "0")))
        try:
            yield _call("xgroup_create", self.stream, self.group, id="0", mkstream=True)
        except Exception as err:  # the group exists already: another process made it
            if "BUSYGROUP" not in str(err):
                raise

    def send(self, message: Any, key: Any) -> Steps:
        data = self.serializer.dumps(message, key)
        if self.maxsize and self.policy == "raise":
            ready = yield from self.ready()
            if ready >= self.maxsize:
                raise QueueFull(
                    f"stream {self.stream!r} is full ({self.maxsize} messages waiting) and its policy "
                    f"is 'raise'; let consumers catch up, or raise maxsize"
                )
        extra = {"maxlen": self.maxsize, "approximate": False} if self.maxsize and self.policy == "drop-oldest" else {}
        entry_id = yield _call("xadd", self.stream, {"data": data}, **extra)
        return entry_id

    def try_receive(self, consumer: str, block_ms: int) -> Steps:
        """One attempt: a delivery that came back, else a new one, else None."""
        while True:
            claimed = yield from self._claim_one(consumer)
            if claimed:
                entry_id, fields = claimed[0]
                info = yield _call("xpending_range", self.stream, self.group, entry_id, entry_id, 1)
                count = int(info[0]["times_delivered"]) if info else 1
                if self.max_deliveries is not None and count > self.max_deliveries:
                    yield from self._dead_letter(entry_id, fields, "max deliveries", count - 1)
                    continue
            else:
                extra = {"block": block_ms} if block_ms > 0 else {}
                reply = yield _call("xreadgroup", self.group, consumer, {self.stream: ">"}, count=1, **extra)
                if not reply or not reply[0][1]:
                    return None
                entry_id, fields = reply[0][1][0]
                count = 1
            try:
                message, key = self.serializer.loads((fields or {}).get("data"))
            except Exception as err:  # a malformed entry is parked with its reason, never crashes the consumer
                yield from self._dead_letter(entry_id, fields or {}, f"malformed: {err}", count)
                continue
            state = "pending"
            if self.delivery == "at-most-once":
                yield _call("xack", self.stream, self.group, entry_id)
                state = "auto-acked"
            return _Got(entry_id, message, key, count, state)

    def _claim_one(self, consumer: str) -> Steps:
        """Claim one delivery idle for longer than the visibility timeout, scanning the whole pending list.

        XAUTOCLAIM looks at no more than ten pending entries per call (COUNT x 10), so one call from "0-0"
        would miss an expired delivery behind ten live ones: follow its cursor until it wraps to "0-0".
        Entries it reports as deleted were trimmed (MAXLEN, policy drop-oldest) while still pending; Redis
        drops them from the pending list, so record them as dead letters rather than lose them silently.
        """
        cursor = "0-0"
        while True:
            reply = yield _call("xautoclaim", self.stream, self.group, consumer, self.idle_ms, cursor, count=1)
            cursor, claimed = reply[0], reply[1]
            for entry_id in reply[2] if len(reply) > 2 else []:
                yield from self._dead_letter(entry_id, {}, "trimmed while pending: maxsize dropped it", 0)
            if claimed or cursor in ("0-0", b"0-0"):
                return claimed

    def _dead_letter(self, entry_id: str, fields: dict[str, str], reason: str, deliveries: int) -> Steps:
        yield _call(
            "xadd",
            self.dead,
            {"id": entry_id, "reason": reason, "deliveries": str(deliveries), "data": fields.get("data", "")},
        )
        yield _call("xack", self.stream, self.group, entry_id)

    def settle(self, entry_id: str, consumer: str, count: int, verb: str) -> Steps:
        outcome = yield _call(
            "eval",
            _SETTLE,
            2,
            self.stream,
            self.dead,
            self.group,
            entry_id,
            consumer,
            count,
            verb,
            self.max_deliveries or 0,
            self.idle_ms + 1,
            RETURNED,
        )
        return outcome

    def consumer_died(self, consumer: str) -> Steps:
        pending = yield _call("xpending_range", self.stream, self.group, "-", "+", 10_000, consumername=consumer)
        ids = [p["message_id"] for p in pending]
        if ids:
            yield _call("xclaim", self.stream, self.group, RETURNED, 0, ids, idle=self.idle_ms + 1, justid=True)
        return len(ids)

    def ready(self) -> Steps:
        groups = yield _call("xinfo_groups", self.stream)
        group = next((g for g in groups if g["name"] == self.group), None)
        lag = None if group is None else group.get("lag")
        if lag is None and group is not None:
            # Redis reports no lag once entries were deleted or trimmed (MAXLEN): count the entries after
            # the group's last-delivered id instead (an exclusive range; slower, but always right).
            newer = yield _call("xrange", self.stream, f"({group['last-delivered-id']}", "+")
            lag = len(newer)
        returned = yield _call("xpending_range", self.stream, self.group, "-", "+", 10_000, consumername=RETURNED)
        return int(lag or 0) + len(returned)

    def in_flight(self) -> Steps:
        summary = yield _call("xpending", self.stream, self.group)
        returned = sum(c["pending"] for c in summary.get("consumers") or [] if c["name"] == RETURNED)
        return int(summary["pending"]) - returned

    def dead_letters(self) -> Steps:
        entries = yield _call("xrange", self.dead, "-", "+")
        letters = []
        for _, fields in entries:
            try:
                message, _ = self.serializer.loads(fields.get("data", ""))
            except Exception:  # a malformed entry: keep its raw text
                message = fields.get("data", "")
            letters.append(DeadLetter(fields["id"], message, fields["reason"], int(fields["deliveries"])))
        return letters


class _Delivery:
    """Shared by the sync and async deliveries: what was delivered to whom."""

    __slots__ = ("_queue", "_state", "consumer", "delivery_count", "id", "key", "message")

    def __init__(self, queue: Any, got: _Got, consumer: str) -> None:
        self._queue = queue
        self.id, self.message, self.key = got.id, got.message, got.key
        self.delivery_count, self._state, self.consumer = got.count, got.state, consumer

    @property
    def redelivered(self) -> bool:
        return self.delivery_count > 1

    @property
    def state(self) -> str:
        return self._state

    def _check_open(self, verb: str) -> None:
        which = f"message {self.id} (delivery {self.delivery_count} to consumer {self.consumer!r})"
        if self._state in ("acked", "nacked"):
            raise StaleDelivery(f"{which} was already {self._state}; ack or nack each delivery exactly once")
        if self._state == "auto-acked":
            raise StaleDelivery(
                f"message {self.id} was acknowledged automatically when consumer "
                f"{self.consumer!r} received it (delivery='at-most-once'); there is nothing "
                f"to {verb}: use delivery='at-least-once' to acknowledge by hand"
            )

    def _finish(self, verb: str, outcome: str) -> None:
        which = f"message {self.id} (delivery {self.delivery_count} to consumer {self.consumer!r})"
        if outcome == "moved":
            self._state = "expired"
            raise StaleDelivery(
                f"too late to {verb} {which}: it was not acked within the visibility timeout of "
                f"{self._queue.visibility_timeout:g} s (or its consumer was declared dead), so the "
                f"queue took it back and delivered it again; the work may be done twice: ack sooner, "
                f"raise visibility_timeout, or make the consumer idempotent"
            )
        if outcome == "gone":
            self._state = "expired"
            raise StaleDelivery(
                f"too late to {verb} {which}: it is no longer pending (acked by another delivery, "
                f"dead-lettered or trimmed from the stream)"
            )
        self._state = "acked" if verb == "ack" else "nacked"

    def __repr__(self) -> str:
        return (
            f"<Delivery of message {self.id} {self.message!r}: delivery {self.delivery_count} "
            f"to {self.consumer!r}, {self._state}>"
        )


class RedisDelivery(_Delivery):
    """A delivery from :class:`RedisStreamQueue`; ``ack()`` / ``nack()`` talk to Redis."""

    __slots__ = ()

    def ack(self) -> None:
        self._check_open("ack")
        self._finish(
            "ack", self._queue._run(self._queue._proto.settle(self.id, self.consumer, self.delivery_count, "ack"))
        )

    def nack(self, requeue: bool = True) -> None:
        self._check_open("nack")
        verb = "requeue" if requeue else "reject"
        self._finish(
            "nack", self._queue._run(self._queue._proto.settle(self.id, self.consumer, self.delivery_count, verb))
        )


class AsyncRedisDelivery(_Delivery):
    """A delivery from :class:`AsyncRedisStreamQueue`: ``await d.ack()``."""

    __slots__ = ()

    async def ack(self) -> None:
        self._check_open("ack")
        self._finish(
            "ack", await self._queue._run(self._queue._proto.settle(self.id, self.consumer, self.delivery_count, "ack"))
        )

    async def nack(self, requeue: bool = True) -> None:
        self._check_open("nack")
        verb = "requeue" if requeue else "reject"
        self._finish(
            "nack", await self._queue._run(self._queue._proto.settle(self.id, self.consumer, self.delivery_count, verb))
        )


class _QueueBase:
    """What the blocking and the asyncio queue share: options, the protocol, errors and trace rows."""

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        stream: str = "asyncomm",
        *,
        group: str = "workers",
        delivery: str = "at-least-once",
        visibility_timeout: float = 30.0,
        max_deliveries: int | None = 5,
        maxsize: int = 0,
        policy: str = "drop-oldest",
        serializer: Any = None,
        trace: Trace | None = None,
        poll: float = 0.1,
        client: Any = None,
    ) -> None:
        self.url = url
        self._proto = _StreamProtocol(
            stream, group, delivery, visibility_timeout, max_deliveries, maxsize, policy, serializer or JSONSerializer()
        )
        self.name = stream
        self.trace = trace
        self.poll = check_seconds(poll, "poll")
        self._closed = False
        self._started = time.monotonic()
        redis = _import_redis()
        self._errors = (redis.ConnectionError, redis.TimeoutError)
        self._client = client or self._client_class().from_url(url, decode_responses=True, socket_connect_timeout=2)
        self._connected()

    @staticmethod
    def _client_class() -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _connected(self) -> None:
        """Set the stream up, where that can happen in the constructor (the asyncio queue does it in connect())."""

    stream = property(lambda self: self._proto.stream)
    delivery = property(lambda self: self._proto.delivery)
    visibility_timeout = property(lambda self: self._proto.visibility_timeout)
    max_deliveries = property(lambda self: self._proto.max_deliveries)

    def _unavailable(self, err: Exception) -> BrokerUnavailable:
        return BrokerUnavailable(
            f"cannot reach Redis at {safe_url(self.url)} ({type(err).__name__}: {err}); "
            f"start a server (for example `redis-server`), or check the URL"
        )

    def _record(self, operation: str, item: Any, outcome: str = "ok") -> None:
        if self.trace is not None:
            self.trace.record(time.monotonic() - self._started, "queue", operation, self.name, item, -1, outcome)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise QueueClosed(f"queue {self.name!r} is closed; make a new queue object to talk to the stream again")

    def _empty(self, timeout: float | None) -> QueueEmpty:
        self._record("receive", None, "QueueEmpty")
        if timeout == 0:
            return QueueEmpty(
                f"stream {self.name!r} has no message for this group; send one first, or "
                f"receive with a timeout to wait for one"
            )
        return QueueEmpty(f"no message arrived on stream {self.name!r} within {timeout:g} s")

    def _block_ms(self, deadline: float | None) -> int:
        # Wait in slices: idle deliveries become claimable by time passing, which wakes no XREADGROUP.
        slice_s = min(self.poll, self.visibility_timeout / 2)
        if deadline is not None:
            slice_s = min(slice_s, deadline - time.monotonic())
        return max(int(slice_s * 1000), 0)


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the installation
        raise UsageError("the Redis backend needs redis-py: pip install 'asyncomm[redis]'") from None
    return redis


class RedisStreamQueue(_QueueBase):
    """The reliable-queue contract on a Redis stream (blocking client).

    ``maxsize`` bounds the stream (0: unbounded) with ``policy="drop-oldest"``
    (MAXLEN) or ``"raise"``; ``poll`` is how often a waiting receive looks for
    deliveries that came back (real seconds).

    >>> import asyncomm as ac
    >>> from asyncomm.reliable.redis_streams import LocalRedis, RedisStreamQueue
    >>> with LocalRedis() as server:                      # doctest: +SKIP
    ...     q = RedisStreamQueue(server.url, "orders")
    ...     _ = q.send({"order": 1})
    ...     d = q.receive(consumer="c1"); d.ack()
    ...     print(d.message, d.delivery_count)
    {'order': 1} 1
    """

    @staticmethod
    def _client_class() -> Any:
        return _import_redis().Redis

    def _connected(self) -> None:
        self._run(self._proto.setup())

    def _run(self, steps: Steps) -> Any:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                call = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as done:
                return done.value
            error = None
            try:
                reply = getattr(self._client, call.method)(*call.args, **call.kwargs)
            except self._errors as err:
                steps.close()
                raise self._unavailable(err) from None
            except Exception as err:  # a Redis reply error: the protocol may handle it
                error = err

    def send(self, message: Any, *, key: Any = None) -> str:
        """Add ``message`` to the stream; return its entry id (``"<ms>-<seq>"``)."""
        self._refuse_if_closed()
        entry_id = self._run(self._proto.send(message, key))
        self._record("send", (entry_id, message))
        return entry_id

    def receive(self, consumer: str = "consumer", timeout: float | None = None) -> RedisDelivery:
        """The next delivery for ``consumer``: one that came back first, else a new one."""
        self._refuse_if_closed()
        if timeout is not None:
            timeout = check_timeout(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            got = self._run(self._proto.try_receive(consumer, self._block_ms(deadline)))
            if got is not None:
                self._record("receive", (got.id, got.message))
                return RedisDelivery(self, got, consumer)
            if deadline is not None and time.monotonic() >= deadline:
                raise self._empty(timeout)

    def receive_nowait(self, consumer: str = "consumer") -> RedisDelivery:
        return self.receive(consumer, timeout=0)

    def consumer_died(self, consumer: str) -> int:
        """Hand ``consumer``'s unacked deliveries back at once; return how many."""
        return self._run(self._proto.consumer_died(consumer))

    def __len__(self) -> int:
        """Messages waiting for the group: never delivered, or handed back."""
        return self._run(self._proto.ready())

    def in_flight(self) -> int:
        return self._run(self._proto.in_flight())

    @property
    def dead_letters(self) -> list[DeadLetter]:
        return self._run(self._proto.dead_letters())

    def close(self) -> None:
        """Close this client's connection (the stream and its messages stay on the server)."""
        if not self._closed:
            self._closed = True
            self._client.close()

    def __repr__(self) -> str:
        return f"<RedisStreamQueue {self.name!r} at {safe_url(self.url)} ({self.delivery})>"


class AsyncRedisStreamQueue(_QueueBase):
    """:class:`RedisStreamQueue` for asyncio, on ``redis.asyncio``: every verb is awaited.

    Create it with ``await AsyncRedisStreamQueue.connect(url, stream, ...)``.

    >>> import asyncomm as ac
    >>> async def main(url):                                  # doctest: +SKIP
    ...     q = await ac.AsyncRedisStreamQueue.connect(url, "orders")
    ...     await q.send({"order": 1})
    ...     d = await q.receive(consumer="c1"); await d.ack()
    ...     await q.close()
    ...     return d.message
    >>> with LocalRedis() as server:                          # doctest: +SKIP
    ...     ac.RealClock().run(main(server.url))
    {'order': 1}
    """

    @classmethod
    async def connect(
        cls, url: str = "redis://localhost:6379/0", stream: str = "asyncomm", **options: Any
    ) -> AsyncRedisStreamQueue:
        queue = cls(url, stream, **options)
        await queue._run(queue._proto.setup())
        return queue

    @staticmethod
    def _client_class() -> Any:
        _import_redis()  # a clear UsageError when redis-py is missing
        import redis.asyncio

        return redis.asyncio.Redis

    async def _run(self, steps: Steps) -> Any:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                call = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as done:
                return done.value
            error = None
            try:
                reply = await getattr(self._client, call.method)(*call.args, **call.kwargs)
            except self._errors as err:
                steps.close()
                raise self._unavailable(err) from None
            except Exception as err:
                error = err

    async def send(self, message: Any, *, key: Any = None) -> str:
        self._refuse_if_closed()
        entry_id = await self._run(self._proto.send(message, key))
        self._record("send", (entry_id, message))
        return entry_id

    async def receive(self, consumer: str = "consumer", timeout: float | None = None) -> AsyncRedisDelivery:
        self._refuse_if_closed()
        if timeout is not None:
            timeout = check_timeout(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            got = await self._run(self._proto.try_receive(consumer, self._block_ms(deadline)))
            if got is not None:
                self._record("receive", (got.id, got.message))
                return AsyncRedisDelivery(self, got, consumer)
            if deadline is not None and time.monotonic() >= deadline:
                raise self._empty(timeout)

    async def receive_nowait(self, consumer: str = "consumer") -> AsyncRedisDelivery:
        return await self.receive(consumer, timeout=0)

    async def consumer_died(self, consumer: str) -> int:
        return await self._run(self._proto.consumer_died(consumer))

    async def ready(self) -> int:
        """Messages waiting for the group (``len(q)`` of the blocking queue)."""
        return await self._run(self._proto.ready())

    async def in_flight(self) -> int:
        return await self._run(self._proto.in_flight())

    async def dead_letters(self) -> list[DeadLetter]:
        return await self._run(self._proto.dead_letters())

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.aclose()


def run_consumer(
    url: str,
    stream: str,
    consumer: str,
    *,
    processed_key: str,
    work_seconds: float = 0.0,
    idle_exit: float = 1.0,
    visibility_timeout: float = 1.0,
) -> int:
    """A consumer process for the crash lab: receive, do the work (sleep), record the message in the
    Redis list ``processed_key``, ack; stop after ``idle_exit`` s without a message. Returns how many
    it processed. Run it in several processes and kill one: the others take over its deliveries.

    >>> import multiprocessing                    # what tests/test_broker.py does with three of them
    >>> worker = multiprocessing.Process(target=run_consumer, args=("redis://127.0.0.1:6379/0", "jobs", "c1"),
    ...                                  kwargs={"processed_key": "jobs:done"})
    >>> worker.name.startswith("Process-")       # worker.start() would run it against that server
    True
    """
    queue = RedisStreamQueue(url, stream, visibility_timeout=visibility_timeout, max_deliveries=None)
    done = 0
    try:
        while True:
            try:
                delivery = queue.receive(consumer, timeout=idle_exit)
            except QueueEmpty:
                return done
            time.sleep(work_seconds)
            queue._client.rpush(processed_key, json.dumps(delivery.message))
            delivery.ack()
            done += 1
    finally:
        queue.close()
