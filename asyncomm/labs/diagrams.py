"""Pictures of the patterns, drawn from the real objects (matplotlib), so they cannot drift from the code.

* :func:`topologies` -- the three patterns side by side: a queue, an event bus fanning out, a callback registry;
* :func:`control_flow` -- who called what, in which thread, recorded by running a program (:func:`record_calls`);
* :func:`delivery_timeline` -- a reliable queue's deliveries: receive, then ack, visibility timeout, dead letter;
* :func:`consumer_gantt` -- competing consumers of :func:`~asyncomm.labs.simulate.simulate_pipeline` as a Gantt chart;
* :func:`stream_diagram` -- a Redis stream, its consumer group and pending list, read from the server
  (:func:`stream_state`);
* :func:`ring_buffer` -- a :class:`~asyncomm.labs.structures.RingBufferQueue`'s slots, head and tail.

Each returns a matplotlib ``Figure`` (pyplot, as :mod:`~asyncomm.labs.plots` does: end a notebook cell with
``plt.show()``, elsewhere ``fig.savefig(...)`` and ``plt.close(fig)``) whose ``asyncomm_alt`` attribute is a
one-sentence description of what it shows, for alt text. Boxes, arrows and bars carry a ``gid`` naming what
they stand for (``"listener:send_email"``), which is how the tests read a figure back.

``import asyncomm`` does not import this module; matplotlib loads when a picture is asked for.
"""

from __future__ import annotations

import contextlib
import gc
import io
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from asyncomm import trace as tr
from asyncomm._checks import plural
from asyncomm._lazy import requires_extra
from asyncomm._listeners import describe
from asyncomm.callbacks import CallbackRegistry
from asyncomm.events import EventBus
from asyncomm.labs import fonts as _fonts
from asyncomm.labs.fonts import plot_tr as _t
from asyncomm.labs.simulate import SimulationRun
from asyncomm.labs.structures import RingBufferQueue
from asyncomm.queues import MessageQueue
from asyncomm.trace import Trace, TraceRow

__all__ = [
    "COLORS",
    "Call",
    "Flow",
    "StreamEntry",
    "StreamState",
    "consumer_gantt",
    "control_flow",
    "delivery_timeline",
    "record_calls",
    "ring_buffer",
    "stream_diagram",
    "stream_state",
    "topologies",
]

#: One colour per role or state, the same in every picture.
COLORS = {
    "producer": "tab:gray",
    "queue": "tab:blue",
    "consumer": "tab:cyan",
    "event": "tab:orange",
    "listener": "tab:olive",
    "caller": "tab:gray",
    "registry": "tab:green",
    "callback": "tab:olive",
    "worker": "tab:purple",
    "ready": "tab:blue",
    "in flight": "tab:orange",
    "acked": "tab:green",
    "auto-acked": "tab:olive",
    "nacked": "tab:purple",
    tr.VISIBILITY_TIMEOUT: "tab:red",
    tr.CONSUMER_DIED: "tab:brown",
    "dead-lettered": "black",
    "error": "tab:red",
    "empty": "white",
}
_MONO = "DejaVu Sans Mono"

#: How a legend names each delivery state and stream entry state, in Chinese.
_STATE_ZH = {
    "ready": "就绪",
    "in flight": "处理中",
    "acked": "已确认",
    "auto-acked": "自动确认",
    "nacked": "已否认",
    tr.VISIBILITY_TIMEOUT: "可见性超时",
    tr.CONSUMER_DIED: "消费者已死",
    "dead-lettered": "进入死信",
    "new": "新",
    "pending": "待确认",
    "done": "已完成",
}


def _state(kind: str) -> str:
    return _t(kind, _STATE_ZH.get(kind, kind))


# -- drawing helpers -------------------------------------------------------------------------------------------------
def _pyplot() -> Any:
    with requires_extra():  # deferred: matplotlib is heavy and only pictures need it
        import matplotlib.pyplot as plt
    return plt


def _finish(fig: Any, title: str, alt: str) -> Any:
    fig.suptitle(title)
    fig.asyncomm_alt = alt  # a one-sentence description, for the alt text of a saved image
    return fig


def _canvas(ax: Any, width: float, height: float) -> None:
    """Data coordinates of a box diagram: x in [0, width], y in [0, height], no axes drawn."""
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()


def _box(
    ax: Any, x: float, y: float, w: float, h: float, text: str, role: str, gid: str, *, fontsize: Any = "small"
) -> Any:
    from matplotlib.colors import to_rgba
    from matplotlib.patches import FancyBboxPatch

    color = COLORS[role]
    patch = FancyBboxPatch(
        (x - w / 2, y - h / 2),
        w,
        h,
        boxstyle="round,pad=0,rounding_size=0.08",
        facecolor=to_rgba(color, 0.18) if color != "white" else "white",
        edgecolor=color if color != "white" else "0.5",
        linewidth=1.2,
        gid=gid,
    )
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, gid=f"{gid}:text")
    return patch


def _arrow(
    ax: Any,
    start: tuple[float, float],
    end: tuple[float, float],
    gid: str,
    *,
    label: str | None = None,
    color: str = "0.25",
    style: str = "-",
    label_at: float = 0.5,
) -> Any:
    from matplotlib.patches import FancyArrowPatch

    arrow = FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=12, color=color, linestyle=style, linewidth=1.1, gid=gid
    )
    ax.add_patch(arrow)
    if label:
        x = start[0] + (end[0] - start[0]) * label_at
        y = start[1] + (end[1] - start[1]) * label_at
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize="x-small",
            gid=f"{gid}:label",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
    return arrow


def _short(value: Any, width: int = 14) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _name(fn: Any) -> str:
    """A listener's name as a learner wrote it: ``send_email``, not ``demo.<locals>.send_email``."""
    return describe(fn).rpartition("<locals>.")[2]


# -- 1. the three topologies -----------------------------------------------------------------------------------------
def _demo_objects() -> tuple[MessageQueue[Any], EventBus, CallbackRegistry]:
    def send_email(order: Any) -> None: ...

    def update_stock(order: Any) -> None: ...

    def log_order(order: Any) -> None: ...

    def notify_user(result: Any) -> None: ...

    queue: MessageQueue[Any] = MessageQueue(name="orders")
    queue.send("order 1")
    queue.send("order 2")
    bus = EventBus(name="shop")
    for listener in (send_email, update_stock, log_order):
        bus.register("order placed", listener)
    done = CallbackRegistry(name="on_done")
    done.register(notify_user)
    return queue, bus, done


