"""A teaching event loop: asyncio's scheduling, small enough to watch one step at a time.

It runs real ``async def`` coroutines. They await the loop's own primitives
(``rt.sleep``, ``rt.Queue``, ``rt.Future``, ``rt.gather``, ``rt.create_task``),
which mirror asyncio's one for one. The same program runs under real asyncio
too, through :class:`AsyncioRuntime`, and tasks finish in the same order
(tested on the course's examples).

How it schedules, as asyncio does:

* a *ready queue* of callbacks, run first in, first out; a task's step is one
  callback, and it runs until the coroutine's next ``await`` that must wait;
* *timers* (``sleep``): when nothing is ready, the virtual clock jumps to the
  earliest one, and it moves to the ready queue;
* *futures*: completing one schedules its waiters' callbacks, so a woken task
  goes to the back of the ready queue.

>>> import asyncomm as ac
>>> async def program(rt):
...     async def worker(name, delay):
...         await rt.sleep(delay)
...     rt.create_task(worker("slow", 2), name="slow")
...     rt.create_task(worker("fast", 1), name="fast")
...     await rt.sleep(3)
>>> loop = ac.TeachingLoop()
>>> loop.run(program)
>>> loop.finished
['fast', 'slow', 'main']
"""

from __future__ import annotations

import heapq
import inspect
import itertools
import linecache
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass, field
from typing import Any

from asyncomm._checks import check_seconds
from asyncomm.clock import VirtualClock
from asyncomm.errors import AsyncommError, Deadlock
from asyncomm.i18n import tr

__all__ = ["AsyncioRuntime", "LoopSnapshot", "TaskView", "TeachingLoop", "asyncio_finish_order"]

Program = Callable[[Any], Coroutine[Any, Any, Any]]


class _Yield:
    """``await rt.sleep(0)``: give the other ready tasks a turn (a bare yield)."""

    def __await__(self) -> Generator[None, None, None]:
        yield None


class Future:
    """A result that is not there yet; ``await`` it to wait. Mirrors asyncio.Future.

    ``label`` names it in error messages; ``label_zh`` is what the Chinese snapshots show (default: ``label``).
    """

    def __init__(self, loop: TeachingLoop, label: str = "a future", label_zh: str | None = None) -> None:
        self._loop = loop
        self.label = label
        self.label_zh = label_zh if label_zh is not None else ("一个 future" if label == "a future" else label)
        self._done = False
        self._result: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []

    def done(self) -> bool:
        return self._done

    def result(self) -> Any:
        if not self._done:
            raise AsyncommError(f"{self.label} has no result yet; await it first")
        if self._error is not None:
            raise self._error
        return self._result

    def set_result(self, value: Any) -> None:
        self._finish(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._finish(None, error)

    def _finish(self, value: Any, error: BaseException | None) -> None:
        if self._done:
            raise AsyncommError(f"{self.label} already has a result")
        self._done, self._result, self._error = True, value, error
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._loop.call_soon(callback, self)

    def add_done_callback(self, callback: Callable[[Future], None]) -> None:
        if self._done:
            self._loop.call_soon(callback, self)
        else:
            self._callbacks.append(callback)

    def __await__(self) -> Generator[Any, None, Any]:
        if not self._done:
            yield self  # the task's step sees this and waits for it
        return self.result()


class Task(Future):
    """A coroutine being driven by the loop, one step per ready-queue turn."""

    def __init__(self, loop: TeachingLoop, coro: Coroutine[Any, Any, Any], name: str) -> None:
        super().__init__(loop, f"task {name}", f"任务 {name}")
        self.coro = coro
        self.name = name
        self.waiting_on: Future | None = None
        loop.call_soon(self._step)

    def _step(self, _: Any = None) -> None:
        loop = self._loop
        loop.running = self
        self.waiting_on = None
        try:
            awaited = self.coro.send(None)
        except StopIteration as stop:
            loop.running = None
            loop.finished.append(self.name)
            self.set_result(stop.value)
            return
        except Exception as error:  # the program's own error ends the task, as in asyncio
            if isinstance(error, RuntimeError) and "no running event loop" in str(error):
                error = AsyncommError(
                    f"task {self.name} used asyncio itself; inside the teaching loop await "
                    f"rt.sleep, rt.Queue, rt.Future, rt.gather or a task instead"
                )
            loop.running = None
            loop.finished.append(self.name)
            self.set_exception(error)
            return
        loop.running = None
        if awaited is None:
            loop.call_soon(self._step)
        elif isinstance(awaited, Future):
            self.waiting_on = awaited
            awaited.add_done_callback(self._step)
        else:
            self.coro.close()
            raise AsyncommError(
                f"task {self.name} awaited {awaited!r}, which the teaching loop does not know; "
                f"await only rt.sleep, rt.Queue, rt.Future, rt.gather or a task"
            )


class Queue:
    """FIFO queue with asyncio.Queue's semantics: getters wait in line and are
    woken one per put, then take the item when they run."""

    def __init__(self, loop: TeachingLoop, maxsize: int = 0, name: str = "queue") -> None:
        self._loop = loop
        self.maxsize = maxsize
        self.name = name
        self.items: deque[Any] = deque()
        self._getters: deque[Future] = deque()
        self._putters: deque[Future] = deque()

    def _wake_next(self, waiters: deque[Future]) -> None:
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self.items)

    async def put(self, item: Any) -> None:
        while self.full():
            putter = Future(self._loop, f"room in {self.name}", f"{self.name} 中的空位")
            self._putters.append(putter)
            await putter
        self.items.append(item)
        self._wake_next(self._getters)

    async def get(self) -> Any:
        while not self.items:
            getter = Future(self._loop, f"a message on {self.name}", f"{self.name} 上的一条消息")
            self._getters.append(getter)
            await getter
        item = self.items.popleft()
        self._wake_next(self._putters)
        return item


