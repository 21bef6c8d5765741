"""Exercises of chapter 05a (bottlenecks and backpressure).

* ``05a.queue-length`` (predict), ``05a.utilisation`` (write): a producer faster than its consumer;
* ``05a.size-the-queue`` (predict): a bounded queue for bursts, block or drop;
* ``05a.send-or-shed`` (write): backpressure with :class:`asyncio.Queue`, and load shedding after a patience;
* ``05a.blocking-probability`` (predict): the share of messages a bounded queue drops (M/M/1/K).

>>> from asyncomm import exercises
>>> exercises.get("05a.queue-length").check(14).outcome.value
'correct'
"""

from __future__ import annotations

import asyncio
import inspect
import math
from functools import cache
from typing import Any

from asyncomm._checks import is_number
from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, as_list, clean_text, real_number, register, whole_number
from asyncomm.errors import Deadlock
from asyncomm.i18n import Text, tr
from asyncomm.labs.queueing import MM1, MM1K
from asyncomm.labs.simulate import POLICIES, regular_arrivals, simulate_pipeline

__all__: list[str] = []


# -- 05a.queue-length ------------------------------------------------------------

#: A moment when nothing happens (sends are at multiples of 0.5 s, takes at multiples of 1.5 s), so the count
#: does not hang on which of two things at the same instant happens first.
QUEUE_LENGTH_AT = 10.25


@cache
def _queue_length_run():  # type: ignore[no-untyped-def]
    # One message every 0.5 s from t=0 for 20 s; one consumer, 1.5 s per message.
    return simulate_pipeline(regular_arrivals(0.5, 41), service_time=1.5)


def _judge_queue_length(answer: Any) -> str | None:
    answer = whole_number(answer)
    if answer is None:
        return tr("give a whole number of messages, e.g. answer = 7", "请给出一个表示消息条数的整数，例如 answer = 7")
    run = _queue_length_run()
    expected = run.length_at(QUEUE_LENGTH_AT)
    if answer == expected:
        return None
    sent = sum(m.sent <= QUEUE_LENGTH_AT for m in run.messages)
    if answer == expected + 1:
        return tr(
            "you counted the message the consumer is handling; count only those still waiting in the queue",
            "你把消费者正在处理的那条消息也算进去了；只数仍在队列里等待的消息",
        )
    if answer == expected - 1:
        return tr(
            "count the message sent at t = 10 too: by t = 10.25 it is in the queue",
            "t = 10 时发出的那条消息也要算上：到 t = 10.25 时它已经在队列里了",
        )
    if answer == sent:
        return tr(
            "that is how many were sent; subtract the ones the consumer has already taken",
            "这是发出的消息总数；还要减去消费者已经取走的那些",
        )
    if abs(answer - expected) <= 2:
        return tr(
            "close: the rates give the trend, but count whole messages - one is sent at t = 0 and one at "
            "t = 10, and the consumer takes a message at t = 0, 1.5, 3, ...",
            "很接近了：速率给出的是趋势，但要按整条消息来数——t = 0 时发出一条，t = 10 时也发出一条，"
            "而消费者在 t = 0、1.5、3、…… 时各取走一条消息",
        )
    return tr(
        "not quite: count the messages sent by t = 10.25, then subtract those the consumer has taken",
        "还不对：先数出到 t = 10.25 为止发出的消息，再减去消费者已经取走的",
    )


