"""Delivery guarantees in memory: acknowledgements, redelivery, dead letters.

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
  After ``max_deliveries`` failed deliveries a message is parked in the
  dead letters (``dead_letters()``) instead of going round forever (a "poison" message).

"Exactly once" is not a queue setting: it is at-least-once delivery plus a
consumer that skips ids it has already processed (:class:`~asyncomm.reliable.IdempotentConsumer`).

Ordering: one consumer sees messages in send order (ids increase; a message
that comes back keeps its id and goes before newer ones). Several competing
consumers finish in any order; :class:`~asyncomm.reliable.PartitionedQueue` restores order per key.

The contract (names, verbs, errors) is the one of :mod:`asyncomm.reliable.contract`, the same on a broker
such as Redis Streams.
"""

from __future__ import annotations

import bisect
import heapq
import math
import threading
from collections.abc import Iterator
from typing import Any, Generic

import asyncomm.reliable.contract as contract
from asyncomm import trace as tr
from asyncomm._checks import check_int, check_timeout
from asyncomm._queue_core import DROPPED, TAKE, WAIT, Closing, QueueCore, T, ThreadLine
from asyncomm.clock import Clock
from asyncomm.errors import PrefetchLimitReached, QueueClosed, StaleDelivery
from asyncomm.reliable.contract import (
    ACKED,
    AUTO_ACKED,
    DELIVERY_MODES,
    EXPIRED,
    NACKED,
    PENDING,
    RETURNED,
    DeadLetter,
    check_consumer,
    check_delivery_options,
)
from asyncomm.statistics import QueueStatistics
from asyncomm.trace import Trace

__all__ = [
    "DELIVERY_MODES",
    "DeadLetter",
    "Delivery",
    "PrefetchLimitReached",
    "ReliableQueue",
    "StaleDelivery",
    "check_delivery_options",
]

# Where a message is: waiting to be delivered, delivered and not settled yet, or gone for good.
READY, IN_FLIGHT, DONE, DEAD, THROWN_AWAY, CLEARED = "ready", "in-flight", "acked", "dead", "dropped", "cleared"


class _Entry:
    """One message and where it is (one of the states above)."""

    __slots__ = ("deliveries", "id", "key", "lease", "message", "state")

    def __init__(self, id: int, message: Any, key: Any) -> None:
        self.id = id
        self.message = message
        self.key = key
        self.deliveries = 0
        self.state = READY
        self.lease: Delivery[Any] | None = None  # the delivery the queue waits for, while in flight


class _Ids:
    """Increasing message ids; one source may be shared by several queues."""

    def __init__(self) -> None:
        self._next = 1
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            self._next += 1
            return self._next - 1


class _ReadyLine(QueueCore[_Entry]):
    """The ready messages of a :class:`ReliableQueue`, kept in id order, under the rules of every queue.

    Its trace rows show ``(id, message)``, and a message dropped to make room is marked as such, so that a
    late ``ack`` of an earlier delivery of it can say what became of it.
    """

    def _drop_oldest(self) -> None:
        oldest = self._items.popleft()
        oldest.state = THROWN_AWAY
        self._record(tr.DROP, (oldest.id, oldest.message), tr.DROPPED)