def topologies(
    queue: Any = None,
    bus: EventBus | None = None,
    callbacks: CallbackRegistry | None = None,
    *,
    event: Any = None,
    consumers: Sequence[str] = ("consumer",),
    producer: str = "producer",
    caller: str = "caller",
    worker: str = "worker",
    title: str | None = None,
) -> Any:
    """The three patterns side by side, each drawn from a real object: a queue with the messages it holds
    between a producer and its consumer(s); an event bus with the listeners of one ``event`` (default: its
    first); a callback registry with its callbacks, which a caller registers and a worker calls back.
    An object left out is a small example one (an ``orders`` queue, a ``shop`` bus, an ``on_done`` registry).

    Usage in a chapter::

        bus = ac.EventBus(name="shop"); bus.register("order placed", send_email); bus.register("order placed", log)
        fig = ac.labs.diagrams.topologies(ac.MessageQueue(name="jobs"), bus, ac.CallbackRegistry(name="on_done"))
        plt.show()

    >>> import matplotlib.pyplot as plt
    >>> fig = topologies()
    >>> [ax.get_title() for ax in fig.axes]
    ['point-to-point queue', 'event bus: fan-out', 'callback']
    >>> plt.close(fig)
    """
    plt = _pyplot()
    demo_queue, demo_bus, demo_callbacks = _demo_objects()
    queue = demo_queue if queue is None else queue
    bus = demo_bus if bus is None else bus
    callbacks = demo_callbacks if callbacks is None else callbacks
    if not callable(getattr(queue, "statistics", None)) or not hasattr(queue, "snapshot"):
        raise TypeError(f"queue must be an asyncomm queue such as ac.MessageQueue(), got {queue!r}")
    if not isinstance(bus, EventBus):
        raise TypeError(f"bus must be an ac.EventBus(), got {bus!r}")
    if not isinstance(callbacks, CallbackRegistry):
        raise TypeError(f"callbacks must be an ac.CallbackRegistry(), got {callbacks!r}")
    consumers = [consumers] if isinstance(consumers, str) else list(consumers)
    if not consumers or not all(isinstance(c, str) and c for c in consumers):
        raise ValueError(f"consumers must be one or more consumer names, got {consumers!r}")
    events = bus.events()
    if event is None:
        if not events:
            raise ValueError(f"bus {bus.name!r} has no listeners to draw; register one first")
        event = events[0]
    listeners = bus.listeners(event)
    if not listeners:
        raise ValueError(f"bus {bus.name!r} has no listeners for {event!r}; its events are {events!r}")

    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.2))
    stats = queue.statistics()
    _draw_queue(ax=axes[0], stats=stats, held=list(queue.snapshot()), producer=producer, consumers=consumers)
    others = len(events) - (event in events)
    _draw_bus(axes[1], bus.name, event, [_name(fn) for fn in listeners], others)
    _draw_callbacks(axes[2], callbacks.name, [_name(fn) for fn in callbacks.callbacks()], caller, worker)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    alt = (
        f"Three patterns: {producer} sends to queue {stats.name!r} ({stats.ready} waiting), each message goes to "
        f"one of {', '.join(consumers)}; triggering {event!r} on bus {bus.name!r} calls all {len(listeners)} "
        f"listeners ({', '.join(_name(fn) for fn in listeners)}); {caller} registers a callback on "
        f"{callbacks.name!r} and {worker} calls it back."
    )
    return _finish(fig, title if title is not None else _t("three ways to communicate", "三种通信方式"), alt)


def _draw_queue(*, ax: Any, stats: Any, held: list[Any], producer: str, consumers: list[str]) -> None:
    _canvas(ax, 10, 6)
    ax.set_title(_t("point-to-point queue", "点对点队列"), fontsize="medium")
    _box(ax, 1.2, 3, 2.0, 1.0, producer, "producer", f"producer:{producer}")
    # the queue: a row of slots, newest left, oldest (next out) right
    shown = held[:3]  # the oldest three: the next ones out
    _box(ax, 5.1, 3, 3.8, 1.6, "", "queue", f"queue:{stats.name}")
    ax.text(
        5.1,
        4.15,
        _t(f"queue {stats.name!r}", f"队列 {stats.name!r}"),
        ha="center",
        va="center",
        fontsize="small",
        gid="queue:name",
    )
    for i, message in enumerate(shown):  # the oldest, next out, on the right
        _box(ax, 6.3 - i * 1.2, 3, 1.12, 0.7, _short(message, 9), "ready", f"message:{message!r}", fontsize="x-small")
    if stats.maxsize:
        size = _t(f"{stats.ready} of {stats.maxsize}", f"{stats.ready} / {stats.maxsize}")
    else:
        size = _t(f"{stats.ready}, unbounded", f"{stats.ready}，无界")
    extra = len(held) - len(shown)
    more = _t(f" ({extra} more)", f"（另有 {extra} 条）") if extra > 0 else ""
    waiting = _t(f"waiting: {size}{more}", f"等待中：{size}{more}")
    ax.text(5.1, 1.85, waiting, ha="center", va="center", fontsize="x-small", gid="queue:size")
    _arrow(ax, (2.2, 3), (3.2, 3), "arrow:send")
    ax.text(2.7, 3.25, _t("send", "发送"), ha="center", va="bottom", fontsize="x-small", gid="arrow:send:label")
    gap = 4.6 / max(len(consumers), 1)
    for i, name in enumerate(consumers):
        y = 3 + (len(consumers) - 1) * gap / 2 - i * gap
        _box(ax, 8.8, y, 2.0, min(0.9, gap * 0.8), name, "consumer", f"consumer:{name}")
        _arrow(ax, (7.0, 3), (7.8, y), f"arrow:receive:{name}")
    ax.text(
        7.2,
        0.7,
        _t("each message to one consumer", "每条消息只交给一个消费者"),
        ha="center",
        va="center",
        fontsize="x-small",
    )


def _draw_bus(ax: Any, name: str, event: Any, listeners: list[str], others: int) -> None:
    _canvas(ax, 10, 6)
    ax.set_title(_t("event bus: fan-out", "事件总线：扇出"), fontsize="medium")
    _box(ax, 1.4, 3, 2.4, 1.2, f"trigger(\n{_short(event, 16)})", "event", "trigger")
    note = _t(f"\n(+{others} other event{'s' if others != 1 else ''})", f"\n（另有 {others} 个事件）") if others else ""
    _box(ax, 4.6, 3, 2.2, 1.4, _t(f"bus {name!r}", f"总线 {name!r}") + note, "event", f"bus:{name}")
    _arrow(ax, (2.6, 3), (3.5, 3), "arrow:trigger")
    shown = listeners[:6]
    gap = 5.4 / max(len(shown), 1)
    for i, listener in enumerate(shown):
        y = 3 + (len(shown) - 1) * gap / 2 - i * gap
        _box(ax, 8.3, y, 3.0, min(0.8, gap * 0.8), listener, "listener", f"listener:{listener}")
        _arrow(ax, (5.7, 3), (6.8, y), f"arrow:call:{i}")
    if len(listeners) > len(shown):
        extra = len(listeners) - len(shown)
        ax.text(8.3, 0.1, _t(f"+{extra} more", f"另有 {extra} 个"), ha="center", fontsize="x-small")
    ax.text(
        4.6,
        0.7,
        _t("every listener is called, in order", "每个监听器都按顺序被调用"),
        ha="center",
        va="center",
        fontsize="x-small",
    )


