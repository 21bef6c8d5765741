"""Unit tests of EventBus: every verb and every decided case, blinker style
(plain listeners that record their calls in a list)."""

from __future__ import annotations

import asyncio
import gc
import re
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import asyncomm as ac
from asyncomm.statistics import BusStatistics


def shout(*args: object, **kwargs: object) -> None:
    """A module-level listener, so its name in messages is exactly 'shout'."""


def raiser(error: BaseException):  # type: ignore[no-untyped-def]
    """A listener that raises ``error``."""

    def listener(*args: object, **kwargs: object) -> None:
        raise error

    return listener


class Greeter:
    def __init__(self, log: list[object], name: str) -> None:
        self.log = log
        self.name = name

    def hello(self, who: str) -> None:
        self.log.append((self.name, who))


@contextmanager
def busy_switching() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, so races show up."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def run_together(target, n: int) -> None:  # type: ignore[no-untyped-def]
    """Start ``n`` threads that call ``target(barrier)`` and wait for all of them."""
    barrier = threading.Barrier(n)
    threads = [threading.Thread(target=target, args=(barrier,)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
        assert not t.is_alive()


# -- registering ---------------------------------------------------------------


def test_register_returns_the_listener_and_trigger_calls_it():
    bus = ac.EventBus()
    calls = []

    def on_click():
        calls.append("click")

    assert bus.register("click", on_click) is on_click
    assert calls == []
    assert bus.trigger("click") == 1
    assert calls == ["click"]


def test_trigger_passes_args_and_kwargs_to_every_listener():
    # The seed's driver called listeners without the event's data; here they get all of it.
    bus = ac.EventBus()
    calls = []
    bus.register("saved", lambda *args, **kwargs: calls.append(("first", args, kwargs)))
    bus.register("saved", lambda path, size=0: calls.append(("second", path, size)))
    assert bus.trigger("saved", "a.txt", size=3) == 2
    assert calls == [("first", ("a.txt",), {"size": 3}), ("second", "a.txt", 3)]


def test_on_decorator_registers_and_keeps_the_function():
    bus = ac.EventBus()
    calls = []

    @bus.on("saved")
    def log(path):
        calls.append(path)

    assert callable(log) and log.__name__ == "log"
    assert bus.listeners("saved") == (log,)
    bus.trigger("saved", "a.txt")
    bus.trigger("saved", "b.txt")
    assert calls == ["a.txt", "b.txt"]


def test_on_decorator_with_once_runs_only_the_next_trigger():
    bus = ac.EventBus()
    calls = []

    @bus.on("ready", once=True)
    def start(n):
        calls.append(n)

    assert bus.listeners("ready") == (start,)
    assert bus.trigger("ready", 1) == 1
    assert bus.trigger("ready", 2) == 0
    assert calls == [1]
    assert bus.listener_count("ready") == 0


def test_listeners_run_in_registration_order():
    bus = ac.EventBus()
    calls = []
    for i in range(10):
        bus.register("tick", lambda i=i: calls.append(i))
    bus.trigger("tick")
    assert calls == list(range(10))


def test_listeners_of_other_events_are_not_called():
    bus = ac.EventBus()
    calls = []
    bus.register("a", lambda: calls.append("a"))
    bus.register("b", lambda: calls.append("b"))
    assert bus.trigger("b") == 1
    assert calls == ["b"]


def test_trigger_with_no_listeners_runs_nothing_and_returns_zero():
    bus = ac.EventBus()
    assert bus.trigger("nobody-listens", 1, x=2) == 0


def test_any_hashable_event_works():
    bus = ac.EventBus()
    calls = []
    bus.register(("key", 1), calls.append)
    bus.register(42, calls.append)
    bus.trigger(("key", 1), "tuple")
    bus.trigger(42, "int")
    assert calls == ["tuple", "int"]


def test_same_function_registered_twice_runs_twice():
    bus = ac.EventBus()
    calls = []

    def listener():
        calls.append("ran")

    bus.register("x", listener)
    bus.register("x", listener)
    assert bus.listener_count("x") == 2
    assert bus.trigger("x") == 2
    assert calls == ["ran", "ran"]


def test_remove_removes_the_latest_registration():
    bus = ac.EventBus()
    calls = []

    def f():
        calls.append("f")

    def g():
        calls.append("g")

    bus.register("x", f)
    bus.register("x", g)
    bus.register("x", f)
    bus.remove("x", f)
    assert bus.listeners("x") == (f, g)  # removing the first one would leave (g, f)
    bus.trigger("x")
    assert calls == ["f", "g"]
    bus.remove("x", f)
    assert bus.listeners("x") == (g,)


def test_remove_latest_registration_when_it_is_a_once():
    bus = ac.EventBus()
    calls = []

    def f():
        calls.append("f")

    bus.register("x", f)
    bus.once("x", f)
    bus.remove("x", f)  # removes the once registration, the permanent one stays
    bus.trigger("x")
    bus.trigger("x")
    assert calls == ["f", "f"]


def test_bound_method_is_removed_with_a_fresh_attribute_expression():
    bus = ac.EventBus()
    log: list[object] = []
    ada, bob = Greeter(log, "ada"), Greeter(log, "bob")
    bus.register("greet", ada.hello)
    bus.register("greet", bob.hello)
    assert ada.hello is not ada.hello  # each attribute access makes a new bound-method object
    bus.remove("greet", ada.hello)
    bus.trigger("greet", "you")
    assert log == [("bob", "you")]  # same function, other instance: not removed
    with pytest.raises(ac.ListenerNotFound):
        bus.remove("greet", ada.hello)


def test_register_non_callable_raises_type_error():
    bus = ac.EventBus()
    with pytest.raises(
        TypeError,
        match=re.escape(
            "listener must be callable (a function or method), got 'oops' (str); "
            "pass the function itself, without calling it"
        ),
    ):
        bus.register("x", "oops")
    assert bus.listener_count("x") == 0
    assert bus.events() == []


def test_register_the_result_of_calling_the_listener_raises_type_error():
    # The usual learner mistake: bus.register("x", handler()) passes handler's return value.
    bus = ac.EventBus()
    with pytest.raises(
        TypeError,
        match=re.escape(
            "listener must be callable (a function or method), got None (NoneType); "
            "pass the function itself, without calling it"
        ),
    ):
        bus.register("x", shout())  # type: ignore[func-returns-value]


def test_once_and_on_reject_non_callables():
    bus = ac.EventBus()
    with pytest.raises(TypeError, match=re.escape("listener must be callable (a function or method), got 3 (int)")):
        bus.once("x", 3)
    with pytest.raises(TypeError, match=re.escape("listener must be callable (a function or method), got 3 (int)")):
        bus.on("x")(3)
    with pytest.raises(TypeError, match=re.escape("got 3 (int)")):
        bus.on("x", once=True)(3)
    assert bus.listener_count("x") == 0


UNHASHABLE = re.escape("event must be hashable (a str such as 'click' is usual), got ['x'] (list)")


def test_unhashable_event_raises_type_error_on_register_once_on_and_remove():
    bus = ac.EventBus()
    with pytest.raises(TypeError, match=UNHASHABLE):
        bus.register(["x"], shout)
    with pytest.raises(TypeError, match=UNHASHABLE):
        bus.once(["x"], shout)
    with pytest.raises(TypeError, match=UNHASHABLE):
        bus.on(["x"])  # at decoration time, before any function is given
    with pytest.raises(TypeError, match=UNHASHABLE):
        bus.remove(["x"], shout)


def test_unhashable_event_raises_the_same_type_error_on_trigger():
    # Regression: these once failed with Python's bare "unhashable type: 'list'".
    bus = ac.EventBus()
    with pytest.raises(TypeError, match=UNHASHABLE):
        bus.trigger(["x"])
    with pytest.raises(TypeError, match=UNHASHABLE):
        ac.VirtualClock().run(bus.trigger_async(["x"]))
    with pytest.raises(TypeError, match=UNHASHABLE):
        bus.listener_count(["x"])
    with pytest.raises(TypeError, match=UNHASHABLE):
        bus.listeners(["x"])


# -- removing --------------------------------------------------------------------


def test_remove_unregistered_listener_raises_listener_not_found():
    bus = ac.EventBus()
    with pytest.raises(
        ac.ListenerNotFound,
        match=re.escape(
            "listener shout is not registered for event 'click'; register it first, or check the event name"
        ),
    ):
        bus.remove("click", shout)


def test_remove_from_the_wrong_event_raises_and_keeps_the_listener():
    bus = ac.EventBus()
    bus.register("click", shout)
    with pytest.raises(
        ac.ListenerNotFound,
        match=re.escape(
            "listener shout is not registered for event 'clik'; register it first, or check the event name"
        ),
    ):
        bus.remove("clik", shout)
    assert bus.listeners("click") == (shout,)


def test_remove_twice_raises_the_second_time():
    bus = ac.EventBus()
    bus.register("x", shout)
    bus.remove("x", shout)
    with pytest.raises(ac.ListenerNotFound):
        bus.remove("x", shout)


def test_listener_not_found_message_names_a_bound_method_by_qualname():
    bus = ac.EventBus()
    with pytest.raises(ac.ListenerNotFound, match=re.escape("listener Greeter.hello is not registered for event 42; ")):
        bus.remove(42, Greeter([], "ada").hello)


def test_listener_not_found_is_an_asyncomm_error_and_a_lookup_error():
    with pytest.raises(ac.AsyncommError):
        ac.EventBus().remove("x", shout)
    with pytest.raises(LookupError):
        ac.EventBus().remove("x", shout)


def test_a_new_lambda_is_not_the_registered_one():
    bus = ac.EventBus()
    bus.register("x", lambda: None)
    with pytest.raises(ac.ListenerNotFound):
        bus.remove("x", lambda: None)
    assert bus.listener_count("x") == 1


# -- snapshot semantics ------------------------------------------------------------


def test_listener_removed_during_trigger_still_gets_that_trigger():
    bus = ac.EventBus()
    calls = []

    def first():
        calls.append("first")
        if second in bus.listeners("x"):
            bus.remove("x", second)

    def second():
        calls.append("second")

    bus.register("x", first)
    bus.register("x", second)
    assert bus.trigger("x") == 2
    assert calls == ["first", "second"]
    assert bus.listeners("x") == (first,)
    calls.clear()
    assert bus.trigger("x") == 1
    assert calls == ["first"]


def test_listener_added_during_trigger_waits_for_the_next_trigger():
    bus = ac.EventBus()
    calls = []

    def late():
        calls.append("late")

    def first():
        calls.append("first")
        bus.register("x", late)

    bus.register("x", first)
    assert bus.trigger("x") == 1
    assert calls == ["first"]
    calls.clear()
    assert bus.trigger("x") == 2
    assert calls == ["first", "late"]


def test_once_listener_removed_during_trigger_still_gets_that_trigger():
    bus = ac.EventBus()
    calls = []

    def first():
        calls.append("first")
        bus.remove("x", second)

    def second():
        calls.append("second")

    bus.register("x", first)
    bus.once("x", second)
    assert bus.trigger("x") == 2
    assert calls == ["first", "second"]
    assert bus.listeners("x") == (first,)


def test_listener_may_trigger_its_own_event_and_once_still_runs_once():
    bus = ac.EventBus()
    calls = []

    def echo(depth):
        calls.append(("echo", depth))
        if depth < 2:
            bus.trigger("x", depth + 1)

    bus.once("x", lambda depth: calls.append(("once", depth)))
    bus.register("x", echo)
    bus.trigger("x", 0)
    assert calls == [("once", 0), ("echo", 0), ("echo", 1), ("echo", 2)]


def test_once_registered_after_a_listener_that_re_triggers_runs_exactly_once():
    # The outer trigger's snapshot holds the once listener; the nested trigger (from echo) runs it first, so
    # when the outer trigger reaches it, it must be skipped: not run twice, not counted, and no error.
    bus = ac.EventBus()
    calls = []
    nested = []

    def echo(depth):
        calls.append(("echo", depth))
        if depth == 0:
            nested.append(bus.trigger("x", 1))

    bus.register("x", echo)
    bus.once("x", lambda depth: calls.append(("once", depth)))
    assert bus.trigger("x", 0) == 1  # only echo ran in the outer trigger
    assert nested == [2]
    assert calls == [("echo", 0), ("echo", 1), ("once", 1)]
    assert bus.listeners("x") == (echo,)


def test_once_skipped_by_the_outer_trigger_is_not_among_the_errors_of_a_failing_listener():
    bus = ac.EventBus()
    calls = []
    failure = ValueError("echo failed")

    def echo(depth):
        if depth == 0:
            bus.trigger("x", 1)
            raise failure

    bus.register("x", echo)
    bus.once("x", calls.append)
    with pytest.raises(ac.TriggerFailed, match=re.escape("1 of 1 listener for event 'x' raised")) as caught:
        bus.trigger("x", 0)
    assert caught.value.exceptions == (failure,)
    assert calls == [1]


def test_async_once_registered_after_an_async_listener_that_re_triggers_runs_exactly_once():
    bus = ac.EventBus()
    calls = []
    nested = []

    async def echo(depth):
        calls.append(("echo", depth))
        if depth == 0:
            nested.append(await bus.trigger_async("x", 1))

    async def once(depth):
        calls.append(("once", depth))

    bus.register("x", echo)
    bus.once("x", once)
    assert ac.VirtualClock().run(bus.trigger_async("x", 0)) == 1
    assert nested == [2]
    assert calls == [("echo", 0), ("echo", 1), ("once", 1)]


# -- once ----------------------------------------------------------------------------


def test_once_returns_the_listener_and_runs_once():
    bus = ac.EventBus()
    calls = []
    assert bus.once("x", calls.append) == calls.append
    assert bus.listener_count("x") == 1
    assert bus.trigger("x", 1) == 1
    assert bus.trigger("x", 2) == 0
    assert calls == [1]
    assert bus.listeners("x") == ()


def test_once_listener_can_be_removed_before_it_runs():
    bus = ac.EventBus()
    calls = []
    bus.once("x", calls.append)
    bus.remove("x", calls.append)
    assert bus.trigger("x", 1) == 0
    assert calls == []


def test_removing_a_once_listener_after_it_ran_raises_listener_not_found():
    bus = ac.EventBus()
    bus.once("x", shout)
    bus.trigger("x")
    with pytest.raises(
        ac.ListenerNotFound,
        match=re.escape("listener shout is not registered for event 'x'; register it first, or check the event name"),
    ):
        bus.remove("x", shout)


def test_once_listener_that_raises_is_still_used_up():
    bus = ac.EventBus()
    calls = []

    def boom():
        calls.append("boom")
        raise ValueError("bad")

    bus.once("x", boom)
    with pytest.raises(ac.TriggerFailed):
        bus.trigger("x")
    assert bus.listener_count("x") == 0
    assert bus.trigger("x") == 0
    assert calls == ["boom"]


def test_once_between_permanent_listeners_keeps_order():
    bus = ac.EventBus()
    calls = []
    bus.register("x", lambda: calls.append("a"))
    bus.once("x", lambda: calls.append("once"))
    bus.register("x", lambda: calls.append("b"))
    assert bus.trigger("x") == 3
    assert bus.trigger("x") == 2
    assert calls == ["a", "once", "b", "a", "b"]


@pytest.mark.parametrize("n_threads", [2, 8])
def test_once_runs_exactly_once_when_threads_trigger_at_the_same_time(n_threads):
    with busy_switching():
        for _ in range(150):
            bus = ac.EventBus()
            calls: list[int] = []
            counts: list[int] = []

            def once_listener(calls=calls):
                calls.append(threading.get_ident())
                time.sleep(0.0005)  # widens the window in which a second thread could also run it

            bus.once("go", once_listener)

            def fire(barrier, bus=bus, counts=counts):
                barrier.wait(timeout=10)
                counts.append(bus.trigger("go"))

            run_together(fire, n_threads)
            assert len(calls) == 1
            assert sorted(counts) == [0] * (n_threads - 1) + [1]
            assert bus.listener_count("go") == 0


def test_once_runs_exactly_once_when_tasks_trigger_async_at_the_same_time():
    bus = ac.EventBus()
    calls = []

    async def slow_once():
        calls.append("start")
        await asyncio.sleep(1)
        calls.append("end")

    bus.once("go", slow_once)

    async def main():
        return await asyncio.gather(bus.trigger_async("go"), bus.trigger_async("go"), bus.trigger_async("go"))

    assert sorted(ac.VirtualClock().run(main())) == [0, 0, 1]
    assert calls == ["start", "end"]


# -- errors --------------------------------------------------------------------------


def test_failing_listener_does_not_stop_the_others_and_errors_come_together():
    bus = ac.EventBus()
    calls = []
    first_error, second_error = ValueError("first"), KeyError("second")

    def bad_one():
        calls.append("bad_one")
        raise first_error

    def good():
        calls.append("good")

    def bad_two():
        calls.append("bad_two")
        raise second_error

    bus.register("x", bad_one)
    bus.register("x", good)
    bus.register("x", bad_two)
    with pytest.raises(ac.TriggerFailed) as info:
        bus.trigger("x")
    assert calls == ["bad_one", "good", "bad_two"]
    group = info.value
    assert group.exceptions == (first_error, second_error)  # in call order, the very objects raised
    assert group.message == "2 of 3 listeners for event 'x' raised"
    assert str(group) == "2 of 3 listeners for event 'x' raised (2 sub-exceptions)"


def test_trigger_failed_message_uses_singular_for_one_listener():
    bus = ac.EventBus()
    bus.register("tick", lambda: 1 / 0)
    with pytest.raises(ac.TriggerFailed, match=re.escape("1 of 1 listener for event 'tick' raised")) as info:
        bus.trigger("tick")
    assert [type(e) for e in info.value.exceptions] == [ZeroDivisionError]


def test_trigger_failed_is_an_exception_group_and_an_asyncomm_error():
    bus = ac.EventBus()
    bus.register("x", lambda: 1 / 0)
    with pytest.raises(ExceptionGroup):
        bus.trigger("x")
    with pytest.raises(ac.AsyncommError):
        bus.trigger("x")


def test_except_star_picks_out_kinds_and_the_rest_stays_a_trigger_failed():
    bus = ac.EventBus()
    value_error, key_error = ValueError("v"), KeyError("k")
    bus.register("x", raiser(value_error))
    bus.register("x", raiser(key_error))
    handled = []
    with pytest.raises(ac.TriggerFailed) as info:
        try:
            bus.trigger("x")
        except* ValueError as group:
            handled.append(group)
    assert len(handled) == 1
    assert isinstance(handled[0], ac.TriggerFailed)
    assert handled[0].exceptions == (value_error,)
    assert info.value.exceptions == (key_error,)
    assert info.value.message == "2 of 2 listeners for event 'x' raised"


def test_except_star_can_handle_every_error():
    bus = ac.EventBus()
    bus.register("x", lambda: 1 / 0)
    bus.register("x", lambda: 1 / 0)
    handled = []
    try:
        bus.trigger("x")
    except* ZeroDivisionError as group:
        handled.extend(group.exceptions)
    assert len(handled) == 2


class Stop(BaseException):
    pass


@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit, Stop])
def test_base_exceptions_are_not_collected_but_propagate_at_once(kind):
    bus = ac.EventBus()
    calls = []

    def failing():
        calls.append("failing")
        raise ValueError("collected")

    def interrupt():
        calls.append("interrupt")
        raise kind()

    bus.register("x", failing)
    bus.register("x", interrupt)
    bus.register("x", lambda: calls.append("after"))
    with pytest.raises(kind):
        bus.trigger("x")
    assert calls == ["failing", "interrupt"]  # Ctrl-C stops the trigger: nothing after it runs


