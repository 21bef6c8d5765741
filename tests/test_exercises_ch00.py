"""Chapter 00's demo exercise: its answer is what the queue does, and each typical mistake gets its own hint."""

from __future__ import annotations

import re

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch00 import TRY_ME_PROGRAM
from asyncomm.course.exercises.ch02 import _run


def test_reference_is_what_the_queue_hands_out():
    assert _run(TRY_ME_PROGRAM, "first") == ac.exercises.get("00.try-me").reference
    assert TRY_ME_PROGRAM in ac.exercises.get("00.try-me").prompt


@pytest.mark.parametrize("answer", ["tea", "Tea", " 'tea' ", '"tea"'])
def test_try_me_accepts_the_message_however_quoted(answer):
    assert ac.exercises.get("00.try-me").check(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ("jam", "that is the message sent last: does a queue serve the newest message first, or the oldest?"),
        ("cake", "a queue serves messages in the order they arrived: which one arrived before all the others?"),
        ("milk", "that is not one of the messages sent: pick one of the three strings the program sends"),
        (["tea"], "answer with the message as a string, in quotes, e.g. answer = 'milk'"),
    ],
)
def test_try_me_hints(answer, hint):
    result = ac.exercises.get("00.try-me").check(answer)
    assert result.outcome is Outcome.INCORRECT
    assert result.message == hint


def test_try_me_speaks_chinese_in_the_chinese_edition():
    ex = ac.exercises.get("00.try-me")
    english = [ex.check(wrong).message for wrong in ex.wrong_answers]
    try:
        ac.set_language("zh")
        chinese = [ex.check(wrong).message for wrong in ex.wrong_answers]
        shown = [ex.name(), ex.question(), ex.hint(1), ex.hint(2), ex.solution()]
    finally:
        ac.set_language("en")
    for zh, en in zip(chinese, english, strict=True):
        assert re.search(r"[\u4e00-\u9fff]", zh) and zh != en, zh
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in shown), shown
    assert TRY_ME_PROGRAM in shown[1] and "answer = 'tea'" in shown[4]