def _draw_callbacks(ax: Any, name: str, callbacks: list[str], caller: str, worker: str) -> None:
    _canvas(ax, 10, 6)
    ax.set_title(_t("callback", "回调"), fontsize="medium")
    _box(ax, 1.6, 4.6, 2.4, 0.9, caller, "caller", f"caller:{caller}")
    _box(ax, 1.6, 1.4, 2.4, 0.9, worker, "worker", f"worker:{worker}")
    _box(ax, 5.0, 3.0, 2.6, 1.2, _t("registry", "注册表") + f"\n{name!r}", "registry", f"registry:{name}")
    register, start = _t("1 register(fn)", "1 注册 register(fn)"), _t("2 start work", "2 开始工作")
    _arrow(ax, (2.8, 4.4), (3.9, 3.5), "arrow:register", label=register, label_at=0.45)
    _arrow(ax, (1.6, 4.1), (1.6, 1.9), "arrow:start", label=start, style="--")
    done = _t("3 trigger(result)", "3 触发 trigger(result)")
    _arrow(ax, (2.8, 1.6), (3.9, 2.5), "arrow:done", label=done, label_at=0.45)
    shown = callbacks[:5] or [_t("(no callback yet)", "（还没有回调）")]
    gap = 4.6 / len(shown)
    for i, callback in enumerate(shown):
        y = 3 + (len(shown) - 1) * gap / 2 - i * gap
        _box(ax, 8.4, y, 2.8, min(0.8, gap * 0.8), callback, "callback", f"callback:{callback}")
        _arrow(ax, (6.3, 3), (7.0, y), f"arrow:callback:{i}")
    back = _t("4 the worker calls fn back (in its thread)", "4 工作者回调 fn（在它自己的线程里）")
    ax.text(6.2, 0.4, back, ha="center", va="center", fontsize="x-small")


