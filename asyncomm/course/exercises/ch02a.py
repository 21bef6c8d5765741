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
from asyncomm.i18n import Text, tr

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
        if variable == "answer":  # the cell passes the function itself: ac.check("02a.breakfast", breakfast)
            return tr(
                f"pass your function itself to ac.check: {name}, without quotes or parentheses",
                f"请把函数本身传给 ac.check：直接写 {name}，不加引号，也不加括号",
            )
        return tr(
            f"set {variable} to your function itself: {variable} = {name} (no parentheses)",
            f"把 {variable} 设为你的函数本身：{variable} = {name}（不要加括号）",
        )
    if not inspect.iscoroutinefunction(answer):
        return tr(
            f"define {name} with `async def`, so that it can await",
            f"用 `async def` 定义 {name}，这样它才能 await",
        )
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
        return tr(
            "you passed the functions themselves: gather() and create_task() need what calling them makes, "
            "so write asyncio.gather(make_coffee(), make_toast()), with the parentheses",
            "你传入的是函数本身：gather() 和 create_task() 需要的是调用函数得到的协程，"
            "所以要写 asyncio.gather(make_coffee(), make_toast())，带上括号",
        )
    if isinstance(result, asyncio.Future):  # gather() without await: a future nobody waited for
        with contextlib.suppress(BaseException):
            result.exception()  # retrieved, so asyncio does not log it as never retrieved
        return tr(
            "gather() returns something to await: write `await asyncio.gather(...)`, or the results never come",
            "gather() 返回的是一个需要 await 的对象：写 `await asyncio.gather(...)`，否则结果永远不会到来",
        )
    if _never_awaited(warned) or (isinstance(result, (list, tuple)) and any(map(inspect.iscoroutine, result))):
        return tr(
            "calling make_coffee() only makes a coroutine object; nothing runs until it is awaited "
            "(directly, or through gather / a task)",
            "调用 make_coffee() 只会得到一个协程对象；在它被 await 之前（直接 await，或通过 gather / 任务），"
            "什么都不会执行",
        )
    if sorted(done) != ["coffee", "toast"]:
        return tr(
            f"breakfast returned at t={now:g}s before both were ready: wait for both",
            f"breakfast 在 t={now:g}s 就返回了，那时两样还没都做好：要等两样都做好",
        )
    if now == 5:
        return tr(
            "both are ready, but it took 5 s: `await make_coffee()` waits until the coffee is done before the "
            "toast even starts. Start both first: asyncio.gather, a TaskGroup, or create_task",
            "两样都做好了，但用了 5 秒：`await make_coffee()` 要等咖啡做好，吐司才开始做。"
            "先把两样都启动：用 asyncio.gather、TaskGroup 或 create_task",
        )
    if not isinstance(result, (list, tuple)) or list(result) != ["coffee", "toast"]:
        return tr(
            f"return the two results as a list, coffee first: [coffee, toast] (you returned {result!r})",
            f"把两个结果放在一个列表里返回，咖啡在前：[coffee, toast]（你返回的是 {result!r}）",
        )
    return None


