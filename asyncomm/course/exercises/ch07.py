"""Chapter 07 exercises (summary): predict the order of a queue that redelivers, build the capstone
pipeline - producer -> queue -> 2 workers -> "done" events -> callbacks - checked by its trace
(:mod:`asyncomm.labs.pipeline`), predict its time, then write the same worker pool with the standard
library only (``asyncio.Queue``, ``asyncio.TaskGroup``, a sentinel)."""

from __future__ import annotations

import asyncio
import inspect
import math
import re
import textwrap
from collections import Counter
from typing import Any

from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.callbacks import CallbackRegistry
from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import (
    Exercise,
    as_list,
    as_notebook_code,
    clean_text,
    real_number,
    register,
)
from asyncomm.course.exercises.ch06 import busy
from asyncomm.errors import Deadlock, QueueClosed, QueueEmpty
from asyncomm.events import EventBus
from asyncomm.i18n import Text, tr
from asyncomm.labs.pipeline import run_pipeline
from asyncomm.reliable.memory import ReliableQueue
from asyncomm.trace import Trace

__all__ = ["acked_order", "pipeline", "run_jobs"]


# -- 07.capstone ---------------------------------------------------------------


async def pipeline(messages: list, trace: Trace) -> list:
    """producer -> queue -> 2 workers -> "done" events -> callbacks; returns the results.

    >>> from asyncomm.labs.pipeline import run_pipeline
    >>> run_pipeline(pipeline, ["a", "b", "c"]).report()
    'pipeline OK: 17 trace rows, finished at t=2 s'
    """
    queue = AsyncMessageQueue(trace=trace, name="jobs")
    bus = EventBus(trace=trace, name="bus")
    results = CallbackRegistry(trace=trace, name="results")

    collected: list = []
    results.register(collected.append)  # the callback: collect each result
    bus.register("done", results.trigger)  # the listener: hand each "done" to the callbacks

    async def producer():
        for msg in messages:
            await queue.send(msg)
        queue.close()  # no more messages: workers stop once the queue is drained

    async def worker():
        async for msg in queue:  # until the queue is closed and drained
            await asyncio.sleep(1)  # the work: 1 s of waiting (a call to another service)
            bus.trigger("done", msg)

    await asyncio.gather(producer(), worker(), worker())
    return collected


async def _build(
    messages: list[Any],
    trace: Trace,
    *,
    workers: int = 2,
    work_time: float = 1.0,
    cpu_bound: bool = False,
    close: bool = True,
    receive_timeout: float | None = None,
    listener: bool = True,
    drop: Any = None,
    duplicate: Any = None,
) -> list[Any]:
    """The reference pipeline with knobs, to compute true times and to make
    the typical mistakes the checks must catch."""
    queue = AsyncMessageQueue(trace=trace, name="jobs")
    bus = EventBus(trace=trace, name="bus")
    results = CallbackRegistry(trace=trace, name="results")
    collected: list[Any] = []
    results.register(collected.append)
    if listener:
        bus.register("done", results.trigger)

    async def producer() -> None:
        for msg in messages:
            await queue.send(msg)
            if msg == duplicate:  # a "retry" that sends the same message again
                await queue.send(msg)
        if close:
            queue.close()

    async def worker() -> None:
        while True:
            try:
                msg = await queue.receive(timeout=receive_timeout)
            except (QueueClosed, QueueEmpty):
                return
            if cpu_bound:
                busy(work_time)  # CPU work: never awaits
            else:
                await asyncio.sleep(work_time)
            if msg == drop:
                continue
            bus.trigger("done", msg)

    await asyncio.gather(producer(), *(worker() for _ in range(workers)))
    return collected


def _variant(**knobs: Any) -> Any:
    async def variant(messages: list[Any], trace: Trace) -> list[Any]:
        return await _build(messages, trace, **knobs)

    variant.__qualname__ = "pipeline_" + "_".join(f"{k}_{v}" for k, v in knobs.items())
    return variant


def zh_code(code: str, comments: dict[str, str]) -> str:
    """``code`` with its comments (and docstring lines) in Chinese: each English text in ``comments`` replaced
    by its translation; the code itself stays the same. An English text not in ``code`` is an error, so a
    change to the English code cannot leave its Chinese edition behind unnoticed.

    >>> zh_code("x = 1  # one", {"# one": "# 一"})
    'x = 1  # 一'
    """
    for english, chinese in comments.items():
        if english not in code:
            raise ValueError(f"{english!r} is not in the code to translate")
        code = code.replace(english, chinese)
    return code