register(
    Exercise(
        id="05a.queue-length",
        title=Text("Predict the queue length", "预测队列长度"),
        kind="predict",
        prompt=Text(
            "A producer sends one message every 0.5 s, the first at t = 0. One consumer needs 1.5 s per message "
            "and takes the next one as soon as it is free. The queue is unbounded. How many messages are "
            "waiting in the queue at t = 10.25 s? Count only the messages waiting, not the one the consumer is "
            "handling. Answer with a whole number.",
            "一个生产者每 0.5 秒发出一条消息，第一条在 t = 0 发出。一个消费者处理每条消息需要 1.5 秒，"
            "一空闲就立刻取下一条。队列是无界的。在 t = 10.25 秒时，队列里有多少条消息在等待？"
            "只数正在等待的消息，不算消费者正在处理的那条。请用一个整数作答。",
        ),
        judge=_judge_queue_length,
        hints=[
            Text(
                "In: 2 messages per second. Out: one per 1.5 s. The queue grows by the difference, about 1.33 per "
                "second - but count whole messages to get it exact.",
                "进：每秒 2 条消息。出：每 1.5 秒一条。队列按两者之差增长，大约每秒 1.33 条——"
                "但要得到精确答案，得按整条消息来数。",
            ),
            Text(
                "Sent by t = 10.25: the ones at 0, 0.5, ..., 10. Taken by the consumer by then: the ones it started "
                "at 0, 1.5, 3, ..., 9.",
                "到 t = 10.25 为止发出的：在 0、0.5、……、10 时发出的那些。到那时被消费者取走的："
                "它在 0、1.5、3、……、9 时开始处理的那些。",
            ),
        ],
        solution_text=Text(
            "answer = 14\n"
            "# Sent by t = 10.25: 21 messages (t = 0, 0.5, ..., 10). The consumer started one at t = 0,\n"
            "# 1.5, 3, 4.5, 6, 7.5 and 9: 7 taken. Waiting: 21 - 7 = 14. Check it:\n"
            "#     from asyncomm.labs.simulate import simulate_pipeline, regular_arrivals\n"
            "#     simulate_pipeline(regular_arrivals(0.5, 41), 1.5).length_at(10.25)",
            "answer = 14\n"
            "# 到 t = 10.25 为止发出了 21 条消息（t = 0、0.5、……、10）。消费者在 t = 0、1.5、3、4.5、\n"
            "# 6、7.5 和 9 时各开始处理一条：取走了 7 条。等待中的：21 - 7 = 14。验证一下：\n"
            "#     from asyncomm.labs.simulate import simulate_pipeline, regular_arrivals\n"
            "#     simulate_pipeline(regular_arrivals(0.5, 41), 1.5).length_at(10.25)",
        ),
        reference=14,
        wrong_answers=[15, 21, 13, 40, "14", 21.0, 14.5],
    )
)


# -- 05a.utilisation --------------------------------------------------------------

_UTILISATION_CASES = [  # (arrival_rate per s, service_time s, consumers)
    (1.0, 2.0, 1),
    (1.0, 2.0, 2),
    (0.5, 1.0, 1),
    (3.0, 0.5, 2),
    (10.0, 0.25, 4),
    (0.8, 1.0, 1),
]


def _judge_utilisation(fn: Any) -> str | None:
    if not callable(fn):
        return tr(
            "pass your function itself to ac.check: utilisation, without quotes or parentheses",
            "请把函数本身传给 ac.check：直接写 utilisation，不加引号，也不加括号",
        )
    for rate, service, consumers in _UTILISATION_CASES:
        expected = rate * service / consumers
        got = fn(rate, service, consumers)
        if not is_number(got):
            return tr(
                f"utilisation(...) must return a number, got {got!r}",
                f"utilisation(...) 必须返回一个数，得到的是 {got!r}",
            )
        if math.isclose(got, expected, rel_tol=1e-9):
            continue
        if math.isclose(got, rate / service / consumers, rel_tol=1e-9):
            return tr(
                "service_time is seconds per message, not messages per second: the service *rate* is 1 / service_time",
                "service_time 是每条消息需要的秒数，而不是每秒处理的消息数：服务*率*是 1 / service_time",
            )
        if math.isclose(got, rate * service, rel_tol=1e-9):
            return tr(
                "with more consumers each one gets a share of the work: divide by the number of consumers",
                "消费者多了，每个消费者只分担一部分工作：要除以消费者的个数",
            )
        return tr(
            f"utilisation({rate}, {service}, {consumers}) gave {got!r}: compare arrivals with what can be served",
            f"utilisation({rate}, {service}, {consumers}) 得到 {got!r}：拿到达的量和能处理的量相比",
        )
    return None


def _reference_utilisation(arrival_rate: float, service_time: float, consumers: int = 1) -> float:
    return arrival_rate * service_time / consumers


