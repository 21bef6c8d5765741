"""Chapter 03b exercises: references pass, typical mistakes get their hint, placeholders are 'not attempted'."""

from __future__ import annotations

import math
import re

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch03b import LARGEST_MAXSIZE, SIZING_CASES, smallest_maxsize
from asyncomm.labs.queueing import MM1K

IDS = ["03b.littles-law", "03b.mm1-wait", "03b.smallest-maxsize"]


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


_CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answers_get_chinese_feedback_in_the_chinese_edition(exercise_id):
    ex = ac.exercises.get(exercise_id)
    english = [ex.check(wrong).message for wrong in ex.wrong_answers]
    ac.set_language("zh")
    try:
        chinese = [ex.check(wrong).message for wrong in ex.wrong_answers]
        texts = [ex.name(), ex.question(), ex.solution(), *(ex.hint(n + 1) for n in range(len(ex.hints)))]
        assert ex.check(ex.reference).outcome is Outcome.CORRECT
    finally:
        ac.set_language("en")
    for wrong, en, zh in zip(ex.wrong_answers, english, chinese, strict=True):
        assert _CHINESE.search(zh) and zh != en, (wrong, zh)
    assert all(_CHINESE.search(text) for text in texts)


def message(exercise_id, answer):
    return ac.exercises.get(exercise_id).check(answer).message


def test_littles_law_reference_is_lambda_times_w_and_holds_on_a_simulated_queue():
    from asyncomm.labs.queueing import littles_law, simulate_mm1

    ex = ac.exercises.get("03b.littles-law")
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
    assert ac.exercises.get("03b.littles-law").check(answer).message.startswith(hint)


def test_mm1_wait_reference_is_the_theory_and_the_simulation():
    from asyncomm.labs.queueing import MM1, simulate_mm1

    ex = ac.exercises.get("03b.mm1-wait")
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
    assert ac.exercises.get("03b.mm1-wait").check(answer).message.startswith(hint)


def test_number_answers_take_any_real_number():
    from fractions import Fraction

    assert ac.exercises.get("03b.littles-law").check(Fraction(10))
    assert ac.exercises.get("03b.mm1-wait").check(Fraction(1, 1))


# -- 03b.smallest-maxsize ----------------------------------------------------------------------------------------------


def test_smallest_maxsize_is_the_first_that_meets_the_target_and_the_one_before_does_not():
    for arrival_rate, service_rate, max_drop in SIZING_CASES:
        m = smallest_maxsize(arrival_rate, service_rate, max_drop)
        if m is None:  # impossible: the drops level off at 1 - 1/rho, above the target
            assert max_drop < 1 - service_rate / arrival_rate
            assert MM1K.from_queue(LARGEST_MAXSIZE, arrival_rate, service_rate).blocking_probability > max_drop
            continue
        assert MM1K.from_queue(m, arrival_rate, service_rate).blocking_probability <= max_drop
        if m > 1:
            assert MM1K.from_queue(m - 1, arrival_rate, service_rate).blocking_probability > max_drop
    # at rho = 1 every state is equally likely: P(K) = 1 / (K + 1) <= 0.1 from K = 9, that is maxsize 8
    assert smallest_maxsize(1.0, 1.0, 0.1) == 8


def test_smallest_maxsize_unwritten_body_is_not_attempted_and_the_solution_passes():
    ex = ac.exercises.get("03b.smallest-maxsize")

    def unwritten(arrival_rate, service_rate, max_drop):
        raise NotImplementedError

    assert ex.check(unwritten).outcome is Outcome.NOT_ATTEMPTED
    for language in ("en", "zh"):
        ac.set_language(language)
        try:
            solution = ex.solution()
        finally:
            ac.set_language("en")
        namespace = {"ac": ac}
        exec(solution, namespace)
        assert ex.check(namespace["answer"]).outcome is Outcome.CORRECT


@pytest.mark.parametrize(
    ("index", "hint"),
    [
        (0, "one too many. A queue of maxsize m with one consumer holds K = m + 1"),
        (1, "gave 0: start at maxsize 1"),
        (2, "no maxsize reaches that target"),
        (3, "with that maxsize more than 0.05 of the messages are dropped"),
        (4, "not the share dropped"),
        (5, "set answer to your function itself"),
        (6, "maxsize 8 drops exactly 0.1 of the messages, and 'at most' includes equality: compare with <="),
    ],
)
def test_smallest_maxsize_hints_name_the_mistake(index, hint):
    ex = ac.exercises.get("03b.smallest-maxsize")
    assert hint in ex.check(ex.wrong_answers[index]).message


def test_smallest_maxsize_too_large_and_none_when_possible_are_named():
    def too_large(arrival_rate, service_rate, max_drop):
        m = smallest_maxsize(arrival_rate, service_rate, max_drop)
        return None if m is None else m + 2

    def always_none(arrival_rate, service_rate, max_drop):
        return None

    assert message("03b.smallest-maxsize", too_large).endswith(
        "a smaller maxsize already drops at most 0.05; return the smallest"
    )
    assert message("03b.smallest-maxsize", always_none) == (
        "smallest_maxsize(0.9, 1, 0.05) gave None, but some maxsize up to 1000 meets that target"
    )