def test_trace_records_a_failed_trigger():
    trace = ac.Trace()
    bus = ac.EventBus(trace=trace, clock=ac.VirtualClock(), name="bus")
    bus.register("x", lambda: 1 / 0)
    with pytest.raises(ac.TriggerFailed):
        bus.trigger("x")
    assert trace.rows[-1][3:] == ("trigger", "bus", "x", 1, "TriggerFailed")


# -- async listeners -------------------------------------------------------------------


def test_async_listener_with_sync_trigger_fails_with_a_hint_and_no_warning():
    bus = ac.EventBus()
    calls = []

    async def handler():
        calls.append("awaited")  # never: the coroutine must not run

    bus.register("x", lambda: calls.append("sync"))
    bus.register("x", handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ac.TriggerFailed) as info:
            bus.trigger("x")
        gc.collect()
    assert calls == ["sync"]
    assert info.value.message == "1 of 2 listeners for event 'x' raised"
    [error] = info.value.exceptions
    assert isinstance(error, TypeError)
    assert str(error) == (
        f"listener {handler.__qualname__} is async; call `await bus.trigger_async(...)` so its coroutine is awaited"
    )
    assert [str(w.message) for w in caught] == []  # no "coroutine ... was never awaited"


def test_trigger_async_awaits_listeners_one_after_another_in_order():
    bus = ac.EventBus()
    calls = []

    async def slow(name, seconds):
        await asyncio.sleep(seconds)
        calls.append((name, asyncio.get_running_loop().time()))

    bus.register("go", lambda: slow("a", 3))  # a plain function returning a coroutine is awaited too
    bus.register("go", lambda: calls.append(("sync", asyncio.get_running_loop().time())))

    async def b():
        await slow("b", 1)

    bus.register("go", b)

    async def main():
        n = await bus.trigger_async("go")
        return n, asyncio.get_running_loop().time()

    assert ac.VirtualClock().run(main()) == (3, 4.0)
    # run together, b (1 s) would finish before a (3 s); one after another, a ends at 3 and b at 4
    assert calls == [("a", 3.0), ("sync", 3.0), ("b", 4.0)]


