"""Issue 12, the in-memory side: each test pins one case that used to hang, leak, crash or lose order.

Races are made deterministic, never waited out: a loop that ends right after ``send_threadsafe``'s check is a
loop whose callback blocks until the send was handed over, then stops it. Real threads only join with a
generous timeout, as a guard against a hang, never to measure time.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import asyncomm as ac
from asyncomm.reliable import PartitionedQueue, ReliableQueue

GUARD = 10.0  # real seconds a thread may take before the test calls it hung

LOOP_STOPPED = (
    "the event loop of queue 'feed' is not running (any more), so the message was not sent: nothing can receive "
    "it; keep the loop running (its asyncio.run or clock.run) until the threads that send to it are done, or "
    "have them stop on QueueClosed"
)


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``fn`` on a daemon thread (a hung one must not keep pytest from exiting); its result or error
    lands in the returned dict."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = fn()
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def joined(thread: threading.Thread, what: str) -> None:
    thread.join(GUARD)
    assert not thread.is_alive(), f"{what} still blocked after {GUARD:g} s: it would wait forever"


# ---- item 3: send_threadsafe when the loop ends under it -------------------------------------------------------


class _HandOverLoop(asyncio.SelectorEventLoop):
    """A loop that tells the test when a thread has handed it a callback: what send_threadsafe does right
    after its "is the loop running?" check."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.handed = threading.Event()

    def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> asyncio.Handle:
        handle = super().call_soon_threadsafe(callback, *args, context=context)
        if self.armed:
            self.handed.set()
        return handle


@pytest.mark.parametrize("when", ["before the send starts", "after the send task was created"])
def test_send_threadsafe_raises_queue_closed_when_the_loop_ends_right_after_its_check(when):
    # Before: the thread blocked forever in run_coroutine_threadsafe(...).result(): the loop ended with the
    # scheduled callback never run (or its task never stepped), so nothing ever settled the future.
    loop = _HandOverLoop()
    queue_made, blocking = threading.Event(), threading.Event()
    holder: dict[str, ac.AsyncMessageQueue[str]] = {}

    def make_queue() -> None:
        holder["q"] = ac.AsyncMessageQueue(name="feed")
        holder["q"].send_nowait("first")  # binds the queue to this loop
        queue_made.set()

    def block_until_handed_over() -> None:  # runs on the loop; the loop counts as running meanwhile
        if when == "after the send task was created":
            loop.call_soon(loop.stop)  # runs in the same step as the send's callback, just before it
        blocking.set()
        loop.handed.wait(GUARD)
        if when == "before the send starts":
            loop.stop()  # this step ends the loop; the callback handed over meanwhile never runs

    def run_loop() -> None:
        loop.run_forever()
        # What asyncio.run() does at the end: cancel the tasks left, let them finish, close.
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.close()

    loop_thread = threading.Thread(target=run_loop, daemon=True)
    loop_thread.start()
    loop.call_soon_threadsafe(make_queue)
    assert queue_made.wait(GUARD)
    loop.call_soon_threadsafe(block_until_handed_over)
    assert blocking.wait(GUARD)
    loop.armed = True  # only now: the hand-over of the blocker itself must not count

    sender, outcome = in_thread(lambda: holder["q"].send_threadsafe("late"))
    joined(sender, "send_threadsafe")
    joined(loop_thread, "the loop thread")
    assert isinstance(outcome.get("error"), ac.QueueClosed), outcome
    assert str(outcome["error"]) == LOOP_STOPPED
    assert holder["q"].snapshot() == ["first"]  # not sent, as the error says


