"""The hand-built queues of chapter 03 and their cost model."""

from __future__ import annotations

import gc
import re
from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

import asyncomm as ac
from asyncomm.labs.structures import (
    STRUCTURES,
    ArrayQueue,
    Cost,
    DequeQueue,
    LinkedListQueue,
    RingBufferQueue,
    count_moves,
    measure_costs,
    model_moves,
)

OWN = [ArrayQueue, LinkedListQueue, DequeQueue, lambda: RingBufferQueue(8)]
OWN_IDS = ["array", "linked", "deque", "ring"]


@pytest.mark.parametrize("make", OWN, ids=OWN_IDS)
def test_fifo_order_and_len(make):
    q = make()
    for msg in "abc":
        q.send(msg)
    assert len(q) == 3
    assert [q.receive() for _ in range(3)] == ["a", "b", "c"]
    assert len(q) == 0


@pytest.mark.parametrize("make", OWN, ids=OWN_IDS)
def test_interleaved_sends_and_receives_stay_fifo(make):
    q = make()
    q.send(1)
    q.send(2)
    assert q.receive() == 1
    q.send(3)
    assert q.receive() == 2
    q.send(4)
    assert [q.receive(), q.receive()] == [3, 4]


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (ArrayQueue, "ArrayQueue"),
        (LinkedListQueue, "LinkedListQueue"),
        (DequeQueue, "DequeQueue"),
        (lambda: RingBufferQueue(2), "RingBufferQueue"),
    ],
)
def test_receive_on_empty_raises_queue_empty(make, kind):
    q = make()
    with pytest.raises(ac.QueueEmpty, match=re.escape(f"{kind} is empty; send a message first")):
        q.receive()
    q.send("x")
    q.receive()
    with pytest.raises(ac.QueueEmpty):
        q.receive()


def test_linked_list_reuses_tail_after_emptying():
    q = LinkedListQueue()
    q.send("a")
    q.receive()
    q.send("b")
    q.send("c")
    assert [q.receive(), q.receive()] == ["b", "c"]


def test_ring_wraps_around_and_frees_slots():
    q = RingBufferQueue(3)
    for msg in "abc":
        q.send(msg)
    assert q.receive() == "a"
    assert q.receive() == "b"
    q.send("d")
    q.send("e")
    assert q.slots == ["d", "e", "c"]
    assert (q.head, q.tail) == (2, 2)
    assert [q.receive(), q.receive(), q.receive()] == ["c", "d", "e"]
    assert q.slots == [None, None, None]
    assert (q.head, q.tail, len(q)) == (2, 2, 0)


def test_ring_full_raises_queue_full_and_keeps_contents():
    q = RingBufferQueue(2)
    q.send("a")
    q.send("b")
    with pytest.raises(
        ac.QueueFull,
        match=re.escape("RingBufferQueue is full (2 slots); receive some first, or create it with a larger capacity"),
    ):
        q.send("c")
    assert [q.receive(), q.receive()] == ["a", "b"]
    one = RingBufferQueue(1)
    one.send(0)
    with pytest.raises(ac.QueueFull, match=re.escape("(1 slot)")):
        one.send(1)


@pytest.mark.parametrize(
    ("capacity", "error", "message"),
    [
        (0, ValueError, "capacity must be an int >= 1 (a number of slots), got 0"),
        (-3, ValueError, "capacity must be an int >= 1 (a number of slots), got -3"),
        (2.0, TypeError, "capacity must be an int (a number of slots), got 2.0 (float)"),
        (True, TypeError, "capacity must be an int (a number of slots), got True (bool)"),
    ],
)
def test_ring_capacity_is_checked(capacity, error, message):
    with pytest.raises(error, match=re.escape(message)):
        RingBufferQueue(capacity)


def test_reprs():
    q = RingBufferQueue(4)
    q.send(1)
    assert repr(q) == "<RingBufferQueue: 1 message, capacity 4>"
    assert q.capacity == 4
    assert repr(ArrayQueue()) == "<ArrayQueue: 0 messages>"
    assert repr(LinkedListQueue()) == "<LinkedListQueue: 0 messages>"
    assert repr(DequeQueue()) == "<DequeQueue: 0 messages>"


# Any sequence of sends and receives behaves like collections.deque.
operations = st.lists(st.one_of(st.integers(0, 99), st.none()), max_size=60)


@given(operations)
@pytest.mark.parametrize(
    "make", [ArrayQueue, LinkedListQueue, lambda: RingBufferQueue(5)], ids=["array", "linked", "ring"]
)
def test_behaves_like_a_deque(make, ops):
    q, model = make(), deque()
    for op in ops:
        if op is None:  # receive
            if model:
                assert q.receive() == model.popleft()
            else:
                with pytest.raises(ac.QueueEmpty):
                    q.receive()
        elif isinstance(q, RingBufferQueue) and len(model) == q.capacity:
            with pytest.raises(ac.QueueFull):
                q.send(op)
        else:
            q.send(op)
            model.append(op)
        assert len(q) == len(model)


