"""The static half of the contract suite: each backend assigned to the Protocol it promises to satisfy.

Nothing here runs. ``tests/test_queue_contract.py`` runs mypy over this file and expects no error in any of
these functions: a backend whose signature drifts from :mod:`asyncomm.reliable.contract` (a verb that stops
being keyword-only, a method that turns into a property, a count that is not awaited) makes mypy report the
assignment in that backend's function.
"""

from __future__ import annotations

from asyncomm.reliable.contract import AsyncDeliveryQueue, DeliveryQueue
from asyncomm.reliable.memory import ReliableQueue
from asyncomm.reliable.redis_streams import AsyncRedisStreamQueue, RedisStreamQueue

URL = "redis://localhost:6379/0"


def memory_backend() -> DeliveryQueue[str]:
    q: DeliveryQueue[str] = ReliableQueue()
    return q


def redis_backend() -> DeliveryQueue[str]:
    r: DeliveryQueue[str] = RedisStreamQueue(URL, "orders")
    return r


def asyncio_redis_backend() -> AsyncDeliveryQueue[str]:
    a: AsyncDeliveryQueue[str] = AsyncRedisStreamQueue(URL, "orders")
    return a
