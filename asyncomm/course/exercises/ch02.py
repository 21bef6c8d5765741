"""Chapter 02b exercises: the three patterns' semantics (02a's, on async from zero, are in ``ch02a``).

* ``02b.fifo-order`` (predict): a bounded queue's contents after a run of operations.
* ``02b.producer-consumer`` (write): an asyncio consumer that stops at the producer's sentinel.
* ``02b.five-clicks`` (predict): the queue widget after five clicks.
* ``02b.listener-order`` (predict): who is called when, with a ``once`` listener
  and a listener removed during a trigger.
* ``02b.count-listener`` (write): register a listener that counts an event.

The predict exercises run their own code to know the answer, so prompt and
truth cannot drift apart.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import textwrap
from collections.abc import Callable, Collection, Hashable
from typing import Any

from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, as_list, clean_text, register
from asyncomm.errors import TriggerFailed
from asyncomm.events import EventBus
from asyncomm.i18n import Text, tr

__all__ = ["FIFO_PROGRAM", "LISTENER_PROGRAM"]


def _run(program: str, result: str) -> Any:
    import asyncomm as ac

    namespace: dict[str, Any] = {"ac": ac}
    exec(program, namespace)
    return eval(result, namespace)


def _read_messages(answer: Any, sent: Collection[str], form: str) -> list[str] | str:
    """The learner's list (or tuple) of messages, each cleaned as 00.try-me does (case, spaces, quotes),
    or the problem with it: ``form`` when it is not a list of strings, or the first item that is not a
    message the program sends."""
    items = as_list(answer)
    if items is None or not all(isinstance(item, str) for item in items):
        return form
    for item in items:
        if clean_text(item) not in sent:
            return tr(f"{item!r} is not a message the program sends", f"{item!r} 不是这段程序发送的消息")
    return [clean_text(item) for item in items]


# -- 02b.fifo-order ----------------------------------------------------------------

FIFO_PROGRAM = textwrap.dedent("""\
    q = ac.MessageQueue(maxsize=3)
    q.send("a"); q.send("b"); q.send("c")
    q.receive()
    q.send("d")
    try:
        q.send_nowait("e")
    except ac.QueueFull:
        pass
    q.receive()
    q.send("f")
""")


#: Every message FIFO_PROGRAM sends (or tries to), in order.
FIFO_SENT = tuple(re.findall(r'send(?:_nowait)?\("(\w+)"\)', FIFO_PROGRAM))


def _judge_fifo(answer: Any) -> str | None:
    answer = _read_messages(
        answer,
        FIFO_SENT,
        tr(
            "answer with a list of the queued messages, oldest first, such as ['x', 'y']",
            "用一个列表作答，列出队列中的消息，最早的在前，例如 ['x', 'y']",
        ),
    )
    if isinstance(answer, str):
        return answer
    expected = _run(FIFO_PROGRAM, "q.snapshot()")
    if answer == expected:
        return None
    if "e" in answer:
        return tr(
            "the queue holds at most 3 messages: what does send_nowait do when there is no room?",
            "这个队列最多容纳 3 条消息：没有空位时，send_nowait 会怎么做？",
        )
    if len(answer) != len(expected):
        return tr(
            "count again: each send adds one message, each receive takes one, a refused send adds none",
            "再数一遍：每次 send 加入一条消息，每次 receive 取走一条，被拒绝的 send 什么也不加",
        )
    if sorted(answer) == sorted(expected):
        return tr(
            "right messages, wrong order: list them oldest first (the one receive() would return next)",
            "消息对了，顺序错了：最早的消息排在最前（也就是 receive() 下一次会返回的那条）",
        )
    return tr(
        "receive takes the *oldest* message (first in, first out): replay the lines one by one",
        "receive 取走的是*最早*的消息（先进先出）：一行一行地重放这段程序",
    )


register(
    Exercise(
        id="02b.fifo-order",
        title=Text("Predict a bounded queue's contents", "预测有界队列的内容"),
        kind="predict",
        prompt=Text(
            "After this program, what does q.snapshot() return (the queued messages, oldest first)?\n\n",
            "运行这段程序后，q.snapshot() 返回什么（队列中的消息，最早的在前）？\n\n",
        )
        + FIFO_PROGRAM,
        judge=_judge_fifo,
        hints=[
            Text(
                "Write the queue's contents after every line, like a trace: ['a'], ['a', 'b'], ...",
                "像追踪记录（trace）那样，写下每一行之后队列的内容：['a']、['a', 'b']……",
            ),
            Text(
                "receive() takes from the front (the oldest); send_nowait raises QueueFull at once when "
                "3 messages are queued, and the refused message is not queued.",
                "receive() 从队头取（最早的那条）；队列中已有 3 条消息时，send_nowait 会立即抛出 QueueFull，"
                "被拒绝的消息不会进入队列。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            answer = ['c', 'd', 'f']
            # a, b, c are queued; receive() takes 'a' -> [b, c]; send d -> [b, c, d] (full: 3 of 3);
            # send_nowait('e') raises QueueFull and 'e' is not queued; receive() takes 'b' -> [c, d];
            # send f -> [c, d, f]."""),
            textwrap.dedent("""\
            answer = ['c', 'd', 'f']
            # a、b、c 进入队列；receive() 取走 'a' -> [b, c]；send d -> [b, c, d]（满了：3 条中的 3 条）；
            # send_nowait('e') 抛出 QueueFull，'e' 没有进入队列；receive() 取走 'b' -> [c, d]；
            # send f -> [c, d, f]。"""),
        ),
        reference=["c", "d", "f"],
        wrong_answers=[
            ["a", "b", "f"],
            ["c", "d", "e", "f"],
            ["f", "d", "c"],
            ["d", "e", "f"],
            "c d f",
            ("F", "D", "C"),
            ["c", "d", "g"],
            ["c", "d", 6],
        ],
    )
)


