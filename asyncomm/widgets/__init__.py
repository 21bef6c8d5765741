"""Step-through widgets: the only part of asyncomm that imports ipywidgets.

Each widget renders a model from :mod:`asyncomm.teaching.stepping` (or the teaching
event loop) as HTML and forwards clicks to it; all the logic lives in the
model, tested without a browser. CSS classes (``ac-...``) name the controls so
the real-browser test can find them.

In a notebook::

    from asyncomm.widgets import queue_widget
    queue_widget(maxsize=4)
"""

from __future__ import annotations

from asyncomm.widgets._views import (
    BusWidget,
    CallbackWidget,
    LoopWidget,
    QueueWidget,
    bus_widget,
    callback_widget,
    loop_widget,
    queue_widget,
)
from asyncomm.widgets.queueing_view import QueueingLabWidget, queueing_lab

__all__ = [
    "BusWidget",
    "CallbackWidget",
    "LoopWidget",
    "QueueWidget",
    "QueueingLabWidget",
    "bus_widget",
    "callback_widget",
    "loop_widget",
    "queue_widget",
    "queueing_lab",
]