def test_trigger_async_passes_args_and_kwargs():
    bus = ac.EventBus()
    calls = []

    async def listener(path, *, size):
        await asyncio.sleep(0)
        calls.append((path, size))

    bus.register("saved", listener)
    bus.register("saved", lambda path, size: calls.append(("sync", path, size)))
    assert ac.VirtualClock().run(bus.trigger_async("saved", "a.txt", size=3)) == 2
    assert calls == [("a.txt", 3), ("sync", "a.txt", 3)]


def test_trigger_async_collects_errors_from_sync_and_async_listeners():
    bus = ac.EventBus()
    calls = []
    async_error, sync_error = ValueError("async"), KeyError("sync")

    async def async_bad():
        await asyncio.sleep(2)
        calls.append("async_bad")
        raise async_error

    def sync_bad():
        calls.append("sync_bad")
        raise sync_error

    async def async_good():
        await asyncio.sleep(1)
        calls.append("async_good")

    bus.register("x", async_bad)
    bus.register("x", sync_bad)
    bus.register("x", async_good)

    async def main():
        try:
            await bus.trigger_async("x")
        except ac.TriggerFailed as group:
            return group, asyncio.get_running_loop().time()

    group, end = ac.VirtualClock().run(main())
    assert calls == ["async_bad", "sync_bad", "async_good"]
    assert end == 3.0
    assert group.exceptions == (async_error, sync_error)
    assert group.message == "2 of 3 listeners for event 'x' raised"


