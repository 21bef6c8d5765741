"""The seed's clear_queue() race, forced: thread A passes queue.Queue.get's check, B clears, A pops."""

from __future__ import annotations

import queue
import re
import threading
from typing import Any

import pytest

import asyncomm as ac
from asyncomm.teaching.interleave import PausingQueue, RaceOutcome, WatchedLock, race_clear_during_receive

Seed = ac.course.load_seed_example()["MessageQueue"]


class LockedClear(Seed):
    """The fix chapter 04 asks for: clear under the lock queue.Queue's own get() and put() hold."""

    def clear_queue(self) -> None:
        with self.queue.mutex:
            self.queue.queue.clear()


def test_the_race_uses_the_seeds_own_clear_queue() -> None:
    # The seed clears the inner deque and nothing else: what the race function runs is that very method.
    q = Seed()
    q.queue = queue.Queue()
    q.queue.put("x")
    q.clear_queue()
    assert q.queue.qsize() == 0 and q.queue.unfinished_tasks == 1


def test_the_seeds_clear_between_check_and_pop_raises_index_error_every_time() -> None:
    for _ in range(50):
        outcome = race_clear_during_receive(Seed())
        assert isinstance(outcome.error, IndexError)
        assert str(outcome.error) == "pop from an empty deque"
        assert (outcome.received, outcome.clear_waited_for_lock, outcome.left, outcome.safe) == (None, False, 0, False)


def test_a_clear_that_takes_the_lock_waits_for_the_receiver_every_time() -> None:
    for _ in range(50):
        outcome = race_clear_during_receive(LockedClear(), message="m")
        assert outcome == RaceOutcome(received="m", error=None, clear_waited_for_lock=True, left=0)
        assert outcome.safe


def test_the_race_leaves_no_thread_behind() -> None:
    race_clear_during_receive(Seed())
    race_clear_during_receive(LockedClear())
    assert not [t for t in threading.enumerate() if t.name.startswith("race-")]


def test_a_pausing_queue_is_still_a_queue() -> None:
    q = PausingQueue(maxsize=2)
    q.resume.set()  # no pause: behaves as queue.Queue
    q.put(1)
    q.put(2)
    with pytest.raises(queue.Full):
        q.put_nowait(3)
    assert [q.get(), q.get_nowait()] == [1, 2]
    assert q.checked.is_set() and not q.watched.contended.is_set()


def test_the_watched_lock_tells_waiting_from_trying() -> None:
    lock = WatchedLock()
    assert lock.acquire() and lock.locked()
    assert lock.acquire(blocking=False) is False and not lock.contended.is_set()
    assert lock.acquire(timeout=0.01) is False and lock.contended.is_set()
    lock.release()
    assert not lock.locked()


def test_a_clear_that_hangs_is_reported_not_waited_for_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncomm.teaching.interleave as interleave

    monkeypatch.setattr(interleave, "STEP_TIMEOUT", 0.2)
    never = threading.Event()

    class Hangs(Seed):
        def clear_queue(self) -> Any:
            never.wait(5)

    with pytest.raises(RuntimeError, match=re.escape("clear_queue() neither finished nor waited")):
        race_clear_during_receive(Hangs())
    never.set()


def test_an_object_without_the_seeds_methods_is_refused() -> None:
    with pytest.raises(TypeError, match=re.escape("needs an object with receive_message() and clear_queue()")):
        race_clear_during_receive(ac.MessageQueue())
