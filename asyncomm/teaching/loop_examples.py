"""Example programs for the event-loop stepper (chapter 03).

Each takes ``rt``, the runtime: a :class:`~asyncomm.TeachingLoop` to watch it
step by step, or :class:`~asyncomm.AsyncioRuntime` to run it on real asyncio.
Tasks finish in the same order on both (tests check it). The programs' own
docstrings stay one line, since chapter 03 prints their source for the learner:

>>> from asyncomm.teaching.eventloop import asyncio_finish_order
>>> asyncio_finish_order(three_sleepers)          # the shortest sleep ends first
['sleeper-1', 'sleeper-2', 'sleeper-0', 'main']
>>> asyncio_finish_order(taking_turns)            # the task with the fewest turns finishes first
['b', 'c', 'a', 'main']
>>> asyncio_finish_order(producer_consumers)
['producer', 'consumer-1', 'consumer-2', 'main']
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXAMPLES", "producer_consumers", "taking_turns", "three_sleepers"]


async def three_sleepers(rt: Any) -> list[float]:
    """Three tasks sleep 3, 1 and 2 seconds at once: they end after 3 s, not 6."""

    async def sleeper(seconds: float) -> float:
        await rt.sleep(seconds)
        return rt.now()

    return await rt.gather(sleeper(3), sleeper(1), sleeper(2))


async def taking_turns(rt: Any) -> None:
    """``sleep(0)`` hands the turn to the next ready task: round robin."""

    async def spinner(turns: int) -> None:
        for _ in range(turns):
            await rt.sleep(0)

    a = rt.create_task(spinner(3), name="a")
    b = rt.create_task(spinner(1), name="b")
    c = rt.create_task(spinner(2), name="c")
    await a
    await b
    await c


async def producer_consumers(rt: Any) -> None:
    """A producer feeds a bounded queue; two consumers take 1 s per message."""
    queue = rt.Queue(maxsize=2, name="jobs")

    async def producer() -> None:
        for job in range(4):
            await queue.put(job)
            await rt.sleep(0.5)
        await queue.put(None)
        await queue.put(None)

    async def consumer() -> None:
        while True:
            job = await queue.get()
            if job is None:
                return
            await rt.sleep(1)

    workers = [rt.create_task(consumer(), name="consumer-1"), rt.create_task(consumer(), name="consumer-2")]
    await rt.create_task(producer(), name="producer")
    for worker in workers:
        await worker


EXAMPLES = {
    "three sleepers": three_sleepers,
    "taking turns": taking_turns,
    "producer and consumers": producer_consumers,
}
