"""Chapter 03 exercises: references pass, typical mistakes get their hint, placeholders are 'not attempted'."""

from __future__ import annotations

import functools
import math

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch02 import _run
from asyncomm.course.exercises.ch03 import LOOP_PROGRAM, Ring, register_loggers
from asyncomm.labs.structures import ArrayQueue

IDS = [
    "03.array-moves",
    "03.ring-receive",
    "03.closure-in-a-loop",
    "03.loop-order",
    "03.finish-order",
    "03.littles-law",
    "03.mm1-wait",
]


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_is_correct_and_wrong_answers_are_not(exercise_id):
    ex = ac.exercises.get(exercise_id)
    assert ex.check(ex.reference).outcome is Outcome.CORRECT
    assert ex.wrong_answers
    for wrong in ex.wrong_answers:
        assert ex.check(wrong).outcome is Outcome.INCORRECT, wrong


@pytest.mark.parametrize("exercise_id", IDS)
def test_placeholder_is_not_attempted(exercise_id):
    assert ac.exercises.get(exercise_id).check(...).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise_id", ["03.ring-receive", "03.closure-in-a-loop"])
def test_unwritten_body_is_not_attempted(exercise_id):
    def unwritten(*args):
        raise NotImplementedError

    assert ac.exercises.get(exercise_id).check(unwritten).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise_id", ["03.ring-receive", "03.closure-in-a-loop"])
def test_solution_code_passes_its_own_check(exercise_id):
    ex = ac.exercises.get(exercise_id)
    namespace = {"ac": ac}
    exec(ex.solution(), namespace)
    name = "ring_receive" if exercise_id == "03.ring-receive" else "register_loggers"
    assert ex.check(namespace[name]).outcome is Outcome.CORRECT


def test_array_moves_reference_is_what_the_queue_counts():
    q = ArrayQueue()
    for i in range(6):
        q.send(i)
    for _ in range(6):
        q.receive()
    assert q.moves == ac.exercises.get("03.array-moves").reference


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (0, "pop(0) is not free"),
        (36, "not n per receive"),
        (21, "the first finds n - 1, not n"),
        (True, "whole number"),
    ],
)
def test_array_moves_hints(answer, hint):
    assert hint in ac.exercises.get("03.array-moves").check(answer).message


def test_the_shipped_buggy_code_shows_the_bug():
    registry, log = ac.CallbackRegistry(), []
    register_loggers(registry, ["a", "b", "c"], log)
    registry.trigger()
    assert log == ["c", "c", "c"]


def test_closure_fix_with_partial_is_accepted():
    def fixed(registry, names, log):
        for name in names:
            registry.register(functools.partial(log.append, name))

    assert ac.exercises.get("03.closure-in-a-loop").check(fixed)


def test_closure_hints():
    ex = ac.exercises.get("03.closure-in-a-loop")
    assert "every callback logged the last name" in ex.check(register_loggers).message
    assert "set fixed to your corrected function itself" in ex.check(None).message

    def registered_once(registry, names, log):
        callbacks = [registry.once(lambda name=name: log.append(name)) for name in names]
        del callbacks

    assert "keep the callbacks registered" in ex.check(registered_once).message


def test_ring_helper_sends_and_refuses_when_full():
    ring = Ring.empty(2)
    ring.send("a")
    ring.send("b")
    assert ring == Ring(["a", "b"], 0, 2)
    with pytest.raises(ac.QueueFull, match=r"the ring is full \(2 slots\)"):
        ring.send("c")
    ring.slots[0], ring.head, ring.count = None, 1, 1
    ring.send("c")
    assert ring.slots == ["c", "b"]


def test_ring_hints():
    ex = ac.exercises.get("03.ring-receive")

    def raises_index_error_when_empty(ring):
        if ring.count == 0:
            raise IndexError("empty")
        return ex.reference(ring)

    def changes_ring_when_empty(ring):
        if ring.count == 0:
            ring.head = 1
            raise ac.QueueEmpty("empty")
        return ex.reference(ring)

    assert "not IndexError" in ex.check(raises_index_error_when_empty).message
    assert "leave the ring as it was" in ex.check(changes_ring_when_empty).message
    assert "wrap around" in ex.check(ex.wrong_answers[0]).message
    assert "newest message" in ex.check(ex.wrong_answers[1]).message


def test_loop_order_reference_is_what_asyncio_does():
    assert _run(LOOP_PROGRAM, "log") == ac.exercises.get("03.loop-order").reference


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (["A", "B", "C", "main", "later 1s", "later 2s"], "do not call anything now"),
        (["main", "A", "C", "B", "later 1s", "later 2s"], "C joins it only when A runs"),
        (["main", "A", "B", "C", "later 2s", "later 1s"], "order of their due time"),
        (["main", "later 1s", "A", "B", "C", "later 2s"], "callbacks that are ready (call_soon) run first"),
        (["main", "A", "B"], "every append in the program runs exactly once"),
    ],
)
def test_loop_order_hints(answer, hint):
    assert hint in ac.exercises.get("03.loop-order").check(answer).message


