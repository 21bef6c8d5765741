"""Unit tests of CallbackRegistry and the callback helpers (run_in_background,
from_callbacks, add_callbacks, call_in_loop), blinker style: plain callbacks
that record their calls in a list."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import re
import threading
import warnings

import pytest

import asyncomm as ac
from asyncomm.statistics import BusStatistics


def shout(*args: object, **kwargs: object) -> None:
    """A module-level callback, so its name in messages is exactly 'shout'."""


class Greeter:
    def __init__(self, log: list[object], name: str) -> None:
        self.log = log
        self.name = name

    def hello(self, who: str) -> None:
        self.log.append((self.name, who))


def thread_clock() -> ac.VirtualClock:
    """A virtual clock for code that waits on other threads: a lost wake-up ends
    in ac.Deadlock after a few real seconds instead of hanging the test run."""
    return ac.VirtualClock(deadlock_after=5)


def not_callable_message(what: str, value: str, kind: str) -> str:
    return re.escape(
        f"{what} must be callable (a function or method), got {value} ({kind}); "
        f"pass the function itself, without calling it"
    )


# -- CallbackRegistry ------------------------------------------------------------------


def test_register_returns_the_callback_and_trigger_calls_it_with_the_data():
    done = ac.CallbackRegistry()
    calls = []

    def got(msg, *, sender=None):
        calls.append((msg, sender))

    assert done.register(got) is got
    assert done.trigger("Hello, World!", sender="ada") == 1
    assert calls == [("Hello, World!", "ada")]


def test_register_works_as_a_decorator():
    done = ac.CallbackRegistry()
    calls = []

    @done.register
    def got(msg):
        calls.append(msg)

    assert got.__name__ == "got"
    done.trigger(1)
    assert calls == [1]


def test_callbacks_run_in_registration_order():
    done = ac.CallbackRegistry()
    calls = []
    for i in range(10):
        done.register(lambda i=i: calls.append(i))
    assert done.trigger() == 10
    assert calls == list(range(10))


def test_trigger_with_no_callbacks_returns_zero():
    assert ac.CallbackRegistry().trigger("x") == 0


def test_same_callback_registered_twice_runs_twice_and_remove_takes_the_latest():
    done = ac.CallbackRegistry()
    calls = []

    def f():
        calls.append("f")

    def g():
        calls.append("g")

    done.register(f)
    done.register(g)
    done.register(f)
    assert len(done) == 3
    assert done.trigger() == 3
    assert calls == ["f", "g", "f"]
    done.remove(f)
    assert done.callbacks() == (f, g)  # removing the first one would leave (g, f)


def test_bound_method_is_removed_with_a_fresh_attribute_expression():
    done = ac.CallbackRegistry()
    log: list[object] = []
    ada, bob = Greeter(log, "ada"), Greeter(log, "bob")
    done.register(ada.hello)
    done.register(bob.hello)
    done.remove(ada.hello)
    done.trigger("you")
    assert log == [("bob", "you")]


def test_remove_unregistered_raises_callback_not_found():
    done = ac.CallbackRegistry()
    with pytest.raises(ac.CallbackNotFound, match=re.escape("callback shout is not registered; register it first")):
        done.remove(shout)
    done.register(shout)
    done.remove(shout)
    with pytest.raises(ac.CallbackNotFound, match=re.escape("callback shout is not registered; register it first")):
        done.remove(shout)


def test_callback_not_found_is_a_listener_not_found():
    with pytest.raises(ac.ListenerNotFound):
        ac.CallbackRegistry().remove(shout)
    with pytest.raises(ac.AsyncommError):
        ac.CallbackRegistry().remove(shout)


def test_register_and_once_reject_non_callables():
    done = ac.CallbackRegistry()
    with pytest.raises(TypeError, match=not_callable_message("callback", "'oops'", "str")):
        done.register("oops")
    with pytest.raises(TypeError, match=not_callable_message("callback", "None", "NoneType")):
        done.once(None)
    assert len(done) == 0


def test_callback_removed_during_trigger_still_gets_that_trigger():
    done = ac.CallbackRegistry()
    calls = []

    def first():
        calls.append("first")
        if second in done.callbacks():
            done.remove(second)

    def second():
        calls.append("second")

    done.register(first)
    done.register(second)
    assert done.trigger() == 2
    assert calls == ["first", "second"]
    calls.clear()
    assert done.trigger() == 1
    assert calls == ["first"]


def test_callback_added_during_trigger_waits_for_the_next_trigger():
    done = ac.CallbackRegistry()
    calls = []

    def late():
        calls.append("late")

    def first():
        calls.append("first")
        done.register(late)

    done.register(first)
    assert done.trigger() == 1
    assert calls == ["first"]
    calls.clear()
    done.remove(first)
    assert done.trigger() == 1
    assert calls == ["late"]


def test_once_runs_on_the_next_trigger_only():
    done = ac.CallbackRegistry()
    calls = []

    def always(x):
        calls.append(("always", x))

    assert done.once(calls.append) == calls.append
    done.register(always)
    assert done.callbacks() == (calls.append, always)
    assert done.trigger(1) == 2
    assert done.trigger(2) == 1
    assert calls == [1, ("always", 1), ("always", 2)]
    with pytest.raises(ac.CallbackNotFound):
        done.remove(calls.append)


def test_once_runs_exactly_once_when_threads_trigger_at_the_same_time():
    for _ in range(100):
        done = ac.CallbackRegistry()
        calls: list[int] = []
        counts: list[int] = []
        done.once(lambda calls=calls: calls.append(threading.get_ident()))
        barrier = threading.Barrier(4)

        def fire(done=done, counts=counts, barrier=barrier):
            barrier.wait(timeout=10)
            counts.append(done.trigger())

        threads = [threading.Thread(target=fire) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        assert len(calls) == 1
        assert sorted(counts) == [0, 0, 0, 1]


def test_failing_callbacks_do_not_stop_the_others_and_errors_come_together():
    done = ac.CallbackRegistry()
    calls = []
    first_error, second_error = ValueError("first"), KeyError("second")

    def bad_one(x):
        calls.append("bad_one")
        raise first_error

    def bad_two(x):
        calls.append("bad_two")
        raise second_error

    done.register(bad_one)
    done.register(lambda x: calls.append("good"))
    done.register(bad_two)
    with pytest.raises(ac.TriggerFailed) as info:
        done.trigger("data")
    assert calls == ["bad_one", "good", "bad_two"]
    assert info.value.exceptions == (first_error, second_error)
    assert info.value.message == "2 of 3 callbacks raised"


def test_trigger_failed_message_uses_singular_for_one_callback():
    done = ac.CallbackRegistry()
    done.register(lambda: 1 / 0)
    with pytest.raises(ac.TriggerFailed, match=re.escape("1 of 1 callback raised")):
        done.trigger()


def test_except_star_works_on_a_registry_trigger():
    done = ac.CallbackRegistry()
    done.register(lambda: 1 / 0)
    done.register(lambda: {}["missing"])
    handled = []
    with pytest.raises(ac.TriggerFailed) as info:
        try:
            done.trigger()
        except* ZeroDivisionError as group:
            handled.extend(group.exceptions)
    assert [type(e) for e in handled] == [ZeroDivisionError]
    assert [type(e) for e in info.value.exceptions] == [KeyError]


def test_keyboard_interrupt_in_a_callback_propagates_at_once():
    done = ac.CallbackRegistry()
    calls = []

    def interrupt():
        raise KeyboardInterrupt

    done.register(interrupt)
    done.register(lambda: calls.append("after"))
    with pytest.raises(KeyboardInterrupt):
        done.trigger()
    assert calls == []


def test_async_callback_with_sync_trigger_fails_with_a_hint_and_no_warning():
    done = ac.CallbackRegistry()

    async def handler():
        pass

    done.register(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ac.TriggerFailed) as info:
            done.trigger()
        gc.collect()
    [error] = info.value.exceptions
    assert isinstance(error, TypeError)
    assert str(error).startswith(f"callback {handler.__qualname__} is async; call `await registry.")
    assert [str(w.message) for w in caught] == []


def test_trigger_async_awaits_callbacks_in_order_and_collects_errors():
    done = ac.CallbackRegistry()
    calls = []

    async def slow(x):
        await asyncio.sleep(2)
        calls.append(("slow", x, asyncio.get_running_loop().time()))

    async def quick_bad(x):
        await asyncio.sleep(1)
        calls.append(("quick_bad", x, asyncio.get_running_loop().time()))
        raise ValueError(x)

    done.register(slow)
    done.register(quick_bad)
    done.register(lambda x: calls.append(("sync", x, asyncio.get_running_loop().time())))

    async def main():
        with pytest.raises(ac.TriggerFailed) as info:
            await done.trigger_async("job")
        return info.value

    group = ac.VirtualClock().run(main())
    assert calls == [("slow", "job", 2.0), ("quick_bad", "job", 3.0), ("sync", "job", 3.0)]
    assert group.message == "1 of 3 callbacks raised"
    assert [str(e) for e in group.exceptions] == ["job"]


def test_trigger_async_returns_the_number_run():
    done = ac.CallbackRegistry()

    async def nap():
        await asyncio.sleep(1)

    done.register(nap)
    done.once(nap)
    assert ac.VirtualClock().run(done.trigger_async()) == 2
    assert ac.VirtualClock().run(done.trigger_async()) == 1


def test_callbacks_len_and_repr():
    done = ac.CallbackRegistry(name="on_saved")
    assert len(done) == 0 and done.callbacks() == ()
    assert repr(done) == "<CallbackRegistry 'on_saved': 0 callbacks>"
    done.register(shout)
    assert repr(done) == "<CallbackRegistry 'on_saved': 1 callback>"
    done.once(print)
    assert done.callbacks() == (shout, print)
    assert len(done) == 2


def test_registry_trace_rows():
    trace = ac.Trace()
    clock = ac.VirtualClock(start=1)
    done = ac.CallbackRegistry(trace=trace, clock=clock, name="done")
    done.register(shout)
    done.once(print)
    clock.advance(2)
    assert done.trigger("msg") == 2
    done.trigger("a", "b")
    done.remove(shout)
    done.register(lambda: 1 / 0)
    with pytest.raises(ac.TriggerFailed):
        done.trigger()
    rows = trace.rows
    assert {row.pattern for row in rows} == {"callback"}
    assert {row.name for row in rows} == {"done"}
    # item: the callback's name for register/once/remove, the data for trigger; size: callbacks after
    assert [(row.time, row.operation, row.item, row.size, row.outcome) for row in rows] == [
        (1.0, "register", "shout", 1, "ok"),
        (1.0, "once", "print", 2, "ok"),
        (3.0, "trigger", "msg", 1, "ok"),
        (3.0, "trigger", ("a", "b"), 1, "ok"),
        (3.0, "remove", "shout", 0, "ok"),
        (3.0, "register", "test_registry_trace_rows.<locals>.<lambda>", 1, "ok"),
        (3.0, "trigger", (), 1, "TriggerFailed"),
    ]


def test_once_registered_after_a_callback_that_re_triggers_runs_exactly_once():
    done = ac.CallbackRegistry()
    calls = []
    nested = []

    def echo(depth):
        calls.append(("echo", depth))
        if depth == 0:
            nested.append(done.trigger(1))

    done.register(echo)
    done.once(lambda depth: calls.append(("once", depth)))
    assert done.trigger(0) == 1
    assert nested == [2]
    assert calls == [("echo", 0), ("echo", 1), ("once", 1)]


def test_registry_statistics_is_a_bus_with_one_event_and_no_limit():
    done = ac.CallbackRegistry(name="done")
    assert done.statistics() == BusStatistics("done", events=0, listeners=0, once=0, max_listeners=0)
    done.register(shout)
    done.once(print)
    assert done.statistics() == BusStatistics("done", events=1, listeners=2, once=1, max_listeners=0)
    done.trigger()
    assert done.statistics() == BusStatistics("done", events=1, listeners=1, once=0, max_listeners=0)


# -- run_in_background ----------------------------------------------------------------------


def test_run_in_background_calls_on_done_with_the_result_on_a_worker_thread():
    calls = []
    job = ac.run_in_background(
        sum,
        [1, 2, 3],
        on_done=lambda total: calls.append((total, threading.get_ident())),
        on_error=lambda exc: calls.append(("error", exc)),
    )
    assert job.result(timeout=10) == 6
    [(total, ident)] = calls
    assert total == 6
    assert ident != threading.get_ident()


def test_run_in_background_calls_on_error_with_the_exception_on_a_worker_thread():
    calls = []
    error = ValueError("bad input")

    def work():
        raise error

    job = ac.run_in_background(
        work,
        on_done=lambda result: calls.append(("done", result)),
        on_error=lambda exc: calls.append((exc, threading.get_ident())),
    )
    assert job.exception(timeout=10) is error
    [(exc, ident)] = calls
    assert exc is error
    assert ident != threading.get_ident()


def test_run_in_background_returns_before_the_work_ends():
    release = threading.Event()
    calls = []

    def work(x, *, factor):
        release.wait(timeout=10)
        return x * factor

    job = ac.run_in_background(work, 7, factor=6, on_done=calls.append)
    assert not job.done()
    assert calls == []
    release.set()
    assert job.result(timeout=10) == 42
    assert calls == [42]


def test_run_in_background_without_callbacks_still_holds_the_outcome():
    assert ac.run_in_background(pow, 2, 10).result(timeout=10) == 1024
    error = ac.run_in_background(int, "nope").exception(timeout=10)
    assert isinstance(error, ValueError)


def test_run_in_background_on_done_that_raises_puts_its_error_in_the_future():
    callback_error = RuntimeError("callback broke")

    def on_done(result):
        raise callback_error

    job = ac.run_in_background(pow, 2, 3, on_done=on_done)
    assert job.exception(timeout=10) is callback_error


def test_run_in_background_on_error_that_raises_puts_its_error_in_the_future():
    callback_error = RuntimeError("handler broke")

    def on_error(exc):
        raise callback_error

    job = ac.run_in_background(int, "nope", on_error=on_error)
    error = job.exception(timeout=10)
    assert error is callback_error
    assert isinstance(error.__context__, ValueError)  # the work's own error is kept as its context


def test_run_in_background_uses_the_given_executor():
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="custom-pool") as pool:
        names = []
        job = ac.run_in_background(lambda: threading.current_thread().name, on_done=names.append, executor=pool)
        name = job.result(timeout=10)
    assert name.startswith("custom-pool")
    assert names == [name]


def test_run_in_background_rejects_non_callables():
    with pytest.raises(TypeError, match=not_callable_message("work", "6", "int")):
        ac.run_in_background(6)
    with pytest.raises(TypeError, match=not_callable_message("on_done", "'print'", "str")):
        ac.run_in_background(print, on_done="print")
    with pytest.raises(TypeError, match=not_callable_message("on_error", "42", "int")):
        ac.run_in_background(print, on_error=42)


# -- from_callbacks -----------------------------------------------------------------------


def test_from_callbacks_with_a_callback_from_another_thread():
    callers = []

    def start(x, *, on_done, on_error):
        def worker():
            callers.append(threading.get_ident())
            on_done(x * 2)

        threading.Thread(target=worker).start()

    async def main():
        return await ac.from_callbacks(start, 21), threading.get_ident()

    result, awaiting_thread = thread_clock().run(main())
    assert result == 42
    assert len(callers) == 1 and callers[0] != awaiting_thread


def test_from_callbacks_with_run_in_background():
    async def main():
        return await ac.from_callbacks(ac.run_in_background, pow, 2, 10)

    assert thread_clock().run(main()) == 1024


def test_from_callbacks_when_the_callback_comes_synchronously_on_the_same_thread():
    def start(*, on_done, on_error):
        on_done("at once")

    async def main():
        return await ac.from_callbacks(start)

    assert ac.VirtualClock().run(main()) == "at once"


def test_from_callbacks_on_done_without_a_value_gives_none():
    def start(*, on_done, on_error):
        on_done()

    async def main():
        return await ac.from_callbacks(start)

    assert ac.VirtualClock().run(main()) is None


def test_from_callbacks_passes_kwargs_to_start():
    def start(path, *, mode, on_done, on_error):
        on_done((path, mode))

    async def main():
        return await ac.from_callbacks(start, "a.txt", mode="r")

    assert ac.VirtualClock().run(main()) == ("a.txt", "r")


def test_from_callbacks_on_error_raises_the_error_at_the_await():
    error = ValueError("disk full")

    def start(*, on_done, on_error):
        threading.Thread(target=on_error, args=(error,)).start()

    async def main():
        with pytest.raises(ValueError) as info:
            await ac.from_callbacks(start)
        return info.value

    assert thread_clock().run(main()) is error


def test_from_callbacks_on_error_synchronously():
    error = KeyError("missing")

    def start(*, on_done, on_error):
        on_error(error)

    async def main():
        try:
            await ac.from_callbacks(start)
        except KeyError as exc:
            return exc

    assert ac.VirtualClock().run(main()) is error


def test_from_callbacks_only_the_first_call_counts():
    loop_errors = []

    def start(*, on_done, on_error):
        on_done("first")
        on_done("second")
        on_error(ValueError("third"))

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: loop_errors.append(context))
        result = await ac.from_callbacks(start)
        await asyncio.sleep(0.01)  # let the later calls reach the loop, where they are ignored
        return result

    assert ac.VirtualClock().run(main()) == "first"
    assert loop_errors == []  # ignored quietly, not an InvalidStateError logged by the loop


def test_from_callbacks_only_the_first_call_counts_across_threads():
    loop_errors = []
    workers = []

    def start(*, on_done, on_error):
        def worker():
            on_error(ValueError("first"))
            on_done("second")

        workers.append(threading.Thread(target=worker))
        workers[0].start()

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: loop_errors.append(context))
        with pytest.raises(ValueError, match="first"):
            await ac.from_callbacks(start)
        workers[0].join(timeout=10)  # both calls are now scheduled on the loop
        await asyncio.sleep(0.01)

    thread_clock().run(main())
    assert loop_errors == []


def test_from_callbacks_a_late_second_call_after_the_awaiting_code_ended_is_ignored():
    # Regression: a second call after the awaiting code's loop had closed once raised
    # UsageError in the caller's thread, although only the first call should count.
    awaiting_code_ended = threading.Event()
    workers = []
    outcome = []

    def start(*, on_done, on_error):
        def worker():
            on_done("first")
            awaiting_code_ended.wait(timeout=10)
            try:
                on_done("late")
            except Exception as exc:
                outcome.append(exc)
            else:
                outcome.append("ignored")

        workers.append(threading.Thread(target=worker))
        workers[0].start()

    async def main():
        return await ac.from_callbacks(start)

    assert thread_clock().run(main()) == "first"
    awaiting_code_ended.set()
    workers[0].join(timeout=10)
    assert outcome == ["ignored"]


def test_from_callbacks_rejects_a_non_callable_start():
    async def main():
        await ac.from_callbacks("start")

    with pytest.raises(TypeError, match=not_callable_message("start", "'start'", "str")):
        ac.VirtualClock().run(main())


def test_from_callbacks_error_raised_by_start_itself_propagates():
    def start(*, on_done, on_error):
        raise RuntimeError("could not start")

    async def main():
        await ac.from_callbacks(start)

    with pytest.raises(RuntimeError, match="could not start"):
        ac.VirtualClock().run(main())


# -- add_callbacks ----------------------------------------------------------------------------


def test_add_callbacks_on_a_concurrent_future_result():
    calls = []
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    assert ac.add_callbacks(future, on_done=calls.append, on_error=lambda e: calls.append(("error", e))) is future
    assert calls == []
    future.set_result(5)
    assert calls == [5]


def test_add_callbacks_on_a_concurrent_future_error():
    calls = []
    error = ValueError("bad")
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    ac.add_callbacks(future, on_done=lambda r: calls.append(("done", r)), on_error=calls.append)
    future.set_exception(error)
    assert calls == [error]


def test_add_callbacks_on_an_already_done_future_calls_back_at_once():
    calls = []
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    future.set_result("ready")
    ac.add_callbacks(future, on_done=calls.append)
    assert calls == ["ready"]


def test_add_callbacks_with_only_one_callback_ignores_the_other_outcome():
    calls = []
    ok: concurrent.futures.Future[int] = concurrent.futures.Future()
    ac.add_callbacks(ok, on_error=calls.append)
    ok.set_result(1)
    failed: concurrent.futures.Future[int] = concurrent.futures.Future()
    ac.add_callbacks(failed, on_done=calls.append)
    failed.set_exception(ValueError("x"))
    assert calls == []


def test_add_callbacks_on_a_cancelled_concurrent_future_calls_on_error():
    calls = []
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    ac.add_callbacks(future, on_done=lambda r: calls.append(("done", r)), on_error=calls.append)
    assert future.cancel()
    [error] = calls
    assert isinstance(error, concurrent.futures.CancelledError)


def test_add_callbacks_on_a_running_background_job():
    calls = []
    called = threading.Event()
    release = threading.Event()
    job = ac.run_in_background(lambda: release.wait(timeout=10) and 3**4)
    ac.add_callbacks(job, on_done=lambda result: (calls.append(result), called.set()))
    assert calls == []
    release.set()
    assert called.wait(timeout=10)  # done-callbacks may run just after result() would return
    assert calls == [81]


def test_add_callbacks_on_an_asyncio_future():
    calls = []

    async def main():
        loop = asyncio.get_running_loop()
        ok, bad = loop.create_future(), loop.create_future()
        error = ValueError("bad")
        assert ac.add_callbacks(ok, on_done=calls.append, on_error=lambda e: calls.append(("error", e))) is ok
        ac.add_callbacks(bad, on_done=lambda r: calls.append(("done", r)), on_error=calls.append)
        ok.set_result(5)
        bad.set_exception(error)
        assert calls == []  # asyncio runs done-callbacks on the next loop iteration
        await asyncio.sleep(0)
        assert calls == [5, error]
        bad.exception()  # retrieved, so no "exception was never retrieved" log

    ac.VirtualClock().run(main())


def test_add_callbacks_on_a_cancelled_asyncio_task():
    calls = []

    async def main():
        task = asyncio.create_task(asyncio.sleep(10))
        ac.add_callbacks(task, on_done=lambda r: calls.append(("done", r)), on_error=calls.append)
        await asyncio.sleep(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)

    ac.VirtualClock().run(main())
    [error] = calls
    assert isinstance(error, asyncio.CancelledError)


def test_add_callbacks_rejects_what_is_not_a_future():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "add_callbacks() needs an asyncio or concurrent.futures Future, got int; "
            "wrap a coroutine with asyncio.ensure_future() first"
        ),
    ):
        ac.add_callbacks(5, on_done=print)

    async def work():
        pass

    coro = work()
    with pytest.raises(TypeError, match=re.escape("got coroutine; wrap a coroutine with asyncio.ensure_future()")):
        ac.add_callbacks(coro, on_done=print)
    coro.close()


def test_add_callbacks_needs_at_least_one_callback():
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    with pytest.raises(TypeError, match=re.escape("add_callbacks() needs on_done, on_error or both")):
        ac.add_callbacks(future)
    with pytest.raises(TypeError, match=re.escape("add_callbacks() needs on_done, on_error or both")):
        ac.add_callbacks(future, on_done=None, on_error=None)


def test_add_callbacks_rejects_non_callable_callbacks():
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    with pytest.raises(TypeError, match=not_callable_message("on_done", "1", "int")):
        ac.add_callbacks(future, on_done=1)
    with pytest.raises(TypeError, match=not_callable_message("on_error", "'x'", "str")):
        ac.add_callbacks(future, on_done=print, on_error="x")
    future.set_result(0)  # nothing was attached, so nothing is called


# -- call_in_loop ---------------------------------------------------------------------------------


def test_call_in_loop_runs_fn_on_the_loop_thread_from_another_thread():
    calls = []

    async def main():
        loop = asyncio.get_running_loop()
        arrived = loop.create_future()

        def deliver(value):
            calls.append((value, threading.get_ident()))
            arrived.set_result(value)

        worker = threading.Thread(target=ac.call_in_loop, args=(loop, deliver, "from worker"))
        worker.start()
        value = await arrived
        worker.join()
        return value, threading.get_ident(), worker.ident

    value, loop_thread, worker_thread = thread_clock().run(main())
    assert value == "from worker"
    assert calls == [("from worker", loop_thread)]
    assert loop_thread != worker_thread


def test_call_in_loop_with_run_in_background_on_done():
    async def main():
        loop = asyncio.get_running_loop()
        result = loop.create_future()
        ac.run_in_background(sum, [4, 5], on_done=lambda total: ac.call_in_loop(loop, result.set_result, total))
        return await result

    assert thread_clock().run(main()) == 9


def test_call_in_loop_on_a_closed_loop_raises_usage_error():
    loop = asyncio.new_event_loop()
    loop.close()
    with pytest.raises(
        ac.UsageError, match=re.escape("that event loop is closed; the asyncio code waiting for this result has ended")
    ):
        ac.call_in_loop(loop, print)


def test_call_in_loop_rejects_a_non_callable():
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(TypeError, match=not_callable_message("fn", "None", "NoneType")):
            ac.call_in_loop(loop, None)
    finally:
        loop.close()
