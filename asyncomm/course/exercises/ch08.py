"""Exercises of chapter 08 (a real broker): choose a visibility timeout, write a request-reply client,
count round trips, predict the dead letters. The predictions are checked without a Redis server (the
in-memory queue follows the same contract; the tests replay the dead-letter scenario on a real server
too); the request-reply client runs on Redis (a private redis-server, else ``REDIS_URL``).

>>> from asyncomm import exercises
>>> exercises.get("08.visibility-timeout").check(60).outcome.value
'correct'
"""

from __future__ import annotations

import ast
import atexit
import inspect
import math
import os
import re
import textwrap
import uuid
from collections.abc import Callable, Collection
from typing import Any

from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, as_list, as_notebook_code, clean_text, real_number, register
from asyncomm.course.exercises.ch07 import zh_code
from asyncomm.errors import BrokerUnavailable, QueueEmpty
from asyncomm.i18n import Text, tr
from asyncomm.reliable import ReliableQueue
from asyncomm.reliable.local_redis import LocalRedis, reachable
from asyncomm.reliable.redis_protocol import LOOK_EVERY
from asyncomm.reliable.redis_streams import RedisStreamQueue

__all__ = ["DEAD_LETTER_PLAN", "play_dead_letter_scenario", "rpc_client"]


# -- 08.dead-letters -------------------------------------------------------------

#: What the consumer does with each delivery of each message: "ok" (ack), "fail" (the handler raises:
#: nack, requeue), "reject" (nack(requeue=False)), "crash" (dies before acking). One entry per delivery;
#: the last entry repeats for later deliveries.
DEAD_LETTER_PLAN: dict[str, list[str]] = {
    "m1": ["ok"],
    "m2": ["fail"],
    "m3": ["crash", "ok"],
    "m4": ["reject"],
    "m5": ["crash", "crash", "ok"],
    "m6": ["ok"],
}
DEAD_LETTER_MAX_DELIVERIES = 2
_RAW = "raw"  # the entry another program wrote, not in asyncomm's format


def play_dead_letter_scenario(queue: Any, let_time_pass: Callable[[float], object]) -> list[str]:
    """Send m1..m6, then consume as :data:`DEAD_LETTER_PLAN` says until nothing comes back;
    return the names in the dead letters (in the order they were parked).

    ``queue`` is a :class:`~asyncomm.reliable.memory.ReliableQueue` or a
    :class:`~asyncomm.reliable.redis_streams.RedisStreamQueue` with ``max_deliveries=2``;
    ``let_time_pass(seconds)`` waits (virtual or real) past its visibility timeout.

    >>> clock = VirtualClock()
    >>> q = ReliableQueue(visibility_timeout=30, max_deliveries=2, clock=clock)
    >>> play_dead_letter_scenario(q, clock.advance)[:1]
    ['m2']
    """
    for name in DEAD_LETTER_PLAN:
        queue.send(name)
    crashes = 0
    while True:
        try:
            delivery = queue.receive_nowait(consumer=f"worker-{crashes}")
        except QueueEmpty:
            if not (queue.ready() or queue.in_flight()):  # ready: a delivery may have expired just now
                break
            let_time_pass(queue.visibility_timeout * 1.1)  # a crashed consumer's delivery comes back
            continue
        plan = DEAD_LETTER_PLAN[delivery.message]
        action = plan[min(delivery.delivery_count, len(plan)) - 1]
        if action == "crash":
            crashes += 1  # the worker dies holding its delivery; a new one takes its place
        elif action == "ok":
            delivery.ack()
        else:
            delivery.nack(requeue=action == "fail")
    return [letter.message for letter in queue.dead_letters()]


def _expected_dead_letters() -> set[str]:
    clock = VirtualClock()
    queue = ReliableQueue(visibility_timeout=30, max_deliveries=DEAD_LETTER_MAX_DELIVERIES, clock=clock)
    # The in-memory queue has no undecodable entries; on Redis that entry is parked as soon as it is read.
    return {*play_dead_letter_scenario(queue, clock.advance), _RAW}