@dataclass(frozen=True)
class TaskView:
    """One task as a snapshot shows it.

    >>> from asyncomm.teaching import LoopStepper
    >>> from asyncomm.teaching.loop_examples import three_sleepers
    >>> stepper = LoopStepper(three_sleepers)
    >>> _ = stepper.forward(), stepper.forward()
    >>> view = stepper.current.tasks[1]
    >>> view.name, view.state, view.detail, view.code
    ('sleeper-0', 'sleeping', 'sleep until t=3', 'await rt.sleep(seconds)')
    """

    name: str
    state: str  # "running", "ready", "sleeping", "waiting" or "done"
    detail: str  # what it waits for, or its wake-up time
    line: int | None  # line of the program the task is paused at, in its source file
    code: str  # that line's text
    file: str = ""  # the source file of that line (a stepper numbers lines of the program's listing instead)


@dataclass(frozen=True)
class LoopSnapshot:
    """The loop between two steps: what just happened and where everything is.

    >>> import asyncomm as ac
    >>> from asyncomm.teaching.loop_examples import three_sleepers
    >>> loop = ac.TeachingLoop(); first = loop.start(three_sleepers)
    >>> first.event, first.ready
    ('main task created', ('main',))
    """

    step: int
    time: float
    event: str
    ready: tuple[str, ...]
    tasks: tuple[TaskView, ...] = field(default_factory=tuple)
    actor: str = ""  # the task that took this step ("" when the clock jumped or the program was started)

    def by_state(self, state: str) -> list[str]:
        return [t.name for t in self.tasks if t.state == state]


