"""The exceptions asyncomm raises, all under :class:`AsyncommError`.

Each docstring says when the error is raised, how it differs from its siblings
and what to do about it. Bad *arguments* (a negative ``maxsize``, a timeout that
is not a number) raise the built-in ``TypeError`` / ``ValueError`` instead: those
are mistakes in the call, not events of the communication.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AsyncommError",
    "BrokerStateError",
    "BrokerUnavailable",
    "CallbackNotFound",
    "Deadlock",
    "ListenerLeakWarning",
    "ListenerNotFound",
    "PrefetchLimitReached",
    "QueueClosed",
    "QueueEmpty",
    "QueueFull",
    "StaleDelivery",
    "TriggerFailed",
    "UsageError",
]


class AsyncommError(Exception):
    """Base class of every error asyncomm raises on purpose.

    Catch it to handle any asyncomm failure in one place:

    >>> import asyncomm as ac
    >>> try:
    ...     ac.MessageQueue().receive_nowait()
    ... except ac.AsyncommError as err:
    ...     print(type(err).__name__)
    QueueEmpty
    """


class QueueEmpty(AsyncommError):
    """A receive found no message: ``receive_nowait()`` on an empty queue, or
    ``receive(timeout=...)`` whose timeout ran out before a message arrived.

    The queue is still open; try again later. Compare :class:`QueueClosed`,
    which means no message will *ever* come.

    >>> import asyncomm as ac
    >>> ac.MessageQueue(name="inbox").receive_nowait()
    Traceback (most recent call last):
    ...
    asyncomm.errors.QueueEmpty: queue 'inbox' is empty; send a message first, or receive with a timeout to wait for one
    """


class QueueFull(AsyncommError):
    """A send found no room: ``send_nowait()`` on a full bounded queue, or
    ``send(timeout=...)`` whose timeout ran out before a consumer made room.

    The message was *not* queued; you still hold it. Retry, slow the producer
    down, or give the queue a larger ``maxsize``.

    >>> import asyncomm as ac
    >>> q = ac.MessageQueue(maxsize=1, name="tiny"); _ = q.send("a")
    >>> q.send_nowait("b")
    Traceback (most recent call last):
    ...
    asyncomm.errors.QueueFull: queue 'tiny' is full (1 message); receive some first, or send with a timeout to wait for room
    """


class QueueClosed(AsyncommError):
    """The queue was closed by ``close()``: a send after closing, or a receive
    once a closed queue has been drained of the messages it still held.

    Unlike :class:`QueueEmpty` this is final: treat it as "end of stream" and
    stop the consumer loop.

    >>> import asyncomm as ac
    >>> q = ac.MessageQueue(name="jobs"); q.close()
    >>> q.send("late")
    Traceback (most recent call last):
    ...
    asyncomm.errors.QueueClosed: queue 'jobs' is closed; no new messages can be sent
    """


class ListenerNotFound(AsyncommError, LookupError):
    """``remove()`` was asked to remove a listener that is not registered for
    that event (never registered, already removed, or a ``once`` listener that
    has already run).

    Check the event name and that you pass the very same function object you
    registered (a new ``lambda`` is a different object).

    >>> import asyncomm as ac
    >>> ac.EventBus().remove("click", print)
    Traceback (most recent call last):
    ...
    asyncomm.errors.ListenerNotFound: listener print is not registered for event 'click'; register it first, or check the event name
    """


class CallbackNotFound(ListenerNotFound):
    """``CallbackRegistry.remove()`` was given a callback that is not registered.

    A subclass of :class:`ListenerNotFound`: a callback is a listener of the
    registry's single event.

    >>> import asyncomm as ac
    >>> ac.CallbackRegistry().remove(print)
    Traceback (most recent call last):
    ...
    asyncomm.errors.CallbackNotFound: callback print is not registered; register it first
    """


class TriggerFailed(ExceptionGroup[Exception], AsyncommError):
    """One or more listeners (or callbacks) raised during a trigger.

    Raised only *after* every listener of the trigger has run, so one failing
    listener never silences the others and no error is swallowed. It is an
    ``ExceptionGroup``: ``.exceptions`` holds each listener's error, in call
    order, and ``except*`` can pick out the kinds you handle.

    >>> import asyncomm as ac
    >>> bus = ac.EventBus()
    >>> _ = bus.register("tick", lambda: 1 / 0)
    >>> try:
    ...     bus.trigger("tick")
    ... except ac.TriggerFailed as group:
    ...     print(group.exceptions)
    (ZeroDivisionError('division by zero'),)
    """

    # Keep the class when except* splits the group. (The base class promises to derive groups of any
    # BaseException; a TriggerFailed only ever holds Exceptions, so only those are accepted here.)
    def derive(self, excs: Sequence[Exception], /) -> TriggerFailed:  # type: ignore[override]
        return TriggerFailed(self.message, excs)


class Deadlock(AsyncommError):
    """Every task of a ``VirtualClock.run()`` waits and nothing can wake it: no
    timer is due and no other work is running.

    On a real clock the same program would hang forever (for example a
    ``receive()`` without timeout that no sender will ever satisfy). Give the
    wait a timeout, or make sure some task sends what the others wait for.
    """


class StaleDelivery(AsyncommError):
    """``ack()`` or ``nack()`` on a delivery the queue no longer waits for:
    it was already acked or nacked, it was acknowledged automatically
    (``delivery="at-most-once"``), or the queue took it back because its
    visibility timeout ran out or its consumer was declared dead.

    In the last two cases the message is (or was) delivered again, so the
    work may be done twice: ack sooner, raise ``visibility_timeout``, or make
    the consumer idempotent (:class:`IdempotentConsumer`). The message says
    which case it is and what became of the message since.

    >>> import asyncomm as ac
    >>> from asyncomm.reliable import ReliableQueue
    >>> q = ReliableQueue(clock=ac.VirtualClock()); _ = q.send("pay")
    >>> d = q.receive_nowait(consumer="c1"); d.ack(); d.ack()
    Traceback (most recent call last):
    ...
    asyncomm.errors.StaleDelivery: message 1 (delivery 1 to consumer 'c1') was already acked; ...
    """


class PrefetchLimitReached(AsyncommError):
    """A consumer asked for another message while it already holds ``prefetch``
    unacknowledged deliveries: ``receive_nowait()`` at the limit, or
    ``receive(timeout=...)`` still at the limit when the timeout ran out.

    Unlike :class:`~asyncomm.QueueEmpty`, messages may be waiting: this
    consumer may not take them until it acks or nacks what it holds.
    """


class BrokerUnavailable(AsyncommError):
    """A real broker (Redis) could not be reached: refused, timed out, or the
    connection dropped. The message names the URL tried, without its password.

    Start the server, or check the URL; nothing was sent or taken by the call
    that raised it.
    """


class BrokerStateError(AsyncommError):
    """The broker answers, but what it holds under the queue's names is not what the queue needs, and
    the queue cannot repair it without guessing: the stream's key holds another type of value (another
    program uses that name), or the stream lost its consumer group while it still holds entries (so
    which of them were delivered is unknown).

    Unlike :class:`BrokerUnavailable`, retrying does not help: the message names the key and what to
    change. (A stream that is gone altogether, after a restart without persistence or a ``DEL``, is no
    such error: the queue makes it again, empty.)
    """


class UsageError(AsyncommError):
    """An asyncomm object was used from the wrong place: for example an
    ``AsyncMessageQueue`` method called from a thread other than its event
    loop's, or a virtual-clock queue awaited outside ``VirtualClock.run()``.

    The message names the call to use instead.
    """


class ListenerLeakWarning(UserWarning):
    """A warning, not an error: one event has more listeners than the bus's
    ``max_listeners`` (10 by default, as in Node.js).

    Usually code registers a listener again and again (in a loop, or each time a
    widget is redrawn) and never removes it: each one keeps its objects alive
    and runs on every trigger. Remove listeners you no longer need; if many
    listeners are intended, raise ``max_listeners`` (``0`` means no limit).
    Warned once per event.
    """