def _judge_dead_letters(answer: Any) -> str | None:
    if (
        isinstance(answer, str)
        or not isinstance(answer, Collection)
        or not all(isinstance(name, str) for name in answer)
    ):
        return tr(
            "answer with a set of names, e.g. answer = {'m1', 'raw'}",
            "请用一个名字集合回答，例如 answer = {'m1', 'raw'}",
        )
    entries = {*DEAD_LETTER_PLAN, _RAW}
    unknown = sorted(name for name in answer if clean_text(name) not in entries)
    if unknown:
        return tr(
            f"the entries are m1 .. m6 and 'raw'; {unknown} is not one of them",
            f"条目只有 m1 .. m6 和 'raw'；{unknown} 不在其中",
        )
    names = {clean_text(name) for name in answer}
    expected = _expected_dead_letters()
    if names == expected:
        return None
    if _RAW not in names:
        return tr(
            "what does a consumer do with an entry it cannot decode? It never reaches your handler: the queue "
            "parks it at once, with the reason 'malformed: ...'",
            "消费者遇到一个无法解码的条目时会怎么做？它根本到不了你的处理函数：队列会立即把它放到一边，"
            "原因是 'malformed: ...'",
        )
    if "m3" in names:
        return tr(
            "a crash is not the message's fault: m3 comes back after the visibility timeout, and its "
            "second delivery goes well",
            "崩溃不是消息的错：m3 在可见性超时之后回来，第二次投递顺利完成",
        )
    if "m5" not in names:
        return tr(
            "count m5's deliveries: each crash used one, and only max_deliveries=2 are allowed",
            "数一数 m5 的投递次数：每次崩溃都用掉一次，而 max_deliveries=2 只允许两次",
        )
    if "m4" not in names:
        return tr(
            "nack(requeue=False) means 'never give me this again': where does the message go instead?",
            "nack(requeue=False) 的意思是“别再把它给我了”：那这条消息会去哪里？",
        )
    if "m2" not in names:
        return tr(
            "m2's handler fails on every delivery: how many times is it handed out before the queue gives up?",
            "m2 的处理函数每次投递都失败：在队列放弃之前，它会被交出多少次？",
        )
    return tr(
        "m1 and m6 are acked on their first delivery: the queue forgets them",
        "m1 和 m6 在第一次投递时就被确认了：队列随即忘掉它们",
    )


register(
    Exercise(
        id="08.dead-letters",
        title=Text("Predict what ends in the dead letters", "预测哪些条目会进入死信"),
        kind="predict",
        prompt=Text(
            "A RedisStreamQueue on the stream 'orders' has max_deliveries=2 and visibility_timeout=30. It holds "
            "m1 .. m6, and between them an entry 'raw' that another program wrote by hand "
            "(XADD orders * data hello: not JSON). Consumers take messages one at a time; a consumer that crashes "
            "is replaced at once by a new one. What happens to each message:\n"
            "  m1, m6: handled, acked.\n"
            "  m2: its handler raises on every delivery; the consumer calls nack() (requeue).\n"
            "  m3: the first consumer to get it crashes before acking; the next delivery goes well.\n"
            "  m4: the consumer finds it invalid and calls nack(requeue=False).\n"
            "  m5: the consumer crashes on its first and on its second delivery; a third would go well.\n"
            "Which entries end in 'orders:dead'? Answer with a set of names: answer = {'m1', 'raw'} ...",
            "流 'orders' 上的一个 RedisStreamQueue 设置了 max_deliveries=2 和 visibility_timeout=30。它保存着 "
            "m1 .. m6，其间还夹着一个条目 'raw'，是另一个程序手工写入的（XADD orders * data hello：不是 JSON）。"
            "消费者一次取一条消息；崩溃的消费者会立即由一个新的消费者接替。每条消息的遭遇如下：\n"
            "  m1、m6：处理完毕，已确认。\n"
            "  m2：每次投递，它的处理函数都抛出异常；消费者调用 nack()（重新入队）。\n"
            "  m3：第一个拿到它的消费者在确认之前崩溃；下一次投递顺利完成。\n"
            "  m4：消费者发现它无效，调用 nack(requeue=False)。\n"
            "  m5：消费者在它的第一次和第二次投递时都崩溃了；第三次本来会顺利完成。\n"
            "哪些条目最终进入 'orders:dead'？请用一个名字集合回答：answer = {'m1', 'raw'} ...",
        ),
        judge=_judge_dead_letters,
        hints=[
            Text(
                "Three roads lead to the dead letters: a delivery count above max_deliveries, "
                "nack(requeue=False), and an entry that cannot be decoded.",
                "有三条路通往死信：投递次数超过 max_deliveries、nack(requeue=False)，以及无法解码的条目。",
            ),
            Text(
                "Every delivery counts, however it ended: a nack, or a crash (the delivery comes back after the "
                "visibility timeout). With max_deliveries=2 a third delivery never happens.",
                "每一次投递都算数，不管它是怎么结束的：nack，或者崩溃（投递会在可见性超时之后回来）。"
                "max_deliveries=2 时，第三次投递永远不会发生。",
            ),
        ],
        solution_text=Text(
            "answer = {'m2', 'm4', 'm5', 'raw'}\n"
            "# m2: two failed deliveries, then 'max deliveries'. m4: 'rejected' at once.\n"
            "# m5: two deliveries ended in crashes; when it comes back a third time the queue parks it\n"
            "# ('max deliveries', deliveries=2) instead of handing it out.\n"
            "# raw: 'malformed: ...' as soon as a consumer reads it.\n"
            "# m3 crashed only once: its second delivery is acked. Replay it on the in-memory queue:\n"
            "#     from asyncomm.course.exercises.ch08 import play_dead_letter_scenario\n"
            "#     clock = ac.VirtualClock()\n"
            "#     q = ac.ReliableQueue(visibility_timeout=30, max_deliveries=2, clock=clock)\n"
            "#     play_dead_letter_scenario(q, clock.advance)",
            "answer = {'m2', 'm4', 'm5', 'raw'}\n"
            "# m2：两次投递都失败，然后是 'max deliveries'。m4：立即 'rejected'。\n"
            "# m5：两次投递都以崩溃告终；它第三次回来时，队列把它放进死信\n"
            "# （'max deliveries'，deliveries=2），而不是再交出去。\n"
            "# raw：消费者一读到它就是 'malformed: ...'。\n"
            "# m3 只崩溃了一次：它的第二次投递被确认了。在内存队列上重放一遍：\n"
            "#     from asyncomm.course.exercises.ch08 import play_dead_letter_scenario\n"
            "#     clock = ac.VirtualClock()\n"
            "#     q = ac.ReliableQueue(visibility_timeout=30, max_deliveries=2, clock=clock)\n"
            "#     play_dead_letter_scenario(q, clock.advance)",
        ),
        reference={"m2", "m4", "m5", "raw"},
        wrong_answers=[
            {"m2", "m4", "m5"},
            {"m2", "m3", "m4", "m5", "raw"},
            {"m2", "m4", "raw"},
            {"m2", "m5", "raw"},
            {"m4", "m5", "raw"},
            {"m1", "m2", "m4", "m5", "raw", "m6"},
            "m2",
            {"m7"},
            {"M2", "M4", "RAW"},
            {2, 4, 5},
        ],
    )
)


