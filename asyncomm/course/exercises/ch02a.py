"""Chapter 02a exercises: async from zero. Each check runs the learner's coroutine function on a
``VirtualClock``, so it knows exactly how long the code took (in virtual seconds, in no real time).

* ``02a.breakfast`` (write): await two coroutines concurrently (gather, TaskGroup or tasks).
* ``02a.never-awaited`` (fix): a coroutine called without ``await`` never runs.
* ``02a.timeout`` (write): give up on a slow coroutine after a deadline, and cancel it.
* ``02a.unblock`` (fix): a blocking function called inside a coroutine, moved to a thread.

The learner's code gets the coroutines it awaits as arguments: the check passes its own, which record what ran
and when.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import textwrap
import threading
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, register

__all__: list[str] = []

Run = tuple[Any, float, list[str]]  # what a check saw: the result, the virtual time it ended, the warnings


def _run_on_virtual_clock(main: Callable[[], Awaitable[Any]]) -> Run:
    """Run ``main()`` on a fresh virtual clock; return its result, the time it ended, and the text of every
    warning raised meanwhile (a coroutine never awaited warns when it is garbage collected)."""
    clock = VirtualClock()

    async def timed() -> Any:
        return await main()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = clock.run(timed())
        _close_coroutines(result)
    return result, clock.now(), [str(w.message) for w in caught]


def _close_coroutines(value: Any) -> None:
    """Close coroutine objects a wrong answer returned, so they do not warn later, far from the check."""
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if inspect.iscoroutine(item):
            item.close()


def _not_async(answer: Any, name: str, variable: str = "answer") -> str | None:
    if not callable(answer):
        return f"set {variable} to your function itself: {variable} = {name} (no parentheses)"
    if not inspect.iscoroutinefunction(answer):
        return f"define {name} with `async def`, so that it can await"
    return None


def _never_awaited(warned: list[str]) -> bool:
    return any("was never awaited" in text for text in warned)


# -- 02a.breakfast -------------------------------------------------------------------------------------------------


async def _reference_breakfast(make_coffee: Any, make_toast: Any) -> list[Any]:
    return list(await asyncio.gather(make_coffee(), make_toast()))


async def _breakfast_one_after_the_other(make_coffee: Any, make_toast: Any) -> list[Any]:
    return [await make_coffee(), await make_toast()]


async def _breakfast_not_awaited(make_coffee: Any, make_toast: Any) -> list[Any]:
    return [make_coffee(), make_toast()]


async def _breakfast_gather_not_awaited(make_coffee: Any, make_toast: Any) -> Any:
    return asyncio.gather(make_coffee(), make_toast())


async def _breakfast_reversed(make_coffee: Any, make_toast: Any) -> list[Any]:
    return list(await asyncio.gather(make_toast(), make_coffee()))


def _breakfast_plain(make_coffee: Any, make_toast: Any) -> list[Any]:
    return [make_coffee, make_toast]


async def _breakfast_functions_not_called(make_coffee: Any, make_toast: Any) -> list[Any]:
    return list(await asyncio.gather(make_coffee, make_toast))


async def _breakfast_task_group_functions_not_called(make_coffee: Any, make_toast: Any) -> list[Any]:
    async with asyncio.TaskGroup() as tg:
        coffee, toast = tg.create_task(make_coffee), tg.create_task(make_toast)
    return [coffee.result(), toast.result()]


def _passed_the_functions(exc: BaseException) -> bool:
    """True when gather() or create_task() got a function instead of the coroutine its call makes."""
    if isinstance(exc, BaseExceptionGroup):
        return any(_passed_the_functions(inner) for inner in exc.exceptions)
    text = str(exc)
    return isinstance(exc, TypeError) and ("awaitable is required" in text or "coroutine was expected" in text)


def _judge_breakfast(breakfast: Any) -> str | None:
    if (problem := _not_async(breakfast, "breakfast")) is not None:
        return problem
    done: list[str] = []

    async def make_coffee() -> str:
        await asyncio.sleep(3)
        done.append("coffee")
        return "coffee"

    async def make_toast() -> str:
        await asyncio.sleep(2)
        done.append("toast")
        return "toast"

    try:
        result, now, warned = _run_on_virtual_clock(lambda: breakfast(make_coffee, make_toast))
    except (TypeError, BaseExceptionGroup) as exc:
        if not _passed_the_functions(exc):
            raise
        return (
            "you passed the functions themselves: gather() and create_task() need what calling them makes, "
            "so write asyncio.gather(make_coffee(), make_toast()), with the parentheses"
        )
    if isinstance(result, asyncio.Future):  # gather() without await: a future nobody waited for
        with contextlib.suppress(BaseException):
            result.exception()  # retrieved, so asyncio does not log it as never retrieved
        return "gather() returns something to await: write `await asyncio.gather(...)`, or the results never come"
    if _never_awaited(warned) or (isinstance(result, (list, tuple)) and any(map(inspect.iscoroutine, result))):
        return (
            "calling make_coffee() only makes a coroutine object; nothing runs until it is awaited "
            "(directly, or through gather / a task)"
        )
    if sorted(done) != ["coffee", "toast"]:
        return f"breakfast returned at t={now:g}s before both were ready: wait for both"
    if now == 5:
        return (
            "both are ready, but it took 5 s: `await make_coffee()` waits until the coffee is done before the "
            "toast even starts. Start both first: asyncio.gather, a TaskGroup, or create_task"
        )
    if not isinstance(result, (list, tuple)) or list(result) != ["coffee", "toast"]:
        return f"return the two results as a list, coffee first: [coffee, toast] (you returned {result!r})"
    return None


register(
    Exercise(
        id="02a.breakfast",
        title="Make coffee and toast at the same time",
        kind="write",
        prompt=textwrap.dedent("""\
        Write `async def breakfast(make_coffee, make_toast)`. Both arguments are coroutine functions:
        `await make_coffee()` takes 3 s and returns the coffee, `await make_toast()` takes 2 s and returns
        the toast. breakfast returns [coffee, toast], and it must take 3 s, not 5: both at the same time.
        (The check passes its own make_coffee and make_toast, and times your breakfast on a virtual clock.)"""),
        judge=_judge_breakfast,
        hints=[
            "`await make_coffee()` waits until the coffee is done before the next line runs: 3 s + 2 s. "
            "Both must be started before you wait for either.",
            "asyncio.gather(make_coffee(), make_toast()) starts both and waits for both; await it. "
            "Its result lists the results in the order of its arguments.",
        ],
        solution_text=textwrap.dedent("""\
        async def breakfast(make_coffee, make_toast):
            coffee, toast = await asyncio.gather(make_coffee(), make_toast())   # both run at once
            return [coffee, toast]

        # or, with a TaskGroup (Python >= 3.11):
        #     async with asyncio.TaskGroup() as tg:
        #         coffee = tg.create_task(make_coffee())
        #         toast = tg.create_task(make_toast())
        #     return [coffee.result(), toast.result()]"""),
        reference=_reference_breakfast,
        wrong_answers=[
            _breakfast_one_after_the_other,
            _breakfast_not_awaited,
            _breakfast_gather_not_awaited,
            _breakfast_reversed,
            _breakfast_plain,
            _breakfast_functions_not_called,
            _breakfast_task_group_functions_not_called,
            "breakfast",
        ],
    )
)


