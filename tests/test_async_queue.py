"""AsyncMessageQueue: FIFO, waiting, closing, cancellation, exact virtual timeouts, threads.

Most tests run on a ``VirtualClock``: waits end at exact virtual times and take no
real time, and a task left waiting forever makes ``clock.run`` raise
``ac.Deadlock`` instead of hanging the test run. Tests that involve real threads
use ``asyncio.run`` and bound every wait with a timeout.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import asyncomm as ac

PRODUCERS = 4
CONSUMERS = 4
PER_PRODUCER = 20_000


def run_virtual(main: Coroutine[Any, Any, Any]) -> Any:
    return ac.VirtualClock().run(main)


def now() -> float:
    return asyncio.get_running_loop().time()


async def settle() -> None:
    """Let every ready task run until it waits again."""
    for _ in range(5):
        await asyncio.sleep(0)


def rows(trace: ac.Trace) -> list[tuple[float, str, Any, int, str]]:
    return [(r.time, r.operation, r.item, r.size, r.outcome) for r in trace]


# -- FIFO and waiting ------------------------------------------------------------


def test_fifo_order_len_and_snapshot():
    async def main():
        q = ac.AsyncMessageQueue()
        for msg in ["a", "b", "c"]:
            await q.send(msg)
        assert len(q) == 3 and q.snapshot() == ["a", "b", "c"]
        got = [await q.receive(), q.receive_nowait(), await q.receive()]
        assert q.empty() and len(q) == 0
        return got

    assert run_virtual(main()) == ["a", "b", "c"]


def test_bounded_send_waits_for_room_and_resumes_exactly_when_made():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=2)
        sent_at: list[float] = []
        got: list[int] = []

        async def producer():
            for i in range(5):
                await q.send(i)
                sent_at.append(now())
                assert len(q) <= 2

        async def consumer():
            for _ in range(5):
                await asyncio.sleep(1)
                got.append(await q.receive())

        await asyncio.gather(producer(), consumer())
        return sent_at, got

    sent_at, got = run_virtual(main())
    assert sent_at == [0.0, 0.0, 1.0, 2.0, 3.0]  # the 3rd send waits for the 1st receive, and so on
    assert got == [0, 1, 2, 3, 4]


def test_receive_waits_until_a_message_arrives_even_with_a_timeout():
    async def main():
        q = ac.AsyncMessageQueue()

        async def late_sender():
            await asyncio.sleep(3)
            await q.send("late")

        task = asyncio.create_task(late_sender())
        msg = await q.receive(timeout=10)
        await task
        return msg, now()

    assert run_virtual(main()) == ("late", 3.0)


def test_waiting_receivers_are_served_first_come_first_served():
    async def main():
        q = ac.AsyncMessageQueue()
        receivers = [asyncio.create_task(q.receive()) for _ in range(3)]
        await settle()
        for msg in ["first", "second", "third"]:
            q.send_nowait(msg)
        return [await r for r in receivers]

    assert run_virtual(main()) == ["first", "second", "third"]


def test_waiting_senders_get_room_first_come_first_served():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1)
        q.send_nowait("queued")
        senders = [asyncio.create_task(q.send(msg)) for msg in ["s1", "s2", "s3"]]
        await settle()
        got = [await q.receive() for _ in range(4)]
        await asyncio.gather(*senders)
        return got

    assert run_virtual(main()) == ["queued", "s1", "s2", "s3"]


# -- many producers and consumers ----------------------------------------------------


async def produce(q: ac.AsyncMessageQueue, producer: int) -> None:
    for number in range(PER_PRODUCER):
        await q.send((producer, number))


async def consume_until_closed(q: ac.AsyncMessageQueue, got: list[Any]) -> str:
    while True:
        try:
            got.append(await q.receive())
        except ac.QueueClosed as err:
            return str(err)
        # Handling a message takes a turn of the loop; without it the first
        # consumer would take every queued message before the others ran.
        await asyncio.sleep(0)


async def producers_then_close(consumers: int) -> list[list[tuple[int, int]]]:
    q = ac.AsyncMessageQueue(maxsize=64, name="work")
    received: list[list[tuple[int, int]]] = [[] for _ in range(consumers)]
    consumer_tasks = [asyncio.create_task(consume_until_closed(q, got)) for got in received]
    await asyncio.gather(*(produce(q, p) for p in range(PRODUCERS)))
    q.close()
    endings = await asyncio.gather(*consumer_tasks)
    assert endings == ["queue 'work' is closed and drained; there are no more messages"] * consumers
    assert len(q) == 0
    return received


@pytest.mark.parametrize("runner", [asyncio.run, run_virtual], ids=["asyncio.run", "VirtualClock.run"])
def test_four_producers_four_consumers_every_message_exactly_once(runner):
    received = runner(asyncio.wait_for(producers_then_close(CONSUMERS), 120))
    everything = Counter(msg for got in received for msg in got)
    assert everything == Counter((p, n) for p in range(PRODUCERS) for n in range(PER_PRODUCER))
    for got in received:  # what one consumer sees of a producer is in that producer's order
        for p in range(PRODUCERS):
            mine = [n for producer, n in got if producer == p]
            assert mine == sorted(mine)


def test_with_one_consumer_each_producer_arrives_in_its_own_order():
    [got] = asyncio.run(asyncio.wait_for(producers_then_close(consumers=1), 120))
    assert len(got) == PRODUCERS * PER_PRODUCER
    for p in range(PRODUCERS):
        assert [n for producer, n in got if producer == p] == list(range(PER_PRODUCER))


# -- closing ---------------------------------------------------------------------------


def test_close_wakes_waiting_senders_with_queue_closed_and_does_not_queue_their_messages():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1, name="jobs")
        q.send_nowait("queued")
        senders = [asyncio.create_task(q.send(f"late-{i}")) for i in range(3)]
        await settle()
        q.close()
        outcomes = await asyncio.gather(*senders, return_exceptions=True)
        assert [type(err) for err in outcomes] == [ac.QueueClosed] * 3
        assert {str(err) for err in outcomes} == {"queue 'jobs' is closed; no new messages can be sent"}
        assert q.snapshot() == ["queued"]
        assert await q.receive() == "queued"
        with pytest.raises(
            ac.QueueClosed, match=re.escape("queue 'jobs' is closed and drained; there are no more messages")
        ):
            await q.receive()

    run_virtual(main())


def test_close_wakes_waiting_receivers_after_they_drained_what_was_left():
    async def main():
        q = ac.AsyncMessageQueue(name="inbox")
        received: list[list[Any]] = [[] for _ in range(4)]
        receivers = [asyncio.create_task(consume_until_closed(q, got)) for got in received]
        await settle()
        for msg in ["x", "y"]:
            q.send_nowait(msg)
        q.close()  # the woken receivers have not run yet: they still get x and y
        endings = await asyncio.gather(*receivers)
        assert endings == ["queue 'inbox' is closed and drained; there are no more messages"] * 4
        return sorted(msg for got in received for msg in got)

    assert run_virtual(main()) == ["x", "y"]


def test_close_twice_is_harmless_and_sending_after_close_is_refused():
    async def main():
        q = ac.AsyncMessageQueue(name="q")
        q.close()
        q.close()
        assert q.closed
        with pytest.raises(ac.QueueClosed, match=re.escape("queue 'q' is closed; no new messages can be sent")):
            await q.send("late", timeout=5)
        assert now() == 0.0  # refused at once, no waiting

    run_virtual(main())


# -- cancellation ---------------------------------------------------------------------


def test_receive_cancelled_while_waiting_loses_no_message():
    async def main():
        q = ac.AsyncMessageQueue()
        cancelled = asyncio.create_task(q.receive())
        patient = asyncio.create_task(q.receive())
        await settle()
        cancelled.cancel()
        await settle()
        q.send_nowait("m")  # must reach the receiver still waiting, not the cancelled one
        done, _ = await asyncio.wait({patient}, timeout=5)
        assert cancelled.cancelled()
        return patient.result() if done else "the waiting receiver never got it"

    assert run_virtual(main()) == "m"


def test_receiver_woken_then_cancelled_before_it_runs_passes_the_message_to_the_next():
    async def main():
        q = ac.AsyncMessageQueue()
        first = asyncio.create_task(q.receive())
        second = asyncio.create_task(q.receive())
        await settle()
        q.send_nowait("m")  # wakes `first` (first in line) ...
        first.cancel()  # ... which is cancelled before it could take the message
        done, _ = await asyncio.wait({second}, timeout=5)
        assert first.cancelled()
        assert done, "the wake-up was lost with the cancelled receiver"
        assert second.result() == "m" and q.empty()

    run_virtual(main())


def test_receiver_woken_then_cancelled_leaves_the_message_in_the_queue():
    async def main():
        q = ac.AsyncMessageQueue()
        only = asyncio.create_task(q.receive(timeout=10))
        await settle()
        q.send_nowait("m")
        only.cancel()
        await settle()
        assert only.cancelled()
        assert q.snapshot() == ["m"]
        assert await q.receive(timeout=1) == "m"

    run_virtual(main())


def test_receiver_cancelled_by_asyncio_timeout_loses_no_message():
    async def main():
        q = ac.AsyncMessageQueue()

        async def impatient():
            async with asyncio.timeout(1):
                return await q.receive()

        task = asyncio.create_task(impatient())
        with pytest.raises(TimeoutError):
            await task
        await q.send("after")
        return await q.receive(timeout=1), now()

    assert run_virtual(main()) == ("after", 1.0)


def test_send_cancelled_while_waiting_on_a_full_queue_does_not_insert():
    async def main():
        trace = ac.Trace()
        q = ac.AsyncMessageQueue(maxsize=1, trace=trace)
        q.send_nowait("queued")
        sender = asyncio.create_task(q.send("cancelled"))
        await settle()
        sender.cancel()
        await settle()
        assert sender.cancelled()
        assert q.snapshot() == ["queued"]
        assert await q.receive() == "queued"
        await settle()
        assert q.empty()
        assert [r.item for r in trace.where(operation="send")] == ["queued"]

    run_virtual(main())


def test_sender_woken_then_cancelled_passes_the_room_to_the_next_sender():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1)
        q.send_nowait("queued")
        first = asyncio.create_task(q.send("first"))
        second = asyncio.create_task(q.send("second"))
        await settle()
        assert q.receive_nowait() == "queued"  # wakes `first` ...
        first.cancel()  # ... cancelled before it could use the room
        done, _ = await asyncio.wait({second}, timeout=5)
        assert first.cancelled()
        assert done, "the room was lost with the cancelled sender"
        assert q.snapshot() == ["second"]

    run_virtual(main())


def test_sender_woken_then_cancelled_does_not_insert_and_leaves_the_room():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1)
        q.send_nowait("queued")
        only = asyncio.create_task(q.send("cancelled", timeout=10))
        await settle()
        q.receive_nowait()
        only.cancel()
        await settle()
        assert only.cancelled() and q.empty()
        q.send_nowait("next")  # the room is still there
        assert q.snapshot() == ["next"]

    run_virtual(main())


def test_a_timed_out_receiver_does_not_swallow_the_wake_up_of_the_next():
    async def main():
        q = ac.AsyncMessageQueue()
        impatient = asyncio.create_task(q.receive(timeout=1))
        await asyncio.sleep(2)
        with pytest.raises(ac.QueueEmpty):
            impatient.result()
        patient = asyncio.create_task(q.receive())
        await settle()
        q.send_nowait("m")
        done, _ = await asyncio.wait({patient}, timeout=5)
        assert done, "the wake-up went to the receiver that had already given up"
        assert patient.result() == "m"

    run_virtual(main())


def test_a_timed_out_sender_does_not_swallow_the_room_meant_for_the_next():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1)
        q.send_nowait("queued")
        impatient = asyncio.create_task(q.send("refused", timeout=1))
        await asyncio.sleep(2)
        with pytest.raises(ac.QueueFull):
            impatient.result()
        patient = asyncio.create_task(q.send("patient"))
        await settle()
        assert q.receive_nowait() == "queued"
        done, _ = await asyncio.wait({patient}, timeout=5)
        assert done, "the room went to the sender that had already given up"
        assert q.snapshot() == ["patient"]

    run_virtual(main())


# -- timeouts on a virtual clock are exact and instant ------------------------------------------


def test_receive_timeout_raises_queue_empty_at_exactly_the_timeout():
    clock = ac.VirtualClock()

    async def main():
        q = ac.AsyncMessageQueue(clock=clock, name="inbox")
        with pytest.raises(ac.QueueEmpty, match=re.escape("no message arrived on queue 'inbox' within 10 s")):
            await q.receive(timeout=10)
        return clock.now(), now()

    started = time.monotonic()
    assert clock.run(main()) == (10.0, 10.0)
    assert time.monotonic() - started < 5  # ten virtual seconds are not ten real ones (loose on purpose)


def test_timeouts_add_up_exactly_from_a_later_start():
    clock = ac.VirtualClock(start=5)

    async def main():
        q = ac.AsyncMessageQueue(maxsize=1, name="q")
        for _ in range(3):
            with pytest.raises(ac.QueueEmpty):
                await q.receive(timeout=0.1)
        q.send_nowait("x")
        with pytest.raises(
            ac.QueueFull,
            match=re.escape(
                "queue 'q' stayed full for 2.5 s; the message was not sent: consume faster, "
                "or give the queue a larger maxsize"
            ),
        ):
            await q.send("y", timeout=2.5)
        assert q.snapshot() == ["x"]
        return now()

    assert clock.run(main()) == 5 + 0.1 + 0.1 + 0.1 + 2.5


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            "receive_nowait",
            ac.QueueEmpty,
            "queue 'q' is empty; send a message first, or receive with a timeout to wait for one",
        ),
        (
            "receive(timeout=0)",
            ac.QueueEmpty,
            "queue 'q' is empty; send a message first, or receive with a timeout to wait for one",
        ),
        ("receive(timeout=10)", ac.QueueEmpty, "no message arrived on queue 'q' within 10 s"),
        ("receive(timeout=0.25)", ac.QueueEmpty, "no message arrived on queue 'q' within 0.25 s"),
        (
            "send_nowait",
            ac.QueueFull,
            "queue 'q' is full (2 messages); receive some first, or send with a timeout to wait for room",
        ),
        (
            "send(timeout=0)",
            ac.QueueFull,
            "queue 'q' is full (2 messages); receive some first, or send with a timeout to wait for room",
        ),
        (
            "send(timeout=1.5)",
            ac.QueueFull,
            "queue 'q' stayed full for 1.5 s; the message was not sent: consume faster, "
            "or give the queue a larger maxsize",
        ),
    ],
)
def test_exact_error_messages_of_nowait_and_timeout_variants(call, error, message):
    async def main():
        q = ac.AsyncMessageQueue(maxsize=2, name="q")
        if call.startswith("send"):
            q.send_nowait(1)
            q.send_nowait(2)
        calls: dict[str, Callable[[], Any]] = {
            "receive_nowait": q.receive_nowait,
            "receive(timeout=0)": lambda: q.receive(timeout=0),
            "receive(timeout=10)": lambda: q.receive(timeout=10),
            "receive(timeout=0.25)": lambda: q.receive(timeout=0.25),
            "send_nowait": lambda: q.send_nowait(3),
            "send(timeout=0)": lambda: q.send(3, timeout=0),
            "send(timeout=1.5)": lambda: q.send(3, timeout=1.5),
        }
        with pytest.raises(error, match=re.escape(message)):
            result = calls[call]()
            if asyncio.iscoroutine(result):
                await result
        assert q.snapshot() == ([1, 2] if call.startswith("send") else [])

    run_virtual(main())


@pytest.mark.parametrize("awaited", [False, True])
def test_exact_error_messages_once_closed(awaited):
    async def main():
        q = ac.AsyncMessageQueue(name="q")
        q.close()
        with pytest.raises(ac.QueueClosed, match=re.escape("queue 'q' is closed; no new messages can be sent")):
            if awaited:
                await q.send("x", timeout=1)
            else:
                q.send_nowait("x")
        with pytest.raises(
            ac.QueueClosed, match=re.escape("queue 'q' is closed and drained; there are no more messages")
        ):
            if awaited:
                await q.receive(timeout=1)
            else:
                q.receive_nowait()

    run_virtual(main())


# -- send_threadsafe: other threads feed a queue consumed in the loop -----------------------------


def start_thread(work: Callable[[], Any], errors: list[BaseException], name: str) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as err:  # checked by the test
            errors.append(err)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


async def join_threads(threads: list[threading.Thread], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    for thread in threads:
        await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads still running after {timeout} s: {stuck}"


def run_real_with_limit(main: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(main, 120))


def run_virtual_waiting_for_threads(main: Coroutine[Any, Any, Any]) -> Any:
    # No wait_for here: on a virtual loop any pending timer is jumped to as soon
    # as every task waits, threads or not. A stuck run ends in ac.Deadlock.
    return ac.VirtualClock(deadlock_after=30).run(main)


@pytest.mark.parametrize(
    "runner", [run_real_with_limit, run_virtual_waiting_for_threads], ids=["asyncio.run", "VirtualClock.run"]
)
def test_send_threadsafe_from_several_threads_loses_nothing(runner):
    threads_count, per_thread = 4, 500

    async def main():
        q = ac.AsyncMessageQueue(maxsize=4, name="feed")
        errors: list[BaseException] = []

        def feed(t: int) -> Callable[[], None]:
            return lambda: [q.send_threadsafe((t, n)) for n in range(per_thread)]

        threads = [start_thread(feed(t), errors, f"feeder-{t}") for t in range(threads_count)]
        got = []
        for _ in range(threads_count * per_thread):
            got.append(await q.receive())  # no timeout: a virtual loop would jump it
            assert len(q) <= 4
        await join_threads(threads)
        assert not errors, errors
        assert q.empty()
        return got

    got = runner(main())
    assert len(got) == threads_count * per_thread
    for t in range(threads_count):  # each thread's sends block until done, so they arrive in order
        assert [n for thread, n in got if thread == t] == list(range(per_thread))


def test_send_threadsafe_blocks_the_thread_while_the_queue_is_full():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=2, name="feed")
        errors: list[BaseException] = []
        sent: list[int] = []

        def feed() -> None:
            for n in range(3):
                q.send_threadsafe(n)
                sent.append(n)

        thread = start_thread(feed, errors, "feeder")
        deadline = time.monotonic() + 10
        while len(sent) < 2:
            assert time.monotonic() < deadline, "the thread never filled the queue"
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.05)  # give a wrongly non-blocking sender time to go on
        assert thread.is_alive() and sent == [0, 1] and q.snapshot() == [0, 1]
        assert await q.receive(timeout=5) == 0  # makes room: the thread's third send completes
        await join_threads([thread])
        assert not errors, errors
        assert sent == [0, 1, 2] and q.snapshot() == [1, 2]

    asyncio.run(main())


def test_send_threadsafe_raises_in_the_thread_what_send_raises():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1, name="feed")
        q.send_nowait("queued")
        errors: list[BaseException] = []
        thread = start_thread(lambda: q.send_threadsafe("refused", timeout=0.05), errors, "impatient")
        await join_threads([thread])
        q.close()
        thread = start_thread(lambda: q.send_threadsafe("late"), errors, "late")
        await join_threads([thread])
        return [(type(err), str(err)) for err in errors], q.snapshot()

    errors, left = asyncio.run(main())
    assert errors == [
        (
            ac.QueueFull,
            "queue 'feed' stayed full for 0.05 s; the message was not sent: consume faster, "
            "or give the queue a larger maxsize",
        ),
        (ac.QueueClosed, "queue 'feed' is closed; no new messages can be sent"),
    ]
    assert left == ["queued"]


def test_send_threadsafe_from_the_loop_thread_is_a_usage_error():
    async def main():
        q = ac.AsyncMessageQueue(name="feed")
        with pytest.raises(
            ac.UsageError,
            match=re.escape(
                "send_threadsafe() is for other threads; inside the event loop use `await queue.send(msg)`"
            ),
        ):
            q.send_threadsafe("x")
        assert q.empty()

    run_virtual(main())


def test_send_threadsafe_before_the_queue_has_a_loop_is_a_usage_error():
    q = ac.AsyncMessageQueue(name="feed")
    with pytest.raises(
        ac.UsageError,
        match=re.escape(
            "queue 'feed' has no event loop yet; create it inside a coroutine "
            "(or await one of its methods) before other threads send to it"
        ),
    ):
        q.send_threadsafe("x")


# -- the queue's clock must be its loop's clock -------------------------------------------------

VIRTUAL_UNDER_ASYNCIO_RUN = (
    "queue 'v' runs on a VirtualClock, but this event loop does not; run your coroutine with clock.run(main())"
)


def test_virtual_clock_queue_created_inside_asyncio_run_is_a_usage_error():
    async def main():
        with pytest.raises(ac.UsageError, match=re.escape(VIRTUAL_UNDER_ASYNCIO_RUN)):
            ac.AsyncMessageQueue(clock=ac.VirtualClock(), name="v")

    asyncio.run(main())


def test_virtual_clock_queue_waiting_under_asyncio_run_is_a_usage_error():
    q = ac.AsyncMessageQueue(clock=ac.VirtualClock(), name="v")

    async def main():
        with pytest.raises(ac.UsageError, match=re.escape(VIRTUAL_UNDER_ASYNCIO_RUN)):
            await q.receive(timeout=1)

    asyncio.run(main())


def test_virtual_clock_queue_awaited_under_asyncio_run_is_a_usage_error_even_without_waiting():
    # Regression: only a call that had to *wait* used to check the loop, so the same program raised
    # UsageError or not depending on whether the queue was full or empty.
    q = ac.AsyncMessageQueue(clock=ac.VirtualClock(), name="v")

    async def main():
        with pytest.raises(ac.UsageError, match=re.escape(VIRTUAL_UNDER_ASYNCIO_RUN)):
            await q.send("x")

    asyncio.run(main())


def test_real_clock_queue_inside_a_virtual_clock_run_is_a_usage_error():
    async def main():
        with pytest.raises(
            ac.UsageError,
            match=re.escape(
                "queue 'r' was given a real clock but runs inside a VirtualClock's loop; "
                "leave out clock= to use the loop's clock"
            ),
        ):
            ac.AsyncMessageQueue(clock=ac.RealClock(), name="r")

    run_virtual(main())


def test_queue_waiting_on_a_second_event_loop_is_a_usage_error():
    async def first():
        q = ac.AsyncMessageQueue(name="q")
        await q.send("x")
        return q

    q = asyncio.run(first())

    async def second():
        with pytest.raises(
            ac.UsageError,
            match=re.escape(
                "queue 'q' belongs to another event loop; create the queue inside the coroutine "
                "(or clock.run) that uses it"
            ),
        ):
            await q.receive(timeout=1)

    assert q.receive_nowait() == "x"  # the queue is empty: the receive in `second` has to wait
    asyncio.run(second())


def test_nowait_send_from_another_thread_is_a_usage_error():
    # Regression: send_nowait() from a foreign thread used to be accepted and woke the waiting receiver
    # with Future.set_result() from the wrong thread, so the event loop was not woken.
    async def main():
        q = ac.AsyncMessageQueue(name="feed")
        errors: list[BaseException] = []
        thread = start_thread(lambda: q.send_nowait("x"), errors, "foreign")
        await join_threads([thread])
        assert [type(err) for err in errors] == [ac.UsageError]
        assert "send_threadsafe" in str(errors[0])
        assert q.empty()

    asyncio.run(main())


# -- trace ------------------------------------------------------------------------------------------


def test_trace_rows_for_send_receive_and_each_failure():
    trace = ac.Trace()

    async def main():
        q = ac.AsyncMessageQueue(maxsize=1, trace=trace, name="q")  # no clock=: uses the running VirtualClock
        q.send_nowait("a")
        with pytest.raises(ac.QueueFull):
            q.send_nowait("b")
        await asyncio.sleep(1)
        assert await q.receive() == "a"
        with pytest.raises(ac.QueueEmpty):
            await q.receive(timeout=2)

        async def later():
            await asyncio.sleep(1)
            await q.send("c")

        task = asyncio.create_task(later())
        assert await q.receive() == "c"
        await task
        await q.send("d")
        with pytest.raises(ac.QueueFull):
            await q.send("e", timeout=0.5)
        assert q.clear() == 1
        q.close()
        with pytest.raises(ac.QueueClosed):
            q.send_nowait("f")
        with pytest.raises(ac.QueueClosed):
            await q.receive()

    run_virtual(main())
    assert rows(trace) == [
        (0.0, "send", "a", 1, "ok"),
        (0.0, "send", "b", 1, "QueueFull"),
        (1.0, "receive", "a", 0, "ok"),
        (3.0, "receive", None, 0, "QueueEmpty"),
        (4.0, "send", "c", 1, "ok"),
        (4.0, "receive", "c", 0, "ok"),
        (4.0, "send", "d", 1, "ok"),
        (4.5, "send", "e", 1, "QueueFull"),
        (4.5, "clear", 1, 0, "ok"),
        (4.5, "close", None, 0, "ok"),
        (4.5, "send", "f", 0, "QueueClosed"),
        (4.5, "receive", None, 0, "QueueClosed"),
    ]
    assert [r.seq for r in trace] == list(range(12))
    assert {(r.pattern, r.name) for r in trace} == {("queue", "q")}


def test_trace_shows_a_cancelled_receive_took_nothing():
    trace = ac.Trace()

    async def main():
        q = ac.AsyncMessageQueue(trace=trace, name="q")
        first = asyncio.create_task(q.receive())
        second = asyncio.create_task(q.receive())
        await settle()
        q.send_nowait("m")
        first.cancel()
        assert await asyncio.wait_for(second, 5) == "m"

    run_virtual(main())
    assert rows(trace) == [(0.0, "send", "m", 1, "ok"), (0.0, "receive", "m", 0, "ok")]


# -- arguments and repr -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout, error, message",
    [
        (-1, ValueError, "timeout must be >= 0 seconds or None (wait forever), got -1"),
        ("1", TypeError, "timeout must be a number of seconds or None, got '1' (str)"),
    ],
)
def test_bad_timeout_is_refused_and_changes_nothing(timeout, error, message):
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1)
        with pytest.raises(error, match=re.escape(message)):
            await q.send("kept?", timeout=timeout)
        assert q.empty()
        q.send_nowait("x")
        with pytest.raises(error, match=re.escape(message)):
            await q.receive(timeout=timeout)
        assert q.snapshot() == ["x"]

    run_virtual(main())


def test_repr_says_size_bound_and_state():
    q = ac.AsyncMessageQueue(maxsize=3, name="q")
    q.send_nowait(1)
    assert repr(q) == "<AsyncMessageQueue 'q': 1 message, maxsize=3>"
    q.close()
    assert repr(q) == "<AsyncMessageQueue 'q': 1 message, maxsize=3, closed>"
    assert repr(ac.AsyncMessageQueue()) == "<AsyncMessageQueue 'queue': 0 messages, unbounded>"


def test_waiting_counts_follow_waiters_including_a_cancelled_one():
    async def main():
        q = ac.AsyncMessageQueue(maxsize=1)
        receiver = asyncio.create_task(q.receive())
        await asyncio.sleep(0)
        seen = [q.statistics().receivers_waiting]
        receiver.cancel()
        await asyncio.sleep(0)
        seen.append(q.statistics().receivers_waiting)
        await q.send("a")
        sender = asyncio.create_task(q.send("b"))
        await asyncio.sleep(0)
        seen.append(q.statistics().senders_waiting)
        assert await q.receive() == "a"
        await sender
        seen.append(q.statistics().senders_waiting)
        return seen

    assert run_virtual(main()) == [1, 0, 1, 0]
