"""Teaching models: an event loop small enough to step through, and the steppers behind the widgets.

Plain Python, tested without a browser; :mod:`asyncomm.widgets` draws them.

>>> from asyncomm.teaching import QueueStepper
>>> QueueStepper(maxsize=2).send("a")
"sent 'a'"
"""

from __future__ import annotations

from asyncomm.teaching.eventloop import AsyncioRuntime, LoopSnapshot, TeachingLoop
from asyncomm.teaching.stepping import BusStepper, CallbackStepper, LoopStepper, QueueStepper

__all__ = [
    "AsyncioRuntime",
    "BusStepper",
    "CallbackStepper",
    "LoopSnapshot",
    "LoopStepper",
    "QueueStepper",
    "TeachingLoop",
]