@pytest.mark.parametrize("runner", ["asyncio.run", "VirtualClock.run"])
def test_send_threadsafe_waiting_for_room_when_the_loop_ends_gets_queue_closed_not_a_bare_cancelled_error(runner):
    # Before: the loop's end cancelled the send's task, and the thread got concurrent.futures.CancelledError,
    # with no message.
    holder: dict[str, Any] = {}

    async def main() -> None:
        q = holder["q"] = ac.AsyncMessageQueue(maxsize=1, name="feed")
        await q.send("a")
        holder["sender"] = in_thread(lambda: q.send_threadsafe("b"))
        while q.statistics().senders_waiting == 0:  # the thread's send now waits for room, for sure
            await asyncio.sleep(0.001)
        # main returns: the loop ends with the send still waiting

    if runner == "asyncio.run":
        asyncio.run(main())
    else:
        ac.VirtualClock().run(main())
    sender, outcome = holder["sender"]
    joined(sender, "send_threadsafe")
    assert isinstance(outcome.get("error"), ac.QueueClosed), outcome
    assert str(outcome["error"]) == LOOP_STOPPED
    assert holder["q"].snapshot() == ["a"]


def test_send_threadsafe_after_the_loop_ended_is_queue_closed_too():
    async def main() -> ac.AsyncMessageQueue[str]:
        return ac.AsyncMessageQueue(name="feed")

    q = asyncio.run(main())
    with pytest.raises(ac.QueueClosed, match=re.escape(LOOP_STOPPED)):
        q.send_threadsafe("late")


def test_send_threadsafe_still_returns_the_number_and_raises_what_send_raises():
    async def main() -> tuple[list[int], BaseException | None]:
        q = ac.AsyncMessageQueue(maxsize=1, name="feed")
        numbers = await asyncio.to_thread(lambda: [q.send_threadsafe("x")])
        try:
            await asyncio.to_thread(q.send_threadsafe, "y", timeout=0)
        except ac.QueueFull as error:
            return numbers, error
        return numbers, None

    numbers, error = asyncio.run(main())
    assert numbers == [1]
    assert isinstance(error, ac.QueueFull)


# ---- item 5: from_callbacks always ends ----------------------------------------------------------------------


def _calls_on_error_with(value: Any) -> Callable[..., None]:
    def report(*, on_done: Callable[[Any], None], on_error: Callable[[Any], None]) -> None:
        threading.Thread(target=on_error, args=(value,)).start()

    return report


def _awaited(start: Callable[..., Any], *args: Any) -> BaseException:
    async def main() -> BaseException:
        try:
            await asyncio.wait_for(ac.from_callbacks(start, *args), GUARD)
        except TimeoutError:
            pytest.fail(f"from_callbacks still waiting after {GUARD:g} s: it would wait forever")
        except BaseException as error:
            return error
        pytest.fail("from_callbacks returned instead of raising")

    return asyncio.run(main())


def test_from_callbacks_turns_an_error_value_that_is_not_an_exception_into_a_runtime_error():
    # Before: Future.set_exception("disk full") raised TypeError inside the loop's callback; the await never ended.
    error = _awaited(_calls_on_error_with("disk full"))
    assert type(error) is RuntimeError
    assert str(error) == (
        "_calls_on_error_with.<locals>.report called on_error with 'disk full' (str), not an exception; this "
        "RuntimeError stands for it (the value is its .value): catch RuntimeError around the await"
    )
    assert error.value == "disk full"  # type: ignore[attr-defined]


def test_from_callbacks_wraps_stop_iteration_in_a_runtime_error_as_asyncio_does():
    # Before: "StopIteration interacts badly with generators and cannot be raised into a Future": a TypeError
    # inside the loop's callback, and the await never ended.
    stop = StopIteration("no more pages")
    error = _awaited(_calls_on_error_with(stop))
    assert type(error) is RuntimeError and error.__cause__ is stop
    assert str(error) == (
        "_calls_on_error_with.<locals>.report raised StopIteration (passed to on_error); it comes wrapped in "
        "this RuntimeError because StopIteration cannot be raised through an await: see __cause__"
    )


