"""asyncomm: asynchronous communication - message queues, events and callbacks - to learn from.

>>> import asyncomm as ac
>>> q = ac.MessageQueue()
>>> q.send("Hello, World!")   # returns the message's number in the queue
1
>>> q.receive()
'Hello, World!'

The package has layers, each a folder (``docs/DESIGN.md`` draws them):

* the core, here at the top: errors, clocks, the trace, and the three patterns -- message queues
  (:class:`MessageQueue`, :class:`AsyncMessageQueue`), the event bus (:class:`EventBus`) and callbacks;
* :mod:`asyncomm.reliable` -- acknowledged delivery, in memory and on Redis Streams;
* :mod:`asyncomm.teaching` -- the steppable event loop and the widgets' models;
* :mod:`asyncomm.labs` -- timing, queueing theory, faults, the Redis lab, plots;
* :mod:`asyncomm.widgets` -- ipywidgets views; :mod:`asyncomm.course` -- chapters, exercises, progress.

``import asyncomm`` loads the core only (no matplotlib, pandas, ipywidgets or numpy); every other name
below loads its module the first time it is used.
"""

from __future__ import annotations

from asyncomm._lazy import lazy_attributes
from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.callbacks import CallbackRegistry, add_callbacks, call_in_loop, from_callbacks, run_in_background
from asyncomm.clock import Clock, RealClock, VirtualClock, current_clock
from asyncomm.errors import (
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
from asyncomm.events import EventBus
from asyncomm.i18n import get_language, set_language
from asyncomm.queues import MessageQueue
from asyncomm.trace import Trace, TraceRow

__version__ = "0.1.0"

#: Names that load their module on first use (name -> module).
_LAZY_NAMES = {
    "DeadLetter": "asyncomm.reliable",
    "Delivery": "asyncomm.reliable",
    "IdempotentConsumer": "asyncomm.reliable",
    "PartitionedQueue": "asyncomm.reliable",
    "ReliableQueue": "asyncomm.reliable",
    "RedisStreamQueue": "asyncomm.reliable",
    "AsyncRedisStreamQueue": "asyncomm.reliable",
    "AsyncioRuntime": "asyncomm.teaching",
    "LoopSnapshot": "asyncomm.teaching",
    "TeachingLoop": "asyncomm.teaching",
    "BusStepper": "asyncomm.teaching",
    "CallbackStepper": "asyncomm.teaching",
    "LoopStepper": "asyncomm.teaching",
    "QueueStepper": "asyncomm.teaching",
    # The course's exercises module, and the calls a chapter's exercise cells make, each naming its exercise:
    # ac.exercise("02b.fifo-order"), ac.check("02b.fifo-order", answer), ac.hint(...), ac.solution(...).
    "exercises": "asyncomm.course",
    "exercise": "asyncomm.course.exercises",
    "check": "asyncomm.course.exercises",
    "hint": "asyncomm.course.exercises",
    "solution": "asyncomm.course.exercises",
}
_SUBPACKAGES = ("course", "labs", "reliable", "teaching", "widgets")

__all__ = [
    "AsyncMessageQueue",
    "AsyncommError",
    "BrokerUnavailable",
    "CallbackNotFound",
    "CallbackRegistry",
    "Clock",
    "Deadlock",
    "EventBus",
    "ListenerLeakWarning",
    "ListenerNotFound",
    "MessageQueue",
    "PrefetchLimitReached",
    "QueueClosed",
    "QueueEmpty",
    "QueueFull",
    "RealClock",
    "StaleDelivery",
    "Trace",
    "TraceRow",
    "TriggerFailed",
    "UsageError",
    "VirtualClock",
    "__version__",
    "add_callbacks",
    "call_in_loop",
    "current_clock",
    "from_callbacks",
    "get_language",
    "run_in_background",
    "set_language",
    *_LAZY_NAMES,
    *_SUBPACKAGES,
]

__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY_NAMES, _SUBPACKAGES)
