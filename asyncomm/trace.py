"""A trace: one plain row per operation of the pattern objects that share it.

Widgets, plots and exercise checks all read traces, so a row is a small
immutable tuple with stable field names; ``to_frame()`` turns the rows into a
pandas DataFrame (pandas is imported only then, keeping ``import asyncomm``
light).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = ["Trace", "TraceRow"]


class TraceRow(NamedTuple):
    """One operation. ``item`` is the message (queues) or event (bus);
    ``size`` is the state after it: messages queued, or listeners registered;
    ``outcome`` is ``"ok"`` or the name of the error the operation raised.

    >>> import asyncomm as ac
    >>> trace = ac.Trace()
    >>> q = ac.MessageQueue(maxsize=1, clock=ac.VirtualClock(), trace=trace)
    >>> q.send("a"); q.send_nowait("b")
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
    outcome: str = "ok"


COLUMNS = TraceRow._fields
_new_row = tuple.__new__


class Trace:
    """Records every operation of the objects given ``trace=`` this trace.

    >>> import asyncomm as ac
    >>> trace = ac.Trace()
    >>> q = ac.MessageQueue(trace=trace, clock=ac.VirtualClock(), name="q")
    >>> q.send("hi"); q.receive()
    'hi'
    >>> [(row.operation, row.item, row.size) for row in trace]
    [('send', 'hi', 1), ('receive', 'hi', 0)]
    """

    def __init__(self) -> None:
        self._rows: list[TraceRow] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()  # keeps seq order equal to list order

    def record(
        self, time: float, pattern: str, operation: str, name: str, item: Any, size: int, outcome: str = "ok"
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
        import pandas as pd  # deferred: pandas is heavy and only views need it

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
