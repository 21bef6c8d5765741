"""A fault-injection lab: crash, slow down or flood a queue's consumers and count what happens.

:func:`run_lab` plays a producer that sends ``messages`` messages and
``consumers`` workers that take them one at a time from a
:class:`~asyncomm.reliable.ReliableQueue` (or a
:class:`~asyncomm.reliable.PartitionedQueue`), on a
:class:`~asyncomm.VirtualClock`. It is a discrete-event simulation in one
thread: every random choice comes from ``seed`` (and the message and delivery
it concerns), so a run is instant and the same settings always give the same
numbers. Every run ends with a :class:`Tally`.

The story of one delivery: a worker receives it; if it crashes
``"before-processing"`` it does nothing with it; otherwise it works for
``service_time`` seconds (times ``slow_factor`` when slow), then the handler's
effect happens (the *processing*: a payment is made, a row written) -- unless
the message is poison, then the handler fails and the worker nacks it. If it
crashes ``"after-processing-before-ack"`` the effect happened but the queue
never hears of it. Otherwise it acks. A crashed worker is restarted after
``restart_after`` seconds under a new name (``c1#2``); its unacked delivery
comes back after the visibility timeout, or after ``heartbeat_timeout`` if the
lab declares crashed consumers dead.

Rules that make runs predictable by hand: messages are numbered 1, 2, 3 ... in
send order (they are the queue's ids unless a ``policy="raise"`` queue refused
some); at one instant events happen in the order they were scheduled, and after
each event idle workers (c1 first) take what they can, then a held-back
producer sends what it can; peaks are read when an instant is over.

>>> tally = run_lab("crashes", delivery="at-most-once").tally
>>> tally.sent, tally.lost > 0, tally.duplicated
(40, True, 0)
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncomm import trace as tr
from asyncomm._checks import check_int, is_number
from asyncomm._queue_core import check_policy
from asyncomm.clock import VirtualClock
from asyncomm.errors import QueueFull
from asyncomm.labs.simulate import estimate_bytes
from asyncomm.reliable import (
    DELIVERY_MODES,
    DeadLetter,
    Delivery,
    IdempotentConsumer,
    PartitionedQueue,
    ReliableQueue,
    StaleDelivery,
)
from asyncomm.trace import Trace

__all__ = [
    "CRASH_POINTS",
    "SCENARIOS",
    "Crash",
    "LabMessage",
    "LabPayload",
    "LabRun",
    "LabSettings",
    "Tally",
    "compare_guarantees",
    "lab_settings",
    "run_lab",
    "tally_frame",
]

#: Where a consumer can crash; ``"any"`` picks one of the two at random for each crash.
CRASH_POINTS = ("before-processing", "after-processing-before-ack", "any")


@dataclass(frozen=True)
class LabSettings:
    """Everything a lab run depends on. Build one with :func:`lab_settings`.

    Producer: ``messages`` in all, ``burst`` at a time, a burst every
    ``interval`` s; each message is ``message_bytes`` bytes of payload; with
    ``keys > 0`` message ``n`` has key ``"k{n % keys}"``. Queue: ``delivery``,
    ``visibility_timeout``, ``max_deliveries``, ``maxsize``, ``policy``, and
    ``partitioned`` (one partition per consumer, by key). Consumers: how many,
    ``service_time`` s per message, each varied by up to ``jitter`` (0.5 =
    +-50%), ``idempotent`` (one shared :class:`~asyncomm.reliable.IdempotentConsumer`
    that remembers ``remember`` ids). Faults: ``crash_rate`` (chance that a
    delivery's consumer crashes, at ``crash_point``), ``crash_on`` (message
    numbers whose *first* delivery crashes; a mapping gives each its point),
    ``restart_after``, ``heartbeat_timeout`` (None: crashes are never detected,
    only the visibility timeout brings messages back), ``slow_rate`` /
    ``slow_on`` with ``slow_factor``, and ``poison`` (messages whose handler
    always fails). ``seed`` drives every random choice.

    >>> s = lab_settings("crashes", seed=3)
    >>> s.messages, s.consumers, s.crash_rate, s.crash_point, s.seed
    (40, 2, 0.2, 'any', 3)
    """

    delivery: str = "at-least-once"
    idempotent: bool = False
    remember: int = 10_000
    messages: int = 20
    burst: int = 1
    interval: float = 1.0
    message_bytes: int = 1000
    keys: int = 0
    consumers: int = 1
    service_time: float = 0.5
    jitter: float = 0.0
    partitioned: bool = False
    visibility_timeout: float = 10.0
    max_deliveries: int | None = 5
    maxsize: int = 0
    policy: str = "block"
    crash_rate: float = 0.0
    crash_point: str = "any"
    crash_on: Mapping[int, str] = field(default_factory=dict)
    restart_after: float = 1.0
    heartbeat_timeout: float | None = None
    slow_rate: float = 0.0
    slow_on: frozenset[int] = frozenset()
    slow_factor: float = 30.0
    poison: frozenset[int] = frozenset()
    seed: int = 0


#: Named starting points for :func:`run_lab`; keywords given to it override them.
SCENARIOS: dict[str, dict[str, Any]] = {
    "steady": {},
    "crashes": {"messages": 40, "consumers": 2, "crash_rate": 0.2, "crash_point": "any"},
    "crash-before-processing": {"messages": 40, "consumers": 2, "crash_rate": 0.15, "crash_point": "before-processing"},
    "crash-after-processing": {
        "messages": 40,
        "consumers": 2,
        "crash_rate": 0.15,
        "crash_point": "after-processing-before-ack",
    },
    "slow-consumer": {"messages": 40, "consumers": 2, "slow_rate": 0.1},
    "poison": {"messages": 20, "poison": frozenset({5, 13})},
    "burst": {"messages": 500, "burst": 500, "consumers": 2},
    "competing-consumers": {"messages": 60, "burst": 3, "consumers": 3, "jitter": 0.5, "keys": 2},
    "partitioned": {"messages": 60, "burst": 3, "consumers": 3, "jitter": 0.5, "keys": 2, "partitioned": True},
}


def lab_settings(scenario: str = "steady", **settings: Any) -> LabSettings:
    """The :class:`LabSettings` of a named scenario, with ``settings`` overriding it; checked.

    >>> lab_settings("poison", max_deliveries=3).max_deliveries
    3
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; the scenarios are {', '.join(map(repr, SCENARIOS))}")
    names = {f.name for f in dataclasses.fields(LabSettings)}
    unknown = sorted(set(settings) - names)
    if unknown:
        raise TypeError(f"unknown lab setting(s) {unknown}; the settings are {sorted(names)}")
    merged = {**SCENARIOS[scenario], **settings}
    for name in ("slow_on", "poison"):
        if name in merged:
            merged[name] = frozenset(_numbers(merged[name], name))
    if "crash_on" in merged:
        merged["crash_on"] = _crash_schedule(merged["crash_on"])
    result = LabSettings(**merged)
    _check(result)
    return result