class Delivery(contract.Delivery[T]):
    """One handing-over of a message to a consumer, returned by ``receive``.

    The fields and states are those of every backend (:class:`asyncomm.reliable.contract.Delivery`);
    ``deadline`` is when the visibility timeout runs out (the queue's clock; None if never). With
    ``delivery="at-least-once"`` call :meth:`ack` once the work is done, or :meth:`nack` to give the
    message back.

    >>> import asyncomm as ac
    >>> clock = ac.VirtualClock()
    >>> q = ReliableQueue(visibility_timeout=30, clock=clock); _ = q.send("pay")
    >>> d = q.receive_nowait(consumer="c1")
    >>> d.id, d.message, d.delivery_count, d.redelivered, d.state, d.deadline
    (1, 'pay', 1, False, 'pending', 30.0)
    >>> _ = clock.advance(30); d.state
    'expired'
    """

    __slots__ = ("_entry", "_queue", "deadline")
    id: int  # in memory, ids are ints: 1, 2, 3, ...

    def __init__(
        self, queue: ReliableQueue[T], entry: _Entry, consumer: str, deadline: float | None, state: str
    ) -> None:
        super().__init__(entry.id, entry.message, entry.key, consumer, entry.deliveries, state)
        self._queue = queue
        self._entry = entry
        #: When the visibility timeout runs out (queue clock), None if never.
        self.deadline = deadline

    @property
    def state(self) -> str:
        """The state as of now: a pending delivery whose visibility timeout has run out is ``"expired"``,
        even before the queue's next verb takes the message back."""
        if self._state == PENDING and self.deadline is not None and self._queue.clock.now() >= self.deadline:
            return EXPIRED
        return self._state

    def ack(self) -> None:
        """Tell the queue the work is done: it forgets the message.

        Raises :class:`~asyncomm.StaleDelivery` if this delivery was already settled or
        the queue took it back (visibility timeout, consumer declared dead).
        """
        self._queue._settle(self, tr.ACK, requeue=False)

    def nack(self, requeue: bool = True) -> None:
        """Give the message back: ``requeue=True`` to deliver it again (unless
        this was its last allowed delivery: then it is dead-lettered with reason
        ``"max deliveries"``), ``requeue=False`` to dead-letter it at once
        (reason ``"rejected"``). Raises :class:`~asyncomm.StaleDelivery` like :meth:`ack`."""
        self._queue._settle(self, tr.NACK, requeue=requeue)


def _deliveries(n: int) -> str:
    return "1 unacked delivery" if n == 1 else f"{n} unacked deliveries"


