"""Clocks: where every pattern reads the time and how it waits.

``RealClock`` is wall time. ``VirtualClock`` is time that moves only when told
to, which makes every timing in the course exact and every test instant:

* thread code (``MessageQueue``, ``clock.sleep``) jumps the clock to the next
  deadline once the waiting thread has seen nothing happen for
  ``autojump_threshold`` real seconds, or waits for ``advance()``;
* asyncio code run by ``clock.run(main())`` gets an event loop whose time *is*
  the virtual clock: when every task waits, the loop jumps straight to the next
  timer (as trio's autojump clock does), so ``asyncio.sleep(10)`` takes no real
  time and ends at exactly ``t = 10``.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import threading
import time
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from asyncomm._checks import check_seconds
from asyncomm.errors import Deadlock

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

__all__ = ["Clock", "RealClock", "VirtualClock", "current_clock"]

T = TypeVar("T")

# How often a thread waiting on a virtual clock looks at the time again (real s).
_POLL = 0.001


class _Running(threading.local):
    """The VirtualClock whose run() drives the event loop of this thread, if any. A class
    attribute as default: getattr() with a default on a bare local costs a raised AttributeError."""

    clock: Clock | None = None


_running = _Running()


class Clock:
    """What queues, buses and labs need from a clock. Subclassed by
    :class:`RealClock` and :class:`VirtualClock`; use one of those.

    >>> isinstance(VirtualClock(), Clock), VirtualClock.is_virtual, RealClock.is_virtual
    (True, True, False)
    """

    is_virtual = False

    def now(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def wait(self, cond: threading.Condition, deadline: float | None) -> None:  # pragma: no cover
        """Block on ``cond`` (whose lock the caller holds) until notified or
        until ``deadline`` (a ``now()`` value) may have passed. Callers loop
        and re-check their condition and the deadline. A deadline of ``None``
        or ``inf`` means no deadline."""
        raise NotImplementedError

    def _new_loop(self) -> asyncio.AbstractEventLoop:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run the coroutine ``main`` to completion on a fresh event loop of
        this clock and return its result.

        Works in a script and inside a notebook (where a loop already runs:
        the new loop then runs in a helper thread while the cell waits).

        >>> import asyncio, asyncomm as ac
        >>> async def nap():
        ...     await asyncio.sleep(60)
        ...     return asyncio.get_running_loop().time()
        >>> ac.VirtualClock().run(nap())
        60.0
        """
        if not asyncio.iscoroutine(main):
            raise TypeError(
                f"run() needs a coroutine object, got {main!r}; call your async function: "
                f"clock.run(main()), not clock.run(main)"
            )
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._run_here(main)
        results: list[T] = []
        errors: list[BaseException] = []

        def target() -> None:
            try:
                results.append(self._run_here(main))
            except BaseException as err:  # handed back to the caller's thread
                errors.append(err)

        helper = threading.Thread(target=target, name="asyncomm-clock-run")
        helper.start()
        helper.join()
        if errors:
            raise errors[0]
        return results[0]

    def _run_here(self, main: Coroutine[Any, Any, T]) -> T:
        loop = self._new_loop()
        previous = _running.clock
        _running.clock = self
        try:
            task = loop.create_task(main)
            try:
                return loop.run_until_complete(task)
            except RuntimeError:
                if getattr(loop, "deadlocked", False):
                    raise Deadlock(_deadlock_message(loop, self)) from None
                raise
        finally:
            try:
                _cancel_all_tasks(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                _running.clock = previous
                loop.close()


class RealClock(Clock):
    """Wall-clock time in seconds since this clock was created.

    >>> import asyncomm as ac
    >>> clock = ac.RealClock()
    >>> 0 <= clock.now() < 1
    True
    """

    def __init__(self) -> None:
        self._origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._origin

    def sleep(self, seconds: float) -> None:
        time.sleep(check_seconds(seconds, "seconds"))

    def wait(self, cond: threading.Condition, deadline: float | None) -> None:
        if deadline is None or deadline == math.inf:
            cond.wait()
        else:
            remaining = deadline - self.now()
            if remaining > 0:
                # Condition.wait() raises OverflowError past TIMEOUT_MAX (about 49 days on Windows); callers
                # loop until their deadline, so waking earlier is harmless.
                cond.wait(min(remaining, threading.TIMEOUT_MAX))

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def __repr__(self) -> str:
        return f"RealClock(now={self.now():.3f})"


class VirtualClock(Clock):
    """Deterministic time: it moves only when advanced, or when every waiter
    waits (autojump).

    ``autojump_threshold`` (real seconds, ``None`` = never jump) is how long a
    waiting *thread* lets nothing happen before the clock jumps to the earliest
    pending deadline; with several threads, raise it or drive time with
    :meth:`advance`. ``deadlock_after`` (real seconds) is how long
    :meth:`run` waits for outside work when no timer is due before it raises
    :class:`~asyncomm.Deadlock`.

    >>> import asyncomm as ac
    >>> clock = ac.VirtualClock()
    >>> q = ac.MessageQueue(clock=clock)
    >>> try:
    ...     q.receive(timeout=10)
    ... except ac.QueueEmpty:
    ...     print(clock.now())
    10.0
    """

    is_virtual = True

    def __init__(
        self,
        start: float = 0.0,
        *,
        autojump_threshold: float | None = 0.02,
        deadlock_after: float = 1.0,
    ) -> None:
        self._now = check_seconds(start, "start", any_finite=True)
        self.autojump_threshold = (
            None if autojump_threshold is None else check_seconds(autojump_threshold, "autojump_threshold")
        )
        self.deadlock_after = check_seconds(deadlock_after, "deadlock_after")
        self._lock = threading.Lock()
        # thread -> the deadline it waits for. An entry stays between the thread's polls (see wait) and may
        # outlive its wait; a stale one can only make a jump shorter, never skip a live thread's deadline.
        self._deadlines: dict[int, float] = {}
        self._idle = threading.local()  # per thread: what it waits for, and since when (real time)
        self._sleepers = threading.Condition()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` and return the new time. Waiting
        threads whose deadline passed wake up."""
        seconds = check_seconds(seconds, "seconds", any_finite=True)
        with self._lock:
            now = self._now + seconds
            if now == math.inf:  # two huge steps add up to inf: a clock there would stay there forever
                raise ValueError(
                    f"advance({seconds!r}) would move the clock from {self._now:g} past the largest float; "
                    f"take a smaller step"
                )
            self._now = now
            return now

    def advance_to(self, when: float) -> float:
        """Move time forward to ``when``; time never goes back."""
        when = check_seconds(when, "when", any_finite=True)
        with self._lock:
            if when < self._now:
                raise ValueError(f"cannot move a clock back: it is at {self._now:g}, asked for {when:g}")
            self._now = when
            return self._now

    def _jump_to_earliest_deadline(self) -> None:
        with self._lock:
            ahead = [d for d in self._deadlines.values() if d > self._now]
            if ahead:
                self._now = min(ahead)

    def sleep(self, seconds: float) -> None:
        """Block this thread until the clock has moved ``seconds`` forward."""
        deadline = self._now + check_seconds(seconds, "seconds")
        with self._sleepers:
            while self._now < deadline:
                self.wait(self._sleepers, deadline)

    def wait(self, cond: threading.Condition, deadline: float | None) -> None:
        """One poll of ``cond``, then back to the caller, which re-checks its condition and calls again.

        Returning after every poll is what makes a notify impossible to lose: when ``Condition.wait(t)``
        times out at the very moment another thread calls ``notify()``, CPython hands the notification to
        this waiter yet reports a timeout, so a loop in here would poll on while the message (or the room,
        or the close) that the notify announced waited for nobody. The caller's re-check sees it.

        Between the calls, the thread's deadline stays registered and its idle time keeps counting as long
        as it waits on the same condition for the same deadline and the clock has not moved: after
        ``autojump_threshold`` real seconds of that, time jumps to the earliest deadline of any thread.
        """
        if deadline is None or deadline == math.inf:  # never jump to inf: the clock would stay there
            cond.wait()
            return
        me, idle, now = threading.get_ident(), self._idle, self._now
        mark = (cond, deadline, now)
        if getattr(idle, "mark", None) != mark:
            idle.mark, idle.since = mark, time.monotonic()
        with self._lock:
            self._deadlines[me] = deadline
        if now >= deadline:
            self._forget(me)
            return
        threshold = self.autojump_threshold
        if threshold is not None and time.monotonic() - idle.since >= threshold:
            self._jump_to_earliest_deadline()
            return
        # A notify ends the poll at once; time moved by another thread's advance() is seen within _POLL.
        if cond.wait(_POLL) or self._now >= deadline:
            idle.mark = None  # woken, or time moved: the next wait starts its idle time afresh
            self._forget(me)

    def _forget(self, thread: int) -> None:
        with self._lock:
            self._deadlines.pop(thread, None)

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        return _VirtualLoop(self)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now:g})"


_default_clock = RealClock()


def current_clock() -> Clock:
    """The clock of the running ``VirtualClock.run()`` in this thread, else the
    shared default :class:`RealClock`. Patterns created without ``clock=`` use it.

    >>> import asyncomm as ac
    >>> isinstance(ac.current_clock(), ac.RealClock)
    True
    """
    return _running.clock or _default_clock


class _VirtualSelector(selectors.BaseSelector):
    """A real selector that, instead of sleeping until the next timer, moves
    the virtual clock to it. Real I/O (the loop's self-pipe, used by
    ``call_soon_threadsafe`` and executors) is still polled."""

    def __init__(self, loop: _VirtualLoop) -> None:
        self._real = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: FileDescriptorLike, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: FileDescriptorLike, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        loop = self._loop
        if timeout is not None:
            # Every task waits for a timer: jump exactly to the earliest one
            # (reading its time avoids float drift from now + timeout).
            # loop._scheduled is asyncio's heap of timers: private, but the only view of the next one.
            scheduled = loop._scheduled  # type: ignore[attr-defined]
            target = scheduled[0].when() if scheduled else loop.time() + timeout
            if target != math.inf:
                clock = loop.virtual_clock
                with clock._lock:
                    clock._now = max(clock._now, target)
                return []
            # The earliest timer is at inf (asyncio.sleep(math.inf), a timeout of inf): it never fires, and a
            # clock moved there would stay at inf; so this is the case below, no timer at all.
        # No timer at all: only outside work (a thread) could wake a task.
        ready = self._real.select(loop.virtual_clock.deadlock_after)
        if not ready:
            loop.deadlocked = True
            loop.stop()
        return ready


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        self.virtual_clock = clock
        self.deadlocked = False
        super().__init__(selector=_VirtualSelector(self))

    def time(self) -> float:
        return self.virtual_clock.now()


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    if isinstance(loop, _VirtualLoop):
        loop.deadlocked = False
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def _deadlock_message(loop: asyncio.AbstractEventLoop, clock: Clock) -> str:
    names = sorted(task.get_coro().__qualname__ for task in asyncio.all_tasks(loop))  # type: ignore[union-attr]
    return (
        f"deadlock at t={clock.now():g}s: every task waits and no timer is due "
        f"(waiting: {', '.join(names)}); give the wait a timeout, or make sure some task "
        f"sends what the others wait for"
    )