def test_from_callbacks_ends_when_next_runs_dry_in_the_background():
    error = _awaited(ac.run_in_background, next, iter(()))
    assert type(error) is RuntimeError and type(error.__cause__) is StopIteration
    assert str(error).startswith("run_in_background raised StopIteration (passed to on_error)")


def test_from_callbacks_still_raises_an_exception_class_or_instance_as_it_is():
    assert type(_awaited(_calls_on_error_with(ValueError))) is ValueError
    error = KeyError("k")
    assert _awaited(_calls_on_error_with(error)) is error


@pytest.mark.parametrize("interrupt", [SystemExit(3), KeyboardInterrupt()], ids=["SystemExit", "KeyboardInterrupt"])
def test_from_callbacks_on_background_work_that_raises_system_exit_or_keyboard_interrupt_ends(interrupt):
    # Before: run_in_background's job caught Exception only, so on_error was never called; the await hung.
    def work() -> None:
        raise interrupt

    error = _awaited(ac.run_in_background, work)
    assert type(error) is RuntimeError and error.__cause__ is interrupt
    assert str(error) == (
        f"{work.__qualname__} raised {interrupt!r} on a background thread, which stops only that job; "
        f"the original is the __cause__ of this error"
    )


def test_run_in_background_future_holds_the_original_interrupt_and_on_error_hears_of_it():
    heard: list[BaseException] = []

    def work() -> None:
        sys.exit(2)

    job = ac.run_in_background(work, on_error=heard.append)
    with pytest.raises(SystemExit) as raised:
        job.result(GUARD)
    assert raised.value.code == 2
    assert len(heard) == 1 and type(heard[0]) is RuntimeError and heard[0].__cause__ is raised.value


# ---- item 11: call_in_loop without a loop ------------------------------------------------------------------------