register(
    Exercise(
        id="05a.utilisation",
        title=Text(
            "Write utilisation(): the number that decides if a queue grows",
            "编写 utilisation()：决定队列是否增长的那个数",
        ),
        kind="write",
        prompt=Text(
            "Write utilisation(arrival_rate, service_time, consumers=1): messages arrive at arrival_rate per "
            "second, each consumer needs service_time seconds per message. Return rho = arrival rate / total "
            "service rate. rho < 1: the consumers keep up; rho > 1: the queue grows without bound.",
            "编写 utilisation(arrival_rate, service_time, consumers=1)：消息以每秒 arrival_rate 条的速率到达，"
            "每个消费者处理一条消息需要 service_time 秒。返回利用率 rho = 到达率 / 总服务率。"
            "rho < 1：消费者跟得上；rho > 1：队列会无限增长。",
        ),
        judge=_judge_utilisation,
        hints=[
            Text(
                "One consumer serves 1 / service_time messages per second; c consumers serve c / service_time.",
                "一个消费者每秒处理 1 / service_time 条消息；c 个消费者每秒处理 c / service_time 条。",
            ),
            Text(
                "rho = arrival_rate / (consumers / service_time).",
                "利用率 rho = arrival_rate / (consumers / service_time)。",
            ),
        ],
        solution_text=Text(
            "def utilisation(arrival_rate, service_time, consumers=1):\n"
            "    return arrival_rate * service_time / consumers",
            "def utilisation(arrival_rate, service_time, consumers=1):\n"
            "    # 到达率 ÷ 总服务率 = 到达率 × 服务时间 ÷ 消费者个数\n"
            "    return arrival_rate * service_time / consumers",
        ),
        reference=_reference_utilisation,
        wrong_answers=[lambda r, s, c=1: r / s / c, lambda r, s, c=1: r * s, lambda r, s, c=1: "rho", 0.5],
    )
)


# -- 05a.size-the-queue -----------------------------------------------------------

BURSTS = [0.0] * 8 + [20.0] * 8  # two bursts of 8 messages
BURST_SERVICE = 1.0
MAX_PRODUCER_WAIT = 3.0


def _bursts(maxsize: int, policy: str):  # type: ignore[no-untyped-def]
    return simulate_pipeline(BURSTS, BURST_SERVICE, maxsize=maxsize, policy=policy).summary()


def _meets_goals(maxsize: int, policy: str) -> bool:
    s = _bursts(maxsize, policy)
    return s.dropped == 0 and s.max_producer_wait <= MAX_PRODUCER_WAIT


def _judge_sizing(answer: Any) -> str | None:
    pair = as_list(answer)
    if pair is None or len(pair) != 2:
        return tr(
            "answer with a pair: (maxsize, policy), e.g. (10, 'drop')",
            "请用一对值作答：(maxsize, policy)，例如 (10, 'drop')",
        )
    if isinstance(pair[0], str) and whole_number(pair[1]) is not None:
        return tr("the number comes first: answer = (maxsize, policy)", "数字在前：answer = (maxsize, policy)")
    maxsize, policy = whole_number(pair[0]), pair[1]
    if maxsize is None or maxsize < 0:
        return tr("maxsize must be a whole number >= 0", "maxsize 必须是 >= 0 的整数")
    policy = clean_text(policy) if isinstance(policy, str) else policy
    if policy not in POLICIES:
        choices = ", ".join(map(repr, POLICIES))
        return tr(f"policy must be one of {choices}", f"policy 必须是以下之一：{choices}")
    if maxsize == 0:
        return tr(
            "an unbounded queue never drops nor blocks, but it also puts no limit on memory: "
            "choose a bound (maxsize > 0)",
            "无界队列既不丢弃也不阻塞，但它对内存也没有任何限制：请选一个上限（maxsize > 0）",
        )
    s = _bursts(maxsize, policy)
    if s.dropped:
        return tr(
            f"{s.dropped} of the {s.sent} messages were dropped: that queue is too small for that policy",
            f"{s.sent} 条消息中有 {s.dropped} 条被丢弃：对这种策略来说，这个队列太小了",
        )
    if s.max_producer_wait > MAX_PRODUCER_WAIT:
        return tr(
            f"a message was accepted more than {MAX_PRODUCER_WAIT:g} s after the producer wanted to send it "
            f"(max_producer_wait = {s.max_producer_wait:g} s): allow a longer queue",
            f"有一条消息在生产者想发送它之后超过 {MAX_PRODUCER_WAIT:g} 秒才被接纳"
            f"（max_producer_wait = {s.max_producer_wait:g} 秒）：请允许更长的队列",
        )
    if any(_meets_goals(m, p) for m in range(1, maxsize) for p in POLICIES):
        return tr(
            "no message is lost and the producer waits little enough - but a smaller queue would do too",
            "没有消息丢失，生产者等待的时间也够短——但更小的队列也能做到",
        )
    return None