#: What the solution's source calls by name: in the notebook, they are ac.AsyncMessageQueue and so on.
_SHOWN_NAMES = ("AsyncMessageQueue", "CallbackRegistry", "EventBus", "QueueClosed", "Trace")

_CAPSTONE_SOLUTION = as_notebook_code(textwrap.dedent(inspect.getsource(pipeline)), _SHOWN_NAMES)
_CAPSTONE_COMMENTS = {
    '"""producer -> queue -> 2 workers -> "done" events -> callbacks; returns the results.': (
        '"""生产者 -> 队列 -> 2 个工作者 -> "done" 事件 -> 回调；返回结果列表。'
    ),
    "# the callback: collect each result": "# 回调：收集每个结果",
    '# the listener: hand each "done" to the callbacks': '# 监听器：把每个 "done" 交给回调',
    "# no more messages: workers stop once the queue is drained": "# 没有更多消息了：队列取空后工作者就停止",
    "# until the queue is closed and drained": "# 直到队列关闭并被取空",
    "# the work: 1 s of waiting (a call to another service)": "# 工作：等待 1 秒（好比调用另一个服务）",
}

CAPSTONE_CASES: tuple[list[str], ...] = (["a", "b", "c", "d"], ["x", "y", "z"], [])


# The checker (asyncomm.labs.pipeline) reports its problems in English; the Chinese edition shows them in Chinese.
_ZH_TIMES = {"never": "0 次", "once": "1 次", "twice": "2 次"}
_TIMES = r"never|once|twice|\d+ times"
_ZH_COUNTED = {"sent": "发送", "received": "接收", "passed to the callbacks": "传给回调"}
_ZH_FIX = {
    "the producer should send each message once": "生产者应当把每条消息发送一次",
    "each message should be received once, by one worker": "每条消息应当只被一个工作者接收一次",
    'the "done" listener should call the registry\'s trigger(msg) once per message, with the message alone': (
        '"done" 监听器应当对每条消息调用一次注册表的 trigger(msg)，只传入消息本身'
    ),
}


def _zh_times(times: str) -> str:
    return _ZH_TIMES.get(times) or times.replace(" times", " 次")


def _zh_details(details: str) -> str:
    """``'a' never, 'b' twice (expected once) and 2 more`` in Chinese."""
    details = re.sub(
        rf"(?<=[\'\"\w)\]]) ({_TIMES})(?: \(expected ({_TIMES})\))?(?=, | and \d+ more$|$)",
        lambda m: f"：{_zh_times(m[1])}" + (f"（应为 {_zh_times(m[2])}）" if m[2] else ""),
        details,
    )
    return re.sub(r" and (\d+) more$", r"，另有 \1 条", details).replace(", ", "，")


