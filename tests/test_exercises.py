"""Every exercise of the course: its solution passes its own check, typical wrong answers are
rejected with a hint, and the shipped placeholder reads as "not attempted"."""

from __future__ import annotations

import re
from collections import Counter

import pytest

import asyncomm as ac
from asyncomm.exercises import Outcome

EXERCISES = ac.exercises.all_exercises()
IDS = [ex.id for ex in EXERCISES]


def test_at_least_16_exercises_two_per_chapter_and_all_kinds():
    assert len(EXERCISES) >= 16
    per_chapter = Counter(ex.id.split(".")[0] for ex in EXERCISES)
    for chapter in ("01", "02", "03", "04", "05", "06", "07"):
        assert per_chapter[chapter] >= 2, f"chapter {chapter} has {per_chapter[chapter]} exercise(s)"
    assert {ex.kind for ex in EXERCISES} == {"predict", "write", "fix"}


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_reference_answer_is_correct(ex):
    result = ex.check(ex.reference)
    assert result.outcome is Outcome.CORRECT, result


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_wrong_answers_are_rejected_with_a_hint_that_hides_the_answer(ex):
    assert ex.wrong_answers, f"{ex.id} lists no typical wrong answer"
    for wrong in ex.wrong_answers:
        result = ex.check(wrong)
        assert result.outcome is Outcome.INCORRECT, (wrong, result)
        assert result.message
        if isinstance(ex.reference, (int, float, str)) and not isinstance(ex.reference, bool) and \
                len(str(ex.reference)) > 1:
            assert str(ex.reference) not in result.message, f"{ex.id}'s hint gives the answer away"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_placeholder_is_not_attempted(ex):
    assert ex.check(...).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_hints_and_solution(ex):
    assert ex.hint(1)
    assert ex.solution().strip()
    with pytest.raises(ValueError, match=re.escape(f"exercise {ex.id} has {len(ex.hints)} hint(s)")):
        ex.hint(len(ex.hints) + 1)


def test_a_function_that_still_raises_not_implemented_is_not_attempted():
    ex = ac.exercises.Exercise("99.x", "t", "write", "p", judge=lambda fn: None if fn(2) == 4 else "no",
                               hints=["h"], solution_text="s", reference=lambda n: n * 2)

    def placeholder(n):
        raise NotImplementedError

    assert ex.check(placeholder).outcome is Outcome.NOT_ATTEMPTED
    assert repr(ex.check(lambda n: 1 / 0)) == (
        "❌ [99.x] incorrect: your code raised ZeroDivisionError: division by zero")


def test_unknown_exercise_id_lists_the_ids():
    with pytest.raises(ValueError, match=re.escape("no exercise 'nope'; the ids are: ")):
        ac.exercises.get("nope")
