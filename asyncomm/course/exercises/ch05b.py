"""Exercises of chapter 05b (delivery guarantees).

* ``05b.acking-consumer`` (write): a consumer loop that acks after the work and nacks when it fails;
* ``05b.choose-guarantee`` (predict): at-most-once, at-least-once or at-least-once + idempotent consumer;
* ``05b.idempotent-consumer`` (write): a consumer that processes each message id once, checked on the
  deliveries of a real fault-lab run;
* ``05b.fair-dispatch`` (predict): round-robin against prefetch=1 with a slow consumer.

>>> from asyncomm import exercises
>>> exercises.get("05b.fair-dispatch").check({0: 12, 1: 6}).outcome.value
'correct'
"""

from __future__ import annotations

import contextlib
import re
from functools import cache
from typing import Any

from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, clean_text, real_number, register
from asyncomm.errors import QueueClosed
from asyncomm.i18n import Text, tr
from asyncomm.labs.faults import run_lab
from asyncomm.labs.messaging import fair_dispatch
from asyncomm.reliable.idempotent import IdempotentConsumer
from asyncomm.reliable.memory import ReliableQueue

__all__: list[str] = []


# -- 05b.acking-consumer ---------------------------------------------------------

ACK_MESSAGES = ("a", "b", "c", "poison", "d")
ACK_FAILS_ONCE = "c"  # its handler fails the first time (a database briefly down), then succeeds
ACK_POISON = "poison"  # its handler always fails
ACK_MAX_DELIVERIES = 3
_RUNAWAY = 50  # handler calls after which the check stops a consumer that goes round and round


class HandlerFailed(Exception):
    """What the check's handler raises for a message it cannot handle (this time)."""


class _Runaway(Exception):
    pass


def _acking_run(consume: Any) -> dict[str, Any]:
    """Run ``consume(queue, handler)`` on a closed ReliableQueue holding ACK_MESSAGES; report what happened."""
    queue: ReliableQueue[str] = ReliableQueue(
        clock=VirtualClock(), max_deliveries=ACK_MAX_DELIVERIES, visibility_timeout=30, name="jobs"
    )
    for body in ACK_MESSAGES:
        queue.send(body)
    queue.close()  # nothing more will come: `for delivery in queue` ends once it is drained
    calls: list[str] = []
    done: list[str] = []
    settled_first: list[str] = []

    def handler(body: str) -> None:
        calls.append(body)
        if len(calls) > _RUNAWAY:
            raise _Runaway
        if queue.in_flight() == 0:  # the delivery was settled before its work began
            settled_first.append(body)
        if body == ACK_POISON or (body == ACK_FAILS_ONCE and calls.count(body) == 1):
            raise HandlerFailed(f"cannot handle {body!r} now")
        done.append(body)

    error: BaseException | None = None
    try:
        consume(queue, handler)
    except QueueClosed:
        pass  # a receive loop that ends on the closed, drained queue
    except (HandlerFailed, _Runaway) as err:
        error = err
    return {
        "error": error,
        "calls": calls,
        "done": done,
        "settled_first": settled_first,
        "in_flight": queue.in_flight(),
        "ready": queue.ready(),
        "dead": {row.message: row.reason for row in queue.dead_letters()},
    }