#: (pattern of an English problem, its Chinese) - each pattern matches a whole problem.
_ZH_PROBLEMS: list[tuple[str, Any]] = [
    (
        r"no queue in the trace: create it with ac\.AsyncMessageQueue\(trace=trace\) and send every message through it",
        "追踪记录里没有队列：用 ac.AsyncMessageQueue(trace=trace) 创建它，并让每条消息都经过它",
    ),
    (
        r"messages (sent|received|passed to the callbacks) the wrong number of times: (.*); (.*)",
        lambda m: f"有消息{_ZH_COUNTED[m[1]]}的次数不对：{_zh_details(m[2])}；{_ZH_FIX.get(m[3], m[3])}",
    ),
    (
        r"sending (.*) was refused because the queue was already closed: close it only after the last send",
        lambda m: f"发送 {m[1]} 被拒绝了，因为队列已经关闭：只在最后一次发送之后再关闭队列",
    ),
    (
        r"the queue was never closed: close it after the last send, so that the workers' receive\(\) raises "
        r"ac\.QueueClosed and they stop",
        "队列从未关闭：在最后一次发送之后关闭它，这样工作者的 receive() 会抛出 ac.QueueClosed，工作者随之停止",
    ),
    (
        r"clear\(\) dropped (\d+) queued message\(s\): a pipeline should not drop work",
        lambda m: f"clear() 丢掉了 {m[1]} 条排队中的消息：流水线不应丢弃工作",
    ),
    (
        r'no EventBus in the trace: create it with ac\.EventBus\(trace=trace\) and trigger "done" once per processed '
        r"message",
        '追踪记录里没有 EventBus：用 ac.EventBus(trace=trace) 创建它，每处理完一条消息就触发一次 "done"',
    ),
    (
        rf'"done" was triggered ({_TIMES}) for (\d+) message\(s\): trigger it once per processed message',
        lambda m: f'"done" 被触发了 {_zh_times(m[1])}，而消息有 {m[2]} 条：每处理完一条消息触发一次',
    ),
    (
        rf'"done" was triggered ({_TIMES}) with no listener registered: register the listener before the workers '
        r"start",
        lambda m: f'"done" 有 {_zh_times(m[1])}在没有任何监听器时被触发：在工作者启动之前注册监听器',
    ),
    (
        rf'a "done" listener raised \(({_TIMES})\): look at the TriggerFailed error',
        lambda m: f'"done" 监听器抛出了异常（{_zh_times(m[1])}）：看看那个 TriggerFailed 错误',
    ),
    (
        r"no CallbackRegistry in the trace: create it with ac\.CallbackRegistry\(trace=trace\) and trigger it from "
        r'the "done" listener',
        '追踪记录里没有 CallbackRegistry：用 ac.CallbackRegistry(trace=trace) 创建它，并在 "done" 监听器中触发它',
    ),
    (
        rf"the CallbackRegistry was triggered ({_TIMES}) with no callback registered: register the collecting "
        r"callback before the workers start",
        lambda m: f"CallbackRegistry 有 {_zh_times(m[1])}在没有任何回调时被触发：在工作者启动之前注册收集结果的回调",
    ),
    (
        r"the pipeline ended at t=(\S+) s, later than (\d+) workers can process (\d+) messages? of (\S+) s each "
        r"\(t=(\S+) s\): do the workers run at the same time, and does the work await \(asyncio\.sleep\) rather "
        r"than block\?",
        lambda m: (
            f"流水线在 t={m[1]} 秒结束，晚于 {m[2]} 个工作者处理 {m[3]} 条各需 {m[4]} 秒的消息所需的时间"
            f"（t={m[5]} 秒）：工作者是否同时运行？工作是否用 await（asyncio.sleep）等待，而不是阻塞？"
        ),
    ),
    (
        r"the pipeline ended at t=(\S+) s, earlier than (\d+) workers can process (\d+) messages? of (\S+) s each "
        r"\(t=(\S+) s\): does each message really take (\S+) s of work \(await asyncio\.sleep\), and are there "
        r"exactly (\d+) workers\?",
        lambda m: (
            f"流水线在 t={m[1]} 秒结束，早于 {m[2]} 个工作者处理 {m[3]} 条各需 {m[4]} 秒的消息所需的时间"
            f"（t={m[5]} 秒）：每条消息真的用了 {m[6]} 秒工作（await asyncio.sleep）吗？工作者是否恰好 {m[7]} 个？"
        ),
    ),
    (
        r"the pipeline never finished \((.*)\): close the queue after the last send, and let each worker stop when "
        r"receive\(\) raises ac\.QueueClosed",
        lambda m: (
            f"流水线始终没有结束（{m[1]}）：在最后一次发送之后关闭队列，并让每个工作者在 receive() 抛出 "
            f"ac.QueueClosed 时停止"
        ),
    ),
    (
        r"the pipeline returned (\w+), not a list: return the list your callback filled",
        lambda m: f"流水线返回了 {m[1]}，而不是列表：返回你的回调填充的那个列表",
    ),
    (
        r"the pipeline returned (\d+) result\(s\) for (\d+) message\(s\): return the list your callback filled, "
        r"with each message once",
        lambda m: f"流水线为 {m[2]} 条消息返回了 {m[1]} 个结果：返回你的回调填充的那个列表，每条消息恰好一次",
    ),
]


def zh_problem(problem: str) -> str:
    """A problem the pipeline checker reports, in Chinese (as it is, if it is none the course knows).

    >>> zh_problem("messages received the wrong number of times: 'b' twice (expected once), 'c' never; "
    ...            "each message should be received once, by one worker")
    "有消息接收的次数不对：'b'：2 次（应为 1 次），'c'：0 次；每条消息应当只被一个工作者接收一次"
    """
    for pattern, chinese in _ZH_PROBLEMS:
        match = re.fullmatch(pattern, problem, flags=re.DOTALL)
        if match:
            return chinese if isinstance(chinese, str) else chinese(match)
    return problem


