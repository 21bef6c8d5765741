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
* except ``KeyboardInterrupt`` and ``SystemExit`` (the ``BaseException`` subclasses that are
  not ``Exception`` ones): they mean "stop now", so they stop the trigger
  at once and propagate as they are; the listeners after that one do not run
  for this trigger, and errors collected so far are dropped. The bus is not
  harmed: its listeners stay registered (a ``once`` one that ran is gone, as
  always) and the next trigger runs them all;
* removing what is not registered raises :class:`~asyncomm.ListenerNotFound`;
  registering a non-callable raises ``TypeError``; registration is thread-safe.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from asyncomm._checks import check_callable, check_int, plural
from asyncomm._listeners import ListenerList, ListenerOwner, call_each, call_each_async, describe, tally
from asyncomm.clock import Clock
from asyncomm.errors import ListenerLeakWarning, ListenerNotFound, TriggerFailed
from asyncomm.statistics import BusStatistics
from asyncomm.trace import EVENT, LISTENER_NOT_FOUND, OK, ONCE, REGISTER, REMOVE, TRIGGER, TRIGGER_FAILED, Trace

__all__ = ["EventBus"]

F = TypeVar("F", bound=Callable[..., Any])


def _check_event(event: Any) -> None:
    try:
        hash(event)
    except TypeError:
        raise TypeError(
            f"event must be hashable (a str such as 'click' is usual), got {event!r} ({type(event).__name__})"
        ) from None


class EventBus(ListenerOwner):
    """Named events, each with an ordered list of listeners.

    >>> import asyncomm as ac
    >>> bus = ac.EventBus()
    >>> _ = bus.register("greet", lambda name: print("hello", name))
    >>> bus.trigger("greet", "Ada")
    hello Ada
    1

    A listener that raises an ``Exception`` does not stop the others (see :meth:`trigger`); one that
    raises ``KeyboardInterrupt`` or ``SystemExit`` does: that means "stop now", so the trigger ends there
    and the exception propagates as it is. The bus stays usable, with every listener still registered.
    """

    pattern = EVENT

    def __init__(
        self, *, max_listeners: int = 10, clock: Clock | None = None, trace: Trace | None = None, name: str = "bus"
    ) -> None:
        #: More listeners than this on one event gives a ListenerLeakWarning (0: never).
        self.max_listeners = check_int(max_listeners, "max_listeners", minimum=0, meaning=" (0 means no limit)")
        self._warned: set[Hashable] = set()
        self._lists: dict[Hashable, ListenerList] = {}
        self._lock = threading.Lock()
        super().__init__(clock, trace, name)

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
        self._record(ONCE if once else REGISTER, event)

    def remove(self, event: Hashable, listener: Callable[..., Any]) -> None:
        """Unregister ``listener`` from ``event`` (its latest registration).

        Raises :class:`ListenerNotFound` if it is not registered there.
        """
        lst = self._lookup(event)
        if lst is None or not lst.remove(listener):
            self._record(REMOVE, event, LISTENER_NOT_FOUND)
            raise ListenerNotFound(
                f"listener {describe(listener)} is not registered for event {event!r}; "
                f"register it first, or check the event name"
            )
        self._record(REMOVE, event)

    # -- triggering --------------------------------------------------------
    def trigger(self, event: Hashable, *args: Any, **kwargs: Any) -> int:
        """Call each listener of ``event`` with ``*args, **kwargs``, in
        registration order; return how many ran.

        Raises :class:`TriggerFailed` after all of them ran if any raised.
        ``KeyboardInterrupt`` and ``SystemExit`` are not collected: they stop
        the trigger at once (the later listeners do not run) and propagate.
        Async listeners need :meth:`trigger_async`.
        """
        entries = self._snapshot(event)
        errors: list[Exception] = []
        call_each(entries, args, kwargs, errors, refuse_async=("listener", "bus"))
        if errors or self.trace is not None:  # the one test on the hot path when all is well
            return self._finish(event, entries, errors)
        return len(entries)

    async def trigger_async(self, event: Hashable, *args: Any, **kwargs: Any) -> int:
        """Like :meth:`trigger`, but awaits coroutine listeners, one after
        another in registration order. Plain listeners are called as usual."""
        entries = self._snapshot(event)
        errors: list[Exception] = []
        await call_each_async(entries, args, kwargs, errors)
        if errors or self.trace is not None:
            return self._finish(event, entries, errors)
        return len(entries)

    def _snapshot(self, event: Hashable) -> tuple[Callable[..., Any], ...]:
        """The listeners of ``event`` as they are now: what one trigger calls."""
        try:
            lst = self._lists.get(event)  # not self._lookup(event): one call less on the hot path
        except TypeError:
            _check_event(event)  # unhashable: say so in the course's words
            raise
        return () if lst is None else lst.entries

    def _finish(self, event: Hashable, entries: tuple[Callable[..., Any], ...], errors: list[Exception]) -> int:
        """After a trigger with errors or a trace: record it, raise the errors together if any, or return
        how many listeners ran."""
        ran, errors = tally(entries, errors)
        self._record(TRIGGER, event, TRIGGER_FAILED if errors else OK)
        if errors:
            raise TriggerFailed(f"{len(errors)} of {plural(ran, 'listener')} for event {event!r} raised", errors)
        return ran

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

    def statistics(self) -> BusStatistics:
        """The bus's counters at this instant, as one record.

        >>> import asyncomm as ac
        >>> bus = ac.EventBus(name="ui", max_listeners=5)
        >>> _ = bus.register("click", print); _ = bus.register("key", print); _ = bus.once("click", repr)
        >>> bus.statistics()
        BusStatistics(name='ui', events=2, listeners=3, once=1, max_listeners=5)
        """
        lists = [lst for lst in list(self._lists.values()) if len(lst)]
        return BusStatistics(
            name=self.name,
            events=len(lists),
            listeners=sum(len(lst) for lst in lists),
            once=sum(lst.once_count() for lst in lists),
            max_listeners=self.max_listeners,
        )

    def _size(self, event: Hashable) -> int:
        return self.listener_count(event)  # a trace row's size: the event's listeners after the operation

    def __repr__(self) -> str:
        counts = ", ".join(f"{event!r}: {len(lst)}" for event, lst in list(self._lists.items()) if len(lst))
        return f"<EventBus {self.name!r}: {{{counts}}}>"