# -- 02b.listener-order --------------------------------------------------------------

LISTENER_PROGRAM = textwrap.dedent("""\
    bus = ac.EventBus()
    calls = []

    def a(n):
        calls.append(f"a{n}")

    def b(n):
        calls.append(f"b{n}")
        bus.remove("tick", c)          # removes c while the trigger is running

    def c(n):
        calls.append(f"c{n}")

    bus.register("tick", a)
    bus.once("tick", b)                # b runs on the next trigger only
    bus.register("tick", c)
    bus.trigger("tick", 1)
    bus.trigger("tick", 2)
""")


#: The strings LISTENER_PROGRAM's listeners can append: a listener's name and the trigger's number.
LISTENER_STRINGS = frozenset(f"{name}{n}" for name in "abc" for n in (1, 2))


def _judge_listeners(answer: Any) -> str | None:
    items = as_list(answer)
    if items is None or not all(isinstance(call, str) for call in items):
        return tr(
            "answer with the list `calls` holds at the end, a list of strings such as ['a1', ...]",
            "用程序结束时 `calls` 中的列表作答，它是一个字符串列表，例如 ['a1', ...]",
        )
    for item in items:
        if clean_text(item) not in LISTENER_STRINGS:
            return tr(
                f"{item!r} is not a string the program appends: each listener appends its name and the "
                f"trigger's number, such as 'a1'",
                f"{item!r} 不是这段程序会追加的字符串：每个监听器追加的是它的名字加上这次触发的编号，例如 'a1'",
            )
    calls = [clean_text(item) for item in items]
    expected = _run(LISTENER_PROGRAM, "calls")
    if calls == expected:
        return None
    repeated = sorted({call for call in calls if calls.count(call) > 1})
    if repeated:
        return tr(
            f"{repeated[0]!r} appears more than once: a listener runs at most once per trigger",
            f"{repeated[0]!r} 出现了不止一次：每次触发中，一个监听器最多运行一次",
        )
    if "b2" in calls:
        return tr(
            "b was registered with once(): after it has run one time, is it still registered?",
            "b 是用 once() 注册的：它运行过一次之后，还处于注册状态吗？",
        )
    if "b1" not in calls:
        return tr(
            "b is registered with once(): it does run one time, on the first trigger",
            "b 是用 once() 注册的：它确实会运行一次，就在第一次触发时",
        )
    if "c2" in calls:
        return tr(
            "b removed c during the first trigger: does c still hear the second one?",
            "b 在第一次触发时移除了 c：c 还能收到第二次触发吗？",
        )
    if "c1" not in calls:
        return tr(
            "a trigger calls the listeners it had when it started (a snapshot): "
            "a listener removed during a trigger still gets that trigger",
            "一次触发调用的是它开始时已有的那些监听器（一份快照）：在触发过程中被移除的监听器，仍会收到这一次触发",
        )
    if "a1" not in calls or "a2" not in calls:
        return tr(
            "a is registered with register(), and never removed: it hears every trigger",
            "a 是用 register() 注册的，而且从未被移除：它会收到每一次触发",
        )
    return tr(
        "listeners run in the order they were registered; write down calls after each trigger",
        "监听器按注册的顺序运行；每次触发之后，写下 calls 的内容",
    )