def _judge_acking(consume: Any) -> str | None:
    if not callable(consume):
        return tr(
            "pass your function itself to ac.check: consume, without quotes or parentheses",
            "请把函数本身传给 ac.check：直接写 consume，不加引号，也不加括号",
        )
    run = _acking_run(consume)
    if isinstance(run["error"], HandlerFailed):
        return tr(
            "the handler's error escaped from your consumer: catch it, nack that delivery so the queue can "
            "deliver it again, and go on with the next message - one bad message must not stop the consumer",
            "处理函数抛出的异常没有被你的消费者捕获，直接传了出去：要捕获它，对这次投递调用 nack，让队列可以再次投递，"
            "然后继续处理下一条消息——一条坏消息不能让消费者停下来",
        )
    if isinstance(run["error"], _Runaway):
        return tr(
            f"the handler was called more than {_RUNAWAY} times for {len(ACK_MESSAGES)} messages: a delivery "
            "that is never acked comes back after its visibility timeout, again and again. Ack each one once "
            "its handler has returned",
            f"只有 {len(ACK_MESSAGES)} 条消息，处理函数却被调用了超过 {_RUNAWAY} 次：从不确认的投递会在"
            "可见性超时后一次又一次地回来。每次投递的处理函数返回后，就确认它",
        )
    if run["settled_first"]:
        first = run["settled_first"][0]
        return tr(
            f"{first!r} was acked before its handler ran: if the consumer crashed in the "
            "handler the message would be lost (that is at-most-once). Ack after the handler returns",
            f"{first!r} 在它的处理函数运行之前就被确认了：如果消费者在处理函数中崩溃，这条消息就会丢失"
            "（那是至多一次）。要在处理函数返回之后再确认",
        )
    if run["in_flight"]:
        return tr(
            f"{run['in_flight']} delivery(ies) were neither acked nor nacked: the queue holds them in flight "
            "until their visibility timeout. Ack when the handler returns, nack when it raises",
            f"有 {run['in_flight']} 次投递既没有确认（ack），也没有否定确认（nack）：队列会让它们一直处于“处理中”状态，"
            "直到可见性超时。处理函数返回时 ack，抛出异常时 nack",
        )
    dead, calls = run["dead"], run["calls"]
    if dead.get(ACK_FAILS_ONCE) == "rejected":
        return tr(
            f"{ACK_FAILS_ONCE!r} failed once and went straight to the dead letters: nack(requeue=False) gives "
            "up on a message that might work next time. nack() (requeue=True) lets it come back",
            f"{ACK_FAILS_ONCE!r} 只失败了一次就直接进了死信：nack(requeue=False) 放弃了一条下次可能就会成功的消息。"
            "nack()（requeue=True）才会让它回来",
        )
    if ACK_FAILS_ONCE not in run["done"] and calls.count(ACK_FAILS_ONCE) == 1:
        return tr(
            f"the handler of {ACK_FAILS_ONCE!r} raised, and the message never came back: it was acked anyway, "
            "so the queue forgot it - lost. Nack a delivery whose handler raised",
            f"{ACK_FAILS_ONCE!r} 的处理函数抛出了异常，而这条消息再也没有回来：它还是被确认了，"
            "于是队列忘了它——丢失了。处理函数抛出异常的投递要 nack",
        )
    never_acked = [body for body, reason in dead.items() if body != ACK_POISON and reason == "max deliveries"]
    if never_acked:
        body, times = never_acked[0], calls.count(never_acked[0])
        return tr(
            f"{body!r} was handled {times} times and then dead-lettered: the queue "
            "never heard that it was done, so each visibility timeout brought it back. Ack a delivery once its "
            "handler has returned",
            f"{body!r} 被处理了 {times} 次，然后进了死信：队列始终没有收到“已完成”的确认，"
            "所以每次可见性超时一到，它就又回来了。处理函数返回后就确认这次投递",
        )
    if sorted(run["done"]) != sorted(set(ACK_MESSAGES) - {ACK_POISON}) or dead.get(ACK_POISON) != "max deliveries":
        return tr(
            f"the handler completed {run['done']} and the dead letters hold {dead}: each good message should "
            f"be handled once, and the poison message dead-lettered after {ACK_MAX_DELIVERIES} deliveries",
            f"处理函数完成了 {run['done']}，死信里有 {dead}：每条好消息应该只处理一次，"
            f"毒消息应该在 {ACK_MAX_DELIVERIES} 次投递后进入死信",
        )
    return None


def _reference_consume(queue: Any, handler: Any) -> None:
    for delivery in queue:
        try:
            handler(delivery.message)
        except Exception:
            delivery.nack()  # it comes back (or, at max_deliveries, goes to the dead letters)
        else:
            delivery.ack()  # only now is the work done


def _acks_first(queue: Any, handler: Any) -> None:
    for delivery in queue:
        delivery.ack()
        with contextlib.suppress(Exception):
            handler(delivery.message)


def _no_error_handling(queue: Any, handler: Any) -> None:
    for delivery in queue:
        handler(delivery.message)
        delivery.ack()


def _acks_in_finally(queue: Any, handler: Any) -> None:
    for delivery in queue:
        try:
            handler(delivery.message)
        except Exception:
            pass
        finally:
            delivery.ack()


def _never_acks(queue: Any, handler: Any) -> None:
    for delivery in queue:
        with contextlib.suppress(Exception):
            handler(delivery.message)