def _judge_capstone(fn: Any) -> str | None:
    if not inspect.iscoroutinefunction(fn):
        return tr(
            "pipeline must be an `async def` function taking (messages, trace)",
            "pipeline 必须是一个 `async def` 函数，参数为 (messages, trace)",
        )
    for messages in CAPSTONE_CASES:
        run = run_pipeline(fn, messages)
        if not run.ok:
            shown = run.problems[:3]
            extra = len(run.problems) - 3
            return tr(
                f"with messages {messages!r}: " + " | ".join(shown) + (f" (and {extra} more)" if extra > 0 else ""),
                f"用消息 {messages!r} 运行时："
                + " | ".join(map(zh_problem, shown))
                + (f"（另有 {extra} 个问题）" if extra > 0 else ""),
            )
    return None


register(
    Exercise(
        id="07.capstone",
        title=Text("Capstone: a pipeline checked by its trace", "综合项目：用追踪记录检查的流水线"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
        Write `async def pipeline(messages, trace)` that returns the list of results:

          producer -> ac.AsyncMessageQueue -> 2 workers -> ac.EventBus "done" -> ac.CallbackRegistry

          - create the queue, the bus and the registry with trace=trace;
          - the registry has one callback that appends each result to a list (the list you return);
          - the bus has one listener for "done" that triggers the registry with the message alone;
          - the producer sends every message, then closes the queue;
          - each of the 2 workers receives a message, works on it for 1 s (await asyncio.sleep(1):
            waiting work, like a call to another service), then triggers "done" with the message,
            and stops when receive() raises ac.QueueClosed.

        The check runs it on a VirtualClock and reads the trace: every message sent once, received once,
        one "done" per message, each message passed to the callbacks once, the queue closed, and the
        run lasting exactly the time 2 workers need."""),
            textwrap.dedent("""\
        编写 `async def pipeline(messages, trace)`，返回结果列表：

          producer -> ac.AsyncMessageQueue -> 2 个 worker -> ac.EventBus "done" -> ac.CallbackRegistry

          - 创建队列、事件总线和回调注册表时都传入 trace=trace；
          - 注册表上有一个回调，把每个结果追加到一个列表里（就是你要返回的那个列表）；
          - 事件总线上有一个 "done" 监听器，只用消息本身去触发注册表；
          - 生产者发送每一条消息，然后关闭队列；
          - 2 个工作者各自接收一条消息，处理 1 秒（await asyncio.sleep(1)：需要等待的工作，
            好比调用另一个服务），然后用这条消息触发 "done"；
            当 receive() 抛出 ac.QueueClosed 时停止。

        检查会在 VirtualClock 上运行它并读取追踪记录：每条消息只发送一次、只接收一次，
        每条消息一个 "done"，每条消息恰好一次传给回调，队列已关闭，
        并且运行时间正好是 2 个工作者所需的时间。"""),
        ),
        judge=_judge_capstone,
        hints=[
            Text(
                "Start the producer and both workers together with asyncio.gather(producer(), worker(), worker()). "
                "Register the callback and the listener before you start them.",
                "用 asyncio.gather(producer(), worker(), worker()) 同时启动生产者和两个工作者。"
                "在启动它们之前先注册回调和监听器。",
            ),
            Text(
                "A worker is a loop: try: msg = await queue.receive() / except ac.QueueClosed: return; then "
                'await asyncio.sleep(1); bus.trigger("done", msg). The listener can be the registry\'s own '
                'trigger method: bus.register("done", results.trigger).',
                "工作者是一个循环：try: msg = await queue.receive() / except ac.QueueClosed: return；然后 "
                'await asyncio.sleep(1); bus.trigger("done", msg)。监听器可以直接用注册表自己的 trigger 方法：'
                'bus.register("done", results.trigger)。',
            ),
        ],
        solution_text=Text(_CAPSTONE_SOLUTION, zh_code(_CAPSTONE_SOLUTION, _CAPSTONE_COMMENTS)),
        reference=pipeline,
        wrong_answers=[
            _variant(workers=1),
            _variant(close=False, receive_timeout=5.0),
            _variant(drop="c"),
            _variant(duplicate="b"),
            _variant(listener=False),
            _variant(cpu_bound=True),
            _variant(workers=3),
            print,
        ],
    )
)


# -- 07.pipeline-time ------------------------------------------------------------

N_MESSAGES = 7
_SETUPS = (
    (
        "a",
        Text(
            "2 workers, 1 s of waiting work per message (await asyncio.sleep(1))",
            "2 个工作者，每条消息 1 秒需要等待的工作（await asyncio.sleep(1)）",
        ),
        {"workers": 2},
    ),
    ("b", Text("4 workers, the same waiting work", "4 个工作者，同样是需要等待的工作"), {"workers": 4}),
    (
        "c",
        Text(
            "2 workers, but the work is 1 s of CPU (busy, never awaits)",
            "2 个工作者，但工作是 1 秒的 CPU 计算（busy，从不 await）",
        ),
        {"workers": 2, "cpu_bound": True},
    ),
)


def _pipeline_time(**knobs: Any) -> float:
    clock = VirtualClock()
    clock.run(_build(list(range(N_MESSAGES)), Trace(), **knobs))
    return clock.now()


def _judge_time(answer: Any) -> str | None:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 3 and all(real_number(a) is not None for a in answer)):
        return tr("answer with three numbers: (a, b, c)", "请用三个数回答：(a, b, c)")
    for (label, _, knobs), guess in zip(_SETUPS, map(float, answer), strict=True):
        truth = _pipeline_time(**knobs)
        if math.isclose(guess, truth):
            continue
        workers = knobs["workers"]
        if not knobs.get("cpu_bound") and math.isclose(guess, N_MESSAGES / workers):
            return tr(
                f"({label}): a worker takes whole messages - {N_MESSAGES} messages over {workers} workers "
                f"means some worker handles more than {N_MESSAGES / workers:g}",
                f"({label})：工作者每次处理一整条消息——{N_MESSAGES} 条消息分给 {workers} 个工作者，"
                f"意味着有的工作者要处理不止 {N_MESSAGES / workers:g} 条",
            )
        if knobs.get("cpu_bound") and guess > truth:
            return tr(
                f"({label}): count again, that is too long: the CPU work runs one message after another, "
                f"1 s each, and nothing else adds time",
                f"({label})：再数一遍，这太长了：CPU 计算一条接一条地运行，每条 1 秒，没有别的东西增加时间",
            )
        if knobs.get("cpu_bound"):
            return tr(
                f"({label}): work that never awaits never lets the other worker run - the loop does one "
                f"thing at a time (chapter 06, question 1)",
                f"({label})：从不 await 的工作永远不让另一个工作者运行——事件循环一次只做一件事（第 06 章，问题 1）",
            )
        return tr(
            f"({label}): count the rounds: in each second every worker finishes one message",
            f"({label})：数一数轮次：每一秒里，每个工作者完成一条消息",
        )
    return None


register(
    Exercise(
        id="07.pipeline-time",
        title=Text("Predict the pipeline's virtual time", "预测流水线的虚拟时间"),
        kind="predict",
        prompt=Text(
            f"The capstone pipeline runs with {N_MESSAGES} messages on a VirtualClock. How many seconds does it "
            f"take with\n"
            + "\n".join(f"  ({label}) {text.en}" for label, text, _ in _SETUPS)
            + "\nAnswer with a tuple (a, b, c).",
            f"综合项目的流水线在 VirtualClock 上处理 {N_MESSAGES} 条消息。下面每种情况各需要多少秒？\n"
            + "\n".join(f"  ({label}) {text.zh}" for label, text, _ in _SETUPS)
            + "\n请用一个元组 (a, b, c) 回答。",
        ),
        judge=_judge_time,
        hints=[
            Text(
                "Waiting work overlaps across workers; each worker still takes one whole message at a time.",
                "需要等待的工作在多个工作者之间可以重叠；但每个工作者一次仍然只处理一整条消息。",
            ),
            Text(
                "CPU work that does not await holds the event loop: nothing else runs until it awaits.",
                "不 await 的 CPU 计算会占住事件循环：在它 await 之前，别的什么都不会运行。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            answer = (4.0, 2.0, 7.0)
            # (a) 2 workers take 2 messages per second: 7 messages need 4 rounds (the last round has one).
            # (b) 4 workers: 2 rounds (4 + 3 messages).
            # (c) CPU work never awaits, so the first worker never lets the second one run:
            #     7 x 1 s one after another, as in chapter 06, question 1."""),
            textwrap.dedent("""\
            answer = (4.0, 2.0, 7.0)
            # (a) 2 个工作者每秒处理 2 条消息：7 条消息需要 4 轮（最后一轮只有一条）。
            # (b) 4 个工作者：2 轮（4 + 3 条消息）。
            # (c) CPU 计算从不 await，所以第一个工作者永远不让第二个运行：
            #     7 × 1 秒，一条接一条，和第 06 章问题 1 一样。"""),
        ),
        reference=(4.0, 2.0, 7.0),
        wrong_answers=[
            (3.5, 1.75, 7.0),
            (4.0, 2.0, 4.0),
            (7.0, 7.0, 7.0),
            (4.0, 2.0, 3.5),
            (4.0, 1.0, 7.0),
            (4, 2),
            (4, 2, 8),
            [5, 2, 7],
        ],
    )
)