class ReliableQueue(Closing, Generic[T]):
    """A FIFO queue with acknowledgements: at-most-once or at-least-once delivery.

    Thread-safe. ``maxsize`` bounds the *ready* messages (0: unbounded) and
    ``policy`` says what a send to a full queue does, as for
    :class:`~asyncomm.MessageQueue`; a message coming back is never refused, so
    ``len(q)`` (the ready messages) can briefly exceed ``maxsize``. ``prefetch``
    (0: unlimited) is how many unacked deliveries one consumer may hold: at the
    limit ``receive_nowait`` raises :class:`~asyncomm.PrefetchLimitReached` and
    ``receive`` waits. Times are seconds of the queue's clock.

    A delivery not acked within ``visibility_timeout`` is taken back by the
    queue's next verb (``send``, ``receive``, ``ack`` ...; a waiting receiver
    wakes for it). Questions -- ``len``, ``ready()``, ``in_flight()``,
    ``dead_letters()``, ``statistics()`` -- change nothing: they answer as of now,
    counting such a delivery as ready again (or dead, if that was its last
    allowed delivery).

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
    >>> again.ack(); q.ready(), q.in_flight()
    (0, 0)

    ``for delivery in q`` receives (as consumer ``"consumer"``) until the queue is closed and drained;
    ``with`` closes the queue when the block ends:

    >>> with ReliableQueue(clock=clock) as q:
    ...     _ = q.send("a"); _ = q.send("b")
    >>> for delivery in q:
    ...     delivery.ack()
    ...     print(delivery.message)
    a
    b
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
        self._delivery, self._visibility_timeout, self._max_deliveries = check_delivery_options(
            delivery, visibility_timeout, max_deliveries
        )
        self._prefetch = check_int(prefetch, "prefetch", minimum=0, meaning=" (0 means unlimited)")
        # The ready messages and the rules every queue shares (capacity, policy, closing, errors, trace rows).
        self._ready = _ReadyLine(maxsize, policy, clock, trace, name)
        self._ids = _Ids()
        self._leases: dict[int, Delivery[T]] = {}  # id -> the delivery the queue waits for
        self._held: dict[str, set[int]] = {}  # consumer -> ids it holds unacked
        self._expiries: list[tuple[float, int, int]] = []  # heap of (deadline, id, delivery_count)
        self._dead: list[DeadLetter] = []
        self._lock = threading.Lock()
        # Receivers are all woken when a message or a prefetch slot frees: only each one knows its own limit.
        self._receivers = ThreadLine(self._lock)
        self._senders = ThreadLine(self._lock)  # waiting for room in a bounded queue

    # -- options (read-only) --------------------------------------------------
    @property
    def name(self) -> str:
        return self._ready.name

    @property
    def delivery(self) -> str:
        """``"at-most-once"`` (auto-ack on receive) or ``"at-least-once"`` (manual ack)."""
        return self._delivery

    @property
    def visibility_timeout(self) -> float:
        """Seconds a delivery may stay unacked before the queue takes the message back."""
        return self._visibility_timeout

    @property
    def max_deliveries(self) -> int | None:
        """Deliveries after which a message is dead-lettered instead of coming back (None: never)."""
        return self._max_deliveries

    @property
    def prefetch(self) -> int:
        """How many unacked deliveries one consumer may hold (0: unlimited)."""
        return self._prefetch

    @property
    def maxsize(self) -> int:
        """Capacity for ready messages; 0 means unbounded."""
        return self._ready.maxsize

    @property
    def policy(self) -> str:
        """What a send to a full queue does (see :class:`~asyncomm.MessageQueue`)."""
        return self._ready.policy

    @property
    def clock(self) -> Clock:
        return self._ready.clock

    @property
    def trace(self) -> Trace | None:
        return self._ready.trace

    @property
    def closed(self) -> bool:
        return self._ready.closed

    # -- questions: they answer as of now and change nothing -----------------------
    def _overdue(self) -> tuple[list[_Entry], list[_Entry]]:
        """The deliveries whose visibility timeout has run out but that no verb has taken back yet, as two
        lists of entries in id order: those that will be ready again, and those that will be dead-lettered
        (their last allowed delivery). Lock held; changes nothing."""
        expiries = self._expiries
        now = self.clock.now()
        if not expiries or expiries[0][0] > now:  # the earliest deadline is still to come: nothing is due
            return [], []
        due = sorted(
            (lease for lease in self._leases.values() if lease.deadline is not None and lease.deadline <= now),
            key=lambda lease: (lease.deadline, lease.id),  # the order in which _expire will take them back
        )
        back = [lease._entry for lease in due if not self._last_delivery(lease._entry)]
        dead = [lease._entry for lease in due if self._last_delivery(lease._entry)]
        return sorted(back, key=lambda entry: entry.id), dead

    def __len__(self) -> int:
        """Messages ready to be delivered (not the ones in flight)."""
        return self.ready()

    def ready(self) -> int:
        """Messages ready to be delivered (not the ones in flight)."""
        with self._lock:
            back, _ = self._overdue()
            return len(self._ready) + len(back)

    def in_flight(self) -> int:
        """Deliveries waiting for an ack (always 0 with at-most-once)."""
        with self._lock:
            back, dead = self._overdue()
            return len(self._leases) - len(back) - len(dead)

    def dead_letters(self) -> list[DeadLetter]:
        """The messages given up on, in the order they were dead-lettered."""
        with self._lock:
            _, dead = self._overdue()
            return [*self._dead, *(DeadLetter(e.id, e.message, tr.MAX_DELIVERIES, e.deliveries) for e in dead)]

    def snapshot(self) -> list[T]:
        """The ready messages, in delivery order, without removing them."""
        with self._lock:
            back, _ = self._overdue()
            return [entry.message for entry in sorted([*self._ready._items, *back], key=lambda entry: entry.id)]

    def statistics(self) -> QueueStatistics:
        """The queue's counters at this instant.

        >>> q = ReliableQueue(name="jobs"); _ = q.send("a"); _ = q.send("b"); d = q.receive()
        >>> q.statistics()
        QueueStatistics(name='jobs', ready=1, maxsize=0, closed=False, senders_waiting=0, receivers_waiting=0, \
dropped=0, in_flight=1, dead=0)
        """
        with self._lock:
            back, dead = self._overdue()
            return QueueStatistics(
                self.name,
                ready=len(self._ready) + len(back),
                maxsize=self._ready.maxsize,
                closed=self._ready.closed,
                senders_waiting=self._senders.count,
                receivers_waiting=self._receivers.count,
                dropped=self._ready._dropped,
                in_flight=len(self._leases) - len(back) - len(dead),
                dead=len(self._dead) + len(dead),
            )

    def __repr__(self) -> str:
        s = self.statistics()
        state = ", closed" if s.closed else ""
        return (
            f"<ReliableQueue {s.name!r} ({self._delivery}): {s.ready} ready, {s.in_flight} in flight, "
            f"{s.dead} dead-lettered{state}>"
        )

    # -- sending -----------------------------------------------------------
    def send(self, message: T, *, key: Any = None, timeout: float | None = None) -> int:
        """Queue ``message`` and return its id (1, 2, 3, ... in send order).

        ``key`` travels with the message (see :class:`~asyncomm.reliable.PartitionedQueue`). A full
        bounded queue follows ``policy``; with ``"block"`` it waits up to
        ``timeout`` s for room, then raises :class:`~asyncomm.QueueFull`.
        With ``"drop-newest"`` the message gets an id and is dropped at once.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        with self._lock:
            self._expire()
            ready = self._ready
            if ready._closed or 0 < ready._maxsize <= len(ready._items):  # closed or full: the shared rules decide
                decision = self._wait_for_room(message, timeout)
                if decision == DROPPED:
                    entry = _Entry(self._ids.take(), message, key)
                    entry.state = THROWN_AWAY
                    ready._record(tr.SEND, (entry.id, message), tr.DROPPED)
                    return entry.id
            entry = _Entry(self._ids.take(), message, key)
            ready._items.append(entry)
            if self._receivers.count:
                self._receivers.wake_all()
            if ready.trace is not None:
                ready._record(tr.SEND, (entry.id, message))
            return entry.id

    def send_nowait(self, message: T, *, key: Any = None) -> int:
        """Send without waiting: raise :class:`~asyncomm.QueueFull` at once if full."""
        return self.send(message, key=key, timeout=0)

    # The slow paths are methods of their own: a lambda inside send() or receive() would make their
    # variables closure cells, which costs time on every call, even when nothing waits.
    def _wait_for_room(self, message: T, timeout: float | None) -> str:
        """Apply the rules (closed? room? policy?), waiting up to ``timeout`` s: APPEND or DROPPED, or raise."""
        ready = self._ready
        item = (None, message)  # what the trace shows of a message that has no id yet
        return self._senders.wait(
            ready.clock, lambda: ready.admit(item), timeout, lambda: ready._full_error(item, timeout)
        )

    # -- receiving ---------------------------------------------------------
    def receive(self, *, consumer: str = "consumer", timeout: float | None = None) -> Delivery[T]:
        """Take the oldest ready message as a :class:`Delivery` for ``consumer``.

        Waits up to ``timeout`` s (``None``: forever) for a message, or for a
        prefetch slot. Raises :class:`~asyncomm.QueueEmpty` or
        :class:`~asyncomm.PrefetchLimitReached` when the timeout runs out, and
        :class:`~asyncomm.QueueClosed` once the queue is closed, drained and
        has nothing in flight that could come back.
        """
        consumer = check_consumer(consumer)
        if timeout is not None:
            timeout = check_timeout(timeout)
        with self._lock:
            self._expire()
            ready = self._ready
            if not ready._items or self._at_limit(consumer):
                self._wait_to_take(consumer, timeout)
            entry = ready._items.popleft()
            entry.deliveries += 1
            if self._delivery == "at-most-once":
                entry.state = DONE
                delivery = Delivery(self, entry, consumer, None, AUTO_ACKED)
            else:
                expires = ready.clock.now() + self._visibility_timeout
                deadline = None if math.isinf(expires) else expires  # an infinite visibility timeout never runs out
                if deadline is not None:
                    heapq.heappush(self._expiries, (deadline, entry.id, entry.deliveries))
                delivery = Delivery(self, entry, consumer, deadline, PENDING)
                entry.state = IN_FLIGHT
                entry.lease = delivery
                self._leases[entry.id] = delivery
                self._held.setdefault(consumer, set()).add(entry.id)
            if self._senders.count:
                self._senders.wake_one()
            if ready.trace is not None:
                ready._record(tr.RECEIVE, (entry.id, entry.message))
                if self._delivery == "at-most-once":
                    ready._record(tr.ACK, (entry.id, entry.message), tr.AUTO)
            return delivery

    def receive_nowait(self, *, consumer: str = "consumer") -> Delivery[T]:
        """Receive without waiting: :class:`~asyncomm.QueueEmpty` or
        :class:`~asyncomm.PrefetchLimitReached` at once if nothing can be taken."""
        return self.receive(consumer=consumer, timeout=0)

    def __iter__(self) -> Iterator[Delivery[T]]:
        """Receive delivery after delivery (as consumer ``"consumer"``, waiting for each) until the queue is
        closed and drained. Settle each one: with at-least-once, the queue waits for its ack."""
        while True:
            try:
                delivery = self.receive()
            except QueueClosed:
                return
            yield delivery

    def _wait_to_take(self, consumer: str, timeout: float | None) -> None:
        """Wait up to ``timeout`` s until ``consumer`` may take a message; wake also when a delivery's
        visibility timeout runs out (it may come back). Raise once closed and drained."""
        ready = self._ready
        self._receivers.wait(
            ready.clock,
            lambda: self._can_take(consumer),
            timeout,
            lambda: (
                self._prefetch_error(consumer, timeout) if self._at_limit(consumer) else ready._empty_error(timeout)
            ),
            next_wake=lambda: self._expiries[0][0] if self._expiries else None,
        )

    def _can_take(self, consumer: str) -> str:
        """What a receive by ``consumer`` may do now: TAKE or WAIT, or raise once closed and drained."""
        self._expire()
        ready = self._ready
        if ready._items and not self._at_limit(consumer):
            return TAKE
        if ready.closed and not ready._items and not self._leases:
            raise ready._drained_error()
        return WAIT

    def _at_limit(self, consumer: str) -> bool:
        return 0 < self._prefetch <= len(self._held.get(consumer, ()))

    def _prefetch_error(self, consumer: str, timeout: float | None) -> PrefetchLimitReached:
        self._ready._record(tr.RECEIVE, None, tr.PREFETCH_LIMIT_REACHED)
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
    def _settle(self, delivery: Delivery[T], verb: str, requeue: bool) -> None:
        entry = delivery._entry
        with self._lock:
            try:  # already acked or nacked, auto-acked, requeue not a bool: the checks every backend shares
                delivery._check_settle(verb, requeue)
            except StaleDelivery:
                self._ready._record(verb, (entry.id, entry.message), tr.STALE_DELIVERY)
                raise
            self._expire()
            if entry.lease is not delivery:
                raise self._too_late(delivery, verb)
            self._release(delivery, ACKED if verb == tr.ACK else NACKED)
            if self._ready.trace is not None:
                self._ready._record(verb, (entry.id, entry.message))
            if verb == tr.ACK:
                entry.state = DONE
            elif requeue:
                self._put_back(entry, tr.NACKED)
            else:
                self._bury(entry, tr.REJECTED)

    def _release(self, delivery: Delivery[T], state: str) -> None:
        entry = delivery._entry
        entry.lease = None
        delivery._state = state
        del self._leases[entry.id]
        held = self._held[delivery.consumer]
        held.discard(entry.id)
        if not held:
            del self._held[delivery.consumer]
        if self._receivers.count:
            self._receivers.wake_all()  # a prefetch slot is free

    def _last_delivery(self, entry: _Entry) -> bool:
        return self._max_deliveries is not None and entry.deliveries >= self._max_deliveries

    def _put_back(self, entry: _Entry, why: str) -> None:
        """Make an unacked message ready again, or dead-letter it if that was its last delivery."""
        if self._last_delivery(entry):
            self._bury(entry, tr.MAX_DELIVERIES)
            return
        entry.state = READY
        items = self._ready._items
        if not items or items[-1].id < entry.id:
            items.append(entry)
        else:  # it goes before the newer messages: the ready line stays in id order
            items.insert(bisect.bisect_left(items, entry.id, key=lambda e: e.id), entry)
        self._ready._record(tr.REDELIVER, (entry.id, entry.message), why)
        if self._receivers.count:
            self._receivers.wake_all()

    def _bury(self, entry: _Entry, reason: str) -> None:
        entry.state = DEAD
        self._dead.append(DeadLetter(entry.id, entry.message, reason, entry.deliveries))
        self._ready._record(tr.DEAD_LETTER, (entry.id, entry.message), reason)

    def _expire(self) -> None:
        """Take back every delivery whose visibility timeout has run out. Lock held; only verbs call it."""
        expiries = self._expiries
        if not expiries:
            return
        now = self._ready.clock.now()
        while expiries and expiries[0][0] <= now:
            _, id, count = heapq.heappop(expiries)
            lease = self._leases.get(id)
            if lease is not None and lease.delivery_count == count:
                self._release(lease, EXPIRED)
                self._put_back(lease._entry, tr.VISIBILITY_TIMEOUT)
        # Settled deliveries leave stale heap rows behind; rebuild when they dominate.
        if len(expiries) > 2 * len(self._leases) + 64:
            self._expiries = [
                (lease.deadline, lease.id, lease.delivery_count)
                for lease in self._leases.values()
                if lease.deadline is not None
            ]
            heapq.heapify(self._expiries)

    def consumer_died(self, consumer: str) -> int:
        """Declare ``consumer`` dead: its unacked deliveries go back at once
        (or to the dead letters, if that was their last delivery). Returns how many."""
        consumer = check_consumer(consumer)
        with self._lock:
            self._expire()
            ids = sorted(self._held.get(consumer, ()))
            for id in ids:
                lease = self._leases[id]
                self._release(lease, RETURNED)
                self._put_back(lease._entry, tr.CONSUMER_DIED)
            return len(ids)

    def _too_late(self, delivery: Delivery[T], verb: str) -> StaleDelivery:
        """The error for settling a delivery the queue took back (visibility timeout, consumer declared dead):
        what happened, what became of the message since, and what to do."""
        entry = delivery._entry
        self._ready._record(verb, (entry.id, entry.message), tr.STALE_DELIVERY)
        if delivery._state == EXPIRED:
            why = f"it was not acked within the visibility timeout of {self._visibility_timeout:g} s"
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
                READY: " and it waits to be delivered again",
                DONE: " and a later delivery of it was acked",
                DEAD: " and it was dead-lettered",
                THROWN_AWAY: f" and it was dropped (policy {self.policy!r})",
                CLEARED: " and it was cleared (queue.clear())",
            }[entry.state]
        if entry.lease is not None or entry.state in (READY, DONE):
            advice = f"the work may be done twice: {advice}, or make the consumer idempotent"
        return StaleDelivery(
            f"too late to {verb} {delivery._which()}: {why}, so the queue took it back{since}; {advice}"
        )

    # -- clearing and closing -------------------------------------------------
    def clear(self) -> int:
        """Drop every ready message (not the ones in flight) and return how many were dropped."""
        with self._lock:
            self._expire()
            items = self._ready._items
            for entry in items:
                entry.state = CLEARED
            dropped = len(items)
            items.clear()
            self._senders.wake_all()
            self._ready._record(tr.CLEAR, dropped)
            return dropped

    def close(self) -> None:
        """Refuse new messages. Receivers still get what is ready and what
        comes back; then :class:`~asyncomm.QueueClosed`. Closing twice is harmless."""
        with self._lock:
            self._expire()
            if self._ready._close():
                self._receivers.wake_all()
                self._senders.wake_all()
