"""asyncomm: asynchronous communication - message queues, events and callbacks - to learn from.

>>> import asyncomm as ac
>>> q = ac.MessageQueue()
>>> q.send("Hello, World!")
>>> q.receive()
'Hello, World!'

This module only re-exports; each name lives in a small module of its own.
Importing it loads no matplotlib, pandas or ipywidgets.
"""

from __future__ import annotations

# Submodules with a topic each (light: numpy, pandas and matplotlib load only inside functions).
from . import (
    broker,
    broker_lab,
    course,
    exercises,
    faults,
    pipeline,
    queueing,
    queueing_lab,
    reliable,
    simulate,
    structures,
    timing,
)
from .async_queue import AsyncMessageQueue
from .broker import AsyncRedisStreamQueue, RedisStreamQueue
from .callbacks import CallbackRegistry, add_callbacks, call_in_loop, from_callbacks, run_in_background
from .clock import Clock, RealClock, VirtualClock, current_clock
from .errors import (
    AsyncommError,
    BrokerUnavailable,
    CallbackNotFound,
    Deadlock,
    ListenerLeakWarning,
    ListenerNotFound,
    PrefetchLimitReached,
    QueueClosed,
    QueueEmpty,
    QueueFull,
    StaleDelivery,
    TriggerFailed,
    UsageError,
)
from .eventloop import AsyncioRuntime, LoopSnapshot, TeachingLoop
from .events import EventBus
from .idempotent import IdempotentConsumer
from .partitioned import PartitionedQueue
from .queues import MessageQueue
from .reliable import DeadLetter, Delivery, ReliableQueue
from .stepping import BusStepper, CallbackStepper, LoopStepper, QueueStepper
from .trace import Trace, TraceRow

__version__ = "0.1.0"

__all__ = [
    "AsyncMessageQueue",
    "AsyncRedisStreamQueue",
    "AsyncioRuntime",
    "AsyncommError",
    "BrokerUnavailable",
    "BusStepper",
    "CallbackNotFound",
    "CallbackRegistry",
    "CallbackStepper",
    "Clock",
    "DeadLetter",
    "Deadlock",
    "Delivery",
    "EventBus",
    "IdempotentConsumer",
    "ListenerLeakWarning",
    "ListenerNotFound",
    "LoopSnapshot",
    "LoopStepper",
    "MessageQueue",
    "PartitionedQueue",
    "PrefetchLimitReached",
    "QueueClosed",
    "QueueEmpty",
    "QueueFull",
    "QueueStepper",
    "RealClock",
    "RedisStreamQueue",
    "ReliableQueue",
    "StaleDelivery",
    "TeachingLoop",
    "Trace",
    "TraceRow",
    "TriggerFailed",
    "UsageError",
    "VirtualClock",
    "__version__",
    "add_callbacks",
    "broker",
    "broker_lab",
    "call_in_loop",
    "course",
    "current_clock",
    "exercises",
    "faults",
    "from_callbacks",
    "pipeline",
    "queueing",
    "queueing_lab",
    "reliable",
    "run_in_background",
    "simulate",
    "structures",
    "timing",
]
