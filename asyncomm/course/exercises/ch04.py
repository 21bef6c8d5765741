"""Exercises of chapter 04 (the seed's code example): predict its crash, find its bugs, fix its clear and its trigger.

>>> from asyncomm import exercises
>>> exercises.get("04.find-bugs").check({"prints-method"}).outcome.value
'incorrect'
"""

from __future__ import annotations

import inspect
import queue
import textwrap
import threading
import time
from typing import Any

from asyncomm.course.exercises._core import Exercise, clean_text, describe_error, register
from asyncomm.course.locator import load_seed_example
from asyncomm.i18n import Text, tr
from asyncomm.teaching.interleave import race_clear_during_receive

__all__ = ["SEED_BUGS", "SEED_BUG_MENU", "SEED_BUG_MENU_ZH"]

# The menu mixes real bugs of the seed's program with claims that are false;
# its order is fixed and says nothing about which is which.
SEED_BUG_MENU: dict[str, str] = {
    "prints-method": "main() prints the send_message method instead of the message it sent",
    "fifo-broken": "queue.Queue may hand messages out in a different order than they were put in",
    "trigger-drops-data": "trigger_event() calls every listener without the event's data",
    "receive-blocks-forever": "receive_message() on an empty queue blocks its caller forever (no timeout, no close)",
    "put-not-thread-safe": "send_message() is not safe to call from two threads at once",
    "clear-skips-lock": "clear_queue() empties the Queue's inner deque without taking the Queue's lock: it races "
    "with put/get, wakes no blocked sender and leaves unfinished_tasks counting dropped messages",
    "no-event-names": "EventDriver has no event names: every listener hears every trigger",
    "listeners-random-order": "trigger_event() calls the listeners in an unpredictable order",
    "remove-during-trigger": "a listener that removes itself during trigger_event() makes the next listener "
    "miss that trigger",
    "shadows-module": "in main() the variable `queue` hides the queue module",
    "remove-ignores-missing": "remove_listener() silently ignores a listener that was never registered",
    "thread-not-joined": "the thread is started but never joined: main() may end before the callback ran",
    "not-a-callback": "the 'callback' is just a function run in a new thread: no work finishes and calls it back",
    "never-received": "nothing ever receives the message main() puts in the queue: the thread is handed its own "
    "copy, and clear_queue() (once the crash is fixed) throws the queued one away",
}

#: The same menu in Chinese (the labels stay as they are: they are the answer's vocabulary).
SEED_BUG_MENU_ZH: dict[str, str] = {
    "prints-method": "main() 打印出来的是 send_message 方法本身，而不是它发送的消息",
    "fifo-broken": "queue.Queue 交出消息的顺序可能和放入的顺序不同",
    "trigger-drops-data": "trigger_event() 调用每个监听器时都不传事件的数据",
    "receive-blocks-forever": "在空队列上调用 receive_message() 会让调用方永远阻塞（没有超时，也没有关闭）",
    "put-not-thread-safe": "两个线程同时调用 send_message() 是不安全的",
    "clear-skips-lock": "clear_queue() 不拿 Queue 的锁就清空了它内部的 deque：会与 put/get 产生竞态，"
    "不唤醒被阻塞的发送方，并且 unfinished_tasks 仍把被丢弃的消息算在内",
    "no-event-names": "EventDriver 没有事件名：每个监听器都会听到每一次触发",
    "listeners-random-order": "trigger_event() 调用监听器的顺序不可预测",
    "remove-during-trigger": "一个监听器在 trigger_event() 期间移除自己，会让下一个监听器错过这次触发",
    "shadows-module": "在 main() 里，变量 `queue` 遮蔽了 queue 模块",
    "remove-ignores-missing": "remove_listener() 会悄悄忽略一个从未注册过的监听器",
    "thread-not-joined": "线程启动后从未被 join：main() 可能在回调运行之前就结束了",
    "not-a-callback": "所谓“回调”只是在新线程里运行的一个函数：并没有哪项工作完成后回头调用它",
    "never-received": "main() 放进队列的消息从来没有人接收：线程拿到的是自己的一份副本，"
    "而 clear_queue()（修好崩溃之后）会把队列里的那条扔掉",
}

