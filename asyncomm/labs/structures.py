"""Three ways to build a FIFO queue, and what each one costs.

The seed says a message queue "can be implemented with a linked list, an array
or another data structure". True, but the choice matters:

* :class:`ArrayQueue` - a Python list; ``receive`` is ``list.pop(0)``, which
  shifts every remaining element one slot left: O(n) per receive, O(n²) to
  drain n messages.
* :class:`LinkedListQueue` - nodes with a ``next`` pointer, a head and a tail:
  O(1) per operation, nothing ever moves.
* :class:`RingBufferQueue` - a fixed array with head and tail indices that wrap
  around: O(1) per operation, no allocation after creation, but a capacity.

``collections.deque`` (what :class:`~asyncomm.MessageQueue` uses inside) is a
linked list of fixed-size blocks: O(1) at both ends. :class:`DequeQueue` gives it
the same ``send`` / ``receive`` names so all of them can be measured alike.

Each structure counts its element ``moves`` (elements shifted in memory to make
an operation work); :func:`count_moves` and :func:`model_moves` turn that into a
deterministic cost model, :func:`measure_costs` into real timings.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from asyncomm._checks import check_int, plural
from asyncomm.errors import QueueEmpty, QueueFull

__all__ = [
    "STRUCTURES",
    "ArrayQueue",
    "Cost",
    "DequeQueue",
    "LinkedListQueue",
    "RingBufferQueue",
    "count_moves",
    "measure_costs",
    "model_moves",
]


class FifoQueue(Protocol):
    """What the cost helpers need: ``send``, ``receive`` and ``len``."""

    def send(self, msg: Any) -> object: ...  # what send returns (None, a message number) is not used

    def receive(self) -> Any: ...

    def __len__(self) -> int: ...


def _empty(kind: str) -> QueueEmpty:
    return QueueEmpty(f"{kind} is empty; send a message first")


class ArrayQueue:
    """A queue on a Python list: ``send`` appends, ``receive`` is ``pop(0)``.

    Simple and correct, but ``pop(0)`` shifts every element behind the first
    one; ``moves`` counts those shifts.

    >>> q = ArrayQueue()
    >>> q.send("a"); q.send("b"); q.send("c")
    >>> q.receive(), q.moves
    ('a', 2)
    """

    def __init__(self) -> None:
        self._items: list[Any] = []
        self.moves = 0

    def send(self, msg: Any) -> None:
        # append is amortised O(1): the list over-allocates, so the rare
        # resize that copies it is spread over many sends (not counted here).
        self._items.append(msg)

    def receive(self) -> Any:
        if not self._items:
            raise _empty("ArrayQueue")
        self.moves += len(self._items) - 1
        return self._items.pop(0)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<ArrayQueue: {plural(len(self), 'message')}>"


class _Node:
    __slots__ = ("msg", "next")

    def __init__(self, msg: Any) -> None:
        self.msg = msg
        self.next: _Node | None = None


class LinkedListQueue:
    """A singly linked list with head (receive here) and tail (send here).

    Each operation changes one or two pointers: nothing moves, ``moves`` stays 0.

    >>> q = LinkedListQueue()
    >>> q.send("a"); q.send("b")
    >>> q.receive(), len(q), q.moves
    ('a', 1, 0)
    """

    def __init__(self) -> None:
        self._head: _Node | None = None
        self._tail: _Node | None = None
        self._size = 0
        self.moves = 0

    def send(self, msg: Any) -> None:
        node = _Node(msg)
        if self._tail is None:
            self._head = node
        else:
            self._tail.next = node
        self._tail = node
        self._size += 1

    def receive(self) -> Any:
        head = self._head
        if head is None:
            raise _empty("LinkedListQueue")
        self._head = head.next
        if self._head is None:
            self._tail = None
        self._size -= 1
        return head.msg

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"<LinkedListQueue: {plural(len(self), 'message')}>"


class RingBufferQueue:
    """A fixed array of ``capacity`` slots; ``head`` is the oldest message,
    ``tail`` the next free slot, both wrapping around with ``% capacity``.

    ``send`` on a full ring raises :class:`~asyncomm.QueueFull`: a ring never
    grows, which is why it suits fixed-memory systems.

    >>> q = RingBufferQueue(2)
    >>> q.send("a"); q.send("b"); q.receive(); q.send("c")
    'a'
    >>> q.slots, q.head, q.tail
    (['c', 'b'], 1, 1)
    """

    def __init__(self, capacity: int) -> None:
        capacity = check_int(capacity, "capacity", minimum=1, meaning=" (a number of slots)")
        self.slots: list[Any] = [None] * capacity
        self.head = 0
        self.tail = 0
        self._size = 0
        self.moves = 0

    @property
    def capacity(self) -> int:
        return len(self.slots)

    def send(self, msg: Any) -> None:
        if self._size == len(self.slots):
            raise QueueFull(
                f"RingBufferQueue is full ({plural(len(self.slots), 'slot')}); "
                f"receive some first, or create it with a larger capacity"
            )
        self.slots[self.tail] = msg
        self.tail = (self.tail + 1) % len(self.slots)
        self._size += 1

    def receive(self) -> Any:
        if self._size == 0:
            raise _empty("RingBufferQueue")
        msg = self.slots[self.head]
        self.slots[self.head] = None  # drop the reference so the message can be freed
        self.head = (self.head + 1) % len(self.slots)
        self._size -= 1
        return msg

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"<RingBufferQueue: {plural(len(self), 'message')}, capacity {self.capacity}>"


class DequeQueue:
    """``collections.deque`` under the names ``send`` / ``receive``.

    It has no ``moves`` counter: deque is C code we cannot instrument. Its blocks
    of 64 slots are linked, so ``popleft`` moves nothing.

        >>> q = DequeQueue()
        >>> q.send("a"); q.receive()
        'a'
    """

    def __init__(self) -> None:
        self._items: deque[Any] = deque()

    def send(self, msg: Any) -> None:
        self._items.append(msg)

    def receive(self) -> Any:
        if not self._items:
            raise _empty("DequeQueue")
        return self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<DequeQueue: {plural(len(self), 'message')}>"


def _message_queue(n: int) -> FifoQueue:
    from asyncomm.queues import MessageQueue

    return MessageQueue()


#: The structures compared in chapter 03: name -> ``make(n)``, where ``n`` is
#: the largest number of messages the queue will hold (the ring needs it).
STRUCTURES: dict[str, Callable[[int], FifoQueue]] = {
    "array (list.pop(0))": lambda n: ArrayQueue(),
    "linked list": lambda n: LinkedListQueue(),
    "ring buffer": lambda n: RingBufferQueue(max(n, 1)),
    "collections.deque": lambda n: DequeQueue(),
    "ac.MessageQueue": _message_queue,
}


def _check_n(n: Any) -> int:
    return check_int(n, "n", minimum=0, meaning=" (a number of messages)")


def _fill_then_drain(q: FifoQueue, n: int) -> None:
    """The workload: n sends, then n receives (the queue reaches length n)."""
    send, receive = q.send, q.receive
    for i in range(n):
        send(i)
    for _ in range(n):
        receive()


def count_moves(make: Callable[[int], Any], n: int) -> int:
    """Run the workload (n sends, then n receives) on ``make(n)`` and return
    the element moves it counted. Deterministic: the same on every machine.

    >>> count_moves(STRUCTURES["array (list.pop(0))"], 4)   # 3 + 2 + 1 + 0
    6
    >>> count_moves(STRUCTURES["linked list"], 4)
    0
    """
    n = _check_n(n)
    q = make(n)
    if not hasattr(q, "moves"):
        raise TypeError(f"{type(q).__name__} does not count its element moves (no .moves attribute)")
    _fill_then_drain(q, n)
    return q.moves


def model_moves(structure: str, n: int) -> int:
    """The cost model: element moves for n sends then n receives.

    An array queue's k-th receive shifts the n - k elements behind the first,
    so it moves (n-1) + (n-2) + ... + 0 = n(n-1)/2 elements: O(n²) in total.
    The others move none: O(1) per operation, O(n) in total.

    >>> [model_moves("array (list.pop(0))", n) for n in (1, 10, 100)]
    [0, 45, 4950]
    """
    n = _check_n(n)
    if structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; choose one of {list(STRUCTURES)}")
    return n * (n - 1) // 2 if structure.startswith("array") else 0


@dataclass(frozen=True)
class Cost:
    """One measurement: ``structure`` did the workload for ``n`` in ``seconds``
    (the best of ``repeat`` runs); ``per_op_us`` is that per operation (2n ops).

    >>> cost = Cost("deque", 1000, 0.0002, 0.1)
    >>> cost.per_op_us == cost.seconds / (2 * cost.n) * 1e6
    True
    """

    structure: str
    n: int
    seconds: float
    per_op_us: float


def measure_costs(
    ns: Iterable[int],
    structures: dict[str, Callable[[int], FifoQueue]] | None = None,
    *,
    repeat: int = 3,
    timer: Callable[[], float] = time.perf_counter,
    gc_off: bool = True,
) -> list[Cost]:
    """Time the workload (n sends, then n receives) for each structure and
    each n, on the real clock; keep the best of ``repeat`` runs (the least
    disturbed by other programs). The numbers vary from run to run and machine
    to machine; their growth with n is what to look at.

    Like ``timeit``, the garbage collector is paused while timing
    (``gc_off=False`` keeps it on): its pauses depend on every object in the
    process, not on the structure being measured.

    >>> costs = measure_costs([10, 20], {"linked list": STRUCTURES["linked list"]}, repeat=1)
    >>> [(c.structure, c.n) for c in costs]
    [('linked list', 10), ('linked list', 20)]
    """
    repeat = check_int(repeat, "repeat", minimum=1)
    ns = [_check_n(n) for n in ns]
    chosen = STRUCTURES if structures is None else structures
    results: list[Cost] = []
    gc_was_on = gc.isenabled()
    if gc_off:
        gc.disable()
    try:
        for name, make in chosen.items():
            for n in ns:
                best = float("inf")
                for _ in range(repeat):
                    q = make(n)
                    start = timer()
                    _fill_then_drain(q, n)
                    best = min(best, timer() - start)
                results.append(Cost(name, n, best, best / (2 * n) * 1e6 if n else 0.0))
    finally:
        if gc_was_on:
            gc.enable()
    return results