register(
    Exercise(
        id="02a.breakfast",
        title=Text("Make coffee and toast at the same time", "同时做咖啡和吐司"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
            Write `async def breakfast(make_coffee, make_toast)`. Both arguments are coroutine functions:
            `await make_coffee()` takes 3 s and returns the coffee, `await make_toast()` takes 2 s and returns
            the toast. breakfast returns [coffee, toast], and it must take 3 s, not 5: both at the same time.
            (The check passes its own make_coffee and make_toast, and times your breakfast on a virtual clock.)"""),
            textwrap.dedent("""\
            写一个 `async def breakfast(make_coffee, make_toast)`。两个参数都是协程函数：
            `await make_coffee()` 用 3 秒，返回咖啡；`await make_toast()` 用 2 秒，返回吐司。
            breakfast 返回 [coffee, toast]，而且必须只用 3 秒，而不是 5 秒：两样同时做。
            （检查时会传入它自己的 make_coffee 和 make_toast，并在虚拟时钟上给你的 breakfast 计时。）"""),
        ),
        judge=_judge_breakfast,
        hints=[
            Text(
                "`await make_coffee()` waits until the coffee is done before the next line runs: 3 s + 2 s. "
                "Both must be started before you wait for either.",
                "`await make_coffee()` 要等咖啡做好，下一行才会执行：3 秒 + 2 秒。"
                "必须先把两样都启动，再去等其中任何一样。",
            ),
            Text(
                "asyncio.gather(make_coffee(), make_toast()) starts both and waits for both; await it. "
                "Its result lists the results in the order of its arguments.",
                "asyncio.gather(make_coffee(), make_toast()) 会启动两者并等待两者完成；要 await 它。"
                "它返回的列表按参数的顺序排列各个结果。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            async def breakfast(make_coffee, make_toast):
                coffee, toast = await asyncio.gather(make_coffee(), make_toast())   # both run at once
                return [coffee, toast]

            # or, with a TaskGroup (Python >= 3.11):
            #     async with asyncio.TaskGroup() as tg:
            #         coffee = tg.create_task(make_coffee())
            #         toast = tg.create_task(make_toast())
            #     return [coffee.result(), toast.result()]"""),
            textwrap.dedent("""\
            async def breakfast(make_coffee, make_toast):
                coffee, toast = await asyncio.gather(make_coffee(), make_toast())   # 两者同时运行
                return [coffee, toast]

            # 或者用 TaskGroup（Python >= 3.11）：
            #     async with asyncio.TaskGroup() as tg:
            #         coffee = tg.create_task(make_coffee())
            #         toast = tg.create_task(make_toast())
            #     return [coffee.result(), toast.result()]"""),
        ),
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
        return tr(
            "Python still warns `coroutine 'send' was never awaited`: send(name) only makes a coroutine object; "
            "`await send(name)` runs it",
            "Python 仍然警告 `coroutine 'send' was never awaited`：send(name) 只会得到一个协程对象；"
            "`await send(name)` 才会运行它",
        )
    if sorted(reminded) == names:
        return None
    if not reminded and now == 0:
        return tr(
            "remind_all returned before any reminder was sent: a task made with create_task is only started; "
            "await it (or use gather), or it may never finish",
            "remind_all 在任何提醒发出之前就返回了：用 create_task 创建的任务只是被启动了；"
            "要 await 它（或者用 gather），否则它可能永远不会完成",
        )
    return tr(
        f"for {names} your remind_all sent reminders to {reminded}: remind everyone, each once",
        f"对于 {names}，你的 remind_all 给 {reminded} 发了提醒：要提醒每一个人，每人一次",
    )


register(
    Exercise(
        id="02a.never-awaited",
        title=Text("Fix the coroutine that was never awaited", "修复从未被 await 的协程"),
        kind="fix",
        prompt=Text(
            textwrap.dedent("""\
            remind_all should send a reminder to every name: `send` is a coroutine function (the check passes
            its own), and each reminder takes 1 s. But nobody is ever reminded, and Python warns
            "RuntimeWarning: coroutine 'send' was never awaited". Fix it (same signature) and set `fixed` to it.

                async def remind_all(send, names):
                    for name in names:
                        send(name)"""),
            textwrap.dedent("""\
            remind_all 应当给每个名字发一条提醒：`send` 是一个协程函数（检查时会传入它自己的），每条提醒用 1 秒。
            可是谁也没收到提醒，Python 还警告 "RuntimeWarning: coroutine 'send' was never awaited"。
            修复它（函数签名不变），并把 `fixed` 设为它。

                async def remind_all(send, names):
                    for name in names:
                        send(name)"""),
        ),
        judge=_judge_remind_all,
        hints=[
            Text(
                "Calling a coroutine function runs none of its body: it returns a coroutine object, and this loop "
                "throws each one away.",
                "调用协程函数不会执行它的函数体的任何一行：它返回一个协程对象，而这个循环把每个协程对象都扔掉了。",
            ),
            Text(
                "await send(name) runs it and waits for it (3 names: 3 s); "
                "await asyncio.gather(*(send(name) for name in names)) runs them all at once (1 s). Both are right.",
                "await send(name) 运行它并等它完成（3 个名字：3 秒）；"
                "await asyncio.gather(*(send(name) for name in names)) 让它们同时运行（1 秒）。两种都对。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            async def remind_all(send, names):
                for name in names:
                    await send(name)          # now each reminder runs, one after the other

            fixed = remind_all"""),
            textwrap.dedent("""\
            async def remind_all(send, names):
                for name in names:
                    await send(name)          # 现在每条提醒都会运行，一条接一条

            fixed = remind_all"""),
        ),
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
            return tr(
                f"with a {deadline} s deadline and a {took} s fetch, TimeoutError escaped: catch it "
                f"(except TimeoutError:) and return None",
                f"截止时间 {deadline} 秒、请求用时 {took} 秒时，你的函数把 TimeoutError 抛了出来：要捕获它"
                f"（except TimeoutError:）并返回 None",
            )
        fast = took < deadline
        if fast and (result, ended) != ("page", took):
            return tr(
                f"a fetch that takes {took} s, with a {deadline} s deadline, should return its page at t={took}s; "
                f"yours returned {result!r} at t={ended:g}s",
                f"一个用时 {took} 秒的请求，截止时间为 {deadline} 秒，应当在 t={took}s 返回它的页面；"
                f"你的函数在 t={ended:g}s 返回了 {result!r}",
            )
        if not fast and result is not None:
            return tr(
                f"a {took} s fetch with a {deadline} s deadline should give None at t={deadline}s: give up in time",
                f"用时 {took} 秒的请求、截止时间 {deadline} 秒，应当在 t={deadline}s 得到 None：要及时放弃",
            )
        if not fast and ended != deadline:
            return tr(
                f"give up at the deadline: with {deadline} s your function returned at t={ended:g}s",
                f"要在截止时间放弃：截止时间为 {deadline} 秒，你的函数却在 t={ended:g}s 才返回",
            )
        if not fast and "finished" in events:
            return tr(
                "you returned None in time, but the slow fetch went on running and finished later: "
                "cancel it (asyncio.timeout and asyncio.wait_for do)",
                "你按时返回了 None，但那个慢请求仍在继续运行，后来还完成了：要取消它"
                "（asyncio.timeout 和 asyncio.wait_for 都会取消）",
            )
    return None


register(
    Exercise(
        id="02a.timeout",
        title=Text("Give up on a slow coroutine", "放弃一个太慢的协程"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
            Write `async def fetch_or_none(fetch, seconds)`: it awaits fetch() (a coroutine function the
            check passes) and returns its result; if that takes longer than `seconds`, it gives up at that
            moment, cancels the fetch and returns None."""),
            textwrap.dedent("""\
            写一个 `async def fetch_or_none(fetch, seconds)`：它 await fetch()（检查时传入的一个协程函数），
            并返回其结果；如果用时超过 `seconds` 秒，就在那一刻放弃，取消这个请求，并返回 None。"""),
        ),
        judge=_judge_fetch_or_none,
        hints=[
            Text(
                "`async with asyncio.timeout(seconds):` around the await cancels what runs inside when the time is "
                "up, and then raises TimeoutError at the end of the block.",
                "用 `async with asyncio.timeout(seconds):` 把 await 包起来：时间一到，它就取消代码块内正在运行的代码，"
                "然后在代码块结束处抛出 TimeoutError。",
            ),
            Text(
                "Catch it: try: ... async with asyncio.timeout(seconds): return await fetch() ... "
                "except TimeoutError: return None",
                "捕获它：try: ... async with asyncio.timeout(seconds): return await fetch() ... "
                "except TimeoutError: return None",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            async def fetch_or_none(fetch, seconds):
                try:
                    async with asyncio.timeout(seconds):    # cancels fetch() when the time is up
                        return await fetch()
                except TimeoutError:                         # ... and then raises TimeoutError here
                    return None

            # or: return await asyncio.wait_for(fetch(), seconds), inside the same try/except"""),
            textwrap.dedent("""\
            async def fetch_or_none(fetch, seconds):
                try:
                    async with asyncio.timeout(seconds):    # 时间一到，就取消 fetch()
                        return await fetch()
                except TimeoutError:                         # ……然后在这里抛出 TimeoutError
                    return None

            # 或者：在同样的 try/except 中 return await asyncio.wait_for(fetch(), seconds)"""),
        ),
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
            return tr(
                "to_thread(read(sensor)) calls read right here, in the event loop's thread, and hands its result "
                "to to_thread: pass the function and its argument, asyncio.to_thread(read, sensor)",
                "to_thread(read(sensor)) 就在这里、在事件循环的线程上调用了 read，再把它的结果交给 to_thread："
                "要传入函数和它的参数，即 asyncio.to_thread(read, sensor)",
            )
        raise
    if inspect.iscoroutine(result) or _never_awaited(warned):
        return tr(
            "asyncio.to_thread(...) returns a coroutine: await it to get the reading",
            "asyncio.to_thread(...) 返回的是一个协程：要 await 它才能拿到读数",
        )
    if not threads:
        return tr(
            "poll must call read(sensor) to get the reading",
            "poll 必须调用 read(sensor) 才能拿到读数",
        )
    if threads[0] == loop_thread:
        return tr(
            "read still runs on the event loop's own thread, so while it blocks no other task can run: "
            "hand it to another thread with asyncio.to_thread",
            "read 仍然运行在事件循环自己的线程上，所以它阻塞期间，其他任务都无法运行："
            "用 asyncio.to_thread 把它交给另一个线程",
        )
    if result != 21.5:
        return tr(
            f"poll(read, 'kitchen') returned {result!r}: return what read('kitchen') returns",
            f"poll(read, 'kitchen') 返回了 {result!r}：应当返回 read('kitchen') 的返回值",
        )
    return None


register(
    Exercise(
        id="02a.unblock",
        title=Text("Move a blocking call off the event loop", "把阻塞调用移出事件循环"),
        kind="fix",
        prompt=Text(
            textwrap.dedent("""\
            read(sensor) is a plain, blocking function from a library you cannot change (it may take a while
            to answer). poll calls it directly, so while it waits, no other task can run. Fix poll (same
            signature) so that read runs on another thread while the event loop goes on, and set `fixed` to it.

                async def poll(read, sensor):
                    return read(sensor)"""),
            textwrap.dedent("""\
            read(sensor) 是一个普通的阻塞函数，来自一个你无法修改的库（它可能要过一会儿才返回）。
            poll 直接调用它，所以它等待期间，其他任务都无法运行。修复 poll（函数签名不变），
            让 read 在另一个线程上运行，同时事件循环继续工作，并把 `fixed` 设为它。

                async def poll(read, sensor):
                    return read(sensor)"""),
        ),
        judge=_judge_poll,
        hints=[
            Text(
                "A coroutine runs on the event loop's one thread: a call that blocks there blocks every task. "
                "asyncio.sleep cannot help here; the waiting happens inside read.",
                "协程运行在事件循环唯一的线程上：在那里阻塞的调用会阻塞所有任务。"
                "asyncio.sleep 在这里帮不上忙，因为等待发生在 read 内部。",
            ),
            Text(
                "await asyncio.to_thread(read, sensor) runs read(sensor) on a worker thread and waits for it "
                "without blocking the loop. Pass the function and its argument; do not call it yourself.",
                "await asyncio.to_thread(read, sensor) 在一个工作线程上运行 read(sensor)，"
                "并在不阻塞事件循环的情况下等它完成。"
                "传入函数和它的参数，不要自己调用它。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            async def poll(read, sensor):
                return await asyncio.to_thread(read, sensor)   # read(sensor) runs on a worker thread

            fixed = poll"""),
            textwrap.dedent("""\
            async def poll(read, sensor):
                return await asyncio.to_thread(read, sensor)   # read(sensor) 在一个工作线程上运行

            fixed = poll"""),
        ),
        reference=_reference_poll,
        wrong_answers=[poll, _poll_after_a_yield, _poll_called_first, _poll_not_awaited, "poll"],
    )
)