SEED_BUGS: frozenset[str] = frozenset(
    {
        "prints-method",
        "trigger-drops-data",
        "receive-blocks-forever",
        "clear-skips-lock",
        "no-event-names",
        "remove-during-trigger",
        "shadows-module",
        "thread-not-joined",
        "not-a-callback",
        "never-received",
    }
)


# -- 04.predict-crash ------------------------------------------------------------


def _exception_name(answer: Any) -> str | None:
    """The class name in any reasonable form of answer, lower case: a class, an instance, or a string such as
    'TypeError', ' typeerror', 'builtins.TypeError', 'TypeError()'; None if it names no class."""
    if isinstance(answer, BaseException):
        answer = type(answer)
    if isinstance(answer, type):
        return answer.__name__.lower()
    if not isinstance(answer, str):
        return None
    name = "".join(clean_text(answer).split())  # 'Type Error' too
    if name.endswith(")") and "(" in name:  # TypeError() or TypeError('...'): the class is before the call
        name = name[: name.index("(")]
    return name.rsplit(".", 1)[-1] or None  # builtins.TypeError, queue.Empty


def _judge_crash(answer: Any) -> str | None:
    name = _exception_name(answer)
    if name is None:
        return tr(
            "give an exception class such as ValueError (or its name as a string)",
            "请给出一个异常类，例如 ValueError（或者它的名字，写成字符串）",
        )
    if name == "typeerror":
        return None
    if name == "empty":
        return tr(
            "nothing in main() waits with a timeout, so queue.Empty is never raised; look at the event driver",
            "main() 里没有任何带超时的等待，所以不会抛出 queue.Empty；看看事件驱动那部分",
        )
    if name == "attributeerror":
        return tr(
            "every attribute main() uses exists (printing a method is wrong, but allowed); "
            "look at how listeners are called",
            "main() 用到的每个属性都存在（打印一个方法虽然不对，但是允许的）；看看监听器是怎样被调用的",
        )
    return tr(
        "not that one: compare how trigger_event() calls a listener with the parameters callback_function takes",
        "不是这个：对比一下 trigger_event() 调用监听器的方式，和 callback_function 需要的参数",
    )


register(
    Exercise(
        id="04.predict-crash",
        title=Text("How does the seed's main() end?", "原文的 main() 会怎样结束？"),
        kind="predict",
        prompt=Text(
            "Read the seed's program and predict, before running it: main() stops with an exception. "
            "Which exception class? Answer with the class, e.g. `answer = ValueError`.",
            "阅读原文的程序，在运行之前预测：main() 会因一个异常而停止。是哪个异常类？"
            "请用这个类作答，例如 `answer = ValueError`。",
        ),
        judge=_judge_crash,
        hints=[
            Text(
                "Follow main() line by line and stop at the first call whose arguments do not fit the function.",
                "逐行跟踪 main()，在第一个参数与函数对不上的调用处停下来。",
            ),
            Text(
                "event_driver.trigger_event() calls each listener as listener(); the listener is "
                "callback_function(message).",
                "event_driver.trigger_event() 以 listener() 的形式调用每个监听器；而这个监听器是 "
                "callback_function(message)。",
            ),
        ],
        solution_text=Text(
            "answer = TypeError\n"
            "# trigger_event() calls callback_function() with no argument, and callback_function needs\n"
            "# `message`:\n"
            "# TypeError: callback_function() missing 1 required positional argument: 'message'",
            "answer = TypeError\n"
            "# trigger_event() 调用 callback_function() 时不传任何参数，而 callback_function 需要\n"
            "# `message` 这个参数：\n"
            "# TypeError: callback_function() missing 1 required positional argument: 'message'",
        ),
        reference=TypeError,
        wrong_answers=[
            AttributeError,
            "Empty",
            NameError,
            42,
            ValueError("x"),
            "builtins.ValueError",
            "queue.Empty()",
            "",
            None,
        ],
    )
)


