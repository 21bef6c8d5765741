"""Chapter 03a exercises: structures, callbacks, the event loop and a worker (the models are in ``ch03b``).

* ``03a.array-moves`` (predict): element moves of a list-based queue.
* ``03a.ring-receive`` (write): ``receive`` for a ring buffer.
* ``03a.closure-in-a-loop`` (fix): callbacks made in a loop that all see the last value.
* ``03a.loop-order`` (predict): the order in which asyncio runs ``call_soon`` / ``call_later`` callbacks.
* ``03a.finish-order`` (predict): the order in which tasks finish.
* ``03a.worker`` (write): a worker that takes jobs from a queue until it is closed, checked on a VirtualClock.

Predict exercises run their own code to know the answer.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import textwrap
from dataclasses import dataclass, field
from typing import Any

from asyncomm._checks import plural
from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.callbacks import CallbackRegistry
from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import (
    Exercise,
    as_list,
    as_notebook_code,
    clean_text,
    register,
    whole_number,
)
from asyncomm.course.exercises.ch02 import _run
from asyncomm.errors import QueueClosed, QueueEmpty, QueueFull
from asyncomm.i18n import Text, tr
from asyncomm.labs.structures import ArrayQueue, count_moves

__all__ = ["LOOP_PROGRAM", "WORKER_JOBS", "Ring", "register_loggers", "relay_race", "run_workers"]


def _chinese_comments(code: str, comments: dict[str, str]) -> str:
    """``code`` with its English comments replaced by Chinese ones (each must be there: the source may change)."""
    for english, chinese in comments.items():
        if english not in code:
            raise ValueError(f"the comment {english!r} is no longer in the code shown")
        code = code.replace(english, chinese)
    return code


# -- 03a.array-moves -----------------------------------------------------------------

_MOVES_N = 6


def _judge_moves(answer: Any) -> str | None:
    answer = whole_number(answer)
    if answer is None:
        return tr("answer with a whole number of element moves", "请用一个整数作答：元素移动的次数")
    expected = count_moves(lambda n: ArrayQueue(), _MOVES_N)
    if answer == expected:
        return None
    if answer == 0:
        return tr(
            "pop(0) is not free: the elements behind the first one shift one slot left",
            "pop(0) 并非没有代价：排在第一个后面的元素都要向左挪一格",
        )
    if answer == _MOVES_N * _MOVES_N:
        return tr(
            "not n per receive: count the elements *behind* the head, and the queue shrinks as you go",
            "不是每次 receive 都移动 n 个：只数队头*后面*的元素，而且队列会越来越短",
        )
    if answer == _MOVES_N * (_MOVES_N + 1) // 2:
        return tr(
            "close: the last receive finds nothing behind the head, and the first finds n - 1, not n",
            "接近了：最后一次 receive 时队头后面已经没有元素，第一次时后面是 n - 1 个，不是 n 个",
        )
    return tr(
        "add up, receive by receive, how many elements stand behind the one taken",
        "逐次累加：每次 receive 时，被取走的元素后面还有几个元素",
    )


register(
    Exercise(
        id="03a.array-moves",
        title=Text("Predict the cost of draining a list", "预测清空一个列表的代价"),
        kind="predict",
        prompt=Text(
            textwrap.dedent("""\
            ArrayQueue.receive is list.pop(0), and q.moves counts the elements that shift one slot left.
            What is q.moves at the end?

            """),
            textwrap.dedent("""\
            ArrayQueue.receive 就是 list.pop(0)，q.moves 统计向左挪动一格的元素个数。
            程序结束时 q.moves 是多少？

            """),
        )
        + textwrap.indent(
            textwrap.dedent(f"""\
            q = ArrayQueue()
            for i in range({_MOVES_N}):
                q.send(i)
            for _ in range({_MOVES_N}):
                q.receive()
            q.moves"""),
            "    ",
        ),
        judge=_judge_moves,
        hints=[
            Text(
                f"The first receive finds {_MOVES_N} elements and takes the first: how many stand behind it?",
                f"第一次 receive 时队列里有 {_MOVES_N} 个元素，它取走第一个：后面还有几个？",
            ),
            Text(
                "The receives find 6, 5, 4, 3, 2, 1 elements; each moves all but the one it takes.",
                "每次 receive 时队列里依次有 6、5、4、3、2、1 个元素；除了被取走的那个，其余的都要挪动。",
            ),
        ],
        solution_text=Text(
            "answer = 15\n# 15 = 5 + 4 + 3 + 2 + 1 + 0, that is n(n-1)/2 for n = 6: the cost grows as n².",
            "answer = 15\n# 15 = 5 + 4 + 3 + 2 + 1 + 0，即 n = 6 时的 n(n-1)/2：代价按 n² 增长。",
        ),
        reference=15,
        wrong_answers=[0, 36, 21, 6, "15", 21.0, 15.5],
    )
)


# -- 03a.ring-receive ----------------------------------------------------------------


@dataclass
class Ring:
    """A ring buffer kept as ``slots`` (fixed length), ``head`` (index of the
    oldest message) and ``count`` (messages held); the next free slot is
    ``(head + count) % len(slots)``.

    >>> ring = Ring.empty(3)
    >>> ring.send("a"); ring.send("b")
    >>> ring
    Ring(slots=['a', 'b', None], head=0, count=2)
    """

    slots: list[Any] = field(default_factory=list)
    head: int = 0
    count: int = 0

    @classmethod
    def empty(cls, capacity: int) -> Ring:
        return cls([None] * capacity)

    def send(self, msg: Any) -> None:
        if self.count == len(self.slots):
            raise QueueFull(f"the ring is full ({len(self.slots)} slots)")
        self.slots[(self.head + self.count) % len(self.slots)] = msg
        self.count += 1


def _reference_receive(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    msg = ring.slots[ring.head]
    ring.slots[ring.head] = None
    ring.head = (ring.head + 1) % len(ring.slots)
    ring.count -= 1
    return msg


def _receive_without_wrap(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    msg = ring.slots[ring.head]
    ring.slots[ring.head] = None
    ring.head += 1
    ring.count -= 1
    return msg


def _receive_newest(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    last = (ring.head + ring.count - 1) % len(ring.slots)
    msg = ring.slots[last]
    ring.slots[last] = None
    ring.count -= 1
    return msg


def _receive_keeping_slot(ring: Ring) -> Any:
    if ring.count == 0:
        raise QueueEmpty("the ring is empty")
    msg = ring.slots[ring.head]
    ring.head = (ring.head + 1) % len(ring.slots)
    ring.count -= 1
    return msg


def _receive_without_count(ring: Ring) -> Any:
    msg = ring.slots[ring.head]
    ring.slots[ring.head] = None
    ring.head = (ring.head + 1) % len(ring.slots)
    return msg


def _receive_resetting_head(ring: Ring) -> Any:
    msg = _reference_receive(ring)
    if ring.count == 0:
        ring.head = 0
    return msg


def _receive_raising_queue_empty(ring: Ring) -> Any:
    if ring.count == 0:
        raise queue.Empty
    return _reference_receive(ring)


def _receive_returning_none_when_empty(ring: Ring) -> Any:
    if ring.count == 0:
        return None
    return _reference_receive(ring)


def _judge_ring(receive: Any) -> str | None:
    if not callable(receive):
        return tr(
            "pass your function itself to ac.check: ring_receive, without quotes or parentheses",
            "请把函数本身传给 ac.check：直接写 ring_receive，不加引号，也不加括号",
        )
    ring = Ring.empty(3)
    ring.send("a")
    ring.send("b")
    got = receive(ring)
    if got == "b":
        return tr(
            "that is the newest message; a queue gives the oldest first, the one at ring.head",
            "这是最新的消息；队列应当先给出最早的消息，也就是 ring.head 处的那条",
        )
    if got != "a":
        return tr(
            f"the first receive after sending 'a', 'b' should give 'a', yours gave {got!r}",
            f"发送 'a'、'b' 之后，第一次 receive 应当得到 'a'，你的函数得到的是 {got!r}",
        )
    if ring.count != 1:
        return tr(
            "after a receive the ring holds one message fewer: update ring.count",
            "receive 之后环里少了一条消息：请更新 ring.count",
        )
    if ring.head != 1:
        return tr(
            "after a receive the oldest message is in the next slot: move ring.head on by one",
            "receive 之后，最早的消息在下一个槽位：把 ring.head 向前移一格",
        )
    if ring.slots[0] is not None:
        return tr(
            "set the freed slot to None, so the ring does not keep the message alive",
            "把腾出的槽位设为 None，免得环一直引用着这条消息、让它无法被回收",
        )
    ring = Ring.empty(3)
    ring.send("a")
    receive(ring)
    if ring.head == 0 and ring.count == 0:
        return tr(
            "when the ring became empty your receive set ring.head back to 0: move head on by one (with %), "
            "do not reset it",
            "环变空时，你的 receive 把 ring.head 重置成了 0：应当把 head 向前移一格（用 %），不要重置它",
        )
    # Around the end of the array and back to slot 0.
    ring = Ring.empty(3)
    taken = []
    try:
        for msg in "abc":
            ring.send(msg)
        taken += [receive(ring), receive(ring)]
        for msg in "de":
            ring.send(msg)
        taken += [receive(ring) for _ in range(3)]
    except IndexError:
        return tr(
            "ring.head ran past the last slot: it must wrap around to 0 (use % len(ring.slots))",
            "ring.head 越过了最后一个槽位：它必须绕回 0（用 % len(ring.slots)）",
        )
    if taken != list("abcde"):
        return tr(
            f"sending a..e with receives in between, the receives gave {taken}; they must keep FIFO order",
            f"依次发送 a..e、中间穿插 receive，receive 得到的是 {taken}；它们必须保持先进先出（FIFO）的顺序",
        )
    if ring.head != 5 % 3:
        return tr(
            "ring.head must wrap around to 0 after the last slot (use % len(ring.slots))",
            "过了最后一个槽位，ring.head 必须绕回 0（用 % len(ring.slots)）",
        )
    tiny = Ring.empty(1)
    for msg in ("x", "y"):
        tiny.send(msg)
        if receive(tiny) != msg or tiny.count != 0 or tiny.head != 0:
            return tr(
                "a ring of one slot must work too: send, receive, send, receive",
                "只有一个槽位的环也必须能用：send、receive、send、receive",
            )
    before = Ring.empty(2)
    try:
        got = receive(before)
    except QueueEmpty:
        pass
    except queue.Empty:
        return tr(
            "on an empty ring raise ac.QueueEmpty (asyncomm's), not the standard library's queue.Empty",
            "环为空时要抛出 ac.QueueEmpty（asyncomm 的），而不是标准库的 queue.Empty",
        )
    except IndexError:
        return tr(
            "on an empty ring raise ac.QueueEmpty (check ring.count first), not IndexError",
            "环为空时要抛出 ac.QueueEmpty（先检查 ring.count），而不是 IndexError",
        )
    else:
        return tr(
            f"receive on an empty ring must raise ac.QueueEmpty; yours returned {got!r}",
            f"对空环 receive 必须抛出 ac.QueueEmpty；你的函数返回了 {got!r}",
        )
    if before != Ring.empty(2):
        return tr(
            "a receive that raises QueueEmpty must leave the ring as it was",
            "抛出 QueueEmpty 的 receive 必须让环保持原样",
        )
    return None


register(
    Exercise(
        id="03a.ring-receive",
        title=Text("Write a ring buffer's receive", "为环形缓冲区写 receive"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
            A Ring (from asyncomm.course.exercises.ch03) holds `slots` (a list of fixed length), `head` (index of
            the oldest message) and `count` (how many messages it holds). Its send writes at
            (head + count) % len(slots). Write ring_receive(ring) that:
              * raises ac.QueueEmpty if the ring is empty;
              * otherwise returns the oldest message, sets its slot to None, moves head on by one
                (wrapping around to 0 after the last slot) and lowers count by one."""),
            textwrap.dedent("""\
            Ring（来自 asyncomm.course.exercises.ch03）保存着 `slots`（长度固定的列表）、`head`（最早那条消息的
            下标）和 `count`（它存了几条消息）。它的 send 写到 (head + count) % len(slots) 处。
            请写出 ring_receive(ring)：
              * 环为空时抛出 ac.QueueEmpty；
              * 否则返回最早的消息，把它的槽位设为 None，把 head 向前移一格
                （过了最后一个槽位就绕回 0），并把 count 减一。"""),
        ),
        judge=_judge_ring,
        hints=[
            Text(
                "The oldest message is ring.slots[ring.head]. Everything else is bookkeeping: head, count, the slot.",
                "最早的消息是 ring.slots[ring.head]。剩下的只是更新记录：head、count 和那个槽位。",
            ),
            Text(
                "ring.head = (ring.head + 1) % len(ring.slots) wraps around; check ring.count == 0 first.",
                "ring.head = (ring.head + 1) % len(ring.slots) 会绕回开头；先检查 ring.count == 0。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            def ring_receive(ring):
                if ring.count == 0:
                    raise ac.QueueEmpty("the ring is empty")
                msg = ring.slots[ring.head]
                ring.slots[ring.head] = None          # do not keep the message alive
                ring.head = (ring.head + 1) % len(ring.slots)
                ring.count -= 1
                return msg"""),
            textwrap.dedent("""\
            def ring_receive(ring):
                if ring.count == 0:
                    raise ac.QueueEmpty("the ring is empty")
                msg = ring.slots[ring.head]
                ring.slots[ring.head] = None          # 不再引用这条消息，让它可以被回收
                ring.head = (ring.head + 1) % len(ring.slots)   # 过了最后一个槽位就绕回 0
                ring.count -= 1
                return msg"""),
        ),
        reference=_reference_receive,
        wrong_answers=[
            _receive_without_wrap,
            _receive_newest,
            _receive_keeping_slot,
            _receive_without_count,
            _receive_returning_none_when_empty,
            _receive_resetting_head,
            _receive_raising_queue_empty,
            "ring_receive",
        ],
    )
)


# -- 03a.closure-in-a-loop -------------------------------------------------------------


def register_loggers(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    """The buggy code of ``03a.closure-in-a-loop``: one callback per name,
    meant to append its own name to ``log`` when the registry is triggered."""
    for name in names:
        registry.register(lambda: log.append(name))  # noqa: B023 - the bug this exercise is about


def _reference_loggers(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    for name in names:
        registry.register(lambda name=name: log.append(name))


def _loggers_at_registration(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    for name in names:
        log.append(name)
        registry.register(lambda: None)


def _loggers_in_one_callback(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    registry.register(lambda: log.extend(names))


def _loggers_calling_now(registry: CallbackRegistry, names: list[str], log: list[str]) -> None:
    for name in names:
        registry.register(log.append(name))  # type: ignore[type-var, func-returns-value]


def _judge_loggers(fixed: Any) -> str | None:
    if not callable(fixed):
        return tr(
            "set fixed to your corrected function itself: fixed = register_loggers (no parentheses)",
            "把 fixed 设为你改好的函数本身：fixed = register_loggers（不要加括号）",
        )
    for names in (["a", "b", "c"], ["x"], ["first", "second"], []):
        registry, log = CallbackRegistry(), list[str]()
        fixed(registry, list(names), log)
        if log:
            return tr(
                "the names were logged while registering: the callbacks must do the logging, "
                "later, when the registry is triggered",
                "名字在注册时就被记下了：应当由回调来记录，而且是稍后、在注册表被触发的时候",
            )
        if len(registry) != len(names):
            return tr(
                f"register one callback per name: for {names} you registered {plural(len(registry), 'callback')}",
                f"每个名字注册一个回调：对 {names}，你注册了 {len(registry)} 个回调",
            )
        registry.trigger()
        if len(set(names)) > 1 and log == [names[-1]] * len(names):
            return tr(
                "every callback logged the last name: a callback made in the loop (a lambda or a nested def) "
                "looks `name` up when it runs, after the loop has ended. Capture the current value when you "
                "create it",
                "每个回调记下的都是最后一个名字：在循环里创建的回调（lambda 或嵌套的 def）在运行时才去查 `name`，"
                "而那时循环早已结束。请在创建回调时就把当前的值捕获下来",
            )
        if log != names:
            return tr(f"triggering once with names {names} logged {log}", f"名字为 {names} 时，触发一次记下的是 {log}")
        registry.trigger()
        if log != names * 2:
            return tr(
                "triggering twice must log the names twice: keep the callbacks registered",
                "触发两次就必须把名字记两遍：回调要一直留在注册表里",
            )
    return None


register(
    Exercise(
        id="03a.closure-in-a-loop",
        title=Text("Fix the closure-in-a-loop bug", "修复循环中闭包的 bug"),
        kind="fix",
        prompt=Text(
            textwrap.dedent("""\
            register_loggers should register one callback per name; each appends ITS name to `log` when the
            registry is triggered. But triggering after register_loggers(registry, ["a", "b", "c"], log)
            logs ['c', 'c', 'c']. Write a fixed version (same signature) and set `fixed` to it.

            """),
            textwrap.dedent("""\
            register_loggers 本应为每个名字注册一个回调；注册表被触发时，每个回调把“它自己的”名字追加到 `log`。
            但执行 register_loggers(registry, ["a", "b", "c"], log) 之后再触发，记下的却是 ['c', 'c', 'c']。
            请写出修好的版本（签名不变），并把 `fixed` 设为它。

            """),
        )
        + textwrap.indent(
            textwrap.dedent("""\
            def register_loggers(registry, names, log):
                for name in names:
                    registry.register(lambda: log.append(name))"""),
            "    ",
        ),
        judge=_judge_loggers,
        hints=[
            Text(
                "A lambda or a def inside the loop does not copy `name`; it remembers the variable and reads it "
                "when called. "
                "By the time the registry is triggered, the loop has finished and `name` is the last one.",
                "循环里的 lambda 或 def 并不复制 `name`；它记住的是这个变量，等到被调用时才去读它的值。"
                "等注册表被触发时，循环早已结束，`name` 已是最后一个名字。",
            ),
            Text(
                "Bind the value at creation time: a default argument (lambda name=name: ..., or "
                "def callback(name=name): ...) or functools.partial(log.append, name).",
                "在创建时绑定值：用默认参数（lambda name=name: ...，或 def callback(name=name): ...），"
                "或者用 functools.partial(log.append, name)。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            def register_loggers(registry, names, log):
                for name in names:
                    registry.register(lambda name=name: log.append(name))   # default value taken now

            # or: registry.register(functools.partial(log.append, name))
            fixed = register_loggers"""),
            textwrap.dedent("""\
            def register_loggers(registry, names, log):
                for name in names:
                    registry.register(lambda name=name: log.append(name))   # 默认值在此刻就取好了

            # 或者：registry.register(functools.partial(log.append, name))
            fixed = register_loggers"""),
        ),
        reference=_reference_loggers,
        wrong_answers=[register_loggers, _loggers_at_registration, _loggers_in_one_callback, _loggers_calling_now],
    )
)


