"""Chapter 02 exercises: references pass, typical mistakes get their hint, placeholders are 'not attempted'."""

from __future__ import annotations

import pytest

import asyncomm as ac
from asyncomm.exercises import Outcome
from asyncomm.exercises.ch02 import FIFO_PROGRAM, LISTENER_PROGRAM, _run

IDS = ["02.fifo-order", "02.listener-order", "02.count-listener"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_is_correct_and_wrong_answers_are_not(exercise_id):
    ex = ac.exercises.get(exercise_id)
    assert ex.check(ex.reference).outcome is Outcome.CORRECT
    assert ex.wrong_answers
    for wrong in ex.wrong_answers:
        result = ex.check(wrong)
        assert result.outcome is Outcome.INCORRECT, wrong
        assert repr(ex.reference) not in result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_placeholder_is_not_attempted(exercise_id):
    assert ac.exercises.get(exercise_id).check(...).outcome is Outcome.NOT_ATTEMPTED


def test_predict_references_are_what_the_library_does():
    assert _run(FIFO_PROGRAM, "q.snapshot()") == ac.exercises.get("02.fifo-order").reference
    assert _run(LISTENER_PROGRAM, "calls") == ac.exercises.get("02.listener-order").reference


def test_prompts_show_the_programs():
    assert FIFO_PROGRAM in ac.exercises.get("02.fifo-order").prompt
    assert LISTENER_PROGRAM in ac.exercises.get("02.listener-order").prompt


@pytest.mark.parametrize(("answer", "hint"), [
    (["c", "d", "e", "f"], "the queue holds at most 3 messages"),
    (["f", "d", "c"], "right messages, wrong order"),
    (["a", "b", "f"], "receive takes the *oldest* message"),
    (["c", "d"], "count again"),
    ("c, d, f", "answer with a list"),
])
def test_fifo_hints(answer, hint):
    assert hint in ac.exercises.get("02.fifo-order").check(answer).message


@pytest.mark.parametrize(("answer", "hint"), [
    (["a1", "b1", "c1", "a2", "b2"], "registered with once()"),
    (["a1", "b1", "a2"], "a listener removed during a trigger still gets that trigger"),
    (["a1", "b1", "c1", "a2", "c2"], "does c still hear the second one?"),
    (["b1", "a1", "c1", "a2"], "in the order they were registered"),
])
def test_listener_order_hints(answer, hint):
    assert hint in ac.exercises.get("02.listener-order").check(answer).message


def test_write_exercise_with_an_unwritten_body_is_not_attempted():
    def register_counter(bus, event):
        raise NotImplementedError

    assert ac.exercises.get("02.count-listener").check(register_counter).outcome is Outcome.NOT_ATTEMPTED


def test_count_listener_accepts_other_correct_solutions():
    def with_a_list(bus, event):
        seen = []
        bus.on(event)(lambda *args, **kwargs: seen.append(args))
        return lambda: len(seen)

    class Counter:
        def __init__(self):
            self.n = 0

        def hear(self, *args, **kwargs):
            self.n += 1

    def with_a_bound_method(bus, event):
        counter = Counter()
        bus.register(event, counter.hear)
        return lambda: counter.n

    ex = ac.exercises.get("02.count-listener")
    assert ex.check(with_a_list)
    assert ex.check(with_a_bound_method)


def test_count_listener_hints():
    ex = ac.exercises.get("02.count-listener")

    def counts_twice(bus, event):
        n = [0]
        bus.register(event, lambda *a, **k: n.__setitem__(0, n[0] + 1))
        bus.register(event, lambda *a, **k: None)
        return lambda: n[0]

    assert "register exactly one listener for the event (found 2" in ex.check(counts_twice).message
    assert "set answer to your function itself" in ex.check(42).message
    assert "accept whatever the trigger passes" in ex.check(ex.wrong_answers[0]).message


def test_solution_code_passes_its_own_check():
    ex = ac.exercises.get("02.count-listener")
    namespace = {}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["register_counter"]).outcome is Outcome.CORRECT
