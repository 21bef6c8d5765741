"""MessageQueue under real threads: nothing lost, nothing doubled, nobody left hanging.

Every thread is joined with a timeout and the test fails if one is still alive,
so a lost wake-up shows up as a failure instead of a hung test run. Messages
are ``(producer, number)`` pairs, which lets the tests check both the multiset
of what arrived and each producer's order.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import asyncomm as ac

PRODUCERS = 4
CONSUMERS = 4
PER_PRODUCER = 20_000
JOIN_TIMEOUT = 60.0  # real seconds; generous, the machine is shared


class Crew:
    """Starts threads, collects their exceptions, and joins them with a deadline."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def start(self, work: Callable[..., Any], *args: Any, name: str) -> threading.Thread:
        def run() -> None:
            try:
                work(*args)
            except BaseException as err:  # reported by join()
                self.errors.append(err)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    def join(self, threads: list[threading.Thread], timeout: float = JOIN_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        assert not stuck, f"threads still running after {timeout} s (a lost wake-up?): {stuck}"
        assert not self.errors, self.errors


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.001)


def consume_until_closed(q: ac.MessageQueue, got: list[Any], endings: list[str]) -> None:
    while True:
        try:
            got.append(q.receive())
        except ac.QueueClosed as err:
            endings.append(str(err))
            return


def produce(q: ac.MessageQueue, producer: int, count: int) -> None:
    for number in range(count):
        q.send((producer, number))


def assert_each_producer_in_order(got: list[tuple[int, int]]) -> None:
    """In what one consumer saw, each producer's numbers only go up."""
    last: dict[int, int] = {}
    for producer, number in got:
        assert number > last.get(producer, -1), f"producer {producer}: {number} came after {last[producer]}"
        last[producer] = number


def run_producers_and_consumers(q: ac.MessageQueue, consumers: int) -> list[list[tuple[int, int]]]:
    crew = Crew()
    received: list[list[tuple[int, int]]] = [[] for _ in range(consumers)]
    endings: list[str] = []
    try:
        consumer_threads = [
            crew.start(consume_until_closed, q, received[c], endings, name=f"consumer-{c}") for c in range(consumers)
        ]
        producer_threads = [crew.start(produce, q, p, PER_PRODUCER, name=f"producer-{p}") for p in range(PRODUCERS)]
        crew.join(producer_threads)
        q.close()  # only now: every message is queued, the consumers drain them, then stop
        crew.join(consumer_threads)
    finally:
        q.close()  # lets stray threads end if an assertion failed above
    assert endings == [f"queue {q.name!r} is closed and drained; there are no more messages"] * consumers
    assert len(q) == 0
    return received


def test_four_producers_four_consumers_every_message_exactly_once():
    q = ac.MessageQueue(maxsize=64, name="work")
    received = run_producers_and_consumers(q, CONSUMERS)
    everything = Counter(msg for got in received for msg in got)
    expected = Counter((p, n) for p in range(PRODUCERS) for n in range(PER_PRODUCER))
    assert everything == expected  # each message once: no loss, no duplicate, nothing extra
    for got in received:
        assert_each_producer_in_order(got)


@pytest.mark.parametrize("maxsize", [64, 0])
def test_with_one_consumer_each_producer_arrives_in_its_own_order(maxsize):
    q = ac.MessageQueue(maxsize=maxsize, name="work")
    [got] = run_producers_and_consumers(q, consumers=1)
    assert len(got) == PRODUCERS * PER_PRODUCER
    for p in range(PRODUCERS):
        assert [n for producer, n in got if producer == p] == list(range(PER_PRODUCER))


def test_close_wakes_every_blocked_sender_and_their_messages_are_not_queued():
    q = ac.MessageQueue(maxsize=2, name="jobs")
    q.send("a")
    q.send("b")
    crew = Crew()
    refusals: list[str] = []

    def send_blocked(msg: str) -> None:
        try:
            q.send(msg)  # no timeout: only close() can end this wait
        except ac.QueueClosed as err:
            refusals.append(str(err))

    senders = [crew.start(send_blocked, f"late-{i}", name=f"sender-{i}") for i in range(3)]
    wait_until(lambda: q.statistics().senders_waiting == 3, "the three senders wait for room")
    q.close()
    crew.join(senders)
    assert refusals == ["queue 'jobs' is closed; no new messages can be sent"] * 3
    assert q.snapshot() == ["a", "b"]
    assert [q.receive(timeout=1), q.receive(timeout=1)] == ["a", "b"]
    with pytest.raises(ac.QueueClosed, match=re.escape("queue 'jobs' is closed and drained")):
        q.receive(timeout=1)


def test_close_wakes_every_waiting_receiver():
    q = ac.MessageQueue(name="inbox")
    crew = Crew()
    received: list[list[Any]] = [[] for _ in range(4)]
    endings: list[str] = []
    receivers = [crew.start(consume_until_closed, q, received[i], endings, name=f"receiver-{i}") for i in range(4)]
    wait_until(lambda: q.statistics().receivers_waiting == 4, "the four receivers wait")
    q.close()
    crew.join(receivers)
    assert endings == ["queue 'inbox' is closed and drained; there are no more messages"] * 4
    assert received == [[], [], [], []]


def test_waiting_receivers_drain_messages_sent_just_before_close_then_stop():
    q = ac.MessageQueue(name="inbox")
    crew = Crew()
    received: list[list[Any]] = [[] for _ in range(4)]
    endings: list[str] = []
    receivers = [crew.start(consume_until_closed, q, received[i], endings, name=f"receiver-{i}") for i in range(4)]
    wait_until(lambda: q.statistics().receivers_waiting == 4, "the four receivers wait")
    for msg in ["x", "y", "z"]:
        q.send(msg)
    q.close()  # before the woken receivers ran: they must still get x, y and z
    crew.join(receivers)
    assert sorted(msg for got in received for msg in got) == ["x", "y", "z"]
    assert len(endings) == 4


