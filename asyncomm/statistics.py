"""Counters as one frozen record per object: ``q.statistics()``, ``bus.statistics()``.

Like trio's ``statistics()`` on its channels: instead of a property per counter scattered over the classes,
one call returns everything at one instant, and the same record type for every queue backend.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BusStatistics", "QueueStatistics"]


@dataclass(frozen=True)
class QueueStatistics:
    """One snapshot of a queue's counters, the same record for every queue (like trio's ``statistics()``).

    ``ready``: messages waiting to be received; ``in_flight``: delivered, not yet acked (0 for plain
    queues); ``dead``: dead letters; ``dropped``: thrown away by a drop policy (``None`` where a broker
    cannot know); ``senders_waiting`` / ``receivers_waiting``: calls blocked in *this* process right now.

    >>> import asyncomm as ac
    >>> q = ac.MessageQueue(maxsize=2, name="jobs"); _ = q.send("a")
    >>> q.statistics()
    QueueStatistics(name='jobs', ready=1, maxsize=2, closed=False, senders_waiting=0, receivers_waiting=0, \
dropped=0, in_flight=0, dead=0)
    """

    name: str
    ready: int
    maxsize: int
    closed: bool
    senders_waiting: int
    receivers_waiting: int
    dropped: int | None
    in_flight: int = 0
    dead: int = 0


@dataclass(frozen=True)
class BusStatistics:
    """One snapshot of an :class:`~asyncomm.EventBus` or :class:`~asyncomm.CallbackRegistry`.

    ``events``: events with at least one listener; ``listeners``: registrations in all (a listener
    registered for two events counts twice); ``once``: those that will remove themselves after one call;
    ``max_listeners``: the leak-warning threshold per event (0: no warning).

    >>> import asyncomm as ac
    >>> bus = ac.EventBus()
    >>> _ = bus.register("order", print); _ = bus.once("order", repr)
    >>> bus.statistics()
    BusStatistics(name='bus', events=1, listeners=2, once=1, max_listeners=10)
    """

    name: str
    events: int
    listeners: int
    once: int
    max_listeners: int
