"""The Redis Streams queue as a protocol: generators that yield the Redis calls to make, and do no I/O.

:mod:`asyncomm.reliable.redis_streams` runs these generators with a blocking driver (``redis.Redis``) and
an asyncio driver (``redis.asyncio.Redis``); everything the two queues do is written here once. A step is a
:class:`_Call` (a redis-py method and its arguments; the driver sends back the reply, or throws the reply
error in) or a :class:`_Pause` (real seconds to wait before the next step). The Lua scripts run where an
answer must not change between two round trips: counting, a bounded send, settling a delivery.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import time
from collections.abc import Callable, Generator
from typing import Any, NamedTuple

from asyncomm import trace as tr
from asyncomm._checks import check_maxsize, check_name, check_seconds, check_timeout, plural
from asyncomm.errors import BrokerStateError, BrokerUnavailable, QueueEmpty, QueueFull
from asyncomm.reliable.contract import (
    AUTO_ACKED,
    PENDING,
    DeadLetter,
    Delivery,
    check_consumer,
    check_delivery_options,
)
from asyncomm.statistics import QueueStatistics
from asyncomm.trace import Trace

#: Consumer name that holds deliveries handed back by nack() or consumer_died(): they look idle
#: past the visibility timeout, so the next receive takes them (XAUTOCLAIM) before new entries.
RETURNED = "__returned__"

#: The message of a dead letter whose entry MAXLEN trimmed while it was pending: the payload is gone.
PAYLOAD_TRIMMED = "payload trimmed"

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


def check_consumer_name(consumer: Any) -> str:
    """A consumer name, as on every backend, except the one the Redis queue keeps for itself.

    >>> check_consumer_name("__returned__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: consumer name '__returned__' is reserved: the Redis queue parks the deliveries handed back ...
    """
    consumer = check_consumer(consumer)
    if consumer == RETURNED:
        # A real consumer under this name would count its deliveries as handed back (ready), and its
        # receives would take them as its own: the counts and the settle checks would both be wrong.
        raise ValueError(
            f"consumer name {RETURNED!r} is reserved: the Redis queue parks the deliveries handed back by "
            f"nack() and consumer_died() under it; pick another name"
        )
    return consumer


def check_serializer(serializer: Any) -> Any:
    """``None`` or ``"json"``: a :class:`JSONSerializer`; else an object with ``dumps`` and ``loads``.

    >>> check_serializer("json")  # doctest: +ELLIPSIS
    <asyncomm.reliable.redis_protocol.JSONSerializer object at ...>
    >>> check_serializer("pickle")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: serializer must be "json" or an object with dumps(message, key) -> str and loads(text) -> ...
    """
    if serializer is None or (isinstance(serializer, str) and serializer == "json"):
        return JSONSerializer()
    usable = callable(getattr(serializer, "dumps", None)) and callable(getattr(serializer, "loads", None))
    if not usable or isinstance(serializer, type):
        hint = "; pass an instance: JSONSerializer()" if isinstance(serializer, type) and usable else ""
        raise TypeError(
            f'serializer must be "json" or an object with dumps(message, key) -> str and loads(text) -> '
            f"(message, key), as JSONSerializer() has; got {serializer!r} ({type(serializer).__name__}){hint}"
        )
    return serializer


def _text(data: Any) -> Any:
    """``data`` as read, refused if it is not UTF-8: the client keeps such bytes as surrogates (so that
    reading the entry never fails), and they must not reach a serializer or a learner as a message."""
    if isinstance(data, str) and not data.isascii():
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("not UTF-8 text (another program wrote raw bytes into the stream)") from None
    return data


def _printable(text: Any) -> Any:
    r"""Text that prints: bytes that were not UTF-8 (surrogates, as the client keeps them) as ``\xff`` escapes.

    >>> _printable("caf\udcc3\udca9 \udcff")
    'café \\xff'
    """
    if not isinstance(text, str) or text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte: show it as an escape too
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
  -- A stream that is gone (a restart without persistence, a DEL) holds nothing; the next verb makes it again.
  if redis.call('EXISTS', stream) == 0 then return {0, 0, redis.call('XLEN', dead)} end
  -- First, so that a stream without our group fails with NOGROUP, the error the queue repairs or explains.
  local pending = redis.call('XPENDING', stream, group)[1]
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
  local back = 0
  if pending > 0 then back = #redis.call('XPENDING', stream, group, 'IDLE', idle_ms, '-', '+', pending) end
  return {new + back, pending - back, redis.call('XLEN', dead)}
end
"""

# KEYS: stream, dead-letter stream; ARGV: group, visibility timeout (ms). Returns {ready, in flight, dead}.
_COUNT = _COUNTS + "return counts(KEYS[1], KEYS[2], ARGV[1], ARGV[2])"

# Checks for room and adds in one step, so no other sender can slip in between. ARGV 3, 4: maxsize, data.
# No stream: NOGROUP, so that the queue makes stream and group again first (an XADD would make a stream
# without the group, which no receive could then tell from a stream whose group another client deleted).
_ADD_IF_ROOM = (
    _COUNTS
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('NOGROUP the stream is gone') end
if counts(KEYS[1], KEYS[2], ARGV[1], ARGV[2])[1] >= tonumber(ARGV[3]) then return false end
return redis.call('XADD', KEYS[1], '*', 'data', ARGV[4])
"""
)

# Settles one delivery atomically: still pending, still this consumer's and this delivery's?
_SETTLE = """
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then
  -- 'lost' if this group never delivered the entry (its last-delivered id is older): the group was made
  -- again since (the stream deleted, the server restarted), so nothing is known of the delivery
  local function parts(id)
    local ms, seq = string.match(id, '^(%d+)-(%d+)$')
    return tonumber(ms), tonumber(seq)
  end
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local name, last = nil, nil
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    if name == ARGV[1] and last then
      local lm, ls = parts(last)
      local im, is = parts(ARGV[2])
      if lm < im or (lm == im and ls < is) then return 'lost' end
    end
  end
  return 'gone'
end
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
local reason = 'rejected'
if ARGV[5] == 'requeue' then reason = 'max deliveries' end
local letter = {'XADD', KEYS[2], '*', 'id', ARGV[2], 'reason', reason, 'deliveries', ARGV[4]}
local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #e > 0 then  -- else MAXLEN trimmed the entry while it was pending: a letter without data says so
  local data = ''
  for i = 1, #e[1][2], 2 do if e[1][2][i] == 'data' then data = e[1][2][i + 1] end end
  letter[#letter + 1] = 'data'
  letter[#letter + 1] = data
end
redis.call(unpack(letter))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 'dead'
"""


# KEYS: stream; ARGV: group. After NOGROUP: makes the stream and its group again where nothing can be lost
# or delivered twice (no stream at all, or an empty one), else says what it found. One script, so that
# two queues repairing at once cannot both decide.
_REPAIR = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
  return 'made'
end
if kind ~= 'stream' then return 'wrongtype' end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  for i = 1, #g, 2 do if g[i] == 'name' and g[i + 1] == ARGV[1] then return 'exists' end end
end
local length = redis.call('XLEN', KEYS[1])
if length == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0')
  return 'made'
end
return length
"""

# Redis replies that mean the stream or its group is gone: a restart without persistence, a DEL of the
# stream, XGROUP DESTROY (the second one ends an XREADGROUP that was waiting when the stream was deleted).
_GONE = ("NOGROUP", "UNBLOCKED the stream key no longer exists")

#: How often one verb repairs the stream before it gives up (someone keeps deleting it).
_REPAIRS = 3


class _StreamGone(Exception):
    """A send found no stream to add to (``XADD ... NOMKSTREAM``): the same repair as a NOGROUP reply."""


def _repairs(verb: Callable[..., Steps]) -> Callable[..., Steps]:
    """Run ``verb`` again after making a vanished stream again; a key of another type, or a stream whose
    group vanished while it holds entries, ends in a clear :class:`BrokerStateError` instead of a raw reply."""

    @functools.wraps(verb)
    def run(self: _StreamProtocol, *args: Any) -> Steps:
        for attempt in itertools.count(1):
            try:
                return (yield from verb(self, *args))
            except Exception as err:
                trouble = self._trouble(err)
                if trouble is None or attempt > _REPAIRS:
                    raise
            yield from self._repair(trouble)

    return run


#: A queue object starts a new look through the pending list at most once per this share of the visibility
#: timeout: an expired delivery comes back at most visibility_timeout x LOOK_EVERY late (see _claim_one).
LOOK_EVERY = 0.25

# One step of a look through the pending list: the next entry after the cursor ARGV[3] idle for ARGV[2] ms or
# more (XPENDING's IDLE filter scans in C, with no reply per live entry), claimed for consumer ARGV[4] by
# XAUTOCLAIM from its id (which also counts the delivery, or reports the entry deleted if MAXLEN trimmed it).
# First, pending ids before the stream's first entry were trimmed by MAXLEN (it trims from the head) while
# pending: XAUTOCLAIM from such an id reports it deleted (and, COUNT 1, claims nothing), however recent.
# ARGV[5] "trimmed only" stops there. Returns {next cursor ('0-0': the look is over), {claimed entry} or {},
# {deleted ids}}.
_CLAIM_NEXT = """
local function before(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
local cursor, deleted = ARGV[3], {}
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
while true do
  local low = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1)
  if #low == 0 or (#first > 0 and not before(low[1][1], first[1][1])) then break end
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[4], 0, low[1][1], 'COUNT', 1)
  if #r[3] == 0 then break end
  for _, id in ipairs(r[3]) do deleted[#deleted + 1] = id end
end
if ARGV[5] == 'trimmed only' then return {cursor, {}, deleted} end
while true do
  local idle = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[2], cursor, '+', 1)
  if #idle == 0 then return {'0-0', {}, deleted} end
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[4], ARGV[2], idle[1][1], 'COUNT', 1)
  for _, id in ipairs(r[3]) do deleted[#deleted + 1] = id end
  if #r[2] > 0 then return {r[1], r[2], deleted} end
  if r[1] == '0-0' then return {'0-0', {}, deleted} end
  cursor = r[1]
end
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
        self.serializer = check_serializer(serializer)
        self.trace = trace
        #: The driver's class of Redis error replies (``redis.ResponseError``): which errors the repair reads.
        self.reply_error: type[BaseException] = Exception
        self.senders_waiting = 0
        self.receivers_waiting = 0
        self._started = time.monotonic()

    @_repairs
    def setup(self) -> Steps:
        info = yield _call("info", "server")
        check_server_version(str(info.get("redis_version", "0")))
        try:
            yield _call("xgroup_create", self.stream, self.group, id="0", mkstream=True)
        except Exception as err:  # the group exists already: another process made it
            if "BUSYGROUP" not in str(err):
                raise

    # -- sending ------------------------------------------------------------------------------------------------
    @_repairs
    def send(self, message: Any, key: Any, timeout: Any) -> Steps:
        timeout = check_timeout(timeout)
        data = self.serializer.dumps(message, key)
        if self.maxsize and self.policy != "drop-oldest":
            entry_id = yield from self._add_when_room(data, timeout)
        else:
            trim = {"maxlen": self.maxsize, "approximate": False} if self.maxsize else {}
            # NOMKSTREAM: an XADD must not make a stream without its group (see _ADD_IF_ROOM)
            entry_id = yield _call("xadd", self.stream, {"data": data}, nomkstream=True, **trim)
            if entry_id is None:
                raise _StreamGone
        self._record(tr.SEND, (entry_id, message))
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
        self._record(tr.SEND, None, tr.QUEUE_FULL)
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
    @_repairs
    def receive(self, consumer: Any, timeout: Any) -> Steps:
        """Take one delivery for ``consumer``, waiting up to ``timeout`` s (None: forever) in slices."""
        consumer, timeout = check_consumer_name(consumer), check_timeout(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        waits = 0 if timeout == 0 else 1  # receive_nowait never waits
        self.receivers_waiting += waits
        try:
            while True:
                got = yield from self._take_one(consumer, self._block_ms(deadline))
                if got is not None:
                    self._record(tr.RECEIVE, (got.id, got.message))
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
        self._record(tr.RECEIVE, None, tr.QUEUE_EMPTY)
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
                    yield from self._dead_letter(entry_id, fields, tr.MAX_DELIVERIES, count - 1)
                    continue
            else:
                wait = {"block": block_ms} if block_ms > 0 else {}  # BLOCK 0 would wait forever
                reply = yield _call("xreadgroup", self.group, consumer, {self.stream: ">"}, count=1, **wait)
                if not reply or not reply[0][1]:
                    return None
                entry_id, fields = reply[0][1][0]
                count = 1
            data = (fields or {}).get("data")
            try:
                message, key = self.serializer.loads(_text(data))
            except Exception as err:  # a malformed entry is parked with its reason, never crashes the consumer
                yield from self._dead_letter(entry_id, {"data": data or ""}, f"malformed: {err}", count)
                continue
            state = PENDING
            if self.delivery == "at-most-once":
                yield _call("xack", self.stream, self.group, entry_id)
                state = AUTO_ACKED
            return _Got(entry_id, message, key, consumer, count, state)

    # Where this queue object's look through the pending list stands ("0-0": no look under way) and when it
    # may start the next one. Class defaults, so the claim path keeps its state next to its code.
    _cursor: str = "0-0"
    _next_look: float = -math.inf

    def _claim_one(self, consumer: str) -> Steps:
        """Claim one delivery idle for longer than the visibility timeout, without scanning on every receive.

        The pending list is ordered by entry id, not by idle time, so finding an expired delivery means a look
        through it: one server-side script (:data:`_CLAIM_NEXT`) finds the next idle entry after this object's
        cursor with XPENDING's IDLE filter (a scan in C, about 0.1 µs a pending entry, where XAUTOCLAIM would
        take ten calls' worth of round trips per hundred entries) and claims it. A receive does one step of the
        look under way (each step either claims a delivery or ends the look); a new look from "0-0" starts at
        most every :data:`LOOK_EVERY` of the visibility timeout, or at once after this object handed a
        delivery back (nack, consumer_died). Between looks a receive costs one XREADGROUP, however many
        deliveries are in flight.

        The bound: a delivery whose visibility timeout ran out at time T is taken back by the first receive
        that starts at T + visibility_timeout x LOOK_EVERY or later, on any queue object of the group that
        receives (each keeps its own cursor, and each look covers the whole list), unless that receive takes
        another delivery that came back before it. Entries XAUTOCLAIM reports as deleted were trimmed
        (MAXLEN, policy drop-oldest) while still pending: pending ids before the stream's first entry, which a
        drop-oldest stream checks for on every receive (two O(log n) lookups). Redis drops them from the
        pending list, so they become dead letters rather than vanish silently.
        """
        started, mode = False, "look"
        while True:
            if self._cursor == "0-0":
                now = time.monotonic()
                if started or now < self._next_look:
                    # Looked recently (or just now), and handed nothing back since. A drop-oldest stream still
                    # checks for pending entries trimmed since, so they become dead letters at once.
                    if started or not self.maxsize or self.policy != "drop-oldest":
                        return []
                    mode = "trimmed only"
                else:
                    self._next_look, started = now + self.visibility_timeout * LOOK_EVERY, True
            reply = yield _call(
                "eval", _CLAIM_NEXT, 1, self.stream, self.group, self.idle_ms, self._cursor, consumer, mode
            )
            cursor, claimed, deleted = reply
            self._cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
            for entry_id in deleted:
                yield from self._dead_letter(entry_id, {}, "trimmed while pending: maxsize dropped it", 0)
            if claimed:
                entry_id, flat = claimed[0]
                return [(entry_id, dict(zip(flat[::2], flat[1::2], strict=True)))]
            if mode != "look":
                return []
            # The look ended with nothing idle after the cursor. If it began in an earlier receive, a LOOK_EVERY
            # ago or more, entries before the cursor may have expired since: start the next look now.

    def _look_again(self) -> None:
        """A delivery was handed back through this object: the next receive looks from the start at once."""
        self._cursor, self._next_look = "0-0", -math.inf

    def _dead_letter(self, entry_id: str, fields: dict[str, str], reason: str, deliveries: int) -> Steps:
        """Park an entry in the dead-letter stream with its reason; no ``data`` field in ``fields`` means
        its payload is gone (trimmed while pending), and the letter then has none either."""
        letter = {"id": entry_id, "reason": reason, "deliveries": str(deliveries)}
        if "data" in fields:
            letter["data"] = fields["data"]
        yield _call("xadd", self.dead, letter)
        yield _call("xack", self.stream, self.group, entry_id)
        self._record(tr.DEAD_LETTER, (entry_id, _printable(fields.get("data", PAYLOAD_TRIMMED))), reason)

    # -- settling -----------------------------------------------------------------------------------------------
    def settle(self, delivery: Delivery[Any], verb: str, requeue: bool) -> Steps:
        """Ack or nack one delivery in one script; returns its outcome ("moved", "gone", "lost": too late)."""
        action = "ack" if verb == tr.ACK else "requeue" if requeue else "reject"
        trouble = None
        try:
            outcome = yield self._settle_call(delivery, action)
        except Exception as err:
            trouble = self._trouble(err)
            if trouble is None:
                raise
        if trouble is not None:
            # The stream or its group vanished since this delivery: no retry, since a group made afresh knows
            # no delivery; "lost" says so (the repair raises instead where it cannot make the group again).
            yield from self._repair(trouble)
            outcome = "lost"
        if outcome == "requeued":
            self._look_again()
        self._record(verb, (delivery.id, delivery.message), outcome)
        return outcome

    def _settle_call(self, delivery: Delivery[Any], action: str) -> _Call:
        return _call(
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

    @_repairs
    def consumer_died(self, consumer: Any) -> Steps:
        consumer = check_consumer_name(consumer)
        pending = yield _call("xpending_range", self.stream, self.group, "-", "+", 10_000, consumername=consumer)
        ids = [p["message_id"] for p in pending]
        if ids:
            yield _call("xclaim", self.stream, self.group, RETURNED, 0, ids, idle=self.idle_ms + 1, justid=True)
            self._look_again()
        return len(ids)

    # -- looking ------------------------------------------------------------------------------------------------
    @_repairs
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

    @_repairs
    def dead_letters(self) -> Steps:
        entries = yield _call("xrange", self.dead, "-", "+")
        return [self._letter(letter_id, fields) for letter_id, fields in entries]

    def _letter(self, letter_id: str, fields: dict[str, str]) -> DeadLetter:
        """One entry of the dead-letter stream as a :class:`DeadLetter`; an entry another program wrote
        there (no id, reason or count) is shown with what it has, never refused."""
        ours = "id" in fields and "reason" in fields
        if "data" in fields:
            try:
                message, _ = self.serializer.loads(_text(fields["data"]))
            except Exception:  # a malformed entry: keep its raw text
                message = _printable(fields["data"])
        elif ours:
            message = PAYLOAD_TRIMMED
        else:
            message = {_printable(name): _printable(value) for name, value in fields.items()}
        deliveries = fields.get("deliveries", "")
        return DeadLetter(
            fields.get("id", letter_id),
            message,
            fields["reason"] if ours else f"unknown: another program wrote this entry into {self.dead!r}",
            int(deliveries) if deliveries.isdigit() else 0,
        )

    # -- when the stream is not what it was -----------------------------------------------------------------
    def _trouble(self, err: BaseException) -> str | None:
        """``"gone"`` for an error that means the stream or its group vanished, ``"wrongtype"`` for a key of
        another type, None for any other error (raised as it is)."""
        if isinstance(err, _StreamGone):
            return "gone"
        if isinstance(err, self.reply_error):
            text = str(err)
            if text.startswith("WRONGTYPE"):
                return "wrongtype"
            if text.startswith(_GONE):
                return "gone"
        return None

    def _repair(self, trouble: str) -> Steps:
        """Make the stream and group again where that is safe (see ``_REPAIR``), else raise what to do."""
        found = "wrongtype" if trouble == "wrongtype" else (yield _call("eval", _REPAIR, 1, self.stream, self.group))
        if found in ("made", "exists"):  # made by this call, or by another queue meanwhile
            self._look_again()  # a cursor into the old group's pending list means nothing in the new one
            return
        if found == "wrongtype":
            raise (yield from self._wrong_type())
        raise BrokerStateError(
            f"stream {self.stream!r} has lost its consumer group {self.group!r} but still holds {found} "
            f"{'entry' if found == 1 else 'entries'}: another client deleted the group (XGROUP DESTROY), or "
            f"wrote to the stream after it was deleted. Which entries were delivered already is unknown, so the "
            f"queue does not guess. In redis-cli: XGROUP CREATE {self.stream} {self.group} 0 to deliver them all "
            f"(again), XGROUP CREATE {self.stream} {self.group} $ to skip them, or DEL {self.stream} to start "
            f"afresh"
        )

    def _wrong_type(self) -> Steps:
        """The error for a key of the queue's that holds something else than a stream."""
        key, kind = self.stream, "value of another type"
        for name in (self.stream, self.dead):
            found = yield _call("type", name)
            if found not in ("stream", "none"):
                key, kind = name, found
                break
        return BrokerStateError(
            f"the key {key!r} on the Redis server holds a {kind}, not a stream, so queue {self.stream!r} cannot "
            f"use it: another program uses that name. Give the queue another stream name, or delete the key "
            f"(DEL {key} in redis-cli) if its value is not needed"
        )

    def _script(self, script: str, *args: Any) -> _Call:
        """A call of one of the counting scripts, on this stream and group."""
        return _call("eval", script, 2, self.stream, self.dead, self.group, self.idle_ms, *args)

    def _record(self, operation: str, item: Any, outcome: str = tr.OK) -> None:
        if self.trace is not None:
            self.trace.record(time.monotonic() - self._started, tr.QUEUE, operation, self.stream, item, -1, outcome)


# -- deliveries -------------------------------------------------------------------------------------------------