register(
    Exercise(
        id="02b.listener-order",
        title=Text("Predict the listener call order", "预测监听器的调用顺序"),
        kind="predict",
        prompt=Text(
            "What does the list `calls` hold after this program?\n\n",
            "运行这段程序后，列表 `calls` 里是什么？\n\n",
        )
        + LISTENER_PROGRAM,
        judge=_judge_listeners,
        hints=[
            Text(
                "Listeners run in registration order, each with the event's data (here 1, then 2).",
                "监听器按注册顺序运行，每个都以事件的数据为参数（这里先是 1，然后是 2）。",
            ),
            Text(
                "A trigger works on a snapshot of the listeners taken when it starts: one removed meanwhile "
                "still runs in that trigger, and is gone from the next one. A once listener is gone after it ran.",
                "一次触发基于它开始时拍下的监听器快照：其间被移除的监听器仍会在这次触发中运行，"
                "下一次触发时才不在了。once 监听器运行过一次之后就不在了。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            answer = ['a1', 'b1', 'c1', 'a2']
            # Trigger 1 calls a, b, c (the snapshot taken when it started) with 1; b is a once listener,
            # so it is removed as it runs, and it removes c - but c is in this trigger's snapshot, so it
            # still runs. Trigger 2 finds only a."""),
            textwrap.dedent("""\
            answer = ['a1', 'b1', 'c1', 'a2']
            # 第 1 次触发以 1 为参数调用 a、b、c（触发开始时拍下的快照）；b 是 once 监听器，
            # 所以它在运行时就被移除了，它还移除了 c —— 但 c 在这次触发的快照里，所以 c
            # 仍然会运行。第 2 次触发时只剩下 a。"""),
        ),
        reference=["a1", "b1", "c1", "a2"],
        wrong_answers=[
            ["a1", "b1", "a2"],
            ["a1", "b1", "c1", "a2", "b2"],
            ["a1", "b1", "c1", "a2", "c2"],
            ["a1", "c1", "b1", "a2"],
            "a1 b1 c1 a2",
            ("a1", "c1", "a2"),
            ["a1", "b1", "c1", "a2", "a2"],
            ["a(1)", "b(1)", "c(1)", "a(2)"],
            ["b1", "c1"],
        ],
    )
)


# -- 02b.count-listener --------------------------------------------------------------


def _reference_counter(bus: EventBus, event: Hashable) -> Callable[[], int]:
    count = 0

    def listener(*args: Any, **kwargs: Any) -> None:
        nonlocal count
        count += 1

    bus.register(event, listener)
    return lambda: count


def _counter_without_data(bus: EventBus, event: Hashable) -> Callable[[], int]:
    calls: list[None] = []
    bus.register(event, lambda: calls.append(None))
    return lambda: len(calls)


def _counter_returning_a_number(bus: EventBus, event: Hashable) -> Any:
    calls: list[None] = []
    bus.register(event, lambda *args, **kwargs: calls.append(None))
    return len(calls)


_shared_calls: list[None] = []


def _counter_with_shared_state(bus: EventBus, event: Hashable) -> Callable[[], int]:
    bus.register(event, lambda *args, **kwargs: _shared_calls.append(None))
    return lambda: len(_shared_calls)


def _counter_without_nonlocal(bus: EventBus, event: Hashable) -> Callable[[], int]:
    count = 0

    def listener(*args: Any, **kwargs: Any) -> None:
        count += 1  # noqa: F823, F841 - the bug: without nonlocal, count is the listener's own (unbound) variable

    bus.register(event, listener)
    return lambda: count


def _counter_registered_once(bus: EventBus, event: Hashable) -> Callable[[], int]:
    calls: list[None] = []
    bus.once(event, lambda *args, **kwargs: calls.append(None))
    return lambda: len(calls)


def _counter_on_wrong_event(bus: EventBus, event: Hashable) -> Callable[[], int]:
    calls: list[None] = []
    bus.register("tick", lambda *args, **kwargs: calls.append(None))
    return lambda: len(calls)


def _judge_counter(register_counter: Any) -> str | None:
    if not callable(register_counter):
        return tr(
            "pass your function itself to ac.check: register_counter, without quotes or parentheses",
            "请把函数本身传给 ac.check：直接写 register_counter，不加引号，也不加括号",
        )
    bus = EventBus()
    count = register_counter(bus, "saved")
    if not callable(count):
        return tr(
            "return a function that reports the count when called later (a closure over your counter), "
            "not the count itself: at registration time it is always 0",
            "要返回一个函数，之后调用它时报告计数（一个引用你的计数器的闭包），而不是计数本身：注册的时候，计数总是 0",
        )
    if bus.listener_count("saved") != 1:
        return tr(
            f"register exactly one listener for the event (found {bus.listener_count('saved')} "
            f"on 'saved'); use the event you were given",
            f"为这个事件只注册一个监听器（在 'saved' 上找到了 {bus.listener_count('saved')} 个）；使用传给你的那个事件",
        )
    if count() != 0:
        return tr("before any trigger the count must be 0", "在任何触发之前，计数必须是 0")
    for args, kwargs in [((), {}), (("a.txt",), {}), (("b.txt", 2), {"mode": "w"})]:
        try:
            bus.trigger("saved", *args, **kwargs)
        except TriggerFailed as failed:
            return _listener_failed(failed.exceptions[0], args, kwargs)
    bus.trigger("opened", "c.txt")
    if count() == 1:
        return tr(
            "the count stopped at 1: register with register(), which keeps the listener, not once()",
            "计数停在了 1：要用 register() 注册，它会一直保留监听器，而不是用 once()",
        )
    if count() != 3:
        return tr(
            f"after 3 triggers of 'saved' (and 1 of 'opened') your count says {count()}",
            f"触发了 3 次 'saved'（以及 1 次 'opened'）之后，你的计数是 {count()}",
        )
    other = register_counter(bus, "saved")
    bus.trigger("saved")
    if (count(), other()) != (4, 1):
        return tr(
            "two counters must not share their count: keep it inside register_counter "
            "(a local variable the listener closes over), not in a global",
            "两个计数器不能共用同一个计数：把计数放在 register_counter 内部"
            "（一个被监听器闭包引用的局部变量），而不是放在全局变量里",
        )
    return None


def _listener_failed(error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The hint for a counting listener that raised ``error`` on ``bus.trigger("saved", *args, **kwargs)``."""
    call = ", ".join(["'saved'", *map(repr, args), *(f"{key}={value!r}" for key, value in kwargs.items())])
    raised = tr(
        f"your listener raised {type(error).__name__} ({error}) on bus.trigger({call})",
        f"你的监听器在 bus.trigger({call}) 时抛出了 {type(error).__name__}（{error}）",
    )
    if isinstance(error, NameError):  # UnboundLocalError is a NameError
        return tr(
            f"{raised}: assigning to register_counter's counter inside the listener (count += 1) makes it "
            f"a new local variable of the listener; declare the counter `nonlocal` (nonlocal count), or keep "
            f"it in a mutable, such as a list or a dict",
            f"{raised}：在监听器内部给 register_counter 的计数器赋值（count += 1），会让它变成监听器自己的"
            f"一个新局部变量；把计数器声明为 `nonlocal`（nonlocal count），或者把它放在一个可变对象里，"
            f"比如列表或字典",
        )
    if isinstance(error, TypeError):
        return tr(
            f"{raised}: accept whatever the trigger passes, with def listener(*args, **kwargs)",
            f"{raised}：用 def listener(*args, **kwargs) 接收触发时传来的任何数据",
        )
    return raised


register(
    Exercise(
        id="02b.count-listener",
        title=Text("Write a listener that counts", "写一个计数的监听器"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
            Write register_counter(bus, event): it registers ONE listener on `bus` for `event` that counts
            how many times the event is triggered, and returns a function of no arguments that tells the
            count so far. Triggers may carry any data (bus.trigger("saved", "a.txt", mode="w")).

                count = register_counter(bus, "saved")
                bus.trigger("saved", "a.txt"); bus.trigger("saved", "b.txt")
                count()   # -> 2"""),
            textwrap.dedent("""\
            写一个 register_counter(bus, event)：它在 `bus` 上为 `event` 只注册一个监听器，统计这个事件被触发的次数，
            并返回一个不带参数的函数，调用它就能得到到目前为止的计数。触发时可以携带任何数据
            （bus.trigger("saved", "a.txt", mode="w")）。

                count = register_counter(bus, "saved")
                bus.trigger("saved", "a.txt"); bus.trigger("saved", "b.txt")
                count()   # -> 2"""),
        ),
        judge=_judge_counter,
        hints=[
            Text(
                "Keep the count in a local variable of register_counter; the listener updates it (nonlocal) "
                "and the function you return reads it. Both are closures over the same variable.",
                "把计数放在 register_counter 的一个局部变量里；监听器更新它（nonlocal），"
                "你返回的函数读取它。两者都是引用同一个变量的闭包。",
            ),
            Text(
                "def listener(*args, **kwargs): accepts whatever data the trigger sends. "
                "Register it with bus.register(event, listener); return lambda: count.",
                "def listener(*args, **kwargs): 可以接收触发时发送的任何数据。"
                "用 bus.register(event, listener) 注册它；然后 return lambda: count。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            def register_counter(bus, event):
                count = 0

                def listener(*args, **kwargs):   # the event's data does not matter here
                    nonlocal count
                    count += 1

                bus.register(event, listener)
                return lambda: count"""),
            textwrap.dedent("""\
            def register_counter(bus, event):
                count = 0

                def listener(*args, **kwargs):   # 这里事件的数据无关紧要
                    nonlocal count
                    count += 1

                bus.register(event, listener)
                return lambda: count"""),
        ),
        reference=_reference_counter,
        wrong_answers=[
            _counter_without_data,
            _counter_returning_a_number,
            _counter_with_shared_state,
            _counter_registered_once,
            _counter_on_wrong_event,
            _counter_without_nonlocal,
        ],
    )
)


# -- 02b.five-clicks ----------------------------------------------------------------

FIVE_CLICKS = [("send", "a"), ("send", "b"), ("send", "c"), ("receive",), ("send", "d")]
FIVE_CLICKS_SENT = tuple(args[0] for verb, *args in FIVE_CLICKS if verb == "send")


def _replay_clicks(maxsize: int = 2) -> list[Any]:
    from asyncomm.teaching.stepping import QueueStepper

    model = QueueStepper(maxsize=maxsize)
    for verb, *args in FIVE_CLICKS:
        getattr(model, verb)(*args)
    return model.items


def _judge_five_clicks(answer: Any) -> str | None:
    answer = _read_messages(
        answer,
        FIVE_CLICKS_SENT,
        tr(
            "answer with a list of the messages the widget shows, front first, such as ['x']",
            "用一个列表作答，列出控件显示的消息，队头在前，例如 ['x']",
        ),
    )
    if isinstance(answer, str):
        return answer
    expected = _replay_clicks()
    if answer == expected:
        return None
    if "c" in answer:
        return tr(
            "the queue holds 2 messages: what does the widget's Send do when there is no room?",
            "这个队列最多容纳 2 条消息：没有空位时，控件的“发送”按钮会怎么做？",
        )
    if "a" in answer:
        return tr(
            "Receive takes the message at the front: the oldest one",
            "“接收”取走的是队头的消息，也就是最早的那条",
        )
    if len(answer) != len(expected):
        return tr(
            "count again: a refused Send adds nothing, a Receive takes one",
            "再数一遍：被拒绝的“发送”不会加入任何消息，一次“接收”取走一条",
        )
    return tr(
        "right messages? check the order: the front (oldest) comes first",
        "消息对了吗？检查一下顺序：队头（最早的）排在最前",
    )


register(
    Exercise(
        id="02b.five-clicks",
        title=Text("Predict the queue widget after five clicks", "预测点击五次后的队列控件"),
        kind="predict",
        prompt=Text(
            "A queue widget with maxsize=2 gets five clicks: Send 'a', Send 'b', Send 'c', Receive, Send 'd'.\n"
            "The widget's Send never waits: on a full queue it refuses the message, as send_nowait does.\n"
            "What does it show in the queue, front (oldest) first? Predict, then click it through to check.",
            "在一个 maxsize=2 的队列控件上依次点击五次："
            "发送 'a'、发送 'b'、发送 'c'、接收、发送 'd'。\n"
            "控件的“发送”从不等待：队列满时，它会拒绝这条消息，就像 send_nowait 那样。\n"
            "最后队列中显示什么（队头，即最早的在前）？先预测，再一步步点击来验证。",
        ),
        judge=_judge_five_clicks,
        hints=[
            Text(
                "Track the boxes after each click: ['a'], ['a', 'b'], then the third Send meets a full queue...",
                "记下每次点击后的方框：['a']、['a', 'b']，然后第三次“发送”遇到了满的队列……",
            ),
            Text(
                "A refused Send adds nothing; Receive takes the oldest message, at the front.",
                "被拒绝的“发送”不会加入任何消息；“接收”取走队头最早的那条消息。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            answer = ['b', 'd']
            # ['a'] -> ['a', 'b'] -> Send 'c' refused (QueueFull: 2 of 2) -> Receive takes 'a' -> ['b']
            # -> Send 'd' -> ['b', 'd']."""),
            textwrap.dedent("""\
            answer = ['b', 'd']
            # ['a'] -> ['a', 'b'] -> 发送 'c' 遭到拒绝（QueueFull：2 条已满）-> 接收取走 'a' -> ['b']
            # -> 发送 'd' -> ['b', 'd']。"""),
        ),
        reference=["b", "d"],
        wrong_answers=[["a", "b"], ["c", "d"], ["b", "c", "d"], ["d", "b"], ("D", "B"), ["b", "e"], "b d"],
    )
)