# -- 04.find-bugs ----------------------------------------------------------------


def _judge_bugs(answer: Any) -> str | None:
    if isinstance(answer, str):
        return tr(
            "give a set of labels such as {'label-one', 'label-two'}, not a single string",
            "请给出一个标签集合，例如 {'label-one', 'label-two'}，而不是单个字符串",
        )
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(x, str) for x in answer):
        return tr(
            "give a set of labels (strings) copied from the menu",
            "请给出一个标签（字符串）集合，标签要从上面的列表中复制",
        )
    chosen = set(answer)
    unknown = sorted(chosen - set(SEED_BUG_MENU))
    if unknown:
        listed = ", ".join(map(repr, unknown))
        return tr(f"not on the menu: {listed}; copy the labels exactly", f"列表里没有：{listed}；请原样复制标签")
    found = chosen & SEED_BUGS
    false_alarms = chosen - SEED_BUGS
    if found == SEED_BUGS and not false_alarms:
        return None
    message = f"you found {len(found)} of the {len(SEED_BUGS)} bugs and hazards"
    message_zh = f"{len(SEED_BUGS)} 个 bug 与隐患中，你找到了 {len(found)} 个"
    if false_alarms:
        verb = "describes" if len(false_alarms) == 1 else "describe"
        message += f"; {len(false_alarms)} of your labels {verb} something the code gets right"
        message_zh += f"；你选的标签中有 {len(false_alarms)} 个描述的是代码其实做对了的地方"
    return tr(message, message_zh)


def _menu_text(menu: dict[str, str] = SEED_BUG_MENU) -> str:
    width = max(map(len, menu))
    return "\n".join(f"  {label:<{width}}  {text}" for label, text in menu.items())


register(
    Exercise(
        id="04.find-bugs",
        title=Text("Find the seed's bugs and hazards", "找出原文程序中的 bug 与隐患"),
        kind="predict",
        prompt=Text(
            "Which of these statements about the seed's program are true - bugs, or hazards waiting to bite? "
            "Some are; the others describe something the code gets right. Answer with the set of labels, e.g. "
            "`answer = {'label-one', 'label-two'}`.\n\n" + _menu_text(),
            "下面这些关于原文程序的说法，哪些是对的：是 bug，或是迟早会出问题的隐患？有些说法是对的，"
            "其余的描述的是代码其实做对了的地方。请用标签集合作答，例如 "
            "`answer = {'label-one', 'label-two'}`。\n\n" + _menu_text(SEED_BUG_MENU_ZH),
        ),
        judge=_judge_bugs,
        hints=[
            Text(
                "When unsure, test the claim: a two-line experiment settles most of them, and "
                "help(queue.Queue) says what queue.Queue promises.",
                "拿不准时就动手验证：大多数说法用两行代码的实验就能判定，help(queue.Queue) 也写明了 "
                "queue.Queue 承诺了什么。",
            ),
            Text(
                "queue.Queue is documented as FIFO and thread-safe; a Python list keeps its order; list.remove "
                "raises ValueError for a missing item. Besides the crash you saw, look at what main() prints, what "
                "it starts and never waits for, and at what clear_queue() touches: self.queue.queue is the deque "
                "*inside* queue.Queue.",
                "文档写明 queue.Queue 是先进先出且线程安全的；Python 列表会保持顺序；对不存在的元素，list.remove "
                "会抛出 ValueError。除了你看到的崩溃，再看看 main() 打印了什么、启动了什么却从不等待，"
                "以及 clear_queue() 动了什么：self.queue.queue 是 queue.Queue *内部*的 deque。",
            ),
            Text(
                "Removing from a list while a for-loop walks it shifts the remaining items one place left.",
                "在 for 循环遍历列表的同时从中移除元素，会让剩下的元素整体左移一位。",
            ),
        ],
        solution_text=Text(
            "answer = {" + ", ".join(repr(b) for b in SEED_BUG_MENU if b in SEED_BUGS) + "}",
            "answer = {" + ", ".join(repr(b) for b in SEED_BUG_MENU if b in SEED_BUGS) + "}\n"
            "# 以上是全部真实的 bug 与隐患；其余四条（fifo-broken、put-not-thread-safe、listeners-random-order、\n"
            "# remove-ignores-missing）是误报：第 5.7 节用实验逐一验证了代码在这些方面是对的。",
        ),
        reference=set(SEED_BUGS),
        wrong_answers=[
            "prints-method",
            {"trigger-drops-data"},
            set(SEED_BUG_MENU),
            {"not-on-menu"},
            set(SEED_BUGS - {"remove-during-trigger"}),
        ],
    )
)


