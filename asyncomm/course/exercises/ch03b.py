"""Chapter 03b exercises: queueing models (the mechanisms are in ``ch03``).

* ``03b.littles-law`` (predict): how many requests are inside a service, from its rate and latency.
* ``03b.mm1-wait`` (predict): the mean time in an M/M/1 queue at 90 % load.
* ``03b.smallest-maxsize`` (write): size a dropping queue with the M/M/1/K model, and know when no size will do.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

from asyncomm.course.exercises._core import Exercise, real_number, register
from asyncomm.i18n import Text, tr
from asyncomm.labs.queueing import MM1, MM1K, littles_law

__all__ = ["smallest_maxsize"]


# -- 03b.littles-law -------------------------------------------------------------------

LITTLE_RATE = 200  # requests per second
LITTLE_LATENCY_MS = 50  # mean time inside, in milliseconds


def _judge_littles_law(answer: Any) -> str | None:
    answer = real_number(answer)
    if answer is None:
        return tr("answer with a number of requests (it may have decimals)", "请用请求的个数作答（可以带小数）")
    expected = littles_law(arrival_rate=LITTLE_RATE, W=LITTLE_LATENCY_MS / 1000)
    if math.isclose(answer, expected, rel_tol=1e-6):
        return None
    if math.isclose(answer, LITTLE_RATE * LITTLE_LATENCY_MS, rel_tol=1e-6):
        return tr(
            "mind the units: the rate is per second, the latency in milliseconds; convert W to seconds",
            "注意单位：到达率按每秒计，延迟却是毫秒；先把 W 换算成秒",
        )
    if any(
        math.isclose(answer, x, rel_tol=1e-6)
        for x in (
            LITTLE_RATE / LITTLE_LATENCY_MS,
            LITTLE_RATE / (LITTLE_LATENCY_MS / 1000),
            LITTLE_LATENCY_MS / LITTLE_RATE,
        )
    ):
        return tr(
            "Little's law multiplies: L = λ × W (a rate times a time gives a count)",
            "利特尔法则是乘法：L = λ × W（速率乘以时间，得到的是个数）",
        )
    return tr(
        "use Little's law, L = λ × W, with λ in requests per second and W in seconds",
        "用利特尔法则 L = λ × W 来算：λ 的单位是每秒请求数，W 的单位是秒",
    )


register(
    Exercise(
        id="03b.littles-law",
        title=Text("Little's law: how many are inside?", "利特尔法则：服务里同时有多少个请求？"),
        kind="predict",
        prompt=Text(
            f"A web service receives {LITTLE_RATE} requests per second, and a request spends "
            f"{LITTLE_LATENCY_MS} ms inside it on average (waiting plus being handled). On average, how many "
            f"requests are inside the service at the same moment?",
            f"一个 Web 服务每秒收到 {LITTLE_RATE} 个请求，每个请求平均在服务里停留 {LITTLE_LATENCY_MS} ms"
            f"（排队等待加上处理）。平均来说，同一时刻服务里有多少个请求？",
        ),
        judge=_judge_littles_law,
        hints=[
            Text(
                "Little's law: L = λ W. It holds whatever the arrival pattern and the order of service.",
                "利特尔法则：L = λ W。不管请求怎样到达、按什么顺序处理，它都成立。",
            ),
            Text(
                "λ is per second, so W must be in seconds: 50 ms = 0.05 s.",
                "λ 按每秒计，所以 W 也要用秒：50 ms = 0.05 s。",
            ),
        ],
        solution_text=Text(
            "answer = 10\n"
            "# 10 requests: L = λ W = 200 /s × 0.05 s. Check it: "
            "ac.labs.queueing.littles_law(arrival_rate=200, W=0.05)",
            "answer = 10\n"
            "# 10 个请求：L = λ W = 200 /s × 0.05 s。验证一下："
            "ac.labs.queueing.littles_law(arrival_rate=200, W=0.05)",
        ),
        reference=10,
        wrong_answers=[10_000, 4, 4000, 0.25, 200, True, "10"],
    )
)


# -- 03b.mm1-wait ----------------------------------------------------------------------

MM1_ARRIVAL_RATE = 9.0  # per second
MM1_SERVICE_RATE = 10.0  # per second: 0.1 s per message on average


def _judge_mm1_wait(answer: Any) -> str | None:
    answer = real_number(answer)
    if answer is None:
        return tr("answer with a number of seconds", "请用秒数作答")
    q = MM1(MM1_ARRIVAL_RATE, MM1_SERVICE_RATE)
    if math.isclose(answer, q.W, rel_tol=1e-3):
        return None
    if math.isclose(answer, 1 / MM1_SERVICE_RATE, rel_tol=1e-3):
        return tr(
            "that is the service time alone; at ρ = 0.9 most messages find others ahead of them and wait first",
            "这只是处理时间；在 ρ = 0.9 时，大多数消息到达时前面已有别的消息，要先排队等待",
        )
    if math.isclose(answer, q.Wq, rel_tol=1e-3):
        return tr(
            "that is Wq, the wait before service; W adds the service itself",
            "这是 Wq，即处理前的等待时间；W 还要加上处理本身",
        )
    if math.isclose(answer, q.L, rel_tol=1e-3):
        return tr(
            "that is L, the mean number in the system; W is a time (Little: W = L / λ)",
            "这是 L，即系统中的平均消息数；W 是时间（利特尔法则：W = L / λ）",
        )
    if math.isclose(answer, 1 / MM1_ARRIVAL_RATE, rel_tol=1e-3):
        return tr(
            "that is the mean gap between arrivals; W depends on both rates", "这是到达之间的平均间隔；W 取决于两个速率"
        )
    return tr(
        "for M/M/1, W = 1 / (μ − λ): the closer λ gets to μ, the longer the stay",
        "M/M/1 模型中 W = 1 / (μ − λ)：λ 越接近 μ，消息停留得越久",
    )


register(
    Exercise(
        id="03b.mm1-wait",
        title=Text("M/M/1: how long does a message stay?", "M/M/1：一条消息要停留多久？"),
        kind="predict",
        prompt=Text(
            f"Messages arrive at random (a Poisson stream) at λ = {MM1_ARRIVAL_RATE:g} per second. One consumer "
            f"handles them in {1 / MM1_SERVICE_RATE:g} s on average (exponential service times, "
            f"μ = {MM1_SERVICE_RATE:g} per second). What is W, the mean time a message spends in the system "
            f"(waiting plus being handled), in seconds?",
            f"消息随机到达（泊松流），λ = 每秒 {MM1_ARRIVAL_RATE:g} 条。一个消费者平均用 {1 / MM1_SERVICE_RATE:g} s "
            f"处理一条（服务时间服从指数分布，μ = 每秒 {MM1_SERVICE_RATE:g} 条）。W 是一条消息在系统中的平均停留时间"
            f"（排队等待加上处理），它是多少秒？",
        ),
        judge=_judge_mm1_wait,
        hints=[
            Text(
                "ρ = λ / μ = 0.9: the consumer is busy 90 % of the time.", "ρ = λ / μ = 0.9：消费者 90 % 的时间都在忙。"
            ),
            Text(
                "M/M/1: W = 1 / (μ − λ), or equivalently (1/μ) / (1 − ρ): the service time divided by the idle share.",
                "M/M/1：W = 1 / (μ − λ)，等价于 (1/μ) / (1 − ρ)：处理时间除以空闲时间所占的比例。",
            ),
        ],
        solution_text=Text(
            "answer = 1.0\n"
            "# 1.0 s: W = 1 / (μ − λ) = 1 / (10 − 9). That is ten times the service time of 0.1 s: at 90 %\n"
            "# load a message mostly waits. Check it: ac.labs.queueing.MM1(9, 10).W",
            "answer = 1.0\n"
            "# 1.0 s：W = 1 / (μ − λ) = 1 / (10 − 9)，是处理时间 0.1 s 的十倍：负载 90 % 时，\n"
            "# 一条消息的大部分时间都在排队。验证一下：ac.labs.queueing.MM1(9, 10).W",
        ),
        reference=1.0,
        wrong_answers=[0.1, 0.9, 9.0, 1 / 9, 0.5, "1", None],
    )
)


# -- 03b.smallest-maxsize -----------------------------------------------------------------

LARGEST_MAXSIZE = 1000  # the search stops here, so that an impossible target cannot loop forever

#: (arrival_rate, service_rate, max_drop) the check asks about: light and heavy loads, rho = 1, an impossible target.
SIZING_CASES = [
    (0.9, 1.0, 0.05),
    (0.5, 1.0, 0.01),
    (0.2, 1.0, 0.2),
    (1.0, 1.0, 0.1),
    (1.2, 1.0, 0.18),
    (1.2, 1.0, 0.1),
    (0.9, 1.0, 0.5),
]


def smallest_maxsize(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(1, LARGEST_MAXSIZE + 1):
        model = MM1K.from_queue(maxsize, arrival_rate, service_rate)  # K = maxsize + 1
        if model.blocking_probability <= max_drop:
            return maxsize
    return None  # at a load above 1, the drops never fall below 1 - 1/rho


def _sizing_strictly_below(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(1, LARGEST_MAXSIZE + 1):
        if MM1K.from_queue(maxsize, arrival_rate, service_rate).blocking_probability < max_drop:
            return maxsize
    return None


def _sizing_with_capacity(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(1, LARGEST_MAXSIZE + 1):
        if MM1K(arrival_rate, service_rate, capacity=maxsize).blocking_probability <= max_drop:
            return maxsize
    return None


def _sizing_from_zero(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    for maxsize in range(LARGEST_MAXSIZE + 1):
        if MM1K(arrival_rate, service_rate, capacity=maxsize + 1).blocking_probability <= max_drop:
            return maxsize
    return None


def _sizing_never_none(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    return smallest_maxsize(arrival_rate, service_rate, max_drop) or LARGEST_MAXSIZE


def _sizing_last_too_small(arrival_rate: float, service_rate: float, max_drop: float) -> int | None:
    found = smallest_maxsize(arrival_rate, service_rate, max_drop)
    return None if found is None else found - 1


def _sizing_returning_the_drop(arrival_rate: float, service_rate: float, max_drop: float) -> float | None:
    found = smallest_maxsize(arrival_rate, service_rate, max_drop)
    return None if found is None else MM1K.from_queue(found, arrival_rate, service_rate).blocking_probability


def _judge_sizing(fn: Any) -> str | None:
    if not callable(fn):
        return tr(
            "set answer to your function itself: answer = smallest_maxsize (no parentheses)",
            "把 answer 设为你的函数本身：answer = smallest_maxsize（不要加括号）",
        )
    for arrival_rate, service_rate, max_drop in SIZING_CASES:
        call = f"smallest_maxsize({arrival_rate:g}, {service_rate:g}, {max_drop:g})"
        expected = smallest_maxsize(arrival_rate, service_rate, max_drop)
        got = fn(arrival_rate, service_rate, max_drop)
        if got == expected and type(got) is type(expected):
            continue
        if expected is None:
            floor = 1 - service_rate / arrival_rate
            return tr(
                f"{call} gave {got!r}, but no maxsize reaches that target: at a load of "
                f"{arrival_rate / service_rate:g} the drops never fall below 1 - 1/ρ = {floor:.3f}. Return None "
                f"when no maxsize up to {LARGEST_MAXSIZE} meets it",
                f"{call} 返回了 {got!r}，但没有哪个 maxsize 能达到这个目标：负载为 {arrival_rate / service_rate:g} 时，"
                f"丢弃比例永远不会低于 1 - 1/ρ = {floor:.3f}。当 {LARGEST_MAXSIZE} 以内没有 maxsize 满足要求时，"
                f"返回 None",
            )
        if got is None:
            return tr(
                f"{call} gave None, but some maxsize up to {LARGEST_MAXSIZE} meets that target",
                f"{call} 返回了 None，但 {LARGEST_MAXSIZE} 以内有 maxsize 能满足这个目标",
            )
        if isinstance(got, float) and not got.is_integer():
            return tr(
                f"{call} gave {got!r}: return the maxsize (a whole number), not the share dropped",
                f"{call} 返回了 {got!r}：要返回的是 maxsize（一个整数），而不是丢弃比例",
            )
        if isinstance(got, bool) or not isinstance(got, int):
            return tr(
                f"{call} gave {got!r}: return a maxsize, a whole number",
                f"{call} 返回了 {got!r}：请返回 maxsize，一个整数",
            )
        if got == expected + 1 and got == _sizing_strictly_below(arrival_rate, service_rate, max_drop):
            return tr(
                f"{call} gave {got}, but maxsize {expected} drops exactly {max_drop:g} of the messages, and "
                f"'at most' includes equality: compare with <=, not <",
                f"{call} 返回了 {got}，但 maxsize {expected} 恰好丢弃 {max_drop:g} 的消息，而“至多”包括相等："
                f"要用 <= 比较，不是 <",
            )
        if got == expected + 1:
            return tr(
                f"{call}: one too many. A queue of maxsize m with one consumer holds K = m + 1 messages in "
                f"the system (the one being handled has left the queue): use MM1K.from_queue(m, λ, μ)",
                f"{call}：多了一个。maxsize 为 m、只有一个消费者的队列，系统中能容纳 K = m + 1 条消息"
                f"（正在处理的那条已经离开了队列）：请用 MM1K.from_queue(m, λ, μ)",
            )
        if got == 0:
            return tr(
                f"{call} gave 0: start at maxsize 1 (maxsize 0 means 'unbounded' in queue.Queue and asyncio.Queue)",
                f"{call} 返回了 0：请从 maxsize 1 开始（在 queue.Queue 和 asyncio.Queue 中，maxsize 0 表示“无界”）",
            )
        if got < expected:
            return tr(
                f"{call} gave {got}: with that maxsize more than {max_drop:g} of the messages are dropped",
                f"{call} 返回了 {got}：用这个 maxsize，被丢弃的消息会超过 {max_drop:g}",
            )
        return tr(
            f"{call} gave {got}: a smaller maxsize already drops at most {max_drop:g}; return the smallest",
            f"{call} 返回了 {got}：更小的 maxsize 已经能让丢弃比例不超过 {max_drop:g}；请返回最小的那个",
        )
    return None


register(
    Exercise(
        id="03b.smallest-maxsize",
        title=Text("Size a dropping queue with the M/M/1/K model", "用 M/M/1/K 模型确定丢弃式队列的大小"),
        kind="write",
        prompt=Text(
            textwrap.dedent(f"""\
            A queue with one consumer drops a message that finds it full (send_nowait and QueueFull). Write
            smallest_maxsize(arrival_rate, service_rate, max_drop) that returns the smallest maxsize m,
            from 1 to {LARGEST_MAXSIZE}, for which the M/M/1/K model drops at most the share max_drop of the
            messages, or None if no m up to {LARGEST_MAXSIZE} does.
            The share dropped for maxsize m: MM1K.from_queue(m, arrival_rate, service_rate).blocking_probability
            (MM1K is in ac.labs.queueing)."""),
            textwrap.dedent(f"""\
            一个只有一个消费者的队列，满了就丢弃新来的消息（send_nowait 和 QueueFull）。请写出
            smallest_maxsize(arrival_rate, service_rate, max_drop)：返回 1 到 {LARGEST_MAXSIZE} 之间最小的
            maxsize m，使 M/M/1/K 模型丢弃的消息比例至多为 max_drop；如果 {LARGEST_MAXSIZE} 以内没有这样的 m，
            返回 None。
            maxsize 为 m 时的丢弃比例：MM1K.from_queue(m, arrival_rate, service_rate).blocking_probability
            （MM1K 在 ac.labs.queueing 中）。"""),
        ),
        judge=_judge_sizing,
        hints=[
            Text(
                f"Try m = 1, 2, 3, ... in order and return the first m that is good enough; after {LARGEST_MAXSIZE}, "
                "give up with None.",
                f"按顺序试 m = 1, 2, 3, ...，返回第一个满足要求的 m；超过 {LARGEST_MAXSIZE} 就放弃，返回 None。",
            ),
            Text(
                "When the load λ/μ is above 1 the share dropped levels off at 1 - 1/ρ (the plot above): "
                "a smaller target is never met, whatever the maxsize. Your loop must end anyway.",
                "负载 λ/μ 大于 1 时，丢弃比例会趋于平稳，停在 1 - 1/ρ（见上面的图）：比它更小的目标，"
                "无论 maxsize 多大都达不到。你的循环无论如何都必须结束。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent(f"""\
            from asyncomm.labs.queueing import MM1K

            def smallest_maxsize(arrival_rate, service_rate, max_drop):
                for maxsize in range(1, {LARGEST_MAXSIZE + 1}):
                    model = MM1K.from_queue(maxsize, arrival_rate, service_rate)   # K = maxsize + 1
                    if model.blocking_probability <= max_drop:
                        return maxsize
                return None   # at a load above 1 the drops never fall below 1 - 1/ρ

            answer = smallest_maxsize"""),
            textwrap.dedent(f"""\
            from asyncomm.labs.queueing import MM1K

            def smallest_maxsize(arrival_rate, service_rate, max_drop):
                for maxsize in range(1, {LARGEST_MAXSIZE + 1}):
                    model = MM1K.from_queue(maxsize, arrival_rate, service_rate)   # K = maxsize + 1
                    if model.blocking_probability <= max_drop:
                        return maxsize
                return None   # 负载大于 1 时，丢弃比例永远不会低于 1 - 1/ρ

            answer = smallest_maxsize"""),
        ),
        reference=smallest_maxsize,
        wrong_answers=[
            _sizing_with_capacity,
            _sizing_from_zero,
            _sizing_never_none,
            _sizing_last_too_small,
            _sizing_returning_the_drop,
            "smallest_maxsize",
            _sizing_strictly_below,
        ],
    )
)