register(
    Exercise(
        id="05a.size-the-queue",
        title=Text("Size a queue for bursts", "为突发流量确定队列大小"),
        kind="predict",
        prompt=Text(
            "A producer sends bursts: 8 messages at once at t = 0, and 8 more at t = 20. One consumer needs 1 s "
            "per message. Choose the queue's maxsize and its policy ('block': the producer waits for room, "
            "'drop': a message that finds the queue full is discarded) so that no message is lost and no message "
            f"is accepted more than {MAX_PRODUCER_WAIT:g} s after the producer wanted to send it (max_producer_wait "
            "in the run's summary) - with the smallest maxsize that does both. Answer with a pair: "
            "answer = (maxsize, policy).",
            "一个生产者成批地发送消息：t = 0 时一次发出 8 条，t = 20 时再发 8 条。一个消费者处理每条消息需要 1 秒。"
            "请选择队列的 maxsize 和策略 policy（'block'：生产者等待空位；'drop'：消息到达时如果队列已满，就丢弃它），"
            f"使得没有消息丢失，并且没有哪条消息在生产者想发送它之后超过 {MAX_PRODUCER_WAIT:g} 秒才被接纳"
            "（即运行摘要中的 max_producer_wait）——并且在两者都满足的前提下 maxsize 最小。请用一对值作答："
            "answer = (maxsize, policy)。",
        ),
        judge=_judge_sizing,
        hints=[
            Text(
                "'drop' loses every message that finds the queue full, so it needs room for a whole burst. "
                "'block' loses nothing, but the producer waits.",
                "'drop' 会丢掉到达时队列已满的每一条消息，所以它需要能装下整批突发的空间。"
                "'block' 什么都不丢，但生产者要等待。",
            ),
            Text(
                "At t = 0 the consumer takes the first message at once; it then takes one per second. With "
                "policy 'block' and maxsize m, message k (k > m) is accepted at t = k - m.",
                "t = 0 时消费者立刻取走第一条消息，之后每秒取一条。在策略 'block'、maxsize 为 m 时，"
                "第 k 条消息（k > m）在 t = k - m 时被接纳。",
            ),
        ],
        solution_text=Text(
            "answer = (4, 'block')\n"
            "# The consumer takes message 0 at once; messages 1-4 fill the queue; message k > 4 waits\n"
            "# until t = k - 4, so message 7 waits 3 s. With maxsize 3 it would wait 4 s; 'drop' needs\n"
            "# maxsize 7 to hold a burst.",
            "answer = (4, 'block')\n"
            "# 消费者立刻取走第 0 条消息；第 1-4 条填满队列；第 k 条（k > 4）要等到 t = k - 4，\n"
            "# 所以第 7 条等了 3 秒。maxsize 为 3 时它要等 4 秒；'drop' 需要 maxsize 7 才能装下\n"
            "# 一整批突发。",
        ),
        reference=(4, "block"),
        wrong_answers=[
            (3, "block"),
            (4, "drop"),
            (7, "drop"),
            (0, "block"),
            (5, "block"),
            [3, "Block"],
            ("block", 4),
            (4.5, "block"),
            ("4", "block"),
            4,
            (4, "block", "drop"),
        ],
    )
)


# -- 05a.send-or-shed ------------------------------------------------------------

SHED_MAXSIZE = 2
SHED_ITEMS = 8  # all offered at t = 0
SHED_SERVICE = 1.0  # the consumer's seconds per item
SHED_PATIENCE = 0.8


