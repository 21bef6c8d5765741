"""Callbacks: the registry the seed describes, and the ways out of callback hell.

* :class:`CallbackRegistry` - register / trigger / remove, with the same rules
  as :class:`~asyncomm.EventBus` (order, snapshot, errors collected;
  ``KeyboardInterrupt`` and ``SystemExit`` stop a trigger at once).
* :func:`run_in_background` - start work on a thread and be called back with
  ``on_done(result)`` or ``on_error(exc)``.
* :func:`from_callbacks` - turn a callback-style function into something you
  can ``await``; :func:`add_callbacks` goes the other way, future -> callbacks.
* :func:`call_in_loop` - hand a completion from a worker thread to asyncio
  safely (asyncio objects may only be touched from their loop's thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from asyncomm._checks import check_callable, plural
from asyncomm._listeners import ListenerList, ListenerOwner, call_each, call_each_async, describe, tally
from asyncomm.clock import Clock
from asyncomm.errors import CallbackNotFound, TriggerFailed, UsageError
from asyncomm.statistics import BusStatistics
from asyncomm.trace import CALLBACK, CALLBACK_NOT_FOUND, OK, ONCE, REGISTER, REMOVE, TRIGGER, TRIGGER_FAILED, Trace

__all__ = ["CallbackRegistry", "add_callbacks", "call_in_loop", "from_callbacks", "run_in_background"]

F = TypeVar("F", bound=Callable[..., Any])


class CallbackRegistry(ListenerOwner):
    """An ordered set of callbacks, all called by one ``trigger``.

    >>> import asyncomm as ac
    >>> done = ac.CallbackRegistry()
    >>> _ = done.register(lambda msg: print("got", msg))
    >>> done.trigger("Hello, World!")
    got Hello, World!
    1

    As on an :class:`~asyncomm.EventBus`, a callback that raises an ``Exception`` does not stop the others;
    one that raises ``KeyboardInterrupt`` or ``SystemExit`` does: the trigger ends there and the exception
    propagates as it is. The registry stays usable, with every callback still registered.
    """

    pattern = CALLBACK

    def __init__(self, *, clock: Clock | None = None, trace: Trace | None = None, name: str = "callbacks") -> None:
        self._list = ListenerList(threading.Lock())
        super().__init__(clock, trace, name)

    def register(self, callback: F) -> F:
        """Add ``callback``; it is called on every trigger. Returns it, so
        ``@registry.register`` works as a decorator too."""
        check_callable(callback, "callback")
        self._list.add(callback)
        self._record(REGISTER, describe(callback))
        return callback

    def once(self, callback: F) -> F:
        """Add ``callback`` for the next trigger only."""
        check_callable(callback, "callback")
        self._list.add(callback, once=True)
        self._record(ONCE, describe(callback))
        return callback

    def remove(self, callback: Callable[..., Any]) -> None:
        """Remove ``callback`` (its latest registration); raises
        :class:`CallbackNotFound` if it is not registered."""
        if not self._list.remove(callback):
            self._record(REMOVE, describe(callback), CALLBACK_NOT_FOUND)
            raise CallbackNotFound(f"callback {describe(callback)} is not registered; register it first")
        self._record(REMOVE, describe(callback))

    def trigger(self, *args: Any, **kwargs: Any) -> int:
        """Call every callback in registration order; return how many ran.
        Raises :class:`TriggerFailed` after all ran if any raised.

        ``KeyboardInterrupt`` and ``SystemExit`` (the ``BaseException`` subclasses that are not
        ``Exception`` ones) are not collected: they mean "stop now", so they end the trigger at once and
        propagate as they are; the later callbacks do not run for this trigger, and errors collected so far
        are dropped. The registry is not harmed: its callbacks stay registered (a ``once`` one that ran is
        gone, as always) and the next trigger runs them all."""
        entries = self._list.entries
        errors: list[Exception] = []
        call_each(entries, args, kwargs, errors, refuse_async=("callback", "registry"))
        if errors or self.trace is not None:
            return self._finish(args, entries, errors)
        return len(entries)

    async def trigger_async(self, *args: Any, **kwargs: Any) -> int:
        """Like :meth:`trigger`, awaiting coroutine callbacks in order."""
        entries = self._list.entries
        errors: list[Exception] = []
        await call_each_async(entries, args, kwargs, errors)
        if errors or self.trace is not None:
            return self._finish(args, entries, errors)
        return len(entries)

    def _finish(self, args: tuple[Any, ...], entries: tuple[Callable[..., Any], ...], errors: list[Exception]) -> int:
        """After a trigger with errors or a trace: record it (the item is the one argument, or all of them as
        a tuple), raise the errors together if any, or return how many callbacks ran."""
        ran, errors = tally(entries, errors)
        self._record(TRIGGER, args[0] if len(args) == 1 else args, TRIGGER_FAILED if errors else OK)
        if errors:
            raise TriggerFailed(f"{len(errors)} of {plural(ran, 'callback')} raised", errors)
        return ran

    def callbacks(self) -> tuple[Callable[..., Any], ...]:
        """The registered callbacks in call order."""
        return self._list.listeners()

    def __len__(self) -> int:
        return len(self._list)

    def statistics(self) -> BusStatistics:
        """The registry's counters at this instant, as one record (a registry is a bus with one event,
        and no listener limit: ``events`` is 1 once a callback is registered, ``max_listeners`` is 0).

        >>> import asyncomm as ac
        >>> done = ac.CallbackRegistry(name="done")
        >>> _ = done.register(print); _ = done.once(repr)
        >>> done.statistics()
        BusStatistics(name='done', events=1, listeners=2, once=1, max_listeners=0)
        """
        listeners = len(self._list)
        return BusStatistics(
            name=self.name, events=min(listeners, 1), listeners=listeners, once=self._list.once_count(), max_listeners=0
        )

    def _size(self, item: Any) -> int:
        return len(self._list)  # a trace row's size: the callbacks registered after the operation

    def __repr__(self) -> str:
        return f"<CallbackRegistry {self.name!r}: {plural(len(self), 'callback')}>"


_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _default_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncomm-background")
        return _pool


def run_in_background(
    work: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], Any] | None = None,
    on_error: Callable[[Exception], Any] | None = None,
    executor: concurrent.futures.Executor | None = None,
    **kwargs: Any,
) -> concurrent.futures.Future[Any]:
    """Run ``work(*args, **kwargs)`` on a worker thread and return at once.

    When it finishes, ``on_done(result)`` or ``on_error(exception)`` runs *on
    the worker thread* (use :func:`call_in_loop` to get back to asyncio). The
    returned future also holds the outcome; if a callback itself raises, the
    future holds that error, so nothing is swallowed.

    If ``work`` raises ``SystemExit`` or ``KeyboardInterrupt`` (``sys.exit()``
    on a worker thread stops only that job, not the program), ``on_error`` gets
    a ``RuntimeError`` saying so, with the original as its ``__cause__``: an
    ``on_error`` is written for ``Exception``, and whoever waits on the outcome
    (:func:`from_callbacks`) must hear of it rather than wait forever. The
    returned future holds the original exception, as ``executor.submit`` does.

    >>> import asyncomm as ac
    >>> totals = []
    >>> job = ac.run_in_background(sum, [1, 2, 3], on_done=totals.append)
    >>> job.result()  # waits; on_done has run before the future completes
    6
    >>> totals
    [6]
    """
    check_callable(work, "work")
    for name, callback in (("on_done", on_done), ("on_error", on_error)):
        if callback is not None:
            check_callable(callback, name)

    def job() -> Any:
        try:
            result = work(*args, **kwargs)
        except Exception as exc:
            if on_error is not None:
                on_error(exc)
            raise
        except BaseException as exc:  # SystemExit, KeyboardInterrupt: see the docstring
            if on_error is not None:
                on_error(_interrupted(work, exc))
            raise
        if on_done is not None:
            on_done(result)
        return result

    return (executor or _default_pool()).submit(job)


def add_callbacks(
    future: asyncio.Future[Any] | concurrent.futures.Future[Any],
    on_done: Callable[[Any], Any] | None = None,
    on_error: Callable[[BaseException], Any] | None = None,
) -> Any:
    """Future -> callbacks: call ``on_done(result)`` or ``on_error(exc)`` when
    ``future`` (asyncio or concurrent.futures) completes. A cancelled future
    counts as an error (``CancelledError``). Returns the future.

    >>> import concurrent.futures, asyncomm as ac
    >>> future = concurrent.futures.Future()
    >>> _ = ac.add_callbacks(future, on_done=lambda value: print("done:", value))
    >>> future.set_result(42)
    done: 42
    """
    if not isinstance(future, (asyncio.Future, concurrent.futures.Future)):
        raise TypeError(
            f"add_callbacks() needs an asyncio or concurrent.futures Future, "
            f"got {type(future).__name__}; wrap a coroutine with asyncio.ensure_future() first"
        )
    if on_done is None and on_error is None:
        raise TypeError("add_callbacks() needs on_done, on_error or both")
    for name, callback in (("on_done", on_done), ("on_error", on_error)):
        if callback is not None:
            check_callable(callback, name)

    def dispatch(done: Any) -> None:
        if done.cancelled():
            error: BaseException | None = (
                asyncio.CancelledError() if isinstance(done, asyncio.Future) else concurrent.futures.CancelledError()
            )
        else:
            error = done.exception()
        if error is None:
            if on_done is not None:
                on_done(done.result())
        elif on_error is not None:
            on_error(error)

    future.add_done_callback(dispatch)
    return future


def call_in_loop(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> None:
    """From any thread, schedule ``fn(*args)`` to run on ``loop``'s thread.

    The one safe door from a worker thread into asyncio: setting a future's
    result or touching an ``AsyncMessageQueue`` directly from another thread is
    a race.

    >>> import asyncio, threading, asyncomm as ac
    >>> async def main():
    ...     loop, arrived = asyncio.get_running_loop(), asyncio.Event()
    ...     threading.Thread(target=ac.call_in_loop, args=(loop, arrived.set)).start()
    ...     await arrived.wait()
    ...     return "the worker's news arrived in the loop"
    >>> ac.RealClock().run(main())
    "the worker's news arrived in the loop"
    """
    if not isinstance(loop, asyncio.AbstractEventLoop):
        raise TypeError(
            f"call_in_loop() needs the event loop to run fn on, got {loop!r} ({type(loop).__name__}); "
            f"inside your coroutine take loop = asyncio.get_running_loop() and hand it to the worker thread"
        )
    check_callable(fn, "fn")
    if loop.is_closed():
        raise UsageError("that event loop is closed; the asyncio code waiting for this result has ended")
    loop.call_soon_threadsafe(fn, *args)


async def from_callbacks(start: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Callbacks -> awaitable: run ``start(*args, on_done=..., on_error=...,
    **kwargs)`` and wait until it calls one of the two.

    ``start`` may call back from any thread; only the first call counts.
    Whatever ``on_error`` is given, the ``await`` ends: an exception is raised
    as it is, except ``StopIteration``, which asyncio cannot raise through an
    ``await`` and which comes wrapped in a ``RuntimeError`` (as asyncio wraps a
    coroutine's); a value that is not an exception (``on_error("disk full")``,
    as some callback APIs do) becomes a ``RuntimeError`` that names it.

    >>> import asyncomm as ac
    >>> async def main():
    ...     return await ac.from_callbacks(ac.run_in_background, pow, 2, 10)
    >>> ac.RealClock().run(main())
    1024
    """
    check_callable(start, "start")
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    settled = False
    settled_lock = threading.Lock()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # the awaiting task was cancelled meanwhile
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    def deliver(result: Any, error: BaseException | None) -> None:
        # Only the first call counts. Later ones return at once, without touching
        # the loop, which may be closed by then.
        nonlocal settled
        with settled_lock:
            if settled:
                return
            settled = True
        call_in_loop(loop, settle, result, error)

    def on_done(result: Any = None) -> None:
        deliver(result, None)

    def on_error(error: BaseException) -> None:
        # Turned into an exception here, on the caller's thread: Future.set_exception() refuses these with a
        # TypeError raised inside the loop's callback, where nobody sees it, and the await never ended.
        deliver(None, _raisable(start, error))

    start(*args, on_done=on_done, on_error=on_error, **kwargs)
    return await future