# -- 08.visibility-timeout -------------------------------------------------------

LONGEST_JOB = 45.0
MARGIN = 10.0
RETRY_WITHIN = 90.0
#: The longest timeout that keeps the margin (1.25 x timeout + margin <= limit), and the one past which a
#: crashed job can miss the limit itself.
_LATEST = (RETRY_WITHIN - MARGIN) / (1 + LOOK_EVERY)
_TOO_LATE = RETRY_WITHIN / (1 + LOOK_EVERY)


def _replay_visibility(visibility_timeout: float) -> tuple[float | None, float]:
    """On the in-memory queue: when (if ever) a healthy consumer's longest job is handed out again
    while it still runs, and how long after a crash its job starts again - to the exact instant:
    the clock moves straight to each delivery's deadline (the queue's own), and the queue is asked there.

    >>> _replay_visibility(90.5)
    (None, 90.5)
    >>> clock = VirtualClock(); q = ReliableQueue(visibility_timeout=90.5, clock=clock); _ = q.send("job")
    >>> d = q.receive_nowait(consumer="doomed"); _ = clock.advance_to(d.deadline - 1e-6); len(q)
    0
    >>> _ = clock.advance_to(d.deadline); len(q)
    1
    >>> _replay_visibility(44.5)
    (44.5, 44.5)
    """
    clock = VirtualClock()
    queue = ReliableQueue(visibility_timeout=visibility_timeout, clock=clock)
    queue.send("longest job")
    job = queue.receive_nowait(consumer="healthy")
    again: float | None = None
    if job.deadline is not None and job.deadline <= LONGEST_JOB:
        clock.advance_to(job.deadline)
        if len(queue):  # the job is back in the queue while the healthy consumer still works on it
            again = clock.now()
    clock.advance_to(LONGEST_JOB)
    if again is None:
        job.ack()
    queue.send("job of a consumer that crashes right after receiving it")
    doomed = queue.receive_nowait(consumer="doomed")
    crashed_at = clock.now()
    if doomed.deadline is not None:
        clock.advance_to(doomed.deadline)  # at that instant the job is back in the queue (see the doctest)
    return again, clock.now() - crashed_at