def _shed_run(send_all: Any, maxsize: int, patience: float) -> tuple[Any, float, list[Any]]:
    """Run ``send_all(queue, items, patience)`` against an ``asyncio.Queue(maxsize)`` whose consumer takes
    ``SHED_SERVICE`` s per item, on a virtual clock. Returns (what it returned, when, what was accepted)."""

    async def main() -> tuple[Any, float, list[Any]]:
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=maxsize)
        taken: list[Any] = []

        async def consumer() -> None:
            while True:
                taken.append(await queue.get())
                await asyncio.sleep(SHED_SERVICE)

        worker = asyncio.create_task(consumer())
        try:
            shed = await send_all(queue, list(range(SHED_ITEMS)), patience)
        finally:
            worker.cancel()
        accepted = taken + [queue.get_nowait() for _ in range(queue.qsize())]
        return shed, asyncio.get_running_loop().time(), accepted

    return VirtualClock(deadlock_after=0.05).run(main())


def _judge_send_or_shed(send_all: Any) -> str | None:
    if not inspect.iscoroutinefunction(send_all):
        return tr(
            "send_all must be an `async def` function taking (queue, items, patience)",
            "send_all 必须是一个 `async def` 函数，参数为 (queue, items, patience)",
        )
    try:
        shed, at, accepted = _shed_run(send_all, SHED_MAXSIZE, SHED_PATIENCE)
    except Deadlock:
        return tr(
            "your send_all waited for something that never happens: await queue.put(item) for each item",
            "你的 send_all 在等待一件永远不会发生的事：对每个条目执行 await queue.put(item)",
        )
    if not isinstance(shed, list):
        return tr(
            f"send_all must return the list of items it shed (dropped), got {shed!r}",
            f"send_all 必须返回它削减（丢弃）的条目列表，得到的是 {shed!r}",
        )
    expected, _, _ = _shed_run(_reference_send_all, SHED_MAXSIZE, SHED_PATIENCE)
    if sorted(accepted + shed) != list(range(SHED_ITEMS)) or set(accepted) & set(shed):
        return tr(
            f"every item must either go into the queue or be returned as shed, never both: the queue took "
            f"{accepted} and you returned {shed}",
            f"每个条目要么进入队列，要么作为被削减的条目返回，不能两者都是：队列收下了 {accepted}，而你返回了 {shed}",
        )
    if shed != expected:
        if at == 0 and shed == list(range(shed[0], SHED_ITEMS)):
            return tr(
                "you shed every item that found the queue full, at once: that is load shedding without "
                "backpressure. Wait for room (await queue.put), and give up only after patience seconds",
                "只要队列已满，你就立刻削减条目：这是没有背压的负载削减。"
                "先等待空位（await queue.put），等满 patience 秒之后才放弃",
            )
        if shed == list(range(SHED_MAXSIZE + 1, SHED_ITEMS)):
            return tr(
                "patience is per item: after the first wait ran out, every later item was shed too. Start a new "
                "timeout for each put (asyncio.timeout or asyncio.wait_for inside the loop)",
                "patience 是针对每个条目的：第一次等待超时之后，后面的每个条目也都被削减了。"
                "每次 put 都要重新开始计时（在循环内部使用 asyncio.timeout 或 asyncio.wait_for）",
            )
        if not shed:
            return tr(
                f"nothing was shed: your producer waited for room as long as it took (until t = {at:g} s), though "
                f"the consumer needs {SHED_SERVICE:g} s per item and patience is {SHED_PATIENCE:g} s. Give up on "
                "an item after patience seconds: asyncio.timeout(patience) or asyncio.wait_for(..., patience)",
                f"什么都没有削减：你的生产者为等空位一直等下去（直到 t = {at:g} 秒），而消费者处理每个条目需要 "
                f"{SHED_SERVICE:g} 秒，patience 却只有 {SHED_PATIENCE:g} 秒。等满 patience 秒就放弃这个条目："
                "asyncio.timeout(patience) 或 asyncio.wait_for(..., patience)",
            )
        return tr(
            f"with maxsize={SHED_MAXSIZE}, {SHED_ITEMS} items at t = 0, a consumer taking {SHED_SERVICE:g} s per "
            f"item and patience {SHED_PATIENCE:g} s, you shed {shed}: each put should wait up to patience "
            "seconds for room, and only then be given up",
            f"在 maxsize={SHED_MAXSIZE}、t = 0 时有 {SHED_ITEMS} 个条目、消费者每个条目需要 {SHED_SERVICE:g} 秒、"
            f"patience 为 {SHED_PATIENCE:g} 秒的情况下，你削减了 {shed}：每次 put 都应为空位最多等待 patience 秒，"
            "之后才放弃",
        )
    shed, at, _ = _shed_run(send_all, SHED_ITEMS + 2, SHED_PATIENCE)
    if shed or at:
        return tr(
            f"with room for every item, send_all shed {shed} and returned at t = {at:g} s: nothing should wait",
            f"在每个条目都有空位的情况下，send_all 削减了 {shed}，并在 t = {at:g} 秒时返回：本不应有任何等待",
        )
    return None


