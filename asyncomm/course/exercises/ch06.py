"""Chapter 06 exercises (FAQ): gather versus sequential time, choosing a
pattern by its properties (then writing that choice as a function), and a
batching receive that must not lose messages.

Every check computes the truth by running the experiment on a VirtualClock,
never from a stored number.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import textwrap
from collections.abc import Callable
from typing import Any

from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.clock import VirtualClock, current_clock
from asyncomm.course.exercises._core import Exercise, as_notebook_code, clean_text, real_number, register
from asyncomm.errors import Deadlock, QueueClosed, QueueEmpty, UsageError
from asyncomm.i18n import Text, tr

__all__ = ["DECISIONS", "busy", "choose_pattern", "receive_batch"]


# -- 06.gather-time -----------------------------------------------------------

LATENCIES = (2, 5, 1, 4)
CPU_PER_CALL = 0.5


def busy(seconds: float) -> None:
    """CPU work on a VirtualClock: time passes, and since the task does not
    await, no other task runs meanwhile.

    >>> import asyncio, asyncomm as ac
    >>> async def main():
    ...     busy(2)
    ...     return asyncio.get_running_loop().time()
    >>> ac.VirtualClock().run(main())
    2.0
    """
    clock = current_clock()
    if not isinstance(clock, VirtualClock):
        raise UsageError("busy() models CPU work on a VirtualClock: call it inside clock.run(...)")
    clock.advance(seconds)


async def _call(latency: float) -> None:
    busy(CPU_PER_CALL)  # CPU work: time passes, nobody else runs
    await asyncio.sleep(latency)  # waiting for the reply: the loop runs other tasks


async def _sequential() -> None:
    for latency in LATENCIES:
        await _call(latency)


async def _concurrent() -> None:
    await asyncio.gather(*(_call(latency) for latency in LATENCIES))


def _total_time(main: Callable[[], Any]) -> float:
    clock = VirtualClock()
    clock.run(main())
    return clock.now()


_BUSY = f"busy({CPU_PER_CALL:g})"


def _judge_gather(answer: Any) -> str | None:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2 and all(real_number(a) is not None for a in answer)):
        return tr(
            "answer with two numbers: (sequential_seconds, concurrent_seconds)",
            "请用两个数作答：(sequential_seconds, concurrent_seconds)，即（顺序调用的秒数，并发调用的秒数）",
        )
    sequential, concurrent = (float(a) for a in answer)
    true_seq, true_conc = _total_time(_sequential), _total_time(_concurrent)
    cpu_total = CPU_PER_CALL * len(LATENCIES)
    if not math.isclose(sequential, true_seq):
        if math.isclose(sequential, sum(LATENCIES)):
            return tr(
                "sequential: you added the waiting times but left out the CPU work - every call also "
                f"computes for {CPU_PER_CALL:g} s before it waits",
                f"顺序调用：你把等待时间加起来了，却漏掉了 CPU 计算：每次调用在等待之前还要先计算 {CPU_PER_CALL:g} 秒",
            )
        return tr(
            "sequential: one call after another, so every call's CPU time and every call's waiting time add up",
            "顺序调用：一个接一个地调用，所以每次调用的 CPU 时间和等待时间全都要加起来",
        )
    if math.isclose(concurrent, true_conc):
        return None
    if math.isclose(concurrent, true_seq):
        return tr(
            "concurrent: gather does overlap the waiting - while one call sleeps the loop runs the others; "
            "only the CPU parts cannot overlap",
            "并发调用：gather 确实会让等待重叠：一个调用在 sleep 时，事件循环会去运行其他调用；只有 CPU 部分不能重叠",
        )
    if math.isclose(concurrent, max(LATENCIES)):
        return tr(
            "concurrent: gather overlaps the waiting, but not the CPU work - a call that computes without "
            "awaiting holds the loop, so the CPU parts run one after another",
            "并发调用：gather 让等待重叠，但不会让 CPU 计算重叠：一个不 await 的计算会占住事件循环，"
            "所以各个 CPU 部分只能一个接一个地运行",
        )
    if math.isclose(concurrent, max(LATENCIES) + CPU_PER_CALL):
        return tr(
            "concurrent: the CPU parts do not overlap each other either - a call starts waiting only after "
            "the CPU parts of the calls gathered before it have run",
            "并发调用：各个 CPU 部分彼此之间也不会重叠：一个调用要等排在它前面的调用的 CPU 部分都运行完，才开始等待",
        )
    if math.isclose(concurrent, cpu_total + max(LATENCIES)):
        return tr(
            "concurrent: the CPU parts do run one after another, but each call starts waiting as soon as its "
            "own CPU part ends, not after all of them - work out when each call's wait ends",
            "并发调用：各个 CPU 部分确实是一个接一个运行的，但每个调用在自己的 CPU 部分结束后就立即开始等待，"
            "而不是等所有 CPU 部分都结束：算一算每个调用的等待在何时结束",
        )
    return tr(
        "concurrent: for each call in gather order, work out when its CPU part ends (they queue up) and when "
        "its wait ends; the gather ends with the last wait",
        "并发调用：按 gather 中的顺序，逐个算出每个调用的 CPU 部分何时结束（它们要排队）、等待何时结束；"
        "gather 在最后一段等待结束时结束",
    )


register(
    Exercise(
        id="06.gather-time",
        title=Text("Predict: sequential calls versus asyncio.gather", "预测：顺序调用与 asyncio.gather"),
        kind="predict",
        prompt=Text(
            textwrap.dedent(f"""\
        A client calls four services. Each call first computes for {CPU_PER_CALL:g} s (CPU work that
        never awaits, like building the request), then waits for the reply:

            async def call(latency):
                {_BUSY:<28}   # CPU: advances the clock, does not await
                await asyncio.sleep(latency)   # waiting for the service's reply

            latencies = {list(LATENCIES)}

        On a VirtualClock, how many seconds does the client take
          (a) calling them one after another:  for l in latencies: await call(l)
          (b) calling them concurrently:       await asyncio.gather(*(call(l) for l in latencies))
        Answer with a tuple (a, b)."""),
            textwrap.dedent(f"""\
        一个客户端要调用四个服务。每次调用先计算 {CPU_PER_CALL:g} 秒（从不 await 的 CPU 工作，比如构造请求），
        然后等待回复：

            async def call(latency):
                {_BUSY:<28}   # CPU：推进时钟，不 await
                await asyncio.sleep(latency)   # 等待服务的回复

            latencies = {list(LATENCIES)}

        在 VirtualClock 上，客户端要花多少秒
          (a) 一个接一个地调用：  for l in latencies: await call(l)
          (b) 并发地调用：        await asyncio.gather(*(call(l) for l in latencies))
        请用元组 (a, b) 作答。"""),
        ),
        judge=_judge_gather,
        hints=[
            Text(
                "(a) is a plain sum. For (b), only the awaits overlap: a task holds the loop while it computes.",
                "(a) 就是简单相加。对于 (b)，只有 await 的部分会重叠：任务在计算时会一直占住事件循环。",
            ),
            Text(
                "For (b), follow the calls in gather order: call i finishes computing at 0.5 * (i + 1) s, then waits "
                "its latency. The gather ends when the last wait ends.",
                "对于 (b)，按 gather 中的顺序跟踪各个调用：第 i 个调用在 0.5 * (i + 1) 秒时算完，然后等待它的延迟。"
                "最后一段等待结束时，gather 才结束。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
        answer = (14.0, 6.0)
        # (a) 4 x 0.5 s of CPU + 2 + 5 + 1 + 4 s of waiting = 14 s.
        # (b) The CPU parts run one after another (0-0.5, 0.5-1.0, 1.0-1.5, 1.5-2.0 s) and each call
        #     waits from the end of its own CPU part: the waits end at 2.5, 6.0, 2.5 and 6.0 s.
        #     The gather ends at 6.0 s - neither the sum (14) nor the largest latency (5).
        #
        #     clock = ac.VirtualClock(); clock.run(main()); clock.now()   # checks it"""),
            textwrap.dedent("""\
        answer = (14.0, 6.0)
        # (a) 4 × 0.5 秒的 CPU 计算 + 2 + 5 + 1 + 4 秒的等待 = 14 秒。
        # (b) 各个 CPU 部分一个接一个地运行（0-0.5、0.5-1.0、1.0-1.5、1.5-2.0 秒），每个调用从自己的
        #     CPU 部分结束时开始等待：各段等待分别在 2.5、6.0、2.5 和 6.0 秒结束。
        #     gather 在 6.0 秒结束：既不是总和（14），也不是最大延迟（5）。
        #
        #     clock = ac.VirtualClock(); clock.run(main()); clock.now()   # 用它来验证"""),
        ),
        reference=(14.0, 6.0),
        wrong_answers=[(12.0, 5.0), (14.0, 5.0), (14.0, 5.5), (14.0, 7.0), (14.0, 14.0), (12.0, 6.0), (14, 6, 0)],
    )
)