# -- 2. control flow of a program ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One call made while a program ran: its order, thread, nesting ``depth`` under the program's own
    functions, and the function's name; ``error`` is the exception that stopped it there, if any.

    >>> def main():
    ...     len(None)
    >>> record_calls(main).calls
    (Call(seq=0, thread='MainThread', depth=0, name='main', error='TypeError'), \
Call(seq=1, thread='MainThread', depth=1, name='len', error=None))
    """

    seq: int
    thread: str
    depth: int
    name: str
    error: str | None = None


@dataclass(frozen=True)
class Flow:
    """What :func:`record_calls` saw: the calls in order, the threads in order of their first call, the
    exception the program ended with (``None`` if it returned), and what it printed.

    >>> def main():
    ...     print("hi")
    >>> flow = record_calls(main)
    >>> flow.program, flow.threads, flow.error, flow.output
    ('main', ('MainThread',), None, 'hi\\n')
    """

    program: str
    calls: tuple[Call, ...]
    threads: tuple[str, ...]
    error: str | None
    output: str


def record_calls(program: Callable[[], Any], *, join_timeout: float = 5.0) -> Flow:
    """Run ``program()`` and record every call made by its own functions (those defined in its file, in any
    thread) and the calls those make into other code (``queue.Queue.put``, ``print``): one level deep, so
    the picture shows the program, not the standard library. What it prints is kept in ``output``, not shown;
    an exception it raises is caught and kept in ``error``. Threads it starts are waited for up to
    ``join_timeout`` seconds (its own ``join`` may be missing: that is one of the seed's bugs). Python reports
    calls of Python functions and of built-in functions (``print``, ``list.append``), not of classes written in
    C (``int("x")``); in a notebook, "its file" is the cell that defines ``program``.

    >>> def main():
    ...     print("hi")
    >>> [(c.thread, c.depth, c.name) for c in record_calls(main).calls]
    [('MainThread', 0, 'main'), ('MainThread', 1, 'print')]
    """
    code = getattr(program, "__code__", None)
    if code is None or not callable(program):
        raise TypeError(f"program must be a Python function such as main, got {program!r}")
    filename = code.co_filename
    calls: list[Call] = []
    stacks: dict[int, list[bool]] = {}  # per thread: for each open frame, was it recorded?
    lock = threading.Lock()
    recording = True

    def hook(frame: Any, event: str, arg: Any) -> None:
        if not recording:
            return
        stack = stacks.setdefault(threading.get_ident(), [])
        if event == "call":
            back = frame.f_back
            mine = frame.f_code.co_filename == filename or (back is not None and back.f_code.co_filename == filename)
            if mine:
                _add(frame.f_code.co_qualname, sum(stack))
            stack.append(mine)
        elif event == "return":
            if stack:
                stack.pop()
        elif event == "c_call" and frame.f_code.co_filename == filename:
            _add(getattr(arg, "__qualname__", getattr(arg, "__name__", repr(arg))), sum(stack))

    def _add(name: str, depth: int) -> None:
        with lock:
            calls.append(Call(len(calls), threading.current_thread().name, depth, name))

    before = set(threading.enumerate())
    old, old_threads = sys.getprofile(), threading.getprofile()
    output = io.StringIO()
    error: BaseException | None = None
    # A garbage collection during the program would run other objects' finalizers (__del__ of a loop or a
    # socket left by earlier code) from inside the program's frames, and they would be recorded as its calls:
    # collect first, and not while recording.
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    threading.setprofile(hook)
    try:
        with contextlib.redirect_stdout(output):
            sys.setprofile(hook)
            try:
                program()
            except Exception as raised:
                error = raised
            finally:
                sys.setprofile(old)
            for thread in set(threading.enumerate()) - before:
                thread.join(join_timeout)
    finally:
        threading.setprofile(old_threads)  # type: ignore[arg-type]
        if collecting:
            gc.enable()
        recording = False
    if error is not None:
        _mark_error(calls, error, filename)
    threads = tuple(dict.fromkeys(call.thread for call in calls))
    message = None if error is None else f"{type(error).__name__}: {error}"
    return Flow(code.co_qualname, tuple(calls), threads, message, output.getvalue())


def _mark_error(calls: list[Call], error: BaseException, filename: str) -> None:
    """Mark the program's innermost frame the exception went through, on the main thread."""
    tb, where = error.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            where = tb.tb_frame.f_code.co_qualname
        tb = tb.tb_next
    main = threading.main_thread().name
    for i in range(len(calls) - 1, -1, -1):
        if calls[i].name == where and calls[i].thread == main:
            calls[i] = Call(calls[i].seq, calls[i].thread, calls[i].depth, calls[i].name, type(error).__name__)
            return


def control_flow(program: Callable[[], Any] | Flow, *, max_calls: int = 40, title: str | None = None) -> Any:
    """Who called what, in which thread: run ``program`` (or take a :class:`Flow` that :func:`record_calls`
    made) and draw one column per thread, one row per call in the order they happened, indented under
    their caller. A call an exception stopped is red, with the exception beneath it.

    Usage in a chapter (chapter 04's seed program)::

        seed = ac.course.load_seed_example()
        fig = ac.labs.diagrams.control_flow(seed["main"])
        plt.show()

    >>> import matplotlib.pyplot as plt
    >>> def main():
    ...     print("hi")
    >>> fig = control_flow(main)
    >>> fig.axes[0].get_title()
    'MainThread'
    >>> plt.close(fig)
    """
    flow = program if isinstance(program, Flow) else record_calls(program)
    if not flow.calls:
        raise ValueError(f"{flow.program}() made no calls to draw")
    plt = _pyplot()
    shown = flow.calls[:max_calls]
    threads = flow.threads
    rows = len(shown) + (2 if flow.error else 0)
    width = max(7.0, 5.2 * len(threads))
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, axes = plt.subplots(1, len(threads), figsize=(width, 1.6 + 0.3 * rows), squeeze=False)
    for ax, thread in zip(axes[0], threads, strict=True):
        ax.set_xlim(0, 10)
        ax.set_ylim(rows - 0.4, -0.6)
        ax.set_axis_off()
        ax.set_title(thread, fontsize="medium")
        ax.axvline(0.15, color="0.6", linewidth=1)
    column = dict(zip(threads, axes[0], strict=True))
    for row, call in enumerate(shown):
        ax = column[call.thread]
        role = "error" if call.error else ("worker" if call.thread != threads[0] else "caller")
        if call.depth == 0 and not call.error:
            role = "queue"
        from matplotlib.colors import to_rgba

        ax.text(
            0.4 + 0.6 * call.depth,
            row,
            f"{call.name}()",
            ha="left",
            va="center",
            family=_MONO,
            fontsize="small",
            gid=f"call:{call.seq}",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": to_rgba(COLORS[role], 0.18), "edgecolor": COLORS[role]},
        )
        if call.error:
            ax.text(
                0.4 + 0.6 * (call.depth + 1),
                row + 1.5,
                textwrap.fill(f"✗ {flow.error}", 60),
                ha="left",
                va="center",
                fontsize="x-small",
                color=COLORS["error"],
                gid="error",
            )
    if len(flow.calls) > len(shown):
        extra = len(flow.calls) - len(shown)
        axes[0, 0].text(0.4, rows - 0.5, _t(f"… {extra} more calls", f"… 另有 {extra} 次调用"), fontsize="x-small")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / (1.6 + 0.3 * rows)))
    if len(threads) == 1:
        where = _t("one thread: nothing ran asynchronously", "只有一个线程：没有任何代码异步运行")
    else:
        where = _t(f"{len(threads)} threads", f"{len(threads)} 个线程")
    error = "" if flow.error is None else flow.error.split(":")[0]
    ended = _t(f"; stopped by {error}", f"；被 {error} 中止") if error else ""
    default = _t(
        f"{flow.program}(): {len(flow.calls)} calls, {where}{ended}",
        f"{flow.program}()：{len(flow.calls)} 次调用，{where}{ended}",
    )
    alt = (
        f"Calls made by {flow.program}() in order, in {', '.join(threads)}: "
        f"{', '.join(call.name for call in flow.calls[:12])}{' ...' if len(flow.calls) > 12 else ''}"
        f"{'' if flow.error is None else f'; it ended with {flow.error}'}."
    )
    per_inch = 9 if default.isascii() else 5  # a Chinese character is about twice as wide
    return _finish(fig, textwrap.fill(title if title is not None else default, int(width * per_inch)), alt)


# -- 3. a reliable queue's deliveries --------------------------------------------------------------------------------
_SETTLES = {tr.ACK, tr.NACK, tr.REDELIVER, tr.DEAD_LETTER}


@dataclass(frozen=True)
class _Segment:
    id: Any
    message: Any
    delivery: int
    start: float
    end: float
    kind: str


def _segments(rows: list[TraceRow], end_time: float) -> tuple[dict[Any, tuple[Any, float | None]], list[_Segment]]:
    """Per message: (message, time sent); and one segment per delivery, from receive to how it ended."""
    messages: dict[Any, tuple[Any, float | None]] = {}
    open_: dict[Any, tuple[float, int]] = {}
    counts: dict[Any, int] = {}
    segments: list[_Segment] = []
    for row in rows:
        if not isinstance(row.item, tuple) or len(row.item) != 2:
            continue  # clear / close rows, failed receives: no message
        id_, message = row.item
        if row.operation == tr.SEND and row.outcome == tr.OK:
            messages[id_] = (message, row.time)
        messages.setdefault(id_, (message, None))
        if row.operation == tr.RECEIVE and row.outcome == tr.OK:
            counts[id_] = counts.get(id_, 0) + 1
            open_[id_] = (row.time, counts[id_])
        elif row.operation in _SETTLES and row.outcome != tr.STALE_DELIVERY and id_ in open_:
            start, n = open_.pop(id_)
            if row.operation == tr.ACK:
                kind = "auto-acked" if row.outcome == tr.AUTO else "acked"
            elif row.operation == tr.NACK:
                kind = "nacked"
            elif row.operation == tr.REDELIVER:
                kind = row.outcome  # visibility timeout / consumer died (a nack came first otherwise)
            else:
                kind = "dead-lettered"
            segments.append(_Segment(id_, message, n, start, row.time, kind))
        elif row.operation == tr.DEAD_LETTER and segments and segments[-1].id == id_ and segments[-1].kind == "nacked":
            pass  # nack(requeue=False): the nack segment already says it
    for id_, (start, n) in open_.items():
        segments.append(_Segment(id_, messages[id_][0], n, start, end_time, "in flight"))
    return messages, segments


