"""``IdempotentConsumer``: at-least-once delivery plus this is effectively exactly-once processing."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from asyncomm._checks import check_callable, check_int
from asyncomm.reliable.contract import Delivery

__all__ = ["IdempotentConsumer"]


class IdempotentConsumer:
    """Wrap ``handler(message)`` so it runs at most once per message id.

    Call it with a :class:`Delivery` or an ``(id, message)`` pair; it returns
    True if the handler ran, False if the id was seen before (a duplicate,
    counted in ``duplicates``). Ack the delivery either way. If the handler
    raises, the id is not remembered, so a redelivery tries again.

    Memory is bounded: only the last ``remember`` processed ids are kept. The
    trade-off: a duplicate arriving after more than ``remember`` newer ids
    would run again, so make the window longer than redelivery can take. Real
    systems keep the ids in the same database transaction as the work; this
    helper keeps them in memory and does not stop two threads that handle the
    same id at the very same moment.

    >>> charged = []
    >>> charge = IdempotentConsumer(charged.append)
    >>> charge((7, "pay 10")), charge((7, "pay 10"))
    (True, False)
    >>> charged, charge.duplicates
    (['pay 10'], 1)
    """

    def __init__(self, handler: Callable[[Any], Any], *, remember: int = 10_000) -> None:
        check_callable(handler, "handler")
        self.handler = handler
        self.remember = check_int(remember, "remember", minimum=1, meaning=" (how many ids to keep)")
        self._seen: OrderedDict[Any, None] = OrderedDict()
        self._lock = threading.Lock()
        #: Times the handler ran / duplicates skipped.
        self.processed = 0
        self.duplicates = 0

    def __call__(self, delivery: Delivery[Any] | tuple[Any, Any]) -> bool:
        if isinstance(delivery, Delivery):
            id, message = delivery.id, delivery.message
        elif isinstance(delivery, tuple) and len(delivery) == 2:
            id, message = delivery
        else:
            raise TypeError(f"IdempotentConsumer takes a Delivery or an (id, message) pair, got {delivery!r}")
        with self._lock:
            if id in self._seen:
                self.duplicates += 1
                return False
        self.handler(message)
        with self._lock:
            self._seen[id] = None
            if len(self._seen) > self.remember:
                self._seen.popitem(last=False)
            self.processed += 1
        return True

    def __contains__(self, id: Any) -> bool:
        """Whether ``id`` is among the remembered (processed) ids."""
        with self._lock:
            return id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def __repr__(self) -> str:
        return (
            f"<IdempotentConsumer: {self.processed} processed, {self.duplicates} duplicates skipped, "
            f"remembers {len(self._seen)}/{self.remember} ids>"
        )