# -- 06.choose-pattern ---------------------------------------------------------

SCENARIOS = {
    1: "An online shop's web servers accept orders in bursts (hundreds in the first second of a sale). "
    "One payment service handles 50 orders per second and restarts now and then. No order may be lost.",
    2: "When a user signs up, a welcome e-mail, an analytics counter and an audit log must each react. "
    "Other teams add new reactions every few months and must not have to change the sign-up code.",
    3: "A desktop app starts one file download in the background. When that download finishes, its result "
    "must be handed to the GUI thread once, which updates the window.",
}
SCENARIOS_ZH = {
    1: "一家网店的 Web 服务器收到的订单是一阵一阵涌来的（促销开始后的第一秒就有几百个）。"
    "唯一的支付服务每秒处理 50 个订单，而且时不时会重启。任何订单都不能丢。",
    2: "用户注册时，欢迎邮件、统计计数器和审计日志都要各自作出反应。"
    "其他团队每隔几个月就会加入新的反应，而且不应该为此修改注册代码。",
    3: "一个桌面应用在后台启动一次文件下载。下载完成时，结果要交给 GUI 线程一次，由它来更新窗口。",
}
_EXPECTED = {1: "queue", 2: "event", 3: "callback"}
_ALIASES = {
    "queue": "queue",
    "queues": "queue",
    "message queue": "queue",
    "messagequeue": "queue",
    "mq": "queue",
    "asyncmessagequeue": "queue",
    "event": "event",
    "events": "event",
    "event bus": "event",
    "eventbus": "event",
    "bus": "event",
    "event-driven": "event",
    "event driven": "event",
    "pub/sub": "event",
    "pubsub": "event",
    "pub-sub": "event",
    "pub sub": "event",
    "publish/subscribe": "event",
    "publish-subscribe": "event",
    "observer": "event",
    "observer pattern": "event",
    "callback": "callback",
    "callbacks": "callback",
    "callback function": "callback",
    "callbackregistry": "callback",
    "callback registry": "callback",
}
_WHY_NOT = {
    (1, "event"): Text(
        "scenario 1: an event bus calls the listeners that are registered at trigger time and keeps "
        "nothing - an order triggered while the payment service restarts is gone. Which pattern "
        "keeps a message until someone receives it?",
        "场景 1：事件总线只调用触发时已注册的监听器，什么也不保存：支付服务重启期间触发的订单就没了。"
        "哪种模式会把消息一直保存到有人接收为止？",
    ),
    (1, "callback"): Text(
        "scenario 1: a callback runs inline, once, in whoever completes the work - it has no buffer "
        "for a burst and nothing survives a restart. Which pattern absorbs a burst?",
        "场景 1：回调在完成工作的那一方原地运行一次：它没有缓冲区来应付突发流量，重启之后也什么都留不下。"
        "哪种模式能吸收突发流量？",
    ),
    (2, "queue"): Text(
        "scenario 2: each message in a queue goes to ONE receiver (competing consumers share the work); "
        "here every reaction must see every sign-up. Which pattern fans one trigger out to many?",
        "场景 2：队列里的每条消息只交给一个接收方（竞争消费者分摊工作）；而这里每个反应都必须看到每一次注册。"
        "哪种模式能把一次触发扇出给多方？",
    ),
    (2, "callback"): Text(
        "scenario 2: a callback is one-to-one - each new reaction would mean editing the sign-up "
        "code. Which pattern lets a new reaction register without touching the trigger side?",
        "场景 2：回调是一对一的：每加一个新反应，都得修改注册代码。哪种模式能让新反应自己注册，而不用改动触发的一方？",
    ),
    (3, "queue"): Text(
        "scenario 3: one result, for one caller, once - a queue adds a buffer and a receive loop that "
        "nobody needs. Which pattern is one-to-one, called when the work completes?",
        "场景 3：一个结果，交给一个调用方，只交一次：队列会多出一个缓冲区和一个接收循环，而这些没人需要。"
        "哪种模式是一对一的，并在工作完成时被调用？",
    ),
    (3, "event"): Text(
        "scenario 3: nobody else needs to hear about this one download - an event bus is for many "
        "listeners who do not know each other. Which pattern is one-to-one?",
        "场景 3：这一次下载不需要让其他任何人知道：事件总线是给许多互不相识的监听器用的。哪种模式是一对一的？",
    ),
}