def _judge_visibility(answer: Any) -> str | None:
    answer = real_number(answer)
    if answer is None:
        return tr("answer with a number of seconds, e.g. answer = 30", "请用一个秒数回答，例如 answer = 30")
    if answer <= 0:
        return tr("a visibility timeout is a positive number of seconds", "可见性超时是一个正的秒数")
    again, timeout_ran_out = _replay_visibility(answer)
    # RedisStreamQueue looks for returned deliveries at most every LOOK_EVERY of the timeout: at worst the
    # crashed job comes back that much after its timeout ran out.
    retry = timeout_ran_out + answer * LOOK_EVERY
    if again is not None:
        return tr(
            f"with visibility_timeout={answer:g} the {LONGEST_JOB:g} s job was handed to a second consumer at "
            f"t = {again:g} s while the first was still working on it: it ran twice",
            f"当 visibility_timeout={answer:g} 时，那个 {LONGEST_JOB:g} 秒的任务在 t = {again:g} 秒被交给了第二个"
            f"消费者，而第一个消费者还在处理它：它被执行了两次",
        )
    if answer < LONGEST_JOB + MARGIN:
        return tr(
            f"the longest job only just fits: a network delay or a pause of a few seconds and it is handed "
            f"out twice. Keep the {MARGIN:g} s margin",
            f"最长的任务只是勉强来得及：一次网络延迟或几秒钟的停顿，它就会被交出两次。请留出 {MARGIN:g} 秒的余量",
        )
    if retry > RETRY_WITHIN + 1e-9:
        return tr(
            f"a crashed consumer's job can start again {retry:.10g} s after the crash (the timeout, plus up to "
            f"a quarter of it until a consumer looks): too late, it must restart within {RETRY_WITHIN:g} s",
            f"崩溃的消费者的任务可能在崩溃 {retry:.10g} 秒之后才重新开始（超时本身，再加上消费者来查找之前"
            f"最多四分之一个超时）：太晚了，它必须在 {RETRY_WITHIN:g} 秒内重新开始",
        )
    if retry > RETRY_WITHIN - MARGIN + 1e-9:
        return tr(
            f"a crashed consumer's job only just restarts in time: at worst it comes back {retry:.10g} s after "
            f"the crash (the timeout, plus up to a quarter of it until a consumer looks). Keep the {MARGIN:g} s "
            f"margin on this side too",
            f"崩溃的消费者的任务只是勉强及时重新开始：最坏情况下它在崩溃 {retry:.10g} 秒之后才回来（超时本身，"
            f"再加上消费者来查找之前最多四分之一个超时）。这一侧也要留出 {MARGIN:g} 秒的余量",
        )
    return None


register(
    Exercise(
        id="08.visibility-timeout",
        title=Text("Choose the visibility timeout", "选择可见性超时"),
        kind="predict",
        prompt=Text(
            f"Jobs on a queue take between 20 and {LONGEST_JOB:g} seconds (measured over a week). When a consumer "
            f"crashes, its job must be started again by another consumer within {RETRY_WITHIN:g} seconds of the "
            f"crash. The queue is a RedisStreamQueue: it looks for deliveries that came back at most every "
            f"quarter of the visibility timeout, so a crashed job can come back up to visibility_timeout / 4 "
            f"after its timeout ran out. Keep a margin of {MARGIN:g} seconds on both limits, for network delays "
            f"and pauses. Choose the queue's visibility_timeout, in seconds: answer = ...",
            f"队列上的任务耗时 20 到 {LONGEST_JOB:g} 秒（测量了一周）。消费者崩溃时，它的任务必须在崩溃后 "
            f"{RETRY_WITHIN:g} 秒内由另一个消费者重新开始。这个队列是 RedisStreamQueue：它至多每隔四分之一个"
            f"可见性超时查找一次回来的投递，所以崩溃的任务可能在超时到期之后再过最多 visibility_timeout / 4 才回来。"
            f"两个界限都要留出 {MARGIN:g} 秒的余量，以应对网络延迟和停顿。请选择队列的 visibility_timeout，"
            f"单位为秒：answer = ...",
        ),
        judge=_judge_visibility,
        hints=[
            Text(
                "Two limits: too short, and a healthy consumer's job is handed out again while it still runs; "
                "too long, and a crashed consumer's job waits too long to come back.",
                "有两个界限：太短，健康的消费者还在处理的任务会被再次交出；太长，崩溃的消费者的任务要等太久才能回来。",
            ),
            Text(
                "A delivery's timeout runs out visibility_timeout seconds after it was received: no earlier than "
                "the longest job plus the margin.",
                "一次投递的超时在它被接收 visibility_timeout 秒之后到期：不能早于最长的任务加上余量。",
            ),
            Text(
                "A crashed job comes back at worst visibility_timeout x 1.25 after the crash (the timeout, plus a "
                "quarter of it until a consumer looks): that plus the margin must stay within the retry limit.",
                "崩溃的任务最坏情况下在崩溃后 visibility_timeout × 1.25 才回来（超时本身，再加上消费者来查找之前的"
                "四分之一个超时）：这个时间加上余量必须在重试期限之内。",
            ),
        ],
        solution_text=Text(
            f"answer = 60\n"
            f"# Anything from {LONGEST_JOB + MARGIN:g} to {_LATEST:g} s. Below {LONGEST_JOB:g} s the longest "
            f"jobs run twice;\n"
            f"# below {LONGEST_JOB + MARGIN:g} s a short pause does it. A crashed job's timeout runs out "
            f"visibility_timeout\n"
            f"# seconds after it was received (at worst that long after the crash), and the queue\n"
            f"# looks for it up to a quarter of the timeout later: 1.25 x visibility_timeout + {MARGIN:g} <= "
            f"{RETRY_WITHIN:g}\n"
            f"# gives at most {_LATEST:g} s; above {_TOO_LATE:g} s (1.25 x {_TOO_LATE:g} = {RETRY_WITHIN:g}) "
            f"it can miss the limit itself.\n"
            f"# If no value met both, a consumer would have to extend its lease while it works (a heartbeat).",
            f"answer = 60\n"
            f"# {LONGEST_JOB + MARGIN:g} 到 {_LATEST:g} 秒之间的任何值都可以。低于 {LONGEST_JOB:g} 秒，最长的任务"
            f"会执行两次；\n"
            f"# 低于 {LONGEST_JOB + MARGIN:g} 秒，一次短暂的停顿就会造成这种情况。崩溃的任务的超时在它被接收"
            f" visibility_timeout\n"
            f"# 秒之后到期（最坏情况下就是崩溃之后这么久），而队列\n"
            f"# 最多在四分之一个超时之后才来查找它：1.25 × visibility_timeout + {MARGIN:g} <= "
            f"{RETRY_WITHIN:g}\n"
            f"# 得出至多 {_LATEST:g} 秒；高于 {_TOO_LATE:g} 秒（1.25 × {_TOO_LATE:g} = {RETRY_WITHIN:g}）"
            f"连期限本身都可能错过。\n"
            f"# 如果没有哪个值能同时满足两者，消费者就得在工作时延长它的租约（心跳）。",
        ),
        reference=60,
        wrong_answers=[30, 45, 50, 65, 70, 72, 75, 80, 90, 85, 120, 0, -5, "60", True, 90.5, 44.5],
    )
)


