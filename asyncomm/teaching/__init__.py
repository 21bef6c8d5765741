"""Teaching models: an event loop small enough to step through, the steppers behind the widgets, and a race
forced to happen every time (:mod:`~asyncomm.teaching.interleave`).

Plain Python, tested without a browser; :mod:`asyncomm.widgets` draws them.

>>> from asyncomm.teaching import QueueStepper
>>> QueueStepper(maxsize=2).send("a")
"sent 'a'"
"""

from __future__ import annotations

from asyncomm.teaching.eventloop import AsyncioRuntime, LoopSnapshot, TeachingLoop
from asyncomm.teaching.interleave import race_clear_during_receive
from asyncomm.teaching.stepping import BusStepper, CallbackStepper, LoopStepper, QueueStepper

__all__ = [
    "AsyncioRuntime",
    "BusStepper",
    "CallbackStepper",
    "LoopSnapshot",
    "LoopStepper",
    "QueueStepper",
    "TeachingLoop",
    "race_clear_during_receive",
]
