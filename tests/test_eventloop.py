"""The teaching event loop schedules as asyncio does, and shows each step."""

from __future__ import annotations

import re

import pytest

import asyncomm as ac
from asyncomm.teaching.eventloop import asyncio_finish_order
from asyncomm.teaching.loop_examples import EXAMPLES


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_chapter_examples_finish_in_the_same_order_as_asyncio(name):
    program = EXAMPLES[name]
    loop = ac.TeachingLoop()
    loop.run(program)
    assert loop.finished == asyncio_finish_order(program)
    assert loop.finished[-1] == "main"


def test_exercise_program_matches_asyncio():
    from asyncomm.course.exercises.ch03 import relay_race

    loop = ac.TeachingLoop()
    loop.run(relay_race)
    assert loop.finished == asyncio_finish_order(relay_race) == ["third", "first", "second", "main"]


def test_three_sleepers_end_at_the_longest_sleep():
    loop = ac.TeachingLoop()
    assert loop.run(EXAMPLES["three sleepers"]) == [3.0, 1.0, 2.0]
    assert loop.finished == ["sleeper-1", "sleeper-2", "sleeper-0", "main"]
    assert loop.now() == 3.0


def test_taking_turns_is_round_robin():
    loop = ac.TeachingLoop()
    loop.run(EXAMPLES["taking turns"])
    assert loop.finished == ["b", "c", "a", "main"]
    assert loop.now() == 0.0


def test_more_programs_match_asyncio():
    async def chain(rt):
        fut = rt.Future()

        async def setter():
            await rt.sleep(1)
            fut.set_result("ready")

        async def waiter():
            return await fut

        w = rt.create_task(waiter(), name="waiter")
        rt.create_task(setter(), name="setter")
        return await w

    async def fifo_getters(rt):
        q = rt.Queue()

        async def getter():
            return await q.get()

        tasks = [rt.create_task(getter(), name=f"g{i}") for i in range(3)]
        await rt.sleep(1)
        for item in "xyz":
            await q.put(item)
        return [await t for t in tasks]

    for program in (chain, fifo_getters):
        loop = ac.TeachingLoop()
        loop.run(program)
        assert loop.finished == asyncio_finish_order(program), program.__name__
    loop = ac.TeachingLoop()
    assert loop.run(fifo_getters) == ["x", "y", "z"]


def test_each_step_shows_running_ready_sleeping_and_waiting_tasks_with_their_line():
    loop = ac.TeachingLoop()
    first = loop.start(EXAMPLES["producer and consumers"])
    assert first.event == "main task created" and first.ready == ("main",)
    snap = loop.step()
    assert snap.event == "main ran until its next await"
    assert snap.ready == ("consumer-1", "consumer-2", "producer")
    main = next(t for t in snap.tasks if t.name == "main")
    assert main.state == "waiting" and main.detail == "waits for task producer"
    assert main.code == 'await rt.create_task(producer(), name="producer")'
    for _ in range(3):
        snap = loop.step()
    # the producer put job 0 (waking consumer-1) and now sleeps half a second
    producer = next(t for t in snap.tasks if t.name == "producer")
    assert (producer.state, producer.detail, producer.code) == ("sleeping", "sleep until t=0.5", "await rt.sleep(0.5)")
    assert snap.by_state("waiting") == ["main", "consumer-2"]
    assert snap.ready == ("consumer-1",)
    jump = loop.step()
    jump = loop.step()
    assert jump.event == "clock jumps to t=0.5" and jump.time == 0.5


def test_deadlock_is_reported():
    async def stuck(rt):
        await rt.Queue(name="empty").get()

    loop = ac.TeachingLoop()
    with pytest.raises(ac.Deadlock, match=re.escape("deadlock at t=0s: tasks main wait and no timer is due")):
        loop.run(stuck)


def test_awaiting_asyncio_or_a_foreign_awaitable_is_a_clear_error():
    import asyncio

    async def uses_asyncio(rt):
        await asyncio.sleep(1)

    with pytest.raises(
        ac.AsyncommError,
        match=re.escape(
            "task main used asyncio itself; inside the teaching loop await rt.sleep, rt.Queue, rt.Future, "
            "rt.gather or a task instead"
        ),
    ):
        ac.TeachingLoop().run(uses_asyncio)

    class Odd:
        def __await__(self):
            yield "something else"

    async def foreign(rt):
        await Odd()

    with pytest.raises(ac.AsyncommError, match=re.escape("which the teaching loop does not know; await only rt.sleep")):
        ac.TeachingLoop().run(foreign)


def test_program_errors_propagate_from_run():
    async def boom(rt):
        await rt.sleep(1)
        raise KeyError("x")

    with pytest.raises(KeyError):
        ac.TeachingLoop().run(boom)


def test_a_loop_runs_one_program():
    loop = ac.TeachingLoop()
    loop.run(EXAMPLES["taking turns"])
    with pytest.raises(ac.AsyncommError, match="already runs a program"):
        loop.start(EXAMPLES["taking turns"])