@pytest.mark.parametrize("loop", [None, "loop"])
def test_call_in_loop_without_a_loop_is_a_type_error_that_says_where_to_get_one(loop):
    # Before: AttributeError: 'NoneType' object has no attribute 'is_closed'.
    message = (
        f"call_in_loop() needs the event loop to run fn on, got {loop!r} ({type(loop).__name__}); inside your "
        f"coroutine take loop = asyncio.get_running_loop() and hand it to the worker thread"
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        ac.call_in_loop(loop, print)


# ---- item 9: async waiters that give up leave the line -----------------------------------------------------------


def test_timed_out_and_cancelled_async_waiters_leave_the_line_and_a_later_send_still_wakes_a_live_receiver():
    # Before: every timed-out receive or send left its future in the line: 2,000 of them here (200,000
    # timed-out receives on a quiet queue held 30 MB).
    n = 500

    async def main() -> None:
        q = ac.AsyncMessageQueue(maxsize=1)
        for _ in range(n):  # a polling consumer on a quiet queue
            with pytest.raises(ac.QueueEmpty):
                await q.receive(timeout=0.01)
        for _ in range(n):
            task = asyncio.create_task(q.receive())
            await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert len(q._receivers) == 0
        await q.send("full")
        for _ in range(n):
            with pytest.raises(ac.QueueFull):
                await q.send("refused", timeout=0.01)
        for _ in range(n):
            task = asyncio.create_task(q.send("cancelled"))
            await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert len(q._senders) == 0
        assert q.receive_nowait() == "full"
        live = asyncio.create_task(q.receive())
        await asyncio.sleep(0)
        await q.send("m")
        assert await asyncio.wait_for(live, 5) == "m"

    ac.VirtualClock().run(main())


def test_many_waiters_giving_up_in_any_order_leave_a_line_of_about_the_live_ones():
    # Before: the 2,000 timed-out futures stayed, next to the 50 live ones. (Cancelled ones were removed, one
    # deque.remove() each, a cost in proportion to the line.)
    async def main() -> None:
        q = ac.AsyncMessageQueue()
        rng = random.Random(12)
        live = [asyncio.create_task(q.receive()) for _ in range(50)]
        quitters = [asyncio.create_task(q.receive(timeout=rng.uniform(1, 100))) for _ in range(2000)]
        cancelled = [asyncio.create_task(q.receive()) for _ in range(2000)]
        await asyncio.sleep(0)
        for task in cancelled[::2]:
            task.cancel()
        await asyncio.sleep(50)
        assert len(q._receivers) <= 2 * q.statistics().receivers_waiting + 32
        for task in cancelled[1::2]:
            task.cancel()
        await asyncio.sleep(60)  # every quitter has timed out
        await asyncio.gather(*quitters, *cancelled, return_exceptions=True)
        assert q.statistics().receivers_waiting == 50
        assert len(q._receivers) <= 2 * 50 + 32
        for n in range(50):
            await q.send(n)
        assert await asyncio.wait_for(asyncio.gather(*live), 5) == list(range(50))
        assert len(q._receivers) == 0

    ac.VirtualClock().run(main())


@pytest.mark.parametrize("order", ["timeout, send", "send, timeout", "timeout, send, cancel"])
def test_a_receiver_whose_timeout_runs_out_as_a_message_arrives_strands_nothing(order):
    # One instant, three orders: the impatient receiver's timer fires, a message is sent (and the impatient
    # task is cancelled before it runs). The message is received all the same, by the impatient receiver
    # (its time is up, but it looks once more) or, if it was cancelled, by the patient one; never left in
    # the queue while the patient one waits.
    async def main() -> tuple[Any, Any, list[str]]:
        q = ac.AsyncMessageQueue()
        impatient = asyncio.create_task(q.receive(timeout=5))
        await asyncio.sleep(0)
        patient = asyncio.create_task(q.receive())
        await asyncio.sleep(0)
        impatient_waiter = q._receivers[0]  # the timer's callback, called here to fix the order
        for step in order.split(", "):
            if step == "timeout":
                q._receivers._time_out(impatient_waiter)
            elif step == "send":
                q.send_nowait("m")
            else:
                impatient.cancel()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        outcomes = [
            "cancelled" if task.cancelled() else task.result() if task.done() else "waiting"
            for task in (impatient, patient)
        ]
        left = q.snapshot()
        if not patient.done():
            q.send_nowait("again")
        await asyncio.gather(impatient, patient, return_exceptions=True)
        return outcomes[0], outcomes[1], left

    impatient, patient, left = ac.VirtualClock().run(main())
    if order.endswith("cancel"):
        assert (impatient, patient, left) == ("cancelled", "m", [])
    else:
        assert (impatient, patient, left) == ("m", "waiting", [])


# ---- item 6: inf means no limit for a limit; a clear ValueError for a duration or an absurd limit ---------------


def _sent_later(send: Callable[[], Any]) -> threading.Thread:
    """Send once the receiver is surely waiting: a thread that polls, so no timing is assumed."""
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("kind", ["MessageQueue", "ReliableQueue at-least-once", "ReliableQueue at-most-once"])
def test_a_thread_receiving_with_timeout_inf_waits_and_gets_a_message_sent_later(kind):
    # Before: OverflowError: timestamp out of range for platform time_t.
    if kind == "MessageQueue":
        q: Any = ac.MessageQueue()
    else:
        q = ReliableQueue(delivery=kind.split()[1])

    def send_when_waited_for() -> None:
        while q.statistics().receivers_waiting == 0:
            time.sleep(0.001)
        q.send("late")

    _sent_later(send_when_waited_for)
    got = q.receive(timeout=math.inf)
    assert (got if kind == "MessageQueue" else got.message) == "late"


@pytest.mark.parametrize("kind", ["MessageQueue", "ReliableQueue", "PartitionedQueue"])
def test_a_thread_sending_with_timeout_inf_waits_for_room(kind):
    if kind == "MessageQueue":
        q: Any = ac.MessageQueue(maxsize=1)
        target = q
    elif kind == "ReliableQueue":
        q = target = ReliableQueue(1)
    else:
        q = PartitionedQueue(2, maxsize=1)
        target = q[q.partition_for("k")]
    q.send("a", **({"key": "k"} if kind == "PartitionedQueue" else {}))

    def make_room_when_waited_for() -> None:
        while target.statistics().senders_waiting == 0:
            time.sleep(0.001)
        got = target.receive()
        if kind != "MessageQueue":
            got.ack()

    _sent_later(make_room_when_waited_for)
    q.send("b", timeout=math.inf, **({"key": "k"} if kind == "PartitionedQueue" else {}))
    assert target.snapshot() == ["b"]


def test_a_thread_on_a_virtual_clock_waiting_with_timeout_inf_leaves_the_clock_alone():
    # Before: the autojump moved the clock to the deadline, inf, and it stayed there (the receive then raised
    # QueueEmpty "within inf s"). autojump_threshold=0 makes the clock jump at once, before the send.
    clock = ac.VirtualClock(autojump_threshold=0)
    q = ac.MessageQueue(clock=clock)

    def send_when_waited_for() -> None:
        while q.statistics().receivers_waiting == 0:
            time.sleep(0.001)
        q.send("late")

    _sent_later(send_when_waited_for)
    assert q.receive(timeout=math.inf) == "late"
    assert clock.now() == 0


# autojump_threshold=0: a virtual clock jumps to the earliest deadline at once, before any notify could come
@pytest.mark.parametrize("clock", [ac.RealClock(), ac.VirtualClock(autojump_threshold=0)], ids=["real", "virtual"])
def test_clock_wait_with_deadline_inf_waits_for_a_notify_and_leaves_the_time_alone(clock):
    # Before: RealClock raised OverflowError; VirtualClock jumped to inf and stayed there.
    cond = threading.Condition()
    waiting = threading.Event()

    def notify_when_waiting() -> None:
        waiting.wait(GUARD)
        with cond:
            cond.notify()

    _sent_later(notify_when_waiting)
    before = clock.now()
    with cond:
        waiting.set()  # the notify needs the lock, which wait() releases: it cannot come before the wait
        clock.wait(cond, math.inf)
    assert math.isfinite(clock.now()) and (clock.now() == before or not clock.is_virtual)


@pytest.mark.parametrize("verb", ["receive", "send"])
def test_async_queue_with_timeout_inf_waits_for_what_comes_later(verb):
    async def main() -> Any:
        q = ac.AsyncMessageQueue(maxsize=1)
        loop = asyncio.get_running_loop()
        if verb == "receive":
            loop.call_later(0.01, q.send_nowait, "late")
            return await q.receive(timeout=math.inf)
        await q.send("a")
        loop.call_later(0.01, q.receive_nowait)
        await q.send("b", timeout=math.inf)
        return q.snapshot()

    expected = "late" if verb == "receive" else ["b"]
    assert asyncio.run(main()) == expected
    assert ac.VirtualClock().run(main()) == expected


@pytest.mark.parametrize("wait", ["receive(timeout=inf)", "asyncio.sleep(inf)"])
def test_waiting_forever_in_virtual_clock_run_with_no_sender_is_a_deadlock_at_once(wait):
    # Before: receive(timeout=inf) spun the CPU; asyncio.sleep(inf) moved the clock to inf, where it spun.
    clock = ac.VirtualClock(deadlock_after=0.05)

    async def main() -> None:
        if wait == "asyncio.sleep(inf)":
            await asyncio.sleep(math.inf)
        else:
            await ac.AsyncMessageQueue().receive(timeout=math.inf)

    runner, outcome = in_thread(lambda: clock.run(main()))
    joined(runner, "clock.run")
    assert isinstance(outcome.get("error"), ac.Deadlock), outcome
    assert str(outcome["error"]).startswith("deadlock at t=0s: every task waits and no timer is due")
    assert clock.now() == 0


def test_an_asyncio_timeout_of_inf_next_to_a_real_timer_is_no_limit():
    async def main() -> float:
        async with asyncio.timeout(math.inf):
            await asyncio.sleep(3)
        return asyncio.get_running_loop().time()

    assert ac.VirtualClock().run(main()) == 3


TOO_LONG = "timeout must be at most 31,536,000 seconds (one year), got 10000000000.0; use None or math.inf to wait"


@pytest.mark.parametrize(
    "call",
    [
        lambda: ac.MessageQueue().receive(timeout=1e10),
        lambda: ac.MessageQueue().send("x", timeout=1e10),
        lambda: ReliableQueue().receive(timeout=1e10),
        lambda: ReliableQueue(delivery="at-most-once").send("x", timeout=1e10),
        lambda: PartitionedQueue(2).send("x", key="k", timeout=1e10),
        lambda: ac.VirtualClock().run(ac.AsyncMessageQueue().receive(timeout=1e10)),
        lambda: asyncio.run(ac.AsyncMessageQueue().send("x", timeout=1e10)),
    ],
    ids=[
        "MessageQueue.receive",
        "MessageQueue.send",
        "ReliableQueue.receive",
        "ReliableQueue.send",
        "PartitionedQueue.send",
        "AsyncMessageQueue.receive",
        "AsyncMessageQueue.send",
    ],
)
def test_an_absurd_timeout_is_a_value_error_that_says_how_to_wait_forever(call):
    # Before: OverflowError on threads (time_t), or a virtual clock jumping to 1e10.
    with pytest.raises(ValueError, match=re.escape(TOO_LONG)):
        call()


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda v: ac.RealClock().sleep(v), "seconds"),
        (lambda v: ac.VirtualClock().sleep(v), "seconds"),
        (lambda v: ReliableQueue(visibility_timeout=v), "visibility_timeout"),
        (lambda v: PartitionedQueue(2, visibility_timeout=v), "visibility_timeout"),
    ],
    ids=["RealClock.sleep", "VirtualClock.sleep", "ReliableQueue", "PartitionedQueue"],
)
def test_an_absurd_duration_is_a_value_error(call, what):
    # Before: RealClock.sleep(1e10) raised OverflowError; ReliableQueue(visibility_timeout=1e10) was accepted,
    # and a later receive() overflowed.
    with pytest.raises(
        ValueError, match=re.escape(f"{what} must be at most 31,536,000 seconds (one year), got {1e10!r}")
    ):
        call(1e10)