def test_receive_timeout_on_a_real_clock_raises_queue_empty_after_the_timeout():
    q = ac.MessageQueue(clock=ac.RealClock(), name="inbox")
    started = time.monotonic()
    with pytest.raises(ac.QueueEmpty, match=re.escape("no message arrived on queue 'inbox' within 0.05 s")):
        q.receive(timeout=0.05)
    assert time.monotonic() - started >= 0.05  # never gives up early


def test_send_timeout_on_a_real_clock_raises_queue_full_and_does_not_queue():
    q = ac.MessageQueue(maxsize=1, clock=ac.RealClock(), name="jobs")
    q.send("kept")
    started = time.monotonic()
    with pytest.raises(
        ac.QueueFull,
        match=re.escape(
            "queue 'jobs' stayed full for 0.05 s; the message was not sent: consume faster, "
            "or give the queue a larger maxsize"
        ),
    ):
        q.send("refused", timeout=0.05)
    assert time.monotonic() - started >= 0.05
    assert q.snapshot() == ["kept"]


def test_a_timed_out_receiver_does_not_take_a_message_meant_for_a_later_one():
    q = ac.MessageQueue(name="inbox")
    crew = Crew()
    outcomes: list[str] = []

    def receive_briefly() -> None:
        try:
            outcomes.append(q.receive(timeout=0.05))
        except ac.QueueEmpty:
            outcomes.append("timed out")

    crew.join([crew.start(receive_briefly, name="impatient")])
    q.send("for the next one")
    assert outcomes == ["timed out"]
    assert q.receive(timeout=1) == "for the next one"


def test_timeouts_under_contention_neither_lose_nor_duplicate():
    # Producers and consumers give up after 1 ms and retry: every QueueFull must
    # leave the message out (a retry would otherwise duplicate it) and every
    # QueueEmpty must leave the queue untouched.
    q = ac.MessageQueue(maxsize=4, name="busy")
    per_producer = 1_000
    crew = Crew()
    received: list[list[tuple[int, int]]] = [[] for _ in range(CONSUMERS)]

    def produce_retrying(producer: int) -> None:
        for number in range(per_producer):
            while True:
                try:
                    q.send((producer, number), timeout=0.001)
                    break
                except ac.QueueFull:
                    continue

    def consume_retrying(got: list[tuple[int, int]]) -> None:
        while True:
            try:
                got.append(q.receive(timeout=0.001))
            except ac.QueueEmpty:
                continue
            except ac.QueueClosed:
                return

    consumers = [crew.start(consume_retrying, received[c], name=f"consumer-{c}") for c in range(CONSUMERS)]
    producers = [crew.start(produce_retrying, p, name=f"producer-{p}") for p in range(PRODUCERS)]
    try:
        crew.join(producers)
        q.close()
        crew.join(consumers)
    finally:
        q.close()
    everything = Counter(msg for got in received for msg in got)
    assert everything == Counter((p, n) for p in range(PRODUCERS) for n in range(per_producer))
    for got in received:
        assert_each_producer_in_order(got)


def test_clear_racing_with_producers_and_a_consumer_accounts_for_every_message():
    q = ac.MessageQueue(maxsize=16, name="work")
    per_producer = 5_000
    crew = Crew()
    got: list[tuple[int, int]] = []
    endings: list[str] = []
    cleared: list[int] = []
    producers_done = threading.Event()

    def clear_now_and_then() -> None:
        while not producers_done.is_set():
            cleared.append(q.clear())  # also wakes senders blocked on the full queue
            time.sleep(0.0005)

    consumer = crew.start(consume_until_closed, q, got, endings, name="consumer")
    clearer = crew.start(clear_now_and_then, name="clearer")
    producers = [crew.start(produce, q, p, per_producer, name=f"producer-{p}") for p in range(2)]
    try:
        crew.join(producers)
        producers_done.set()
        crew.join([clearer])
        q.close()
        crew.join([consumer])
    finally:
        producers_done.set()
        q.close()
    assert len(got) == len(set(got)), "a message was received twice"
    assert len(got) + sum(cleared) == 2 * per_producer, "a message was lost"
    assert set(got) <= {(p, n) for p in range(2) for n in range(per_producer)}
    assert_each_producer_in_order(got)


@pytest.mark.parametrize("policy", ["drop-newest", "drop-oldest"])
def test_drop_policies_under_threads_count_every_dropped_message(policy):
    q = ac.MessageQueue(maxsize=8, policy=policy, name="lossy")
    per_producer = 5_000
    crew = Crew()
    received: list[list[tuple[int, int]]] = [[], []]
    endings: list[str] = []
    consumers = [crew.start(consume_until_closed, q, received[c], endings, name=f"consumer-{c}") for c in range(2)]
    producers = [crew.start(produce, q, p, per_producer, name=f"producer-{p}") for p in range(PRODUCERS)]
    try:
        crew.join(producers)  # a drop policy never blocks a sender
        q.close()
        crew.join(consumers)
    finally:
        q.close()
    everything = [msg for got in received for msg in got]
    assert len(everything) == len(set(everything)), "a message was received twice"
    assert len(everything) + q.statistics().dropped == PRODUCERS * per_producer
    for got in received:
        assert_each_producer_in_order(got)
