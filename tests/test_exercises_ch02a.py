"""Chapter 02a exercises: references and worked solutions pass, typical mistakes get their hint, placeholders are
'not attempted', and no check leaves a coroutine unawaited behind it (a warning far from the mistake)."""

from __future__ import annotations

import asyncio
import re
import warnings

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome, ch02a

IDS = ["02a.breakfast", "02a.never-awaited", "02a.timeout", "02a.unblock"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_is_correct_and_wrong_answers_are_not(exercise_id):
    ex = ac.exercises.get(exercise_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert ex.check(ex.reference).outcome is Outcome.CORRECT
        assert ex.wrong_answers
        for wrong in ex.wrong_answers:
            result = ex.check(wrong)
            assert result.outcome is Outcome.INCORRECT, wrong
            assert "your code raised" not in result.message, (wrong, result.message)


@pytest.mark.parametrize("exercise_id", IDS)
def test_placeholder_and_unwritten_body_are_not_attempted(exercise_id):
    ex = ac.exercises.get(exercise_id)
    assert ex.check(...).outcome is Outcome.NOT_ATTEMPTED

    async def unwritten(*args):
        raise NotImplementedError

    assert ex.check(unwritten).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_worked_solution_is_code_that_passes(exercise_id):
    ex = ac.exercises.get(exercise_id)
    namespace = {"asyncio": asyncio}
    exec(ex.solution(), namespace)
    name = {"02a.breakfast": "breakfast", "02a.timeout": "fetch_or_none"}.get(exercise_id, "fixed")
    assert ex.check(namespace[name]).outcome is Outcome.CORRECT


@pytest.mark.parametrize(
    ("exercise_id", "answer", "hint"),
    [
        ("02a.breakfast", ch02a._breakfast_one_after_the_other, "it took 5 s"),
        ("02a.breakfast", ch02a._breakfast_not_awaited, "only makes a coroutine object"),
        ("02a.breakfast", ch02a._breakfast_gather_not_awaited, "write `await asyncio.gather(...)`"),
        ("02a.breakfast", ch02a._breakfast_reversed, "coffee first"),
        ("02a.breakfast", ch02a._breakfast_functions_not_called, "you passed the functions themselves"),
        ("02a.breakfast", ch02a._breakfast_task_group_functions_not_called, "you passed the functions themselves"),
        ("02a.never-awaited", ch02a.remind_all, "was never awaited"),
        ("02a.never-awaited", ch02a._remind_all_with_tasks_left_behind, "create_task is only started"),
        ("02a.timeout", ch02a._fetch_without_deadline, "give up in time"),
        ("02a.timeout", ch02a._fetch_timeout_not_caught, "TimeoutError escaped"),
        ("02a.timeout", ch02a._fetch_left_running, "went on running"),
        ("02a.timeout", ch02a._fetch_waits_out_the_deadline, "should return its page at t=2s"),
        ("02a.unblock", ch02a.poll, "runs on the event loop's own thread"),
        ("02a.unblock", ch02a._poll_after_a_yield, "runs on the event loop's own thread"),
        ("02a.unblock", ch02a._poll_called_first, "pass the function and its argument"),
        ("02a.unblock", ch02a._poll_not_awaited, "await it"),
    ],
)
def test_hints_name_the_mistake(exercise_id, answer, hint):
    assert hint in ac.exercises.get(exercise_id).check(answer).message


def test_other_correct_forms_pass():
    async def with_task_group(make_coffee, make_toast):
        async with asyncio.TaskGroup() as tg:
            coffee, toast = tg.create_task(make_coffee()), tg.create_task(make_toast())
        return (coffee.result(), toast.result())

    assert ac.exercises.get("02a.breakfast").check(with_task_group)
    assert ac.exercises.get("02a.never-awaited").check(ch02a._remind_all_concurrently)
    assert ac.exercises.get("02a.timeout").check(ch02a._fetch_with_wait_for)
    assert ac.exercises.get("02a.unblock").check(ch02a._poll_in_executor)


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answers_get_chinese_feedback_in_the_chinese_edition(exercise_id):
    ex = ac.exercises.get(exercise_id)
    english = [ex.check(wrong).message for wrong in ex.wrong_answers]
    ac.set_language("zh")
    try:
        chinese = [ex.check(wrong).message for wrong in ex.wrong_answers]
        assert re.search(r"[\u4e00-\u9fff]", ex.name() + ex.question() + ex.solution())
        assert ex.check(ex.reference).outcome is Outcome.CORRECT
    finally:
        ac.set_language("en")
    for wrong, en, zh in zip(ex.wrong_answers, english, chinese, strict=True):
        assert re.search(r"[\u4e00-\u9fff]", zh), (wrong, zh)
        assert zh != en, wrong
