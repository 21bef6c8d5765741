"""A real broker: the delivery contract (:mod:`asyncomm.reliable.contract`) on Redis Streams.

``pip install 'asyncomm[redis]'``. Same verbs and options as the in-memory
:class:`~asyncomm.reliable.ReliableQueue`, on a stream with a consumer group:

* ``send`` is XADD. A bounded queue (``maxsize`` > 0) follows its ``policy``: ``"block"`` (the default)
  waits for room, polling every ``poll`` seconds, ``"raise"`` refuses at once with
  :class:`~asyncomm.QueueFull` (both check and add in one server-side script, so concurrent senders never
  overshoot ``maxsize``), ``"drop-oldest"`` trims the oldest entries (``MAXLEN``). ``"drop-newest"`` is
  refused when the queue is made: a message dropped on arrival never enters the stream, so it has no
  stream id for ``send`` to return.
* ``receive`` first takes back a delivery idle longer than ``visibility_timeout`` (XAUTOCLAIM, which also
  counts the delivery), else reads a new entry (XREADGROUP); a message past ``max_deliveries`` goes to the
  dead-letter stream ``<stream>:dead`` with its reason, and so does an entry that cannot be decoded (it
  never crashes the consumer).
* ``ack`` / ``nack`` run one server-side script that first checks the delivery is still this consumer's
  (else :class:`~asyncomm.StaleDelivery`).

What changes compared with the in-memory queue: every verb and every count (``ready()``, ``in_flight()``,
``statistics()``) is a network round trip; messages survive the process (and, with persistence on, the
server); several processes and machines can share one queue; time is real time (no virtual clock). A
delivery whose visibility timeout has run out counts as ready at once, but is only taken back (or
dead-lettered, if that was its last delivery) by the next ``receive``: Redis has no timers. Messages are
JSON by default (pass ``serializer=``); pickle is never the default, because unpickling what comes from a
shared broker runs arbitrary code.

The protocol is written once, as generators that yield the Redis calls to make (and the pauses to take)
without doing any I/O themselves; a blocking driver runs them on ``redis.Redis``, an asyncio driver on
``redis.asyncio.Redis``. The drivers are the only difference between :class:`RedisStreamQueue` and
:class:`AsyncRedisStreamQueue`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Any, NamedTuple, Self

from asyncomm._checks import check_maxsize, check_name, check_seconds, check_timeout, plural
from asyncomm.errors import BrokerUnavailable, QueueClosed, QueueEmpty, QueueFull, StaleDelivery, UsageError
from asyncomm.reliable.contract import (
    ACKED,
    AUTO_ACKED,
    EXPIRED,
    NACKED,
    PENDING,
    DeadLetter,
    Delivery,
    check_consumer,
    check_delivery_options,
)
from asyncomm.reliable.local_redis import LocalRedis, reachable, safe_url
from asyncomm.statistics import QueueStatistics
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

#: What a bounded stream can do with a send that finds it full.
POLICIES = ("block", "raise", "drop-oldest")

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


def check_policy(policy: Any) -> str:
    """The policies a stream can honour; ``"drop-newest"`` is refused with the reason.

    >>> check_policy("block")
    'block'
    """
    if policy == "drop-newest":
        raise ValueError(
            "policy 'drop-newest' cannot be honoured by a Redis stream: a message dropped on arrival never "
            "enters the stream, so it has no stream id for send() to return. On Redis use 'block' (send waits "
            "for room), 'raise' (QueueFull at once) or 'drop-oldest' (MAXLEN trims the oldest entries)"
        )
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(map(repr, POLICIES))} on Redis, got {policy!r}")
    return str(policy)


class JSONSerializer:
    """Messages as JSON text: readable in ``redis-cli`` and safe to decode.

    >>> s = JSONSerializer()
    >>> s.dumps({"order": 7}, "acct-1")
    '{"m": {"order": 7}, "k": "acct-1"}'
    >>> s.loads('{"m": {"order": 7}, "k": "acct-1"}')
    ({'order': 7}, 'acct-1')
    >>> s.loads("[1]")
    Traceback (most recent call last):
    ...
    ValueError: not an asyncomm message (a JSON list, not an object with an 'm' field)
    """

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
        if not isinstance(decoded, dict):
            raise ValueError(
                f"not an asyncomm message (a JSON {type(decoded).__name__}, not an object with an 'm' field)"
            )
        if "m" not in decoded:
            raise ValueError("not an asyncomm message (no 'm' field)")
        return decoded["m"], decoded.get("k")


# -- the steps a protocol generator yields ----------------------------------------------------------------------


class _Call(NamedTuple):
    """A Redis command for the driver to send: ``client.<method>(*args, **kwargs)``."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def _call(method: str, *args: Any, **kwargs: Any) -> _Call:
    return _Call(method, args, kwargs)