def _rejects_at_once(queue: Any, handler: Any) -> None:
    for delivery in queue:
        try:
            handler(delivery.message)
        except Exception:
            delivery.nack(requeue=False)
        else:
            delivery.ack()


register(
    Exercise(
        id="05b.acking-consumer",
        title=Text("Write an acking consumer", "编写一个会确认的消费者"),
        kind="write",
        prompt=Text(
            "Write consume(queue, handler), the loop of an at-least-once consumer. `queue` is an ac.ReliableQueue "
            "that was closed after its messages were sent, so `for delivery in queue:` receives deliveries until "
            "it is drained. For each delivery, call handler(delivery.message). When the handler returns, ack the "
            "delivery; when it raises, nack it (it comes back, or goes to the dead letters once it has used its "
            "max_deliveries) and go on with the next one. The check sends "
            f"{', '.join(map(repr, ACK_MESSAGES))}: {ACK_FAILS_ONCE!r} fails once, {ACK_POISON!r} always "
            f"(max_deliveries={ACK_MAX_DELIVERIES}).",
            "编写 consume(queue, handler)，即至少一次投递的消费者循环。`queue` 是一个 ac.ReliableQueue，"
            "消息全部发送完之后，队列已经关闭，所以 `for delivery in queue:` 会一直接收投递，直到队列取空为止。"
            "对每次投递，调用 handler(delivery.message)。处理函数正常返回时，确认（ack）这次投递；"
            "抛出异常时，对它做否定确认（nack）：消息会回来，或者在投递满 max_deliveries 次之后进入死信；"
            "然后继续处理下一条。检查会发送 "
            f"{'、'.join(map(repr, ACK_MESSAGES))}：{ACK_FAILS_ONCE!r} 失败一次，{ACK_POISON!r} 总是失败"
            f"（max_deliveries={ACK_MAX_DELIVERIES}）。",
        ),
        judge=_judge_acking,
        hints=[
            Text(
                "The ack says 'done': it belongs after the work, never before. A failure gets delivery.nack().",
                "ack 的意思是“做完了”：它应该放在工作之后，绝不能放在之前。失败时调用 delivery.nack()。",
            ),
            Text(
                "try: handler(delivery.message) / except Exception: delivery.nack() / else: delivery.ack()",
                "结构是：try: handler(delivery.message) / except Exception: delivery.nack() / else: delivery.ack()",
            ),
        ],
        solution_text=Text(
            "def consume(queue, handler):\n"
            "    for delivery in queue:\n"
            "        try:\n"
            "            handler(delivery.message)\n"
            "        except Exception:\n"
            "            delivery.nack()   # comes back; after max_deliveries, a dead letter\n"
            "        else:\n"
            "            delivery.ack()    # only once the work is done\n"
            "\n"
            "# 'c' fails once, is nacked, comes back and succeeds. 'poison' is nacked three times and\n"
            "# then parked in queue.dead_letters(). Nothing is lost, and nothing stays in flight.",
            "def consume(queue, handler):\n"
            "    for delivery in queue:\n"
            "        try:\n"
            "            handler(delivery.message)\n"
            "        except Exception:\n"
            "            delivery.nack()   # 消息会回来；超过 max_deliveries 次后成为死信\n"
            "        else:\n"
            "            delivery.ack()    # 只在工作完成之后确认\n"
            "\n"
            "# 'c' 失败一次，被 nack，回来后成功。'poison' 被 nack 三次，然后被搁置到\n"
            "# queue.dead_letters() 里。没有丢失任何消息，也没有消息一直停在处理中。",
        ),
        reference=_reference_consume,
        wrong_answers=[_acks_first, _no_error_handling, _acks_in_finally, _rejects_at_once, _never_acks, 7],
    )
)


# -- 05b.choose-guarantee ---------------------------------------------------------

GUARANTEES = ("at-most-once", "at-least-once", "at-least-once + idempotent consumer")
_GUARANTEE_EVENTS = ("payment", "metrics")


def _guarantee_key(text: str) -> str:
    """A choice as the check compares it: case, quotes, hyphens or spaces, and spaces around '+' do not matter.

    >>> _guarantee_key(" At least once+Idempotent consumer") == _guarantee_key(GUARANTEES[2])
    True
    """
    text = clean_text(text).replace("-", " ")
    return " ".join(re.sub(r"\s*\+\s*", " + ", text).split())