# -- 03a.loop-order --------------------------------------------------------------------

LOOP_PROGRAM = textwrap.dedent("""\
    import asyncio

    async def main():
        loop = asyncio.get_running_loop()
        log = []

        def a():
            log.append("A")
            loop.call_soon(log.append, "C")     # scheduled while the loop runs A

        loop.call_later(2, log.append, "later 2s")
        loop.call_soon(a)
        loop.call_later(1, log.append, "later 1s")
        loop.call_soon(log.append, "B")
        log.append("main")
        await asyncio.sleep(3)
        return log

    log = ac.VirtualClock().run(main())
""")


def _judge_loop(answer: Any) -> str | None:
    items = as_list(answer)
    if items is None or not all(isinstance(item, str) for item in items):
        return tr(
            "answer with the list `log` holds at the end, a list of strings such as ['main', ...]",
            "请用程序结束时 `log` 中的列表作答，它是一个字符串列表，例如 ['main', ...]",
        )
    expected = _run_loop_program()
    appended = {clean_text(text): text for text in expected}  # every append runs: these are all the strings
    for item in items:
        if clean_text(item) not in appended:
            return tr(f"{item!r} is not a string the program appends", f"{item!r} 不是这段程序追加的字符串")
    answer = [appended[clean_text(item)] for item in items]
    if answer == expected:
        return None
    if sorted(answer) != sorted(expected):
        return tr(
            "every append in the program runs exactly once: list each of them",
            "程序中的每个 append 都恰好运行一次：把它们全部列出来",
        )
    if answer[0] != "main":
        return tr(
            "call_soon and call_later do not call anything now: they schedule. main keeps running "
            "until it awaits; only then can the loop run callbacks",
            "call_soon 和 call_later 不会立刻调用任何东西：它们只是安排。main 会一直运行到它 await 为止；"
            "只有那时，事件循环才能运行回调",
        )
    if answer.index("later 1s") < answer.index("C") or answer.index("later 2s") < answer.index("C"):
        return tr(
            "timers run when their time comes; callbacks that are ready (call_soon) run first",
            "定时器要等时间到了才运行；已经就绪的回调（call_soon）先运行",
        )
    if answer.index("later 2s") < answer.index("later 1s"):
        return tr(
            "timers run in the order of their due time, not the order they were scheduled",
            "定时器按到期时间的先后运行，而不是按安排它们的顺序",
        )
    return tr(
        "the ready queue is FIFO, and C joins it only when A runs", "就绪队列是先进先出的，而 C 要等 A 运行时才加入"
    )


