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
  never crashes the consumer). Looking for expired deliveries means a look through the group's pending
  list, so a queue object looks at most every quarter of ``visibility_timeout`` (at once after it handed a
  delivery back with ``nack`` or ``consumer_died``), one server-side step per receive from where it
  stopped: a receive costs one round trip however many deliveries are in flight, and a delivery comes
  back at most ``visibility_timeout / 4`` after its timeout ran out (at the first receive after that).
* ``ack`` / ``nack`` run one server-side script that first checks the delivery is still this consumer's
  (else :class:`~asyncomm.StaleDelivery`).
* A stream that vanished (a restart without persistence, a ``DEL``) is made again, with its group, by the
  next verb; where that could lose messages or deliver them twice (the group alone was deleted, the key
  holds another type) the verb raises :class:`~asyncomm.errors.BrokerStateError`, saying what to do.

What changes compared with the in-memory queue: every verb and every count (``ready()``, ``in_flight()``,
``statistics()``) is a network round trip; messages survive the process (and, with persistence on, the
server); several processes and machines can share one queue; time is real time (no virtual clock). A
delivery whose visibility timeout has run out counts as ready at once, but is only taken back (or
dead-lettered, if that was its last delivery) by a ``receive`` that looks for it, up to a quarter of the
visibility timeout later: Redis has no timers. Messages are
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
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, Self

from asyncomm import trace as tr
from asyncomm.errors import BrokerUnavailable, QueueClosed, QueueEmpty, StaleDelivery, UsageError
from asyncomm.reliable.contract import (
    ACKED,
    EXPIRED,
    NACKED,
    DeadLetter,
    Delivery,
)
from asyncomm.reliable.local_redis import LocalRedis, has_password, reachable, safe_url
from asyncomm.reliable.redis_protocol import (
    JSONSerializer,
    Steps,
    _Call,
    _Got,
    _Pause,
    _StreamProtocol,
)
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
        if outcome in ("moved", "gone", "lost"):
            self._state = EXPIRED
            raise StaleDelivery(self._too_late(verb, outcome))
        self._state = ACKED if verb == tr.ACK else NACKED

    def _too_late(self, verb: str, outcome: str) -> str:
        if outcome == "moved":
            return (
                f"too late to {verb} {self._which()}: it was not acked within the visibility timeout of "
                f"{self._queue.visibility_timeout:g} s (or its consumer was declared dead), so the queue took it "
                f"back and delivered it again; the work may be done twice: ack sooner, raise visibility_timeout, "
                f"or make the consumer idempotent"
            )
        if outcome == "lost":
            return (
                f"too late to {verb} {self._which()}: the stream or its consumer group was deleted after it was "
                f"delivered (by another client, or a restart of the server without persistence), so the server no "
                f"longer knows it; the stream and its group are made again, so later sends and receives work. If the "
                f"work of this message is not done, send it again"
            )
        return (
            f"too late to {verb} {self._which()}: it is no longer pending (acked by another delivery, "
            f"dead-lettered or trimmed from the stream)"
        )


class RedisDelivery(_StreamDelivery):
    """A delivery from :class:`RedisStreamQueue`; ``ack()`` / ``nack()`` talk to Redis."""

    __slots__ = ()

    def ack(self) -> None:
        self._queue._run(self._settle(tr.ACK))

    def nack(self, requeue: bool = True) -> None:
        self._queue._run(self._settle(tr.NACK, requeue))


class AsyncRedisDelivery(_StreamDelivery):
    """A delivery from :class:`AsyncRedisStreamQueue`: ``await d.ack()``."""

    __slots__ = ()

    async def ack(self) -> None:
        await self._queue._run(self._settle(tr.ACK))

    async def nack(self, requeue: bool = True) -> None:
        await self._queue._run(self._settle(tr.NACK, requeue))


# -- the queues -------------------------------------------------------------------------------------------------