# -- 02a.never-awaited ---------------------------------------------------------------------------------------------


async def remind_all(send: Any, names: Any) -> None:
    """The program of 02a.never-awaited, bug included: each call only makes a coroutine object."""
    for name in names:
        send(name)


async def _reference_remind_all(send: Any, names: Any) -> None:
    for name in names:
        await send(name)


async def _remind_all_concurrently(send: Any, names: Any) -> None:
    await asyncio.gather(*(send(name) for name in names))


async def _remind_first_only(send: Any, names: Any) -> None:
    for name in names:
        return await send(name)  # type: ignore[no-any-return]


async def _remind_all_with_tasks_left_behind(send: Any, names: Any) -> None:
    for name in names:
        asyncio.create_task(send(name))  # noqa: RUF006 - the mistake under test: a task nobody awaits


def _remind_all_without_async(send: Any, names: Any) -> None:
    for name in names:
        send(name)


def _judge_remind_all(fixed: Any) -> str | None:
    if (problem := _not_async(fixed, "remind_all", "fixed")) is not None:
        return problem
    names = ["ann", "bob", "cy"]
    reminded: list[str] = []

    async def send(name: str) -> None:
        await asyncio.sleep(1)
        reminded.append(name)

    _, now, warned = _run_on_virtual_clock(lambda: fixed(send, list(names)))
    if _never_awaited(warned):
        return (
            "Python still warns `coroutine 'send' was never awaited`: send(name) only makes a coroutine object; "
            "`await send(name)` runs it"
        )
    if sorted(reminded) == names:
        return None
    if not reminded and now == 0:
        return (
            "remind_all returned before any reminder was sent: a task made with create_task is only started; "
            "await it (or use gather), or it may never finish"
        )
    return f"for {names} your remind_all sent reminders to {reminded}: remind everyone, each once"


