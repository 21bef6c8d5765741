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
from . import course, exercises, pipeline, queueing, simulate, structures, timing
from .async_queue import AsyncMessageQueue
from .callbacks import CallbackRegistry, add_callbacks, call_in_loop, from_callbacks, run_in_background
from .clock import Clock, RealClock, VirtualClock, current_clock
from .errors import (
    AsyncommError,
    BrokerUnavailable,
    CallbackNotFound,
    Deadlock,
    ListenerLeakWarning,
    ListenerNotFound,
    QueueClosed,
    QueueEmpty,
    QueueFull,
    TriggerFailed,
    UsageError,
)
from .eventloop import AsyncioRuntime, LoopSnapshot, TeachingLoop
from .events import EventBus
from .queues import MessageQueue
from .stepping import BusStepper, CallbackStepper, LoopStepper, QueueStepper
from .trace import Trace, TraceRow

__version__ = "0.1.0"

__all__ = [
    "AsyncMessageQueue",
    "AsyncioRuntime",
    "AsyncommError",
    "BrokerUnavailable",
    "BusStepper",
    "CallbackNotFound",
    "CallbackRegistry",
    "CallbackStepper",
    "Clock",
    "Deadlock",
    "EventBus",
    "ListenerLeakWarning",
    "ListenerNotFound",
    "LoopSnapshot",
    "LoopStepper",
    "MessageQueue",
    "QueueClosed",
    "QueueEmpty",
    "QueueFull",
    "QueueStepper",
    "RealClock",
    "TeachingLoop",
    "Trace",
    "TraceRow",
    "TriggerFailed",
    "UsageError",
    "VirtualClock",
    "__version__",
    "add_callbacks",
    "call_in_loop",
    "course",
    "current_clock",
    "exercises",
    "from_callbacks",
    "pipeline",
    "queueing",
    "run_in_background",
    "simulate",
    "structures",
    "timing",
]