def test_a_sleep_of_inf_is_a_value_error_and_an_infinite_visibility_timeout_never_runs_out():
    with pytest.raises(ValueError, match=re.escape("seconds must be at most 31,536,000 seconds (one year), got inf")):
        ac.RealClock().sleep(math.inf)
    clock = ac.VirtualClock()
    q = ReliableQueue(visibility_timeout=math.inf, clock=clock)
    q.send("x")
    delivery = q.receive(timeout=0)
    assert delivery.deadline is None
    clock.advance(1e300)
    assert q.in_flight() == 1 and delivery.state == "pending"


def test_advancing_a_virtual_clock_past_the_largest_float_is_refused():
    # Before: two huge steps made the clock inf, where it stayed.
    clock = ac.VirtualClock()
    clock.advance(1e308)
    with pytest.raises(ValueError, match=re.escape("advance(1e+308) would move the clock from 1e+308 past")):
        clock.advance(1e308)
    assert clock.now() == 1e308


def test_teaching_loop_and_timing_lab_refuse_a_sleep_or_latency_of_inf():
    from asyncomm.labs import timing
    from asyncomm.teaching import eventloop

    with pytest.raises(ValueError, match=re.escape("seconds must be at most 31,536,000 seconds (one year), got inf")):
        eventloop.TeachingLoop().sleep(math.inf)
    with pytest.raises(ValueError, match=re.escape("latency must be at most 31,536,000 seconds (one year), got inf")):
        timing.model_total(3, math.inf, "threads")


