"""``MessageQueue``: the seed's message queue, thread-safe and done right.

Compared with the seed's example it never prints a bound method, never clears
behind its own lock (``queue.Queue().queue.clear()`` skips the lock and wakes no
blocked sender), never blocks forever unless asked to (every blocking verb takes
a ``timeout``), and it can be closed so consumers know the stream ended.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from ._checks import check_maxsize, check_name, check_timeout, plural
from .clock import Clock, current_clock
from .errors import QueueClosed, QueueEmpty, QueueFull
from .trace import Trace

__all__ = ["MessageQueue"]


class MessageQueue:
    """A FIFO queue of messages shared by threads (``maxsize=0``: unbounded).

    ``send`` blocks while a bounded queue is full, ``receive`` while it is
    empty; both take a ``timeout`` in seconds of the queue's clock. After
    ``close()`` nothing more can be sent, and receivers drain what is left.

    >>> import asyncomm as ac
    >>> q = ac.MessageQueue(maxsize=2)
    >>> q.send("Hello, World!"); len(q)
    1
    >>> q.receive()
    'Hello, World!'
    """

    pattern = "queue"

    def __init__(
        self, maxsize: int = 0, *, clock: Clock | None = None, trace: Trace | None = None, name: str = "queue"
    ) -> None:
        self._maxsize = check_maxsize(maxsize)
        self._items: deque[Any] = deque()
        # One lock guards everything; the two conditions share it. Waiter
        # counts let the fast path skip Condition.notify(), which is costly
        # even when nobody waits.
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._receivers_waiting = 0
        self._senders_waiting = 0
        self._closed = False
        self._clock = clock
        self.trace = trace
        self.name = check_name(name)

    # -- state -------------------------------------------------------------
    @property
    def maxsize(self) -> int:
        """Capacity; 0 means unbounded."""
        return self._maxsize

    @property
    def clock(self) -> Clock:
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
        with self._lock:
            return list(self._items)

    # -- sending -----------------------------------------------------------
    def send(self, msg: Any, timeout: float | None = None) -> None:
        """Put ``msg`` at the back; wait up to ``timeout`` s for room if full.

        Raises :class:`QueueFull` when the timeout runs out (the message is not
        queued) and :class:`QueueClosed` if the queue is or becomes closed.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        with self._lock:
            if self._closed:
                self._refuse_closed("send", msg)
            if self._maxsize and len(self._items) >= self._maxsize:
                self._wait_for_room(msg, timeout)
            self._items.append(msg)
            if self._receivers_waiting:
                self._not_empty.notify()
            if self.trace is not None:
                self._record("send", msg)

    def send_nowait(self, msg: Any) -> None:
        """Send without waiting: raise :class:`QueueFull` at once if full."""
        self.send(msg, timeout=0)

    def _wait_for_room(self, msg: Any, timeout: float | None) -> None:
        clock = self.clock
        deadline = None if timeout is None else clock.now() + timeout
        self._senders_waiting += 1
        try:
            while len(self._items) >= self._maxsize:
                if self._closed:
                    self._refuse_closed("send", msg)
                if deadline is not None and clock.now() >= deadline:
                    if timeout == 0:
                        message = (f"queue {self.name!r} is full ({plural(self._maxsize, 'message')}); "
                                   f"receive some first, or send with a timeout to wait for room")
                    else:
                        message = (f"queue {self.name!r} stayed full for {timeout:g} s; the message was not "
                                   f"sent: consume faster, or give the queue a larger maxsize")
                    self._record_failure("send", msg, "QueueFull")
                    raise QueueFull(message)
                clock.wait(self._not_full, deadline)
        finally:
            self._senders_waiting -= 1

    # -- receiving ---------------------------------------------------------
    def receive(self, timeout: float | None = None) -> Any:
        """Take the oldest message; wait up to ``timeout`` s for one if empty.

        Raises :class:`QueueEmpty` when the timeout runs out, and
        :class:`QueueClosed` once the queue is closed and drained.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        with self._lock:
            if not self._items:
                self._wait_for_message(timeout)
            msg = self._items.popleft()
            if self._senders_waiting:
                self._not_full.notify()
            if self.trace is not None:
                self._record("receive", msg)
            return msg

    def receive_nowait(self) -> Any:
        """Receive without waiting: raise :class:`QueueEmpty` at once if empty."""
        return self.receive(timeout=0)

    def _wait_for_message(self, timeout: float | None) -> None:
        clock = self.clock
        deadline = None if timeout is None else clock.now() + timeout
        self._receivers_waiting += 1
        try:
            while not self._items:
                if self._closed:
                    self._record_failure("receive", None, "QueueClosed")
                    raise QueueClosed(f"queue {self.name!r} is closed and drained; there are no more messages")
                if deadline is not None and clock.now() >= deadline:
                    if timeout == 0:
                        message = (f"queue {self.name!r} is empty; send a message first, "
                                   f"or receive with a timeout to wait for one")
                    else:
                        message = f"no message arrived on queue {self.name!r} within {timeout:g} s"
                    self._record_failure("receive", None, "QueueEmpty")
                    raise QueueEmpty(message)
                clock.wait(self._not_empty, deadline)
        finally:
            self._receivers_waiting -= 1

    # -- clearing and closing ----------------------------------------------
    def clear(self) -> int:
        """Drop every queued message and return how many were dropped."""
        with self._lock:
            dropped = len(self._items)
            self._items.clear()
            if self._senders_waiting:
                self._not_full.notify_all()
            if self.trace is not None:
                self._record("clear", dropped)
            return dropped

    def close(self) -> None:
        """Refuse new messages; wake every waiting sender and receiver.

        Receivers still get the messages already queued, then
        :class:`QueueClosed`. Closing twice is harmless.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._not_empty.notify_all()
            self._not_full.notify_all()
            if self.trace is not None:
                self._record("close", None)

    # -- tracing -----------------------------------------------------------
    def _record(self, operation: str, item: Any, outcome: str = "ok") -> None:
        self.trace.record(self.clock.now(), self.pattern, operation, self.name,  # type: ignore[union-attr]
                          item, len(self._items), outcome)

    def _record_failure(self, operation: str, item: Any, outcome: str) -> None:
        if self.trace is not None:
            self._record(operation, item, outcome)

    def _refuse_closed(self, operation: str, msg: Any) -> None:
        self._record_failure(operation, msg, "QueueClosed")
        raise QueueClosed(f"queue {self.name!r} is closed; no new messages can be sent")

    def __repr__(self) -> str:
        bound = f"maxsize={self._maxsize}" if self._maxsize else "unbounded"
        state = ", closed" if self._closed else ""
        return f"<MessageQueue {self.name!r}: {plural(len(self._items), 'message')}, {bound}{state}>"