def _normalise_choices(answer: Any) -> dict[int, str] | str:
    if isinstance(answer, (list, tuple)):
        answer = dict(enumerate(answer, start=1))
    if not isinstance(answer, dict):
        return tr(
            'answer with a dict {1: "queue" | "event" | "callback", 2: ..., 3: ...}',
            '请用字典作答：{1: "queue" | "event" | "callback", 2: ..., 3: ...}',
        )
    choices = {}
    for key, value in answer.items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            return tr(
                f"the keys must be the scenario numbers 1, 2 and 3, got {key!r}",
                f"字典的键必须是场景编号 1、2 和 3，收到的却是 {key!r}",
            )
        if not isinstance(value, str) or clean_text(value) not in _ALIASES:
            return tr(
                f'scenario {number}: {value!r} is not one of "queue", "event", "callback"',
                f'场景 {number}：{value!r} 不是 "queue"、"event"、"callback" 之一',
            )
        choices[number] = _ALIASES[clean_text(value)]
    missing = sorted(set(_EXPECTED) - set(choices))
    if missing or set(choices) != set(_EXPECTED):
        odd = sorted(set(_EXPECTED) ^ set(choices))
        return tr(
            f"answer every scenario, 1, 2 and 3 (missing or extra: {odd})",
            f"请回答每一个场景：1、2 和 3（缺少或多出的：{odd}）",
        )
    return choices


