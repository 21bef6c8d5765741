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
            return f"{item!r} is not a message the program sends"
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
        answer, FIFO_SENT, "answer with a list of the queued messages, oldest first, such as ['x', 'y']"
    )
    if isinstance(answer, str):
        return answer
    expected = _run(FIFO_PROGRAM, "q.snapshot()")
    if answer == expected:
        return None
    if "e" in answer:
        return "the queue holds at most 3 messages: what does send_nowait do when there is no room?"
    if len(answer) != len(expected):
        return "count again: each send adds one message, each receive takes one, a refused send adds none"
    if sorted(answer) == sorted(expected):
        return "right messages, wrong order: list them oldest first (the one receive() would return next)"
    return "receive takes the *oldest* message (first in, first out): replay the lines one by one"


register(
    Exercise(
        id="02b.fifo-order",
        title="Predict a bounded queue's contents",
        kind="predict",
        prompt=(
            "After this program, what does q.snapshot() return (the queued messages, oldest first)?\n\n" + FIFO_PROGRAM
        ),
        judge=_judge_fifo,
        hints=[
            "Write the queue's contents after every line, like a trace: ['a'], ['a', 'b'], ...",
            "receive() takes from the front (the oldest); send_nowait raises QueueFull at once when "
            "3 messages are queued, and the refused message is not queued.",
        ],
        solution_text=textwrap.dedent("""\
        answer = ['c', 'd', 'f']
        # a, b, c are queued; receive() takes 'a' -> [b, c]; send d -> [b, c, d] (full: 3 of 3);
        # send_nowait('e') raises QueueFull and 'e' is not queued; receive() takes 'b' -> [c, d];
        # send f -> [c, d, f]."""),
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
        return "answer with the list `calls` holds at the end, a list of strings such as ['a1', ...]"
    for item in items:
        if clean_text(item) not in LISTENER_STRINGS:
            return (
                f"{item!r} is not a string the program appends: each listener appends its name and the "
                f"trigger's number, such as 'a1'"
            )
    calls = [clean_text(item) for item in items]
    expected = _run(LISTENER_PROGRAM, "calls")
    if calls == expected:
        return None
    repeated = sorted({call for call in calls if calls.count(call) > 1})
    if repeated:
        return f"{repeated[0]!r} appears more than once: a listener runs at most once per trigger"
    if "b2" in calls:
        return "b was registered with once(): after it has run one time, is it still registered?"
    if "b1" not in calls:
        return "b is registered with once(): it does run one time, on the first trigger"
    if "c2" in calls:
        return "b removed c during the first trigger: does c still hear the second one?"
    if "c1" not in calls:
        return (
            "a trigger calls the listeners it had when it started (a snapshot): "
            "a listener removed during a trigger still gets that trigger"
        )
    if "a1" not in calls or "a2" not in calls:
        return "a is registered with register(), and never removed: it hears every trigger"
    return "listeners run in the order they were registered; write down calls after each trigger"


register(
    Exercise(
        id="02b.listener-order",
        title="Predict the listener call order",
        kind="predict",
        prompt="What does the list `calls` hold after this program?\n\n" + LISTENER_PROGRAM,
        judge=_judge_listeners,
        hints=[
            "Listeners run in registration order, each with the event's data (here 1, then 2).",
            "A trigger works on a snapshot of the listeners taken when it starts: one removed meanwhile "
            "still runs in that trigger, and is gone from the next one. A once listener is gone after it ran.",
        ],
        solution_text=textwrap.dedent("""\
        answer = ['a1', 'b1', 'c1', 'a2']
        # Trigger 1 calls a, b, c (the snapshot taken when it started) with 1; b is a once listener,
        # so it is removed as it runs, and it removes c - but c is in this trigger's snapshot, so it
        # still runs. Trigger 2 finds only a."""),
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
        return "set answer to your function itself: answer = register_counter (no parentheses)"
    bus = EventBus()
    count = register_counter(bus, "saved")
    if not callable(count):
        return (
            "return a function that reports the count when called later (a closure over your counter), "
            "not the count itself: at registration time it is always 0"
        )
    if bus.listener_count("saved") != 1:
        return (
            f"register exactly one listener for the event (found {bus.listener_count('saved')} "
            f"on 'saved'); use the event you were given"
        )
    if count() != 0:
        return "before any trigger the count must be 0"
    for args, kwargs in [((), {}), (("a.txt",), {}), (("b.txt", 2), {"mode": "w"})]:
        try:
            bus.trigger("saved", *args, **kwargs)
        except TriggerFailed as failed:
            return _listener_failed(failed.exceptions[0], args, kwargs)
    bus.trigger("opened", "c.txt")
    if count() == 1:
        return "the count stopped at 1: register with register(), which keeps the listener, not once()"
    if count() != 3:
        return f"after 3 triggers of 'saved' (and 1 of 'opened') your count says {count()}"
    other = register_counter(bus, "saved")
    bus.trigger("saved")
    if (count(), other()) != (4, 1):
        return (
            "two counters must not share their count: keep it inside register_counter "
            "(a local variable the listener closes over), not in a global"
        )
    return None


def _listener_failed(error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The hint for a counting listener that raised ``error`` on ``bus.trigger("saved", *args, **kwargs)``."""
    call = ", ".join(["'saved'", *map(repr, args), *(f"{key}={value!r}" for key, value in kwargs.items())])
    raised = f"your listener raised {type(error).__name__} ({error}) on bus.trigger({call})"
    if isinstance(error, NameError):  # UnboundLocalError is a NameError
        return (
            f"{raised}: assigning to register_counter's counter inside the listener (count += 1) makes it "
            f"a new local variable of the listener; declare the counter `nonlocal` (nonlocal count), or keep "
            f"it in a mutable, such as a list or a dict"
        )
    if isinstance(error, TypeError):
        return f"{raised}: accept whatever the trigger passes, with def listener(*args, **kwargs)"
    return raised


register(
    Exercise(
        id="02b.count-listener",
        title="Write a listener that counts",
        kind="write",
        prompt=textwrap.dedent("""\
        Write register_counter(bus, event): it registers ONE listener on `bus` for `event` that counts
        how many times the event is triggered, and returns a function of no arguments that tells the
        count so far. Triggers may carry any data (bus.trigger("saved", "a.txt", mode="w")).

            count = register_counter(bus, "saved")
            bus.trigger("saved", "a.txt"); bus.trigger("saved", "b.txt")
            count()   # -> 2"""),
        judge=_judge_counter,
        hints=[
            "Keep the count in a local variable of register_counter; the listener updates it (nonlocal) "
            "and the function you return reads it. Both are closures over the same variable.",
            "def listener(*args, **kwargs): accepts whatever data the trigger sends. "
            "Register it with bus.register(event, listener); return lambda: count.",
        ],
        solution_text=textwrap.dedent("""\
        def register_counter(bus, event):
            count = 0

            def listener(*args, **kwargs):   # the event's data does not matter here
                nonlocal count
                count += 1

            bus.register(event, listener)
            return lambda: count"""),
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
        answer, FIVE_CLICKS_SENT, "answer with a list of the messages the widget shows, front first, such as ['x']"
    )
    if isinstance(answer, str):
        return answer
    expected = _replay_clicks()
    if answer == expected:
        return None
    if "c" in answer:
        return "the queue holds 2 messages: what does the widget's Send do when there is no room?"
    if "a" in answer:
        return "Receive takes the message at the front: the oldest one"
    if len(answer) != len(expected):
        return "count again: a refused Send adds nothing, a Receive takes one"
    return "right messages? check the order: the front (oldest) comes first"


register(
    Exercise(
        id="02b.five-clicks",
        title="Predict the queue widget after five clicks",
        kind="predict",
        prompt=(
            "A queue widget with maxsize=2 gets five clicks: Send 'a', Send 'b', Send 'c', Receive, Send 'd'.\n"
            "The widget's Send never waits: on a full queue it refuses the message, as send_nowait does.\n"
            "What does it show in the queue, front (oldest) first? Predict, then click it through to check."
        ),
        judge=_judge_five_clicks,
        hints=[
            "Track the boxes after each click: ['a'], ['a', 'b'], then the third Send meets a full queue...",
            "A refused Send adds nothing; Receive takes the oldest message, at the front.",
        ],
        solution_text=textwrap.dedent("""\
        answer = ['b', 'd']
        # ['a'] -> ['a', 'b'] -> Send 'c' refused (QueueFull: 2 of 2) -> Receive takes 'a' -> ['b']
        # -> Send 'd' -> ['b', 'd']."""),
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
        return "set answer to your function itself: answer = consumer (no parentheses)"
    if not inspect.iscoroutinefunction(consumer):
        return "define consumer with `async def`, so that it can await the queue"
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
        return (
            "get_nowait() raised QueueEmpty: between two orders the queue is empty for now. "
            "`await queue.get()` waits for the next order instead"
        )
    for item in served:
        if inspect.iscoroutine(item):
            item.close()
    if any(inspect.iscoroutine(item) for item in served):
        return "queue.get() is a coroutine: `await queue.get()` waits for the next order and gives it to you"
    if None in served:
        return 'None is the producer\'s sentinel, "no more orders", not an order: stop there without serving it'
    if state == "still waiting":
        return (
            f"your consumer served {served} and then kept waiting after the sentinel: when get() returns None, "
            f"return (or break out of the loop)"
        )
    if list(served) != list(ORDERS):
        return (
            f"your consumer served {served} and stopped: an empty queue only means the next order has not come "
            f"yet. Wait for it with `await queue.get()`; only the sentinel means the end"
        )
    return None


register(
    Exercise(
        id="02b.producer-consumer",
        title="Write a consumer that stops at the sentinel",
        kind="write",
        prompt=textwrap.dedent("""\
        Write `async def consumer(queue, served)`. `queue` is an asyncio.Queue; a producer puts an order
        into it every second, then None, the sentinel that means "no more orders". The consumer appends
        each order to the list `served`, in order, and returns once it gets the sentinel (which it does
        not serve). The check runs it beside its own producer, on a virtual clock."""),
        judge=_judge_consumer,
        hints=[
            "Between two orders the queue is empty, and that does not mean the producer is done: "
            "`await queue.get()` waits for the next one. Only the sentinel means the end.",
            "while (order := await queue.get()) is not None: served.append(order)",
        ],
        solution_text=textwrap.dedent("""\
        async def consumer(queue, served):
            while (order := await queue.get()) is not None:   # None: the producer is done
                served.append(order)"""),
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
