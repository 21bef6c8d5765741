"""``MessageQueue``: the seed's message queue, thread-safe and done right.

Compared with the seed's example it never prints a bound method, never clears
behind its own lock (``queue.Queue().queue.clear()`` skips the lock and wakes no
blocked sender), never blocks forever unless asked to (every blocking verb takes
a ``timeout``), and it can be closed so consumers know the stream ended.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from asyncomm import trace as tr
from asyncomm._checks import check_timeout
from asyncomm._queue_core import DROPPED, Closing, QueueCore, T, ThreadLine
from asyncomm.clock import Clock
from asyncomm.errors import QueueClosed
from asyncomm.statistics import QueueStatistics
from asyncomm.trace import Trace

__all__ = ["MessageQueue"]


class MessageQueue(QueueCore[T], Closing):
    """A FIFO queue of messages shared by threads (``maxsize=0``: unbounded).

    ``send`` blocks while a bounded queue is full (or follows its ``policy``:
    ``"raise"``, ``"drop-newest"``, ``"drop-oldest"``), ``receive`` while it is
    empty; both take a keyword ``timeout`` in seconds of the queue's clock. After
    ``close()`` nothing more can be sent, and receivers drain what is left.
    ``send`` returns the message's number in this queue: 1, 2, 3, ...

    >>> import asyncomm as ac
    >>> q = ac.MessageQueue(maxsize=2)
    >>> q.send("Hello, World!"), len(q)
    (1, 1)
    >>> q.receive()
    'Hello, World!'

    A ``for`` loop receives until the queue is closed and drained; ``with`` closes the queue at the end
    of the block, even if it ends with an exception:

    >>> with ac.MessageQueue() as q:
    ...     for word in ("to", "be"):
    ...         _ = q.send(word)
    >>> [word for word in q]
    ['to', 'be']
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
        # One lock guards everything; the two lines of waiting threads wait on conditions of it.
        self._lock = threading.Lock()
        self._receivers = ThreadLine(self._lock)  # threads waiting for a message
        self._senders = ThreadLine(self._lock)  # threads waiting for room

    def snapshot(self) -> list[T]:
        """The queued messages, oldest first, without removing them."""
        with self._lock:
            return list(self._items)

    def statistics(self) -> QueueStatistics:
        """The queue's counters at this instant.

        ``senders_waiting`` is what a test or a lesson polls to know a thread really is blocked (a fixed
        ``sleep`` only hopes so):

        >>> import threading, time
        >>> q = MessageQueue(maxsize=1); _ = q.send("a")
        >>> sender = threading.Thread(target=q.send, args=("b",)); sender.start()
        >>> while q.statistics().senders_waiting == 0:      # now it is blocked inside send(), for sure
        ...     time.sleep(0.001)
        >>> q.receive()
        'a'
        >>> sender.join(); q.snapshot(), q.statistics().senders_waiting
        (['b'], 0)
        """
        with self._lock:
            return self._statistics(self._senders.count, self._receivers.count)

    # -- sending -----------------------------------------------------------
    def send(self, msg: T, *, timeout: float | None = None) -> int:
        """Put ``msg`` at the back and return its number (1, 2, 3, ...); wait up to
        ``timeout`` s for room if the queue is full.

        Raises :class:`QueueFull` when the timeout runs out (the message is not
        queued) and :class:`QueueClosed` if the queue is or becomes closed.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        # acquire/try/finally does what `with self._lock:` does, in about half the time on CPython 3.11: it
        # pays for the keyword-only timeout (a call CPython cannot specialise) and the message number.
        lock = self._lock
        lock.acquire()
        try:
            # The fast path tests "open and not full" inline; anything else goes to the rules (QueueCore.admit).
            if self._closed or (self._maxsize and len(self._items) >= self._maxsize):
                decision = self._wait_for_room(msg, timeout)
                if decision == DROPPED:
                    return self._send_dropped(msg)
            self._items.append(msg)
            self._sent += 1
            if self._receivers.count:
                self._receivers.wake_one()
            if self.trace is not None:
                self._record(tr.SEND, msg)
            return self._sent
        finally:
            lock.release()

    def send_nowait(self, msg: T) -> int:
        """Send without waiting: raise :class:`QueueFull` at once if full."""
        return self.send(msg, timeout=0)

    # The slow paths are methods of their own: a lambda inside send() or receive() would make their
    # variables closure cells, which costs time on every call, even when nothing waits.
    def _wait_for_room(self, msg: T, timeout: float | None) -> str:
        """Apply the rules (closed? room? policy?), waiting up to ``timeout`` s: APPEND or DROPPED, or raise."""
        return self._senders.wait(self.clock, lambda: self.admit(msg), timeout, lambda: self._full_error(msg, timeout))

    # -- receiving ---------------------------------------------------------
    def receive(self, *, timeout: float | None = None) -> T:
        """Take the oldest message; wait up to ``timeout`` s for one if empty.

        Raises :class:`QueueEmpty` when the timeout runs out, and
        :class:`QueueClosed` once the queue is closed and drained.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        lock = self._lock  # acquire/try/finally rather than `with`: see send()
        lock.acquire()
        try:
            if not self._items:
                self._wait_for_message(timeout)
            msg = self._items.popleft()
            if self._senders.count:
                self._senders.wake_one()
            if self.trace is not None:
                self._record(tr.RECEIVE, msg)
            return msg
        finally:
            lock.release()

    def receive_nowait(self) -> T:
        """Receive without waiting: raise :class:`QueueEmpty` at once if empty."""
        return self.receive(timeout=0)

    def _wait_for_message(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` s until a message is there; raise once closed and drained."""
        self._receivers.wait(self.clock, self._can_take, timeout, lambda: self._empty_error(timeout))

    def __iter__(self) -> Iterator[T]:
        """Receive message after message (waiting for each) until the queue is closed and drained."""
        while True:
            try:
                msg = self.receive()
            except QueueClosed:
                return
            yield msg

    # -- clearing and closing ----------------------------------------------
    def clear(self) -> int:
        """Drop every queued message and return how many were dropped."""
        with self._lock:
            dropped = len(self._items)
            self._items.clear()
            self._senders.wake_all()
            self._record(tr.CLEAR, dropped)
            return dropped

    def close(self) -> None:
        """Refuse new messages; wake every waiting sender and receiver.

        Receivers still get the messages already queued, then
        :class:`QueueClosed`. Closing twice is harmless.
        """
        with self._lock:
            if self._close():
                self._receivers.wake_all()
                self._senders.wake_all()