def test_trigger_async_with_no_listeners_returns_zero():
    assert ac.VirtualClock().run(ac.EventBus().trigger_async("nothing")) == 0


def test_cancelling_trigger_async_propagates_and_is_not_collected():
    bus = ac.EventBus()
    calls = []

    async def forever():
        calls.append("forever")
        await asyncio.sleep(100)
        calls.append("woke")

    bus.register("x", forever)
    bus.register("x", lambda: calls.append("after"))

    async def main():
        task = asyncio.create_task(bus.trigger_async("x"))
        await asyncio.sleep(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return asyncio.get_running_loop().time()

    assert ac.VirtualClock().run(main()) == 1.0
    assert calls == ["forever"]


# -- looking -------------------------------------------------------------------------


def test_listener_count_listeners_and_events():
    bus = ac.EventBus()
    assert bus.events() == []
    assert bus.listener_count("a") == 0
    assert bus.listeners("a") == ()

    def f():
        pass

    def g():
        pass

    bus.register("b", f)
    bus.register("a", g)
    bus.once("a", f)
    assert bus.events() == ["b", "a"]  # first-registration order
    assert bus.listener_count("a") == 2
    assert bus.listeners("a") == (g, f)  # once listeners are shown unwrapped
    bus.remove("b", f)
    assert bus.events() == ["a"]  # an event with no listener left is not listed
    bus.trigger("a")
    assert bus.listeners("a") == (g,)


def test_listeners_is_a_copy():
    bus = ac.EventBus()
    bus.register("a", shout)
    seen = bus.listeners("a")
    bus.register("a", shout)
    assert seen == (shout,)
    assert bus.listeners("a") == (shout, shout)


def test_repr_shows_name_and_counts():
    bus = ac.EventBus(name="ui")
    bus.register("click", shout)
    bus.register("click", shout)
    bus.register("key", shout)
    assert repr(bus) == "<EventBus 'ui': {'click': 2, 'key': 1}>"


def test_name_must_be_a_str():
    with pytest.raises(TypeError, match=re.escape("name must be a str, got 3 (int)")):
        ac.EventBus(name=3)  # type: ignore[arg-type]


# -- threads -----------------------------------------------------------------------------


def test_concurrent_registration_loses_nothing():
    bus = ac.EventBus(max_listeners=0)
    per_thread = 300
    n_threads = 8
    made: list[list[object]] = []

    def register_many(barrier):
        mine = [lambda: None for _ in range(per_thread)]
        made.append(mine)
        barrier.wait(timeout=10)
        for i, fn in enumerate(mine):
            bus.register("shared", fn)
            bus.register(("own", id(mine), i % 5), fn)  # new events created concurrently too

    with busy_switching():
        run_together(register_many, n_threads)
    assert bus.listener_count("shared") == n_threads * per_thread
    assert set(bus.listeners("shared")) == {fn for mine in made for fn in mine}
    assert len(bus.events()) == 1 + 5 * n_threads
    assert sum(bus.listener_count(e) for e in bus.events()) == 2 * n_threads * per_thread
    for mine in made:
        # each thread's registrations keep their relative order
        shared = [fn for fn in bus.listeners("shared") if fn in set(mine)]
        assert shared == mine


def test_concurrent_register_and_remove_keep_the_list_consistent():
    bus = ac.EventBus(max_listeners=0)
    keeper = [lambda: None for _ in range(200)]
    for fn in keeper:
        bus.register("x", fn)

    def churn(barrier):
        mine = [lambda: None for _ in range(200)]
        barrier.wait(timeout=10)
        for fn in mine:
            bus.register("x", fn)
        for fn in mine:
            bus.remove("x", fn)

    with busy_switching():
        run_together(churn, 6)
    assert bus.listeners("x") == tuple(keeper)


def test_trigger_from_a_thread_runs_listeners_on_that_thread():
    bus = ac.EventBus()
    calls = []
    bus.register("x", lambda: calls.append(threading.get_ident()))
    worker = threading.Thread(target=bus.trigger, args=("x",))
    worker.start()
    worker.join()
    assert calls == [worker.ident]


# -- trace ---------------------------------------------------------------------------------


def test_trace_rows_for_every_operation():
    trace = ac.Trace()
    clock = ac.VirtualClock(start=5)
    bus = ac.EventBus(trace=trace, clock=clock, name="ui")
    bus.register("click", shout)
    clock.advance(1)
    bus.once("click", shout)
    bus.on("key")(shout)
    bus.on("click", once=True)(shout)
    clock.advance(1)
    assert bus.trigger("click", "payload") == 3
    bus.remove("key", shout)
    bus.trigger("nothing")
    rows = trace.rows
    assert [row.seq for row in rows] == list(range(7))
    assert {row.pattern for row in rows} == {"event"}
    assert {row.name for row in rows} == {"ui"}
    # item is the event, size the event's listener count after the operation
    assert [(row.time, row.operation, row.item, row.size, row.outcome) for row in rows] == [
        (5.0, "register", "click", 1, "ok"),
        (6.0, "once", "click", 2, "ok"),
        (6.0, "register", "key", 1, "ok"),
        (6.0, "once", "click", 3, "ok"),
        (7.0, "trigger", "click", 1, "ok"),
        (7.0, "remove", "key", 0, "ok"),
        (7.0, "trigger", "nothing", 0, "ok"),
    ]


def test_trace_without_clock_uses_the_clock_of_the_running_virtual_clock():
    trace = ac.Trace()
    bus = ac.EventBus(trace=trace)

    async def nap():
        await asyncio.sleep(2.5)

    async def main():
        bus.register("x", nap)
        await bus.trigger_async("x")

    ac.VirtualClock(start=10).run(main())
    assert [(row.time, row.operation, row.item, row.size) for row in trace] == [
        (10.0, "register", "x", 1),
        (12.5, "trigger", "x", 1),
    ]


# -- leak guard ---------------------------------------------------------------------


def test_more_listeners_than_max_listeners_warns_once_per_event():
    bus = ac.EventBus(max_listeners=2, name="ui")
    bus.register("click", print)
    bus.register("click", print)
    with pytest.warns(
        ac.ListenerLeakWarning,
        match=re.escape(
            "event 'click' on bus 'ui' has 3 listeners, more than max_listeners=2: a listener registered again "
            "and again and never removed is a leak; remove listeners you no longer need, or raise max_listeners "
            "(0 = no limit)"
        ),
    ) as caught:
        bus.register("click", print)
        bus.register("click", print)  # warned once per event, not on every registration
    assert len(caught) == 1
    assert bus.listener_count("click") == 4  # a warning, not a refusal: nothing is lost


def test_max_listeners_zero_means_no_limit_and_bad_values_are_refused():
    bus = ac.EventBus(max_listeners=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(50):
            bus.register("x", print)
    with pytest.raises(ValueError, match=re.escape("max_listeners must be an int >= 0 (0 means no limit), got -1")):
        ac.EventBus(max_listeners=-1)


# -- statistics ------------------------------------------------------------------------


def test_statistics_count_events_listeners_and_once_listeners_at_this_instant():
    bus = ac.EventBus(name="ui", max_listeners=4)
    assert bus.statistics() == BusStatistics("ui", events=0, listeners=0, once=0, max_listeners=4)
    bus.register("click", shout)
    bus.register("click", shout)  # the same function twice counts twice
    bus.once("click", print)
    bus.once("key", shout)
    assert bus.statistics() == BusStatistics("ui", events=2, listeners=4, once=2, max_listeners=4)
    bus.trigger("key")  # its once listener is used up, and "key" has no listener left
    bus.remove("click", shout)
    assert bus.statistics() == BusStatistics("ui", events=1, listeners=2, once=1, max_listeners=4)