_GUARANTEE_BY_KEY = {_guarantee_key(choice): choice for choice in GUARANTEES}
_GUARANTEE_BY_KEY[_guarantee_key("at-least-once + idempotent")] = GUARANTEES[2]


def _judge_guarantee(answer: Any) -> str | None:
    if (
        not isinstance(answer, dict)
        or not all(isinstance(key, str) for key in answer)
        or sorted(clean_text(key) for key in answer) != sorted(_GUARANTEE_EVENTS)
    ):
        return tr(
            "answer with a dict of two entries: {'payment': ..., 'metrics': ...}",
            "请用一个有两项的字典作答：{'payment': ..., 'metrics': ...}",
        )
    choices = {clean_text(key): value for key, value in answer.items()}
    for event in _GUARANTEE_EVENTS:
        choice = choices[event]
        if not isinstance(choice, str) or _guarantee_key(choice) not in _GUARANTEE_BY_KEY:
            options = ", ".join(map(repr, GUARANTEES))
            return tr(
                f"each choice must be one of: {options}; got {choice!r}",
                f"每一项的选择都必须是以下之一：{options}；得到的是 {choice!r}",
            )
        choices[event] = _GUARANTEE_BY_KEY[_guarantee_key(choice)]
    payment, metrics = choices["payment"], choices["metrics"]
    if payment == "at-most-once":
        return tr(
            "payment: a consumer that crashes after receiving and before paying loses the payment for good; "
            "a lost payment is not acceptable",
            "payment：消费者如果在接收之后、付款之前崩溃，这笔支付就永远丢了；丢失支付是不可接受的",
        )
    if payment == "at-least-once":
        return tr(
            "payment: a consumer that pays and crashes before its ack gets the message again - and charges "
            "the customer twice",
            "payment：消费者如果付了款、却在确认之前崩溃，就会再次收到这条消息——于是向顾客扣了两次钱",
        )
    if metrics == "at-least-once":
        return tr(
            "metrics: a redelivered sample is counted twice, which the dashboard must not do",
            "metrics：重新投递的采样会被算两次，而仪表盘不允许这样",
        )
    if metrics != "at-most-once":
        return tr(
            "metrics: that works, but it is not the cheapest: acks, redeliveries and a store of seen ids, "
            "for samples you are allowed to lose now and then",
            "metrics：这样行得通，但不是最便宜的：要确认、要重新投递，还要有个地方保存已处理过的 id，"
            "而这些采样本来偶尔丢一个也无妨",
        )
    return None


