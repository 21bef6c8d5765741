"""Unit tests of MessageQueue: every verb, every error with its exact message."""

from __future__ import annotations

import re
import threading
import time

import pytest

import asyncomm as ac


def test_fifo_order_and_len():
    q = ac.MessageQueue()
    for msg in ["a", "b", "c"]:
        q.send(msg)
    assert len(q) == 3
    assert [q.receive(), q.receive(), q.receive()] == ["a", "b", "c"]
    assert len(q) == 0 and q.empty()


def test_any_object_is_a_message_including_none():
    q = ac.MessageQueue()
    q.send(None)
    q.send({"id": 1})
    assert q.receive() is None
    assert q.receive() == {"id": 1}


def test_maxsize_default_is_unbounded():
    q = ac.MessageQueue()
    assert q.maxsize == 0
    for i in range(1000):
        q.send_nowait(i)
    assert not q.full() and len(q) == 1000


def test_bounded_queue_refuses_when_full_and_keeps_what_it_had():
    q = ac.MessageQueue(maxsize=2, name="tiny")
    q.send("a")
    q.send("b")
    assert q.full()
    with pytest.raises(
        ac.QueueFull,
        match=re.escape(
            "queue 'tiny' is full (2 messages); receive some first, or send with a timeout to wait for room"
        ),
    ):
        q.send_nowait("c")
    assert q.snapshot() == ["a", "b"]


def test_full_message_uses_singular_for_one():
    q = ac.MessageQueue(maxsize=1, name="one")
    q.send(1)
    with pytest.raises(ac.QueueFull, match=re.escape("queue 'one' is full (1 message);")):
        q.send_nowait(2)


def test_receive_nowait_on_empty_queue():
    with pytest.raises(
        ac.QueueEmpty,
        match=re.escape("queue 'inbox' is empty; send a message first, or receive with a timeout to wait for one"),
    ):
        ac.MessageQueue(name="inbox").receive_nowait()


def test_receive_timeout_on_virtual_clock_is_exact_and_instant():
    clock = ac.VirtualClock(start=5)
    q = ac.MessageQueue(clock=clock, name="inbox")
    with pytest.raises(ac.QueueEmpty, match=re.escape("no message arrived on queue 'inbox' within 10 s")):
        q.receive(timeout=10)
    assert clock.now() == 15.0


def test_send_timeout_on_virtual_clock_is_exact():
    clock = ac.VirtualClock()
    q = ac.MessageQueue(maxsize=1, clock=clock, name="jobs")
    q.send("x")
    with pytest.raises(
        ac.QueueFull,
        match=re.escape(
            "queue 'jobs' stayed full for 2.5 s; the message was not sent: consume faster, "
            "or give the queue a larger maxsize"
        ),
    ):
        q.send("y", timeout=2.5)
    assert clock.now() == 2.5
    assert q.snapshot() == ["x"]


def test_timeout_zero_is_the_same_as_nowait():
    q = ac.MessageQueue(name="q")
    with pytest.raises(ac.QueueEmpty, match="queue 'q' is empty"):
        q.receive(timeout=0)


def test_blocked_receiver_gets_message_sent_later_by_another_thread():
    q = ac.MessageQueue()
    got = []
    receiver = threading.Thread(target=lambda: got.append(q.receive(timeout=5)))
    receiver.start()
    q.send("late")
    receiver.join(5)
    assert got == ["late"]


def _wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.001)


def waiting(q):
    stats = q.statistics()
    return stats.senders_waiting, stats.receivers_waiting


def test_waiting_counts_show_who_is_blocked_and_drop_when_they_leave():
    q = ac.MessageQueue(maxsize=1)
    assert waiting(q) == (0, 0)
    receivers = [threading.Thread(target=q.receive, kwargs={"timeout": 5}) for _ in range(2)]
    for r in receivers:
        r.start()
    _wait_until(lambda: waiting(q) == (0, 2))
    q.send("a")
    q.send("b")
    for r in receivers:
        r.join(5)
    assert waiting(q) == (0, 0)
    q.send("c")
    sender = threading.Thread(target=q.send, args=("d",), kwargs={"timeout": 5})
    sender.start()
    _wait_until(lambda: waiting(q) == (1, 0))
    assert q.receive() == "c"
    sender.join(5)
    assert (waiting(q), q.snapshot()) == ((0, 0), ["d"])
    with pytest.raises(ac.QueueFull):
        q.send("e", timeout=0.01)  # a sender that times out is no longer counted
    assert waiting(q) == (0, 0)