# -- the cost model ------------------------------------------------------------------------


def test_array_receive_moves_the_elements_behind_the_head():
    q = ArrayQueue()
    for msg in range(5):
        q.send(msg)
    q.receive()
    assert q.moves == 4
    q.receive()
    assert q.moves == 4 + 3
    q.send(5)  # appending moves nothing
    assert q.moves == 7
    q.receive()
    assert q.moves == 7 + 3


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 257])
def test_counted_moves_match_the_model(n):
    for name in ("array (list.pop(0))", "linked list", "ring buffer"):
        assert count_moves(STRUCTURES[name], n) == model_moves(name, n)


def test_model_is_quadratic_for_arrays_only():
    assert [model_moves("array (list.pop(0))", n) for n in (0, 1, 2, 4, 1000)] == [0, 0, 1, 6, 499500]
    for name in STRUCTURES:
        if not name.startswith("array"):
            assert model_moves(name, 1000) == 0


def test_count_moves_needs_a_counter():
    with pytest.raises(TypeError, match=re.escape("MessageQueue does not count its element moves (no .moves")):
        count_moves(STRUCTURES["ac.MessageQueue"], 3)
    with pytest.raises(TypeError, match=re.escape("DequeQueue does not count")):
        count_moves(STRUCTURES["collections.deque"], 3)


@pytest.mark.parametrize(
    ("n", "error", "message"),
    [
        (-1, ValueError, "n must be an int >= 0 (a number of messages), got -1"),
        (2.5, TypeError, "n must be an int (a number of messages), got 2.5 (float)"),
    ],
)
def test_n_is_checked(n, error, message):
    with pytest.raises(error, match=re.escape(message)):
        model_moves("linked list", n)
    with pytest.raises(error, match=re.escape(message)):
        count_moves(STRUCTURES["linked list"], n)


def test_model_rejects_unknown_structure():
    with pytest.raises(ValueError, match=re.escape("unknown structure 'heap'; choose one of ['array (list.pop(0))'")):
        model_moves("heap", 3)


def test_every_structure_runs_the_workload():
    for name, make in STRUCTURES.items():
        q = make(50)
        for i in range(50):
            q.send(i)
        assert [q.receive() for _ in range(50)] == list(range(50)), name
        assert len(q) == 0


def test_measure_costs_uses_the_timer_and_keeps_the_best_run():
    ticks = iter([0.0, 5.0, 10.0, 12.0, 20.0, 23.0, 30.0, 38.0])  # runs of 5, 2 | 3, 8 seconds

    costs = measure_costs([4, 8], {"linked list": STRUCTURES["linked list"]}, repeat=2, timer=lambda: next(ticks))

    assert costs == [Cost("linked list", 4, 2.0, 2.0 / 8 * 1e6), Cost("linked list", 8, 3.0, 3.0 / 16 * 1e6)]


def test_measure_costs_defaults_to_every_structure():
    costs = measure_costs([0, 3], repeat=1)
    assert [(c.structure, c.n) for c in costs] == [(name, n) for name in STRUCTURES for n in (0, 3)]
    assert all(c.seconds >= 0 for c in costs)
    assert all(c.per_op_us == 0.0 for c in costs if c.n == 0)


@pytest.mark.parametrize("repeat", [0, -1])
def test_measure_costs_checks_repeat(repeat):
    with pytest.raises(ValueError, match=re.escape(f"repeat must be an int >= 1, got {repeat!r}")):
        measure_costs([1], repeat=repeat)


@pytest.mark.parametrize("repeat", [1.5, True])
def test_measure_costs_checks_the_type_of_repeat(repeat):
    with pytest.raises(TypeError, match=re.escape(f"repeat must be an int, got {repeat!r} ({type(repeat).__name__})")):
        measure_costs([1], repeat=repeat)


@pytest.mark.parametrize(("gc_off", "during"), [(True, False), (False, True)])
def test_measure_costs_pauses_the_garbage_collector_only_while_timing(gc_off, during):
    seen = []

    def timer():
        seen.append(gc.isenabled())
        return 0.0

    assert gc.isenabled()
    measure_costs([2], {"ring buffer": STRUCTURES["ring buffer"]}, repeat=1, timer=timer, gc_off=gc_off)
    assert seen == [during, during]
    assert gc.isenabled()


def test_measure_costs_leaves_a_disabled_collector_disabled():
    gc.disable()
    try:
        measure_costs([2], {"ring buffer": STRUCTURES["ring buffer"]}, repeat=1)
        assert not gc.isenabled()
    finally:
        gc.enable()