class _Pause(NamedTuple):
    """Real seconds for the driver to wait (``time.sleep`` or ``asyncio.sleep``) before the next step."""

    seconds: float


Steps = Generator[_Call | _Pause, Any, Any]


# -- the server-side scripts ------------------------------------------------------------------------------------

# The counts behind ready(), in_flight(), statistics() and a bounded send, written once.
_COUNTS = """
local function field(flat, name)
  for i = 1, #flat, 2 do if flat[i] == name then return flat[i + 1] end end
end
local function counts(stream, dead, group, idle_ms)
  local info = nil
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    if field(g, 'name') == group then info = g end
  end
  -- Never delivered. The lag counts entries MAXLEN trimmed before delivery, which are gone: at most XLEN.
  local new = field(info, 'lag')
  if new then
    new = math.min(new, redis.call('XLEN', stream))
  else  -- no lag after an XDEL: count the entries after the last-delivered id (an exclusive range)
    new = #redis.call('XRANGE', stream, '(' .. field(info, 'last-delivered-id'), '+')
  end
  -- Delivered, not acked: idle past the visibility timeout (or handed back) means ready again.
  local pending = redis.call('XPENDING', stream, group)[1]
  local back = 0
  if pending > 0 then back = #redis.call('XPENDING', stream, group, 'IDLE', idle_ms, '-', '+', pending) end
  return {new + back, pending - back, redis.call('XLEN', dead)}
end
"""

# KEYS: stream, dead-letter stream; ARGV: group, visibility timeout (ms). Returns {ready, in flight, dead}.
_COUNT = _COUNTS + "return counts(KEYS[1], KEYS[2], ARGV[1], ARGV[2])"

# Checks for room and adds in one step, so no other sender can slip in between. ARGV 3, 4: maxsize, data.
_ADD_IF_ROOM = (
    _COUNTS
    + """
if counts(KEYS[1], KEYS[2], ARGV[1], ARGV[2])[1] >= tonumber(ARGV[3]) then return false end
return redis.call('XADD', KEYS[1], '*', 'data', ARGV[4])
"""
)

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


class _Got(NamedTuple):
    """What a receive took from the stream, before it becomes a delivery object."""

    id: str
    message: Any
    key: Any
    consumer: str
    delivery_count: int
    state: str


# -- the protocol -----------------------------------------------------------------------------------------------