# -- 04.fix-clear ----------------------------------------------------------------


class _SafeMessageQueue:
    def __init__(self):
        self.queue = queue.Queue()

    def send_message(self, message):
        self.queue.put(message)

    def receive_message(self):
        return self.queue.get()

    def clear_queue(self):
        while True:  # take each message through the Queue's own lock, as a receiver would
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return
            self.queue.task_done()  # a dropped message is done: join() must not wait for it


class _LockOnly(_SafeMessageQueue):  # no race, but the bookkeeping still counts dropped messages
    def clear_queue(self):
        with self.queue.mutex:
            self.queue.queue.clear()


class _NoWakeUp(_SafeMessageQueue):  # no race, right count, but a blocked sender sleeps on
    def clear_queue(self):
        with self.queue.mutex:
            self.queue.unfinished_tasks -= len(self.queue.queue)
            self.queue.queue.clear()


class _NewQueue(_SafeMessageQueue):  # whoever waits on the old Queue keeps waiting there
    def clear_queue(self):
        self.queue = queue.Queue()


def _solution_source(cls: type, name: str) -> str:
    return textwrap.dedent(inspect.getsource(cls)).replace(cls.__name__, name)


def _zh_comments(source: str, comments: dict[str, str]) -> str:
    """``source`` with each English comment replaced by its Chinese one (the code itself is unchanged)."""
    for english, chinese in comments.items():
        if english not in source:
            raise ValueError(f"the solution has no comment {english!r}")
        source = source.replace(english, chinese)
    return source


_SAFE_SOLUTION = (
    "import queue\n\n\n" + _solution_source(_SafeMessageQueue, "SafeMessageQueue") + ("\n\nanswer = SafeMessageQueue\n")
)
_SAFE_COMMENTS_ZH = {
    "# take each message through the Queue's own lock, as a receiver would": (
        "# 像接收方那样，经由 Queue 自己的锁逐条取出消息"
    ),
    "# a dropped message is done: join() must not wait for it": "# 被丢弃的消息也算处理完了：join() 不能再等它",
}


#: How long the check gives a blocked sender to wake after clear_queue() (seconds); a woken one takes microseconds.
WAKE_TIMEOUT = 1.0


def _sender_woken(answer: type) -> str | None:
    """Block a sender on a full queue (maxsize 1), clear, and see whether the sender gets on."""
    mq = answer()
    bounded: queue.Queue[Any] = queue.Queue(maxsize=1)
    mq.queue = bounded
    mq.send_message("a")
    sender = threading.Thread(target=mq.send_message, args=("b",), daemon=True)
    sender.start()
    deadline = time.monotonic() + 5.0
    while len(bounded.not_full._waiters) != 1:  # type: ignore[attr-defined]  # CPython's list of sleepers
        if time.monotonic() > deadline or not sender.is_alive():
            raise RuntimeError("04.fix-clear: the test's sender never blocked on the full queue")
        time.sleep(0.001)
    mq.clear_queue()
    sender.join(WAKE_TIMEOUT)
    if not sender.is_alive():
        return None
    while bounded.qsize():  # make room on the test's own queue, and wake its sender, so the thread ends
        bounded.get_nowait()
    with bounded.not_full:
        bounded.not_full.notify_all()
    sender.join(5.0)
    if mq.queue is not bounded:
        return tr(
            "clear_queue() put a new Queue in self.queue: a sender already waiting on the old one is never woken "
            "(and a receiver there never gets a message); empty the queue you have",
            "clear_queue() 往 self.queue 里放了一个新的 Queue：已经在旧队列上等待的发送方永远不会被唤醒"
            "（在那里等待的接收方也永远收不到消息）；请清空你手上的这个队列",
        )
    return tr(
        "a sender waiting for room on a full queue was not woken by clear_queue(): emptying the deque does not "
        "notify it; take the messages out with get_nowait(), which wakes it as any receive does",
        "一个在满队列上等待空位的发送方没有被 clear_queue() 唤醒：清空 deque 不会通知它；"
        "请用 get_nowait() 把消息取出来，它会像任何一次接收一样唤醒发送方",
    )