register(
    Exercise(
        id="05b.choose-guarantee",
        title=Text("Choose the delivery guarantee", "选择投递保证"),
        kind="predict",
        prompt=Text(
            "Two kinds of message go through a queue whose consumers sometimes crash:\n"
            "  * 'payment': charge a customer. It must never be lost, and never be charged twice.\n"
            "  * 'metrics': a CPU-load sample, one of thousands per minute, averaged on a dashboard. Losing one "
            "now and then is fine; counting one twice is not.\n"
            "For each, choose the cheapest guarantee that meets its needs, one of:\n"
            f"  {', '.join(map(repr, GUARANTEES))}.\n"
            "Answer with a dict: answer = {'payment': ..., 'metrics': ...}",
            "有两种消息经过一个队列，它的消费者有时会崩溃：\n"
            "  * 'payment'：向顾客扣款。它绝不能丢失，也绝不能扣两次。\n"
            "  * 'metrics'：一个 CPU 负载采样，每分钟有成千上万个，在仪表盘上取平均值。偶尔丢一个没关系；"
            "把一个算两次则不行。\n"
            "请为每一种选择能满足其需要的、最便宜的投递保证（至多一次、至少一次、至少一次 + 幂等消费者），"
            "从下列写法中选一个：\n"
            f"  {', '.join(map(repr, GUARANTEES))}。\n"
            "请用一个字典作答：answer = {'payment': ..., 'metrics': ...}",
        ),
        judge=_judge_guarantee,
        hints=[
            Text(
                "Look at the table above: which guarantee loses messages, which duplicates them, which does neither?",
                "看看上面的表：哪种保证会丢消息，哪种会重复消息，哪种两样都不会？",
            ),
            Text(
                "Neither lost nor duplicated needs both redelivery and a consumer that skips ids it has already "
                "processed. Lost-but-never-twice is what auto-ack gives, with nothing to store.",
                "既不丢失也不重复，需要重新投递，再加上一个会跳过已处理 id 的消费者。"
                "可能丢失但绝不重复，正是自动确认所提供的，而且什么都不用存。",
            ),
        ],
        solution_text=Text(
            "answer = {'payment': 'at-least-once + idempotent consumer', 'metrics': 'at-most-once'}\n"
            "# A payment may not be lost (so at-least-once: ack after the work) nor done twice (so the\n"
            "# consumer remembers the ids it has processed). A metrics sample may be lost but not\n"
            "# duplicated: at-most-once (auto-ack) never delivers twice and costs nothing extra.",
            "answer = {'payment': 'at-least-once + idempotent consumer', 'metrics': 'at-most-once'}\n"
            "# 支付既不能丢失（所以用至少一次：工作完成后再确认），也不能做两次（所以消费者要\n"
            "# 记住已处理过的 id）。指标采样可以丢失，但不能重复：至多一次（自动确认）从不\n"
            "# 投递两次，也不需要任何额外开销。",
        ),
        reference={"payment": "at-least-once + idempotent consumer", "metrics": "at-most-once"},
        wrong_answers=[
            {"payment": "at-most-once", "metrics": "at-most-once"},
            {"payment": "at-least-once", "metrics": "at-most-once"},
            {"payment": "at-least-once + idempotent consumer", "metrics": "at-least-once"},
            {"payment": "at-least-once + idempotent consumer", "metrics": "at-least-once + idempotent consumer"},
            {"payment": "exactly-once", "metrics": "at-most-once"},
            ("at-least-once + idempotent consumer", "at-most-once"),
            {"Payment": "At least once", "Metrics": "at most once"},
            {"payment": "at-least-once+idempotent consumer", "metrics": "At-least-once"},
            {"payment": "at-least-once + idempotent consumer", "metrics": None},
        ],
    )
)


# -- 05b.idempotent-consumer ------------------------------------------------------

IDEMPOTENT_SCENARIO = "crash-after-processing"
IDEMPOTENT_SEEDS = (0, 1)


@cache
def _redeliveries(seed: int) -> tuple[tuple[int, str], ...]:
    """What reached the handler in an at-least-once run of the lab, in order: ``(message id, body)``.

    Every delivery whose consumer got as far as processing is here, so a message whose consumer crashed
    after processing (before its ack) appears twice: exactly what an idempotent consumer must absorb.
    """
    run = run_lab(IDEMPOTENT_SCENARIO, delivery="at-least-once", seed=seed)
    ids = {m.number: m.id for m in run.messages if m.id is not None}  # None: refused by the queue
    return tuple((ids[number], f"m{number}") for _, number, _ in run.effects)


class _Flaky(Exception):
    """The handler of the retry check fails once, the way a database that is briefly down does."""


