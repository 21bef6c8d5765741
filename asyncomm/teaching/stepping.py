"""Step-through models behind the widgets: plain Python, tested without a browser.

Each model keeps the list of actions a learner took. Going *back* rebuilds the
pattern objects and replays the actions up to that point, so what you see after
Back is exactly what the library does, not a stored picture; *forward* replays
the next action. A new action after going back drops the undone future, as an
editor's undo does. Every action takes one second of a virtual clock, so the
trace's times count clicks.

>>> import asyncomm as ac
>>> model = ac.QueueStepper(maxsize=2)
>>> model.send("a"); model.send("b"); model.send("c")
"sent 'a'"
"sent 'b'"
"refused: queue 'q' is full (2 messages); receive some first, or send with a timeout to wait for room"
>>> model.items, model.back(), model.items
(['a', 'b'], True, ['a', 'b'])
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncomm._checks import check_seconds
from asyncomm.callbacks import CallbackRegistry
from asyncomm.clock import VirtualClock
from asyncomm.errors import AsyncommError, QueueEmpty, QueueFull, TriggerFailed
from asyncomm.events import EventBus
from asyncomm.i18n import tr
from asyncomm.queues import MessageQueue
from asyncomm.teaching.eventloop import LoopSnapshot, Program, TaskView, TeachingLoop
from asyncomm.trace import Trace, TraceRow

__all__ = ["BusStepper", "CallbackStepper", "Listing", "LoopStepper", "QueueStepper", "program_listing"]

Action = tuple[Any, ...]

#: What the last action's message reports, so a view can show a refusal as a refusal without reading its words:
#: "ok" (it happened), "refused" (nothing changed: the library said no, or a wait ran out), "failed" (it ran,
#: and something in it raised), "note" (no action: the start, or after going back to it).
OUTCOMES = ("ok", "refused", "failed", "note")


class _Replayable:
    """Actions, a position in them, and a fresh world to replay them into."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.position = 0  # how many actions are applied now
        self.step = 0
        self.message = ""
        self.outcome = "note"
        self._fresh()

    def _fresh(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply(self, action: Action) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _do(self, *action: Any) -> str:
        del self.actions[self.position :]
        self.actions.append(action)
        return self._redo()

    def _redo(self) -> str:
        """Apply the action at ``position`` and move past it."""
        self.step = self.position + 1  # 1-based number of the action being applied
        self.outcome = "ok"  # _apply says otherwise through _refused / _failed
        self.message = self._apply(self.actions[self.position])
        self.position += 1
        return self.message

    @property
    def can_back(self) -> bool:
        return self.position > 0

    @property
    def can_forward(self) -> bool:
        return self.position < len(self.actions)

    def back(self) -> bool:
        """Undo the last action (by replaying the ones before it); False at the start."""
        if not self.can_back:
            return False
        target = self.position - 1
        self.position = 0
        self._fresh()
        self.message, self.outcome = tr("at the start", "回到了起点"), "note"
        while self.position < target:
            self._redo()
        return True

    def forward(self) -> bool:
        """Redo the next undone action; False when there is none."""
        if not self.can_forward:
            return False
        self._redo()
        return True

    def reset(self) -> None:
        """Forget every action."""
        self.actions.clear()
        self.position = 0
        self.message, self.outcome = "", "note"
        self._fresh()

    def _refused(self, en: str, zh: str) -> str:
        self.outcome = "refused"
        return tr(en, zh)

    def _failed(self, en: str, zh: str) -> str:
        self.outcome = "failed"
        return tr(en, zh)

    @property
    def rows(self) -> list[TraceRow]:
        """The trace of what has happened up to the current position."""
        return self.trace.rows

    def _fresh_world(self, autojump_threshold: float | None = None) -> None:
        self.clock = VirtualClock(autojump_threshold=autojump_threshold)
        self.trace = Trace()

    def _tick(self) -> None:
        self.clock.advance(1)


class QueueStepper(_Replayable):
    """A bounded :class:`MessageQueue` driven by Send / Receive / Clear clicks.

    Send and Receive take a ``timeout`` in seconds of the virtual clock: 0 (the default) does not wait, as
    ``send_nowait`` / ``receive_nowait`` do; more waits up to that long for room or for a message. Only the
    learner acts on this queue, so such a wait ends at its timeout, and the clock shows how long it took.

    >>> import asyncomm as ac
    >>> m = ac.QueueStepper(maxsize=3)
    >>> m.send("a"), m.receive()
    ("sent 'a'", "received 'a'")
    >>> m.receive()[:34]
    "refused: queue 'q' is empty; send "
    >>> m.receive(timeout=2)
    "timed out: no message arrived on queue 'q' within 2 s (here only you send, so a wait on an empty queue runs out)"
    >>> m.clock.now()        # three clicks of one second each, then the two seconds of the wait
    6.0
    """

    def __init__(self, maxsize: int = 4, name: str = "q") -> None:
        self.maxsize = maxsize
        self.name = name
        super().__init__()

    def _fresh(self) -> None:
        # The clicks run on one thread, so a wait could never be ended by another one: let the clock jump
        # at once to the waiter's deadline (a timeout ends after exactly its seconds of virtual time).
        self._fresh_world(autojump_threshold=0)
        self.queue = MessageQueue(self.maxsize, clock=self.clock, trace=self.trace, name=self.name)

    def send(self, msg: Any, timeout: float = 0) -> str:
        """Send ``msg``; a full queue refuses at once (``timeout=0``, as ``send_nowait`` does) or after
        ``timeout`` seconds of the virtual clock."""
        return self._do("send", msg, check_seconds(timeout, "timeout"))

    def receive(self, timeout: float = 0) -> str:
        """Take the oldest message; an empty queue refuses at once or after ``timeout`` virtual seconds."""
        return self._do("receive", check_seconds(timeout, "timeout"))

    def clear(self) -> str:
        return self._do("clear")

    def _apply(self, action: Action) -> str:
        self._tick()
        verb = action[0]
        timeout = action[-1] if verb != "clear" else 0
        try:
            if verb == "send":
                self.queue.send(action[1], timeout=timeout)
                return tr(f"sent {action[1]!r}", f"已发送 {action[1]!r}")
            if verb == "receive":
                item = self.queue.receive(timeout=timeout)
                return tr(f"received {item!r}", f"已接收 {item!r}")
            cleared = self.queue.clear()
            return tr(f"cleared {cleared} message(s)", f"清空了 {cleared} 条消息")
        except QueueFull as refused:
            if timeout:
                return self._refused(
                    f"timed out: {refused} (here only you receive, so a wait on a full queue runs out)",
                    f"超时：队列 {self.name!r} 满了 {timeout:g} 秒，消息没有发送"
                    f"（这里只有你在接收，所以在满队列上的等待总会超时）",
                )
            return self._refused(
                f"refused: {refused}",
                f"拒绝：队列 {self.name!r} 已满（{self.maxsize} 条消息）；先接收一些，或带超时发送以等待空位",
            )
        except QueueEmpty as refused:
            if timeout:
                return self._refused(
                    f"timed out: {refused} (here only you send, so a wait on an empty queue runs out)",
                    f"超时：队列 {self.name!r} 在 {timeout:g} 秒内没有收到消息"
                    f"（这里只有你在发送，所以在空队列上的等待总会超时）",
                )
            return self._refused(
                f"refused: {refused}", f"拒绝：队列 {self.name!r} 是空的；先发送一条消息，或带超时接收以等待消息"
            )

    @property
    def items(self) -> list[Any]:
        return self.queue.snapshot()


@dataclass(frozen=True)
class Call:
    """One listener call in the bus stepper's log."""

    step: int
    event: str
    listener: str
    outcome: str


class BusStepper(_Replayable):
    """An :class:`EventBus` with a menu of ready-made listeners.

    Menu: ``log`` (records the payload), ``shout`` (upper-cases it), ``count``
    (counts its calls), ``fails`` (raises ``ValueError``) and ``greet-once``
    (registered with ``once``: it runs on one trigger only).

    >>> import asyncomm as ac
    >>> m = ac.BusStepper()
    >>> m.register("order", "greet-once"), m.trigger("order", "Ada"), m.table()
    ("registered greet-once for 'order'", "triggered 'order': 1 listener(s) ran", {})
    """

    MENU = ("log", "shout", "count", "fails", "greet-once")

    def _fresh(self) -> None:
        self._fresh_world()
        self.bus = EventBus(clock=self.clock, trace=self.trace, name="bus")
        self.calls: list[Call] = []
        self._listeners = self._make_listeners()

    def _make_listeners(self) -> dict[str, Callable[[Any], Any]]:
        counter = {"n": 0}

        def note(name: str, outcome: str) -> None:
            self.calls.append(Call(self.step, self._current_event, name, outcome))

        def log(payload: Any) -> None:
            note("log", tr(f"logged {payload!r}", f"记录了 {payload!r}"))

        def shout(payload: Any) -> None:
            note("shout", f"{str(payload).upper()}!")

        def count(payload: Any) -> None:
            counter["n"] += 1
            note("count", tr(f"call number {counter['n']}", f"第 {counter['n']} 次调用"))

        def fails(payload: Any) -> None:
            note("fails", tr("raised ValueError", "抛出了 ValueError"))
            raise ValueError(f"listener 'fails' could not handle {payload!r}")

        def greet_once(payload: Any) -> None:
            note("greet-once", tr(f"hello {payload!r}, once", f"你好 {payload!r}（只此一次）"))

        return {"log": log, "shout": shout, "count": count, "fails": fails, "greet-once": greet_once}

    def register(self, event: str, listener: str) -> str:
        self._check(listener)
        return self._do("register", event, listener)

    def remove(self, event: str, listener: str) -> str:
        self._check(listener)
        return self._do("remove", event, listener)

    def trigger(self, event: str, payload: Any = None) -> str:
        return self._do("trigger", event, payload)

    def _check(self, listener: str) -> None:
        if listener not in self.MENU:
            raise ValueError(f"unknown listener {listener!r}; choose one of {', '.join(self.MENU)}")

    _current_event = ""

    def _apply(self, action: Action) -> str:
        self._tick()
        verb, event = action[0], action[1]
        if verb == "register":
            fn = self._listeners[action[2]]
            (self.bus.once if action[2] == "greet-once" else self.bus.register)(event, fn)
            return tr(f"registered {action[2]} for {event!r}", f"已为 {event!r} 注册 {action[2]}")
        if verb == "remove":
            try:
                self.bus.remove(event, self._listeners[action[2]])
            except AsyncommError:
                # Not the library's message: it names the function (BusStepper._make_listeners.<locals>.count),
                # and the learner knows the listener by its name in the menu.
                return self._refused(
                    f"refused: listener {action[2]} is not registered for event {event!r}; "
                    f"register it first, or check the event name",
                    f"拒绝：监听器 {action[2]} 没有注册在事件 {event!r} 上；先注册它，或检查事件名",
                )
            return tr(f"removed {action[2]} from {event!r}", f"已从 {event!r} 移除 {action[2]}")
        self._current_event = event
        try:
            ran = self.bus.trigger(event, action[2])
        except TriggerFailed as failed:
            return self._failed(
                f"triggered {event!r}: {failed.message}; the other listeners still ran",
                f"触发了 {event!r}：{len(failed.exceptions)} 个监听器抛出了异常；其他监听器照常运行了",
            )
        return tr(f"triggered {event!r}: {ran} listener(s) ran", f"触发了 {event!r}：{ran} 个监听器运行了")

    def table(self) -> dict[str, list[str]]:
        """Listeners per event, in call order (``once`` ones marked)."""
        names = {fn: name for name, fn in self._listeners.items()}
        return {str(event): [names[fn] for fn in self.bus.listeners(event)] for event in self.bus.events()}


@dataclass
class Job:
    """Background work in the callback stepper, timed on the virtual clock."""

    name: str
    ends_at: float
    fails: bool
    state: str = "running"  # "running", "done" or "failed"


class CallbackStepper(_Replayable):
    """Background jobs with ``on_done`` / ``on_error`` callback registries.

    Jobs run on the virtual clock: ``advance()`` jumps to the next completion
    and triggers the matching registry, so the learner sees which callbacks
    fire, in which order, and what happens when a job fails.

    >>> import asyncomm as ac
    >>> m = ac.CallbackStepper()
    >>> _ = m.register("on_done", "show"); _ = m.start("download", 2)
    >>> m.advance()
    't=2: download done; 1 on_done callback(s) ran'
    """

    MENU = ("show", "store", "retry-later")

    def _fresh(self) -> None:
        self._fresh_world()
        self.on_done = CallbackRegistry(clock=self.clock, trace=self.trace, name="on_done")
        self.on_error = CallbackRegistry(clock=self.clock, trace=self.trace, name="on_error")
        self.jobs: list[Job] = []
        self.fired: list[tuple[float, str, str]] = []
        self._callbacks = self._make_callbacks()

    def _make_callbacks(self) -> dict[str, Callable[[Any], None]]:
        def show(result: Any) -> None:
            self.fired.append((self.clock.now(), "show", tr(f"shows {result!r}", f"显示 {result!r}")))

        def store(result: Any) -> None:
            self.fired.append((self.clock.now(), "store", tr(f"stores {result!r}", f"保存 {result!r}")))

        def retry_later(error: Any) -> None:
            what = tr(f"schedules a retry after {error!r}", f"因 {error!r} 安排稍后重试")
            self.fired.append((self.clock.now(), "retry-later", what))

        return {"show": show, "store": store, "retry-later": retry_later}

    def register(self, registry: str, callback: str) -> str:
        self._check(registry, callback)
        return self._do("register", registry, callback)

    def remove(self, registry: str, callback: str) -> str:
        self._check(registry, callback)
        return self._do("remove", registry, callback)

    def start(self, job: str, seconds: float, fails: bool = False) -> str:
        """Start background work that ends after ``seconds`` (with an error if ``fails``)."""
        return self._do("start", job, seconds, fails)

    def advance(self) -> str:
        """Jump to the next job completion and fire its callbacks."""
        return self._do("advance")

    def _check(self, registry: str, callback: str) -> None:
        if registry not in ("on_done", "on_error"):
            raise ValueError(f"registry must be 'on_done' or 'on_error', got {registry!r}")
        if callback not in self.MENU:
            raise ValueError(f"unknown callback {callback!r}; choose one of {', '.join(self.MENU)}")

    def _apply(self, action: Action) -> str:
        verb = action[0]
        if verb in ("register", "remove"):
            registry = self.on_done if action[1] == "on_done" else self.on_error
            fn = self._callbacks[action[2]]
            if verb == "register":
                registry.register(fn)
                return tr(f"registered {action[2]} in {action[1]}", f"已在 {action[1]} 中注册 {action[2]}")
            try:
                registry.remove(fn)
            except AsyncommError:  # the library's message names the function; the learner knows the menu's name
                return self._refused(
                    f"refused: callback {action[2]} is not registered in {action[1]}; register it first",
                    f"拒绝：回调 {action[2]} 没有注册在 {action[1]} 中；先注册它",
                )
            return tr(f"removed {action[2]} from {action[1]}", f"已从 {action[1]} 移除 {action[2]}")
        if verb == "start":
            _, name, seconds, fails = action
            self.jobs.append(Job(name, self.clock.now() + seconds, fails))
            ends = f"t={self.clock.now() + seconds:g}"
            return tr(
                f"started {name}: ends at {ends}{' with an error' if fails else ''}",
                f"已启动 {name}：将在 {ends} 结束{'，并且出错' if fails else ''}",
            )
        running = [job for job in self.jobs if job.state == "running"]
        if not running:
            return self._refused(
                "refused: nothing is running; start a job first", "拒绝：没有正在运行的任务；先启动一个任务"
            )
        job = min(running, key=lambda j: j.ends_at)
        self.clock.advance_to(job.ends_at)
        if job.fails:
            job.state = "failed"
            ran = self.on_error.trigger(RuntimeError(f"{job.name} failed"))
            return self._failed(
                f"t={job.ends_at:g}: {job.name} failed; {ran} on_error callback(s) ran",
                f"t={job.ends_at:g}：{job.name} 失败；{ran} 个 on_error 回调运行了",
            )
        job.state = "done"
        ran = self.on_done.trigger(f"{job.name} result")
        return tr(
            f"t={job.ends_at:g}: {job.name} done; {ran} on_done callback(s) ran",
            f"t={job.ends_at:g}：{job.name} 完成；{ran} 个 on_done 回调运行了",
        )


@dataclass(frozen=True)
class Listing:
    """A program's source as the loop stepper shows it: numbered from 1, without its docstring.

    ``numbers`` maps a line of the source file to its number in the listing, so that the line a task is
    paused at is told in the numbers the learner sees, not in those of the file the program lives in.

    >>> listing = Listing(("x = 1", "print(x)"), file="demo.py", numbers={10: 1, 11: 2})
    >>> listing.number("demo.py", 11), listing.number("other.py", 11)
    (2, None)
    """

    lines: tuple[str, ...]
    file: str = ""
    numbers: dict[int, int] = field(default_factory=dict)

    def number(self, file: str, line: int | None) -> int | None:
        """The listing's number for ``line`` of ``file``; ``None`` for a line outside the listing."""
        if line is None or file != self.file:
            return None
        return self.numbers.get(line)


def program_listing(program: Program) -> Listing:
    """The numbered listing of ``program`` (empty when Python cannot find its source).

    >>> from asyncomm.teaching.loop_examples import three_sleepers
    >>> listing = program_listing(three_sleepers)
    >>> listing.lines[:3]
    ('async def three_sleepers(rt: Any) -> list[float]:', '', '    async def sleeper(seconds: float) -> float:')
    """
    try:
        source, first = inspect.getsourcelines(program)
    except (OSError, TypeError):
        return Listing(())
    file = getattr(getattr(program, "__code__", None), "co_filename", "")
    text = textwrap.dedent("".join(source))
    skip: set[int] = set()  # 0-based lines of the docstring: the chapter explains the program in prose
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    definition = tree.body[0] if tree is not None and tree.body else None
    if isinstance(definition, ast.AsyncFunctionDef | ast.FunctionDef) and ast.get_docstring(definition) is not None:
        doc = definition.body[0]
        skip = set(range(doc.lineno - 1, (doc.end_lineno or doc.lineno)))
    lines: list[str] = []
    numbers: dict[int, int] = {}
    for index, line in enumerate(text.splitlines()):
        if index in skip:
            continue
        lines.append(line.rstrip())
        numbers[first + index] = len(lines)
    return Listing(tuple(lines), file, numbers)


class LoopStepper:
    """Steps a :class:`~asyncomm.TeachingLoop` through ``program``, with Back
    and Forward over the snapshots already seen.

    ``listing`` is the program numbered from 1, and :meth:`line_of` gives a task's line in those numbers.

    >>> import asyncomm as ac
    >>> from asyncomm.teaching.loop_examples import three_sleepers
    >>> m = ac.LoopStepper(three_sleepers)
    >>> m.forward(), m.current.event
    (True, 'main ran until its next await')
    >>> m.current_line, m.listing.lines[m.current_line - 1].strip()
    (7, 'return await rt.gather(sleeper(3), sleeper(1), sleeper(2))')
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self.listing = program_listing(program)
        self.reset()

    def line_of(self, task: TaskView) -> int | None:
        """The listing's number of the line ``task`` is paused at (``None``: not started, done, or elsewhere)."""
        return self.listing.number(task.file, task.line)

    @property
    def current_line(self) -> int | None:
        """The listing's number of the line where the task that took the current step paused."""
        for task in self.current.tasks:
            if task.name == self.current.actor:
                return self.line_of(task)
        return None

    def reset(self) -> None:
        """Start the program again from the beginning."""
        self.loop = TeachingLoop()
        self.snapshots: list[LoopSnapshot] = [self.loop.start(self.program)]
        self.index = 0
        self.ended = False

    @property
    def current(self) -> LoopSnapshot:
        return self.snapshots[self.index]

    @property
    def can_back(self) -> bool:
        return self.index > 0

    @property
    def can_forward(self) -> bool:
        return self.index < len(self.snapshots) - 1 or not self.ended

    def forward(self) -> bool:
        if self.index < len(self.snapshots) - 1:
            self.index += 1
            return True
        if self.ended:
            return False
        snapshot = self.loop.step()
        if snapshot is None:
            self.ended = True
            return False
        self.snapshots.append(snapshot)
        self.index += 1
        return True

    def back(self) -> bool:
        if not self.can_back:
            return False
        self.index -= 1
        return True

    def run_to_end(self) -> LoopSnapshot:
        while self.forward():
            pass
        return self.current