class _StreamProtocol:
    """The queue's logic as generators of Redis calls and pauses: no I/O of its own, so both drivers share it."""

    def __init__(
        self,
        stream: Any,
        group: Any,
        delivery: Any,
        visibility_timeout: Any,
        max_deliveries: Any,
        maxsize: Any,
        policy: Any,
        poll: Any,
        serializer: Any,
        trace: Trace | None,
    ) -> None:
        self.stream = check_name(stream)
        self.dead = f"{stream}:dead"
        self.group = check_name(group)
        self.delivery, self.visibility_timeout, self.max_deliveries = check_delivery_options(
            delivery, visibility_timeout, max_deliveries
        )
        if math.isinf(self.visibility_timeout):
            raise ValueError(
                "on Redis visibility_timeout must be a finite number of seconds (XAUTOCLAIM takes a delivery "
                "back after a set idle time), got inf"
            )
        self.idle_ms = max(1, int(self.visibility_timeout * 1000))
        self.maxsize = check_maxsize(maxsize)
        self.policy = check_policy(policy)
        self.poll = check_seconds(poll, "poll")
        if self.poll == 0:
            raise ValueError("poll must be > 0 seconds: it is how long a waiting send or receive waits between looks")
        self.serializer = serializer
        self.trace = trace
        self.senders_waiting = 0
        self.receivers_waiting = 0
        self._started = time.monotonic()

    def setup(self) -> Steps:
        info = yield _call("info", "server")
        check_server_version(str(info.get("redis_version", "0")))
        try:
            yield _call("xgroup_create", self.stream, self.group, id="0", mkstream=True)
        except Exception as err:  # the group exists already: another process made it
            if "BUSYGROUP" not in str(err):
                raise

    # -- sending ------------------------------------------------------------------------------------------------
    def send(self, message: Any, key: Any, timeout: Any) -> Steps:
        timeout = check_timeout(timeout)
        data = self.serializer.dumps(message, key)
        if self.maxsize and self.policy != "drop-oldest":
            entry_id = yield from self._add_when_room(data, timeout)
        else:
            trim = {"maxlen": self.maxsize, "approximate": False} if self.maxsize else {}
            entry_id = yield _call("xadd", self.stream, {"data": data}, **trim)
        self._record("send", (entry_id, message))
        return entry_id

    def _add_when_room(self, data: str, timeout: float | None) -> Steps:
        """XADD once fewer than ``maxsize`` messages are ready; with policy "block", look again every ``poll`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            entry_id = yield self._script(_ADD_IF_ROOM, self.maxsize, data)
            if entry_id is not None:
                return entry_id
            left = None if deadline is None else deadline - time.monotonic()
            if self.policy == "raise" or (left is not None and left <= 0):
                raise self._full(timeout)
            self.senders_waiting += 1
            try:
                yield _Pause(self.poll if left is None else min(self.poll, left))
            finally:
                self.senders_waiting -= 1

    def _full(self, timeout: float | None) -> QueueFull:
        self._record("send", None, "QueueFull")
        waiting = f"{plural(self.maxsize, 'message')} waiting"
        if self.policy == "raise":
            return QueueFull(
                f"stream {self.stream!r} is full ({waiting}) and its policy is 'raise'; let consumers catch up, "
                f"or raise maxsize"
            )
        if timeout == 0:
            return QueueFull(
                f"stream {self.stream!r} is full ({waiting}); receive some first, or send with a timeout to wait "
                f"for room"
            )
        return QueueFull(
            f"stream {self.stream!r} stayed full ({waiting}) for {timeout:g} s; the message was not sent: consume "
            f"faster, or give the queue a larger maxsize"
        )

    # -- receiving ----------------------------------------------------------------------------------------------
    def receive(self, consumer: Any, timeout: Any) -> Steps:
        """Take one delivery for ``consumer``, waiting up to ``timeout`` s (None: forever) in slices."""
        consumer, timeout = check_consumer(consumer), check_timeout(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        waits = 0 if timeout == 0 else 1  # receive_nowait never waits
        self.receivers_waiting += waits
        try:
            while True:
                got = yield from self._take_one(consumer, self._block_ms(deadline))
                if got is not None:
                    self._record("receive", (got.id, got.message))
                    return got
                if deadline is not None and time.monotonic() >= deadline:
                    raise self._empty(timeout)
        finally:
            self.receivers_waiting -= waits

    def _block_ms(self, deadline: float | None) -> int:
        # Wait in slices: idle deliveries become claimable by time passing, which wakes no XREADGROUP.
        slice_s = min(self.poll, self.visibility_timeout / 2)
        if deadline is not None:
            slice_s = min(slice_s, deadline - time.monotonic())
        return max(int(slice_s * 1000), 0)

    def _empty(self, timeout: float | None) -> QueueEmpty:
        self._record("receive", None, "QueueEmpty")
        if timeout == 0:
            return QueueEmpty(
                f"stream {self.stream!r} has no message for this group; send one first, or "
                f"receive with a timeout to wait for one"
            )
        return QueueEmpty(f"no message arrived on stream {self.stream!r} within {timeout:g} s")

    def _take_one(self, consumer: str, block_ms: int) -> Steps:
        """One attempt: a delivery that came back, else a new one (waiting up to ``block_ms``), else None."""
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
                wait = {"block": block_ms} if block_ms > 0 else {}  # BLOCK 0 would wait forever
                reply = yield _call("xreadgroup", self.group, consumer, {self.stream: ">"}, count=1, **wait)
                if not reply or not reply[0][1]:
                    return None
                entry_id, fields = reply[0][1][0]
                count = 1
            try:
                message, key = self.serializer.loads((fields or {}).get("data"))
            except Exception as err:  # a malformed entry is parked with its reason, never crashes the consumer
                yield from self._dead_letter(entry_id, fields or {}, f"malformed: {err}", count)
                continue
            state = PENDING
            if self.delivery == "at-most-once":
                yield _call("xack", self.stream, self.group, entry_id)
                state = AUTO_ACKED
            return _Got(entry_id, message, key, consumer, count, state)

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
        self._record("dead-letter", (entry_id, fields.get("data", "")), reason)

    # -- settling -----------------------------------------------------------------------------------------------
    def settle(self, delivery: Delivery[Any], verb: str, requeue: bool) -> Steps:
        """Ack or nack one delivery in one script; returns its outcome ("moved" and "gone": too late)."""
        action = "ack" if verb == "ack" else "requeue" if requeue else "reject"
        outcome = yield _call(
            "eval",
            _SETTLE,
            2,
            self.stream,
            self.dead,
            self.group,
            delivery.id,
            delivery.consumer,
            delivery.delivery_count,
            action,
            self.max_deliveries or 0,
            self.idle_ms + 1,
            RETURNED,
        )
        self._record(verb, (delivery.id, delivery.message), outcome)
        return outcome

    def consumer_died(self, consumer: Any) -> Steps:
        consumer = check_consumer(consumer)
        pending = yield _call("xpending_range", self.stream, self.group, "-", "+", 10_000, consumername=consumer)
        ids = [p["message_id"] for p in pending]
        if ids:
            yield _call("xclaim", self.stream, self.group, RETURNED, 0, ids, idle=self.idle_ms + 1, justid=True)
        return len(ids)

    # -- looking ------------------------------------------------------------------------------------------------
    def counts(self) -> Steps:
        """``[ready, in flight, dead]`` in one round trip."""
        return (yield self._script(_COUNT))

    def statistics(self) -> Steps:
        ready, in_flight, dead = yield from self.counts()
        return QueueStatistics(
            name=self.stream,
            ready=ready,
            maxsize=self.maxsize,
            closed=False,  # a closed queue has no connection to ask: statistics() raises QueueClosed
            senders_waiting=self.senders_waiting,
            receivers_waiting=self.receivers_waiting,
            dropped=None if self.policy == "drop-oldest" else 0,  # MAXLEN trims without telling anyone
            in_flight=in_flight,
            dead=dead,
        )

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

    def _script(self, script: str, *args: Any) -> _Call:
        """A call of one of the counting scripts, on this stream and group."""
        return _call("eval", script, 2, self.stream, self.dead, self.group, self.idle_ms, *args)

    def _record(self, operation: str, item: Any, outcome: str = "ok") -> None:
        if self.trace is not None:
            self.trace.record(time.monotonic() - self._started, "queue", operation, self.stream, item, -1, outcome)


# -- deliveries -------------------------------------------------------------------------------------------------


class _StreamDelivery(Delivery[Any]):
    """A delivery from a stream: the contract's fields, plus the queue that settles it."""

    __slots__ = ("_queue",)

    def __init__(self, queue: Any, got: _Got) -> None:
        super().__init__(got.id, got.message, got.key, got.consumer, got.delivery_count, got.state)
        self._queue = queue

    def _settle(self, verb: str, requeue: bool = True) -> Steps:
        """The one settle path of both queues: refuse before any I/O, run the script, read its outcome."""
        self._check_settle(verb, requeue)
        outcome = yield from self._queue._proto.settle(self, verb, requeue)
        if outcome in ("moved", "gone"):
            self._state = EXPIRED
            raise StaleDelivery(self._too_late(verb, outcome))
        self._state = ACKED if verb == "ack" else NACKED

    def _too_late(self, verb: str, outcome: str) -> str:
        if outcome == "moved":
            return (
                f"too late to {verb} {self._which()}: it was not acked within the visibility timeout of "
                f"{self._queue.visibility_timeout:g} s (or its consumer was declared dead), so the queue took it "
                f"back and delivered it again; the work may be done twice: ack sooner, raise visibility_timeout, "
                f"or make the consumer idempotent"
            )
        return (
            f"too late to {verb} {self._which()}: it is no longer pending (acked by another delivery, "
            f"dead-lettered or trimmed from the stream)"
        )


