"""Checked by mypy, not a test: the in-memory ReliableQueue satisfies the DeliveryQueue protocol.

    mypy tests/contract_typing_memory.py

pytest imports this module (--doctest-modules), so it only builds queues and defines a function.
"""

from __future__ import annotations

from asyncomm.reliable.contract import DeliveryQueue, Settle
from asyncomm.reliable.memory import ReliableQueue

q: DeliveryQueue[str] = ReliableQueue()
numbers: DeliveryQueue[int] = ReliableQueue[int](maxsize=10, delivery="at-most-once")


def first_delivery(queue: DeliveryQueue[str]) -> Settle:
    """Code written against the protocol takes the in-memory queue."""
    with queue:
        queue.send("job", key="k1")
        return queue.receive_nowait(consumer="c1")