def _judge_choose(answer: Any) -> str | None:
    choices = _normalise_choices(answer)
    if isinstance(choices, str):
        return choices
    wrong = [_WHY_NOT[(n, choices[n])] for n in sorted(_EXPECTED) if choices[n] != _EXPECTED[n]]
    if not wrong:
        return None
    # each Chinese reason ends with its question (？), so they follow one another without a separator
    return tr("; ".join(why.en for why in wrong), "".join(why.zh for why in wrong))


register(
    Exercise(
        id="06.choose-pattern",
        title=Text("Choose the pattern by its properties", "根据性质选择模式"),
        kind="predict",
        prompt=Text(
            'For each scenario choose "queue", "event" or "callback", and name to yourself the property '
            'that decides it (not "it has many tasks"):\n\n'
            + "\n".join(f"  {n}. {text}" for n, text in SCENARIOS.items())
            + '\n\nAnswer with a dict: {1: "...", 2: "...", 3: "..."}',
            '请为每个场景选择 "queue"、"event" 或 "callback"，并在心里说出起决定作用的那条性质'
            "（不能是“任务很多”）：\n\n"
            + "\n".join(f"  {n}. {text}" for n, text in SCENARIOS_ZH.items())
            + '\n\n请用字典作答：{1: "...", 2: "...", 3: "..."}',
        ),
        judge=_judge_choose,
        hints=[
            Text(
                "For each scenario ask: must the message wait for a receiver that is busy or absent (buffering)? "
                "Must one signal reach many parties who do not know each other (fan-out)? Is it one result for one "
                "caller (one-to-one)?",
                "对每个场景问一问：消息是否必须等待一个忙碌或不在场的接收方（缓冲）？"
                "一个信号是否必须送达许多互不相识的参与方（扇出）？是否是一个调用方要一个结果（一对一）？",
            ),
            Text(
                "Look back at the experiments: 'the consumer starts late and still gets everything', 'a late listener "
                "misses the event', 'on_done runs in the completer's thread'.",
                "回顾一下前面的实验：“消费者启动得晚，仍然拿到了全部消息”、“晚注册的监听器错过了事件”、"
                "“on_done 在完成者的线程里运行”。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
        answer = {1: "queue", 2: "event", 3: "callback"}
        # 1. queue: it buffers the burst (rate difference) and keeps every order until the payment service
        #    receives it, even across a restart (with a durable broker; in memory, across a pause).
        # 2. event: one trigger fans out to every listener; a new reaction registers itself and the
        #    sign-up code (the trigger side) does not change. (Pub/sub and the observer pattern are this.)
        # 3. callback: one result, for one caller, once, when the work completes (or await it:
        #    ac.from_callbacks turns the callback into an awaitable). The callback runs on the download's
        #    thread, so it hands the update to the GUI thread instead of touching the window itself."""),
            textwrap.dedent("""\
        answer = {1: "queue", 2: "event", 3: "callback"}
        # 1. 队列：它缓冲突发流量（速率差），并把每个订单一直保存到支付服务接收为止，
        #    即使中间重启也不丢（需要持久化的消息代理；在内存中，则能挺过一次暂停）。
        # 2. 事件：一次触发扇出给每个监听器；新反应自己注册，注册代码（触发的一方）不用改动。
        #    （发布/订阅和观察者模式就是这种模式。）
        # 3. 回调：一个结果，交给一个调用方，只交一次，在工作完成时调用（也可以 await 它：
        #    ac.from_callbacks 把回调变成可等待对象）。回调在下载线程上运行，
        #    所以它要把更新交给 GUI 线程，而不是自己直接去动窗口。"""),
        ),
        reference={1: "queue", 2: "event", 3: "callback"},
        wrong_answers=[
            {1: "event", 2: "queue", 3: "callback"},
            {1: "queue", 2: "callback", 3: "event"},
            {1: "queue", 2: "queue", 3: "queue"},
            {1: "queue", 2: "event"},
            {1: "pub/sub", 2: "event", 3: "callback"},
            {1: "queue", 2: "Observer", 3: "MessageQueue"},
            {1: "queue", 2: "CallbackRegistry", 3: "callback"},
            {1: "queue", 2: "event", 3: "webhook"},
        ],
    )
)


# -- 06.decide ---------------------------------------------------------------------

#: The situations of chapter 06's decision guide: the properties a situation needs -> the pattern.
DECISIONS: dict[frozenset[str], str] = {
    frozenset({"buffer"}): "queue",
    frozenset({"share work"}): "queue",
    frozenset({"buffer", "share work"}): "queue",
    frozenset({"fan out"}): "event",
    frozenset({"fan out", "buffer"}): "event + queue",
    frozenset({"one result"}): "callback",
}
_PATTERNS = ("queue", "event", "event + queue", "callback")


def _pattern_name(result: Any) -> str | None:
    """A returned pattern in its canonical form, or None: 'Event bus + a queue per party' -> 'event + queue'."""
    if not isinstance(result, str):
        return None
    found = set()
    for part in clean_text(result).split("+"):
        part = part.strip()
        if part in _ALIASES:
            found.add(_ALIASES[part])
        elif "queue" in part:
            found.add("queue")
        elif "event" in part or "bus" in part:
            found.add("event")
        else:
            return None
    if found == {"event", "queue"} and "+" in result:
        return "event + queue"
    return found.pop() if len(found) == 1 and "+" not in result else None


_WRONG_CHOICE = {
    ("fan out + buffer", "event"): Text(
        "a bus keeps nothing: a party that is away when the event happens misses it "
        "(property 5). What must each party have, to keep events while it is away?",
        "事件总线什么也不保存：事件发生时不在场的一方就错过了它（性质 5）。"
        "每一方需要有什么，才能在离开期间把事件保存下来？",
    ),
    ("fan out + buffer", "queue"): Text(
        "one queue gives each message to ONE receiver (property 3), so the parties "
        "would share the events instead of each getting all of them",
        "一个队列只把每条消息交给一个接收方（性质 3），所以各方会分摊这些事件，而不是每一方都拿到全部事件",
    ),
    ("fan out + buffer", "callback"): Text(
        "a callback is one-to-one and keeps nothing; here several parties each need "
        "every event, kept while they are away",
        "回调是一对一的，而且什么也不保存；这里有好几方，每一方都需要每一个事件，并且在离开期间也要保存下来",
    ),
    ("share work", "event"): Text(
        "every listener hears every trigger, so every worker would do every job; which "
        "pattern gives each message to exactly one receiver (property 3)?",
        "每个监听器都会听到每一次触发，所以每个工作者都会把每项任务做一遍；"
        "哪种模式把每条消息只交给一个接收方（性质 3）？",
    ),
    ("fan out", "queue"): Text(
        "in a queue each message goes to one receiver; here every party must hear every happening (property 4)",
        "在队列里，每条消息只交给一个接收方；而这里每一方都必须知道发生的每一件事（性质 4）",
    ),
    ("fan out", "event + queue"): Text(
        "nobody here needs to be away and catch up: the bus alone fans out; add a "
        "queue per party only when a party must not miss events",
        "这里没有谁需要离开后再补上：单靠事件总线就能扇出；只有当某一方不能错过事件时，才给每一方加一个队列",
    ),
}


def _judge_decide(answer: Any) -> str | None:
    if not callable(answer):
        return tr(
            'pass your function itself: ac.check("06.decide", choose_pattern)',
            '请传入你的函数本身：ac.check("06.decide", choose_pattern)',
        )
    problems = []
    for needs, expected in DECISIONS.items():
        returned = answer(set(needs))
        name = _pattern_name(returned)
        label = " + ".join(sorted(needs, key=["fan out", "share work", "buffer", "one result"].index))
        if name is None:
            patterns = ", ".join(map(repr, _PATTERNS))
            return tr(
                f"for {sorted(needs)} your function returned {returned!r}; return one of " + patterns,
                f"对于 {sorted(needs)}，你的函数返回了 {returned!r}；请返回以下之一：" + patterns,
            )
        if name != expected:
            problems.append(
                _WRONG_CHOICE.get(
                    (label, name),
                    Text(
                        f"for {sorted(needs)} you chose {name!r}; look again at the property that decides it",
                        f"对于 {sorted(needs)}，你选了 {name!r}；再看看起决定作用的那条性质",
                    ),
                )
            )
    return str(problems[0]) if problems else None


def choose_pattern(needs):
    if "fan out" in needs:
        return "event + queue" if "buffer" in needs else "event"
    if "buffer" in needs or "share work" in needs:
        return "queue"
    return "callback"


def _always_queue(needs: set[str]) -> str:
    return "queue"


def _fan_out_forgets_absent_parties(needs: set[str]) -> str:
    if "fan out" in needs:
        return "event"
    return "queue" if needs & {"buffer", "share work"} else "callback"


def _buffer_first(needs: set[str]) -> str:  # a buffer wins over everything: the parties would share the events
    if "buffer" in needs or "share work" in needs:
        return "queue"
    return "event" if "fan out" in needs else "callback"


def _returns_nothing(needs: set[str]) -> None:
    return None


register(
    Exercise(
        id="06.decide",
        title=Text("Write the decision guide as a function", "把决策指南写成一个函数"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
        Write the decision guide as code. choose_pattern(needs) gets the set of properties a situation
        needs, drawn from:
          "buffer"      messages must wait for a receiver that is slow, busy or away
          "share work"  each job goes to one of several workers
          "fan out"     one happening reaches several parties, more joining later
          "one result"  one caller wants one job's result when it completes
        It returns "queue", "event", "event + queue" (a bus, plus a queue per party) or "callback".
        The check tries every situation of the guide's table."""),
            textwrap.dedent("""\
        把决策指南写成代码。choose_pattern(needs) 接收一个集合，里面是某个情境需要的性质，取自：
          "buffer"      消息必须等待一个缓慢、忙碌或不在场的接收方
          "share work"  每项任务交给几个工作者中的一个
          "fan out"     一件事要通知多方，以后还会有更多方加入
          "one result"  一个调用方要在某项工作完成时拿到它的结果
        它返回 "queue"、"event"、"event + queue"（事件总线，加上每方一个队列）或 "callback"。
        检查会逐一尝试指南表格中的每种情境。"""),
        ),
        judge=_judge_decide,
        hints=[
            Text(
                "Start from the property that changes the shape most: does one happening go to several parties? "
                "Then ask whether those parties may be away.",
                "从最能改变结构的那条性质入手：一件事是否要通知多方？然后再问：这些参与方会不会不在场？",
            ),
            Text(
                'if "fan out" in needs: a bus, plus a queue per party when "buffer" is needed too; otherwise '
                '"buffer" or "share work" need a queue; what is left is one result for one caller.',
                'if "fan out" in needs：用事件总线；如果还需要 "buffer"，再给每方加一个队列；否则，'
                '"buffer" 或 "share work" 需要队列；剩下的就是一个调用方要一个结果。',
            ),
        ],
        solution_text=Text(
            textwrap.dedent(inspect.getsource(choose_pattern)),
            "# 先看扇出：一件事要通知多方时用事件总线，各方可能不在场（buffer）时再给每方加一个队列；\n"
            "# 否则，需要缓冲或分摊工作就用队列；剩下的是一个调用方要一个结果：回调。\n"
            + textwrap.dedent(inspect.getsource(choose_pattern)),
        ),
        reference=choose_pattern,
        wrong_answers=[_always_queue, _fan_out_forgets_absent_parties, _buffer_first, _returns_nothing, "queue"],
    )
)


# -- 06.batch-fix ----------------------------------------------------------------


async def buggy_receive_batch(q, k):
    """Wait for one message, then take up to k-1 more that are already queued."""
    batch = [await q.receive()]
    while len(batch) < k:
        try:
            batch.append(q.receive_nowait())
        except QueueEmpty:
            break
    return batch


async def receive_batch(q, k):
    """Wait for one message, then take up to k-1 more that are already queued."""
    batch = [await q.receive()]  # waits; raises QueueClosed only when nothing is left
    while len(batch) < k and not q.empty():  # only what is already there: never wait for more
        batch.append(q.receive_nowait())
    return batch


async def _nowait_only(q: AsyncMessageQueue, k: int) -> list[Any]:
    batch: list[Any] = []
    while len(batch) < k:
        try:
            batch.append(q.receive_nowait())
        except QueueEmpty:
            break
    return batch


async def _wait_for_k(q: AsyncMessageQueue, k: int) -> list[Any]:
    return [await q.receive() for _ in range(k)]


async def _swallow_close(q: AsyncMessageQueue, k: int) -> list[Any]:
    batch: list[Any] = []
    try:
        batch.append(await q.receive())
        while len(batch) < k and not q.empty():
            batch.append(q.receive_nowait())
    except QueueClosed:
        pass
    return batch


async def _one_too_many(q: AsyncMessageQueue, k: int) -> list[Any]:
    batch = [await q.receive()]
    while len(batch) <= k and not q.empty():
        batch.append(q.receive_nowait())
    return batch


def _batch_case(
    fn: Callable[..., Any], queued: list[Any], k: int, *, close: bool = False, late: tuple[tuple[float, Any], ...] = ()
) -> tuple[Any, float, list[Any]]:
    """Run ``fn(q, k)`` on a queue holding ``queued`` (then closed if asked),
    with ``late`` messages sent at given times. Returns (result or the exception
    raised, time it returned, what stayed queued)."""

    async def main() -> tuple[Any, float, list[Any]]:
        q = AsyncMessageQueue(name="inbox")
        for msg in queued:
            q.send_nowait(msg)
        if close:
            q.close()

        async def sender() -> None:
            for when, msg in late:
                await asyncio.sleep(when - asyncio.get_running_loop().time())
                await q.send(msg)

        sending = asyncio.ensure_future(sender())
        try:
            outcome: Any = await fn(q, k)
        except QueueClosed as err:
            outcome = err
        returned_at = asyncio.get_running_loop().time()
        sending.cancel()
        return outcome, returned_at, q.snapshot()

    return VirtualClock(deadlock_after=0.05).run(main())


def _judge_batch(fixed: Any) -> str | None:
    if not inspect.iscoroutinefunction(fixed):
        return tr(
            "fixed must be an `async def` function taking (q, k), like receive_batch above",
            "fixed 必须是一个接收 (q, k) 的 `async def` 函数，就像上面的 receive_batch 那样",
        )
    try:
        got, _, left = _batch_case(fixed, [1, 2, 3, 4, 5, 6, 7], 3)
        if got != [1, 2, 3] or left != [4, 5, 6, 7]:
            return tr(
                f"with 7 messages queued and k=3 your function returned {got!r} and left {left!r} queued: "
                f"a batch is the k oldest messages, in order, and the rest stay queued",
                f"队列里有 7 条消息、k=3 时，你的函数返回了 {got!r}，队列里留下 {left!r}："
                f"一批应当是最早的 k 条消息，按顺序排列，其余的留在队列里",
            )
        got, at, _ = _batch_case(fixed, [], 2, late=((2.0, "a"), (3.0, "b")))
        if got == []:
            return tr(
                "on an empty queue your function returned an empty batch at once: it must wait for a first message",
                "队列为空时，你的函数立即返回了一个空批次：它必须等到第一条消息",
            )
        if got != ["a"] or at != 2.0:
            return tr(
                f"with an empty queue, one message arriving at t=2 and another at t=3 (k=2), your function "
                f"returned {got!r} at t={at:g}: return as soon as there is one message, without waiting "
                f"for more",
                f"队列为空，一条消息在 t=2 到达、另一条在 t=3 到达（k=2）时，你的函数在 t={at:g} 返回了 "
                f"{got!r}：只要有了一条消息就应立即返回，不要再等更多",
            )
        got, _, _ = _batch_case(fixed, [1, 2], 5)
    except Deadlock:
        return tr(
            "with 2 messages queued and k=5 your function waited for ever: take only what is already "
            "queued after the first message, never wait for a full batch",
            "队列里有 2 条消息、k=5 时，你的函数永远等了下去：拿到第一条消息之后，只取已经在排队的消息，"
            "绝不要等凑满一批",
        )
    got, _, left = _batch_case(fixed, [1, 2], 5, close=True)
    if isinstance(got, QueueClosed):
        return tr(
            "on a closed queue still holding 2 messages (k=5) your function raised QueueClosed instead of "
            "returning them: the messages it had already taken are lost. Which errors can receive_nowait() "
            "raise once a closed queue runs dry?",
            "在一个已关闭、但仍有 2 条消息的队列上（k=5），你的函数抛出了 QueueClosed，而没有返回这些消息："
            "它已经取出的消息就这样丢了。一个已关闭的队列被取空之后，receive_nowait() 可能抛出哪些错误？",
        )
    if got != [1, 2] or left:
        return tr(
            f"on a closed queue holding [1, 2] (k=5) your function returned {got!r}: it should return both",
            f"在一个已关闭、装着 [1, 2] 的队列上（k=5），你的函数返回了 {got!r}：它应该把两条都返回",
        )
    got, _, _ = _batch_case(fixed, [], 3, close=True)
    if not isinstance(got, QueueClosed):
        return tr(
            f"on a closed, empty queue your function returned {got!r}: it must raise ac.QueueClosed, or the "
            f"consumer's loop never learns that the stream has ended",
            f"在一个已关闭的空队列上，你的函数返回了 {got!r}：它必须抛出 ac.QueueClosed，"
            f"否则消费者的循环永远不会知道消息流已经结束",
        )
    return None


_BUGGY_SOURCE = textwrap.indent(
    as_notebook_code(inspect.getsource(buggy_receive_batch).replace("buggy_", ""), ["QueueEmpty"]), "    "
)

_BATCH_SOLUTION = textwrap.dedent(inspect.getsource(receive_batch)) + "\n\nfixed = receive_batch\n"

register(
    Exercise(
        id="06.batch-fix",
        title=Text("Fix the batching receive that loses messages", "修好会丢消息的批量接收"),
        kind="fix",
        prompt=Text(
            textwrap.dedent("""\
        This batching receive (from the notebook) usually works, but with k=3 and 100 messages one
        message was received and never processed:

        """)
            + _BUGGY_SOURCE
            + textwrap.dedent("""
        Write a fixed version with the same contract and set `fixed` to it:
          - wait for the first message; then take only messages that are already queued, at most k in all;
          - return them oldest first;
          - raise ac.QueueClosed only if the queue is closed and nothing was taken."""),
            textwrap.dedent("""\
        本章笔记本里的这个批量接收函数通常能正常工作，但在 k=3、共 100 条消息时，
        有一条消息取出来了，却从未被处理：

        """)
            + _BUGGY_SOURCE
            + textwrap.dedent("""
        写一个修正版本，约定保持不变，并把 `fixed` 设为它：
          - 等待第一条消息；然后只取已经在排队的消息，总共最多 k 条；
          - 按从旧到新的顺序返回；
          - 只有在队列已关闭、并且一条都没取到时，才抛出 ac.QueueClosed。"""),
        ),
        judge=_judge_batch,
        hints=[
            Text(
                "Run it on a queue holding [1, 2] that is already closed, with k=5. What does receive_nowait() raise "
                "when a *closed* queue is empty?",
                "在一个装着 [1, 2]、并且已经关闭的队列上运行它，k=5。当一个*已关闭*的队列为空时，"
                "receive_nowait() 会抛出什么？",
            ),
            Text(
                "Either catch both ac.QueueEmpty and ac.QueueClosed around receive_nowait(), or do not call it on an "
                "empty queue at all: loop while len(batch) < k and not q.empty().",
                "要么在 receive_nowait() 外面同时捕获 ac.QueueEmpty 和 ac.QueueClosed，要么干脆不在空队列上调用它："
                "在 len(batch) < k and not q.empty() 时循环。",
            ),
        ],
        solution_text=Text(
            _BATCH_SOLUTION,
            _BATCH_SOLUTION.replace(
                "Wait for one message, then take up to k-1 more that are already queued.",
                "等待一条消息，然后再取最多 k-1 条已经在排队的消息。",
            )
            .replace(
                "# waits; raises QueueClosed only when nothing is left", "# 等待；只有什么都不剩时才抛出 QueueClosed"
            )
            .replace("# only what is already there: never wait for more", "# 只取已经在队列里的：绝不再等更多"),
        ),
        reference=receive_batch,
        wrong_answers=[buggy_receive_batch, _nowait_only, _wait_for_k, _swallow_close, _one_too_many, sum],
    )
)