def delivery_timeline(
    source: Any, *, name: str | None = None, visibility_timeout: float | None = None, title: str | None = None
) -> Any:
    """Per message a lane: a dot when it was sent, a bar per delivery from its receive to what ended it
    (acked, nacked, visibility timeout expired and taken back, consumer died, dead-lettered, or still in flight),
    read from the trace rows of a :class:`~asyncomm.reliable.ReliableQueue` (pass the queue, its
    :class:`~asyncomm.Trace`, or the rows). With the queue (or ``visibility_timeout=``) a tick marks when each
    lease ran out: a lease is taken back by the next verb after that, which is when the trace row is written.

    Usage in a chapter::

        clock, trace = ac.VirtualClock(), ac.Trace()
        q = ac.ReliableQueue(clock=clock, trace=trace, visibility_timeout=5); ...  # send, receive, ack, advance
        fig = ac.labs.diagrams.delivery_timeline(q); plt.show()

    >>> import asyncomm as ac, matplotlib.pyplot as plt
    >>> clock = ac.VirtualClock()
    >>> q = ac.ReliableQueue(clock=clock, trace=ac.Trace(), visibility_timeout=5, name="jobs")
    >>> _ = q.send("a"); d = q.receive(); _ = clock.advance(2); d.ack()
    >>> fig = delivery_timeline(q)
    >>> [p.get_gid() for p in fig.axes[0].patches]
    ['delivery:1:1:acked']
    >>> plt.close(fig)
    """
    rows, queue_name, vt = _delivery_rows(source, name)
    if visibility_timeout is not None:
        vt = visibility_timeout
    if not any(row.operation == tr.RECEIVE and row.outcome == tr.OK for row in rows):
        raise ValueError(f"queue {queue_name!r} has no deliveries to draw yet: receive a message first")
    end_time = max(row.time for row in rows)
    messages, segments = _segments(rows, end_time)
    plt = _pyplot()
    ids = list(messages)
    lane = {id_: i for i, id_ in enumerate(ids)}
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, ax = plt.subplots(figsize=(8, 1.3 + 0.45 * len(ids)))
    kinds: dict[str, None] = {}
    for seg in segments:
        width = seg.end - seg.start
        ax.barh(
            lane[seg.id],
            max(width, 0.0),
            left=seg.start,
            height=0.55,
            color=COLORS[seg.kind],
            edgecolor="white",
            linewidth=0.8,
            gid=f"delivery:{seg.id}:{seg.delivery}:{seg.kind}",
            label=_state(seg.kind) if seg.kind not in kinds else None,
        )
        kinds[seg.kind] = None
        if width == 0:  # auto-ack: settled the instant it was received
            ax.plot([seg.start], [lane[seg.id]], marker="D", color=COLORS[seg.kind], linestyle="none")
        if vt is not None and seg.kind in (tr.VISIBILITY_TIMEOUT, "dead-lettered", "in flight"):
            expiry = seg.start + vt
            if expiry <= seg.end:
                ax.plot([expiry, expiry], [lane[seg.id] - 0.35, lane[seg.id] + 0.35], color="black", linewidth=1.5)
    sent = [(lane[id_], t) for id_, (_, t) in messages.items() if t is not None]
    ax.plot(
        [t for _, t in sent], [y for y, _ in sent], "o", color=COLORS["ready"], label=_t("sent", "已发送"), markersize=5
    )
    ax.set_yticks(range(len(ids)), [f"{id_}: {_short(messages[id_][0])}" for id_ in ids], fontsize="small")
    ax.set_ylim(len(ids) - 0.5, -0.5)
    ax.set_ylabel(_t("message", "消息"))
    ax.set_xlabel(_t("time (s on the queue's clock)", "时间（队列时钟上的秒）"))
    ax.use_sticky_edges = False  # bars stick to x=0 otherwise, hiding the dots of messages sent at 0
    ax.margins(x=0.03)
    if vt is not None:
        ax.plot(
            [], [], color="black", marker="|", linestyle="none", markersize=12, label=_t("lease ran out", "租约到期")
        )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    counts = {kind: sum(s.kind == kind for s in segments) for kind in kinds}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    lease = "" if vt is None else f" (visibility timeout {vt:g} s)"
    alt = f"Deliveries of {len(ids)} messages on queue {queue_name!r}{lease}, one lane each: {summary}."
    shown_lease = "" if vt is None else _t(lease, f"（可见性超时 {vt:g} 秒）")
    default = _t(f"deliveries on queue {queue_name!r}{lease}", f"队列 {queue_name!r} 上的投递{shown_lease}")
    return _finish(fig, title if title is not None else default, alt)


def _delivery_rows(source: Any, name: str | None) -> tuple[list[TraceRow], str, float | None]:
    vt = None
    if isinstance(source, Trace):
        rows = source.rows
    elif isinstance(getattr(source, "trace", None), Trace):
        rows, vt = source.trace.rows, getattr(source, "visibility_timeout", None)
        name = source.name if name is None else name
    elif isinstance(source, (list, tuple)):  # not any iterable: iterating a queue receives from it
        rows = list(source)
    else:
        no_trace = " (a queue without a trace: give it trace=ac.Trace())" if hasattr(source, "trace") else ""
        raise TypeError(
            f"pass a reliable queue made with trace=ac.Trace(), its trace, or trace rows; got {source!r}{no_trace}"
        )
    rows = [row for row in rows if isinstance(row, TraceRow) and row.pattern == tr.QUEUE]
    names = list(dict.fromkeys(row.name for row in rows))
    if name is None:
        if len(names) > 1:
            raise ValueError(f"the trace holds several queues {names}; say which with name=")
        name = names[0] if names else "queue"
    rows = [row for row in rows if row.name == name]
    if not rows:
        raise ValueError(f"the trace has no rows of queue {name!r}; the queues in it are {names}")
    return rows, name, vt


# -- 4. competing consumers as a Gantt chart -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Bar:
    lane: str
    label: str
    start: float
    end: float
    lost: bool  # its consumer crashed while handling it


def _pipeline_bars(run: SimulationRun) -> tuple[list[_Bar], list[str], list[tuple[float, int]], list[Any]]:
    bars = [
        _Bar(
            f"consumer {m.consumer}",
            str(m.id),
            m.started,
            m.started if m.finished is None else m.finished,
            m.finished is None,
        )
        for m in run.messages
        if m.started is not None
    ]
    return bars, [f"consumer {n}" for n in range(run.consumers)], run.lengths, run.finish_order()