# -- 07.redelivery-order -----------------------------------------------------------

#: The redelivery scenario: A takes m1 and crashes; B does the rest, one at a time.
REDELIVERY_MESSAGES = ("m1", "m2", "m3", "m4", "m5")
REDELIVERY_TIMEOUT = 25.0
REDELIVERY_WORK = 10.0


def acked_order() -> list[str]:
    """Play the scenario of ``07.redelivery-order`` on a :class:`~asyncomm.reliable.ReliableQueue` and a
    virtual clock: the messages in the order consumer B acked them.

    >>> acked_order()[0]
    'm2'
    """
    clock = VirtualClock()
    queue: ReliableQueue[str] = ReliableQueue(visibility_timeout=REDELIVERY_TIMEOUT, clock=clock)
    for message in REDELIVERY_MESSAGES:
        queue.send(message)
    queue.receive_nowait(consumer="A")  # A crashes holding m1: it never acks
    acked: list[str] = []
    while queue.ready() or queue.in_flight():
        try:
            delivery = queue.receive_nowait(consumer="B")
        except QueueEmpty:  # only A's delivery is left: wait until it comes back
            clock.advance(1.0)
            continue
        clock.advance(REDELIVERY_WORK)
        delivery.ack()
        acked.append(delivery.message)
    return acked