def _numbers(values: Any, what: str) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Collection):
        raise TypeError(f"{what} must be a collection of message numbers, got {values!r}")
    for n in values:
        check_int(n, f"each message number in {what}", minimum=1)
    return list(values)


def _crash_schedule(crash_on: Any) -> dict[int, str]:
    if isinstance(crash_on, Mapping):
        schedule = dict(zip(_numbers(list(crash_on), "crash_on"), crash_on.values(), strict=True))
    else:
        schedule = dict.fromkeys(_numbers(crash_on, "crash_on"), "")  # "": the run's crash_point
    for point in schedule.values():
        if point and point not in CRASH_POINTS:
            raise ValueError(f"crash points are {', '.join(map(repr, CRASH_POINTS))}, got {point!r}")
    return schedule


def _check(s: LabSettings) -> None:
    def count(name: str, minimum: int) -> None:
        check_int(getattr(s, name), name, minimum=minimum)

    def number(name: str, low: float, high: float = math.inf, *, open_low: bool = False) -> None:
        value = getattr(s, name)
        ok = is_number(value) and math.isfinite(value)
        if not ok or value < low or value > high or (open_low and value == low):
            bound = f"> {low:g}" if open_low else f">= {low:g}"
            bound += f" and <= {high:g}" if high != math.inf else ""
            raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")

    if s.delivery not in DELIVERY_MODES:
        raise ValueError(f"delivery must be 'at-most-once' or 'at-least-once', got {s.delivery!r}")
    check_policy(s.policy)
    for name in ("messages", "burst", "consumers", "message_bytes", "remember"):
        count(name, 1)
    for name in ("keys", "maxsize", "seed"):
        count(name, 0)
    for name in ("interval", "service_time", "visibility_timeout", "restart_after"):
        number(name, 0, open_low=True)
    number("slow_factor", 1)
    number("jitter", 0, 0.9)
    number("crash_rate", 0, 1)
    number("slow_rate", 0, 1)
    if s.heartbeat_timeout is not None:
        number("heartbeat_timeout", 0, open_low=True)
    if s.max_deliveries is not None:
        count("max_deliveries", 1)
    if s.crash_point not in CRASH_POINTS:
        raise ValueError(f"crash_point must be one of {', '.join(map(repr, CRASH_POINTS))}, got {s.crash_point!r}")
    if s.partitioned and s.keys == 0:
        raise ValueError("partitioned=True needs keys > 0: partitions keep order per key")
    always_slow = s.slow_rate == 1 and s.service_time * (1 - s.jitter) * s.slow_factor >= s.visibility_timeout
    if s.delivery == "at-least-once" and s.max_deliveries is None and (s.poison or s.crash_rate == 1 or always_slow):
        raise ValueError(
            "with max_deliveries=None a poison message (or crash_rate=1, or every delivery slower "
            "than the visibility timeout) would be delivered forever; give max_deliveries a number"
        )