def _lab_bars(run: Any) -> tuple[list[_Bar], list[str], list[tuple[float, int]], list[Any]]:
    """A fault-lab run's deliveries: each from its receive row to the row that settled it (or to the crash that
    ended it); the consumer is the one whose effect (or crash) happened then. A restarted consumer (``c1#2``)
    keeps its lane."""
    if run.settings.delivery != "at-least-once":
        raise ValueError(
            "draw an at-least-once run: in an at-most-once run the queue settles a message when it is received, "
            "so its trace does not say when the consumer finished"
        )
    number = {m.id: m.number for m in run.messages if m.id is not None}
    crashes = {(c.message, c.delivery): c for c in run.crashes}
    effects = {(n, t): consumer for t, n, consumer in run.effects}
    open_: dict[tuple[str, Any], tuple[float, int]] = {}
    counts: dict[int, int] = {}
    bars: list[_Bar] = []
    sizes: dict[str, int] = {}
    lengths: list[tuple[float, int]] = [(0.0, 0)]
    for row in run.trace.rows:
        sizes[row.name] = row.size  # waiting, summed over the partitions
        total = sum(sizes.values())
        lengths[-1:] = [(row.time, total)] if lengths[-1][0] == row.time else [lengths[-1], (row.time, total)]
        if not isinstance(row.item, tuple) or row.item[0] not in number:
            continue
        key, n = (row.name, row.item[0]), number[row.item[0]]
        if row.operation == tr.RECEIVE and row.outcome == tr.OK:
            counts[n] = counts.get(n, 0) + 1
            open_[key] = (row.time, counts[n])
        elif row.operation in _SETTLES and row.outcome != tr.STALE_DELIVERY and key in open_:
            start, delivery = open_.pop(key)
            crash = crashes.get((n, delivery))
            if crash is not None:
                bars.append(_Bar(crash.consumer.split("#")[0], str(n), start, crash.time, True))
            else:  # a poison message's nack has no effect to name its consumer
                consumer = effects.get((n, row.time), "?")
                bars.append(_Bar(consumer.split("#")[0], str(n), start, row.time, False))
    lanes = sorted({bar.lane for bar in bars} - {"?"}, key=lambda name: (len(name), name))
    lanes += ["?"] if any(bar.lane == "?" for bar in bars) else []
    return bars, lanes, lengths, list(dict.fromkeys(n for _, n, _ in run.effects))


def consumer_gantt(run: Any, *, title: str | None = None) -> Any:
    """Competing consumers as a Gantt chart: one lane per consumer, a bar per delivery from when that consumer
    took the message to when it was done with it (labelled with the message's id where there is room; a red
    cross where the consumer crashed), and below, how many messages were waiting. Takes a run of
    :func:`~asyncomm.labs.simulate.simulate_pipeline` or an at-least-once run of
    :func:`~asyncomm.labs.faults.run_lab` (``"competing-consumers"``, ``"partitioned"``, ...).

    Usage in a chapter (chapter 05)::

        from asyncomm.labs.faults import run_lab
        fig = ac.labs.diagrams.consumer_gantt(run_lab("competing-consumers", messages=12))
        plt.show()

    >>> import matplotlib.pyplot as plt
    >>> from asyncomm.labs.simulate import simulate_pipeline
    >>> fig = consumer_gantt(simulate_pipeline([0, 0, 0], 1, consumers=2))
    >>> [p.get_gid() for p in fig.axes[0].patches]
    ['message:0', 'message:1', 'message:2']
    >>> plt.close(fig)
    """
    if isinstance(run, SimulationRun):
        bars, lanes, series, order = _pipeline_bars(run)
    elif type(run).__name__ == "LabRun" and hasattr(run, "effects"):  # faults is not imported for this check
        bars, lanes, series, order = _lab_bars(run)
    else:
        raise TypeError(
            f"pass a run of asyncomm.labs.simulate.simulate_pipeline(...) or asyncomm.labs.faults.run_lab(...), "
            f"got {run!r}"
        )
    if not bars:
        raise ValueError("no consumer took a message in this run: there is nothing to draw")
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    palette = plt.get_cmap("tab10")
    lane = {name: i for i, name in enumerate(lanes)}
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, (ax, lengths) = plt.subplots(
        2, 1, figsize=(8, 2.8 + 0.55 * len(lanes)), sharex=True, height_ratios=(len(lanes) + 1, 1.6)
    )
    end = max(bar.end for bar in bars)
    span = max(end, 1e-9)
    for bar in bars:
        y, width = lane[bar.lane], bar.end - bar.start
        if width > 0:
            ax.barh(y, width, left=bar.start, height=0.7, color=palette(y % 10), edgecolor="white", linewidth=0.8,
                    gid=f"message:{bar.label}")  # fmt: skip
            if width / span > 0.03 * len(bar.label):  # room for the id inside the bar
                ax.text(bar.start + width / 2, y, bar.label, ha="center", va="center", fontsize="x-small")
        if bar.lost:  # the consumer crashed while handling it
            ax.plot([bar.end], [y], marker="X", color=COLORS["error"], markersize=10, linestyle="none")
    shown_lanes = [_t(name, "消费者 " + name[9:]) if name.startswith("consumer ") else name for name in lanes]
    ax.set_yticks(range(len(lanes)), shown_lanes, fontsize="small")
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    times = [t for t, _ in series] + [end]
    levels = [n for _, n in series] + [series[-1][1]]
    lengths.step(times, levels, where="post", color=COLORS["queue"], gid="queue length")
    lengths.set_ylabel(_t("waiting", "等待中"), fontsize="small")
    lengths.yaxis.set_major_locator(MaxNLocator(integer=True))
    lengths.set_xlabel(_t("time (s)", "时间（秒）"))
    lengths.set_xlim(left=0)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    head = ", ".join(map(str, order[:12])) + (" …" if len(order) > 12 else "")
    lost = [bar.label for bar in bars if bar.lost]
    messages = len({bar.label for bar in bars})
    default = _t(
        f"{plural(len(lanes), 'consumer')} share {plural(messages, 'message')}; finish order {head}",
        f"{len(lanes)} 个消费者分担 {messages} 条消息；完成顺序 {head}",
    )
    crashed = f"; a consumer crashed holding message(s) {', '.join(lost)}" if lost else ""
    alt = (
        f"Gantt chart of {plural(len(lanes), 'competing consumer')}: each bar is a message from when a consumer took "
        f"it to when it was done; they finished in the order {head}{crashed}."
    )
    return _finish(fig, title if title is not None else default, alt)


