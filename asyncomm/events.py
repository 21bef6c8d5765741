"""``EventBus``: the seed's event driver, with every hard case decided.

Who does what (the seed mixes this up): a *listener* is registered for an
event by whoever wants to react; whoever has news *triggers* the event, and
the bus calls that event's listeners with the event's data.

Decided and tested:

* listeners run in registration order;
* a trigger works on a snapshot: a listener removed during a trigger still
  gets that trigger, one added during it does not;
* a ``once`` listener runs exactly once, even when two threads trigger at once;
* a failing listener does not stop the others; after all ran, their errors are
  raised together as :class:`~asyncomm.TriggerFailed` (an ``ExceptionGroup``);
* removing what is not registered raises :class:`~asyncomm.ListenerNotFound`;
  registering a non-callable raises ``TypeError``; registration is thread-safe.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from asyncomm._checks import check_callable, check_name, plural
from asyncomm._listeners import ListenerList, call_each, call_each_async, describe
from asyncomm.clock import Clock, current_clock
from asyncomm.errors import ListenerLeakWarning, ListenerNotFound, TriggerFailed
from asyncomm.trace import Trace

__all__ = ["EventBus"]

F = TypeVar("F", bound=Callable[..., Any])


def _check_event(event: Any) -> None:
    try:
        hash(event)
    except TypeError:
        raise TypeError(
            f"event must be hashable (a str such as 'click' is usual), got {event!r} ({type(event).__name__})"
        ) from None


class EventBus:
    """Named events, each with an ordered list of listeners.

    >>> import asyncomm as ac
    >>> bus = ac.EventBus()
    >>> _ = bus.register("greet", lambda name: print("hello", name))
    >>> bus.trigger("greet", "Ada")
    hello Ada
    1
    """

    pattern = "event"

    def __init__(
        self, *, max_listeners: int = 10, clock: Clock | None = None, trace: Trace | None = None, name: str = "bus"
    ) -> None:
        if not isinstance(max_listeners, int) or isinstance(max_listeners, bool) or max_listeners < 0:
            raise ValueError(f"max_listeners must be an int >= 0 (0 means no limit), got {max_listeners!r}")
        #: More listeners than this on one event gives a ListenerLeakWarning (0: never).
        self.max_listeners = max_listeners
        self._warned: set[Hashable] = set()
        self._lists: dict[Hashable, ListenerList] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self.trace = trace
        self.name = check_name(name)

    @property
    def clock(self) -> Clock:
        return self._clock or current_clock()

    # -- registering -------------------------------------------------------
    def register(self, event: Hashable, listener: F) -> F:
        """Call ``listener(*args, **kwargs)`` on every ``trigger(event, ...)``.

        Returns ``listener``, so a registered function keeps its name. The
        same function registered twice is called twice.
        """
        self._add(event, listener, once=False)
        return listener

    def once(self, event: Hashable, listener: F) -> F:
        """Like :meth:`register`, but the listener runs on the next trigger
        only, then is removed."""
        self._add(event, listener, once=True)
        return listener

    def on(self, event: Hashable, *, once: bool = False) -> Callable[[F], F]:
        """Decorator form of :meth:`register` (or :meth:`once`).

        >>> import asyncomm as ac
        >>> bus = ac.EventBus()
        >>> @bus.on("saved")
        ... def log(path):
        ...     print("saved", path)
        >>> bus.trigger("saved", "a.txt")
        saved a.txt
        1
        """
        _check_event(event)

        def decorator(listener: F) -> F:
            self._add(event, listener, once=once)
            return listener

        return decorator

    def _add(self, event: Hashable, listener: Callable[..., Any], once: bool) -> None:
        _check_event(event)
        check_callable(listener, "listener")
        with self._lock:
            lst = self._lists.get(event)
            if lst is None:
                lst = self._lists[event] = ListenerList(threading.Lock())
        lst.add(listener, once=once)
        if self.max_listeners and len(lst) > self.max_listeners and event not in self._warned:
            self._warned.add(event)
            warnings.warn(
                ListenerLeakWarning(
                    f"event {event!r} on bus {self.name!r} has {len(lst)} listeners, more than max_listeners="
                    f"{self.max_listeners}: a listener registered again and again and never removed is a leak; "
                    f"remove listeners you no longer need, or raise max_listeners (0 = no limit)"
                ),
                stacklevel=3,
            )
        if self.trace is not None:
            self._record("once" if once else "register", event, describe(listener))

    def remove(self, event: Hashable, listener: Callable[..., Any]) -> None:
        """Unregister ``listener`` from ``event`` (its latest registration).

        Raises :class:`ListenerNotFound` if it is not registered there.
        """
        lst = self._lookup(event)
        if lst is None or not lst.remove(listener):
            if self.trace is not None:
                self._record("remove", event, describe(listener), "ListenerNotFound")
            raise ListenerNotFound(
                f"listener {describe(listener)} is not registered for event {event!r}; "
                f"register it first, or check the event name"
            )
        if self.trace is not None:
            self._record("remove", event, describe(listener))

    # -- triggering --------------------------------------------------------
    def trigger(self, event: Hashable, *args: Any, **kwargs: Any) -> int:
        """Call each listener of ``event`` with ``*args, **kwargs``, in
        registration order; return how many ran.

        Raises :class:`TriggerFailed` after all of them ran if any raised.
        Async listeners need :meth:`trigger_async`.
        """
        lst = self._lookup(event)
        if lst is None:
            called, errors = 0, list[Exception]()
        else:
            called, errors = call_each(lst.entries, args, kwargs)
        if self.trace is not None:
            self._record("trigger", event, None, "TriggerFailed" if errors else "ok")
        if errors:
            raise TriggerFailed(_failed(len(errors), called, event), errors)
        return called

    async def trigger_async(self, event: Hashable, *args: Any, **kwargs: Any) -> int:
        """Like :meth:`trigger`, but awaits coroutine listeners, one after
        another in registration order. Plain listeners are called as usual."""
        lst = self._lookup(event)
        if lst is None:
            called, errors = 0, list[Exception]()
        else:
            called, errors = await call_each_async(lst.entries, args, kwargs)
        if self.trace is not None:
            self._record("trigger", event, None, "TriggerFailed" if errors else "ok")
        if errors:
            raise TriggerFailed(_failed(len(errors), called, event), errors)
        return called

    def _lookup(self, event: Hashable) -> ListenerList | None:
        try:
            return self._lists.get(event)
        except TypeError:  # unhashable: say so in the course's words, not Python's
            _check_event(event)
            raise

    # -- looking -----------------------------------------------------------
    def listener_count(self, event: Hashable) -> int:
        """How many listeners ``event`` has now."""
        lst = self._lookup(event)
        return 0 if lst is None else len(lst)

    def listeners(self, event: Hashable) -> tuple[Callable[..., Any], ...]:
        """The listeners of ``event`` in call order (``once`` ones unwrapped)."""
        lst = self._lookup(event)
        return () if lst is None else lst.listeners()

    def events(self) -> list[Hashable]:
        """Events that have at least one listener, in first-registration order."""
        return [event for event, lst in list(self._lists.items()) if len(lst)]

    def _record(self, operation: str, event: Hashable, listener: str | None, outcome: str = "ok") -> None:
        del listener  # the row's item is the event; listener names live in listeners()
        self.trace.record(
            self.clock.now(),
            self.pattern,
            operation,
            self.name,  # type: ignore[union-attr]
            event,
            self.listener_count(event),
            outcome,
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{event!r}: {len(lst)}" for event, lst in list(self._lists.items()) if len(lst))
        return f"<EventBus {self.name!r}: {{{counts}}}>"


def _failed(failed: int, called: int, event: Hashable) -> str:
    return f"{failed} of {plural(called, 'listener')} for event {event!r} raised"
