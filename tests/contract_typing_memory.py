"""Checked by mypy, not run by pytest: the in-memory ReliableQueue satisfies the DeliveryQueue protocol.

    mypy tests/contract_typing_memory.py

(The final contract suite, for every backend, lives in tests/contract_typing.py.)
"""

from __future__ import annotations

from asyncomm.reliable.contract import DeliveryQueue, Settle
from asyncomm.reliable.memory import ReliableQueue

q: DeliveryQueue[str] = ReliableQueue()
d: Settle = q.receive_nowait(consumer="c1")
ints: DeliveryQueue[int] = ReliableQueue[int](maxsize=10, delivery="at-most-once")