# -- 5. a Redis stream, its group and pending list --------------------------------------------------------------------
@dataclass(frozen=True)
class StreamEntry:
    """One entry of the stream: its id, state (``"new"``: not yet delivered to the group; ``"pending"``:
    delivered, not acked; ``"done"``: acked or moved to the dead letters) and, if pending, who holds it.

    >>> StreamEntry("1700000000000-0", "pending", "c1", 2)
    StreamEntry(id='1700000000000-0', state='pending', consumer='c1', deliveries=2)
    """

    id: str
    state: str
    consumer: str | None = None
    deliveries: int = 0


@dataclass(frozen=True)
class StreamState:
    """What the server says about a stream queue, at one instant (see :func:`stream_state`); a state made
    by hand draws too, without a server.

    >>> import matplotlib.pyplot as plt
    >>> state = StreamState("orders", "workers", 2, "1-0", (("c1", 1),),
    ...                     (StreamEntry("1-0", "pending", "c1", 1), StreamEntry("2-0", "new")), dead=0)
    >>> fig = stream_diagram(state)
    >>> [p.get_gid() for p in fig.axes[0].patches if p.get_gid().startswith(("entry", "pending"))]
    ['entry:1-0:pending', 'entry:2-0:new', 'pending:1-0:c1']
    >>> plt.close(fig)
    """

    stream: str
    group: str
    length: int
    last_delivered: str
    consumers: tuple[tuple[str, int], ...]  # (name, entries pending)
    entries: tuple[StreamEntry, ...]  # the newest ``limit`` ones, oldest first
    dead: int