@dataclass(frozen=True)
class Crash:
    """A consumer crash: when, who, holding which message (its ``delivery``-th delivery), and where.

    >>> run_lab(crash_on={3: "before-processing"}).crashes
    [Crash(time=2.0, consumer='c1', message=3, delivery=1, point='before-processing')]
    """

    time: float
    consumer: str
    message: int
    delivery: int
    point: str


@dataclass
class LabMessage:
    """What happened to message ``number``: ``deliveries`` handed out, handler
    ``attempts``, times it was ``processed`` (the effect happened),
    ``dead_lettered``, ``dropped`` (by the backpressure policy) and when it was
    first processed. ``outcome`` sums it up.

    >>> m = run_lab(crash_on={3: "after-processing-before-ack"}).messages[2]
    >>> m.number, m.deliveries, m.processed, m.outcome
    (3, 2, 2, 'duplicated')
    """

    number: int
    key: str | None
    id: int | None = None
    deliveries: int = 0
    attempts: int = 0
    processed: int = 0
    first_processed: float | None = None
    dead_lettered: bool = False
    dropped: bool = False

    @property
    def outcome(self) -> str:
        """``"processed"`` (once), ``"duplicated"`` (more than once),
        ``"dead-lettered"`` (never processed, kept for inspection) or ``"lost"``."""
        if self.processed:
            return "processed" if self.processed == 1 else "duplicated"
        return "dead-lettered" if self.dead_lettered else "lost"