# -- 08.round-trips --------------------------------------------------------------

#: Round trips per message with RedisStreamQueue one by one: XADD; XREADGROUP; EVAL (the ack). A queue object's
#: first receive also looks for deliveries that came back (one EVAL); the next look is due a quarter of the
#: visibility timeout later (7.5 s by default), so the exercise ignores it.
ROUND_TRIPS = {"send": 1, "receive": 1, "ack": 1}
FIRST_LOOK = 1
ROUND_TRIP_SECONDS = 0.0005
ROUND_TRIP_MESSAGES = 1000
BATCH = 100
ROUND_TRIPS_PER_BATCH = 3  # one pipeline of XADDs; one XREADGROUP of a batch; one pipeline of XACKs


def _round_trip_answer() -> tuple[float, float]:
    one_by_one = ROUND_TRIP_MESSAGES * sum(ROUND_TRIPS.values()) * ROUND_TRIP_SECONDS
    pipelined = -(-ROUND_TRIP_MESSAGES // BATCH) * ROUND_TRIPS_PER_BATCH * ROUND_TRIP_SECONDS
    return one_by_one, pipelined


def _judge_round_trips(answer: Any) -> str | None:
    pair = as_list(answer)
    if pair is None or len(pair) != 2 or any(real_number(x) is None for x in pair):
        return tr(
            "answer with a pair of numbers of seconds: answer = (one_by_one, pipelined)",
            "请用一对秒数回答：answer = (one_by_one, pipelined)",
        )
    one_by_one, pipelined = (float(x) for x in pair)
    expected_one, expected_pipe = _round_trip_answer()
    n, rtt, batches = ROUND_TRIP_MESSAGES, ROUND_TRIP_SECONDS, -(-ROUND_TRIP_MESSAGES // BATCH)

    def near(value: float, target: float) -> bool:
        return math.isclose(value, target, rel_tol=1e-6)

    if not near(one_by_one, expected_one):
        if near(one_by_one, expected_one * 1000):
            return tr("answer in seconds, not milliseconds", "请以秒为单位回答，不是毫秒")
        if near(one_by_one, n * rtt):
            return tr(
                "one by one: not one round trip per message, one per command - count send, receive and ack",
                "逐条处理：不是每条消息一次往返，而是每个命令一次——数一数发送、接收和确认",
            )
        if near(one_by_one, n * 4 * rtt):
            return tr(
                "one by one: after the first receive, a receive is one round trip (it looks for deliveries that "
                "came back only every quarter of the visibility timeout)",
                "逐条处理：第一次接收之后，每次接收只是一次往返（它只在每隔四分之一个可见性超时时才查找回来的投递）",
            )
        return tr(
            "one by one: messages x round trips per message x time per round trip",
            "逐条处理：消息数 × 每条消息的往返次数 × 每次往返的时间",
        )
    if not near(pipelined, expected_pipe):
        if near(pipelined, expected_pipe * 1000):
            return tr("answer in seconds, not milliseconds", "请以秒为单位回答，不是毫秒")
        if near(pipelined, batches * rtt):
            return tr(
                "pipelined: each batch takes three round trips (send, read, ack), not one",
                "流水线：每批需要三次往返（发送、读取、确认），而不是一次",
            )
        return tr(
            "pipelined: batches x round trips per batch x time per round trip",
            "流水线：批数 × 每批的往返次数 × 每次往返的时间",
        )
    return None


register(
    Exercise(
        id="08.round-trips",
        title=Text("Count the round trips", "数一数往返次数"),
        kind="predict",
        prompt=Text(
            f"A producer sends {ROUND_TRIP_MESSAGES} messages, and a consumer receives and acks them, through "
            f"Redis on another machine: one round trip takes {ROUND_TRIP_SECONDS * 1000:g} ms. Ignore everything "
            f"else (the server's work, JSON, Python). How many seconds does it take\n"
            f"  (a) one by one with RedisStreamQueue (send, receive, ack: the round trips counted above for the "
            f"next message; ignore the first receive's look), and\n"
            f"  (b) pipelined in batches of {BATCH}: one round trip sends a batch of XADDs, one XREADGROUP reads "
            f"a batch, one more sends the batch's XACKs?\n"
            f"Answer with a pair of seconds: answer = (a, b)",
            f"一个生产者发送 {ROUND_TRIP_MESSAGES} 条消息，一个消费者接收并确认它们，经由另一台机器上的 Redis："
            f"一次往返需要 {ROUND_TRIP_SECONDS * 1000:g} 毫秒。忽略其他一切（服务器的工作、JSON、Python）。"
            f"下面两种方式各需要多少秒？\n"
            f"  (a) 用 RedisStreamQueue 逐条处理（发送、接收、确认：即上面为下一条消息数出的往返；"
            f"忽略第一次接收时的查找），以及\n"
            f"  (b) 以每批 {BATCH} 条的流水线处理：一次往返发送一批 XADD，一次 XREADGROUP 读取一批，"
            f"再一次发送这一批的 XACK？\n"
            f"请用一对秒数回答：answer = (a, b)",
        ),
        judge=_judge_round_trips,
        hints=[
            Text(
                "Time = number of round trips x time of one. Count the round trips of one message (one by one) "
                "and of one batch (pipelined).",
                "时间 = 往返次数 × 一次往返的时间。数一数一条消息（逐条处理）和一批消息（流水线）各需要几次往返。",
            ),
            Text(
                "One by one: send 1 + receive 1 + ack 1 = 3 per message. Pipelined: 3 per batch of 100.",
                "逐条处理：每条消息发送 1 + 接收 1 + 确认 1 = 3 次。流水线：每批 100 条 3 次。",
            ),
        ],
        solution_text=Text(
            "answer = (1.5, 0.015)\n"
            "# One by one: 1000 x 3 round trips x 0.5 ms = 1.5 s, at most about 670 messages per second whatever\n"
            "# the machines. Pipelined: 10 batches x 3 round trips x 0.5 ms = 15 ms: 100 times less\n"
            "# waiting. On loopback a round trip is far shorter, so the gap measured above is smaller.",
            "answer = (1.5, 0.015)\n"
            "# 逐条处理：1000 × 3 次往返 × 0.5 毫秒 = 1.5 秒，无论机器多快，每秒最多约 670 条消息。\n"
            "# 流水线：10 批 × 3 次往返 × 0.5 毫秒 = 15 毫秒：等待时间少了 100 倍。\n"
            "# 在本机回环地址上，一次往返要短得多，所以上面测得的差距更小。",
        ),
        reference=(1.5, 0.015),
        wrong_answers=[
            (0.5, 0.015),
            (2.0, 0.015),
            (1500.0, 15.0),
            (1.5, 15.0),
            (1.5, 0.005),
            (1.5, 1.5),
            1.5,
            (1.5, "fast"),
            [1.5, 0.005],
            [1.5, 0.015, 0.0],
        ],
    )
)


# -- 08.rpc-client ---------------------------------------------------------------

_private_server: LocalRedis | None = None


def _check_server_url() -> str | None:
    """Where the request-reply check runs: a private redis-server started once for this Python process
    (it leaves the check's streams on no one's server), else the server named by ``REDIS_URL``."""
    global _private_server
    if _private_server is None:
        try:
            _private_server = LocalRedis().start()
        except BrokerUnavailable:
            url = os.environ.get("REDIS_URL")
            return url if url and reachable(url) else None
        atexit.register(_private_server.stop)
    return _private_server.url


def _only_raises_not_implemented(fn: Any) -> bool:
    """The shipped placeholder, recognised without running it: run, it would keep the check's server
    waiting for requests that never come."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = [
        node
        for node in tree.body[0].body  # type: ignore[attr-defined]
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))  # a docstring
    ]
    return (
        len(body) == 1
        and isinstance(body[0], ast.Raise)
        and "NotImplementedError" in ast.unparse(body[0].exc or ast.Constant(None))
    )


def _judge_rpc(fn: Any) -> str | None:
    if not callable(fn) or inspect.iscoroutinefunction(fn):
        return tr(
            "rpc_client must be a plain function (def, not async def) taking (requests, bodies)",
            "rpc_client 必须是一个普通函数（def，不是 async def），参数为 (requests, bodies)",
        )
    if _only_raises_not_implemented(fn):
        raise NotImplementedError
    try:
        from asyncomm.labs.messaging import check_rpc_client_redis

        url = _check_server_url()
    except ImportError:
        return tr(
            "this check runs your client on Redis and needs redis-py: pip install 'asyncomm[redis]'",
            "这个检查要在 Redis 上运行你的客户端，需要 redis-py：pip install 'asyncomm[redis]'",
        )
    if url is None:
        return tr(
            "this check runs your client on Redis: install redis-server (section 2) or set REDIS_URL",
            "这个检查要在 Redis 上运行你的客户端：请安装 redis-server（第 2 节）或设置 REDIS_URL",
        )
    found = check_rpc_client_redis(fn, url)
    return None if found.ok else tr(found.problem, zh_rpc_problem(found.problem))


#: (pattern of a problem the request-reply checker reports in English, its Chinese).
_ZH_RPC_PROBLEMS: list[tuple[str, Any]] = [
    (
        r"a request must be a dict with the keys 'body', 'reply_to' \(where to send the reply\) and "
        r"'correlation_id' \(to match the reply to its request\), got (.*)",
        lambda m: (
            f"请求必须是一个 dict，包含键 'body'、'reply_to'（回复发往哪里）和 'correlation_id'"
            f"（用来把回复与请求对应起来），而你发送的是 {m[1]}"
        ),
    ),
    (r"your client raised (.*)", lambda m: f"你的客户端抛出了 {m[1]}"),
    (
        r"the server received (\d+) of (\d+) requests before it gave up waiting: send every request first, then "
        r"collect the replies",
        lambda m: f"服务端在放弃等待之前只收到了 {m[2]} 个请求中的 {m[1]} 个：先发送所有请求，再收集回复",
    ),
    (
        r"two requests carried the same correlation_id: give each its own, e\.g\. uuid\.uuid4\(\)\.hex",
        "有两个请求带着相同的 correlation_id：给每个请求一个自己的 ID，例如 uuid.uuid4().hex",
    ),
    (
        r"return a list with one result per body, in the order of the bodies, got (.*)",
        lambda m: f"请返回一个列表，每个 body 对应一个结果，按 bodies 的顺序排列；你返回的是 {m[1]}",
    ),
    (
        r"a reply whose correlation_id you did not send must be ignored, not taken as a result",
        "correlation_id 不是你发出的回复必须忽略，不能当作结果",
    ),
    (
        r"the replies came back in a different order than the requests went out; match each reply to its request "
        r"by correlation_id, and return the results in the order of the bodies",
        "回复返回的顺序与请求发出的顺序不同：按 correlation_id 把每个回复与它的请求配对，并按 bodies 的顺序返回结果",
    ),
]


def zh_rpc_problem(problem: str) -> str:
    """A problem the request-reply checker reports, in Chinese (as it is, if it is none the course knows).

    >>> zh_rpc_problem("your client raised KeyError: 'body'")
    "你的客户端抛出了 KeyError: 'body'"
    """
    for pattern, chinese in _ZH_RPC_PROBLEMS:
        match = re.fullmatch(pattern, problem, flags=re.DOTALL)
        if match:
            return chinese if isinstance(chinese, str) else chinese(match)
    return problem


def rpc_client(requests, bodies):
    replies = RedisStreamQueue(requests.url, f"replies:{uuid.uuid4().hex}")  # this client's own reply stream
    ids = [uuid.uuid4().hex for _ in bodies]
    for body, correlation_id in zip(bodies, ids, strict=True):  # send every request first
        requests.send({"body": body, "reply_to": replies.stream, "correlation_id": correlation_id})
    results = {}
    while len(results) < len(ids):
        delivery = replies.receive(consumer="client", timeout=10)
        delivery.ack()
        reply = delivery.message
        if reply["correlation_id"] in ids:  # a reply to another request is not ours: skip it
            results[reply["correlation_id"]] = reply["body"]
    replies.close()
    return [results[correlation_id] for correlation_id in ids]  # in the order of the bodies


_RPC_SOLUTION = "import uuid\n\n\n" + as_notebook_code(
    textwrap.dedent(inspect.getsource(rpc_client)), ["RedisStreamQueue"]
)
_RPC_COMMENTS = {
    "# this client's own reply stream": "# 这个客户端自己的回复流",
    "# send every request first": "# 先发送所有请求",
    "# a reply to another request is not ours: skip it": "# 对别的请求的回复不是我们的：跳过它",
    "# in the order of the bodies": "# 按 bodies 的顺序",
}


def _rpc_variant(*, same_id: bool = False, check_id: bool = True, reorder: bool = True) -> Any:
    def variant(requests: Any, bodies: list[Any]) -> list[Any]:
        replies = RedisStreamQueue(requests.url, f"replies:{uuid.uuid4().hex}")
        ids = ["request" if same_id else uuid.uuid4().hex for _ in bodies]
        for body, correlation_id in zip(bodies, ids, strict=True):
            requests.send({"body": body, "reply_to": replies.stream, "correlation_id": correlation_id})
        arrived: list[Any] = []
        while len(arrived) < len(ids):
            delivery = replies.receive(consumer="client", timeout=10)
            delivery.ack()
            if not check_id or delivery.message["correlation_id"] in ids:
                arrived.append(delivery.message)
        replies.close()
        if reorder:
            by_id = {reply["correlation_id"]: reply["body"] for reply in arrived}
            return [by_id[correlation_id] for correlation_id in ids]
        return [reply["body"] for reply in arrived]

    variant.__qualname__ = f"rpc_client_same_id_{same_id}_check_id_{check_id}_reorder_{reorder}"
    return variant


def _rpc_placeholder(requests: Any, bodies: list[Any]) -> list[Any]:
    raise NotImplementedError


register(
    Exercise(
        id="08.rpc-client",
        title=Text("Write the request-reply client", "编写请求-应答客户端"),
        kind="write",
        prompt=Text(
            textwrap.dedent("""\
        Write `rpc_client(requests, bodies)`: `requests` is a RedisStreamQueue a server reads; send it one
        request per body, and return the server's results in the order of `bodies`.
          - a request is {"body": body, "reply_to": <your reply stream's name>, "correlation_id": <an id>};
          - open your own reply stream: replies = ac.RedisStreamQueue(requests.url, "replies:" + a unique id),
            and put replies.stream in reply_to;
          - give each request its own correlation_id (uuid.uuid4().hex), and send EVERY request first;
          - then receive replies (receive(consumer=..., timeout=10), ack each) until each of your ids has one:
            a reply is {"correlation_id": ..., "body": result}; ignore replies with an id you did not send.
        The check runs a server on Redis that answers the last request first and sends one stray reply."""),
            textwrap.dedent("""\
        编写 `rpc_client(requests, bodies)`：`requests` 是服务端读取的一个 RedisStreamQueue；每个 body
        向它发送一个请求，并按 `bodies` 的顺序返回服务端的结果。
          - 请求的形式是 {"body": body, "reply_to": <你的回复流的名字>, "correlation_id": <一个 ID>}；
          - 打开你自己的回复流：replies = ac.RedisStreamQueue(requests.url, "replies:" + 一个唯一的 ID)，
            并把 replies.stream 放进 reply_to；
          - 每个请求都有自己的 correlation_id（uuid.uuid4().hex），并且要先发送所有请求；
          - 然后接收回复（receive(consumer=..., timeout=10)，每条都确认），直到你的每个 ID 都有了回复：
            回复的形式是 {"correlation_id": ..., "body": result}；忽略 ID 不是你发出的回复。
        检查会在 Redis 上运行一个服务端：它先回答最后一个请求，并发送一条不相干的回复。"""),
        ),
        judge=_judge_rpc,
        hints=[
            Text(
                "Replies do not come back in the order the requests went out: keep a dict correlation_id -> "
                "result, then build the list from your ids, in the order of the bodies.",
                "回复返回的顺序与请求发出的顺序不同：用一个 dict 记录 correlation_id -> 结果，"
                "再按 bodies 的顺序，用你的 ID 构造结果列表。",
            ),
            Text(
                "Send all the requests before you wait for any reply: the server may wait for several requests "
                "before it answers. Skip a reply whose correlation_id is not in your list of ids.",
                "在等待任何回复之前先发送所有请求：服务端可能要等到几个请求都到了才回答。"
                "跳过 correlation_id 不在你的 ID 列表中的回复。",
            ),
        ],
        solution_text=Text(_RPC_SOLUTION, zh_code(_RPC_SOLUTION, _RPC_COMMENTS)),
        reference=rpc_client,
        wrong_answers=[
            _rpc_variant(same_id=True),
            _rpc_variant(check_id=False, reorder=False),
            _rpc_variant(reorder=False),
            "rpc_client",
        ],
    )
)
