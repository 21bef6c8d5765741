"""What the thread and asyncio message queues share: state, policies, messages, tracing.

Only *how they wait* differs (a lock and conditions vs futures on an event
loop), so that part stays in ``queues.py`` and ``async_queue.py``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from asyncomm._checks import check_maxsize, check_name, plural
from asyncomm.clock import Clock, current_clock
from asyncomm.errors import QueueClosed, QueueEmpty, QueueFull
from asyncomm.trace import Trace

#: What a bounded queue does with a send when it is full (backpressure policy).
POLICIES = ("block", "raise", "drop-newest", "drop-oldest")


def check_policy(policy: Any) -> str:
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(repr(p) for p in POLICIES)}, got {policy!r}")
    return policy  # type: ignore[no-any-return]


class QueueBase:
    pattern = "queue"

    def __init__(self, maxsize: int, policy: str, clock: Clock | None, trace: Trace | None, name: str) -> None:
        self._maxsize = check_maxsize(maxsize)
        self._policy = check_policy(policy)
        self._items: deque[Any] = deque()
        self._closed = False
        self._clock = clock
        self.trace = trace
        self.name = check_name(name)
        #: Messages thrown away by a drop policy (``clear()`` is not counted).
        self.dropped = 0

    # -- state -------------------------------------------------------------
    @property
    def maxsize(self) -> int:
        """Capacity; 0 means unbounded."""
        return self._maxsize

    @property
    def policy(self) -> str:
        """What a send to a full queue does: ``"block"`` (wait for room, the
        default), ``"raise"`` (``QueueFull`` at once), ``"drop-newest"`` (the new
        message is dropped) or ``"drop-oldest"`` (the oldest queued one is)."""
        return self._policy

    @property
    def clock(self) -> Clock:
        """The queue's clock: the one given, else :func:`~asyncomm.current_clock`."""
        return self._clock or current_clock()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self._maxsize <= len(self._items)

    def snapshot(self) -> list[Any]:
        """The queued messages, oldest first, without removing them."""
        return list(self._items)

    # -- backpressure --------------------------------------------------------
    def _shed(self, msg: Any) -> bool:
        """Apply a non-blocking policy to a send that found the queue full.

        Returns True when ``msg`` itself was dropped (the send is done), False
        when room was made for it. Called with the queue's lock held, if any.
        """
        if self._policy == "raise":
            self._record_failure("send", msg, "QueueFull")
            raise QueueFull(
                f"queue {self.name!r} is full ({plural(self._maxsize, 'message')}) and its policy "
                f"is 'raise'; receive some first, or use policy='block' to wait for room"
            )
        self.dropped += 1
        if self._policy == "drop-newest":
            self._record_failure("send", msg, "dropped")
            return True
        oldest = self._items.popleft()
        self._record_failure("drop", oldest, "dropped")
        return False

    # -- messages ------------------------------------------------------------
    def _full_error(self, msg: Any, timeout: float | None) -> QueueFull:
        self._record_failure("send", msg, "QueueFull")
        if timeout == 0:
            return QueueFull(
                f"queue {self.name!r} is full ({plural(self._maxsize, 'message')}); "
                f"receive some first, or send with a timeout to wait for room"
            )
        return QueueFull(
            f"queue {self.name!r} stayed full for {timeout:g} s; the message was not sent: "
            f"consume faster, or give the queue a larger maxsize"
        )

    def _empty_error(self, timeout: float | None) -> QueueEmpty:
        self._record_failure("receive", None, "QueueEmpty")
        if timeout == 0:
            return QueueEmpty(
                f"queue {self.name!r} is empty; send a message first, or receive with a timeout to wait for one"
            )
        return QueueEmpty(f"no message arrived on queue {self.name!r} within {timeout:g} s")

    def _closed_error(self, msg: Any) -> QueueClosed:
        self._record_failure("send", msg, "QueueClosed")
        return QueueClosed(f"queue {self.name!r} is closed; no new messages can be sent")

    def _drained_error(self) -> QueueClosed:
        self._record_failure("receive", None, "QueueClosed")
        return QueueClosed(f"queue {self.name!r} is closed and drained; there are no more messages")

    # -- tracing -------------------------------------------------------------
    def _record(self, operation: str, item: Any, outcome: str = "ok") -> None:
        self.trace.record(
            self.clock.now(),
            self.pattern,
            operation,
            self.name,  # type: ignore[union-attr]
            item,
            len(self._items),
            outcome,
        )

    def _record_failure(self, operation: str, item: Any, outcome: str) -> None:
        if self.trace is not None:
            self._record(operation, item, outcome)

    def __repr__(self) -> str:
        bound = f"maxsize={self._maxsize}" if self._maxsize else "unbounded"
        if self._maxsize and self._policy != "block":
            bound += f", policy={self._policy!r}"
        state = ", closed" if self._closed else ""
        return f"<{type(self).__name__} {self.name!r}: {plural(len(self._items), 'message')}, {bound}{state}>"