# ---- item 12: documented limits, pinned ----------------------------------------------------------------------


def _run_partitions_with_crashes(pq: PartitionedQueue, clock: ac.VirtualClock, seed: int) -> tuple[int, int]:
    """One consumer per partition, under the same name after each crash; a crash drops the delivery unacked.
    Returns (messages processed out of order for their key, crashes)."""
    rng = random.Random(seed)
    keys = [f"k{n}" for n in range(8)]
    sent = {}
    for n in range(1, 2001):
        key = rng.choice(keys)
        sent[pq.send((key, n), key=key)] = key
    latest: dict[str, int] = {}
    processed: set[int] = set()
    out_of_order = crashes = 0
    while len(processed) < len(sent):
        for index, partition in enumerate(pq):
            try:
                delivery = partition.receive_nowait(consumer=f"c{index}")
            except (ac.QueueEmpty, ac.PrefetchLimitReached):
                continue
            if rng.random() < 0.1:  # the consumer crashes before it processes: no ack, and it restarts
                crashes += 1
                continue
            key, n = delivery.message
            if n not in processed:
                processed.add(n)
                if n < latest.get(key, 0):
                    out_of_order += 1
                latest[key] = max(latest.get(key, 0), n)
            delivery.ack()
        clock.advance(1)
    return out_of_order, crashes