class TeachingLoop:
    """Runs ``program(rt)`` -- ``rt`` is this loop -- on a virtual clock,
    one observable step at a time.

    >>> import asyncomm as ac
    >>> from asyncomm.teaching.loop_examples import taking_turns
    >>> loop = ac.TeachingLoop()
    >>> loop.run(taking_turns)
    >>> loop.finished
    ['b', 'c', 'a', 'main']
    """

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock or VirtualClock(autojump_threshold=None)
        self._ready: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()
        self._timers: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self.tasks: list[Task] = []
        self.finished: list[str] = []
        self.running: Task | None = None
        self.history: list[LoopSnapshot] = []
        self._main: Task | None = None
        # A loop dropped mid-program must close its coroutines, or Python warns
        # "coroutine ... was never awaited" about those that never started.
        weakref.finalize(self, _close_all, self.tasks)

    # -- the runtime API programs use ---------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        self._ready.append((callback, args))

    def call_at(self, when: float, callback: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._timers, (when, next(self._seq), callback, args))

    def create_task(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> Task:
        if not inspect.iscoroutine(coro):
            raise TypeError(f"create_task() needs a coroutine object, got {coro!r}; call the async function")
        task = Task(self, coro, name or f"task-{len(self.tasks)}")
        self.tasks.append(task)
        return task

    def sleep(self, seconds: float) -> Awaitable[None]:
        seconds = check_seconds(seconds, "seconds")
        if seconds == 0:
            return _Yield()
        when = self.now() + seconds
        future = Future(self, f"sleep until t={when:g}", f"睡眠到 t={when:g}")
        self.call_at(when, _set_unless_done, future)
        return future

    def Future(self, label: str = "a future") -> Future:
        return Future(self, label)

    def Queue(self, maxsize: int = 0, name: str = "queue") -> Queue:
        return Queue(self, maxsize, name)

    async def gather(self, *awaitables: Any) -> list[Any]:
        children = [
            a if isinstance(a, Future) else self.create_task(a, _coro_name(a, i)) for i, a in enumerate(awaitables)
        ]
        outer = Future(self, "gather", "gather 的全部结果")
        remaining = len(children)

        def child_done(_: Future) -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0 and not outer.done():
                outer.set_result(None)

        for child in children:
            child.add_done_callback(child_done)
        if children:
            await outer
        return [child.result() for child in children]

    # -- driving ------------------------------------------------------------
    def start(self, program: Program) -> LoopSnapshot:
        """Create the ``main`` task from ``program(rt)``; return the first snapshot."""
        if self._main is not None:
            raise AsyncommError("this loop already runs a program; make a new TeachingLoop for another")
        self._main = self.create_task(program(self), name="main")
        return self._snapshot(tr("main task created", "创建了 main 任务"))

    def step(self) -> LoopSnapshot | None:
        """Run until one task has taken a step (or the clock jumped); ``None``
        when every task is done."""
        if self._main is None:
            raise AsyncommError("start(program) first")
        while True:
            if not self._ready:
                if not self._timers:
                    if all(t.done() for t in self.tasks):
                        return None
                    raise Deadlock(
                        f"deadlock at t={self.now():g}s: tasks "
                        f"{', '.join(t.name for t in self.tasks if not t.done())} wait and no timer "
                        f"is due"
                    )
                when = self._timers[0][0]
                if when > self.now():
                    self.clock.advance_to(when)
                    self._move_due_timers()
                    return self._snapshot(tr(f"clock jumps to t={when:g}", f"时钟跳到 t={when:g}"))
                self._move_due_timers()
                continue
            callback, args = self._ready.popleft()
            task = getattr(callback, "__self__", None)
            callback(*args)
            if isinstance(task, Task) and callback == task._step:
                if task.done():
                    return self._snapshot(tr(f"{task.name} finished", f"{task.name} 完成了"), task.name)
                return self._snapshot(
                    tr(f"{task.name} ran until its next await", f"{task.name} 运行到了它的下一个 await"), task.name
                )

    def run(self, program: Program) -> Any:
        """Run ``program`` to the end and return main's result."""
        self.start(program)
        while self.step() is not None:
            pass
        return self._main.result()  # type: ignore[union-attr]

    def _move_due_timers(self) -> None:
        now = self.now()
        while self._timers and self._timers[0][0] <= now:
            _, _, callback, args = heapq.heappop(self._timers)
            self.call_soon(callback, *args)

    # -- looking --------------------------------------------------------------
    def _snapshot(self, event: str, actor: str = "") -> LoopSnapshot:
        ready_tasks = [getattr(cb, "__self__", None) for cb, _ in self._ready]
        ready_names = tuple(t.name for t in ready_tasks if isinstance(t, Task))
        views = []
        for task in self.tasks:
            line, code, file = _paused_at(task.coro)
            if task.done():
                state, detail = "done", tr("finished", "已完成")
            elif task.name in ready_names:
                state, detail = "ready", tr("in the ready queue", "在就绪队列中")
            elif task.waiting_on is not None and task.waiting_on.label.startswith("sleep until"):
                state, detail = "sleeping", tr(task.waiting_on.label, task.waiting_on.label_zh)
            elif task.waiting_on is not None:
                waited = task.waiting_on
                state, detail = "waiting", tr(f"waits for {waited.label}", f"等待 {waited.label_zh}")
            else:
                state, detail = "ready", tr("about to be woken", "即将被唤醒")
            views.append(TaskView(task.name, state, detail, line, code, file))
        snapshot = LoopSnapshot(len(self.history), self.now(), event, ready_names, tuple(views), actor)
        self.history.append(snapshot)
        return snapshot


def _close_all(tasks: list[Task]) -> None:
    for task in tasks:
        task.coro.close()


def _set_unless_done(future: Future) -> None:
    if not future.done():
        future.set_result(None)


def _coro_name(coro: Any, index: int) -> str:
    return f"{getattr(coro, '__name__', 'task')}-{index}"


def _paused_at(coro: Coroutine[Any, Any, Any]) -> tuple[int | None, str, str]:
    """The innermost line of the *program* where a coroutine is suspended: number, text and file."""
    if inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
        return None, tr("(not started yet)", "（尚未开始）"), ""
    frame_line: tuple[int | None, str, str] = (None, "", "")
    current: Any = coro
    while inspect.iscoroutine(current) and current.cr_frame is not None:
        frame = current.cr_frame
        if frame.f_code.co_filename == __file__:
            break  # inside the loop's own primitives: the program's line is the caller's
        file = frame.f_code.co_filename
        frame_line = (frame.f_lineno, linecache.getline(file, frame.f_lineno).strip(), file)
        current = current.cr_await
    return frame_line


class AsyncioRuntime:
    """The same runtime API on real asyncio, so a program written for the
    teaching loop runs unchanged under asyncio (for comparison).

    >>> import asyncomm as ac
    >>> from asyncomm.teaching.loop_examples import three_sleepers
    >>> async def main():
    ...     return await three_sleepers(ac.AsyncioRuntime())
    >>> ac.VirtualClock().run(main())
    [3.0, 1.0, 2.0]
    """

    def __init__(self) -> None:
        import asyncio

        self._asyncio = asyncio
        self.finished: list[str] = []

    def now(self) -> float:
        return self._asyncio.get_running_loop().time()

    def sleep(self, seconds: float) -> Awaitable[None]:
        return self._asyncio.sleep(seconds)

    def create_task(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> Any:
        task = self._asyncio.get_running_loop().create_task(coro, name=name)
        task.add_done_callback(lambda t: self.finished.append(t.get_name()))
        return task

    def Future(self, label: str = "a future") -> Any:
        return self._asyncio.get_running_loop().create_future()

    def Queue(self, maxsize: int = 0, name: str = "queue") -> Any:
        return self._asyncio.Queue(maxsize)

    async def gather(self, *awaitables: Any) -> list[Any]:
        tasks = [
            a if isinstance(a, self._asyncio.Future) else self.create_task(a, name=_coro_name(a, i))
            for i, a in enumerate(awaitables)
        ]
        return list(await self._asyncio.gather(*tasks))


def asyncio_finish_order(program: Program) -> list[str]:
    """Run ``program`` under real asyncio on a virtual clock; return the order
    in which its tasks (``main`` included) finished: what the teaching loop must match.

    >>> from asyncomm.teaching.loop_examples import three_sleepers
    >>> loop = TeachingLoop(); _ = loop.run(three_sleepers)
    >>> asyncio_finish_order(three_sleepers) == loop.finished
    True
    """
    runtime = AsyncioRuntime()

    async def main() -> None:
        await runtime.create_task(program(runtime), name="main")

    VirtualClock().run(main())
    return runtime.finished
