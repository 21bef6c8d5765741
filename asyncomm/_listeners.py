"""The listener list shared by ``EventBus`` (one per event) and ``CallbackRegistry``, and the one loop
behind their ``trigger`` and ``trigger_async``.

A list is an immutable tuple replaced on every change (copy-on-write): a trigger
iterates the tuple it read, which *is* the snapshot, so listeners added or
removed during a trigger take effect from the next trigger on, and registration
never blocks a running trigger.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from asyncomm._checks import check_name
from asyncomm.clock import Clock, current_clock
from asyncomm.trace import OK, Trace


class AlreadyRan(Exception):
    """Raised by a ``once`` listener's wrapper when another trigger claimed it first.

    Not an error of the listener: :func:`tally` takes it out of the errors and does not count that listener
    as run. An exception rather than a special return value keeps the common path (a listener that returns
    ``None``) free of one more test.
    """


class Once:
    """Wraps a listener registered with ``once``: the first call claims it
    (under the owner's lock, so two threads cannot both run it) and removes it."""

    __slots__ = ("_claimed", "_owner", "listener")

    def __init__(self, listener: Callable[..., Any], owner: ListenerList) -> None:
        self.listener = listener
        self._owner = owner
        self._claimed = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._owner.claim(self):
            raise AlreadyRan
        return self.listener(*args, **kwargs)


def unwrap(entry: Callable[..., Any]) -> Callable[..., Any]:
    return entry.listener if isinstance(entry, Once) else entry


def describe(fn: Any) -> str:
    """A short readable name for a listener, for traces and messages."""
    fn = unwrap(fn)
    name = getattr(fn, "__qualname__", None)
    return name if isinstance(name, str) and name else repr(fn)


class ListenerList:
    """An ordered list of listeners; the same function may appear twice."""

    __slots__ = ("_lock", "entries")

    def __init__(self, lock: threading.Lock) -> None:
        self.entries: tuple[Callable[..., Any], ...] = ()
        self._lock = lock

    def add(self, listener: Callable[..., Any], once: bool = False) -> None:
        entry = Once(listener, self) if once else listener
        with self._lock:
            self.entries = (*self.entries, entry)

    def remove(self, listener: Callable[..., Any]) -> bool:
        """Remove the most recently added registration of ``listener`` (as
        Node's ``removeListener`` does); ``False`` if there is none.

        Compared with ``==``, not ``is``: ``obj.method`` makes a new bound-method
        object each time, and those are equal when function and instance match.
        """
        with self._lock:
            entries = self.entries
            for i in range(len(entries) - 1, -1, -1):
                if unwrap(entries[i]) == listener:
                    self.entries = entries[:i] + entries[i + 1 :]
                    return True
            return False

    def claim(self, entry: Once) -> bool:
        with self._lock:
            if entry._claimed:
                return False
            entry._claimed = True
            self.entries = tuple(e for e in self.entries if e is not entry)
            return True

    def __len__(self) -> int:
        return len(self.entries)

    def once_count(self) -> int:
        """How many registrations are ``once`` ones (not yet run)."""
        return sum(isinstance(entry, Once) for entry in self.entries)

    def listeners(self) -> tuple[Callable[..., Any], ...]:
        return tuple(unwrap(e) for e in self.entries)


class ListenerOwner:
    """What ``EventBus`` and ``CallbackRegistry`` share besides their listeners: a name, and the clock and
    trace their rows are written with."""

    pattern: str  # the trace's name for the kind of object: "event" or "callback"

    def __init__(self, clock: Clock | None, trace: Trace | None, name: str) -> None:
        self._clock = clock
        self.trace = trace
        self.name = check_name(name)

    @property
    def clock(self) -> Clock:
        """The clock given, else :func:`~asyncomm.current_clock` (read at each use)."""
        return self._clock or current_clock()

    def _size(self, item: Any) -> int:  # pragma: no cover - each subclass says
        """How many listeners ``item``'s row shows as the size."""
        raise NotImplementedError

    def _record(self, operation: str, item: Any, outcome: str = OK) -> None:
        """One trace row, if there is a trace."""
        if self.trace is not None:
            self.trace.record(self.clock.now(), self.pattern, operation, self.name, item, self._size(item), outcome)


# -- triggering: one loop for both kinds of trigger -------------------------------------------------------------
# ``trigger`` and ``trigger_async`` differ in one step only: what to do with a listener's result that must be
# awaited. The loop over the listeners is written once, in ``call_each``: a sync trigger has it refuse such a
# result (a plain function cannot await) and go on; for the async trigger it stops and hands the result back,
# and ``call_each_async`` awaits it, then calls ``call_each`` again with the same *iterator*, which goes on
# with the next listener; so registration order holds for async listeners too. (A generator would say the
# same more briefly, but creating one costs a fifth of a whole trigger.)

#: ``refuse_async`` for a sync trigger: how the error names the listener and the object to call instead.
Refusal = tuple[str, str]


def call_each(
    listeners: Iterator[Callable[..., Any]] | tuple[Callable[..., Any], ...],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    errors: list[Exception],
    refuse_async: Refusal | None = None,
) -> Awaitable[Any] | None:
    """Call ``listeners`` in order, appending what each raises to ``errors``.

    A listener that returns something to await (an ``async def`` one) is, with ``refuse_async=(role,
    owner)``, one more error and the loop goes on; without, the loop stops there and returns the awaitable.
    Returns ``None`` once every listener was called.
    """
    for fn in listeners:
        try:
            # fn(*args) is measurably cheaper than fn(*args, **{}) on this hot path
            result = fn(*args, **kwargs) if kwargs else fn(*args)
        except Exception as exc:  # every listener runs; errors are raised together after the last
            errors.append(exc)
            continue
        if result is not None and inspect.isawaitable(result):
            if refuse_async is None:
                return result
            errors.append(_not_awaited(fn, result, *refuse_async))
    return None


async def call_each_async(
    entries: tuple[Callable[..., Any], ...], args: tuple[Any, ...], kwargs: dict[str, Any], errors: list[Exception]
) -> None:
    """Like :func:`call_each`, but awaits each listener's awaitable before calling the next one."""
    remaining = iter(entries)  # call_each goes on where it stopped
    while (awaitable := call_each(remaining, args, kwargs, errors)) is not None:
        try:
            await awaitable
        except Exception as exc:
            errors.append(exc)


def _not_awaited(fn: Callable[..., Any], awaitable: Awaitable[Any], role: str, owner: str) -> TypeError:
    if inspect.iscoroutine(awaitable):
        awaitable.close()  # never awaited: close it to avoid a RuntimeWarning later
    return TypeError(
        f"{role} {describe(fn)} is async; call `await {owner}.trigger_async(...)` so its coroutine is awaited"
    )


def tally(entries: tuple[Callable[..., Any], ...], errors: list[Exception]) -> tuple[int, list[Exception]]:
    """How many of ``entries`` ran, and the errors to raise: a ``once`` entry another trigger had claimed
    (:class:`AlreadyRan`) did not run, and is no error."""
    if not errors:  # the usual case: every entry ran
        return len(entries), errors
    raised = [exc for exc in errors if not isinstance(exc, AlreadyRan)]
    return len(entries) - (len(errors) - len(raised)), raised