def _judge_clear(answer: Any) -> str | None:
    if not isinstance(answer, type):
        return tr(
            "set answer to your class itself (answer = SafeMessageQueue), not an instance or a string",
            "请把 answer 设为你的类本身（answer = SafeMessageQueue），而不是它的实例或一个字符串",
        )
    for method in ("send_message", "receive_message", "clear_queue"):
        if not callable(getattr(answer, method, None)):
            return tr(
                f"your class has no method {method}(); keep the seed's methods",
                f"你的类没有 {method}() 方法；请保留原文的各个方法",
            )
    outcome = race_clear_during_receive(answer())
    if outcome.error is not None:
        error = describe_error(outcome.error)
        return tr(
            f"the race of section 5.4 still happens: the receiver raised {error}; "
            "clear_queue() must wait for the Queue's lock, as get() and put() do",
            f"第 5.4 节的竞态条件仍然会发生：接收方抛出了 {error}；"
            "clear_queue() 必须像 get() 和 put() 那样等待 Queue 的锁",
        )
    if outcome.received != "Hello, World!" or outcome.left:
        return tr(
            "with a receive under way, the receiver must get its message and the clear empty the rest",
            "在一次接收进行中时，接收方必须拿到它的消息，而清空操作要清掉其余的消息",
        )
    mq = answer()
    for message in ("a", "b", "c"):
        mq.send_message(message)
    mq.clear_queue()
    if mq.queue.qsize():
        left = mq.queue.qsize()
        return tr(
            f"clear_queue() left {left} of 3 messages in the queue",
            f"clear_queue() 在队列里留下了 3 条消息中的 {left} 条",
        )
    if mq.queue.unfinished_tasks:
        unfinished = mq.queue.unfinished_tasks
        return tr(
            f"queue.join() would wait for ever: the {unfinished} dropped messages still count as "
            "unfinished tasks; call task_done() once for each message you drop",
            f"queue.join() 会永远等下去：被丢弃的 {unfinished} 条消息仍被算作未完成任务；"
            "每丢弃一条消息，就调用一次 task_done()",
        )
    return _sender_woken(answer)


register(
    Exercise(
        id="04.fix-clear",
        title=Text("Fix clear_queue so it goes through the queue's lock", "修好 clear_queue，让它通过队列的锁来清空"),
        kind="fix",
        prompt=Text(
            "The seed's clear_queue() empties the deque inside queue.Queue behind the Queue's back. Fix it in the "
            "cell below (the seed's MessageQueue, renamed) so that: a receive under way still gets its message "
            "(the race above cannot happen); queue.join() does not wait for the dropped messages; a sender "
            "blocked on a full queue is woken. Then set `answer = SafeMessageQueue`.",
            "原文的 clear_queue() 绕过 Queue，直接清空了 queue.Queue 内部的 deque。请在下面的单元格里"
            "（即原文的 MessageQueue，换了个名字）修好它，使得：进行中的接收仍能拿到它的消息"
            "（上面的竞态条件不会发生）；"
            "queue.join() 不会等待被丢弃的消息；在满队列上被阻塞的发送方会被唤醒。"
            "然后设置 `answer = SafeMessageQueue`。",
        ),
        judge=_judge_clear,
        hints=[
            Text(
                "Could you empty the queue with the Queue's own public methods, one message at a time, until it "
                "says it is empty? Those methods take the lock, and wake blocked senders, for you.",
                "能不能只用 Queue 自己的公开方法，一次取一条消息，直到它说队列空了为止？"
                "这些方法会替你拿锁，也会替你唤醒被阻塞的发送方。",
            ),
            Text(
                "Loop: `self.queue.get_nowait()` until it raises `queue.Empty`; after each message, "
                "`self.queue.task_done()`, because a dropped message is done too.",
                "写一个循环：反复调用 `self.queue.get_nowait()`，直到它抛出 `queue.Empty`；每取出一条消息，"
                "就调用一次 `self.queue.task_done()`，因为被丢弃的消息也算处理完了。",
            ),
        ],
        solution_text=Text(_SAFE_SOLUTION, _zh_comments(_SAFE_SOLUTION, _SAFE_COMMENTS_ZH)),
        reference=_SafeMessageQueue,
        wrong_answers=[
            load_seed_example()["MessageQueue"],  # the seed's class, as published
            _LockOnly,
            _NoWakeUp,
            _NewQueue,
            _SafeMessageQueue(),
        ],
    )
)


