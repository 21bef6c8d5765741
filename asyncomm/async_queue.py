"""``AsyncMessageQueue``: the message queue for asyncio code.

Same verbs and errors as :class:`~asyncomm.MessageQueue`, awaited instead of
blocking a thread. Waiters are woken in FIFO order and re-check the queue when
they run, so a receiver cancelled while waiting never takes (and loses) a
message: the wake-up passes on to the next receiver.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from threading import get_ident
from types import TracebackType
from typing import Any, Self

from asyncomm import trace as tr
from asyncomm._checks import check_timeout
from asyncomm._queue_core import APPEND, DROPPED, TIMED_OUT, WAIT, QueueCore, T, TaskLine
from asyncomm.clock import Clock
from asyncomm.errors import QueueClosed, UsageError
from asyncomm.statistics import QueueStatistics
from asyncomm.trace import Trace

__all__ = ["AsyncMessageQueue"]

# How often (real seconds) a thread blocked in send_threadsafe() looks whether the queue's event loop ended
# meanwhile: no callback tells it, and a loop that ended never settles the send. A send that completes wakes
# the thread at once; this only bounds how long a thread notices a loop that is gone.
_THREAD_POLL = 0.05


class AsyncMessageQueue(QueueCore[T]):
    """A FIFO queue for asyncio tasks (``maxsize=0``: unbounded).

    Use it from one event loop. To hand messages in from another thread, call
    :meth:`send_threadsafe` there: it waits for room like ``send`` and loses
    nothing. ``send`` returns the message's number in this queue: 1, 2, 3, ...

    >>> import asyncomm as ac
    >>> async def main():
    ...     q = ac.AsyncMessageQueue()
    ...     await q.send("ping")
    ...     return await q.receive()
    >>> ac.VirtualClock().run(main())
    'ping'

    ``async for`` receives until the queue is closed and drained; ``async with`` closes the queue at the
    end of the block, even if it ends with an exception:

    >>> async def words():
    ...     async with ac.AsyncMessageQueue() as q:
    ...         for word in ("to", "be"):
    ...             await q.send(word)
    ...     return [word async for word in q]
    >>> ac.VirtualClock().run(words())
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
        self._receivers = TaskLine()  # tasks waiting for a message
        self._senders = TaskLine()  # tasks waiting for room
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # created outside any loop: bind on first use
            running = None
        if running is not None:  # created inside a running loop: bind now, so threads can send at once
            self._bind_to(running)

    def statistics(self) -> QueueStatistics:
        """The queue's counters at this instant (woken, timed-out or cancelled waiters not counted).

        >>> import asyncio, asyncomm as ac
        >>> async def main():
        ...     q = ac.AsyncMessageQueue(maxsize=1); await q.send("a")
        ...     sender = asyncio.create_task(q.send("b")); await asyncio.sleep(0)
        ...     waiting = q.statistics().senders_waiting
        ...     await q.receive(); await sender
        ...     return waiting, q.statistics().senders_waiting
        >>> ac.VirtualClock().run(main())
        (1, 0)
        """
        return self._statistics(self._senders.waiting(), self._receivers.waiting())

    # -- sending -----------------------------------------------------------
    def send_nowait(self, msg: T) -> int:
        """Put ``msg`` at the back now and return its number, or raise
        :class:`QueueFull` / :class:`QueueClosed`."""
        self._check_thread("send_nowait")
        if self._closed or (self._maxsize and len(self._items) >= self._maxsize):
            decision = self.admit(msg)
            if decision == WAIT:
                raise self._full_error(msg, 0)
            if decision == DROPPED:
                return self._send_dropped(msg)
        return self._put(msg)

    async def send(self, msg: T, *, timeout: float | None = None) -> int:
        """Put ``msg`` at the back, waiting up to ``timeout`` s for room; return its number."""
        if self._loop is None:  # first use binds (and checks) the loop; the slow path checks it again
            self._bind()
        if timeout is not None:
            timeout = check_timeout(timeout)
        # The fast path tests "open and not full" inline; anything else goes to the rules (QueueCore.admit).
        if self._closed or (self._maxsize and len(self._items) >= self._maxsize):
            decision = await self._wait_for_room(msg, timeout)
            if decision is not APPEND:
                if decision is DROPPED:
                    return self._send_dropped(msg)
                raise self._full_error(msg, timeout)  # TIMED_OUT
        # What _put() does, inlined: one call less on the hot path pays for the keyword-only timeout (a call
        # CPython cannot specialise) and the message number. Keep the two in step.
        self._items.append(msg)
        self._sent = number = self._sent + 1
        if self._receivers:
            self._receivers.wake_one()
        if self.trace is not None:
            self._record(tr.SEND, msg)
        return number

    # The slow paths are methods of their own: a lambda inside send() or receive() would make their
    # variables closure cells, which costs time on every call, even when nothing waits. They return the
    # line's wait() coroutine for the caller to await, rather than awaiting it in a coroutine of their own.
    def _wait_for_room(self, msg: T, timeout: float | None) -> Coroutine[Any, Any, str]:
        """Apply the rules (closed? room? policy?), waiting up to ``timeout`` s: APPEND or DROPPED, or raise."""
        return self._senders.wait(self._bind(), lambda: self.admit(msg), timeout, self._has_room)

    def _has_room(self) -> bool:
        return not self.full()

    def _put(self, msg: T) -> int:
        self._items.append(msg)
        self._sent += 1
        if self._receivers:
            self._receivers.wake_one()
        if self.trace is not None:
            self._record(tr.SEND, msg)
        return self._sent

    def send_threadsafe(self, msg: T, *, timeout: float | None = None) -> int:
        """Send from a thread that is *not* the queue's event loop thread.

        Blocks the calling thread until the message is queued (so a full queue
        pushes back on the thread and nothing is dropped), then returns its
        number; raises what ``send`` raises.

        If the queue's event loop is not running, or stops before the message
        was queued (its ``asyncio.run`` or ``clock.run`` ended), this raises
        :class:`~asyncomm.QueueClosed` and the message was not sent: nothing
        will ever receive from that loop again. A loop that was stopped but not
        closed may still run again, so a send it had already started waits for
        it to run or to be closed.
        """
        loop = self._loop
        if loop is None:
            raise UsageError(
                f"queue {self.name!r} has no event loop yet; create it inside a coroutine "
                f"(or await one of its methods) before other threads send to it"
            )
        if _loop_of_this_thread() is loop:
            raise UsageError(
                "send_threadsafe() is for other threads; inside the event loop use `await queue.send(msg)`"
            )
        if timeout is not None:
            timeout = check_timeout(timeout)
        if loop.is_closed() or not loop.is_running():
            raise self._loop_stopped()
        # Not asyncio.run_coroutine_threadsafe(): its future is set by a callback the loop may never run (the
        # loop ends after our check, or just after the send), and a task cancelled at the end of the loop
        # gives the thread a bare CancelledError. Here the thread's future is settled inside the loop's step
        # that queues the message; and the thread claims the send back (done.cancel()) if the loop stops
        # before starting it, so the thread knows for sure whether the message was sent.
        done: concurrent.futures.Future[int] = concurrent.futures.Future()

        async def send_from_thread() -> None:
            try:
                number = await self.send(msg, timeout=timeout)
            except asyncio.CancelledError:  # the loop is ending: it cancels every task left
                done.set_exception(self._loop_stopped())
                raise
            except BaseException as error:
                done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
            else:
                done.set_result(number)

        def start() -> None:  # on the loop's thread
            if done.set_running_or_notify_cancel():  # False: the thread gave up before the loop got here
                loop.create_task(send_from_thread())

        try:
            loop.call_soon_threadsafe(start)
        except RuntimeError:  # closed since the check above
            raise self._loop_stopped() from None
        while True:
            try:
                return done.result(_THREAD_POLL)
            except concurrent.futures.TimeoutError:
                pass
            # Still waiting: room for the message, or the loop's turn. Give up only when the loop can no longer
            # queue the message: closed (it never runs again), or stopped before it started the send.
            if loop.is_closed() or not loop.is_running():
                if done.cancel():
                    raise self._loop_stopped()
                if loop.is_closed() and not done.done():
                    raise self._loop_stopped()

    def _loop_stopped(self) -> QueueClosed:
        return QueueClosed(
            f"the event loop of queue {self.name!r} is not running (any more), so the message was not sent: "
            f"nothing can receive it; keep the loop running (its asyncio.run or clock.run) until the threads "
            f"that send to it are done, or have them stop on QueueClosed"
        )

    # -- receiving ---------------------------------------------------------
    def receive_nowait(self) -> T:
        """Take the oldest message now, or raise :class:`QueueEmpty` /
        :class:`QueueClosed` (closed and drained)."""
        self._check_thread("receive_nowait")
        if self._can_take() == WAIT:
            raise self._empty_error(0)
        return self._take()

    async def receive(self, *, timeout: float | None = None) -> T:
        """Take the oldest message, waiting up to ``timeout`` s for one."""
        if self._loop is None:  # first use binds (and checks) the loop; the slow path checks it again
            self._bind()
        if timeout is not None:
            timeout = check_timeout(timeout)
        items = self._items
        if not items and await self._receivers.wait(self._bind(), self._can_take, timeout, items.__len__) is TIMED_OUT:
            raise self._empty_error(timeout)
        # What _take() does, inlined, as in send(). Keep the two in step.
        msg = items.popleft()
        if self._senders:
            self._senders.wake_one()
        if self.trace is not None:
            self._record(tr.RECEIVE, msg)
        return msg

    def _take(self) -> T:
        msg = self._items.popleft()
        if self._senders:
            self._senders.wake_one()
        if self.trace is not None:
            self._record(tr.RECEIVE, msg)
        return msg

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        """``async for`` receives message after message until the queue is closed and drained."""
        try:
            return await self.receive()
        except QueueClosed:
            raise StopAsyncIteration from None

    # -- the event loop the queue belongs to --------------------------------
    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._bind_to(loop)
        elif self._loop is not loop:
            raise UsageError(
                f"queue {self.name!r} belongs to another event loop; create the queue "
                f"inside the coroutine (or clock.run) that uses it"
            )
        return loop

    def _bind_to(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = self._check_loop(loop)
        self._loop_thread = get_ident()

    def _check_thread(self, verb: str) -> None:
        """Refuse ``verb`` from another thread than the one running the queue's loop.

        Touching the queue from another thread while its loop runs would wake a waiter without waking the
        loop (asyncio is not thread-safe). Before the loop is known, or once it has ended, any thread may.
        """
        if self._loop_thread is None or self._loop_thread == get_ident():
            return
        if self._loop is not None and self._loop.is_running():
            raise UsageError(
                f"{verb}() was called from another thread than the event loop of queue "
                f"{self.name!r}; from other threads use queue.send_threadsafe(msg), the one "
                f"method safe across threads"
            )

    def _check_loop(self, loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
        # Timeouts run on the loop's time; refuse a loop whose time is not the
        # queue's clock, or traces and timeouts would disagree.
        if self._clock is not None and getattr(loop, "virtual_clock", None) is not (
            self._clock if self._clock.is_virtual else None
        ):
            if self._clock.is_virtual:
                raise UsageError(
                    f"queue {self.name!r} runs on a VirtualClock, but this event loop does not; "
                    f"run your coroutine with clock.run(main())"
                )
            raise UsageError(
                f"queue {self.name!r} was given a real clock but runs inside a VirtualClock's "
                f"loop; leave out clock= to use the loop's clock"
            )
        return loop

    # -- clearing and closing ----------------------------------------------
    def clear(self) -> int:
        """Drop every queued message and return how many were dropped."""
        self._check_thread("clear")
        dropped = len(self._items)
        self._items.clear()
        self._senders.wake_all()
        self._record(tr.CLEAR, dropped)
        return dropped

    def close(self) -> None:
        """Refuse new messages and wake every waiter; receivers drain what is
        left, then get :class:`QueueClosed`. Closing twice is harmless."""
        self._check_thread("close")
        if self._close():
            self._receivers.wake_all()
            self._senders.wake_all()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