def _judge_idempotent(make: Any) -> str | None:
    if not callable(make):
        return tr(
            "pass your function itself to ac.check: make_idempotent, without quotes or parentheses",
            "请把函数本身传给 ac.check：直接写 make_idempotent，不加引号，也不加括号",
        )
    # 1. The deliveries of real lab runs, duplicates included.
    for seed in IDEMPOTENT_SEEDS:
        deliveries = _redeliveries(seed)
        processed: list[str] = []
        consume = make(processed.append)
        if isinstance(consume, IdempotentConsumer):
            return tr(
                "ac.IdempotentConsumer is called with one (message_id, body) pair, not with two arguments, so it "
                "is not a drop-in for make_idempotent: return a function consume(message_id, body) that calls "
                "it with the pair",
                "调用 ac.IdempotentConsumer 时传入的是一个 (message_id, body) 二元组，而不是两个参数，"
                "所以它不能直接当作 make_idempotent 使用：请返回一个函数 consume(message_id, body)，"
                "由它把这对值作为二元组传给 ac.IdempotentConsumer",
            )
        if not callable(consume):
            return tr(
                "make_idempotent(handler) must return a function consume(message_id, body)",
                "make_idempotent(handler) 必须返回一个函数 consume(message_id, body)",
            )
        for message_id, body in deliveries:
            consume(message_id, body)
        expected = sorted({body for _, body in deliveries}, key=lambda body: int(body[1:]))
        twice = len(processed) - len(set(processed))
        if twice:
            again = len(deliveries) - len(expected)
            return tr(
                f"in the lab run (seed {seed}) {again} deliveries were redeliveries "
                f"of messages already processed, and your consumer processed {twice} of them again",
                f"在实验台的这次运行中（随机种子 {seed}），有 {again} 次投递是对已处理消息的重新投递，"
                f"而你的消费者又处理了其中的 {twice} 次",
            )
        if sorted(processed, key=lambda body: int(body[1:])) != expected:
            return tr(
                f"in the lab run (seed {seed}) some messages were never processed: each id must run once",
                f"在实验台的这次运行中（随机种子 {seed}），有些消息从未被处理：每个 id 都必须处理一次",
            )
    # 2. Two different messages may carry the same body.
    done: list[str] = []
    consume = make(done.append)
    consume(1, "pay 10")
    consume(2, "pay 10")
    consume(1, "pay 10")
    if done != ["pay 10", "pay 10"]:
        if len(done) == 1:
            return tr(
                "messages 1 and 2 are two payments that happen to have the same body: remember message ids, not bodies",
                "消息 1 和 2 是两笔恰好内容相同的支付：要记住消息 id，而不是消息内容",
            )
        return tr(
            "consume(1, ...), consume(2, ...), consume(1, ...) must run the handler for 1 and 2, once each",
            "consume(1, ...)、consume(2, ...)、consume(1, ...) 必须为 1 和 2 各运行一次处理函数",
        )
    # 3. A handler that fails must not make the consumer forget the message.
    tries: list[str] = []

    def flaky(body: str) -> None:
        tries.append(body)
        if len(tries) == 1:
            raise _Flaky("database unavailable")

    consume = make(flaky)
    try:
        consume(7, "pay 7")
    except _Flaky:
        pass
    else:
        return tr(
            "when the handler raises, let the exception out: the consumer must not ack, so the queue "
            "redelivers the message",
            "处理函数抛出异常时，要让异常继续向外抛出：消费者不能确认，这样队列才会重新投递这条消息",
        )
    consume(7, "pay 7")  # the redelivery
    if tries != ["pay 7", "pay 7"]:
        return tr(
            "the handler failed the first time, so the redelivery must run it again: remember an id only "
            "after the handler has succeeded",
            "处理函数第一次失败了，所以重新投递时必须再运行一次：只有在处理函数成功之后才记住这个 id",
        )
    return None


