"""The acknowledged-delivery contract, written once for every backend.

A backend (the in-memory :class:`~asyncomm.reliable.ReliableQueue`, the Redis Streams queues) promises:

* ``send(message, *, key=None, timeout=None) -> MessageId`` -- ids are unique and increase in send order
  (ints in memory, stream ids such as ``"1700000000000-0"`` on Redis); ``send_nowait`` never waits;
* ``receive(*, consumer="consumer", timeout=None) -> delivery`` -- a :class:`Delivery` the consumer settles
  with ``ack()`` or ``nack(requeue=...)``; ``receive_nowait(*, consumer=...)`` never waits;
* ``consumer_died(consumer) -> int``, ``dead_letters() -> list[DeadLetter]``, ``ready()``, ``in_flight()``
  and ``statistics()`` -- methods, because on a broker each is a round trip;
* ``close()``, ``with`` / ``async with`` (close on exit), and iteration that ends once the queue is closed
  and drained.

The same options mean the same thing everywhere (``delivery``, ``visibility_timeout``, ``max_deliveries``,
``maxsize``, ``policy``, all read-only after construction), with one default policy, ``"block"``. Where a
backend cannot honour an option it says so when the queue is made, not later.

:class:`DeliveryQueue` and :class:`AsyncDeliveryQueue` state it as ``typing.Protocol`` classes: mypy checks
the backends against them statically (``tests/contract_typing.py``) and ``isinstance`` at run time.

>>> from asyncomm.reliable import ReliableQueue
>>> isinstance(ReliableQueue(), DeliveryQueue)
True
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any, Generic, NamedTuple, Protocol, TypeAlias, TypeVar, runtime_checkable

from asyncomm._checks import check_bool, check_int, check_seconds, is_number
from asyncomm.errors import StaleDelivery
from asyncomm.statistics import QueueStatistics

__all__ = [
    "DELIVERY_MODES",
    "AsyncDeliveryQueue",
    "AsyncSettle",
    "DeadLetter",
    "Delivery",
    "DeliveryQueue",
    "MessageId",
    "QueueStatistics",
    "Settle",
    "check_delivery_options",
]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)  # a queue protocol only takes messages in

#: A message id: an int in memory (1, 2, 3, ...), a stream id string on Redis. Unique, in send order.
MessageId: TypeAlias = int | str

#: The two delivery guarantees every backend offers.
DELIVERY_MODES = ("at-most-once", "at-least-once")

# The states of a delivery.
PENDING, ACKED, NACKED, AUTO_ACKED, EXPIRED, RETURNED = (
    "pending",
    "acked",
    "nacked",
    "auto-acked",
    "expired",
    "returned",
)


class DeadLetter(NamedTuple):
    """A message the queue gave up on. ``reason`` is ``"max deliveries"`` (it failed ``deliveries`` times),
    ``"rejected"`` (``nack(requeue=False)``) or, on a broker, why an entry could not be delivered
    (``"malformed: ..."``, ``"trimmed while pending: ..."``).

    >>> from asyncomm.reliable import ReliableQueue
    >>> q = ReliableQueue(max_deliveries=2); _ = q.send("poison")
    >>> q.receive().nack(); q.receive().nack()
    >>> q.dead_letters()
    [DeadLetter(id=1, message='poison', reason='max deliveries', deliveries=2)]
    """

    id: MessageId
    message: Any
    reason: str
    deliveries: int


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
    # inf is the one "no limit" value a visibility timeout takes (a delivery never expires: in memory only,
    # Redis refuses it); any finite value follows the one rule for durations, up to MAX_SECONDS.
    if is_number(visibility_timeout) and visibility_timeout == float("inf"):
        seconds = float("inf")
    else:
        seconds = check_seconds(visibility_timeout, "visibility_timeout")
    if seconds == 0:
        raise ValueError(
            "visibility_timeout must be > 0 seconds: with 0 every delivery would expire before it could be acked"
        )
    if max_deliveries is not None:
        check_int(max_deliveries, "max_deliveries", minimum=1, meaning=" or None (never dead-letter)")
    return delivery, seconds, max_deliveries


def check_consumer(consumer: Any) -> str:
    """A consumer is named by a non-empty str."""
    if not isinstance(consumer, str):
        raise TypeError(f"consumer must be a non-empty str naming the consumer, got {consumer!r}")
    if not consumer:
        raise ValueError("consumer must be a non-empty str naming the consumer, got ''")
    return consumer


class Delivery(Generic[T]):
    """One handing-over of a message to a consumer, as ``receive`` returns it, on any backend.

    ``delivery_count`` is 1 the first time the message is delivered and grows each time it comes back;
    ``redelivered`` is ``delivery_count > 1``. ``state`` is ``"pending"``, ``"acked"``, ``"nacked"``,
    ``"auto-acked"`` (``delivery="at-most-once"``), ``"expired"`` (the visibility timeout ran out) or
    ``"returned"`` (its consumer was declared dead). Each backend adds ``ack()`` and ``nack(requeue=True)``
    (coroutines on an asyncio backend); this base holds what they share: the fields, the checks before
    settling and the messages of :class:`~asyncomm.StaleDelivery`.

    >>> from asyncomm.reliable import ReliableQueue
    >>> q = ReliableQueue(); _ = q.send("pay")
    >>> d = q.receive_nowait(consumer="c1")
    >>> d.id, d.message, d.delivery_count, d.redelivered, d.state
    (1, 'pay', 1, False, 'pending')
    >>> d.ack(); d
    <Delivery of message 1 'pay': delivery 1 to 'c1', acked>
    """

    __slots__ = ("_state", "consumer", "delivery_count", "id", "key", "message")

    def __init__(self, id: MessageId, message: T, key: Any, consumer: str, delivery_count: int, state: str) -> None:
        self.id = id
        self.message = message
        self.key = key
        self.consumer = consumer
        self.delivery_count = delivery_count
        self._state = state

    @property
    def redelivered(self) -> bool:
        return self.delivery_count > 1

    @property
    def state(self) -> str:
        return self._state

    def _which(self) -> str:
        return f"message {self.id} (delivery {self.delivery_count} to consumer {self.consumer!r})"

    def _check_settle(self, verb: str, requeue: Any = True) -> None:
        """Refuse, before any I/O, to settle a delivery this object already knows is settled."""
        check_bool(requeue, "requeue")
        if self._state in (ACKED, NACKED):
            raise StaleDelivery(f"{self._which()} was already {self._state}; ack or nack each delivery exactly once")
        if self._state == AUTO_ACKED:
            raise StaleDelivery(
                f"message {self.id} was acknowledged automatically when consumer {self.consumer!r} received it "
                f"(delivery='at-most-once'); there is nothing to {verb}: use delivery='at-least-once' to "
                f"acknowledge by hand"
            )

    def __repr__(self) -> str:
        return (
            f"<Delivery of message {self.id} {self.message!r}: delivery {self.delivery_count} "
            f"to {self.consumer!r}, {self._state}>"
        )


class Settle(Protocol):
    """What a consumer does with a blocking backend's delivery: settle it once, with ``ack()`` or ``nack()``.

    >>> from asyncomm.reliable import ReliableQueue
    >>> q = ReliableQueue(); _ = q.send("job")
    >>> d: Settle = q.receive_nowait(consumer="c1")
    >>> d.nack(requeue=False); d.state, q.dead_letters()[0].reason
    ('nacked', 'rejected')
    """

    @property
    def id(self) -> MessageId: ...
    @property
    def message(self) -> Any: ...
    @property
    def delivery_count(self) -> int: ...
    @property
    def state(self) -> str: ...
    def ack(self) -> None: ...
    def nack(self, requeue: bool = True) -> None: ...


class AsyncSettle(Protocol):
    """What a consumer does with an asyncio backend's delivery: ``await d.ack()``.

    The in-memory backend is blocking, so this example defines a two-line delivery of its own; the real one
    is :class:`~asyncomm.reliable.redis_streams.AsyncRedisDelivery` (chapter 08 uses it):

    >>> import asyncio
    >>> class Printed:
    ...     id, message, delivery_count, state = 1, "job", 1, "pending"
    ...     async def ack(self): print("acked", self.id)
    ...     async def nack(self, requeue=True): print("nacked", self.id)
    >>> d: AsyncSettle = Printed()
    >>> asyncio.run(d.ack())
    acked 1
    """

    @property
    def id(self) -> MessageId: ...
    @property
    def message(self) -> Any: ...
    @property
    def delivery_count(self) -> int: ...
    @property
    def state(self) -> str: ...
    async def ack(self) -> None: ...
    async def nack(self, requeue: bool = True) -> None: ...


@runtime_checkable
class DeliveryQueue(Protocol[T_contra]):
    """The contract of a blocking backend (:class:`~asyncomm.reliable.ReliableQueue`,
    :class:`~asyncomm.reliable.RedisStreamQueue`). Code written against it runs on either:

    >>> from asyncomm.reliable import ReliableQueue
    >>> def drain(queue: DeliveryQueue[str]) -> list[str]:
    ...     queue.close()                        # no more sends: iteration ends once nothing is left
    ...     done = []
    ...     for delivery in queue:
    ...         done.append(delivery.message); delivery.ack()
    ...     return done
    >>> q = ReliableQueue(); _ = q.send("a"); _ = q.send("b")
    >>> drain(q), q.statistics().in_flight
    (['a', 'b'], 0)
    """

    @property
    def name(self) -> str: ...
    @property
    def delivery(self) -> str: ...
    @property
    def visibility_timeout(self) -> float: ...
    @property
    def max_deliveries(self) -> int | None: ...
    @property
    def maxsize(self) -> int: ...
    @property
    def policy(self) -> str: ...
    @property
    def closed(self) -> bool: ...

    def send(self, message: T_contra, *, key: Any = None, timeout: float | None = None) -> MessageId: ...
    def send_nowait(self, message: T_contra, *, key: Any = None) -> MessageId: ...
    def receive(self, *, consumer: str = "consumer", timeout: float | None = None) -> Settle: ...
    def receive_nowait(self, *, consumer: str = "consumer") -> Settle: ...
    def consumer_died(self, consumer: str) -> int: ...
    def dead_letters(self) -> list[DeadLetter]: ...
    def ready(self) -> int: ...
    def in_flight(self) -> int: ...
    def statistics(self) -> QueueStatistics: ...
    def close(self) -> None: ...
    def __iter__(self) -> Iterator[Settle]: ...
    # The protocol itself, not Self: with Self, mypy cannot infer T in `q: DeliveryQueue[str] = ReliableQueue()`.
    def __enter__(self) -> DeliveryQueue[T_contra]: ...
    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None: ...


@runtime_checkable
class AsyncDeliveryQueue(Protocol[T_contra]):
    """The contract of an asyncio backend (:class:`~asyncomm.reliable.AsyncRedisStreamQueue`): every verb
    and every count is awaited. It is checked by shape, not by inheritance: a plain asyncio queue, which has
    no acknowledgements, is not one (tests/test_queue_contract.py shows a connected Redis queue is):

    >>> import asyncomm as ac
    >>> isinstance(ac.AsyncMessageQueue(), AsyncDeliveryQueue)
    False
    """

    @property
    def name(self) -> str: ...
    @property
    def delivery(self) -> str: ...
    @property
    def visibility_timeout(self) -> float: ...
    @property
    def max_deliveries(self) -> int | None: ...
    @property
    def maxsize(self) -> int: ...
    @property
    def policy(self) -> str: ...
    @property
    def closed(self) -> bool: ...

    async def send(self, message: T_contra, *, key: Any = None, timeout: float | None = None) -> MessageId: ...
    async def send_nowait(self, message: T_contra, *, key: Any = None) -> MessageId: ...
    async def receive(self, *, consumer: str = "consumer", timeout: float | None = None) -> AsyncSettle: ...
    async def receive_nowait(self, *, consumer: str = "consumer") -> AsyncSettle: ...
    async def consumer_died(self, consumer: str) -> int: ...
    async def dead_letters(self) -> list[DeadLetter]: ...
    async def ready(self) -> int: ...
    async def in_flight(self) -> int: ...
    async def statistics(self) -> QueueStatistics: ...
    async def close(self) -> None: ...
    def __aiter__(self) -> AsyncIterator[AsyncSettle]: ...
    async def __aenter__(self) -> AsyncDeliveryQueue[T_contra]: ...
    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None: ...
