"""What every in-memory queue shares, written once: its state, the backpressure rule, its errors and trace rows,
and the two ways of waiting.

Three queues are built from these parts: :class:`~asyncomm.MessageQueue` (threads),
:class:`~asyncomm.AsyncMessageQueue` (asyncio tasks) and :class:`~asyncomm.reliable.ReliableQueue` (threads,
with acknowledgements). They differ in *how they wait* (and the last in what a receive hands out), so:

* :class:`QueueCore` holds the messages and the rules: :meth:`QueueCore.admit` decides what a send may do right
  now (refuse because the queue is closed, append, drop, or wait for room);
* :class:`ThreadLine` is a line of threads waiting on a condition of the queue's lock, and its
  :meth:`~ThreadLine.wait` loop retries until the queue lets the thread through, or the deadline passes;
* :class:`TaskLine` is the same for asyncio tasks: one future per waiting task, woken in arrival order.

A woken waiter always asks again from the start ("closed?" before "room?"), never "is there room?" alone: a
sender woken by a receive can find the queue closed meanwhile, and must then get ``QueueClosed``, not slip its
message into a queue whose receivers were already told "closed and drained".
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from asyncomm import trace as tr
from asyncomm._checks import check_maxsize, check_name, plural
from asyncomm.clock import Clock, current_clock
from asyncomm.errors import QueueClosed, QueueEmpty, QueueFull
from asyncomm.statistics import QueueStatistics
from asyncomm.trace import Trace

if TYPE_CHECKING:
    # For type checkers only: a queue made without a message type, MessageQueue(), is a MessageQueue[Any] (a
    # TypeVar default, PEP 696; the standard library's TypeVar takes ``default=`` from Python 3.13 on).
    from typing_extensions import TypeVar as TypeVarWithDefault

    T = TypeVarWithDefault("T", default=Any)
else:
    T = TypeVar("T")  # the type of the messages a queue holds
R = TypeVar("R")

#: What a bounded queue does with a send when it is full (backpressure policy).
POLICIES = ("block", "raise", "drop-newest", "drop-oldest")

# What a waiting call may do now: the answers of QueueCore.admit (sends) and of a receive's own check.
APPEND = "append"  # there is room (or a drop-oldest queue just made some): append the message
DROPPED = "dropped"  # policy "drop-newest" threw the new message away: the send is done
TAKE = "take"  # a receive can take a message
WAIT = "wait"  # nothing can be done yet: wait, then ask again
TIMED_OUT = "timed out"  # TaskLine.wait: the timeout ran out first


def check_policy(policy: Any) -> str:
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(repr(p) for p in POLICIES)}, got {policy!r}")
    return policy  # type: ignore[no-any-return]


class QueueCore(Generic[T]):
    """The messages of a queue, oldest first, and the rules every queue applies to them.

    Not thread-safe by itself: the thread queues call it with their lock held, the asyncio queue from its
    event loop only.
    """

    pattern = tr.QUEUE

    def __init__(self, maxsize: int, policy: str, clock: Clock | None, trace: Trace | None, name: str) -> None:
        self._maxsize = check_maxsize(maxsize)
        self._policy = check_policy(policy)
        self._items: deque[T] = deque()
        self._closed = False
        self._clock = clock
        self.trace = trace
        self.name = check_name(name)
        self._dropped = 0  # messages thrown away by a drop policy (clear() is not counted)
        self._sent = 0  # sends that did not raise: MessageQueue and AsyncMessageQueue return it as the message's number

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

    def snapshot(self) -> list[T]:
        """The queued messages, oldest first, without removing them."""
        return list(self._items)

    def _statistics(self, senders_waiting: int, receivers_waiting: int) -> QueueStatistics:
        return QueueStatistics(
            self.name, len(self._items), self._maxsize, self._closed, senders_waiting, receivers_waiting, self._dropped
        )

    # -- the rules ---------------------------------------------------------
    def admit(self, item: Any) -> str:
        """What a send may do now: :data:`APPEND`, :data:`DROPPED` or :data:`WAIT`; or raise.

        Asked again every time a waiting sender wakes up, so *closed* is checked first, each time. ``item`` is
        what the trace rows show for the new message. :data:`DROPPED` leaves the "dropped" row to the caller,
        which may first have to give the message an id.
        """
        if self._closed:
            raise self._closed_error(item)
        if not self._maxsize or len(self._items) < self._maxsize:
            return APPEND
        if self._policy == "block":
            return WAIT
        if self._policy == "raise":
            self._record(tr.SEND, item, tr.QUEUE_FULL)
            raise QueueFull(
                f"queue {self.name!r} is full ({plural(self._maxsize, 'message')}) and its policy "
                f"is 'raise'; receive some first, or use policy='block' to wait for room"
            )
        self._dropped += 1
        if self._policy == "drop-newest":
            return DROPPED
        self._drop_oldest()
        return APPEND

    def _send_dropped(self, item: Any) -> int:
        """Number and trace a send that policy "drop-newest" threw away (admit returned DROPPED)."""
        self._sent += 1
        self._record(tr.SEND, item, tr.DROPPED)
        return self._sent

    def _drop_oldest(self) -> None:
        """Make room for a new message by throwing the oldest away (policy ``"drop-oldest"``)."""
        oldest = self._items.popleft()
        self._record(tr.DROP, oldest, tr.DROPPED)

    def _can_take(self) -> str:
        """What a receive may do now: :data:`TAKE` or :data:`WAIT`; or raise once closed and drained."""
        if self._items:
            return TAKE
        if self._closed:
            raise self._drained_error()
        return WAIT

    def _close(self) -> bool:
        """Mark the queue closed; False if it already was (closing twice is harmless)."""
        if self._closed:
            return False
        self._closed = True
        self._record(tr.CLOSE, None)
        return True

    # -- errors ------------------------------------------------------------
    # Each records its failure in the trace, then returns the exception for the caller to raise.
    def _full_error(self, item: Any, timeout: float | None) -> QueueFull:
        self._record(tr.SEND, item, tr.QUEUE_FULL)
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
        self._record(tr.RECEIVE, None, tr.QUEUE_EMPTY)
        if timeout == 0:
            return QueueEmpty(
                f"queue {self.name!r} is empty; send a message first, or receive with a timeout to wait for one"
            )
        return QueueEmpty(f"no message arrived on queue {self.name!r} within {timeout:g} s")

    def _closed_error(self, item: Any) -> QueueClosed:
        self._record(tr.SEND, item, tr.QUEUE_CLOSED)
        return QueueClosed(f"queue {self.name!r} is closed; no new messages can be sent")

    def _drained_error(self) -> QueueClosed:
        self._record(tr.RECEIVE, None, tr.QUEUE_CLOSED)
        return QueueClosed(f"queue {self.name!r} is closed and drained; there are no more messages")

    # -- tracing -----------------------------------------------------------
    def _record(self, operation: str, item: Any, outcome: str = tr.OK) -> None:
        """One trace row; the size is the queue's length after the operation. A no-op without a trace, but
        hot paths test ``self.trace is not None`` first, which is cheaper than a call."""
        trace = self.trace
        if trace is not None:
            trace.record(self.clock.now(), self.pattern, operation, self.name, item, len(self._items), outcome)

    def __repr__(self) -> str:
        bound = f"maxsize={self._maxsize}" if self._maxsize else "unbounded"
        if self._maxsize and self._policy != "block":
            bound += f", policy={self._policy!r}"
        state = ", closed" if self._closed else ""
        return f"<{type(self).__name__} {self.name!r}: {plural(len(self._items), 'message')}, {bound}{state}>"


class Closing:
    """``with queue:`` closes the queue when the block ends, normally or by an exception."""

    def close(self) -> None:  # pragma: no cover - every queue defines it
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


# -- waiting threads -----------------------------------------------------------------------------------
class ThreadLine:
    """Threads waiting for the same thing (a message, or room), on one condition of the queue's lock.

    ``count`` says how many wait right now: the hot paths call ``wake_one`` only when it is not 0, because
    ``Condition.notify()`` costs a call even when nobody waits.
    """

    __slots__ = ("condition", "count")

    def __init__(self, lock: threading.Lock) -> None:
        self.condition = threading.Condition(lock)
        self.count = 0

    def wake_one(self) -> None:
        self.condition.notify()

    def wake_all(self) -> None:
        self.condition.notify_all()

    def wait(
        self,
        clock: Clock,
        attempt: Callable[[], R],
        timeout: float | None,
        timed_out: Callable[[], Exception],
        next_wake: Callable[[], float | None] | None = None,
    ) -> R:
        """Call ``attempt()`` (with the lock held) until it returns something other than :data:`WAIT`, and
        return that; in between, wait to be woken. ``attempt`` raises to refuse (the queue is closed...).

        When ``timeout`` seconds of ``clock`` have passed, raise ``timed_out()``. ``next_wake()``, if given,
        is a time at which the queue itself changes (a delivery's visibility timeout runs out): the wait
        ends then too, so ``attempt`` sees the change.
        """
        result = attempt()
        if result != WAIT:
            return result
        deadline = None if timeout is None else clock.now() + timeout
        self.count += 1
        try:
            while True:
                if deadline is not None and clock.now() >= deadline:
                    raise timed_out()
                wake = deadline
                change = None if next_wake is None else next_wake()
                if change is not None and (wake is None or change < wake):
                    wake = change
                clock.wait(self.condition, wake)
                result = attempt()
                if result != WAIT:
                    return result
        finally:
            self.count -= 1


# -- waiting asyncio tasks ----------------------------------------------------------------------------
def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class TaskLine(deque[asyncio.Future[None]]):
    """Asyncio tasks waiting for the same thing, first come first served: one future per waiting task.

    A deque, so that ``if line:`` on a hot path is a C-level length test, not a call. A future in the line
    that is done belongs to a waiter that gave up; :meth:`wake_one` skips it.

    A waiter that gives up (its timeout ran out, or its task was cancelled) must leave the line, or a polling
    consumer leaks: 200,000 timed-out receives on a quiet queue used to leave 200,000 futures behind. At
    either end of the line (the usual case: a lone poller) it leaves at once, with the given-up futures next
    to it. From the middle it stays, done, because ``deque.remove`` costs time in proportion to the line;
    ``gone`` counts such departures, and once they could be half the line it is rebuilt from its live
    waiters. So the line holds at most about twice its live waiters, plus a few.
    """

    __slots__ = ("gone",)

    def __init__(self) -> None:
        super().__init__()
        self.gone = 0  # waiters that gave up in the middle of the line since it was last rebuilt (an upper bound)

    def waiting(self) -> int:
        """How many tasks wait right now (woken, timed-out or cancelled ones not counted)."""
        return sum(not fut.done() for fut in self)

    def wake_one(self) -> None:
        while self:
            fut = self.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def wake_all(self) -> None:
        while self:
            _wake(self.popleft())
        self.gone = 0

    def _time_out(self, fut: asyncio.Future[None]) -> None:
        """The timer of one waiter: its deadline passed while it waited. Wake its task (which then returns
        TIMED_OUT, unless what it waits for is there after all) and take it out of the line first, so that
        no later wake-up is spent on it."""
        if not fut.done():  # else it was woken, and so has left the line already
            fut.set_result(None)
            self._leave(fut)

    def _leave(self, fut: asyncio.Future[None]) -> None:
        """Take ``fut``, done, out of the line: see the class docstring."""
        if self and self[-1] is fut:
            self.pop()
            while self and self[-1].done():
                self.pop()
        elif self and self[0] is fut:
            self.popleft()
            while self and self[0].done():
                self.popleft()
        else:
            self.gone += 1
            if 2 * self.gone > len(self) + 32:
                live = [waiter for waiter in self if not waiter.done()]
                self.clear()
                self.extend(live)
                self.gone = 0

    async def wait(
        self,
        loop: asyncio.AbstractEventLoop,
        attempt: Callable[[], R],
        timeout: float | None,
        ready: Callable[[], object],
    ) -> R | str:
        """:meth:`ThreadLine.wait` for tasks: call ``attempt()`` until it returns something other than
        :data:`WAIT`; in between, wait in line to be woken. Time is the loop's. Returns what ``attempt()``
        returned, or :data:`TIMED_OUT` for the caller to raise its own error (no error-making callback to
        build on every wait: this is the hot path of a consumer that keeps up with its producer).

        ``ready()`` says, without side effects, whether what this line waits for is there now. If the task
        is cancelled after it was woken but before it could act, the wake-up passes to the next in line, so
        that a message (or room) is not stranded while another task waits for it. A waiter whose timeout
        runs out leaves the line before anyone could wake it, so no wake-up is spent on it; and once its
        time is up it still asks ``attempt()`` once more, so if it was woken at the same instant it takes
        what woke it rather than strand it.
        """
        result = attempt()
        if result is not WAIT:
            return result
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if deadline is not None and loop.time() >= deadline:
                return TIMED_OUT
            fut = loop.create_future()
            self.append(fut)
            timer = None if deadline is None else loop.call_at(deadline, self._time_out, fut)
            try:
                await fut
            except BaseException:
                # Cancelled (Task.cancel() cancels the future awaited) or interrupted: leave the line. A
                # future woken or timed out (it has a result) has left it already.
                if not fut.done():
                    fut.cancel()
                if fut.cancelled():
                    self._leave(fut)
                if ready():
                    self.wake_one()
                raise
            finally:
                if timer is not None:
                    timer.cancel()
            result = attempt()
            if result is not WAIT:
                return result