def _judge_redelivery(answer: Any) -> str | None:
    order = as_list(answer)
    if order is None or not all(isinstance(name, str) for name in order):
        return tr(
            "answer with a list of names in the order B acks them, e.g. ['m1', 'm2', ...]",
            "请用一个名字列表回答，按 B 确认它们的顺序排列，例如 ['m1', 'm2', ...]",
        )
    order = [clean_text(name) for name in order]
    if sorted(order) != sorted(REDELIVERY_MESSAGES):
        return tr(
            "every message is acked exactly once in the end: list m1 .. m5, each once",
            "最终每条消息都恰好被确认一次：列出 m1 .. m5，每条一次",
        )
    truth = acked_order()
    if order == truth:
        return None
    if order == list(REDELIVERY_MESSAGES):
        return tr(
            "the queue hands messages out in order, but A holds m1 until its visibility timeout runs out: "
            "B cannot take it before then",
            "队列确实按顺序交出消息，但 A 一直拿着 m1，直到它的可见性超时到期：在那之前 B 拿不到它",
        )
    if order[-1] == "m1":
        return tr(
            "m1 does come back, and a message that comes back goes in front of the ones not yet delivered: "
            "when does B next ask for a message after t = 25 s?",
            "m1 确实会回来，而回来的消息排在尚未投递的消息前面：t = 25 秒之后，B 下一次取消息是在什么时候？",
        )
    return tr(
        f"follow B's clock: it receives at t = 0, {REDELIVERY_WORK:g}, {2 * REDELIVERY_WORK:g}, ... s",
        f"跟着 B 的时钟走：它在 t = 0、{REDELIVERY_WORK:g}、{2 * REDELIVERY_WORK:g}…… 秒时接收消息",
    )


