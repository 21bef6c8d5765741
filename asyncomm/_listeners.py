"""The listener list shared by ``EventBus`` (one per event) and ``CallbackRegistry``.

A list is an immutable tuple replaced on every change (copy-on-write): a trigger
iterates the tuple it read, which *is* the snapshot, so listeners added or
removed during a trigger take effect from the next trigger on, and registration
never blocks a running trigger.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

_SKIPPED = object()  # returned by a once-wrapper that lost the race to run


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
            return _SKIPPED
        return self.listener(*args, **kwargs)


def unwrap(entry: Callable[..., Any]) -> Callable[..., Any]:
    return entry.listener if isinstance(entry, Once) else entry


def describe(fn: Any) -> str:
    """A short readable name for a listener, for traces and messages."""
    fn = unwrap(fn)
    return getattr(fn, "__qualname__", None) or repr(fn)


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

    def listeners(self) -> tuple[Callable[..., Any], ...]:
        return tuple(unwrap(e) for e in self.entries)


def call_each(
    entries: tuple[Callable[..., Any], ...],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    role: str = "listener",
    owner: str = "bus",
) -> tuple[int, list[Exception]]:
    """Call every entry in order; return how many ran and the errors raised.
    ``role`` and ``owner`` word the error for an async listener."""
    skipped = 0
    errors: list[Exception] = []
    for fn in entries:
        try:
            # fn(*args) is measurably cheaper than fn(*args, **{}) on this hot path
            result = fn(*args, **kwargs) if kwargs else fn(*args)
        except Exception as exc:  # every listener runs; errors are re-raised together later
            errors.append(exc)
            continue
        if result is not None:
            if result is _SKIPPED:
                skipped += 1
            elif inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: close it to avoid a RuntimeWarning later
                errors.append(
                    TypeError(
                        f"{role} {describe(fn)} is async; call `await {owner}.trigger_async(...)` "
                        f"so its coroutine is awaited"
                    )
                )
    return len(entries) - skipped, errors


async def call_each_async(
    entries: tuple[Callable[..., Any], ...], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[int, list[Exception]]:
    """Like :func:`call_each`, awaiting coroutine listeners one after another
    (in registration order, so the order promise holds for async listeners too)."""
    called = 0
    errors: list[Exception] = []
    for fn in entries:
        try:
            result = fn(*args, **kwargs)
            if result is _SKIPPED:
                continue
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            errors.append(exc)
        called += 1
    return called, errors