def test_partitioned_queue_keeps_per_key_order_under_crashes_with_its_defaults():
    # Before (prefetch=0 by default): a restarted consumer took the next message of a key while the one it
    # lost was still out, and processed it first (dozens out of order here).
    clock = ac.VirtualClock()
    pq = PartitionedQueue(4, visibility_timeout=5, max_deliveries=None, clock=clock)
    assert pq[0].prefetch == 1
    out_of_order, crashes = _run_partitions_with_crashes(pq, clock, seed=4)
    assert crashes > 100
    assert out_of_order == 0


def test_partitioned_queue_with_prefetch_0_loses_per_key_order_under_crashes():
    clock = ac.VirtualClock()
    pq = PartitionedQueue(4, visibility_timeout=5, max_deliveries=None, prefetch=0, clock=clock)
    out_of_order, _ = _run_partitions_with_crashes(pq, clock, seed=4)
    assert out_of_order > 0  # why prefetch=1 is the default


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit], ids=["KeyboardInterrupt", "SystemExit"])
@pytest.mark.parametrize("kind", ["EventBus", "CallbackRegistry"])
def test_keyboard_interrupt_or_system_exit_in_a_listener_stops_the_trigger_at_once_and_the_bus_stays_usable(
    kind, interrupt
):
    calls: list[str] = []
    armed = [True]

    def first(*_: Any) -> None:
        calls.append("first")
        raise ValueError("collected, then dropped by the interrupt")

    def stopper(*_: Any) -> None:
        calls.append("stopper")
        if armed[0]:
            raise interrupt()

    def last(*_: Any) -> None:
        calls.append("last")

    if kind == "EventBus":
        bus = ac.EventBus()
        for listener in (first, stopper, last):
            bus.register("tick", listener)

        def trigger() -> int:
            return bus.trigger("tick")

        def count() -> int:
            return bus.listener_count("tick")
    else:
        registry = ac.CallbackRegistry()
        for callback in (first, stopper, last):
            registry.register(callback)

        def trigger() -> int:
            return registry.trigger()

        def count() -> int:
            return len(registry)

    with pytest.raises(interrupt):
        trigger()
    assert calls == ["first", "stopper"]  # "last" did not run
    assert count() == 3
    armed[0] = False
    calls.clear()
    with pytest.raises(ac.TriggerFailed):
        trigger()
    assert calls == ["first", "stopper", "last"]