class RedisDelivery(_StreamDelivery):
    """A delivery from :class:`RedisStreamQueue`; ``ack()`` / ``nack()`` talk to Redis."""

    __slots__ = ()

    def ack(self) -> None:
        self._queue._run(self._settle("ack"))

    def nack(self, requeue: bool = True) -> None:
        self._queue._run(self._settle("nack", requeue))


class AsyncRedisDelivery(_StreamDelivery):
    """A delivery from :class:`AsyncRedisStreamQueue`: ``await d.ack()``."""

    __slots__ = ()

    async def ack(self) -> None:
        await self._queue._run(self._settle("ack"))

    async def nack(self, requeue: bool = True) -> None:
        await self._queue._run(self._settle("nack", requeue))


# -- the queues -------------------------------------------------------------------------------------------------


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the installation
        raise UsageError("the Redis backend needs redis-py: pip install 'asyncomm[redis]'") from None
    return redis


class _Drive:
    """One run of a protocol generator, for either driver: ``step`` is what to do now; leaving
    ``with drive.replying():`` hands ``reply`` (or the Redis error the step raised) back to the generator,
    which answers with its next step, or finishes: then ``running`` is False and ``result`` holds its value."""

    def __init__(self, steps: Steps, queue: _QueueBase) -> None:
        self._steps = steps
        self._queue = queue
        self.step: _Call | _Pause
        self.running = True
        self.reply: Any = None
        self.result: Any = None
        self._resume(None, None)

    def _resume(self, reply: Any, error: BaseException | None) -> None:
        try:
            self.step = self._steps.throw(error) if error is not None else self._steps.send(reply)
        except StopIteration as done:
            self.running, self.result = False, done.value

    @contextlib.contextmanager
    def replying(self) -> Iterator[None]:
        try:
            yield
        except self._queue._reply_errors as err:  # Redis said no: the protocol may expect it (BUSYGROUP)
            self._resume(None, err)
        except Exception as err:
            self._steps.close()  # the generator stops where it was
            lost = self._queue._connection_lost(err)
            if lost is None:
                raise
            raise lost from None
        except BaseException:  # a cancelled task, Ctrl-C
            self._steps.close()
            raise
        else:
            self._resume(self.reply, None)


