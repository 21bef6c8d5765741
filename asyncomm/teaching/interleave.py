"""A race, forced to happen every time: the seed's ``clear_queue()`` against a receiving thread.

The seed's queue (``data/seed_example.py``) clears with ``self.queue.queue.clear()``: it empties the deque
inside :class:`queue.Queue` without taking the Queue's lock. ``Queue.get`` does two things under that lock:
it checks there is an item (``while not self._qsize(): wait``), then takes it (``self._get()``, which is
``self.queue.popleft()``). A ``clear`` that skips the lock can run *between* the two, and then ``popleft``
finds the deque empty and ``get`` raises :class:`IndexError` in the receiving thread.

Left to the operating system this happens once in a blue moon. :class:`PausingQueue` makes it happen every
time: its ``_get`` stops after the check has passed and waits until it is told to go on, so
:func:`race_clear_during_receive` can run the exact interleaving:

1. thread A (receiver) calls ``receive_message()``; the check passes, A pauses before ``popleft``;
2. thread B calls ``clear_queue()``; it either finishes, or has to wait for the Queue's lock;
3. A goes on and pops.

With the seed's ``clear_queue`` B finishes in step 2 and A's pop raises ``IndexError``. With a clear that
takes the lock (``with self.queue.mutex: self.queue.queue.clear()``) B waits in step 2, A gets its message,
and B clears what is left afterwards.

>>> from asyncomm.course import load_seed_example
>>> race_clear_during_receive(load_seed_example()["MessageQueue"]())
RaceOutcome(received=None, error=IndexError('pop from an empty deque'), clear_waited_for_lock=False, left=0)
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["PausingQueue", "RaceOutcome", "WatchedLock", "race_clear_during_receive"]

#: The longest any step of the race may take (seconds): only reached if the queue under test hangs.
STEP_TIMEOUT = 10.0


class WatchedLock:
    """A lock that records when a thread has to *wait* for it (``contended`` is set). Otherwise it behaves
    like :class:`threading.Lock`, so :class:`threading.Condition` (and so :class:`queue.Queue`) can use it.

    >>> lock = WatchedLock()
    >>> with lock:
    ...     lock.acquire(blocking=False)       # someone else trying without waiting: refused, not "waited"
    False
    >>> lock.contended.is_set()
    False
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Set once some thread found the lock held and started waiting for it.
        self.contended = threading.Event()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._lock.acquire(blocking=False):
            return True
        if not blocking:
            return False
        self.contended.set()
        return self._lock.acquire(timeout=timeout)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class PausingQueue(queue.Queue[Any]):
    """A :class:`queue.Queue` whose ``get`` pauses between its check ("is there an item?") and its
    ``popleft``: ``checked`` is set when a getter reaches that point (holding the Queue's lock), and it
    goes on once ``resume`` is set. Its lock (``mutex``, also called ``watched``) is a :class:`WatchedLock`,
    so one can tell when another thread is waiting for it.

    >>> import threading
    >>> q = PausingQueue(); q.put("a")
    >>> got = []
    >>> receiver = threading.Thread(target=lambda: got.append(q.get())); receiver.start()
    >>> q.checked.wait(10)       # the receiver found an item and stopped just before taking it
    True
    >>> q.resume.set(); receiver.join(); got
    ['a']
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        # queue.Queue made its lock and conditions in __init__; remake them around a watched lock.
        self.watched = WatchedLock()
        self.mutex = self.watched  # type: ignore[assignment]
        self.not_empty = threading.Condition(self.mutex)  # type: ignore[arg-type]
        self.not_full = threading.Condition(self.mutex)  # type: ignore[arg-type]
        self.all_tasks_done = threading.Condition(self.mutex)  # type: ignore[arg-type]
        self.checked = threading.Event()
        self.resume = threading.Event()

    def _get(self) -> Any:
        # Queue.get calls this under its lock, right after "while not self._qsize(): wait" let it through.
        self.checked.set()
        if not self.resume.wait(STEP_TIMEOUT):
            raise RuntimeError(f"PausingQueue: nobody set resume within {STEP_TIMEOUT:g} s")
        return self.queue.popleft()


@dataclass(frozen=True)
class RaceOutcome:
    """What :func:`race_clear_during_receive` saw: what the receiver got (``received``) or the error it
    raised (``error``), whether the clearing thread had to wait for the Queue's lock, and how many
    messages were left in the queue at the end.

    >>> RaceOutcome(received="m", error=None, clear_waited_for_lock=True, left=0).safe
    True
    """

    received: Any
    error: BaseException | None
    clear_waited_for_lock: bool
    left: int

    @property
    def safe(self) -> bool:
        """True when the receiver got its message and nothing went wrong."""
        return self.error is None


def _started(target: Any, name: str, errors: list[BaseException], results: list[Any]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())
        except BaseException as err:  # reported in the outcome, not lost in the thread
            errors.append(err)

    # daemon: if the queue under test hangs, a stuck thread must not keep Python from exiting
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def race_clear_during_receive(message_queue: Any, message: Any = "Hello, World!") -> RaceOutcome:
    """Run ``message_queue.receive_message()`` (thread A) and ``message_queue.clear_queue()`` (thread B)
    in the one order that shows the race: A passes ``get``'s check, B clears, A pops.

    ``message_queue`` is the seed's ``MessageQueue`` or a class with the same methods that keeps its
    :class:`queue.Queue` in ``self.queue`` (it is replaced by a :class:`PausingQueue` holding ``message``).

    >>> from asyncomm.course import load_seed_example
    >>> Seed = load_seed_example()["MessageQueue"]
    >>> outcome = race_clear_during_receive(Seed())
    >>> type(outcome.error).__name__, outcome.received
    ('IndexError', None)
    >>> class Locked(Seed):
    ...     def clear_queue(self):
    ...         with self.queue.mutex:       # the lock queue.Queue's own get() and put() hold
    ...             self.queue.queue.clear()
    >>> race_clear_during_receive(Locked())
    RaceOutcome(received='Hello, World!', error=None, clear_waited_for_lock=True, left=0)
    """
    for method in ("receive_message", "clear_queue"):
        if not callable(getattr(message_queue, method, None)):
            raise TypeError(
                f"race_clear_during_receive needs an object with receive_message() and clear_queue(), like the "
                f"seed's MessageQueue; {message_queue!r} has no {method}()"
            )
    pausing = PausingQueue()
    pausing.put(message)
    message_queue.queue = pausing
    errors: list[BaseException] = []
    received: list[Any] = []
    clear_errors: list[BaseException] = []
    # Step 1: A receives, passes the check and pauses before popleft (holding the Queue's lock).
    receiver = _started(message_queue.receive_message, "race-receiver", errors, received)
    try:
        if not pausing.checked.wait(STEP_TIMEOUT):
            raise RuntimeError(f"receive_message() did not reach queue.Queue.get within {STEP_TIMEOUT:g} s")
        # Step 2: B clears. Either it finishes, or it has to wait for the lock A holds; wait for one of the two.
        clearer = _started(message_queue.clear_queue, "race-clearer", clear_errors, [])
        deadline = time.monotonic() + STEP_TIMEOUT
        while clearer.is_alive() and not pausing.watched.contended.wait(0.001):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"clear_queue() neither finished nor waited for the queue's lock within {STEP_TIMEOUT:g} s"
                )
        waited = pausing.watched.contended.is_set()
    finally:
        # Step 3: A goes on and pops; then both threads end.
        pausing.resume.set()
        receiver.join(STEP_TIMEOUT)
    clearer.join(STEP_TIMEOUT)
    if clear_errors:
        raise clear_errors[0]
    return RaceOutcome(received[0] if received else None, errors[0] if errors else None, waited, pausing.qsize())