_URL_FORMS = (
    "write it as redis://[[user]:password@]host[:port][/db], rediss://... (TLS) or unix:///path/to/socket?db=0, "
    "with special characters of a password percent-encoded (urllib.parse.quote(password, safe=''))"
)


def _client_from_url(client_class: Any, url: Any, **options: Any) -> Any:
    """A client for ``url`` that reads every reply: bytes that are not UTF-8 (which another program may
    XADD) come as surrogates instead of failing every read, so the queue can dead-letter such an entry.
    A URL redis-py cannot read is refused with its password masked, never in redis-py's words, which may
    quote a piece of the password."""
    if not isinstance(url, str):
        raise TypeError(f"url must be a str such as 'redis://localhost:6379/0', got {url!r} ({type(url).__name__})")
    if "#" in url:  # redis-py would read the rest as a fragment, cutting a password (and the host) short
        raise ValueError(f"the Redis URL {safe_url(url)} holds a '#', which ends a URL; {_URL_FORMS} (# is %23)")
    try:
        return client_class.from_url(
            url, decode_responses=True, encoding_errors="surrogateescape", socket_connect_timeout=2, **options
        )
    except ValueError as err:
        reason = "" if has_password(url) else f" ({err})"
        raise ValueError(f"cannot read the Redis URL {safe_url(url)}{reason}; {_URL_FORMS}") from None


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the installation
        raise UsageError("the Redis backend needs redis-py: pip install 'asyncomm[redis]'") from None
    return redis


def _step_failed(steps: Steps, queue: _QueueBase, err: BaseException) -> BaseException:
    """What a driver raises when a step failed with something other than a Redis reply error: the generator
    stops where it was, and a lost connection (or a close from another thread) becomes our own error."""
    steps.close()
    if not isinstance(err, Exception):  # a cancelled task, Ctrl-C: as it is
        return err
    return queue._connection_lost(err) or err


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
            serializer,
            trace,
        )
        self._closed = False
        redis = _import_redis()
        self._reply_errors = self._proto.reply_error = redis.ResponseError
        self._connection_errors = (redis.ConnectionError, redis.TimeoutError)
        self._client = client or _client_from_url(self._client_class(), url, **self._client_options())
        self._connected()

    @staticmethod
    def _client_class() -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _client_options() -> dict[str, Any]:
        return {}

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
        # The loop the asyncio driver mirrors, written out (not shared through a helper object or a context
        # manager) because it runs once per Redis command: its cost is most of asyncomm's own time per verb.
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as done:
                return done.value
            reply, error = None, None
            try:
                reply = self._perform(step, time.sleep)
            except self._reply_errors as err:  # Redis said no: the protocol may expect it (BUSYGROUP)
                error = err
            except BaseException as err:
                raise_as = _step_failed(steps, self, err)
                if raise_as is err:
                    raise
                raise raise_as from None

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

    A sketch (it needs a Redis server, so it is shown, not run as a doctest)::

        async def main(url):
            async with AsyncRedisStreamQueue(url, "orders") as q:
                await q.send({"order": 1})
                d = await q.receive(consumer="c1")
                await d.ack()
                return d.message

        with LocalRedis() as server:
            print(ac.RealClock().run(main(server.url)))   # {'order': 1}
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

    @staticmethod
    def _client_options() -> dict[str, Any]:
        # redis.Redis notices a connection the server closed (a restart) before it sends a command and
        # reconnects; redis.asyncio only notices when it reads the reply. One retry on a new connection
        # evens that out, so both queues carry on after a restart in the same way.
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        return {"retry": Retry(NoBackoff(), 1)}

    async def _run(self, steps: Steps) -> Any:
        """The asyncio driver: the blocking one, awaiting each step."""
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as done:
                return done.value
            reply, error = None, None
            try:
                reply = await self._perform(step, asyncio.sleep)
            except self._reply_errors as err:
                error = err
            except BaseException as err:
                raise_as = _step_failed(steps, self, err)
                if raise_as is err:
                    raise
                raise raise_as from None

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