def _run_loop_program() -> list[str]:
    return _run(LOOP_PROGRAM, "log")  # type: ignore[no-any-return]


register(
    Exercise(
        id="03a.loop-order",
        title=Text("Predict the event loop's order", "预测事件循环的执行顺序"),
        kind="predict",
        prompt=Text("What does `log` hold at the end of this program?\n\n", "这段程序结束时，`log` 里是什么？\n\n")
        + Text(
            LOOP_PROGRAM,
            _chinese_comments(LOOP_PROGRAM, {"# scheduled while the loop runs A": "# 在事件循环运行 A 时安排"}),
        ),
        judge=_judge_loop,
        hints=[
            Text(
                "The loop runs one thing at a time. While main runs, nothing else does; callbacks wait in the "
                "ready queue (call_soon) or among the timers (call_later).",
                "事件循环一次只运行一件事。main 运行时，别的都不运行；回调在就绪队列（call_soon）"
                "或定时器（call_later）中等待。",
            ),
            Text(
                "When main awaits, the loop runs the ready queue in FIFO order - A, then B. A adds C to the end "
                "of the queue. Then the timers, by due time.",
                "main 一 await，事件循环就按先进先出的顺序运行就绪队列：先 A，后 B。A 把 C 加到队尾。"
                "然后才是定时器，按到期时间运行。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            answer = ['main', 'A', 'B', 'C', 'later 1s', 'later 2s']
            # call_soon / call_later only schedule; main appends 'main' and then awaits. The ready queue
            # holds a, then B (FIFO); running a appends 'A' and puts C at the back of the queue, behind B.
            # Then the clock jumps to t=1 ('later 1s') and t=2 ('later 2s'); main wakes at t=3."""),
            textwrap.dedent("""\
            answer = ['main', 'A', 'B', 'C', 'later 1s', 'later 2s']
            # call_soon / call_later 只是安排；main 追加 'main' 后 await。就绪队列里先是 a，后是 B（先进先出）；
            # 运行 a 时追加 'A'，并把 C 放到队尾，排在 B 后面。
            # 然后时钟跳到 t=1（'later 1s'）和 t=2（'later 2s'）；main 在 t=3 醒来。"""),
        ),
        reference=["main", "A", "B", "C", "later 1s", "later 2s"],
        wrong_answers=[
            ("MAIN", "a", "c", "b", "Later 1s", "later 2s"),
            ["main", "A", "B", "C", "later 1", "later 2"],
            ["main", "A", "B", "C", "later 1s", "later 2s", "main"],
            ["later 2s", "A", "later 1s", "B", "main", "C"],
            ["A", "C", "B", "main", "later 1s", "later 2s"],
            ["main", "A", "C", "B", "later 1s", "later 2s"],
            ["main", "A", "B", "later 1s", "C", "later 2s"],
            ["main", "A", "B", "C", "later 2s", "later 1s"],
            ["main", "A", "B", "later 1s", "later 2s"],
        ],
    )
)


# -- 03a.finish-order ------------------------------------------------------------------


async def relay_race(rt: Any) -> None:
    """The program of exercise 03a.finish-order."""

    async def runner(legs: int, pause: float) -> None:
        for _ in range(legs):
            await rt.sleep(pause)

    first = rt.create_task(runner(3, 0), name="first")  # three turns, no waiting
    second = rt.create_task(runner(1, 1.0), name="second")  # one leg of 1 s
    third = rt.create_task(runner(2, 0), name="third")  # two turns, no waiting
    await second
    await first
    await third


_RELAY_RACE = textwrap.dedent(inspect.getsource(relay_race))
_RELAY_RACE_COMMENTS = {
    '"""The program of exercise 03a.finish-order."""': '"""练习 03a.finish-order 的程序。"""',
    "# three turns, no waiting": "# 三轮，不等待",
    "# one leg of 1 s": "# 一段，耗时 1 s",
    "# two turns, no waiting": "# 两轮，不等待",
}


def _judge_finish_order(answer: Any) -> str | None:
    from asyncomm.teaching.eventloop import TeachingLoop

    items = as_list(answer)
    if items is None or not all(isinstance(name, str) for name in items):
        return tr(
            "answer with a list of task names in the order they finish, such as ['x', 'y', 'z', 'main']",
            "请按任务完成的先后，用任务名的列表作答，例如 ['x', 'y', 'z', 'main']",
        )
    loop = TeachingLoop()
    loop.run(relay_race)
    expected = loop.finished
    answer = [clean_text(name) for name in items]
    if answer == expected:
        return None
    if sorted(answer) != sorted(expected):
        return tr(
            "list every task exactly once, main included: first, second, third and main",
            "每个任务恰好列一次，包括 main：first、second、third 和 main",
        )
    if answer[-1] != "main":
        return tr(
            "main awaits the other three tasks, one after the other: it cannot finish before all of them have finished",
            "main 依次 await 另外三个任务：在它们全部完成之前，main 不可能完成",
        )
    if answer.index("second") < answer.index("first"):
        return tr(
            "second sleeps a whole second; sleep(0) only hands the turn on, with no time passing",
            "second 要睡整整一秒；sleep(0) 只是把轮次让出去，时间并没有流逝",
        )
    return tr(
        "the ready queue is first in, first out: after each sleep(0) a task goes to the back of the line; "
        "step the program in the loop widget",
        "就绪队列先进先出：每次 sleep(0) 之后，任务都回到队尾排队；在事件循环控件里单步执行这段程序看看",
    )


register(
    Exercise(
        id="03a.finish-order",
        title=Text("Predict the order tasks finish", "预测任务完成的顺序"),
        kind="predict",
        prompt=(
            Text(
                "In which order do the tasks of this program finish (main included)?\n\n",
                "这段程序的各个任务按什么顺序完成（包括 main）？\n\n",
            )
            + Text(_RELAY_RACE, _chinese_comments(_RELAY_RACE, _RELAY_RACE_COMMENTS))
        ),
        judge=_judge_finish_order,
        hints=[
            Text(
                "Tasks start in the order they were created, and each sleep(0) sends a task to the back of the "
                "ready queue.",
                "任务按创建的顺序开始运行，每次 sleep(0) 都把任务送回就绪队列的队尾。",
            ),
            Text(
                "No time passes until every ready task has run: the 1 s sleeper finishes only after the clock jumps.",
                "所有就绪的任务都运行过之后，时间才会流逝：睡 1 s 的那个任务要等时钟跳过去才能完成。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            answer = ['third', 'first', 'second', 'main']
            # Round 1: first, second (starts its 1 s sleep), third each take a turn. Round 2: first, third.
            # Round 3: first; third finishes (2 turns). Round 4: first finishes (3 turns). The clock jumps to
            # t=1: second finishes; main, waiting for them in turn, finishes last.
            # Check it: loop_widget(relay_race) and step through."""),
            textwrap.dedent("""\
            answer = ['third', 'first', 'second', 'main']
            # 第 1 轮：first、second（开始睡 1 s）、third 各运行一次。第 2 轮：first、third。
            # 第 3 轮：first；third 完成（2 轮）。第 4 轮：first 完成（3 轮）。时钟跳到
            # t=1：second 完成；main 依次等待它们，最后完成。
            # 验证一下：loop_widget(relay_race)，然后单步执行。"""),
        ),
        reference=["third", "first", "second", "main"],
        wrong_answers=[
            ["first", "second", "third", "main"],
            ["first", "third", "second", "main"],
            ["second", "third", "first", "main"],
            ["third", "first", "second"],
            ["third", "first", "main", "second"],
            ("Main", "Third", "First", "Second"),
            ("First", "Third", "Second", "Main"),
        ],
    )
)


# -- 03a.worker -----------------------------------------------------------------------

#: The jobs the check sends: each is the seconds of (waiting) work it takes. Binary fractions, so sums are exact.
WORKER_JOBS = [0.5, 0.25, 0.75, 0.25, 0.5, 1.0]
_SEND_GAP = 0.125  # the producer pauses before each job, so a worker finds the queue empty but not closed


def run_workers(worker: Any, jobs: list[float], workers: int = 1) -> tuple[list[Any], list[float], float]:
    """Run ``workers`` copies of ``worker(queue, done)`` against a producer that sends ``jobs`` (pausing
    1/8 s before each) and then closes the queue, on a VirtualClock. Returns what each worker returned,
    ``done`` and the virtual time at the end.

    >>> async def worker(jobs, done):
    ...     handled = 0
    ...     async for job in jobs:
    ...         await asyncio.sleep(job)
    ...         done.append(job)
    ...         handled += 1
    ...     return handled
    >>> run_workers(worker, [1.0, 0.5], workers=2)
    ([1, 1], [0.5, 1.0], 1.125)
    """
    clock = VirtualClock(deadlock_after=0.25)

    async def main() -> tuple[list[Any], list[float], float]:
        queue: AsyncMessageQueue[float] = AsyncMessageQueue(name="jobs")
        done: list[float] = []

        async def producer() -> None:
            for job in jobs:
                await asyncio.sleep(_SEND_GAP)
                await queue.send(job)
            queue.close()

        _, *returned = await asyncio.gather(producer(), *(worker(queue, done) for _ in range(workers)))
        return returned, done, asyncio.get_running_loop().time()

    return clock.run(main())


async def worker(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    while True:
        try:
            job = await jobs.receive()
        except QueueClosed:  # closed and drained: no job will ever come
            return handled
        await asyncio.sleep(job)  # the work: waiting, like a call to another service
        done.append(job)
        handled += 1


async def _worker_without_loop(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    job = await jobs.receive()
    await asyncio.sleep(job)
    done.append(job)
    return 1


async def _worker_letting_closed_escape(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    while True:
        job = await jobs.receive()
        await asyncio.sleep(job)
        done.append(job)
        handled += 1


async def _worker_stopping_when_empty(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    while len(jobs):
        job = await jobs.receive()
        await asyncio.sleep(job)
        done.append(job)
        handled += 1
    return handled


async def _worker_not_waiting(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    async for job in jobs:
        done.append(job)
        handled += 1
    return handled


async def _worker_handling_all_at_once(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    async def handle(job: float) -> None:
        await asyncio.sleep(job)
        done.append(job)

    started = [asyncio.ensure_future(handle(job)) async for job in jobs]
    await asyncio.gather(*started)
    return len(started)


async def _worker_appending_before_the_work(jobs: AsyncMessageQueue[float], done: list[float]) -> int:
    handled = 0
    async for job in jobs:
        done.append(job)
        await asyncio.sleep(job)
        handled += 1
    return handled


async def _worker_returning_nothing(jobs: AsyncMessageQueue[float], done: list[float]) -> None:
    async for job in jobs:
        await asyncio.sleep(job)
        done.append(job)


def _blocking_worker(jobs: Any, done: list[float]) -> int:
    return 0


_WORKER_SOLUTION = as_notebook_code(textwrap.dedent(inspect.getsource(worker)), ["QueueClosed"]).replace(
    "jobs: AsyncMessageQueue[float], done: list[float]) -> int", "jobs, done)"
)
_WORKER_COMMENTS = {
    "# closed and drained: no job will ever come": "# 队列已关闭且已取空：再也不会有任务了",
    "# the work: waiting, like a call to another service": "# 工作本身：等待，就像调用另一个服务",
}


def _judge_worker(fn: Any) -> str | None:
    if not inspect.iscoroutinefunction(fn):
        return tr(
            "worker must be an `async def` function taking (jobs, done), so that the loop can run it as a task",
            "worker 必须是一个接受 (jobs, done) 的 `async def` 函数，这样事件循环才能把它作为任务来运行",
        )
    for workers in (1, 2):
        expected_counts, expected_done, expected_end = run_workers(worker, WORKER_JOBS, workers)
        try:
            counts, done, end = run_workers(fn, WORKER_JOBS, workers)
        except QueueClosed:
            return tr(
                "your worker let ac.QueueClosed escape: that is how a closed queue, once drained, says 'no more "
                "jobs'. Catch it and return (or loop with `async for job in jobs`, which stops there)",
                "你的 worker 没有捕获 ac.QueueClosed，让它抛了出去：已关闭的队列被取空后，"
                "就是用它来表示“没有更多任务了”。"
                "请捕获它并返回（或者用 `async for job in jobs` 循环，它在那里会自己停下）",
            )
        with_n = tr(f"with {workers} worker{'s' if workers > 1 else ''}", f"{workers} 个 worker 时")
        if sorted(done) != sorted(expected_done):
            if len(done) < len(expected_done):
                return tr(
                    f"{with_n}, {len(done)} of the {len(expected_done)} jobs were done: the worker stopped "
                    f"too early. A queue that is empty for a moment is not closed; keep receiving until "
                    f"receive() raises ac.QueueClosed",
                    f"{with_n}，{len(expected_done)} 个任务只完成了 {len(done)} 个：worker 停得太早了。"
                    f"队列暂时为空并不等于已关闭；要一直 receive，直到 receive() 抛出 ac.QueueClosed",
                )
            return tr(
                f"{with_n}, `done` holds {done}: append each job once, after its work",
                f"{with_n}，`done` 里是 {done}：每个任务在完成它的工作之后追加一次",
            )
        if end <= len(WORKER_JOBS) * _SEND_GAP:  # the producer's own time: no job's work waited
            return tr(
                f"{with_n}, the jobs took no time at all: do each job's work with `await asyncio.sleep(job)` "
                f"(time.sleep would block the whole loop, and a sleep that is not awaited never runs)",
                f"{with_n}，任务完全没有花时间：每个任务的工作要用 `await asyncio.sleep(job)` 来做"
                f"（time.sleep 会阻塞整个事件循环，而没有 await 的 sleep 根本不会运行）",
            )
        if done != expected_done or end != expected_end:
            if end < expected_end:
                return tr(
                    f"{with_n}, the jobs overlapped (they ended at t={end:g}): a worker handles one job at a "
                    f"time: await its work before taking the next job",
                    f"{with_n}，任务之间发生了重叠（在 t={end:g} 结束）：一个 worker 一次只处理一个任务："
                    f"先 await 完它的工作，再取下一个任务",
                )
            return tr(
                f"{with_n}, the jobs finished in the order {done}: append a job to `done` when its work is "
                f"finished, not when it is received",
                f"{with_n}，任务完成的顺序是 {done}：要在任务的工作完成时才把它追加到 `done`，而不是在收到它时",
            )
        if any(isinstance(count, bool) or not isinstance(count, int) for count in counts):
            return tr(
                f"return how many jobs this worker handled (a whole number); {with_n} they returned {counts}",
                f"请返回这个 worker 处理了多少个任务（一个整数）；{with_n}，它们返回的是 {counts}",
            )
        if counts != expected_counts:
            return tr(
                f"{with_n}, they returned {counts}, but handled {len(done)} jobs: count each job the worker handles",
                f"{with_n}，它们返回的是 {counts}，但一共处理了 {len(done)} 个任务：worker 每处理一个任务就要计数",
            )
    return None


register(
    Exercise(
        id="03a.worker",
        title=Text("Write a worker that stops when its queue is closed", "写一个在队列关闭时停下的 worker"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
            Write `async def worker(jobs, done)`. `jobs` is an ac.AsyncMessageQueue of jobs; a job is a number
            of seconds of waiting work. The worker takes one job at a time until the queue is closed:
              * receive a job; do its work with `await asyncio.sleep(job)`; then append the job to `done`;
              * when receive() raises ac.QueueClosed (closed, and every job taken), return how many jobs
                this worker handled.
            The check runs it on a VirtualClock, alone and as two workers sharing one queue, against a
            producer that pauses before each job and closes the queue after the last one."""),
            textwrap.dedent("""\
            请写出 `async def worker(jobs, done)`。`jobs` 是存放任务的 ac.AsyncMessageQueue；一个任务就是一个数，
            表示要等待多少秒的工作。worker 一次取一个任务，直到队列关闭：
              * receive 一个任务；用 `await asyncio.sleep(job)` 完成它的工作；然后把这个任务追加到 `done`；
              * 当 receive() 抛出 ac.QueueClosed（队列已关闭，且所有任务都已取走）时，返回这个 worker
                处理了多少个任务。
            检查会在 VirtualClock 上运行它：单独一个 worker，以及两个 worker 共享一个队列；生产者在每个任务前
            停顿一下，发完最后一个任务后关闭队列。"""),
        ),
        judge=_judge_worker,
        hints=[
            Text(
                "A worker is a loop around receive(). An empty queue only means 'wait': receive() waits for the next "
                "job. Only ac.QueueClosed means 'stop'.",
                "worker 就是一个围绕 receive() 的循环。队列为空只意味着“等一等”：receive() 会等下一个任务。"
                "只有 ac.QueueClosed 才意味着“停下”。",
            ),
            Text(
                "while True: try: job = await jobs.receive() / except ac.QueueClosed: return handled; then "
                "await asyncio.sleep(job), done.append(job), handled += 1. (`async for job in jobs:` does the "
                "receive and the stop for you.)",
                "while True: try: job = await jobs.receive() / except ac.QueueClosed: return handled；然后 "
                "await asyncio.sleep(job)、done.append(job)、handled += 1。（`async for job in jobs:` "
                "会替你完成 receive 和停下这两件事。）",
            ),
        ],
        solution_text=Text(_WORKER_SOLUTION, _chinese_comments(_WORKER_SOLUTION, _WORKER_COMMENTS))
        + Text(
            "\n# or: async for job in jobs: ... (it stops by itself when receive() raises ac.QueueClosed)\n",
            "\n# 或者：async for job in jobs: ...（receive() 抛出 ac.QueueClosed 时它会自己停下）\n",
        ),
        reference=worker,
        wrong_answers=[
            _worker_without_loop,
            _worker_letting_closed_escape,
            _worker_stopping_when_empty,
            _worker_not_waiting,
            _worker_handling_all_at_once,
            _worker_appending_before_the_work,
            _worker_returning_nothing,
            _blocking_worker,
        ],
    )
)
