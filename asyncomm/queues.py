"""``MessageQueue``: the seed's message queue, thread-safe and done right.

Compared with the seed's example it never prints a bound method, never clears
behind its own lock (``queue.Queue().queue.clear()`` skips the lock and wakes no
blocked sender), never blocks forever unless asked to (every blocking verb takes
a ``timeout``), and it can be closed so consumers know the stream ended.
"""

from __future__ import annotations

import threading
from typing import Any

from asyncomm._checks import check_timeout
from asyncomm._queue_core import QueueBase
from asyncomm.clock import Clock
from asyncomm.trace import Trace

__all__ = ["MessageQueue"]


class MessageQueue(QueueBase):
    """A FIFO queue of messages shared by threads (``maxsize=0``: unbounded).

    ``send`` blocks while a bounded queue is full (or follows its ``policy``:
    ``"raise"``, ``"drop-newest"``, ``"drop-oldest"``), ``receive`` while it is
    empty; both take a ``timeout`` in seconds of the queue's clock. After
    ``close()`` nothing more can be sent, and receivers drain what is left.

    >>> import asyncomm as ac
    >>> q = ac.MessageQueue(maxsize=2)
    >>> q.send("Hello, World!"); len(q)
    1
    >>> q.receive()
    'Hello, World!'
    """

    def __init__(
        self,
        maxsize: int = 0,
        *,
        policy: str = "block",
        clock: Clock | None = None,
        trace: Trace | None = None,
        name: str = "queue",
    ) -> None:
        super().__init__(maxsize, policy, clock, trace, name)
        # One lock guards everything; the two conditions share it. Waiter
        # counts let the fast path skip Condition.notify(), which is costly
        # even when nobody waits.
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._receivers_waiting = 0
        self._senders_waiting = 0

    def snapshot(self) -> list[Any]:
        """The queued messages, oldest first, without removing them."""
        with self._lock:
            return list(self._items)

    @property
    def senders_waiting(self) -> int:
        """How many ``send`` calls are blocked right now, waiting for room.

        What a test or a lesson polls to know a thread really is blocked (a fixed
        ``sleep`` only hopes so):

        >>> import threading, time
        >>> q = MessageQueue(maxsize=1); q.send("a")
        >>> sender = threading.Thread(target=q.send, args=("b",)); sender.start()
        >>> while q.senders_waiting == 0:      # now it is blocked inside send(), for sure
        ...     time.sleep(0.001)
        >>> q.senders_waiting, q.receive()
        (1, 'a')
        >>> sender.join(); q.snapshot(), q.senders_waiting
        (['b'], 0)
        """
        return self._senders_waiting

    @property
    def receivers_waiting(self) -> int:
        """How many ``receive`` calls are blocked right now, waiting for a message.

        >>> MessageQueue().receivers_waiting
        0
        """
        return self._receivers_waiting

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
                raise self._closed_error(msg)
            if self._maxsize and len(self._items) >= self._maxsize:
                if self._policy != "block":
                    if self._shed(msg):
                        return
                else:
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
                    raise self._closed_error(msg)
                if deadline is not None and clock.now() >= deadline:
                    raise self._full_error(msg, timeout)
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
                    raise self._drained_error()
                if deadline is not None and clock.now() >= deadline:
                    raise self._empty_error(timeout)
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