@dataclass(frozen=True)
class Tally:
    """The counts of a lab run.

    ``sent``: messages the producer tried to send. ``processed``: messages
    whose effect happened at least once. ``lost``: neither processed nor
    dead-lettered (``dropped`` of them by the backpressure policy).
    ``duplicated``: processed more than once. ``out_of_order``: processed
    after a later message (of the same key, when there are keys).
    ``peak_length``: most messages waiting in the queue; ``peak_bytes``: an
    *estimate* of the most memory the queue held for messages waiting or
    unacked (shallow ``sys.getsizeof`` plus a pointer each, see
    :func:`~asyncomm.labs.simulate.estimate_bytes`); ``peak_backlog``: most messages
    a held-back producer had to keep. ``redeliveries``: deliveries after the
    first; ``late_acks``: acks or nacks that came too late
    (:class:`~asyncomm.reliable.StaleDelivery`); ``duration``: seconds until
    the last event.

    >>> tally = run_lab(crash_on={3: "before-processing"}, delivery="at-most-once").tally
    >>> tally.sent, tally.processed, tally.lost
    (20, 19, 1)
    """

    sent: int
    processed: int
    lost: int
    duplicated: int
    dead_lettered: int
    out_of_order: int
    peak_length: int
    peak_bytes: int
    peak_backlog: int
    dropped: int
    redeliveries: int
    late_acks: int
    duration: float

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict, in field order."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LabRun:
    """The result of :func:`run_lab`: plain records, nothing live.

    ``effects`` lists ``(time, message number, consumer)`` each time a
    handler's effect happened; ``trace`` holds the queue's operations.

    >>> run = run_lab(crash_on={3: "after-processing-before-ack"})
    >>> [effect for effect in run.effects if effect[1] == 3]
    [(2.5, 3, 'c1'), (12.5, 3, 'c1#2')]
    >>> run.numbers("duplicated")
    [3]
    """

    settings: LabSettings
    tally: Tally
    messages: list[LabMessage]
    effects: list[tuple[float, int, str]]
    crashes: list[Crash]
    dead_letters: list[DeadLetter]
    trace: Trace

    def numbers(self, outcome: str) -> list[int]:
        """The numbers of the messages with this ``outcome`` (see :attr:`LabMessage.outcome`)."""
        return [m.number for m in self.messages if m.outcome == outcome]

    def to_frame(self):  # type: ignore[no-untyped-def]
        """One row per message, as a pandas DataFrame."""
        import pandas as pd  # deferred: pandas is heavy and only views need it

        rows = [{**dataclasses.asdict(m), "outcome": m.outcome} for m in self.messages]
        return pd.DataFrame(rows).set_index("number")


def run_lab(scenario: str = "steady", **settings: Any) -> LabRun:
    """Run a named scenario (see :data:`SCENARIOS`), with ``settings``
    (fields of :class:`LabSettings`) changed, and return what happened.

    >>> run = run_lab("poison", max_deliveries=3)
    >>> [(row.id, row.reason, row.deliveries) for row in run.dead_letters]
    [(5, 'max deliveries', 3), (13, 'max deliveries', 3)]
    >>> run.tally.lost, run.tally.dead_lettered
    (0, 2)
    """
    return _Lab(lab_settings(scenario, **settings)).run()


_LABELS = {
    ("at-most-once", False): "at-most-once",
    ("at-least-once", False): "at-least-once",
    ("at-least-once", True): "at-least-once + idempotent consumer",
}


def compare_guarantees(scenario: str = "crashes", **settings: Any) -> list[dict[str, Any]]:
    """Run one scenario three ways and return one record per way: at-most-once
    (loses), at-least-once (duplicates), at-least-once with an idempotent
    consumer (effectively once). The same seed means the same faults strike
    the same first deliveries in all three.

    >>> rows = compare_guarantees()
    >>> [(r["guarantee"], r["lost"] > 0, r["duplicated"] > 0) for r in rows]  # doctest: +NORMALIZE_WHITESPACE
    [('at-most-once', True, False), ('at-least-once', False, True),
     ('at-least-once + idempotent consumer', False, False)]
    """
    for name in ("delivery", "idempotent"):
        if name in settings:
            raise TypeError(f"compare_guarantees() sets {name} itself; leave it out")
    records = []
    for (delivery, idempotent), label in _LABELS.items():
        tally = run_lab(scenario, delivery=delivery, idempotent=idempotent, **settings).tally
        records.append({"guarantee": label, **tally.as_dict()})
    return records