register(
    Exercise(
        id="07.redelivery-order",
        title=Text("Does a queue stay first-in, first-out?", "队列能一直保持先进先出吗？"),
        kind="predict",
        prompt=Text(
            f"A ReliableQueue with visibility_timeout={REDELIVERY_TIMEOUT:g} holds m1 .. m5 (sent in that order). "
            f"At t = 0 consumer A receives m1 and crashes: it never acks. Consumer B then works one message at a "
            f"time: receive, {REDELIVERY_WORK:g} s of work, ack, receive the next, ... (it receives at t = 0, "
            f"{REDELIVERY_WORK:g}, {2 * REDELIVERY_WORK:g}, ...). In which order does B ack the five messages?\n"
            f"Answer with a list: answer = ['m?', 'm?', ...]",
            f"一个 visibility_timeout={REDELIVERY_TIMEOUT:g} 的 ReliableQueue 中有 m1 .. m5（按这个顺序发送）。"
            f"在 t = 0 时，消费者 A 接收了 m1 然后崩溃：它永远不会确认。之后消费者 B 一次处理一条消息："
            f"接收，工作 {REDELIVERY_WORK:g} 秒，确认，再接收下一条……（它在 t = 0、{REDELIVERY_WORK:g}、"
            f"{2 * REDELIVERY_WORK:g}…… 秒时接收）。B 按什么顺序确认这五条消息？\n"
            f"请用一个列表回答：answer = ['m?', 'm?', ...]",
        ),
        judge=_judge_redelivery,
        hints=[
            Text(
                f"A delivery that is never acked returns to the queue {REDELIVERY_TIMEOUT:g} s after it was received.",
                f"一次从未被确认的投递，会在被接收 {REDELIVERY_TIMEOUT:g} 秒后回到队列。",
            ),
            Text(
                "A message that comes back is handed out before the messages that were never delivered.",
                "回来的消息会先于从未投递过的消息被交出。",
            ),
        ],
        solution_text=Text(
            "answer = ['m2', 'm3', 'm4', 'm1', 'm5']\n"
            "# B receives m2 at t=0, m3 at 10, m4 at 20. m1 came back at t=25 (A's visibility timeout),\n"
            "# so at t=30 B gets m1 before m5, which was never delivered. Sent m1..m5, acked m2 m3 m4 m1 m5:\n"
            "# redelivery reorders. Replay it:\n"
            "#     from asyncomm.course.exercises.ch07 import acked_order; acked_order()",
            "answer = ['m2', 'm3', 'm4', 'm1', 'm5']\n"
            "# B 在 t=0 接收 m2，在 10 接收 m3，在 20 接收 m4。m1 在 t=25 回来（A 的可见性超时），\n"
            "# 所以在 t=30 时 B 先拿到 m1，再拿 m5（m5 从未投递过）。发送顺序 m1..m5，确认顺序 m2 m3 m4 m1 m5：\n"
            "# 重新投递打乱了顺序。重放一遍：\n"
            "#     from asyncomm.course.exercises.ch07 import acked_order; acked_order()",
        ),
        reference=["m2", "m3", "m4", "m1", "m5"],
        wrong_answers=[
            ["m1", "m2", "m3", "m4", "m5"],
            ["m2", "m3", "m4", "m5", "m1"],
            ["m2", "m1", "m3", "m4", "m5"],
            ["m2", "m3", "m4", "m5"],
            "m2 m3 m4 m1 m5",
            [2, 3, 4, 1, 5],
        ],
    )
)


# -- 07.stdlib-workers -------------------------------------------------------------

STDLIB_CASES: tuple[list[Any], ...] = (["a", "b", "c", "d", "e"], [], [1, 2, 3, 4])


async def run_jobs(jobs: list) -> list:
    queue: asyncio.Queue = asyncio.Queue()
    done = []

    async def worker():
        while True:
            job = await queue.get()
            if job is None:  # the sentinel: no more jobs
                return
            await asyncio.sleep(1)  # the work: 1 s of waiting
            done.append(job)

    async with asyncio.TaskGroup() as tg:  # waits for both workers
        for _ in range(2):
            tg.create_task(worker())
        for job in jobs:
            await queue.put(job)
        for _ in range(2):
            await queue.put(None)  # one sentinel per worker
    return done


_STDLIB_SOLUTION = textwrap.dedent(inspect.getsource(run_jobs))
_STDLIB_COMMENTS = {
    "# the sentinel: no more jobs": "# 哨兵值：没有更多任务了",
    "# the work: 1 s of waiting": "# 工作：等待 1 秒",
    "# waits for both workers": "# 等待两个工作者都结束",
    "# one sentinel per worker": "# 每个工作者一个哨兵值",
}