def test_blocked_sender_proceeds_when_a_receiver_makes_room():
    q = ac.MessageQueue(maxsize=1)
    q.send("first")
    sender = threading.Thread(target=q.send, args=("second",), kwargs={"timeout": 5})
    sender.start()
    assert q.receive(timeout=5) == "first"
    sender.join(5)
    assert not sender.is_alive()
    assert q.receive(timeout=5) == "second"


def test_clear_returns_how_many_were_dropped_and_wakes_blocked_sender():
    q = ac.MessageQueue(maxsize=2)
    q.send(1)
    q.send(2)
    sender = threading.Thread(target=q.send, args=(3,), kwargs={"timeout": 5})
    sender.start()
    _wait_until(lambda: waiting(q) == (1, 0))  # the sender is really blocked: now clear
    assert q.clear() == 2
    sender.join(5)
    assert not sender.is_alive()
    assert q.snapshot() == [3]
    assert q.clear() == 1
    assert q.clear() == 0


def test_close_refuses_sends_and_drains_then_raises():
    q = ac.MessageQueue(name="jobs")
    q.send("left over")
    q.close()
    assert q.closed
    with pytest.raises(ac.QueueClosed, match=re.escape("queue 'jobs' is closed; no new messages can be sent")):
        q.send("new")
    assert q.receive() == "left over"
    with pytest.raises(
        ac.QueueClosed, match=re.escape("queue 'jobs' is closed and drained; there are no more messages")
    ):
        q.receive()
    with pytest.raises(ac.QueueClosed):
        q.receive_nowait()
    q.close()  # twice is harmless


def test_close_wakes_a_receiver_waiting_without_timeout():
    q = ac.MessageQueue()
    errors = []

    def consume():
        try:
            q.receive()
        except ac.QueueClosed as err:
            errors.append(err)

    consumer = threading.Thread(target=consume)
    consumer.start()
    _wait_until(lambda: waiting(q) == (0, 1))
    q.close()
    consumer.join(5)
    assert not consumer.is_alive() and len(errors) == 1


def test_close_wakes_a_blocked_sender_with_queue_closed():
    q = ac.MessageQueue(maxsize=1)
    q.send(1)
    errors = []

    def produce():
        try:
            q.send(2)
        except ac.QueueClosed as err:
            errors.append(err)

    producer = threading.Thread(target=produce)
    producer.start()
    _wait_until(lambda: waiting(q) == (1, 0))
    q.close()
    producer.join(5)
    assert not producer.is_alive() and len(errors) == 1
    assert q.snapshot() == [1]


@pytest.mark.parametrize(
    "maxsize, error, message",
    [
        (-1, ValueError, "maxsize must be an int >= 0 (0 means unbounded), got -1"),
        (2.5, TypeError, "maxsize must be an int (0 means unbounded), got 2.5 (float)"),
        ("10", TypeError, "maxsize must be an int (0 means unbounded), got '10' (str)"),
        (True, TypeError, "maxsize must be an int (0 means unbounded), got True (bool)"),
    ],
)
def test_bad_maxsize(maxsize, error, message):
    with pytest.raises(error, match=re.escape(message)):
        ac.MessageQueue(maxsize=maxsize)


@pytest.mark.parametrize(
    "timeout, error, message",
    [
        (-1, ValueError, "timeout must be >= 0 seconds or None (wait forever), got -1"),
        (float("nan"), ValueError, "timeout must be >= 0 seconds or None (wait forever), got nan"),
        ("1", TypeError, "timeout must be a number of seconds or None, got '1' (str)"),
        (True, TypeError, "timeout must be a number of seconds or None, got True (bool)"),
    ],
)
def test_bad_timeout_is_refused_even_when_no_wait_is_needed(timeout, error, message):
    q = ac.MessageQueue()
    with pytest.raises(error, match=re.escape(message)):
        q.send("kept?", timeout=timeout)
    assert len(q) == 0  # a refused call changes nothing
    q.send("x")
    with pytest.raises(error, match=re.escape(message)):
        q.receive(timeout=timeout)
    assert q.snapshot() == ["x"]  # nothing lost


def test_bad_name():
    with pytest.raises(TypeError, match=re.escape("name must be a str, got 3 (int)")):
        ac.MessageQueue(name=3)


