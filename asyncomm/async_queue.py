"""``AsyncMessageQueue``: the message queue for asyncio code.

Same verbs and errors as :class:`~asyncomm.MessageQueue`, awaited instead of
blocking a thread. Waiters are woken in FIFO order and re-check the queue when
they run, so a receiver cancelled while waiting never takes (and loses) a
message: the wake-up passes on to the next receiver.
"""

from __future__ import annotations

import asyncio
from collections import deque
from threading import get_ident
from typing import Any

from asyncomm._checks import check_timeout
from asyncomm._queue_core import QueueBase
from asyncomm.clock import Clock
from asyncomm.errors import UsageError
from asyncomm.trace import Trace

__all__ = ["AsyncMessageQueue"]


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class AsyncMessageQueue(QueueBase):
    """A FIFO queue for asyncio tasks (``maxsize=0``: unbounded).

    Use it from one event loop. To hand messages in from another thread, call
    :meth:`send_threadsafe` there: it waits for room like ``send`` and loses
    nothing.

    >>> import asyncomm as ac
    >>> async def main():
    ...     q = ac.AsyncMessageQueue()
    ...     await q.send("ping")
    ...     return await q.receive()
    >>> ac.VirtualClock().run(main())
    'ping'
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
        self._receivers: deque[asyncio.Future[None]] = deque()
        self._senders: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # created outside any loop: bind on first use
            running = None
        if running is not None:  # created inside a running loop: bind now, so threads can send at once
            self._bind_to(running)

    @property
    def senders_waiting(self) -> int:
        """How many ``send`` calls wait for room right now (cancelled or woken ones not counted).

        >>> import asyncio, asyncomm as ac
        >>> async def main():
        ...     q = ac.AsyncMessageQueue(maxsize=1); await q.send("a")
        ...     sender = asyncio.create_task(q.send("b")); await asyncio.sleep(0)
        ...     waiting = q.senders_waiting
        ...     await q.receive(); await sender
        ...     return waiting, q.senders_waiting
        >>> ac.VirtualClock().run(main())
        (1, 0)
        """
        return sum(not fut.done() for fut in self._senders)

    @property
    def receivers_waiting(self) -> int:
        """How many ``receive`` calls wait for a message right now.

        >>> AsyncMessageQueue().receivers_waiting
        0
        """
        return sum(not fut.done() for fut in self._receivers)

    # -- sending -----------------------------------------------------------
    def send_nowait(self, msg: Any) -> None:
        """Put ``msg`` at the back now, or raise :class:`QueueFull` /
        :class:`QueueClosed`."""
        if self._loop_thread is not None and self._loop_thread != get_ident():
            self._refuse_foreign_thread("send_nowait")
        if self._closed:
            raise self._closed_error(msg)
        if self._maxsize and len(self._items) >= self._maxsize:
            if self._policy == "block":
                raise self._full_error(msg, 0)
            if self._shed(msg):
                return
        self._put(msg)

    async def send(self, msg: Any, timeout: float | None = None) -> None:
        """Put ``msg`` at the back, waiting up to ``timeout`` s for room."""
        if self._loop is None:  # first use binds (and checks) the loop; _wait checks it again before waiting
            self._bind()
        if timeout is not None:
            timeout = check_timeout(timeout)
        if self._closed:
            raise self._closed_error(msg)
        if self._maxsize and len(self._items) >= self._maxsize:
            if self._policy != "block":
                if self._shed(msg):
                    return
            else:
                await self._wait(self._senders, self.full, timeout, "send", msg)
        self._put(msg)

    def _put(self, msg: Any) -> None:
        self._items.append(msg)
        receivers = self._receivers
        while receivers:
            fut = receivers.popleft()
            if not fut.done():
                fut.set_result(None)
                break
        if self.trace is not None:
            self._record("send", msg)

    def send_threadsafe(self, msg: Any, timeout: float | None = None) -> None:
        """Send from a thread that is *not* the queue's event loop thread.

        Blocks the calling thread until the message is queued (so a full queue
        pushes back on the thread and nothing is dropped); raises what
        ``send`` raises.
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
        if loop.is_closed() or not loop.is_running():
            raise UsageError(
                f"the event loop of queue {self.name!r} is not running (any more); "
                f"send_threadsafe() only works while the loop that receives is running"
            )
        asyncio.run_coroutine_threadsafe(self.send(msg, timeout), loop).result()

    # -- receiving ---------------------------------------------------------
    def receive_nowait(self) -> Any:
        """Take the oldest message now, or raise :class:`QueueEmpty` /
        :class:`QueueClosed` (closed and drained)."""
        if self._loop_thread is not None and self._loop_thread != get_ident():
            self._refuse_foreign_thread("receive_nowait")
        if not self._items:
            if self._closed:
                raise self._drained_error()
            raise self._empty_error(0)
        return self._take()

    async def receive(self, timeout: float | None = None) -> Any:
        """Take the oldest message, waiting up to ``timeout`` s for one."""
        if self._loop is None:  # first use binds (and checks) the loop; _wait checks it again before waiting
            self._bind()
        if timeout is not None:
            timeout = check_timeout(timeout)
        if not self._items:
            await self._wait(self._receivers, self.empty, timeout, "receive", None)
        return self._take()

    def _take(self) -> Any:
        msg = self._items.popleft()
        senders = self._senders
        while senders:
            fut = senders.popleft()
            if not fut.done():
                fut.set_result(None)
                break
        if self.trace is not None:
            self._record("receive", msg)
        return msg

    # -- waiting -----------------------------------------------------------
    async def _wait(
        self, waiters: deque[asyncio.Future[None]], blocked: Any, timeout: float | None, operation: str, msg: Any
    ) -> None:
        """Wait in line until ``blocked()`` is false; raise on close or timeout."""
        loop = self._bind()
        deadline = None if timeout is None else loop.time() + timeout
        while blocked():
            if self._closed:
                raise self._closed_error(msg) if operation == "send" else self._drained_error()
            if deadline is not None and loop.time() >= deadline:
                raise self._full_error(msg, timeout) if operation == "send" else self._empty_error(timeout)
            fut = loop.create_future()
            waiters.append(fut)
            timer = None if deadline is None else loop.call_at(deadline, _wake, fut)
            try:
                await fut
            except BaseException:
                fut.cancel()
                if fut in waiters:
                    waiters.remove(fut)
                # We were woken but cancelled before we could act: pass the
                # turn on, so the message (or the room) is not stranded.
                if not blocked():
                    for other in waiters:
                        if not other.done():
                            other.set_result(None)
                            break
                raise
            finally:
                if timer is not None:
                    timer.cancel()

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

    def _refuse_foreign_thread(self, verb: str) -> None:
        # Touching the queue from another thread while its loop runs would wake a waiter without
        # waking the loop (asyncio is not thread-safe). Once the loop has ended, inspecting is fine.
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
        if self._loop_thread is not None and self._loop_thread != get_ident():
            self._refuse_foreign_thread("clear")
        dropped = len(self._items)
        self._items.clear()
        for fut in self._senders:
            _wake(fut)
        if self.trace is not None:
            self._record("clear", dropped)
        return dropped

    def close(self) -> None:
        """Refuse new messages and wake every waiter; receivers drain what is
        left, then get :class:`QueueClosed`. Closing twice is harmless."""
        if self._loop_thread is not None and self._loop_thread != get_ident():
            self._refuse_foreign_thread("close")
        if self._closed:
            return
        self._closed = True
        for fut in (*self._receivers, *self._senders):
            _wake(fut)
        if self.trace is not None:
            self._record("close", None)


def _loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