# -- 02b.producer-consumer -----------------------------------------------------------------------------------------

#: What the check's producer sends, one a second, then the sentinel None.
ORDERS = ("tea", "cake", "jam")


async def _reference_consumer(queue: asyncio.Queue[Any], served: list[Any]) -> None:
    while (order := await queue.get()) is not None:
        served.append(order)


async def _consumer_serving_the_sentinel(queue: asyncio.Queue[Any], served: list[Any]) -> None:
    while True:
        order = await queue.get()
        served.append(order)
        if order is None:
            return


async def _consumer_that_never_stops(queue: asyncio.Queue[Any], served: list[Any]) -> None:
    while True:
        order = await queue.get()
        if order is not None:
            served.append(order)


async def _consumer_stopping_when_empty(queue: asyncio.Queue[Any], served: list[Any]) -> None:
    while not queue.empty():
        served.append(await queue.get())


async def _consumer_without_waiting(queue: asyncio.Queue[Any], served: list[Any]) -> None:
    while (order := queue.get_nowait()) is not None:
        served.append(order)


async def _consumer_not_awaiting(queue: asyncio.Queue[Any], served: list[Any]) -> None:
    for _ in ORDERS:
        served.append(queue.get())


def _plain_consumer(queue: Any, served: list[Any]) -> None:
    served.extend(ORDERS)