def tally_frame(records: list[dict[str, Any]] | list[Tally]):  # type: ignore[no-untyped-def]
    """Records from :func:`compare_guarantees` (or tallies) as a pandas
    DataFrame, indexed by ``guarantee`` when there is one.

    >>> tally_frame(compare_guarantees())[["lost", "duplicated"]]  # doctest: +NORMALIZE_WHITESPACE
                                         lost  duplicated
    guarantee
    at-most-once                            4           0
    at-least-once                           0           2
    at-least-once + idempotent consumer     0           0
    """
    import pandas as pd  # deferred: pandas is heavy and only views need it

    rows = [r.as_dict() if isinstance(r, Tally) else r for r in records]
    frame = pd.DataFrame(rows)
    return frame.set_index("guarantee") if "guarantee" in frame.columns else frame


def _draw(seed: int, what: str, number: int, delivery: int) -> float:
    """A random number in [0, 1) fixed by the seed and the delivery it is about.

    Seeding per delivery (a str seed is hashed with SHA-512, so it is the same
    in every process) makes the first delivery of message 7 meet the same fate
    in an at-most-once run and in an at-least-once run.
    """
    return random.Random(f"{seed}/{what}/{number}/{delivery}").random()


class LabPayload(bytes):
    """A lab message: ``message_bytes`` real bytes that start with ``m<number>:``
    and print short, so traces stay readable.

    >>> LabPayload.make(7, 1000)
    <m7: 1000 bytes>
    """

    __slots__ = ()

    @classmethod
    def make(cls, number: int, size: int) -> LabPayload:
        return cls(f"m{number}:".encode().ljust(size, b"."))

    def __repr__(self) -> str:
        return f"<{self[: self.index(b':')].decode()}: {len(self)} bytes>"


class _Worker:
    def __init__(self, base: str, queue: ReliableQueue[LabPayload]) -> None:
        self.base = base
        self.name = base
        self.queue = queue
        self.incarnation = 1
        self.delivery: Delivery[LabPayload] | None = None  # what it works on
        self.down = False

    @property
    def idle(self) -> bool:
        return not self.down and self.delivery is None