class _QueueBase:
    """What the blocking and the asyncio queue share: the protocol, the read-only options, the client."""

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
        policy: str = "block",
        serializer: Any = None,
        trace: Trace | None = None,
        poll: float = 0.1,
        client: Any = None,
    ) -> None:
        self._url = url
        self._proto = _StreamProtocol(
            stream,
            group,
            delivery,
            visibility_timeout,
            max_deliveries,
            maxsize,
            policy,
            poll,
            serializer or JSONSerializer(),
            trace,
        )
        self._closed = False
        redis = _import_redis()
        self._reply_errors = redis.ResponseError
        self._connection_errors = (redis.ConnectionError, redis.TimeoutError)
        self._client = client or self._client_class().from_url(url, decode_responses=True, socket_connect_timeout=2)
        self._connected()

    @staticmethod
    def _client_class() -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _connected(self) -> None:
        """Set the stream up, where the constructor can (the asyncio queue does it when entered)."""

    # -- options: read-only, and none of them asks the server -------------------------------------------------
    @property
    def name(self) -> str:
        """The stream's name (its key on the server)."""
        return self._proto.stream

    @property
    def stream(self) -> str:
        """The stream's key on the server (the same as :attr:`name`)."""
        return self._proto.stream

    @property
    def group(self) -> str:
        """The consumer group whose consumers share the messages."""
        return self._proto.group

    @property
    def url(self) -> str:
        return self._url

    @property
    def delivery(self) -> str:
        return self._proto.delivery

    @property
    def visibility_timeout(self) -> float:
        return self._proto.visibility_timeout

    @property
    def max_deliveries(self) -> int | None:
        return self._proto.max_deliveries

    @property
    def maxsize(self) -> int:
        return self._proto.maxsize

    @property
    def policy(self) -> str:
        return self._proto.policy

    @property
    def poll(self) -> float:
        """Real seconds between two looks of a waiting send (policy "block") or receive."""
        return self._proto.poll

    @property
    def trace(self) -> Trace | None:
        return self._proto.trace

    @property
    def closed(self) -> bool:
        return self._closed

    # -- what the drivers share ---------------------------------------------------------------------------------
    def _perform(self, step: _Call | _Pause, sleep: Callable[[float], Any]) -> Any:
        """Start one step: a pause with ``sleep``, else the Redis command. The asyncio driver awaits the result."""
        if isinstance(step, _Pause):
            return sleep(step.seconds)
        if self._closed:
            raise QueueClosed(f"queue {self.name!r} is closed; make a new queue object to talk to the stream again")
        return getattr(self._client, step.method)(*step.args, **step.kwargs)

    def _connection_lost(self, err: Exception) -> Exception | None:
        """What to raise for an error a step ran into, if not the error itself."""
        if self._closed and not isinstance(err, QueueClosed):
            # close() from another thread or task cut the connection under a waiting call; redis-py then
            # fails in various ways (a closed socket, a closed file), all of which mean this
            return QueueClosed(f"queue {self.name!r} was closed while a call was waiting on the stream")
        if isinstance(err, self._connection_errors):
            return BrokerUnavailable(
                f"cannot reach Redis at {safe_url(self._url)} ({type(err).__name__}: {err}); "
                f"start a server (for example `redis-server`), or check the URL"
            )
        return None

    def __repr__(self) -> str:
        bound = f"maxsize={self.maxsize}, policy={self.policy!r}" if self.maxsize else "unbounded"
        state = ", closed" if self._closed else ""
        return f"<{type(self).__name__} {self.name!r} at {safe_url(self._url)} ({self.delivery}, {bound}{state})>"