register(
    Exercise(
        id="02a.never-awaited",
        title="Fix the coroutine that was never awaited",
        kind="fix",
        prompt=textwrap.dedent("""\
        remind_all should send a reminder to every name: `send` is a coroutine function (the check passes
        its own), and each reminder takes 1 s. But nobody is ever reminded, and Python warns
        "RuntimeWarning: coroutine 'send' was never awaited". Fix it (same signature) and set `fixed` to it.

            async def remind_all(send, names):
                for name in names:
                    send(name)"""),
        judge=_judge_remind_all,
        hints=[
            "Calling a coroutine function runs none of its body: it returns a coroutine object, and this loop "
            "throws each one away.",
            "await send(name) runs it and waits for it (3 names: 3 s); "
            "await asyncio.gather(*(send(name) for name in names)) runs them all at once (1 s). Both are right.",
        ],
        solution_text=textwrap.dedent("""\
        async def remind_all(send, names):
            for name in names:
                await send(name)          # now each reminder runs, one after the other

        fixed = remind_all"""),
        reference=_reference_remind_all,
        wrong_answers=[remind_all, _remind_first_only, _remind_all_with_tasks_left_behind, _remind_all_without_async],
    )
)


# -- 02a.timeout ---------------------------------------------------------------------------------------------------