def _stdlib_variant(*, workers: int = 2, sentinels: int = 2, skip_last: bool = False) -> Any:
    async def variant(jobs: list[Any]) -> list[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done: list[Any] = []

        async def worker() -> None:
            while (job := await queue.get()) is not None:
                await asyncio.sleep(1)
                done.append(job)

        async with asyncio.TaskGroup() as tg:
            for _ in range(workers):
                tg.create_task(worker())
            for job in jobs[:-1] if skip_last else jobs:
                await queue.put(job)
            for _ in range(sentinels):
                await queue.put(None)
        return done

    variant.__qualname__ = f"run_jobs_{workers}_workers_{sentinels}_sentinels" + ("_skip_last" * skip_last)
    return variant


async def _one_after_another(jobs: list[Any]) -> list[Any]:
    done = []
    for job in jobs:
        await asyncio.sleep(1)
        done.append(job)
    return done


def _judge_stdlib(fn: Any) -> str | None:
    if not inspect.iscoroutinefunction(fn):
        return tr(
            "run_jobs must be an `async def` function taking the list of jobs",
            "run_jobs 必须是一个 `async def` 函数，参数是任务列表",
        )
    for jobs in STDLIB_CASES:
        clock = VirtualClock(deadlock_after=0.3)
        try:
            done = clock.run(fn(list(jobs)))
        except Deadlock:
            return tr(
                f"with jobs {jobs!r} the program never ended: a worker still waits in queue.get(). Put one "
                f"sentinel per worker after the jobs (on Python 3.13+, queue.shutdown() ends them all)",
                f"用任务 {jobs!r} 运行时程序始终没有结束：还有工作者在 queue.get() 中等待。在任务之后为每个工作者"
                f"放一个哨兵值（在 Python 3.13+ 上，queue.shutdown() 会让它们全部结束）",
            )
        if not isinstance(done, list) or Counter(map(repr, done)) != Counter(map(repr, jobs)):
            return tr(
                f"with jobs {jobs!r} you returned {done!r}: return every job once, as the workers finish them",
                f"用任务 {jobs!r} 运行时你返回了 {done!r}：每个任务返回一次，按工作者完成它们的顺序",
            )
        expected = math.ceil(len(jobs) / 2)
        if clock.now() != expected:
            if jobs and clock.now() == len(jobs):
                return tr(
                    f"with {len(jobs)} jobs it took {clock.now():g} s: the jobs ran one after another. Start 2 "
                    f"worker tasks that both take from the queue",
                    f"{len(jobs)} 个任务用了 {clock.now():g} 秒：这些任务是一个接一个运行的。启动 2 个工作者任务，"
                    f"让它们都从队列里取任务",
                )
            return tr(
                f"with {len(jobs)} jobs 2 workers need {expected} s, yours took {clock.now():g} s",
                f"{len(jobs)} 个任务，2 个工作者需要 {expected} 秒，你的用了 {clock.now():g} 秒",
            )
    return None


register(
    Exercise(
        id="07.stdlib-workers",
        title=Text("The worker pool with the standard library only", "只用标准库实现工作者池"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
        Write `async def run_jobs(jobs)` with the standard library only (no ac.*):
          - an asyncio.Queue holds the jobs;
          - 2 worker tasks, started in an `async with asyncio.TaskGroup() as tg:` block, each take a job,
            work on it for 1 s (await asyncio.sleep(1)), and append it to a `done` list;
          - after the jobs, put a sentinel (None) for each worker: a worker that takes it returns;
          - return `done` once both workers have returned (the TaskGroup waits for them).
        The check runs it on a VirtualClock with 5, 0 and 4 jobs: every job done once, in ceil(n / 2) s."""),
            textwrap.dedent("""\
        只用标准库（不用 ac.*）编写 `async def run_jobs(jobs)`：
          - 用一个 asyncio.Queue 保存任务；
          - 在 `async with asyncio.TaskGroup() as tg:` 块中启动 2 个工作者任务，每个工作者取出一个任务，
            处理 1 秒（await asyncio.sleep(1)），然后把它追加到 `done` 列表；
          - 所有任务之后，为每个工作者放入一个哨兵值（None）：取到哨兵值的工作者就返回；
          - 两个工作者都返回之后（TaskGroup 会等待它们），返回 `done`。
        检查会在 VirtualClock 上分别用 5 个、0 个和 4 个任务运行它：每个任务恰好完成一次，用时 ceil(n / 2) 秒。"""),
        ),
        judge=_judge_stdlib,
        hints=[
            Text(
                "The shape: async with asyncio.TaskGroup() as tg: create 2 tasks with tg.create_task(worker()), "
                "then await queue.put(job) for each job, then await queue.put(None) twice.",
                "整体结构：async with asyncio.TaskGroup() as tg: 用 tg.create_task(worker()) 创建 2 个任务，"
                "然后对每个任务 await queue.put(job)，最后 await queue.put(None) 两次。",
            ),
            Text(
                "A worker is a loop: job = await queue.get(); if job is None: return; await asyncio.sleep(1); "
                "done.append(job). One sentinel stops one worker only: 2 workers need 2.",
                "工作者是一个循环：job = await queue.get(); if job is None: return; await asyncio.sleep(1); "
                "done.append(job)。一个哨兵值只能停下一个工作者：2 个工作者需要 2 个。",
            ),
        ],
        solution_text=Text(_STDLIB_SOLUTION, zh_code(_STDLIB_SOLUTION, _STDLIB_COMMENTS)),
        reference=run_jobs,
        wrong_answers=[
            _stdlib_variant(workers=1, sentinels=1),
            _stdlib_variant(sentinels=1),
            _stdlib_variant(skip_last=True),
            _stdlib_variant(workers=3, sentinels=3),
            _one_after_another,
            run_pipeline,
        ],
    )
)
