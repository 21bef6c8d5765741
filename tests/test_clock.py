"""Clocks: exact virtual time for threads and for asyncio, and the deadlock report."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest

import asyncomm as ac


def test_real_clock_starts_near_zero_and_moves():
    clock = ac.RealClock()
    first = clock.now()
    clock.sleep(0.01)
    assert 0 <= first < clock.now()


def test_virtual_clock_moves_only_when_told():
    clock = ac.VirtualClock(start=3)
    assert clock.now() == 3.0
    assert clock.advance(2) == 5.0
    assert clock.advance_to(7.5) == 7.5
    assert clock.now() == 7.5


def test_virtual_clock_never_goes_back():
    clock = ac.VirtualClock(start=10)
    with pytest.raises(ValueError, match=re.escape("cannot move a clock back: it is at 10, asked for 4")):
        clock.advance_to(4)
    with pytest.raises(ValueError, match=re.escape("seconds must be >= 0 seconds, got -1")):
        clock.advance(-1)


def test_bad_clock_arguments():
    with pytest.raises(TypeError, match=re.escape("start must be a number of seconds, got '0' (str)")):
        ac.VirtualClock(start="0")
    with pytest.raises(ValueError, match=re.escape("autojump_threshold must be >= 0 seconds, got -0.5")):
        ac.VirtualClock(autojump_threshold=-0.5)


def test_thread_sleep_on_virtual_clock_is_instant_and_exact():
    clock = ac.VirtualClock()
    started = time.monotonic()
    clock.sleep(3600)
    assert clock.now() == 3600.0
    assert time.monotonic() - started < 5  # an hour of virtual time, not of real time


def test_sleep_advances_the_clock_by_exactly_the_seconds_asked():
    clock = ac.VirtualClock()
    clock.sleep(0.4)
    assert clock.now() == 0.4  # the deadline itself: not a poll step more, not a float step less
    clock.sleep(0.4)
    assert clock.now() == 0.4 + 0.4


def test_thread_sleeping_on_the_clock_wakes_at_exactly_its_deadline():
    clock = ac.VirtualClock(autojump_threshold=None)  # time moves only by advance(), so the test decides when
    woke_at = []
    sleeper = threading.Thread(target=lambda: (clock.sleep(0.4), woke_at.append(clock.now())), daemon=True)
    sleeper.start()
    clock.advance(0.3)
    time.sleep(0.05)
    assert sleeper.is_alive() and woke_at == []  # 0.3 < 0.4: still asleep
    clock.advance_to(0.4)
    sleeper.join(5)
    assert woke_at == [0.4]


def test_thread_sleeping_on_an_autojumping_clock_wakes_at_exactly_its_deadline():
    clock = ac.VirtualClock()
    woke_at = []
    sleeper = threading.Thread(target=lambda: (clock.sleep(0.4), woke_at.append(clock.now())), daemon=True)
    sleeper.start()
    sleeper.join(5)
    assert woke_at == [0.4]
    assert clock.now() == 0.4  # the jump went to the deadline, not past it


def test_explicit_advance_wakes_a_waiting_thread_when_autojump_is_off():
    clock = ac.VirtualClock(autojump_threshold=None)
    q = ac.MessageQueue(clock=clock)
    outcome = []

    def consume():
        try:
            q.receive(timeout=5)
        except ac.QueueEmpty:
            outcome.append(clock.now())

    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.05)
    assert consumer.is_alive()  # without autojump, time stands still
    clock.advance(4)
    time.sleep(0.05)
    assert consumer.is_alive()  # 4 < 5 seconds
    clock.advance(1)
    consumer.join(5)
    assert outcome == [5.0]


def test_two_threads_on_a_virtual_clock_meet_at_exact_times():
    # Time jumps once every thread looks idle for autojump_threshold of real time. On a loaded machine a consumer
    # woken by a message may wait longer than that for the CPU, and the producer's next sleep would jump on
    # without it. So the consumer answers each message on a second queue and the producer waits for that
    # answer before it sleeps again: whatever the load, the clock cannot move between a send and its receipt.
    clock = ac.VirtualClock()
    q = ac.MessageQueue(clock=clock)
    receipts = ac.MessageQueue(clock=clock)
    received = []

    def produce():
        for i in range(3):
            clock.sleep(1)
            q.send(i)
            receipts.receive(timeout=10)

    def consume():
        for _ in range(3):
            msg = q.receive(timeout=10)
            received.append((msg, clock.now()))
            receipts.send(msg)

    threads = [threading.Thread(target=produce, daemon=True), threading.Thread(target=consume, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert received == [(0, 1.0), (1, 2.0), (2, 3.0)]


def test_asyncio_on_virtual_clock_jumps_to_each_timer_exactly():
    clock = ac.VirtualClock()
    log = []

    async def worker(name, delay):
        await asyncio.sleep(delay)
        log.append((name, asyncio.get_running_loop().time()))

    async def main():
        await asyncio.gather(worker("slow", 3), worker("fast", 0.1), worker("mid", 2))
        return clock.now()

    started = time.monotonic()
    assert clock.run(main()) == 3.0
    assert log == [("fast", 0.1), ("mid", 2.0), ("slow", 3.0)]
    assert time.monotonic() - started < 5


def test_asyncio_timeouts_use_virtual_time():
    clock = ac.VirtualClock()

    async def main():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.sleep(3600)
        return clock.now()

    assert clock.run(main()) == 30.0


def test_patterns_without_clock_use_the_running_virtual_clock():
    clock = ac.VirtualClock(start=100)

    async def main():
        assert ac.current_clock() is clock
        trace = ac.Trace()
        q = ac.AsyncMessageQueue(trace=trace)
        await asyncio.sleep(5)
        await q.send("x")
        return trace.rows[0].time

    assert clock.run(main()) == 105.0
    assert isinstance(ac.current_clock(), ac.RealClock)  # restored afterwards


def test_run_raises_deadlock_when_every_task_waits_forever():
    clock = ac.VirtualClock(deadlock_after=0.05)

    async def main():
        q = ac.AsyncMessageQueue()
        await asyncio.sleep(2)
        await q.receive()  # nobody will ever send

    with pytest.raises(
        ac.Deadlock,
        match=re.escape(
            "deadlock at t=2s: every task waits and no timer is due (waiting: test_run_raises_deadlock_when_"
            "every_task_waits_forever.<locals>.main); give the wait a timeout, or make sure some task sends "
            "what the others wait for"
        ),
    ):
        clock.run(main())


def test_run_returns_result_and_propagates_errors():
    clock = ac.VirtualClock()

    async def fails():
        await asyncio.sleep(1)
        raise KeyError("boom")

    with pytest.raises(KeyError):
        clock.run(fails())
    assert clock.now() == 1.0


def test_run_needs_a_coroutine_object():
    async def main():
        return 1

    with pytest.raises(TypeError, match=re.escape("call your async function: clock.run(main()), not clock.run(main)")):
        ac.VirtualClock().run(main)


def test_run_works_while_another_loop_runs_in_this_thread():
    # As in a notebook, where the kernel's loop is already running.
    clock = ac.VirtualClock()

    async def inner():
        await asyncio.sleep(42)
        return clock.now()

    async def outer():
        return clock.run(inner())

    assert asyncio.run(outer()) == 42.0


def test_executor_work_inside_virtual_run_is_awaited():
    clock = ac.VirtualClock()

    async def main():
        value = await asyncio.to_thread(sum, [1, 2, 3])
        await asyncio.sleep(1)
        return value, clock.now()

    assert clock.run(main()) == (6, 1.0)


def test_real_clock_run():
    async def main():
        await asyncio.sleep(0.01)
        return "done"

    assert ac.RealClock().run(main()) == "done"
