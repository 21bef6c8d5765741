"""Chapter 08's glue: find or start a Redis server, count round trips, time them, and run the fault lab on Redis.

* :func:`connect` uses the server named by ``REDIS_URL`` when one answers there,
  else starts a private ``redis-server`` (:class:`~asyncomm.reliable.redis_streams.LocalRedis`),
  else says in one line that there is no broker and returns ``None``; the
  chapter's cells then print "skipped: no broker" (:func:`available`).
* A :class:`BrokerSession` hands out queues on streams named ``<prefix>:<name>``,
  emptied the first time the session uses them, so a chapter run twice (or on a
  shared server) starts from the same state and prints the same results.
* :class:`RoundTripCounter` wraps a Redis client and lists the commands a queue
  sends: each one is a network round trip.
* :func:`throughput` times messages through the in-memory queue and through
  Redis, one by one and pipelined (real time: the figures vary).
* :func:`run_redis_lab` is the chapter-05 fault lab (:func:`asyncomm.labs.faults.run_lab`)
  on a real broker: several consumer processes (or threads), messages whose first
  delivery crashes its consumer, poison messages, malformed entries; its
  :class:`RedisTally` counts only what does not depend on timing.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import multiprocessing
import os
import shutil
import threading
import time
import weakref
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncomm._checks import check_int
from asyncomm.clock import VirtualClock
from asyncomm.errors import BrokerUnavailable, QueueEmpty, StaleDelivery
from asyncomm.labs.faults import LabRun, run_lab
from asyncomm.reliable import DELIVERY_MODES, ReliableQueue
from asyncomm.reliable.contract import DeadLetter
from asyncomm.reliable.redis_streams import JSONSerializer, LocalRedis, RedisStreamQueue, reachable, safe_url

__all__ = [
    "NO_BROKER",
    "BrokerSession",
    "RedisLabRun",
    "RedisTally",
    "RoundTripCounter",
    "available",
    "compare_with_memory",
    "connect",
    "run_redis_lab",
    "throughput",
]

#: What every chapter cell that needs a broker prints when there is none.
NO_BROKER = "skipped: no broker"

_NO_SERVER = (
    "No Redis server reachable at {where} and no redis-server installed. Start one (see 'How to start a "
    "server'), or name a running one: connect('redis://localhost:6379/0') or set REDIS_URL; then run "
    "this cell again. Until then the broker cells print 'skipped: no broker'."
)

_NO_CLIENT = (
    "redis-py is not installed: pip install 'asyncomm[redis]' (or '.[redis]' in the course checkout), "
    "restart the kernel and run this cell again. Until then the broker cells print 'skipped: no broker'."
)

_NEEDS_PASSWORD = (
    "The Redis server at {where} wants a password: put it in the URL (redis://:PASSWORD@host:port/0) "
    "or in REDIS_URL, then run this cell again. Until then the broker cells print 'skipped: no broker'."
)


_PRIVATE = "a private redis-server started for this chapter (LocalRedis); session.close() stops it."


def _redis_client(url: str) -> Any:
    import redis

    # surrogateescape, as the queue's own client: an entry another program wrote in bytes that are not UTF-8
    # must reach the queue's malformed-entry path (a dead letter), not fail every read of the stream.
    return redis.Redis.from_url(url, decode_responses=True, encoding_errors="surrogateescape", socket_connect_timeout=2)


class BrokerSession:
    """A connection to one Redis server for the chapter: its ``url``, where it came
    from (``source``: ``"REDIS_URL"``, ``"url"`` or ``"LocalRedis"``), and the
    server process when the session started one. ``close()`` closes the queues
    it handed out and stops that server; it is safe to call twice.

    Streams are named ``<prefix>:<name>``; the first time the session uses a name
    it deletes what a previous run left there (that stream and its dead letters),
    so results do not depend on earlier runs.

    >>> session = connect(quiet=True)
    >>> session is None or session.stream_name("orders") == "ch08:orders"
    True
    >>> if session is not None:
    ...     session.close()
    """

    def __init__(self, url: str, source: str, server: LocalRedis | None = None, *, prefix: str = "ch08") -> None:
        self.url = url
        self.source = source
        self.server = server
        self.prefix = prefix
        self._client: Any = None
        self._queues: list[RedisStreamQueue] = []
        self._fresh: set[str] = set()
        self.closed = False

    @property
    def client(self) -> Any:
        """A plain ``redis.Redis`` client (text replies) for looking at the server by hand."""
        self._refuse_if_closed()
        if self._client is None:
            self._client = _redis_client(self.url)
        return self._client

    def stream_name(self, name: str) -> str:
        """The stream this session uses for ``name``: ``"<prefix>:<name>"``."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty str naming a stream, got {name!r}")
        return f"{self.prefix}:{name}"

    def fresh(self, name: str, *extra_keys: str) -> str:
        """The stream for ``name``, emptied if this session has not used it yet; returns its full name.

        ``extra_keys`` are suffixes of other keys that belong to it (``":effects"``), emptied too.
        """
        stream = self.stream_name(name)
        if stream not in self._fresh:
            self.client.delete(stream, f"{stream}:dead", *(stream + key for key in extra_keys))
            self._fresh.add(stream)
        return stream

    def queue(self, name: str, **options: Any) -> RedisStreamQueue:
        """A :class:`~asyncomm.reliable.redis_streams.RedisStreamQueue` on this session's stream ``name``
        (``options`` as for that class: ``group``, ``visibility_timeout``, ...)."""
        queue = RedisStreamQueue(self.url, self.fresh(name), **options)
        self._queues.append(queue)
        return queue

    def counted_queue(self, name: str, **options: Any) -> tuple[RedisStreamQueue, RoundTripCounter]:
        """Like :meth:`queue`, with a :class:`RoundTripCounter` that lists every command the queue sends."""
        counter = RoundTripCounter(_redis_client(self.url))
        queue = RedisStreamQueue(self.url, self.fresh(name), client=counter, **options)
        counter.take()  # creating the consumer group is not the lesson
        self._queues.append(queue)
        return queue, counter

    def describe(self) -> str:
        """One line saying which server this is (the private server's port changes every run)."""
        if self.source == "LocalRedis":
            return f"Using {_PRIVATE}"
        origin = " (from REDIS_URL)" if self.source == "REDIS_URL" else ""
        return f"Using the Redis server at {safe_url(self.url)}{origin}."

    def _refuse_if_closed(self) -> None:
        if self.closed:
            raise BrokerUnavailable("this broker session is closed; run connect() again for a new one")

    def close(self) -> None:
        """Close the queues and the client; stop the server if this session started it."""
        if self.closed:
            return
        self.closed = True
        for queue in self._queues:
            queue.close()
        if self._client is not None:
            self._client.close()
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> BrokerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.source
        return f"<BrokerSession {safe_url(self.url)} ({state})>"