class _Lab:
    def __init__(self, s: LabSettings) -> None:
        self.s = s
        self.clock = VirtualClock()
        self.trace = Trace()
        options: dict[str, Any] = {
            "delivery": s.delivery,
            "visibility_timeout": s.visibility_timeout,
            "max_deliveries": s.max_deliveries,
            "policy": s.policy,
            "clock": self.clock,
            "trace": self.trace,
        }
        self.queue: ReliableQueue[LabPayload] | PartitionedQueue
        if s.partitioned:
            self.queue = PartitionedQueue(s.consumers, s.maxsize, name="lab", **options)
            queues = list(self.queue.partitions)
        else:
            self.queue = ReliableQueue(s.maxsize, name="lab", **options)
            queues = [self.queue] * s.consumers
        self.workers = [_Worker(f"c{i + 1}", queues[i]) for i in range(s.consumers)]
        self.messages = [LabMessage(n, f"k{n % s.keys}" if s.keys else None) for n in range(1, s.messages + 1)]
        self.by_id: dict[int | str, LabMessage] = {}  # by message id (ints, in memory)
        self.outbox: deque[LabMessage] = deque()  # what a held-back producer still has to send
        self.produced = 0
        self.events: list[tuple[float, int, Callable[..., object], tuple[Any, ...]]] = []
        self.order = itertools.count()
        self.effects: list[tuple[float, int, str]] = []
        self.crashes: list[Crash] = []
        self.refused = 0
        self.late_acks = 0
        self.last = 0.0  # when something last happened to a message (not a wake-up that found nothing)
        self.peaks = {"length": 0, "held": 0, "backlog": 0}
        self.sample = LabPayload.make(1, s.message_bytes)
        self.doing: tuple[LabMessage, str] | None = None  # the message whose handler runs now
        self.store = IdempotentConsumer(self._effect, remember=s.remember) if s.idempotent else None

    # -- the event loop ----------------------------------------------------
    def at(self, when: float, action: Callable[..., object], *args: Any) -> None:
        heapq.heappush(self.events, (when, next(self.order), action, args))

    def run(self) -> LabRun:
        s = self.s
        for tick in range(math.ceil(s.messages / s.burst)):
            self.at(tick * s.interval, self._produce)
        budget = 50 * s.messages * (s.max_deliveries or 20) + 10_000
        while self.events:
            when, _, action, args = heapq.heappop(self.events)
            self.clock.advance_to(when)
            action(*args)
            if action is not _nothing:
                self.last = when
            self._dispatch()
            if not self.events or self.events[0][0] > when:
                self._measure()
            budget -= 1
            if budget < 0:  # pragma: no cover - a bug in the lab, not a user error
                raise RuntimeError("the fault lab made no progress; please report this with its settings")
        return self._result()

    def _produce(self) -> None:
        take = self.messages[self.produced : self.produced + self.s.burst]
        self.produced += len(take)
        self.outbox.extend(take)

    def _flush(self) -> bool:
        sent = False
        while self.outbox:
            message = self.outbox[0]
            try:
                message.id = self.queue.send(
                    LabPayload.make(message.number, self.s.message_bytes), key=message.key, timeout=0
                )
            except QueueFull:
                if self.s.policy == "block":
                    break
                message.dropped = True  # policy "raise": the producer got an error and gave up on it
                self.refused += 1
            else:
                self.by_id[message.id] = message
            self.outbox.popleft()
            sent = True
        return sent

    def _dispatch(self) -> None:
        busy = True
        while busy:
            busy = False
            for worker in self.workers:
                # Ask only when something is ready: a failed receive would fill the trace.
                if worker.idle and len(worker.queue):
                    self._start(worker, worker.queue.receive_nowait(consumer=worker.name))
                    busy = True
            busy = self._flush() or busy

    def _measure(self) -> None:
        length = len(self.queue)
        held = length + self.queue.in_flight()
        peaks = self.peaks
        peaks["length"] = max(peaks["length"], length)
        peaks["held"] = max(peaks["held"], held)
        peaks["backlog"] = max(peaks["backlog"], len(self.outbox))

    # -- a worker's life ---------------------------------------------------
    def _crash_point(self, number: int, delivery: int) -> str | None:
        s = self.s
        if delivery == 1 and number in s.crash_on:
            point = s.crash_on[number] or s.crash_point
        elif s.crash_rate and _draw(s.seed, "crash", number, delivery) < s.crash_rate:
            point = s.crash_point
        else:
            return None
        if point == "any":
            before = _draw(s.seed, "point", number, delivery) < 0.5
            point = "before-processing" if before else "after-processing-before-ack"
        return point

    def _start(self, worker: _Worker, delivery: Delivery[LabPayload]) -> None:
        s, now = self.s, self.clock.now()
        self.last = now
        message = self.by_id[delivery.id]
        message.deliveries += 1
        if delivery.deadline is not None:
            self.at(delivery.deadline, _nothing)  # wake idle workers when it comes back
        point = self._crash_point(message.number, delivery.delivery_count)
        if point == "before-processing":
            self._crash(worker, delivery, point)
            return
        worker.delivery = delivery
        seconds = s.service_time
        if s.jitter:
            seconds *= 1 + s.jitter * (2 * _draw(s.seed, "jitter", message.number, delivery.delivery_count) - 1)
        first_and_listed = delivery.delivery_count == 1 and message.number in s.slow_on
        if first_and_listed or (
            s.slow_rate and _draw(s.seed, "slow", message.number, delivery.delivery_count) < s.slow_rate
        ):
            seconds *= s.slow_factor
        self.at(now + seconds, self._finish, worker, delivery, point)

    def _finish(self, worker: _Worker, delivery: Delivery[LabPayload], point: str | None) -> None:
        message = self.by_id[delivery.id]
        message.attempts += 1
        failed = message.number in self.s.poison
        if not failed:
            self.doing = (message, worker.name)
            if self.store is not None:
                self.store((delivery.id, delivery.message))
            else:
                self._effect(delivery.message)
            self.doing = None
        if point == "after-processing-before-ack":
            self._crash(worker, delivery, point)
            return
        worker.delivery = None
        if self.s.delivery == "at-least-once":
            try:
                if failed:
                    delivery.nack(requeue=True)
                else:
                    delivery.ack()
            except StaleDelivery:
                self.late_acks += 1

    def _effect(self, _body: Any) -> None:
        assert self.doing is not None
        message, consumer = self.doing
        now = self.clock.now()
        message.processed += 1
        if message.first_processed is None:
            message.first_processed = now
        self.effects.append((now, message.number, consumer))

    def _crash(self, worker: _Worker, delivery: Delivery[LabPayload], point: str) -> None:
        now = self.clock.now()
        self.crashes.append(Crash(now, worker.name, self.by_id[delivery.id].number, delivery.delivery_count, point))
        worker.down = True
        worker.delivery = None
        self.at(now + self.s.restart_after, self._restart, worker)
        if self.s.heartbeat_timeout is not None:
            self.at(now + self.s.heartbeat_timeout, worker.queue.consumer_died, worker.name)

    def _restart(self, worker: _Worker) -> None:
        worker.incarnation += 1
        worker.name = f"{worker.base}#{worker.incarnation}"
        worker.down = False

    # -- the result --------------------------------------------------------
    def _result(self) -> LabRun:
        s = self.s
        leftover = len(self.queue) + self.queue.in_flight() + len(self.outbox)
        if leftover:  # pragma: no cover - a bug in the lab, not a user error
            raise RuntimeError(f"the fault lab ended with {leftover} messages unsettled; please report this")
        dead = self.queue.dead_letters()
        for row in dead:
            self.by_id[row.id].dead_lettered = True
        dropped = {row.item[0] for row in self.trace.rows if row.outcome == tr.DROPPED}
        for message in self.messages:
            message.dropped = message.dropped or message.id in dropped
        out_of_order, latest, seen = 0, dict[str | None, int](), set[int]()
        for _, number, _ in self.effects:
            if number in seen:  # a duplicate: order is judged on first processing
                continue
            seen.add(number)
            group = self.messages[number - 1].key
            if number < latest.get(group, 0):
                out_of_order += 1
            latest[group] = max(latest.get(group, 0), number)
        tally = Tally(
            sent=s.messages,
            processed=sum(m.processed > 0 for m in self.messages),
            lost=sum(m.outcome == "lost" for m in self.messages),
            duplicated=sum(m.processed > 1 for m in self.messages),
            dead_lettered=len(dead),
            out_of_order=out_of_order,
            peak_length=self.peaks["length"],
            peak_bytes=self.peaks["held"] * estimate_bytes([self.sample]),
            peak_backlog=self.peaks["backlog"],
            dropped=(self.queue.statistics().dropped or 0) + self.refused,
            redeliveries=sum(max(0, m.deliveries - 1) for m in self.messages),
            late_acks=self.late_acks,
            duration=self.last,
        )
        return LabRun(s, tally, self.messages, self.effects, self.crashes, dead, self.trace)


def _nothing() -> None:
    """An event that only wakes the idle workers (a delivery's visibility timeout ran out)."""
