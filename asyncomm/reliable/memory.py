"""Delivery guarantees: acknowledgements, redelivery, dead letters, idempotent consumers.

A plain queue forgets a message the moment a consumer takes it: if that
consumer crashes, the message is gone. A :class:`ReliableQueue` can instead
keep it until the consumer *acknowledges* it:

* ``delivery="at-most-once"`` (auto-ack): the message is settled when it is
  received. A crash after receiving loses it; nothing is ever processed twice.
* ``delivery="at-least-once"`` (manual ack): the consumer calls
  ``delivery.ack()`` when done. An unacknowledged delivery comes back after
  ``visibility_timeout`` seconds of the queue's clock, or at once when its
  consumer is declared dead (``consumer_died``); nothing is lost, but a
  consumer that did the work and crashed before acking makes it run twice.
  After ``max_deliveries`` failed deliveries a message is parked in
  ``dead_letters`` instead of going round forever (a "poison" message).

"Exactly once" is not a queue setting: it is at-least-once delivery plus a
consumer that skips ids it has already processed (:class:`IdempotentConsumer`).

Ordering: one consumer sees messages in send order (ids increase; a message
that comes back keeps its id and goes before newer ones). Several competing
consumers finish in any order; :class:`PartitionedQueue` restores order per key.

The contract (names, verbs, errors) is meant for any backend: an in-memory one
here, a broker such as Redis Streams later.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from typing import Any, NamedTuple

from asyncomm._checks import check_seconds, check_timeout
from asyncomm._queue_core import QueueBase
from asyncomm.clock import Clock
from asyncomm.errors import PrefetchLimitReached, StaleDelivery
from asyncomm.trace import Trace

__all__ = [
    "DELIVERY_MODES",
    "DeadLetter",
    "Delivery",
    "PrefetchLimitReached",
    "ReliableQueue",
    "StaleDelivery",
]

#: The two delivery guarantees a :class:`ReliableQueue` offers.
DELIVERY_MODES = ("at-most-once", "at-least-once")


class DeadLetter(NamedTuple):
    """A message the queue gave up on. ``reason`` is ``"max deliveries"`` (it
    failed ``deliveries`` times) or ``"rejected"`` (``nack(requeue=False)``).

    >>> q = ReliableQueue(max_deliveries=2); _ = q.send("poison")
    >>> q.receive().nack(); q.receive().nack()
    >>> q.dead_letters
    [DeadLetter(id=1, message='poison', reason='max deliveries', deliveries=2)]
    """

    id: int
    message: Any
    reason: str
    deliveries: int


class _Entry:
    """One message and where it is: "ready", "in-flight", "acked", "dead" or "dropped"."""

    __slots__ = ("deliveries", "id", "key", "lease", "message", "state")

    def __init__(self, id: int, message: Any, key: Any) -> None:
        self.id = id
        self.message = message
        self.key = key
        self.deliveries = 0
        self.state = "ready"
        self.lease: Delivery | None = None  # the delivery the queue waits for, while in flight


class _Ids:
    """Increasing message ids; one source may be shared by several queues."""

    def __init__(self) -> None:
        self._next = 1
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            self._next += 1
            return self._next - 1


class Delivery:
    """One handing-over of a message to a consumer, returned by ``receive``.

    ``delivery_count`` is 1 the first time the message is delivered and grows
    each time it comes back; ``redelivered`` is ``delivery_count > 1``. With
    ``delivery="at-least-once"`` call :meth:`ack` once the work is done, or
    :meth:`nack` to give the message back. ``state`` is ``"pending"``,
    ``"acked"``, ``"nacked"``, ``"auto-acked"``, ``"expired"`` or ``"returned"``
    (its consumer was declared dead).

    >>> import asyncomm as ac
    >>> from asyncomm.reliable.memory import ReliableQueue
    >>> q = ReliableQueue(clock=ac.VirtualClock()); _ = q.send("pay")
    >>> d = q.receive_nowait(consumer="c1")
    >>> d.id, d.message, d.delivery_count, d.redelivered, d.state
    (1, 'pay', 1, False, 'pending')
    >>> d.ack(); d.state
    'acked'
    """

    __slots__ = ("_entry", "_queue", "_state", "consumer", "deadline", "delivery_count")

    def __init__(self, queue: ReliableQueue, entry: _Entry, consumer: str, deadline: float | None, state: str) -> None:
        self._queue = queue
        self._entry = entry
        self._state = state
        self.consumer = consumer
        self.delivery_count = entry.deliveries
        #: When the visibility timeout runs out (queue clock), None if never.
        self.deadline = deadline

    @property
    def id(self) -> int:
        return self._entry.id

    @property
    def message(self) -> Any:
        return self._entry.message

    @property
    def key(self) -> Any:
        return self._entry.key

    @property
    def redelivered(self) -> bool:
        return self.delivery_count > 1

    @property
    def state(self) -> str:
        return self._state

    def ack(self) -> None:
        """Tell the queue the work is done: it forgets the message.

        Raises :class:`StaleDelivery` if this delivery was already settled or
        the queue took it back (visibility timeout, consumer declared dead).
        """
        self._queue._settle(self, "ack", requeue=False)

    def nack(self, requeue: bool = True) -> None:
        """Give the message back: ``requeue=True`` to deliver it again (unless
        this was its last allowed delivery: then it is dead-lettered with reason
        ``"max deliveries"``), ``requeue=False`` to dead-letter it at once
        (reason ``"rejected"``). Raises :class:`StaleDelivery` like :meth:`ack`."""
        if not isinstance(requeue, bool):
            raise TypeError(f"requeue must be True or False, got {requeue!r} ({type(requeue).__name__})")
        self._queue._settle(self, "nack", requeue=requeue)

    def __repr__(self) -> str:
        return (
            f"<Delivery of message {self.id} {self.message!r}: delivery {self.delivery_count} "
            f"to {self.consumer!r}, {self._state}>"
        )


def _check_consumer(consumer: Any) -> str:
    if not isinstance(consumer, str) or not consumer:
        raise TypeError(f"consumer must be a non-empty str naming the consumer, got {consumer!r}")
    return consumer


def _check_count(value: Any, what: str, *, minimum: int, meaning: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}{meaning}, got {value!r}")
    return value


def check_delivery_options(
    delivery: Any, visibility_timeout: Any, max_deliveries: Any
) -> tuple[str, float, int | None]:
    """The acknowledged-delivery options every backend takes, checked once for all of them.

    >>> check_delivery_options("at-least-once", 30, 5)
    ('at-least-once', 30.0, 5)
    """
    if delivery not in DELIVERY_MODES:
        raise ValueError(
            f"delivery must be 'at-most-once' (auto-ack) or 'at-least-once' (manual ack), got {delivery!r}"
        )
    seconds = check_seconds(visibility_timeout, "visibility_timeout")
    if seconds == 0:
        raise ValueError(
            "visibility_timeout must be > 0 seconds: with 0 every delivery would expire before it could be acked"
        )
    if max_deliveries is not None:
        _check_count(max_deliveries, "max_deliveries", minimum=1, meaning=" or None (never dead-letter)")
    return delivery, seconds, max_deliveries


def _deliveries(n: int) -> str:
    return "1 unacked delivery" if n == 1 else f"{n} unacked deliveries"


class ReliableQueue(QueueBase):
    """A FIFO queue with acknowledgements: at-most-once or at-least-once delivery.

    Thread-safe. ``maxsize`` bounds the *ready* messages (0: unbounded) and
    ``policy`` says what a send to a full queue does, as for
    :class:`~asyncomm.MessageQueue`; a message coming back is never refused, so
    ``len(q)`` can briefly exceed ``maxsize``. ``prefetch`` (0: unlimited) is
    how many unacked deliveries one consumer may hold: at the limit
    ``receive_nowait`` raises :class:`PrefetchLimitReached` and ``receive``
    waits. Times are seconds of the queue's clock, and expired deliveries
    return exactly ``visibility_timeout`` after they were received (checked
    whenever the queue is used; waiting receivers wake for it).

    >>> import asyncomm as ac
    >>> clock = ac.VirtualClock()
    >>> q = ReliableQueue(visibility_timeout=30, clock=clock)
    >>> q.send("pay 10")
    1
    >>> d = q.receive(consumer="c1")   # ... and c1 crashes: no ack
    >>> _ = clock.advance(30)
    >>> again = q.receive(consumer="c2")
    >>> again.id, again.delivery_count, again.redelivered
    (1, 2, True)
    >>> again.ack(); len(q), q.in_flight()
    (0, 0)
    """

    def __init__(
        self,
        maxsize: int = 0,
        *,
        delivery: str = "at-least-once",
        visibility_timeout: float = 30.0,
        max_deliveries: int | None = 5,
        prefetch: int = 0,
        policy: str = "block",
        clock: Clock | None = None,
        trace: Trace | None = None,
        name: str = "queue",
    ) -> None:
        super().__init__(maxsize, policy, clock, trace, name)
        self.delivery, self.visibility_timeout, self.max_deliveries = check_delivery_options(
            delivery, visibility_timeout, max_deliveries
        )
        self.prefetch = _check_count(prefetch, "prefetch", minimum=0, meaning=" (0 means unlimited)")
        self._ids = _Ids()
        self._leases: dict[int, Delivery] = {}  # id -> the delivery the queue waits for
        self._held: dict[str, set[int]] = {}  # consumer -> ids it holds unacked
        self._expiries: list[tuple[float, int, int]] = []  # heap of (deadline, id, delivery_count)
        self._dead: list[DeadLetter] = []
        # self._items (from QueueBase) holds the ready _Entry objects, kept sorted by id.
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # a message or a prefetch slot may be free
        self._room = threading.Condition(self._lock)  # a bounded queue has room
        self._receivers_waiting = 0
        self._senders_waiting = 0

    # -- state -------------------------------------------------------------
    def __len__(self) -> int:
        """Messages ready to be delivered (not the ones in flight)."""
        with self._lock:
            self._expire()
            return len(self._items)

    def empty(self) -> bool:
        return len(self) == 0

    def full(self) -> bool:
        return 0 < self._maxsize <= len(self)

    def in_flight(self) -> int:
        """Deliveries waiting for an ack (always 0 with at-most-once)."""
        with self._lock:
            self._expire()
            return len(self._leases)

    def held_by(self, consumer: str) -> int:
        """How many unacked deliveries ``consumer`` holds (what ``prefetch`` limits)."""
        with self._lock:
            self._expire()
            return len(self._held.get(consumer, ()))

    @property
    def dead_letters(self) -> list[DeadLetter]:
        """The messages given up on, in the order they were dead-lettered."""
        with self._lock:
            self._expire()
            return list(self._dead)

    def snapshot(self) -> list[Any]:
        """The ready messages, in delivery order, without removing them."""
        with self._lock:
            self._expire()
            return [entry.message for entry in self._items]

    # -- sending -----------------------------------------------------------
    def send(self, message: Any, *, key: Any = None, timeout: float | None = None) -> int:
        """Queue ``message`` and return its id (1, 2, 3, ... in send order).

        ``key`` travels with the message (see :class:`PartitionedQueue`). A full
        bounded queue follows ``policy``; with ``"block"`` it waits up to
        ``timeout`` s for room, then raises :class:`~asyncomm.QueueFull`.
        With ``"drop-newest"`` the message gets an id and is dropped at once.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        with self._lock:
            self._expire()
            if self._closed:
                raise self._closed_error((None, message))
            if self._maxsize and len(self._items) >= self._maxsize:
                if self._policy == "block":
                    self._wait_for_room(message, timeout)
                elif self._shed(message):
                    entry = _Entry(self._ids.take(), message, key)
                    entry.state = "dropped"
                    self._record_failure("send", (entry.id, message), "dropped")
                    return entry.id
            entry = _Entry(self._ids.take(), message, key)
            self._items.append(entry)
            if self._receivers_waiting:
                self._ready.notify_all()
            if self.trace is not None:
                self._record("send", (entry.id, message))
            return entry.id

    def _shed(self, msg: Any) -> bool:
        if self._policy == "raise":
            return super()._shed((None, msg))  # raises QueueFull
        self.dropped += 1
        if self._policy == "drop-newest":
            return True
        oldest = self._items.popleft()
        oldest.state = "dropped"
        self._record_failure("drop", (oldest.id, oldest.message), "dropped")
        return False

    def _wait_for_room(self, message: Any, timeout: float | None) -> None:
        clock = self.clock
        deadline = None if timeout is None else clock.now() + timeout
        self._senders_waiting += 1
        try:
            while len(self._items) >= self._maxsize:
                if self._closed:
                    raise self._closed_error((None, message))
                if deadline is not None and clock.now() >= deadline:
                    raise self._full_error((None, message), timeout)
                clock.wait(self._room, deadline)
        finally:
            self._senders_waiting -= 1

    # -- receiving ---------------------------------------------------------
    def receive(self, consumer: str = "consumer", timeout: float | None = None) -> Delivery:
        """Take the oldest ready message as a :class:`Delivery` for ``consumer``.

        Waits up to ``timeout`` s (``None``: forever) for a message, or for a
        prefetch slot. Raises :class:`~asyncomm.QueueEmpty` or
        :class:`PrefetchLimitReached` when the timeout runs out, and
        :class:`~asyncomm.QueueClosed` once the queue is closed, drained and
        has nothing in flight that could come back.
        """
        consumer = _check_consumer(consumer)
        if timeout is not None:
            timeout = check_timeout(timeout)
        with self._lock:
            self._expire()
            if not self._items or self._at_limit(consumer):
                self._wait_to_take(consumer, timeout)
            entry = self._items.popleft()
            entry.deliveries += 1
            clock = self.clock
            if self.delivery == "at-most-once":
                entry.state = "acked"
                delivery = Delivery(self, entry, consumer, None, "auto-acked")
            else:
                deadline = clock.now() + self.visibility_timeout
                if deadline == float("inf"):
                    deadline_or_none = None
                else:
                    deadline_or_none = deadline
                    heapq.heappush(self._expiries, (deadline, entry.id, entry.deliveries))
                delivery = Delivery(self, entry, consumer, deadline_or_none, "pending")
                entry.state = "in-flight"
                entry.lease = delivery
                self._leases[entry.id] = delivery
                self._held.setdefault(consumer, set()).add(entry.id)
            if self._senders_waiting:
                self._room.notify()
            if self.trace is not None:
                self._record("receive", (entry.id, entry.message))
                if self.delivery == "at-most-once":
                    self._record("ack", (entry.id, entry.message), "auto")
            return delivery

    def receive_nowait(self, consumer: str = "consumer") -> Delivery:
        """Receive without waiting: :class:`~asyncomm.QueueEmpty` or
        :class:`PrefetchLimitReached` at once if nothing can be taken."""
        return self.receive(consumer, timeout=0)

    def _at_limit(self, consumer: str) -> bool:
        return 0 < self.prefetch <= len(self._held.get(consumer, ()))

    def _wait_to_take(self, consumer: str, timeout: float | None) -> None:
        clock = self.clock
        deadline = None if timeout is None else clock.now() + timeout
        self._receivers_waiting += 1
        try:
            while True:
                self._expire()
                at_limit = self._at_limit(consumer)
                if self._items and not at_limit:
                    return
                if self._closed and not self._items and not self._leases:
                    raise self._drained_error()
                if deadline is not None and clock.now() >= deadline:
                    if at_limit:
                        raise self._prefetch_error(consumer, timeout)
                    raise self._empty_error(timeout)
                # Wake for the caller's deadline or the next expiry, whichever is first.
                wake = self._expiries[0][0] if self._expiries else None
                if wake is None or (deadline is not None and deadline < wake):
                    wake = deadline
                clock.wait(self._ready, wake)
        finally:
            self._receivers_waiting -= 1

    def _prefetch_error(self, consumer: str, timeout: float | None) -> PrefetchLimitReached:
        self._record_failure("receive", None, "PrefetchLimitReached")
        held = _deliveries(len(self._held[consumer]))
        if timeout == 0:
            return PrefetchLimitReached(
                f"consumer {consumer!r} holds {held}, its prefetch limit on queue {self.name!r}; "
                f"ack or nack one before receiving more, or raise prefetch"
            )
        return PrefetchLimitReached(
            f"consumer {consumer!r} still held {held} (its prefetch limit on queue {self.name!r}) "
            f"after waiting {timeout:g} s; ack or nack one before receiving more, or raise prefetch"
        )

    # -- settling ----------------------------------------------------------
    def _settle(self, delivery: Delivery, verb: str, requeue: bool) -> None:
        with self._lock:
            self._expire()
            entry = delivery._entry
            if entry.lease is not delivery:
                raise self._stale_error(delivery, verb)
            self._release(delivery, "acked" if verb == "ack" else "nacked")
            if self.trace is not None:
                self._record(verb, (entry.id, entry.message))
            if verb == "ack":
                entry.state = "acked"
            elif requeue:
                self._put_back(entry, "nacked")
            else:
                self._bury(entry, "rejected")

    def _release(self, delivery: Delivery, state: str) -> None:
        entry = delivery._entry
        entry.lease = None
        delivery._state = state
        del self._leases[entry.id]
        held = self._held[delivery.consumer]
        held.discard(entry.id)
        if not held:
            del self._held[delivery.consumer]
        if self._receivers_waiting:
            self._ready.notify_all()  # a prefetch slot is free

    def _put_back(self, entry: _Entry, why: str) -> None:
        """Make an unacked message ready again, or dead-letter it if that was its last delivery."""
        if self.max_deliveries is not None and entry.deliveries >= self.max_deliveries:
            self._bury(entry, "max deliveries")
            return
        entry.state = "ready"
        items = self._items
        if not items or items[-1].id < entry.id:
            items.append(entry)
        else:
            items.insert(bisect.bisect_left(items, entry.id, key=lambda e: e.id), entry)
        if self.trace is not None:
            self._record("redeliver", (entry.id, entry.message), why)
        if self._receivers_waiting:
            self._ready.notify_all()

    def _bury(self, entry: _Entry, reason: str) -> None:
        entry.state = "dead"
        self._dead.append(DeadLetter(entry.id, entry.message, reason, entry.deliveries))
        if self.trace is not None:
            self._record("dead-letter", (entry.id, entry.message), reason)

    def _expire(self) -> None:
        """Take back every delivery whose visibility timeout has run out (lock held)."""
        expiries = self._expiries
        if not expiries:
            return
        now = self.clock.now()
        while expiries and expiries[0][0] <= now:
            _, id, count = heapq.heappop(expiries)
            lease = self._leases.get(id)
            if lease is not None and lease.delivery_count == count:
                self._release(lease, "expired")
                self._put_back(lease._entry, "visibility timeout")
        # Settled deliveries leave stale heap rows behind; rebuild when they dominate.
        if len(expiries) > 2 * len(self._leases) + 64:
            self._expiries = []
            for lease in self._leases.values():
                if lease.deadline is not None:
                    self._expiries.append((lease.deadline, lease.id, lease.delivery_count))
            heapq.heapify(self._expiries)

    def consumer_died(self, consumer: str) -> int:
        """Declare ``consumer`` dead: its unacked deliveries go back at once
        (or to the dead letters, if that was their last delivery). Returns how many."""
        consumer = _check_consumer(consumer)
        with self._lock:
            self._expire()
            ids = sorted(self._held.get(consumer, ()))
            for id in ids:
                lease = self._leases[id]
                self._release(lease, "returned")
                self._put_back(lease._entry, "consumer died")
            return len(ids)

    def _stale_error(self, delivery: Delivery, verb: str) -> StaleDelivery:
        entry = delivery._entry
        self._record_failure(verb, (entry.id, entry.message), "StaleDelivery")
        which = f"message {entry.id} (delivery {delivery.delivery_count} to consumer {delivery.consumer!r})"
        state = delivery._state
        if state in ("acked", "nacked"):
            return StaleDelivery(f"{which} was already {state}; ack or nack each delivery exactly once")
        if state == "auto-acked":
            return StaleDelivery(
                f"message {entry.id} was acknowledged automatically when consumer {delivery.consumer!r} "
                f"received it (delivery='at-most-once'); there is nothing to {verb}: use "
                f"delivery='at-least-once' to acknowledge by hand"
            )
        if state == "expired":
            why = f"it was not acked within the visibility timeout of {self.visibility_timeout:g} s"
            advice = "ack sooner, raise visibility_timeout"
        else:
            why = f"consumer {delivery.consumer!r} was declared dead"
            advice = "declare a consumer dead only once it has stopped"
        if entry.lease is not None:
            since = (
                f" and delivered it again (delivery {entry.lease.delivery_count} to consumer {entry.lease.consumer!r})"
            )
        else:
            since = {
                "ready": " and it waits to be delivered again",
                "acked": " and a later delivery of it was acked",
                "dead": " and it was dead-lettered",
                "dropped": f" and it was dropped (policy {self._policy!r})",
            }[entry.state]
        if entry.lease is not None or entry.state in ("ready", "acked"):
            advice = f"the work may be done twice: {advice}, or make the consumer idempotent"
        return StaleDelivery(f"too late to {verb} {which}: {why}, so the queue took it back{since}; {advice}")

    # -- closing -----------------------------------------------------------
    def close(self) -> None:
        """Refuse new messages. Receivers still get what is ready and what
        comes back; then :class:`~asyncomm.QueueClosed`. Closing twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._ready.notify_all()
            self._room.notify_all()
            if self.trace is not None:
                self._record("close", None)

    def __repr__(self) -> str:
        with self._lock:
            self._expire()
            ready, flying = len(self._items), len(self._leases)
        state = ", closed" if self._closed else ""
        return (
            f"<ReliableQueue {self.name!r} ({self.delivery}): {ready} ready, {flying} in flight, "
            f"{len(self._dead)} dead-lettered{state}>"
        )