def _id(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


def stream_state(queue: Any, *, client: Any = None, limit: int = 12) -> StreamState:
    """Ask the server about ``queue`` (a :class:`~asyncomm.reliable.RedisStreamQueue` or its asyncio twin):
    XINFO GROUPS and CONSUMERS, XPENDING, XRANGE of the newest ``limit`` entries, XLEN of the dead letters.
    Read-only; it opens its own connection to ``queue.url`` unless a redis-py ``client`` is given
    (made with ``decode_responses=True``).

    >>> from asyncomm.reliable.redis_streams import LocalRedis, RedisStreamQueue
    >>> with LocalRedis() as server, RedisStreamQueue(server.url, "orders") as q:   # doctest: +SKIP
    ...     _ = q.send("a"); _ = q.send("b"); d = q.receive(consumer="c1")
    ...     print([(e.state, e.consumer) for e in stream_state(q).entries])
    [('pending', 'c1'), ('new', None)]
    """
    stream, group = getattr(queue, "stream", None), getattr(queue, "group", None)
    if not isinstance(stream, str) or not isinstance(group, str) or not isinstance(getattr(queue, "url", None), str):
        raise TypeError(f"pass a RedisStreamQueue (or AsyncRedisStreamQueue), got {queue!r}")
    with requires_extra("redis"):
        import redis

    own = client is None
    client = redis.Redis.from_url(queue.url, decode_responses=True) if own else client
    try:
        groups = {g["name"]: g for g in client.xinfo_groups(stream)}
        if group not in groups:
            raise ValueError(f"stream {stream!r} has no consumer group {group!r}; its groups are {sorted(groups)}")
        consumers = tuple((c["name"], int(c["pending"])) for c in client.xinfo_consumers(stream, group))
        pending = {p["message_id"]: p for p in client.xpending_range(stream, group, "-", "+", 10_000)}
        newest = list(reversed(client.xrevrange(stream, "+", "-", count=limit)))
        length = client.xlen(stream)
        dead = client.xlen(f"{stream}:dead")
    finally:
        if own:
            client.close()
    last = groups[group]["last-delivered-id"]
    entries = []
    for entry_id, _fields in newest:
        if entry_id in pending:
            p = pending[entry_id]
            entries.append(StreamEntry(entry_id, "pending", p["consumer"], int(p["times_delivered"])))
        else:
            entries.append(StreamEntry(entry_id, "new" if _id(entry_id) > _id(last) else "done"))
    return StreamState(stream, group, length, last, consumers, tuple(entries), dead)


def stream_diagram(queue: Any, *, client: Any = None, limit: int = 12, title: str | None = None) -> Any:
    """A Redis stream as the server holds it: its newest ``limit`` entries top to bottom (oldest first),
    coloured new / pending / done; the consumer group's last-delivered id marked; each consumer with an arrow
    to every entry it holds and how many times it was delivered; the dead-letter stream's length. Takes a
    live queue (asked through :func:`stream_state`) or a :class:`StreamState`.

    Usage in a chapter (chapter 08)::

        q = ac.RedisStreamQueue(url, "orders"); q.send({"n": 1}); d = q.receive(consumer="c1")
        fig = ac.labs.diagrams.stream_diagram(q)
        plt.show()

    >>> from asyncomm.reliable.redis_streams import LocalRedis, RedisStreamQueue
    >>> with LocalRedis() as server, RedisStreamQueue(server.url, "orders") as q:   # doctest: +SKIP
    ...     _ = q.send("a"); d = q.receive(consumer="c1")
    ...     print(stream_diagram(q).asyncomm_alt)
    Redis stream 'orders' with 1 entry and consumer group 'workers' (last delivered ...): c1 holds ...; \
0 dead letters.
    """
    state = queue if isinstance(queue, StreamState) else stream_state(queue, client=client, limit=limit)
    plt = _pyplot()
    n = max(len(state.entries), 1)
    height = max(n, len(state.consumers) * 1.4, 3) + 1.5
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, ax = plt.subplots(figsize=(9, 1.0 + 0.42 * height))
    _canvas(ax, 12, height)
    top = height - 1.0
    older = state.length - len(state.entries)
    heading = _t(f"stream {state.stream!r} ({_entries(state.length)})", f"流 {state.stream!r}（{state.length} 个条目）")
    ax.text(2.3, height - 0.35, heading, ha="center", fontsize="small")
    role = {"new": "ready", "pending": "in flight", "done": "acked"}
    y_of: dict[str, float] = {}
    for i, entry in enumerate(state.entries):
        y = top - i
        y_of[entry.id] = y
        _box(ax, 2.3, y, 3.6, 0.8, entry.id, role[entry.state], f"entry:{entry.id}:{entry.state}", fontsize="x-small")
    if older > 0:
        ax.text(
            2.3,
            top + 0.45,
            _t(f"… {older} older", f"… 另有 {older} 个更早的"),
            ha="center",
            va="bottom",
            fontsize="x-small",
        )
    last = y_of.get(state.last_delivered)
    if last is not None:
        _arrow(ax, (0.0, last), (0.45, last), "last-delivered", color="black")
    ax.text(
        6.6,
        height - 0.35,
        _t(
            f"group {state.group!r}: last delivered {state.last_delivered}",
            f"消费者组 {state.group!r}：最后投递 {state.last_delivered}",
        ),
        ha="center",
        fontsize="small",
        gid="group",
    )
    gap = (top + 0.5) / max(len(state.consumers), 1)
    for i, (name, held) in enumerate(state.consumers):
        y = top - i * gap - 0.3
        _box(
            ax,
            10.2,
            y,
            2.6,
            0.9,
            f"{name}\n" + _t(f"{held} pending", f"{held} 个待确认"),
            "consumer",
            f"consumer:{name}",
        )
        for entry in state.entries:
            if entry.consumer == name:
                _arrow(
                    ax,
                    (8.9, y),
                    (4.1, y_of[entry.id]),
                    f"pending:{entry.id}:{name}",
                    label=_t(f"delivered {entry.deliveries}x", f"已投递 {entry.deliveries} 次"),
                    color=COLORS["in flight"],
                    label_at=0.3,
                )
    dead = _t(plural(state.dead, "dead letter"), f"{state.dead} 条死信")
    _box(ax, 10.2, 0.6, 2.6, 0.8, f"{state.stream}:dead\n{dead}", "dead-lettered", "dead")
    ax.legend(
        handles=[_patch(COLORS[role[s]], _state(s)) for s in ("new", "pending", "done")],
        loc="lower left",
        fontsize="x-small",
        frameon=False,
        bbox_to_anchor=(0.38, 0.0),
    )
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    pending = [e for e in state.entries if e.state == "pending"]
    holders = ", ".join(f"{e.consumer} holds {e.id}" for e in pending) or "nothing is pending"
    alt = (
        f"Redis stream {state.stream!r} with {_entries(state.length)} and consumer group {state.group!r} "
        f"(last delivered {state.last_delivered}): {holders}; {plural(state.dead, 'dead letter')}."
    )
    default = _t(f"a Redis stream and its consumer group {state.group!r}", f"一个 Redis 流及其消费者组 {state.group!r}")
    return _finish(fig, title if title is not None else default, alt)


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _patch(color: str, label: str) -> Any:
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch

    return Patch(facecolor=to_rgba(color, 0.18), edgecolor=color, label=label)


# -- 6. a ring buffer -------------------------------------------------------------------------------------------------
def ring_buffer(q: RingBufferQueue, *, title: str | None = None) -> Any:
    """A :class:`~asyncomm.labs.structures.RingBufferQueue` as the ring it is: its slots in a circle
    (index outside, message inside, used slots coloured), an arrow to ``head`` (the next receive) and one
    to ``tail`` (the next send), read from the object itself.

    Usage in a chapter (chapter 03)::

        ring = RingBufferQueue(6); ring.send("a"); ring.send("b"); ring.receive()
        fig = ac.labs.diagrams.ring_buffer(ring)
        plt.show()

    >>> import matplotlib.pyplot as plt
    >>> from asyncomm.labs.structures import RingBufferQueue
    >>> ring = RingBufferQueue(4); ring.send("a")
    >>> fig = ring_buffer(ring)
    >>> [p.get_gid() for p in fig.axes[0].patches][:4]
    ['slot:0:a', 'slot:1', 'slot:2', 'slot:3']
    >>> plt.close(fig)
    """
    if not isinstance(q, RingBufferQueue):
        raise TypeError(f"pass a RingBufferQueue (asyncomm.labs.structures), got {q!r}")
    import math

    plt = _pyplot()
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Wedge

    capacity, used = q.capacity, len(q)
    occupied = {(q.head + i) % capacity for i in range(used)}
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, ax = plt.subplots(figsize=(5.6, 5.6))
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.75, 1.75)
    ax.set_aspect("equal")
    ax.set_axis_off()
    step = 360 / capacity
    fontsize = "small" if capacity <= 12 else "x-small"

    def angle(slot: int) -> float:  # slot 0 at the top, going clockwise
        return 90 - (slot + 0.5) * step

    for slot in range(capacity):
        full = slot in occupied
        color = COLORS["ready"] if full else "0.6"
        a = angle(slot)
        gid = f"slot:{slot}:{q.slots[slot]}" if full else f"slot:{slot}"
        ax.add_patch(
            Wedge(
                (0, 0),
                1.0,
                a - step / 2,
                a + step / 2,
                width=0.42,
                facecolor=to_rgba(color, 0.25) if full else "white",
                edgecolor=color,
                gid=gid,
            )
        )
        rad = math.radians(a)
        if full:
            ax.text(0.79 * math.cos(rad), 0.79 * math.sin(rad), _short(q.slots[slot], 8), ha="center",
                    va="center", fontsize=fontsize, gid=f"message:{slot}")  # fmt: skip
        ax.text(1.12 * math.cos(rad), 1.12 * math.sin(rad), str(slot), ha="center", va="center",
                fontsize="x-small", color="0.4", gid=f"index:{slot}")  # fmt: skip
    # head and tail: arrows from outside the ring to their slot; on the same slot (empty or full) side by side
    for label, slot, offset in (("head", q.head, -0.22), ("tail", q.tail, 0.22)):
        same = q.head == q.tail
        a = math.radians(angle(slot) + (offset * step if same else 0))
        tip = (1.2 * math.cos(a), 1.2 * math.sin(a))
        base = (1.6 * math.cos(a), 1.6 * math.sin(a))
        color = "tab:red" if label == "head" else "tab:green"
        ax.annotate(
            "",
            xy=tip,
            xytext=base,
            arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 1.5},
            gid=f"arrow:{label}",
        )
        ax.text(
            1.7 * math.cos(a), 1.7 * math.sin(a), f"{label} = {slot}", ha="center", va="center", fontsize="small",
            color=color, gid=label,
        )  # fmt: skip
    count = _t(f"{used} of {capacity}", f"{used} / {capacity}")
    ax.text(0, 0.08, count, ha="center", va="center", fontsize="medium", gid="count")
    ax.text(0, -0.15, _t("slots used", "已用槽位"), ha="center", va="center", fontsize="x-small")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    state = "empty" if used == 0 else ("full" if used == capacity else f"{used} of {capacity} slots used")
    in_order = ", ".join(_short(q.slots[(q.head + i) % capacity]) for i in range(used)) or "none"
    alt = (
        f"A ring buffer of {capacity} slots, {state}: head (next receive) at slot {q.head}, "
        f"tail (next send) at slot {q.tail}; messages in order: {in_order}."
    )
    default = _t("a ring buffer: head chases tail round the ring", "环形缓冲区：head 绕着环追赶 tail")
    return _finish(fig, title if title is not None else default, alt)
