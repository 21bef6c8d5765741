"""Chapter 06's optimisation levers, as experiments on a VirtualClock: the queue length over time (a burst, a
bound) and slow work in a trigger (inline, awaited, or handed to a queue).

The notebook keeps the producer and consumer code a learner should read; what is only harness (the plot of a
trace, the three ways to wire a slow listener and time each trigger) lives here, where it is tested.

>>> run = checkout("handed to a queue")
>>> run.durations, run.free_at, run.done_at, run.sent
([0.0, 0.0, 0.0], 0.0, 6.0, ['#1', '#2', '#3'])
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.clock import VirtualClock, current_clock
from asyncomm.events import EventBus
from asyncomm.trace import Trace

__all__ = ["MODES", "Checkout", "checkout", "plot_queue_lengths", "queue_lengths"]

#: The three ways :func:`checkout` wires its slow e-mail listener.
MODES = ("inline, blocking", "inline, async", "handed to a queue")


def queue_lengths(trace: Trace) -> list[tuple[float, int]]:
    """(time, messages queued) after every queue operation of ``trace``, in order.

    >>> import asyncomm as ac
    >>> trace = ac.Trace(); q = ac.MessageQueue(trace=trace, clock=ac.VirtualClock())
    >>> for message in ("a", "b"):
    ...     _ = q.send(message)
    >>> q.receive()
    'a'
    >>> queue_lengths(trace)
    [(0.0, 1), (0.0, 2), (0.0, 1)]
    """
    return [(row.time, row.size) for row in trace if row.pattern == "queue" and row.size is not None]


def plot_queue_lengths(traces: Mapping[str, Trace], *, title: str | None = None) -> Any:
    """A step plot of the queue length over time, one line per trace (labelled by its key); returns the figure.

    >>> import asyncomm as ac, matplotlib.pyplot as plt
    >>> trace = ac.Trace(); q = ac.MessageQueue(trace=trace, clock=ac.VirtualClock()); _ = q.send("a")
    >>> fig = plot_queue_lengths({"one send": trace})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['one send']
    >>> plt.close(fig)
    """
    if not traces:
        raise ValueError("plot_queue_lengths needs at least one trace, as {label: trace}")
    import matplotlib.pyplot as plt

    from asyncomm.labs import fonts as _fonts
    from asyncomm.labs.fonts import plot_tr

    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, ax = plt.subplots(figsize=(6, 2.2))
    for label, trace in traces.items():
        points = queue_lengths(trace)
        if not points:
            raise ValueError(f"trace {label!r} has no queue operations to plot")
        times, sizes = zip(*points, strict=True)
        ax.step(times, sizes, where="post", label=label)
    ax.set_xlabel(plot_tr("virtual time (s)", "虚拟时间（秒）"))
    ax.set_ylabel(plot_tr("messages queued", "排队中的消息数"))
    if len(traces) > 1:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class Checkout:
    """What :func:`checkout` measured: how long each ``trigger`` took, when the checkout was free to go on,
    when the last e-mail was sent, and the orders e-mailed.

    >>> Checkout([2.0], 2.0, 2.0, ["#1"]).free_at
    2.0
    """

    durations: list[float]
    free_at: float
    done_at: float
    sent: list[str]


async def _checkout(mode: str, orders: tuple[str, ...], email_seconds: float) -> Checkout:
    bus = EventBus(name="shop")
    emails: AsyncMessageQueue[str] = AsyncMessageQueue(name="emails")
    sent: list[str] = []

    def send_email_blocking(order: str) -> None:  # a synchronous SMTP call: the loop is held meanwhile
        current_clock().advance(email_seconds)  # type: ignore[attr-defined]
        sent.append(order)

    async def send_email_async(order: str) -> None:  # an async SMTP client: waiting, not computing
        await asyncio.sleep(email_seconds)
        sent.append(order)

    async def email_worker() -> None:  # takes the work off the trigger
        async for order in emails:
            await send_email_async(order)

    listener = {MODES[0]: send_email_blocking, MODES[1]: send_email_async, MODES[2]: emails.send_nowait}[mode]
    bus.register("order placed", listener)
    worker = asyncio.create_task(email_worker())
    loop = asyncio.get_running_loop()
    durations = []
    for order in orders:
        start = loop.time()
        if mode == MODES[1]:
            await bus.trigger_async("order placed", order)
        else:
            bus.trigger("order placed", order)
        durations.append(loop.time() - start)
    free_at = loop.time()
    emails.close()
    await worker
    return Checkout(durations, free_at, loop.time(), sent)


def checkout(mode: str, *, orders: tuple[str, ...] = ("#1", "#2", "#3"), email_seconds: float = 2.0) -> Checkout:
    """Place ``orders`` one after another on a fresh VirtualClock; each triggers "order placed", whose listener
    sends an e-mail taking ``email_seconds``. ``mode`` says how that listener is wired (one of :data:`MODES`):

    * ``"inline, blocking"``: a plain function doing the work (CPU-like: the clock moves, nothing else runs);
    * ``"inline, async"``: an ``async def`` listener, awaited by ``bus.trigger_async``;
    * ``"handed to a queue"``: the listener is ``emails.send_nowait``; a worker task sends the e-mails.

    >>> [checkout(mode).free_at for mode in MODES]
    [6.0, 6.0, 0.0]
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
    return VirtualClock().run(_checkout(mode, tuple(orders), email_seconds))
