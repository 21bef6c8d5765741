"""Delivery guarantees: the acknowledged-delivery contract and its backends.

* :mod:`~asyncomm.reliable.contract` -- the contract as ``typing.Protocol`` classes, the delivery and
  dead-letter records and the statistics record every backend shares;
* :mod:`~asyncomm.reliable.memory` -- :class:`ReliableQueue`, in memory (thread-safe, virtual-clock aware);
* :mod:`~asyncomm.reliable.partitioned`, :mod:`~asyncomm.reliable.idempotent` -- ordering per key and
  effectively-once processing on top of any backend;
* :mod:`~asyncomm.reliable.redis_streams` -- the same contract on Redis Streams (needs redis-py, loaded on
  first use); :mod:`~asyncomm.reliable.local_redis` starts a private ``redis-server`` for labs and tests.

>>> from asyncomm.reliable import ReliableQueue
>>> q = ReliableQueue(); q.send("job")
1
>>> d = q.receive(); d.ack(); d.state
'acked'
"""

from __future__ import annotations

from asyncomm._lazy import lazy_attributes
from asyncomm.errors import BrokerUnavailable, PrefetchLimitReached, StaleDelivery
from asyncomm.reliable.contract import DELIVERY_MODES, DeadLetter, check_delivery_options
from asyncomm.reliable.idempotent import IdempotentConsumer
from asyncomm.reliable.memory import Delivery, ReliableQueue
from asyncomm.reliable.partitioned import PartitionedQueue

__all__ = [
    "DELIVERY_MODES",
    "AsyncRedisStreamQueue",
    "BrokerUnavailable",
    "DeadLetter",
    "Delivery",
    "IdempotentConsumer",
    "JSONSerializer",
    "LocalRedis",
    "PartitionedQueue",
    "PrefetchLimitReached",
    "RedisStreamQueue",
    "ReliableQueue",
    "StaleDelivery",
    "check_delivery_options",
]

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "AsyncRedisStreamQueue": "asyncomm.reliable.redis_streams",
        "RedisStreamQueue": "asyncomm.reliable.redis_streams",
        "JSONSerializer": "asyncomm.reliable.redis_streams",
        "LocalRedis": "asyncomm.reliable.local_redis",
    },
    ["redis_streams", "local_redis"],
)