def _reference_make_idempotent(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if message_id in seen:
            return
        handler(body)
        seen.add(message_id)  # only now: if the handler raised, the redelivery tries again

    return consume


def _no_memory(handler: Any) -> Any:
    return lambda message_id, body: handler(body)


def _remembers_bodies(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if body not in seen:
            handler(body)
            seen.add(body)

    return consume


def _remembers_too_early(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if message_id not in seen:
            seen.add(message_id)
            handler(body)

    return consume


def _swallows_errors(handler: Any) -> Any:
    seen: set[Any] = set()

    def consume(message_id: Any, body: Any) -> None:
        if message_id in seen:
            return
        try:
            handler(body)
        except Exception:
            return
        seen.add(message_id)

    return consume


register(
    Exercise(
        id="05b.idempotent-consumer",
        title=Text("Make a consumer idempotent", "让消费者具有幂等性"),
        kind="write",
        prompt=Text(
            "At-least-once delivery may hand you the same message twice (its consumer crashed after the work, "
            "before the ack). Write make_idempotent(handler): it returns consume(message_id, body), which calls "
            "handler(body) the first time it sees message_id and does nothing for a message_id it has already "
            "processed. If handler raises, let the exception out, and do not count the message as processed: "
            "the queue will deliver it again. The check replays the deliveries of real "
            f"run_lab({IDEMPOTENT_SCENARIO!r}) runs through your consumer.",
            "至少一次投递可能把同一条消息交给你两次（它的消费者在工作之后、确认之前崩溃了）。"
            "编写 make_idempotent(handler)：它返回 consume(message_id, body)，"
            "第一次见到某个 message_id 时调用 handler(body)，对已经处理过的 message_id 则什么都不做。"
            "如果 handler 抛出异常，就让异常继续向外抛出，并且不要把这条消息算作已处理：队列会再次投递它。"
            f"检查会把真实的 run_lab({IDEMPOTENT_SCENARIO!r}) 运行中的投递通过你的消费者重放一遍。",
        ),
        judge=_judge_idempotent,
        hints=[
            Text(
                "Keep a set of the message ids already processed, inside make_idempotent (a closure), so each "
                "consumer has its own.",
                "在 make_idempotent 内部（用闭包）保存一个已处理消息 id 的集合，这样每个消费者都有自己的一份。",
            ),
            Text(
                "Order matters: check the id, run the handler, and only then add the id - so that a handler that "
                "raised leaves the id unknown.",
                "顺序很重要：先检查 id，再运行处理函数，最后才把 id 加入集合——"
                "这样处理函数一旦抛出异常，这个 id 就不会被记下。",
            ),
        ],
        solution_text=Text(
            "def make_idempotent(handler):\n"
            "    seen = set()\n"
            "\n"
            "    def consume(message_id, body):\n"
            "        if message_id in seen:\n"
            "            return                   # a duplicate: already done\n"
            "        handler(body)                # may raise: then the id stays unknown\n"
            "        seen.add(message_id)\n"
            "\n"
            "    return consume\n"
            "\n"
            "# The library's version is ac.IdempotentConsumer, which also bounds the memory of ids. It is\n"
            "# called with ONE (message_id, body) pair (or a Delivery), so it is not a drop-in for\n"
            "# make_idempotent; wrapped, it passes the check too:\n"
            "#\n"
            "#     def make_idempotent(handler):\n"
            "#         consumer = ac.IdempotentConsumer(handler)\n"
            "#         return lambda message_id, body: consumer((message_id, body))",
            "def make_idempotent(handler):\n"
            "    seen = set()\n"
            "\n"
            "    def consume(message_id, body):\n"
            "        if message_id in seen:\n"
            "            return                   # 重复的消息：已经处理过了\n"
            "        handler(body)                # 可能抛出异常：那样 id 就不会被记下\n"
            "        seen.add(message_id)\n"
            "\n"
            "    return consume\n"
            "\n"
            "# 本库的版本是 ac.IdempotentConsumer，它还会限制记住的 id 的数量。调用它时传入的是\n"
            "# 一个 (message_id, body) 二元组（或者一个 Delivery），所以它不能直接当作\n"
            "# make_idempotent 使用；包装一下，它也能通过检查：\n"
            "#\n"
            "#     def make_idempotent(handler):\n"
            "#         consumer = ac.IdempotentConsumer(handler)\n"
            "#         return lambda message_id, body: consumer((message_id, body))",
        ),
        reference=_reference_make_idempotent,
        wrong_answers=[_no_memory, _remembers_bodies, _remembers_too_early, _swallows_errors, 42, IdempotentConsumer],
    )
)


# -- 05b.fair-dispatch -----------------------------------------------------------

FAIR_TIMES = {"fast": 1.0, "slow": 3.0}  # seconds per message
FAIR_MESSAGES = 8


def _fair_totals() -> dict[int, float]:
    return {prefetch: fair_dispatch(FAIR_TIMES, FAIR_MESSAGES, prefetch=prefetch).total for prefetch in (0, 1)}


def _judge_fair(answer: Any) -> str | None:
    if not isinstance(answer, dict) or sorted(map(str, answer)) != ["0", "1"]:
        return tr(
            "answer with a dict of two entries: {0: seconds with prefetch=0, 1: seconds with prefetch=1}",
            "请用一个有两项的字典作答：{0: prefetch=0 时的秒数, 1: prefetch=1 时的秒数}",
        )
    got = {int(key): real_number(value) for key, value in answer.items()}
    if any(value is None for value in got.values()):
        return tr(
            "each entry is a number of seconds: when the last of the 8 messages is done",
            "每一项都是一个秒数：8 条消息中的最后一条完成的时刻",
        )
    expected = _fair_totals()
    if got == expected:
        return None
    if got == {0: expected[1], 1: expected[0]}:
        return tr(
            "you swapped them: which setting lets the fast consumer take more than its half?",
            "你把两者弄反了：哪种设置让快消费者能拿到多于一半的消息？",
        )
    if got[0] != expected[0]:
        return tr(
            "prefetch=0: the broker deals the 8 messages out at once, one to each consumer in turn, whatever "
            "their speed. How many does the slow one get, and how long does it need for them?",
            "prefetch=0：消息代理一次性把 8 条消息轮流分给每个消费者，不管它们的速度如何。"
            "慢消费者拿到几条？处理完它们需要多长时间？",
        )
    return tr(
        "prefetch=1: a consumer gets its next message only after acking the last, so the fast one comes back "
        "for more three times as often. Play it second by second",
        "prefetch=1：消费者只有确认了上一条消息才会拿到下一条，所以快消费者回来取新消息的频率是慢消费者的三倍。"
        "一秒一秒地推演一遍",
    )


register(
    Exercise(
        id="05b.fair-dispatch",
        title=Text("Predict fair dispatch with prefetch", "预测带预取的公平分派"),
        kind="predict",
        prompt=Text(
            f"Two consumers share {FAIR_MESSAGES} messages sent at once: 'fast' needs {FAIR_TIMES['fast']:g} s "
            f"per message, 'slow' {FAIR_TIMES['slow']:g} s; each acks a message when it is done. With "
            "prefetch=0 (no limit: the broker deals all the messages out at once, one to each consumer in "
            "turn, as RabbitMQ does by default) and with prefetch=1 (a consumer is sent its next message only "
            "once it has acked the last), when is the last message done? Answer with a dict: "
            "answer = {0: seconds, 1: seconds}.",
            f"两个消费者分担同时发出的 {FAIR_MESSAGES} 条消息：'fast' 每条需要 {FAIR_TIMES['fast']:g} 秒，"
            f"'slow' 每条需要 {FAIR_TIMES['slow']:g} 秒；每个消费者处理完一条消息就确认它。"
            "在 prefetch=0（没有限制：消息代理一次性把所有消息轮流分给每个消费者，这是 RabbitMQ 的默认做法）"
            "和 prefetch=1（消费者只有确认了上一条消息，才会收到下一条）两种情况下，最后一条消息分别在什么时刻完成？"
            "请用一个字典作答：answer = {0: 秒数, 1: 秒数}。",
        ),
        judge=_judge_fair,
        hints=[
            Text(
                "prefetch=0: half the messages each, whatever the speed. The slowest consumer decides when all is "
                "done.",
                "prefetch=0：不管速度如何，每个消费者各拿一半消息。全部完成的时刻由最慢的消费者决定。",
            ),
            Text(
                "prefetch=1: at t = 0 each takes one. The fast one acks at t = 1, 2, 3 ... and takes the next each "
                "time; the slow one at t = 3, 6. Count until nothing is left.",
                "prefetch=1：t = 0 时每个消费者各取一条。快消费者在 t = 1、2、3 …… 时确认，每次都取走下一条；"
                "慢消费者在 t = 3、6 时确认。一直数到一条不剩。",
            ),
        ],
        solution_text=Text(
            "answer = {0: 12, 1: 6}\n"
            "# prefetch=0: 4 messages each; the slow one needs 4 × 3 = 12 s (the fast one idles from t = 4).\n"
            "# prefetch=1: the fast one does 6 (t = 1 ... 6), the slow one 2 (t = 3, 6): all done at 6 s.\n"
            "# Check: from asyncomm.labs.messaging import fair_dispatch\n"
            "#        fair_dispatch({'fast': 1, 'slow': 3}, 8, prefetch=1).total",
            "answer = {0: 12, 1: 6}\n"
            "# prefetch=0：每个消费者 4 条；慢的需要 4 × 3 = 12 秒（快的从 t = 4 起就闲着）。\n"
            "# prefetch=1：快的处理 6 条（t = 1 …… 6），慢的处理 2 条（t = 3、6）：6 秒时全部完成。\n"
            "# 验证：from asyncomm.labs.messaging import fair_dispatch\n"
            "#       fair_dispatch({'fast': 1, 'slow': 3}, 8, prefetch=1).total",
        ),
        reference={0: 12, 1: 6},
        wrong_answers=[{0: 6, 1: 12}, {0: 6, 1: 6}, {0: 12, 1: 8}, {0: 12}, (12, 6), {0: "12", 1: 6}],
    )
)
