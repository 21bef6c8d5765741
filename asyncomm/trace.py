"""A trace: one plain row per operation of the pattern objects that share it.

Widgets, plots and exercise checks all read traces, so a row is a small
immutable tuple with stable field names; ``to_frame()`` turns the rows into a
pandas DataFrame (pandas is imported only then, keeping ``import asyncomm``
light).

Every pattern, operation and outcome a row can hold is a constant below, so code that writes
rows and code that reads them (checks, widgets) cannot disagree on a spelling; :data:`ROWS`
says which operation of which pattern can end with which outcome.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple

from asyncomm._lazy import requires_extra

__all__ = ["ROWS", "Trace", "TraceRow"]

# -- patterns: which kind of object wrote the row ------------------------------------------------------------
QUEUE = "queue"  # MessageQueue, AsyncMessageQueue, ReliableQueue, the Redis stream queues
EVENT = "event"  # EventBus
CALLBACK = "callback"  # CallbackRegistry

# -- operations ------------------------------------------------------------------------------------------------
SEND = "send"
RECEIVE = "receive"
DROP = "drop"  # policy "drop-oldest" threw the oldest queued message away to make room
CLEAR = "clear"  # the row's item is how many messages clear() threw away
CLOSE = "close"
ACK = "ack"
NACK = "nack"
REDELIVER = "redeliver"  # a reliable queue put a message back; the outcome says why
DEAD_LETTER = "dead-letter"  # a reliable queue gave up on a message; the outcome says why
REGISTER = "register"
ONCE = "once"  # registered for the next trigger only
REMOVE = "remove"
TRIGGER = "trigger"

# -- outcomes: "ok", the name of the error the operation raised, or what became of the message ----------------
OK = "ok"
DROPPED = "dropped"  # thrown away by a drop policy
QUEUE_FULL = "QueueFull"
QUEUE_EMPTY = "QueueEmpty"
QUEUE_CLOSED = "QueueClosed"
PREFETCH_LIMIT_REACHED = "PrefetchLimitReached"
STALE_DELIVERY = "StaleDelivery"
AUTO = "auto"  # acked by the queue itself on receive (delivery="at-most-once")
NACKED = "nacked"  # redelivered: its consumer nacked it with requeue=True
VISIBILITY_TIMEOUT = "visibility timeout"  # redelivered: not acked in time
CONSUMER_DIED = "consumer died"  # redelivered: its consumer was declared dead
REJECTED = "rejected"  # dead-lettered: nacked with requeue=False
MAX_DELIVERIES = "max deliveries"  # dead-lettered: delivered max_deliveries times, never acked
LISTENER_NOT_FOUND = "ListenerNotFound"
CALLBACK_NOT_FOUND = "CallbackNotFound"
TRIGGER_FAILED = "TriggerFailed"

#: pattern -> operation -> the outcomes that operation can end with (the table in :class:`TraceRow`).
ROWS: dict[str, dict[str, frozenset[str]]] = {
    QUEUE: {
        SEND: frozenset({OK, DROPPED, QUEUE_FULL, QUEUE_CLOSED}),
        RECEIVE: frozenset({OK, QUEUE_EMPTY, QUEUE_CLOSED, PREFETCH_LIMIT_REACHED}),
        DROP: frozenset({DROPPED}),
        CLEAR: frozenset({OK}),
        CLOSE: frozenset({OK}),
        ACK: frozenset({OK, AUTO, STALE_DELIVERY}),
        NACK: frozenset({OK, STALE_DELIVERY}),
        REDELIVER: frozenset({NACKED, VISIBILITY_TIMEOUT, CONSUMER_DIED}),
        DEAD_LETTER: frozenset({REJECTED, MAX_DELIVERIES}),
    },
    EVENT: {
        REGISTER: frozenset({OK}),
        ONCE: frozenset({OK}),
        REMOVE: frozenset({OK, LISTENER_NOT_FOUND}),
        TRIGGER: frozenset({OK, TRIGGER_FAILED}),
    },
    CALLBACK: {
        REGISTER: frozenset({OK}),
        ONCE: frozenset({OK}),
        REMOVE: frozenset({OK, CALLBACK_NOT_FOUND}),
        TRIGGER: frozenset({OK, TRIGGER_FAILED}),
    },
}


class TraceRow(NamedTuple):
    """One operation. ``item`` is the message (queues; ``(id, message)`` for the reliable ones), the event
    (bus) or the argument (callbacks; a tuple if several); ``size`` is the state after it: messages
    queued, or listeners registered; ``outcome`` is ``"ok"``, the name of the error the operation
    raised, or what became of the message.

    Every row there can be (``ROWS`` holds the same table; ``*``: reliable queues only):

    ========  ============  ====================================================
    pattern   operation     outcomes
    ========  ============  ====================================================
    queue     send          ok, dropped, QueueFull, QueueClosed
    queue     receive       ok, QueueEmpty, QueueClosed, PrefetchLimitReached*
    queue     drop          dropped
    queue     clear         ok
    queue     close         ok
    queue     ack*          ok, auto, StaleDelivery
    queue     nack*         ok, StaleDelivery
    queue     redeliver*    nacked, visibility timeout, consumer died
    queue     dead-letter*  rejected, max deliveries
    event     register      ok
    event     once          ok
    event     remove        ok, ListenerNotFound
    event     trigger       ok, TriggerFailed
    callback  register      ok
    callback  once          ok
    callback  remove        ok, CallbackNotFound
    callback  trigger       ok, TriggerFailed
    ========  ============  ====================================================

    ``dropped``: a drop policy threw the message away (``drop``: the oldest, to make room);
    ``auto``: acked on receive (``delivery="at-most-once"``); ``clear``'s item is how many
    messages it threw away; ``redeliver`` and ``dead-letter`` rows say why in the outcome.

    >>> import asyncomm as ac
    >>> trace = ac.Trace()
    >>> q = ac.MessageQueue(maxsize=1, clock=ac.VirtualClock(), trace=trace)
    >>> _ = q.send("a"); q.send_nowait("b")
    Traceback (most recent call last):
    ...
    asyncomm.errors.QueueFull: queue 'queue' is full (1 message); receive some first, or send with a timeout ...
    >>> [(row.operation, row.item, row.size, row.outcome) for row in trace.rows]
    [('send', 'a', 1, 'ok'), ('send', 'b', 1, 'QueueFull')]
    """

    seq: int
    time: float
    pattern: str
    operation: str
    name: str
    item: Any
    size: int
    outcome: str = OK


COLUMNS = TraceRow._fields
_new_row = tuple.__new__


class Trace:
    """Records every operation of the objects given ``trace=`` this trace.

    >>> import asyncomm as ac
    >>> trace = ac.Trace()
    >>> q = ac.MessageQueue(trace=trace, clock=ac.VirtualClock(), name="q")
    >>> _ = q.send("hi"); q.receive()
    'hi'
    >>> [(row.operation, row.item, row.size) for row in trace]
    [('send', 'hi', 1), ('receive', 'hi', 0)]
    """

    def __init__(self) -> None:
        self._rows: list[TraceRow] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()  # keeps seq order equal to list order

    def record(
        self, time: float, pattern: str, operation: str, name: str, item: Any, size: int, outcome: str = OK
    ) -> TraceRow:
        """Append one row; the patterns call this, you rarely need to."""
        with self._lock:
            # tuple.__new__ skips the named tuple's Python-level constructor (3x faster here)
            row = _new_row(TraceRow, (next(self._seq), time, pattern, operation, name, item, size, outcome))
            self._rows.append(row)
        return row

    @property
    def rows(self) -> list[TraceRow]:
        """A copy of the rows, oldest first."""
        with self._lock:
            return list(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[TraceRow]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> TraceRow:
        return self._rows[index]

    def where(self, **fields: Any) -> list[TraceRow]:
        """Rows whose fields equal the given values, e.g. ``where(operation="send")``."""
        unknown = set(fields) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown trace field(s) {sorted(unknown)}; the fields are {list(COLUMNS)}")
        return [row for row in self.rows if all(getattr(row, k) == v for k, v in fields.items())]

    def clear(self) -> None:
        """Forget every row (sequence numbers go on counting)."""
        with self._lock:
            self._rows.clear()

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as plain dicts."""
        return [row._asdict() for row in self.rows]

    def to_frame(self):  # type: ignore[no-untyped-def]
        """The rows as a pandas DataFrame, one column per :class:`TraceRow` field."""
        with requires_extra():  # deferred: pandas is heavy and only views need it
            import pandas as pd

        frame = pd.DataFrame(self.rows, columns=list(COLUMNS))
        # Items are any Python objects: keep them as they are (pandas would turn a None among
        # strings into NaN).
        frame["item"] = pd.Series([row.item for row in self.rows], dtype=object, index=frame.index)
        return frame

    def table(self) -> str:
        """The rows as a fixed-width text table (no pandas needed)."""
        header = ("seq", "time", "pattern", "operation", "name", "item", "size", "outcome")
        lines = [
            [
                str(row.seq),
                f"{row.time:.3f}",
                row.pattern,
                row.operation,
                row.name,
                repr(row.item),
                str(row.size),
                row.outcome,
            ]
            for row in self.rows
        ]
        widths = [max(len(cells[i]) for cells in [list(header), *lines]) for i in range(len(header))]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
            for cells in [list(header), *lines]
        )

    def __repr__(self) -> str:
        return f"<Trace: {len(self)} rows>"