def _is_program(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def connect(
    url: str | None = None, *, executable: str | None = None, prefix: str = "ch08", quiet: bool = False
) -> BrokerSession | None:
    """Find a Redis server for the chapter, say in one line which, and return a session (or ``None``).

    In order: the server at ``url`` (default: the ``REDIS_URL`` environment
    variable) if one answers there; else a private ``redis-server`` started from
    ``executable`` (default: the one on ``PATH``), stopped by ``session.close()``
    or when Python exits; else ``None``, after a line saying there is no broker
    and what to do. Also ``None``, with its own line, when redis-py is missing or
    the server wants a password the URL does not give. ``quiet=True`` prints nothing.

    >>> session = connect("redis://127.0.0.1:1/0", executable="/nonexistent")
    No Redis server reachable at redis://127.0.0.1:1/0 and no redis-server installed. Start one (see 'How to \
start a server'), or name a running one: connect('redis://localhost:6379/0') or set REDIS_URL; then run this \
cell again. Until then the broker cells print 'skipped: no broker'.
    >>> session is None
    True
    """
    say = (lambda line: None) if quiet else print
    if importlib.util.find_spec("redis") is None:
        say(_NO_CLIENT)
        return None
    source = "url"
    if url is None:
        url = os.environ.get("REDIS_URL") or None
        source = "REDIS_URL"
    session: BrokerSession | None = None
    if url is not None and reachable(url):
        if _needs_password(url):
            say(_NEEDS_PASSWORD.format(where=safe_url(url)))
            return None
        session = BrokerSession(url, source, prefix=prefix)
    else:
        program = executable or shutil.which("redis-server")
        if program is not None and _is_program(program):
            try:
                server = LocalRedis(program).start()
            except (BrokerUnavailable, OSError):
                server = None
            if server is not None:
                session = BrokerSession(server.url, "LocalRedis", server, prefix=prefix)
    if not quiet:
        if session is not None:
            if url is not None and session.source == "LocalRedis":
                print(f"No Redis server reachable at {safe_url(url)}; using {_PRIVATE}")
            else:
                print(session.describe())
        else:
            where = safe_url(url) if url is not None else "REDIS_URL (not set)"
            print(_NO_SERVER.format(where=where))
    if session is not None and session.server is not None:
        # A kernel that exits (or a session that is dropped) without close() must not leave a redis-server behind.
        weakref.finalize(session, session.server.stop)
    return session


def _needs_password(url: str) -> bool:
    """Whether the server at ``url`` answers but refuses us for want of a (right) password."""
    import redis

    client = _redis_client(url)
    try:
        client.ping()
    except redis.AuthenticationError:
        return True
    except redis.ResponseError as err:  # older servers answer NOAUTH as a plain error
        return "NOAUTH" in str(err) or "WRONGPASS" in str(err)
    finally:
        client.close()
    return False


def available(session: BrokerSession | None) -> bool:
    """Whether the chapter has a broker; if not, print :data:`NO_BROKER` for the cell that asked.

    >>> available(None)
    skipped: no broker
    False
    """
    if session is None or session.closed:
        print(NO_BROKER)
        return False
    return True


# -- round trips -----------------------------------------------------------------------------------------------

_NOT_COMMANDS = frozenset({"close", "aclose", "pipeline", "connection_pool", "get_connection_kwargs"})


def _command_name(method: str) -> str:
    return method.upper().removesuffix("_RANGE").replace("_", " ")


class RoundTripCounter:
    """Wraps a Redis client and records the name of each command sent through it:
    with no pipelining, each command is one network round trip.

    >>> class FakeClient:                 # any object with Redis-like methods
    ...     def xadd(self, *args): return "1-0"
    >>> counter = RoundTripCounter(FakeClient())
    >>> counter.xadd("orders", {"data": "{}"})
    '1-0'
    >>> counter.take()
    ['XADD']
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self.commands: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in _NOT_COMMANDS or name.startswith("_") or not callable(attr):
            return attr

        def command(*args: Any, **kwargs: Any) -> Any:
            self.commands.append(_command_name(name))
            return attr(*args, **kwargs)

        return command

    def take(self) -> list[str]:
        """The commands recorded since the last ``take()``, and forget them."""
        taken, self.commands = self.commands, []
        return taken


# -- throughput ------------------------------------------------------------------------------------------------


def _time_in_memory(n: int) -> tuple[float, int]:
    queue = ReliableQueue(clock=VirtualClock())
    start = time.perf_counter()
    for i in range(n):
        queue.send(i)
    for _ in range(n):
        queue.receive_nowait(consumer="c").ack()
    return time.perf_counter() - start, 0


def _time_one_by_one(session: BrokerSession, n: int) -> tuple[float, int]:
    queue, counter = session.counted_queue("throughput-one-by-one")
    start = time.perf_counter()
    for i in range(n):
        queue.send(i)
    for _ in range(n):
        queue.receive_nowait(consumer="c").ack()
    return time.perf_counter() - start, len(counter.take())


def _time_pipelined(session: BrokerSession, n: int, batch: int) -> tuple[float, int]:
    queue = session.queue("throughput-pipelined")  # creates the stream and its consumer group
    client, stream, group, serializer = session.client, queue.stream, queue.group, JSONSerializer()
    trips = 0
    start = time.perf_counter()
    for first in range(0, n, batch):
        with client.pipeline(transaction=False) as pipe:
            for i in range(first, min(first + batch, n)):
                pipe.xadd(stream, {"data": serializer.dumps(i, None)})
            pipe.execute()
        trips += 1
    received = 0
    while received < n:
        [(_, entries)] = client.xreadgroup(group, "c", {stream: ">"}, count=batch)
        with client.pipeline(transaction=False) as pipe:
            for entry_id, fields in entries:
                serializer.loads(fields["data"])
                pipe.xack(stream, group, entry_id)
            pipe.execute()
        trips += 2
        received += len(entries)
    return time.perf_counter() - start, trips


def throughput(session: BrokerSession, messages: int = 2000, batch: int = 100) -> list[dict[str, Any]]:
    """Send, receive and ack ``messages`` messages three ways and time each (real time: figures vary).

    Rows: the in-memory :class:`~asyncomm.reliable.ReliableQueue`; Redis one by one
    (:class:`~asyncomm.reliable.redis_streams.RedisStreamQueue`); Redis pipelined (``batch`` XADDs
    in one round trip, then ``batch`` entries per XREADGROUP and their XACKs in one
    more). Each row has ``way``, ``messages``, ``seconds``, ``per_second`` and
    ``round_trips`` (counted: the commands sent one by one, the pipelines and reads).

    >>> session = connect(quiet=True)
    >>> rows = throughput(session, messages=200) if session else [{"way": w} for w in range(3)]
    >>> len(rows)
    3
    >>> if session: session.close()
    """
    check_int(messages, "messages", minimum=1)
    check_int(batch, "batch", minimum=1)
    ways = [
        ("in-memory ReliableQueue", _time_in_memory(messages)),
        ("Redis, one by one", _time_one_by_one(session, messages)),
        (f"Redis, pipelined ({batch} per round trip)", _time_pipelined(session, messages, batch)),
    ]
    return [
        {"way": way, "messages": messages, "seconds": seconds, "per_second": messages / seconds, "round_trips": trips}
        for way, (seconds, trips) in ways
    ]


# -- the fault lab on Redis ------------------------------------------------------------------------------------

_CRASH_EXIT = 3
_CRASH_POINTS = ("before-processing", "after-processing-before-ack")
_FOREIGN = json.dumps({"order": 7})  # what another program might write: JSON, but not asyncomm's format


class _Crashed(Exception):
    """A lab consumer crashing on purpose (thread mode)."""


@dataclass(frozen=True)
class RedisTally:
    """The counts of a :func:`run_redis_lab` run that do not depend on timing.

    Same meaning as in :class:`asyncomm.labs.faults.Tally`: ``processed`` (messages
    whose effect happened at least once), ``lost`` (neither processed nor
    dead-lettered), ``duplicated`` (processed more than once), ``dead_lettered``
    (lab messages in ``<stream>:dead``), ``redeliveries`` (deliveries after the
    first); plus ``malformed`` (foreign entries dead-lettered because they could
    not be decoded) and ``crashes``.

    >>> RedisTally(20, 19, 0, 1, 1, 1, 4, 2).as_dict()["lost"]
    0
    """

    sent: int
    processed: int
    lost: int
    duplicated: int
    dead_lettered: int
    malformed: int
    redeliveries: int
    crashes: int

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RedisLabRun:
    """What :func:`run_redis_lab` saw: the ``tally``, what happened to each message
    (``deliveries`` and ``processed`` per message number), the ``dead_letters``
    (their ids are Redis entry ids, ``"<ms>-<seq>"``), which consumer crashed on
    which message, and what each consumer processed. ``seconds`` is real time.
    The consumer names and the time vary from run to run; the tally does not.

    >>> run = RedisLabRun({"messages": 1}, RedisTally(1, 1, 0, 0, 0, 0, 0, 0), {1: 1}, {1: 1}, [], [], {"c1": 1}, 0.5)
    >>> run.numbers("processed")
    [1]
    """

    settings: dict[str, Any]
    tally: RedisTally
    deliveries: dict[int, int]
    processed: dict[int, int]
    dead_letters: list[DeadLetter]
    crashes: list[tuple[str, int, str]]  # (consumer, message number, crash point)
    per_consumer: dict[str, int]
    seconds: float
    dead_numbers: list[int] = field(default_factory=list)

    def numbers(self, outcome: str) -> list[int]:
        """Message numbers with this outcome: ``"processed"`` (once), ``"duplicated"``,
        ``"dead-lettered"`` or ``"lost"`` (as :attr:`asyncomm.labs.faults.LabMessage.outcome`)."""
        outcomes = ("processed", "duplicated", "dead-lettered", "lost")
        if outcome not in outcomes:
            raise ValueError(f"outcome must be one of {', '.join(map(repr, outcomes))}, got {outcome!r}")
        dead = set(self.dead_numbers)
        result = []
        for n in range(1, self.settings.get("messages", 0) + 1):
            times = self.processed.get(n, 0)
            got = ("processed" if times == 1 else "duplicated") if times else ("dead-lettered" if n in dead else "lost")
            if got == outcome:
                result.append(n)
        return result

    def letters(self) -> list[tuple[str, str, int]]:
        """The dead letters as ``(what, reason, deliveries)``, with ``what`` = ``"message 13"`` for a lab
        message, else the raw text of the entry: foreign entries first, then lab messages by number (their
        order in the stream depends on timing)."""
        rows = []
        for letter in self.dead_letters:
            message = letter.message
            if isinstance(message, dict) and "n" in message:
                rows.append(((1, message["n"], ""), (f"message {message['n']}", letter.reason, letter.deliveries)))
            else:
                rows.append(((0, 0, str(message)), (str(message), letter.reason, letter.deliveries)))
        return [row for _, row in sorted(rows)]


def _lab_consumer(url: str, stream: str, name: str, options: dict[str, Any], mode: str) -> None:
    """One lab consumer: take deliveries until the supervisor says stop; crash where told to."""
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    queue = RedisStreamQueue(
        url,
        stream,
        delivery=options["delivery"],
        visibility_timeout=options["visibility_timeout"],
        max_deliveries=options["max_deliveries"],
        poll=0.05,
    )
    crash_on: dict[str, str] = options["crash_on"]
    poison = set(options["poison"])
    try:
        while not client.exists(f"{stream}:stop"):
            try:
                delivery = queue.receive(consumer=name, timeout=0.1)
            except QueueEmpty:
                continue
            n = delivery.message["n"]
            client.rpush(f"{stream}:log", json.dumps(["receive", n, delivery.delivery_count, name]))
            point = crash_on.get(str(n)) if delivery.delivery_count == 1 else None
            if point == "before-processing":
                _crash(client, stream, name, n, point, mode)
            failed = n in poison
            if not failed:
                time.sleep(options["work_seconds"])
                client.rpush(f"{stream}:effects", json.dumps([n, name]))  # the work's effect (a payment made...)
            if point == "after-processing-before-ack":
                _crash(client, stream, name, n, point, mode)
            if queue.delivery == "at-least-once":
                try:
                    if failed:
                        delivery.nack()
                    else:
                        delivery.ack()
                except StaleDelivery:
                    client.rpush(f"{stream}:log", json.dumps(["late", n, delivery.delivery_count, name]))
    except _Crashed:
        pass  # the thread "dies" holding its delivery; its connection drops with it
    finally:
        queue.close()
        client.close()


def _crash(client: Any, stream: str, name: str, n: int, point: str, mode: str) -> None:
    client.rpush(f"{stream}:log", json.dumps(["crash", n, point, name]))
    if mode == "processes":
        os._exit(_CRASH_EXIT)  # a real crash: no cleanup, no ack, the connection drops
    raise _Crashed


def _check_lab(settings: dict[str, Any]) -> None:
    messages, consumers, crash_on = settings["messages"], settings["consumers"], settings["crash_on"]
    check_int(messages, "messages", minimum=1)
    check_int(consumers, "consumers", minimum=1)
    check_int(settings["malformed"], "malformed", minimum=0)
    for n in [*crash_on, *settings["poison"]]:
        check_int(n, "message numbers in crash_on and poison", minimum=1, maximum=messages)
    for point in crash_on.values():
        if point not in _CRASH_POINTS:
            raise ValueError(f"crash points are {', '.join(map(repr, _CRASH_POINTS))}, got {point!r}")
    if len(crash_on) >= consumers:
        raise ValueError(
            f"{len(crash_on)} crash(es) with {consumers} consumer(s) would leave none alive (crashed "
            f"consumers stay down in this lab): use more consumers than crashes"
        )
    delivery = settings["delivery"]
    if delivery not in DELIVERY_MODES:
        raise ValueError(f"delivery must be 'at-most-once' or 'at-least-once', got {delivery!r}")
    if settings["poison"] and delivery == "at-least-once" and settings["max_deliveries"] is None:
        raise ValueError("with max_deliveries=None a poison message would be delivered forever; give it a number")
    if settings["mode"] not in ("processes", "threads"):
        raise ValueError(f"mode must be 'processes' or 'threads', got {settings['mode']!r}")


def run_redis_lab(
    session: BrokerSession,
    *,
    messages: int = 20,
    consumers: int = 3,
    crash_on: Mapping[int, str] | None = None,
    poison: Collection[int] = (),
    malformed: int = 0,
    delivery: str = "at-least-once",
    visibility_timeout: float = 1.0,
    max_deliveries: int | None = 3,
    work_seconds: float = 0.01,
    mode: str = "processes",
    stream: str = "lab",
    timeout: float = 60.0,
) -> RedisLabRun:
    """The chapter-05 fault lab on Redis, with real consumer processes (or threads) and real time.

    A producer sends messages ``{"n": 1}`` ... ``{"n": messages}`` to a fresh
    stream, and ``malformed`` foreign entries (JSON, but not in asyncomm's
    format) among them. Then ``consumers`` consumers ``c1``, ``c2``, ... compete
    for them: each receives, does ``work_seconds`` of work, records the effect
    (a list in Redis) and acks. The *first* delivery of a message listed in
    ``crash_on`` crashes its consumer, ``"before-processing"`` or
    ``"after-processing-before-ack"``; a crashed process really exits and stays
    down (a thread stops). A ``poison`` message's handler always fails: the
    consumer nacks it. The run ends once nothing is waiting nor in flight.

    >>> session = connect(quiet=True)
    >>> if session:
    ...     run = run_redis_lab(session, messages=6, crash_on={2: "before-processing"}, mode="threads")
    ...     print(run.tally.lost, run.tally.processed, run.tally.redeliveries)
    ...     session.close()
    ... else:
    ...     print(0, 6, 1)
    0 6 1
    """
    settings = {
        "messages": messages,
        "consumers": consumers,
        "crash_on": dict(crash_on or {}),
        "poison": frozenset(poison),
        "malformed": malformed,
        "delivery": delivery,
        "visibility_timeout": visibility_timeout,
        "max_deliveries": max_deliveries,
        "work_seconds": work_seconds,
        "mode": mode,
    }
    _check_lab(settings)  # before anything is sent
    name = session.fresh(stream, ":log", ":effects", ":stop")
    with RedisStreamQueue(
        session.url, name, delivery=delivery, visibility_timeout=visibility_timeout, max_deliveries=max_deliveries
    ) as producer:
        started = time.perf_counter()
        _produce(producer, session.client, settings)
        workers = _start_consumers(session.url, name, settings)
        try:
            _wait_until_done(producer, workers, timeout)
        finally:
            _stop_consumers(session.client, name, workers, mode)
        letters = producer.dead_letters()
    return _result(settings, session.client, name, letters, time.perf_counter() - started)


def _produce(producer: RedisStreamQueue, client: Any, settings: dict[str, Any]) -> None:
    """Send ``{"n": 1}`` ... ``{"n": messages}``, with the foreign entries spread out among them
    (after message k * messages // (malformed + 1) for k = 1 .. malformed)."""
    messages, malformed = settings["messages"], settings["malformed"]
    after = Counter(max(1, (k + 1) * messages // (malformed + 1)) for k in range(malformed))
    for n in range(1, messages + 1):
        producer.send({"n": n})
        for _ in range(after[n]):
            client.xadd(producer.stream, {"data": _FOREIGN})


def _start_consumers(url: str, stream: str, settings: dict[str, Any]) -> list[Any]:
    """Start consumers ``c1``, ``c2``, ... as processes or threads (daemons: none outlives the lab)."""
    options = {
        "delivery": settings["delivery"],
        "visibility_timeout": settings["visibility_timeout"],
        "max_deliveries": settings["max_deliveries"],
        "crash_on": {str(n): point for n, point in settings["crash_on"].items()},  # JSON-friendly for processes
        "poison": sorted(settings["poison"]),
        "work_seconds": settings["work_seconds"],
    }
    mode = settings["mode"]
    args = [(url, stream, f"c{i + 1}", options, mode) for i in range(settings["consumers"])]
    workers: list[Any]
    if mode == "processes":
        context = multiprocessing.get_context("spawn")
        workers = [context.Process(target=_lab_consumer, args=a, daemon=True) for a in args]
    else:
        workers = [threading.Thread(target=_lab_consumer, args=a, daemon=True) for a in args]
    for worker in workers:
        worker.start()
    return workers


def _wait_until_done(producer: RedisStreamQueue, workers: list[Any], timeout: float) -> None:
    """Wait until nothing is ready nor in flight (each look is one round trip)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = producer.statistics()
        if not (counts.ready or counts.in_flight):
            return
        if not any(w.is_alive() for w in workers):
            raise RuntimeError("every lab consumer stopped before the work was done; please report this")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Redis lab did not finish within {timeout:g} s")
        time.sleep(0.02)


def _stop_consumers(client: Any, stream: str, workers: list[Any], mode: str) -> None:
    """Then tell the consumers to stop, wait for them, and check no process failed for another reason."""
    client.set(f"{stream}:stop", 1)
    for worker in workers:
        worker.join(10)
    if mode == "processes":
        broken = {f"c{i + 1}": w.exitcode for i, w in enumerate(workers) if w.exitcode not in (0, _CRASH_EXIT)}
        if broken:
            raise RuntimeError(f"lab consumer(s) failed with exit codes {broken}; please report this")


def _result(settings: dict[str, Any], client: Any, name: str, letters: list[DeadLetter], seconds: float) -> RedisLabRun:
    log = [json.loads(row) for row in client.lrange(f"{name}:log", 0, -1)]
    effects = [json.loads(row) for row in client.lrange(f"{name}:effects", 0, -1)]
    deliveries = Counter(row[1] for row in log if row[0] == "receive")
    processed = Counter(n for n, _ in effects)
    per_consumer = Counter(who for _, who in effects)
    crashes = [(row[3], row[1], row[2]) for row in log if row[0] == "crash"]
    dead = [letter.message["n"] for letter in letters if isinstance(letter.message, dict) and "n" in letter.message]
    malformed = sum(letter.reason.startswith("malformed") for letter in letters)
    messages = settings["messages"]
    tally = RedisTally(
        sent=messages,
        processed=len(processed),
        lost=sum(1 for n in range(1, messages + 1) if n not in processed and n not in dead),
        duplicated=sum(1 for times in processed.values() if times > 1),
        dead_lettered=len(dead),
        malformed=malformed,
        redeliveries=sum(max(0, times - 1) for times in deliveries.values()),
        crashes=len(crashes),
    )
    return RedisLabRun(
        settings,
        tally,
        dict(sorted(deliveries.items())),
        dict(sorted(processed.items())),
        letters,
        crashes,
        dict(sorted(per_consumer.items())),
        seconds,
        dead,
    )


def compare_with_memory(run: RedisLabRun) -> tuple[LabRun, list[dict[str, Any]]]:
    """Run the same scenario in the in-memory fault lab (:func:`asyncomm.labs.faults.run_lab`, virtual time)
    and return that run and one record per backend with the counts both labs share.

    >>> run = RedisLabRun({"messages": 4, "consumers": 2, "crash_on": {}, "poison": frozenset(),
    ...                    "delivery": "at-least-once", "visibility_timeout": 1.0, "max_deliveries": 3},
    ...                   RedisTally(4, 4, 0, 0, 0, 0, 0, 0), {}, {}, [], [], {}, 0.1)
    >>> _, rows = compare_with_memory(run)
    >>> [row["lost"] for row in rows]
    [0, 0]
    """
    s = run.settings
    memory = run_lab(
        "steady",
        messages=s["messages"],
        consumers=s["consumers"],
        crash_on=s["crash_on"],
        poison=s["poison"],
        delivery=s["delivery"],
        visibility_timeout=s["visibility_timeout"],
        max_deliveries=s["max_deliveries"],
    )
    shared = ("sent", "processed", "lost", "duplicated", "dead_lettered", "redeliveries")
    mode = s.get("mode", "processes")
    rows = [
        {"lab": "in memory (VirtualClock)", **{k: getattr(memory.tally, k) for k in shared}},
        {"lab": f"Redis ({s['consumers']} {mode})", **{k: getattr(run.tally, k) for k in shared}},
    ]
    return memory, rows