async def _reference_fetch_or_none(fetch: Any, seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await fetch()
    except TimeoutError:
        return None


async def _fetch_with_wait_for(fetch: Any, seconds: float) -> Any:
    try:
        return await asyncio.wait_for(fetch(), seconds)
    except TimeoutError:
        return None


async def _fetch_without_deadline(fetch: Any, seconds: float) -> Any:
    return await fetch()


async def _fetch_timeout_not_caught(fetch: Any, seconds: float) -> Any:
    async with asyncio.timeout(seconds):
        return await fetch()


async def _fetch_left_running(fetch: Any, seconds: float) -> Any:
    task = asyncio.create_task(fetch())
    done, _ = await asyncio.wait([task], timeout=seconds)
    return task.result() if done else None


async def _fetch_waits_out_the_deadline(fetch: Any, seconds: float) -> Any:
    await asyncio.sleep(seconds)
    return None


def _judge_fetch_or_none(fetch_or_none: Any) -> str | None:
    if (problem := _not_async(fetch_or_none, "fetch_or_none")) is not None:
        return problem
    for took, deadline in ((2, 5), (10, 1)):
        events: list[str] = []

        async def fetch(took: float = took, events: list[str] = events) -> str:
            try:
                await asyncio.sleep(took)
            except asyncio.CancelledError:
                events.append("cancelled")
                raise
            events.append("finished")
            return "page"

        async def main(deadline: float = deadline) -> Any:
            result = await fetch_or_none(fetch, deadline)
            ended = asyncio.get_running_loop().time()
            await asyncio.sleep(20)  # long enough for a fetch left running to finish, and be seen
            return result, ended

        try:
            (result, ended), _, _ = _run_on_virtual_clock(main)
        except TimeoutError:
            return (
                f"with a {deadline} s deadline and a {took} s fetch, TimeoutError escaped: catch it "
                f"(except TimeoutError:) and return None"
            )
        fast = took < deadline
        if fast and (result, ended) != ("page", took):
            return (
                f"a fetch that takes {took} s, with a {deadline} s deadline, should return its page at t={took}s; "
                f"yours returned {result!r} at t={ended:g}s"
            )
        if not fast and result is not None:
            return f"a {took} s fetch with a {deadline} s deadline should give None at t={deadline}s: give up in time"
        if not fast and ended != deadline:
            return f"give up at the deadline: with {deadline} s your function returned at t={ended:g}s"
        if not fast and "finished" in events:
            return (
                "you returned None in time, but the slow fetch went on running and finished later: "
                "cancel it (asyncio.timeout and asyncio.wait_for do)"
            )
    return None


register(
    Exercise(
        id="02a.timeout",
        title="Give up on a slow coroutine",
        kind="write",
        prompt=textwrap.dedent("""\
        Write `async def fetch_or_none(fetch, seconds)`: it awaits fetch() (a coroutine function the
        check passes) and returns its result; if that takes longer than `seconds`, it gives up at that
        moment, cancels the fetch and returns None."""),
        judge=_judge_fetch_or_none,
        hints=[
            "`async with asyncio.timeout(seconds):` around the await cancels what runs inside when the time is "
            "up, and then raises TimeoutError at the end of the block.",
            "Catch it: try: ... async with asyncio.timeout(seconds): return await fetch() ... "
            "except TimeoutError: return None",
        ],
        solution_text=textwrap.dedent("""\
        async def fetch_or_none(fetch, seconds):
            try:
                async with asyncio.timeout(seconds):    # cancels fetch() when the time is up
                    return await fetch()
            except TimeoutError:                         # ... and then raises TimeoutError here
                return None

        # or: return await asyncio.wait_for(fetch(), seconds), inside the same try/except"""),
        reference=_reference_fetch_or_none,
        wrong_answers=[
            _fetch_without_deadline,
            _fetch_timeout_not_caught,
            _fetch_left_running,
            _fetch_waits_out_the_deadline,
            "fetch_or_none",
        ],
    )
)


# -- 02a.unblock ---------------------------------------------------------------------------------------------------


async def poll(read: Any, sensor: Any) -> Any:
    """The program of 02a.unblock, bug included: read() blocks the event loop's only thread."""
    return read(sensor)


async def _reference_poll(read: Any, sensor: Any) -> Any:
    return await asyncio.to_thread(read, sensor)


async def _poll_in_executor(read: Any, sensor: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, read, sensor)


async def _poll_after_a_yield(read: Any, sensor: Any) -> Any:
    await asyncio.sleep(0)
    return read(sensor)


async def _poll_called_first(read: Any, sensor: Any) -> Any:
    return await asyncio.to_thread(read(sensor))  # read runs here, in the loop's thread; to_thread gets its result


async def _poll_not_awaited(read: Any, sensor: Any) -> Any:
    return asyncio.to_thread(read, sensor)


def _judge_poll(fixed: Any) -> str | None:
    if (problem := _not_async(fixed, "poll", "fixed")) is not None:
        return problem
    threads: list[int] = []

    def read(sensor: str) -> float:
        threads.append(threading.get_ident())
        return {"kitchen": 21.5, "garden": 14.0}[sensor]

    async def main() -> tuple[Any, int]:
        return await fixed(read, "kitchen"), threading.get_ident()

    try:
        (result, loop_thread), _, warned = _run_on_virtual_clock(main)
    except TypeError as err:
        if "callable" in str(err):
            return (
                "to_thread(read(sensor)) calls read right here, in the event loop's thread, and hands its result "
                "to to_thread: pass the function and its argument, asyncio.to_thread(read, sensor)"
            )
        raise
    if inspect.iscoroutine(result) or _never_awaited(warned):
        return "asyncio.to_thread(...) returns a coroutine: await it to get the reading"
    if not threads:
        return "poll must call read(sensor) to get the reading"
    if threads[0] == loop_thread:
        return (
            "read still runs on the event loop's own thread, so while it blocks no other task can run: "
            "hand it to another thread with asyncio.to_thread"
        )
    if result != 21.5:
        return f"poll(read, 'kitchen') returned {result!r}: return what read('kitchen') returns"
    return None


register(
    Exercise(
        id="02a.unblock",
        title="Move a blocking call off the event loop",
        kind="fix",
        prompt=textwrap.dedent("""\
        read(sensor) is a plain, blocking function from a library you cannot change (it may take a while
        to answer). poll calls it directly, so while it waits, no other task can run. Fix poll (same
        signature) so that read runs on another thread while the event loop goes on, and set `fixed` to it.

            async def poll(read, sensor):
                return read(sensor)"""),
        judge=_judge_poll,
        hints=[
            "A coroutine runs on the event loop's one thread: a call that blocks there blocks every task. "
            "asyncio.sleep cannot help here; the waiting happens inside read.",
            "await asyncio.to_thread(read, sensor) runs read(sensor) on a worker thread and waits for it "
            "without blocking the loop. Pass the function and its argument; do not call it yourself.",
        ],
        solution_text=textwrap.dedent("""\
        async def poll(read, sensor):
            return await asyncio.to_thread(read, sensor)   # read(sensor) runs on a worker thread

        fixed = poll"""),
        reference=_reference_poll,
        wrong_answers=[poll, _poll_after_a_yield, _poll_called_first, _poll_not_awaited, "poll"],
    )
)