def test_trace_rows_record_operations_with_clock_time_and_size():
    clock = ac.VirtualClock()
    trace = ac.Trace()
    q = ac.MessageQueue(maxsize=1, clock=clock, trace=trace, name="q")
    q.send("a")
    clock.advance(1.5)
    with pytest.raises(ac.QueueFull):
        q.send_nowait("b")
    assert q.receive() == "a"
    q.clear()
    q.close()
    assert [(r.time, r.operation, r.item, r.size, r.outcome) for r in trace] == [
        (0.0, "send", "a", 1, "ok"),
        (1.5, "send", "b", 1, "QueueFull"),
        (1.5, "receive", "a", 0, "ok"),
        (1.5, "clear", 0, 0, "ok"),
        (1.5, "close", None, 0, "ok"),
    ]
    assert {r.pattern for r in trace} == {"queue"} and {r.name for r in trace} == {"q"}


def test_repr_says_size_bound_and_state():
    q = ac.MessageQueue(maxsize=3, name="q")
    q.send(1)
    assert repr(q) == "<MessageQueue 'q': 1 message, maxsize=3>"
    q.close()
    assert repr(ac.MessageQueue()) == "<MessageQueue 'queue': 0 messages, unbounded>"
    assert repr(q) == "<MessageQueue 'q': 1 message, maxsize=3, closed>"


# -- backpressure policies (both queue classes share them) -----------------------------------------


@pytest.mark.parametrize("cls", [ac.MessageQueue, ac.AsyncMessageQueue])
def test_policy_raise_refuses_at_once_even_with_a_timeout(cls):
    q = cls(maxsize=1, policy="raise", name="q")
    q.send_nowait("a")
    with pytest.raises(
        ac.QueueFull,
        match=re.escape(
            "queue 'q' is full (1 message) and its policy is 'raise'; receive some first, "
            "or use policy='block' to wait for room"
        ),
    ):
        q.send_nowait("b")
    assert q.snapshot() == ["a"] and q.statistics().dropped == 0


@pytest.mark.parametrize("cls", [ac.MessageQueue, ac.AsyncMessageQueue])
def test_policy_drop_newest_keeps_the_first_messages(cls):
    trace = ac.Trace()
    q = cls(maxsize=2, policy="drop-newest", trace=trace, clock=ac.VirtualClock())
    assert [q.send_nowait(i) for i in range(5)] == [1, 2, 3, 4, 5]  # a dropped message is numbered too
    assert q.snapshot() == [0, 1] and q.statistics().dropped == 3
    assert [(r.item, r.outcome) for r in trace.where(outcome="dropped")] == [
        (2, "dropped"),
        (3, "dropped"),
        (4, "dropped"),
    ]


@pytest.mark.parametrize("cls", [ac.MessageQueue, ac.AsyncMessageQueue])
def test_policy_drop_oldest_keeps_the_latest_messages(cls):
    trace = ac.Trace()
    q = cls(maxsize=2, policy="drop-oldest", trace=trace, clock=ac.VirtualClock())
    for i in range(5):
        q.send_nowait(i)
    assert q.snapshot() == [3, 4] and q.statistics().dropped == 3
    assert [(r.operation, r.item) for r in trace.where(outcome="dropped")] == [("drop", 0), ("drop", 1), ("drop", 2)]


def test_bad_policy():
    with pytest.raises(
        ValueError, match=re.escape("policy must be one of 'block', 'raise', 'drop-newest', 'drop-oldest', got 'drop'")
    ):
        ac.MessageQueue(maxsize=1, policy="drop")


@pytest.mark.parametrize("policy", ["block", "raise", "drop-newest", "drop-oldest"])
def test_each_policy_keeps_its_promise_under_a_burst_from_several_threads(policy):
    q = ac.MessageQueue(maxsize=8, policy=policy)
    refused = []
    received = []
    per_thread = 2000

    def produce(tag):
        for i in range(per_thread):
            try:
                q.send((tag, i), timeout=10)
            except ac.QueueFull:
                refused.append((tag, i))

    def consume():
        while True:
            try:
                received.append(q.receive(timeout=10))
            except ac.QueueClosed:
                return

    consumer = threading.Thread(target=consume)
    producers = [threading.Thread(target=produce, args=(tag,)) for tag in range(4)]
    consumer.start()
    for p in producers:
        p.start()
    for p in producers:
        p.join(30)
    q.close()
    consumer.join(30)
    sent = 4 * per_thread
    # Every message is accounted for exactly once: received, refused to its sender, or counted as dropped.
    dropped = q.statistics().dropped
    assert len(received) + len(refused) + dropped == sent
    assert len(set(received)) == len(received)
    if policy == "block":
        assert len(received) == sent and not refused and dropped == 0
    elif policy == "raise":
        assert dropped == 0
    else:
        assert not refused
    for tag in range(4):  # whatever survives keeps each producer's order
        mine = [i for t, i in received if t == tag]
        assert mine == sorted(mine)