def _judge_consumer(consumer: Any) -> str | None:
    if not callable(consumer):
        return tr(
            "pass your function itself to ac.check: consumer, without quotes or parentheses",
            "请把函数本身传给 ac.check：直接写 consumer，不加引号，也不加括号",
        )
    if not inspect.iscoroutinefunction(consumer):
        return tr(
            "define consumer with `async def`, so that it can await the queue",
            "用 `async def` 定义 consumer，这样它才能 await 队列",
        )
    served: list[Any] = []

    async def main() -> str | None:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        task = asyncio.create_task(consumer(queue, served))
        for order in ORDERS:
            await asyncio.sleep(1)  # an order a second: in between, the queue is empty but not finished
            await queue.put(order)
        await queue.put(None)
        done, _ = await asyncio.wait([task], timeout=10)
        if not done:
            return "still waiting"
        task.result()  # the consumer's own error, if any, is the mistake to report
        return None

    try:
        state = VirtualClock().run(main())
    except asyncio.QueueEmpty:
        return tr(
            "get_nowait() raised QueueEmpty: between two orders the queue is empty for now. "
            "`await queue.get()` waits for the next order instead",
            "get_nowait() 抛出了 QueueEmpty：两份订单之间，队列暂时是空的。"
            "改用 `await queue.get()`，它会等待下一份订单",
        )
    for item in served:
        if inspect.iscoroutine(item):
            item.close()
    if any(inspect.iscoroutine(item) for item in served):
        return tr(
            "queue.get() is a coroutine: `await queue.get()` waits for the next order and gives it to you",
            "queue.get() 是一个协程：`await queue.get()` 会等到下一份订单，并把它交给你",
        )
    if None in served:
        return tr(
            'None is the producer\'s sentinel, "no more orders", not an order: stop there without serving it',
            "None 是生产者的哨兵值，意思是“没有更多订单了”，它不是订单：到这里就停下，不要处理它",
        )
    if state == "still waiting":
        return tr(
            f"your consumer served {served} and then kept waiting after the sentinel: when get() returns None, "
            f"return (or break out of the loop)",
            f"你的消费者处理了 {served}，然后在哨兵值之后还在继续等待：当 get() 返回 None 时，"
            f"就 return（或者跳出循环）",
        )
    if list(served) != list(ORDERS):
        return tr(
            f"your consumer served {served} and stopped: an empty queue only means the next order has not come "
            f"yet. Wait for it with `await queue.get()`; only the sentinel means the end",
            f"你的消费者处理了 {served} 就停下了：队列为空只说明下一份订单还没到。"
            f"用 `await queue.get()` 等待它；只有哨兵值才表示结束",
        )
    return None