def test_littles_law_reference_is_lambda_times_w_and_holds_on_a_simulated_queue():
    from asyncomm.labs.queueing import littles_law, simulate_mm1

    ex = ac.exercises.get("03.littles-law")
    assert ex.reference == pytest.approx(littles_law(arrival_rate=200, W=0.050))
    # any stable queue with 200 arrivals per second and a mean stay of 50 ms holds about 10: M/M/1 with
    # mu = 220 /s has W = 1 / (220 - 200) = 50 ms
    r = simulate_mm1(200.0, 220.0, customers=200_000, seed=3)
    assert math.isclose(r.L, r.effective_arrival_rate * r.W, rel_tol=0.02)
    assert math.isclose(r.L, ex.reference, rel_tol=0.1)
    assert ex.check(10.0) and ex.check(200 * 0.05)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (10_000, "mind the units"),
        (4000, "Little's law multiplies"),
        (3, "use Little's law, L = λ × W"),
        ("10", "answer with a number"),
    ],
)
def test_littles_law_hints(answer, hint):
    assert ac.exercises.get("03.littles-law").check(answer).message.startswith(hint)


def test_mm1_wait_reference_is_the_theory_and_the_simulation():
    from asyncomm.labs.queueing import MM1, simulate_mm1

    ex = ac.exercises.get("03.mm1-wait")
    assert ex.reference == pytest.approx(MM1(9.0, 10.0).W)
    assert math.isclose(simulate_mm1(9.0, 10.0, customers=500_000, seed=2).W, ex.reference, rel_tol=0.1)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (0.1, "that is the service time alone"),
        (0.9, "that is Wq"),
        (9, "that is L"),
        (1 / 9, "that is the mean gap between arrivals"),
        (2.0, "for M/M/1, W = 1 / (μ − λ)"),
        (None, "answer with a number of seconds"),
    ],
)
def test_mm1_wait_hints(answer, hint):
    assert ac.exercises.get("03.mm1-wait").check(answer).message.startswith(hint)


# -- answers in any reasonable form; hints that name the mistake -----------------------------------------------------


def message(exercise_id, answer):
    return ac.exercises.get(exercise_id).check(answer).message


def test_array_moves_accepts_a_float_that_is_a_whole_number():
    ex = ac.exercises.get("03.array-moves")
    assert ex.check(6 * 5 / 2).outcome is Outcome.CORRECT
    assert ex.check(21.0).message == message("03.array-moves", 21)
    assert ex.check(15.5).message == "answer with a whole number of element moves"


def test_ring_receive_names_the_standard_librarys_empty_and_a_head_reset():
    import queue

    ex = ac.exercises.get("03.ring-receive")

    def raises_queue_empty(ring):
        if ring.count == 0:
            raise queue.Empty
        return ex.reference(ring)

    def resets_head_when_empty(ring):
        msg = ex.reference(ring)
        if ring.count == 0:
            ring.head = 0
        return msg

    assert ex.check(raises_queue_empty).message == (
        "on an empty ring raise ac.QueueEmpty (asyncomm's), not the standard library's queue.Empty"
    )
    assert ex.check(resets_head_when_empty).message == (
        "when the ring became empty your receive set ring.head back to 0: move head on by one (with %), do not reset it"
    )


@pytest.mark.parametrize(
    "answer", [("main", "A", "B", "C", "later 1s", "later 2s"), ["MAIN", "a", "b", "c", "Later 1s", " 'later  2s' "]]
)
def test_loop_order_accepts_a_tuple_and_any_case(answer):
    assert ac.exercises.get("03.loop-order").check(answer).outcome is Outcome.CORRECT


def test_loop_order_names_the_strings_that_do_not_match():
    assert message("03.loop-order", ["main", "A", "B", "C", "later 1", "later 2"]) == (
        "'later 1' is not a string the program appends"
    )
    assert message("03.loop-order", ("main", "a", "b", "c", "D", "later 2s")) == (
        "'D' is not a string the program appends"
    )
    assert message("03.loop-order", ("main", "c", "a", "b", "later 1s", "later 2s")).startswith(
        "the ready queue is FIFO"
    )


@pytest.mark.parametrize("answer", [("third", "first", "second", "main"), ["Third", "FIRST", " second", "'main'"]])
def test_finish_order_accepts_a_tuple_and_any_case(answer):
    assert ac.exercises.get("03.finish-order").check(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            ["third", "first", "main", "second"],
            "main awaits the other three tasks, one after the other: it cannot finish before all of them have finished",
        ),
        (
            ("Main", "Third", "First", "Second"),
            "main awaits the other three tasks, one after the other: it cannot finish before all of them have finished",
        ),
        (["third", "first", "second"], "list every task exactly once, main included: first, second, third and main"),
        (
            ("first", "third", "second", "main"),
            "the ready queue is first in, first out: after each sleep(0) a task "
            "goes to the back of the line; step the program in the loop widget",
        ),
    ],
)
def test_finish_order_hints(answer, expected):
    assert message("03.finish-order", answer) == expected


def test_number_answers_take_any_real_number():
    from fractions import Fraction

    assert ac.exercises.get("03.littles-law").check(Fraction(10))
    assert ac.exercises.get("03.mm1-wait").check(Fraction(1, 1))