async def _reference_send_all(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    shed = []
    for item in items:
        try:
            async with asyncio.timeout(patience):
                await queue.put(item)
        except TimeoutError:
            shed.append(item)
    return shed


async def _never_waits(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    shed = []
    for item in items:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            shed.append(item)
    return shed


async def _one_timeout_for_all(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    left = list(items)
    try:
        async with asyncio.timeout(patience):
            while left:
                await queue.put(left[0])
                left.pop(0)
    except TimeoutError:
        return left
    return []


async def _never_sheds(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> list[Any]:
    for item in items:
        await queue.put(item)
    return []


async def _returns_a_count(queue: asyncio.Queue[Any], items: list[Any], patience: float) -> int:
    return len(await _reference_send_all(queue, items, patience))


register(
    Exercise(
        id="05a.send-or-shed",
        title=Text(
            "Backpressure first, then load shedding, with asyncio.Queue",
            "先背压，再负载削减：用 asyncio.Queue 实现",
        ),
        kind="write",
        prompt=Text(
            "Write `async def send_all(queue, items, patience)`: put each item of `items`, in order, into "
            "`queue` (an asyncio.Queue with a maxsize). While the queue is full, wait for room - backpressure - "
            "but at most `patience` seconds per item: an item that finds no room in time is shed (dropped), and "
            "send_all goes on with the next one. Return the list of items shed. The check runs it on a virtual "
            f"clock: maxsize={SHED_MAXSIZE}, items 0..{SHED_ITEMS - 1} at t = 0, a consumer taking "
            f"{SHED_SERVICE:g} s per item, patience {SHED_PATIENCE:g} s.",
            "编写 `async def send_all(queue, items, patience)`：把 `items` 中的每个条目按顺序放入 "
            "`queue`（一个设了 maxsize 的 asyncio.Queue）。队列满时等待空位——这就是背压——"
            "但每个条目最多等 `patience` 秒：在时限内等不到空位的条目被削减（丢弃），send_all 接着处理下一个。"
            "返回被削减的条目列表。检查会在虚拟时钟上运行它："
            f"maxsize={SHED_MAXSIZE}，条目 0..{SHED_ITEMS - 1} 都在 t = 0 时到来，消费者处理每个条目需要 "
            f"{SHED_SERVICE:g} 秒，patience 为 {SHED_PATIENCE:g} 秒。",
        ),
        judge=_judge_send_or_shed,
        hints=[
            Text(
                "`await queue.put(item)` waits for room (backpressure); `queue.put_nowait(item)` raises "
                "asyncio.QueueFull at once (shedding without waiting). You need the first, with a time limit.",
                "`await queue.put(item)` 会等待空位（背压）；`queue.put_nowait(item)` 会立刻抛出 "
                "asyncio.QueueFull（不等待就削减）。你需要的是前者，再加上一个时限。",
            ),
            Text(
                "Around each put: `async with asyncio.timeout(patience): await queue.put(item)`, and catch "
                "TimeoutError after the `async with` to shed that item.",
                "在每次 put 外面包上：`async with asyncio.timeout(patience): await queue.put(item)`，"
                "并在 `async with` 之外捕获 TimeoutError，把这个条目削减掉。",
            ),
        ],
        solution_text=Text(
            "async def send_all(queue, items, patience):\n"
            "    shed = []\n"
            "    for item in items:\n"
            "        try:\n"
            "            async with asyncio.timeout(patience):   # a new time limit for each item\n"
            "                await queue.put(item)               # waits while the queue is full\n"
            "        except TimeoutError:\n"
            "            shed.append(item)                       # no room in time: drop it, go on\n"
            "    return shed\n"
            "\n"
            "# asyncio.wait_for(queue.put(item), patience) does the same. Items 0-2 fit at once (the\n"
            "# consumer takes 0, the queue holds 1 and 2); 3 waits 0.8 s and is shed; 4 finds room at\n"
            "# t = 1; 5 is shed at 1.8; 6 fits at 2; 7 is shed at 2.8: [3, 5, 7].",
            "async def send_all(queue, items, patience):\n"
            "    shed = []\n"
            "    for item in items:\n"
            "        try:\n"
            "            async with asyncio.timeout(patience):   # 每个条目都有新的时限\n"
            "                await queue.put(item)               # 队列满时在这里等待\n"
            "        except TimeoutError:\n"
            "            shed.append(item)                       # 时限内没有空位：丢弃，继续\n"
            "    return shed\n"
            "\n"
            "# asyncio.wait_for(queue.put(item), patience) 的效果相同。条目 0-2 立刻放得下（消费者\n"
            "# 取走 0，队列装下 1 和 2）；3 等了 0.8 秒后被削减；4 在 t = 1 时等到空位；5 在 1.8 时\n"
            "# 被削减；6 在 2 时放入；7 在 2.8 时被削减：[3, 5, 7]。",
        ),
        reference=_reference_send_all,
        wrong_answers=[_never_waits, _one_timeout_for_all, _never_sheds, _returns_a_count, 3],
    )
)


# -- 05a.blocking-probability -----------------------------------------------------

BLOCKING_MAXSIZE = 2
BLOCKING_ARRIVAL_RATE = 1.0  # per second
BLOCKING_SERVICE_RATE = 2.0  # per second: 0.5 s per message on average


#: How close a share must be to count as right: 2 % of it (0.0667, 0.067 and 0.066 all pass for 1/15).
BLOCKING_REL_TOL = 0.02


def _judge_blocking(answer: Any) -> str | None:
    if isinstance(answer, str) and answer.strip().endswith("%"):
        return tr(
            "give the share as a number between 0 and 1, not as a percentage string: 0.25 rather than '25%'",
            "请把比例写成 0 到 1 之间的数，而不是百分比字符串：写 0.25，而不是 '25%'",
        )
    answer = real_number(answer)
    if answer is None:
        return tr(
            "answer with a number between 0 and 1: the share of messages dropped",
            "请用 0 到 1 之间的一个数作答：被丢弃消息所占的比例",
        )
    model = MM1K.from_queue(BLOCKING_MAXSIZE, BLOCKING_ARRIVAL_RATE, BLOCKING_SERVICE_RATE)
    if math.isclose(answer, model.blocking_probability, rel_tol=BLOCKING_REL_TOL):
        return None
    if 1 < answer <= 100:
        return tr("give a share between 0 and 1, not a percentage", "请给出 0 到 1 之间的比例，而不是百分数")
    if math.isclose(
        answer, MM1K(BLOCKING_ARRIVAL_RATE, BLOCKING_SERVICE_RATE, BLOCKING_MAXSIZE).blocking_probability, rel_tol=0.01
    ):
        return tr(
            "K counts every message in the system: the ones waiting in the queue *and* the one the consumer "
            "is handling",
            "K 计入系统中的每一条消息：队列里等待的那些，*以及*消费者正在处理的那条",
        )
    unbounded = MM1(BLOCKING_ARRIVAL_RATE, BLOCKING_SERVICE_RATE)
    if math.isclose(answer, unbounded.p(model.capacity), rel_tol=0.01):
        return tr(
            "that is p(K) of an unbounded queue; a bounded queue never holds more than K, so its "
            "probabilities p(0) .. p(K) must add up to 1 on their own",
            "这是无界队列的 p(K)；有界队列里从来不会超过 K 条消息，所以它的概率 p(0) .. p(K) 自身加起来必须等于 1",
        )
    if math.isclose(answer, unbounded.rho**model.capacity, rel_tol=0.01):
        return tr(
            "that is P(at least K inside) for an unbounded queue; the bounded queue has its own p(K)",
            "这是无界队列的 P(系统中至少有 K 条)；有界队列有它自己的 p(K)",
        )
    if math.isclose(answer, model.blocking_probability, rel_tol=0.1):
        return tr(
            "close, but more than 2 % off: keep more digits through the calculation (round only the result, "
            "to 3 significant digits)",
            "很接近，但误差超过了 2%：计算过程中多保留几位数字（只对最终结果四舍五入，保留 3 位有效数字）",
        )
    return tr(
        "M/M/1/K: p(n) = (1 - ρ) ρ^n / (1 - ρ^(K+1)) for n = 0 .. K, and an arrival is dropped when it finds n = K",
        "M/M/1/K 模型：对 n = 0 .. K，p(n) = (1 - ρ) ρ^n / (1 - ρ^(K+1))；到达的消息遇到 n = K 时被丢弃",
    )


register(
    Exercise(
        id="05a.blocking-probability",
        title=Text("Predict the share a bounded queue drops", "预测有界队列丢弃的比例"),
        kind="predict",
        prompt=Text(
            f"A queue with maxsize={BLOCKING_MAXSIZE} and policy 'drop' feeds one consumer. Messages arrive at "
            f"random (a Poisson stream) at {BLOCKING_ARRIVAL_RATE:g} per second; the consumer needs "
            f"{1 / BLOCKING_SERVICE_RATE:g} s per message on average (exponential service times). In the long "
            f"run, what share of the messages is dropped? Work it out by hand first, with chapter 03b's M/M/1/K "
            f"formula, then check it. Answer with a number between 0 and 1.",
            f"一个 maxsize={BLOCKING_MAXSIZE}、策略为 'drop' 的队列为一个消费者供应消息。消息随机到达（泊松流），"
            f"平均每秒 {BLOCKING_ARRIVAL_RATE:g} 条；消费者处理每条消息平均需要 {1 / BLOCKING_SERVICE_RATE:g} 秒"
            "（服务时间服从指数分布）。长期来看，有多大比例的消息被丢弃？先用第 03b 章的 M/M/1/K 公式手算，"
            "再验证。请用 0 到 1 之间的一个数作答。",
        ),
        judge=_judge_blocking,
        hints=[
            Text(
                "This is M/M/1/K. What is K for a queue of maxsize 2 and one consumer that has already taken a "
                "message out of the queue?",
                "这是 M/M/1/K 模型。一个 maxsize 为 2 的队列，加上一个已经从队列里取走一条消息的消费者，K 是多少？",
            ),
            Text(
                "K = maxsize + 1 = 3, ρ = λ/μ = 0.5. An arrival is dropped when it finds K inside: "
                "p(K) = (1 - ρ) ρ^K / (1 - ρ^(K+1)).",
                "K = maxsize + 1 = 3，ρ = λ/μ = 0.5。到达的消息发现系统里已有 K 条时就被丢弃："
                "p(K) = (1 - ρ) ρ^K / (1 - ρ^(K+1))。",
            ),
        ],
        solution_text=Text(
            "answer = 1 / 15   # ≈ 0.0667\n"
            "# K = 2 + 1 = 3 (two waiting plus the one being handled), ρ = 0.5:\n"
            "# p(3) = 0.5 × 0.125 / (1 - 0.0625) = 0.0625 / 0.9375. Check it:\n"
            "#     ac.labs.queueing.MM1K.from_queue(2, 1.0, 2.0).blocking_probability, or simulate it:\n"
            "#     ac.labs.queueing.simulate_mm1k(1.0, 2.0, capacity=3).blocking_fraction",
            "answer = 1 / 15   # ≈ 0.0667\n"
            "# K = 2 + 1 = 3（两条在等待，加上正在处理的一条），ρ = 0.5：\n"
            "# p(3) = 0.5 × 0.125 / (1 - 0.0625) = 0.0625 / 0.9375。验证一下：\n"
            "#     ac.labs.queueing.MM1K.from_queue(2, 1.0, 2.0).blocking_probability，或者模拟一下：\n"
            "#     ac.labs.queueing.simulate_mm1k(1.0, 2.0, capacity=3).blocking_fraction",
        ),
        reference=1 / 15,
        wrong_answers=[1 / 7, 1 / 16, 1 / 8, 0.5, 6.67, 0.0, "1/15", 0.065, 0.07, "6.67%"],
    )
)