register(
    Exercise(
        id="02b.producer-consumer",
        title=Text("Write a consumer that stops at the sentinel", "写一个遇到哨兵值就停下的消费者"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
            Write `async def consumer(queue, served)`. `queue` is an asyncio.Queue; a producer puts an order
            into it every second, then None, the sentinel that means "no more orders". The consumer appends
            each order to the list `served`, in order, and returns once it gets the sentinel (which it does
            not serve). The check runs it beside its own producer, on a virtual clock."""),
            textwrap.dedent("""\
            写一个 `async def consumer(queue, served)`。`queue` 是一个 asyncio.Queue；生产者每秒往里放一份订单，
            最后放入 None，也就是表示“没有更多订单了”的哨兵值。消费者按顺序把每份订单追加到列表 `served` 中，
            一拿到哨兵值就返回（哨兵值本身不处理）。检查时会在虚拟时钟上，把它和检查程序自带的生产者一起运行。"""),
        ),
        judge=_judge_consumer,
        hints=[
            Text(
                "Between two orders the queue is empty, and that does not mean the producer is done: "
                "`await queue.get()` waits for the next one. Only the sentinel means the end.",
                "两份订单之间队列是空的，但这并不表示生产者已经结束：`await queue.get()` 会等待下一份。"
                "只有哨兵值才表示结束。",
            ),
            Text(
                "while (order := await queue.get()) is not None: served.append(order)",
                "可以这样写：while (order := await queue.get()) is not None: served.append(order)",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            async def consumer(queue, served):
                while (order := await queue.get()) is not None:   # None: the producer is done
                    served.append(order)"""),
            textwrap.dedent("""\
            async def consumer(queue, served):
                while (order := await queue.get()) is not None:   # None：生产者已经结束
                    served.append(order)"""),
        ),
        reference=_reference_consumer,
        wrong_answers=[
            _consumer_serving_the_sentinel,
            _consumer_that_never_stops,
            _consumer_stopping_when_empty,
            _consumer_without_waiting,
            _consumer_not_awaiting,
            _plain_consumer,
            "consumer",
        ],
    )
)