class RedisStreamQueue(_QueueBase):
    """The delivery contract on a Redis stream (blocking client): see the module's docstring.

    ``maxsize`` bounds the ready messages (0: unbounded) with ``policy`` ``"block"`` (default), ``"raise"``
    or ``"drop-oldest"``; a message that comes back (nack, visibility timeout, ``consumer_died``) is never
    refused, so ``ready()`` can briefly exceed ``maxsize``. ``poll`` is how often a waiting send or receive
    looks again (real seconds).
    ``with q:`` closes the connection on exit; ``for d in q`` receives (consumer ``"consumer"``) until the
    queue is closed.

    >>> from asyncomm.reliable.redis_streams import LocalRedis, RedisStreamQueue
    >>> with LocalRedis() as server, RedisStreamQueue(server.url, "orders") as q:   # doctest: +SKIP
    ...     _ = q.send({"order": 1})
    ...     d = q.receive(consumer="c1"); d.ack()
    ...     print(d.message, d.delivery_count, q.ready(), q.in_flight())
    {'order': 1} 1 0 0
    """

    @staticmethod
    def _client_class() -> Any:
        return _import_redis().Redis

    def _connected(self) -> None:
        self._run(self._proto.setup())

    def _run(self, steps: Steps) -> Any:
        """The blocking driver: perform each step the protocol yields, until it returns."""
        drive = _Drive(steps, self)
        while drive.running:
            with drive.replying():
                drive.reply = self._perform(drive.step, time.sleep)
        return drive.result

    def send(self, message: Any, *, key: Any = None, timeout: float | None = None) -> str:
        """Add ``message`` to the stream; return its entry id (``"<ms>-<seq>"``). A full bounded queue
        follows ``policy``; with ``"block"`` this waits up to ``timeout`` s (None: forever) for room."""
        return self._run(self._proto.send(message, key, timeout))

    def send_nowait(self, message: Any, *, key: Any = None) -> str:
        """Send without waiting: :class:`~asyncomm.QueueFull` at once if a bounded queue is full."""
        return self._run(self._proto.send(message, key, 0))

    def receive(self, *, consumer: str = "consumer", timeout: float | None = None) -> RedisDelivery:
        """The next delivery for ``consumer``: one that came back first, else a new one."""
        return RedisDelivery(self, self._run(self._proto.receive(consumer, timeout)))

    def receive_nowait(self, *, consumer: str = "consumer") -> RedisDelivery:
        return RedisDelivery(self, self._run(self._proto.receive(consumer, 0)))

    def consumer_died(self, consumer: str) -> int:
        """Hand ``consumer``'s unacked deliveries back at once; return how many."""
        return self._run(self._proto.consumer_died(consumer))

    def dead_letters(self) -> list[DeadLetter]:
        return self._run(self._proto.dead_letters())

    def ready(self) -> int:
        """Messages a receive would get: never delivered, handed back, or past their visibility timeout."""
        return self._run(self._proto.counts())[0]

    def in_flight(self) -> int:
        """Deliveries waiting for an ack, within their visibility timeout."""
        return self._run(self._proto.counts())[1]

    def statistics(self) -> QueueStatistics:
        return self._run(self._proto.statistics())

    def close(self) -> None:
        """Close this client's connection (the stream and its messages stay on the server)."""
        if not self._closed:
            self._closed = True
            self._client.close()

    def __iter__(self) -> Iterator[RedisDelivery]:
        with contextlib.suppress(QueueClosed):
            while True:
                yield self.receive()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class AsyncRedisStreamQueue(_QueueBase):
    """:class:`RedisStreamQueue` for asyncio, on ``redis.asyncio``: every verb and every count is awaited.

    ``async with AsyncRedisStreamQueue(url, stream) as q:`` sets the stream up and closes the connection
    on exit (or ``q = await AsyncRedisStreamQueue.connect(url, stream)`` and ``await q.close()``).

    >>> import asyncomm as ac
    >>> async def main(url):                                  # doctest: +SKIP
    ...     async with AsyncRedisStreamQueue(url, "orders") as q:
    ...         await q.send({"order": 1})
    ...         d = await q.receive(consumer="c1"); await d.ack()
    ...         return d.message
    >>> with LocalRedis() as server:                          # doctest: +SKIP
    ...     ac.RealClock().run(main(server.url))
    {'order': 1}
    """

    @classmethod
    async def connect(
        cls, url: str = "redis://localhost:6379/0", stream: str = "asyncomm", **options: Any
    ) -> AsyncRedisStreamQueue:
        """Make the queue and set the stream up (the constructor cannot await)."""
        return await cls(url, stream, **options).__aenter__()

    @staticmethod
    def _client_class() -> Any:
        _import_redis()  # a clear UsageError when redis-py is missing
        import redis.asyncio

        return redis.asyncio.Redis

    async def _run(self, steps: Steps) -> Any:
        """The asyncio driver: the blocking one, awaiting each step."""
        drive = _Drive(steps, self)
        while drive.running:
            with drive.replying():
                drive.reply = await self._perform(drive.step, asyncio.sleep)
        return drive.result

    async def send(self, message: Any, *, key: Any = None, timeout: float | None = None) -> str:
        return await self._run(self._proto.send(message, key, timeout))

    async def send_nowait(self, message: Any, *, key: Any = None) -> str:
        return await self._run(self._proto.send(message, key, 0))

    async def receive(self, *, consumer: str = "consumer", timeout: float | None = None) -> AsyncRedisDelivery:
        return AsyncRedisDelivery(self, await self._run(self._proto.receive(consumer, timeout)))

    async def receive_nowait(self, *, consumer: str = "consumer") -> AsyncRedisDelivery:
        return AsyncRedisDelivery(self, await self._run(self._proto.receive(consumer, 0)))

    async def consumer_died(self, consumer: str) -> int:
        return await self._run(self._proto.consumer_died(consumer))

    async def dead_letters(self) -> list[DeadLetter]:
        return await self._run(self._proto.dead_letters())

    async def ready(self) -> int:
        return (await self._run(self._proto.counts()))[0]

    async def in_flight(self) -> int:
        return (await self._run(self._proto.counts()))[1]

    async def statistics(self) -> QueueStatistics:
        return await self._run(self._proto.statistics())

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.aclose()

    async def __aiter__(self) -> AsyncIterator[AsyncRedisDelivery]:
        with contextlib.suppress(QueueClosed):
            while True:
                yield await self.receive()

    async def __aenter__(self) -> Self:
        await self._run(self._proto.setup())  # harmless if connect() did it already
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


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
    done = 0
    with RedisStreamQueue(url, stream, visibility_timeout=visibility_timeout, max_deliveries=None) as queue:
        while True:
            try:
                delivery = queue.receive(consumer=consumer, timeout=idle_exit)
            except QueueEmpty:
                return done
            time.sleep(work_seconds)
            queue._client.rpush(processed_key, json.dumps(delivery.message))
            delivery.ack()
            done += 1