# -- 04.fix-trigger --------------------------------------------------------------


class _FixedEventDriver:
    def __init__(self):
        self.events = []

    def register_listener(self, listener):
        self.events.append(listener)

    def trigger_event(self, *args, **kwargs):
        for listener in list(self.events):  # a copy: listeners may remove themselves
            listener(*args, **kwargs)

    def remove_listener(self, listener):
        self.events.remove(listener)


class _LiveListDriver(_FixedEventDriver):  # passes the data, but walks the live list
    def trigger_event(self, *args, **kwargs):
        for listener in self.events:
            listener(*args, **kwargs)


class _ArgsOnlyDriver(_FixedEventDriver):  # forgets keyword data
    def trigger_event(self, *args):
        for listener in list(self.events):
            listener(*args)


class _OneMessageDriver(_FixedEventDriver):  # takes one message: keyword data is refused
    def trigger_event(self, message):
        for listener in list(self.events):
            listener(message)


def _judge_driver(answer: Any) -> str | None:
    if not callable(answer):
        return tr(
            "set answer to your class itself (answer = FixedEventDriver), not an instance or a string",
            "请把 answer 设为你的类本身（answer = FixedEventDriver），而不是它的实例或一个字符串",
        )
    driver = answer()
    for method in ("register_listener", "trigger_event", "remove_listener"):
        if not callable(getattr(driver, method, None)):
            return tr(
                f"your class has no method {method}(); keep the seed's three methods",
                f"你的类没有 {method}() 方法；请保留原文的三个方法",
            )
    if len(inspect.signature(driver.trigger_event).parameters) == 0:
        return tr(
            "trigger_event() still takes no data: give it parameters and pass them on to each listener",
            "trigger_event() 仍然不接收任何数据：给它加上参数，并把参数转交给每个监听器",
        )

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def listener(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            calls.append((name, args, kwargs))

        return record

    a, b = listener("a"), listener("b")
    driver.register_listener(a)
    driver.register_listener(b)
    driver.trigger_event("Hello, World!")
    if [c[0] for c in calls] != ["a", "b"]:
        return tr(
            "each registered listener must be called once per trigger, in registration order",
            "每次触发时，每个已注册的监听器都必须按注册顺序被调用一次",
        )
    if any(c[1] != ("Hello, World!",) for c in calls):
        return tr(
            "a listener did not receive the event's data: pass trigger_event's arguments on to it",
            "有个监听器没有收到事件的数据：把 trigger_event 的参数转交给它",
        )
    calls.clear()
    try:
        driver.trigger_event("Hello", sender="main")
    except TypeError as error:  # trigger_event takes no keyword arguments
        return tr(
            f"keyword data was lost: pass on **kwargs as well as *args (trigger_event('Hello', "
            f"sender='main') raised TypeError: {error})",
            f"关键字参数形式的数据丢失了：除了 *args，还要转交 **kwargs（trigger_event('Hello', "
            f"sender='main') 抛出了 TypeError: {error}）",
        )
    if any(c[1:] != (("Hello",), {"sender": "main"}) for c in calls):
        return tr(
            "keyword data was lost: pass on **kwargs as well as *args",
            "关键字参数形式的数据丢失了：除了 *args，还要转交 **kwargs",
        )

    driver = answer()
    calls.clear()

    def leave_after_first(*args: Any, **kwargs: Any) -> None:
        calls.append(("leaver", args, kwargs))
        driver.remove_listener(leave_after_first)

    driver.register_listener(leave_after_first)
    driver.register_listener(b)
    driver.trigger_event("ping")
    if [c[0] for c in calls] != ["leaver", "b"]:
        return tr(
            "a listener that removed itself during trigger_event() made the next listener miss the event: "
            "walk over a copy of the list",
            "一个在 trigger_event() 期间移除自己的监听器，让下一个监听器错过了事件：请遍历列表的副本",
        )
    calls.clear()
    driver.trigger_event("pong")
    if [c[0] for c in calls] != ["b"]:
        return tr(
            "a removed listener was still called: remove_listener() must take it out for later triggers",
            "一个已被移除的监听器仍然被调用了：remove_listener() 必须让它不再参与以后的触发",
        )

    received: list[str] = []

    def callback_function(message: str) -> None:  # the seed's listener
        received.append(f"Received message: {message}")

    driver = answer()
    driver.register_listener(callback_function)
    driver.trigger_event("Hello, World!")
    if received != ["Received message: Hello, World!"]:
        return tr(
            "the seed's callback_function(message) did not get the message",
            "原文的 callback_function(message) 没有收到消息",
        )
    return None


register(
    Exercise(
        id="04.fix-trigger",
        title=Text("Fix trigger_event so listeners get the data", "修好 trigger_event，让监听器拿到数据"),
        kind="fix",
        prompt=Text(
            "The seed's EventDriver calls every listener as listener(), so callback_function(message) crashes. "
            "Fix the class in the cell below so that trigger_event(*args, **kwargs) hands the event's data "
            "(positional and keyword) to each listener, in registration order - and so that a listener may "
            "remove itself while being called without the next listener missing the event (the hazard of "
            "section 5.2). Then set `answer = FixedEventDriver`.",
            "原文的 EventDriver 以 listener() 的形式调用每个监听器，所以 callback_function(message) 会崩溃。"
            "请修改下面单元格里的类，使 trigger_event(*args, **kwargs) 按注册顺序把事件的数据（位置参数和关键字参数）"
            "交给每个监听器；并且监听器在被调用时可以移除自己，而下一个监听器不会因此错过事件"
            "（第 5.2 节讲的隐患）。然后设置 `answer = FixedEventDriver`。",
        ),
        judge=_judge_driver,
        hints=[
            Text(
                "trigger_event needs parameters to receive the data: `def trigger_event(self, *args, **kwargs)`.",
                "trigger_event 需要参数才能接收数据：`def trigger_event(self, *args, **kwargs)`。",
            ),
            Text(
                "Call each listener with the same data: `listener(*args, **kwargs)`.",
                "用同样的数据调用每个监听器：`listener(*args, **kwargs)`。",
            ),
            Text(
                "Removing from a list while a for-loop walks it skips the next item; loop over `list(self.events)`.",
                "在 for 循环遍历列表的同时从中移除元素，会跳过下一个元素；请遍历 `list(self.events)`。",
            ),
        ],
        solution_text=Text(
            _solution_source(_FixedEventDriver, "FixedEventDriver") + "\n\nanswer = FixedEventDriver\n",
            _zh_comments(
                _solution_source(_FixedEventDriver, "FixedEventDriver") + "\n\nanswer = FixedEventDriver\n",
                {"# a copy: listeners may remove themselves": "# 遍历副本：监听器可能会移除自己"},
            ),
        ),
        reference=_FixedEventDriver,
        wrong_answers=[
            load_seed_example()["EventDriver"],  # the seed's class, as published
            _LiveListDriver,
            _ArgsOnlyDriver,
            _OneMessageDriver,
            _FixedEventDriver(),
        ],
    )
)