def _raisable(start: Callable[..., Any], error: Any) -> BaseException:
    """What ``await from_callbacks(start, ...)`` raises when ``start`` called ``on_error(error)``."""
    if isinstance(error, type) and issubclass(error, BaseException):  # on_error(ValueError): asyncio allows a class
        error = error()
    if isinstance(error, StopIteration):
        wrapped = RuntimeError(
            f"{describe(start)} raised StopIteration (passed to on_error); it comes wrapped in this RuntimeError "
            f"because StopIteration cannot be raised through an await: see __cause__"
        )
        wrapped.__cause__ = error
        return wrapped
    if not isinstance(error, BaseException):
        stand_in = RuntimeError(
            f"{describe(start)} called on_error with {error!r} ({type(error).__name__}), not an exception; "
            f"this RuntimeError stands for it (the value is its .value): catch RuntimeError around the await"
        )
        stand_in.value = error  # type: ignore[attr-defined]  # a built-in exception takes attributes
        return stand_in
    return error


def _interrupted(work: Callable[..., Any], error: BaseException) -> RuntimeError:
    wrapped = RuntimeError(
        f"{describe(work)} raised {error!r} on a background thread, which stops only that job; "
        f"the original is the __cause__ of this error"
    )
    wrapped.__cause__ = error
    return wrapped
