"""Chapter 04 exercises: reference passes, typical mistakes get their specific hint, the seed's own class fails."""

from __future__ import annotations

from typing import Any

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch04 import SEED_BUG_MENU, SEED_BUGS

IDS = ["04.predict-crash", "04.find-bugs", "04.fix-trigger"]


def test_predict_crash_accepts_the_class_or_its_name() -> None:
    ex = ac.exercises.get("04.predict-crash")
    assert ex.check("TypeError")
    assert ex.check(TypeError)
    assert ex.check(AttributeError).message.startswith("every attribute main() uses exists")


@pytest.mark.parametrize(
    "answer",
    [
        "typeerror",
        " TypeError",
        "builtins.TypeError",
        "TypeError()",
        "'TypeError'",
        "Type Error",
        TypeError,
        TypeError("x"),
    ],
)
def test_predict_crash_accepts_the_class_in_any_reasonable_form(answer: object) -> None:
    assert ac.exercises.get("04.predict-crash").check(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize(
    ("answer", "start"),
    [
        (ValueError("x"), "not that one: compare how trigger_event() calls a listener"),
        ("builtins.ValueError", "not that one: compare how trigger_event() calls a listener"),
        ("queue.Empty()", "nothing in main() waits with a timeout"),
        ("attributeerror", "every attribute main() uses exists"),
        ("", "give an exception class such as ValueError (or its name as a string)"),
        (None, "give an exception class such as ValueError (or its name as a string)"),
    ],
)
def test_predict_crash_wrong_forms(answer: object, start: str) -> None:
    assert ac.exercises.get("04.predict-crash").check(answer).message.startswith(start)


def test_predict_crash_reference_is_what_the_seed_raises() -> None:
    namespace: dict[str, Any] = {"__name__": "seed_example"}
    exec(ac.course.data_path("seed_example.py").read_text(encoding="utf-8"), namespace)
    with pytest.raises(ac.exercises.get("04.predict-crash").reference):
        namespace["main"]()


def test_find_bugs_counts_without_naming() -> None:
    ex = ac.exercises.get("04.find-bugs")
    some = set(sorted(SEED_BUGS)[:3])
    assert ex.check(some).message == f"you found 3 of the {len(SEED_BUGS)} bugs and hazards"
    assert ex.check(some | {"fifo-broken"}).message == (
        f"you found 3 of the {len(SEED_BUGS)} bugs and hazards; 1 of your labels describes something the code "
        f"gets right"
    )
    assert ex.check(list(SEED_BUGS)).outcome is Outcome.CORRECT  # a list works as well as a set
    assert ex.check({"nope"}).message == "not on the menu: 'nope'; copy the labels exactly"
    for label in SEED_BUG_MENU:
        assert label in ex.prompt
    for label in SEED_BUGS:  # the hint never names a label
        assert label not in ex.check(set()).message


def test_fix_trigger_rejects_the_seeds_own_class() -> None:
    namespace: dict[str, Any] = {"__name__": "seed_example"}
    exec(ac.course.data_path("seed_example.py").read_text(encoding="utf-8"), namespace)
    result = ac.exercises.get("04.fix-trigger").check(namespace["EventDriver"])
    assert result.outcome is Outcome.INCORRECT
    assert result.message == (
        "trigger_event() still takes no data: give it parameters and pass them on to each listener"
    )


def test_fix_trigger_hints() -> None:
    ex = ac.exercises.get("04.fix-trigger")

    class LiveList:
        def __init__(self) -> None:
            self.events: list[Any] = []

        def register_listener(self, listener: Any) -> None:
            self.events.append(listener)

        def trigger_event(self, *args: Any, **kwargs: Any) -> None:
            for listener in self.events:
                listener(*args, **kwargs)

        def remove_listener(self, listener: Any) -> None:
            self.events.remove(listener)

    class DataDropped(LiveList):
        def trigger_event(self, *args: Any, **kwargs: Any) -> None:
            for listener in list(self.events):
                listener()

    class NoKwargs(LiveList):
        def trigger_event(self, *args: Any, **kwargs: Any) -> None:
            for listener in list(self.events):
                listener(*args)

    class Fixed(LiveList):
        def trigger_event(self, *args: Any, **kwargs: Any) -> None:
            for listener in self.events[:]:
                listener(*args, **kwargs)

    assert ex.check(LiveList).message.startswith("a listener that removed itself during trigger_event()")
    assert ex.check(DataDropped).message == (
        "a listener did not receive the event's data: pass trigger_event's arguments on to it"
    )
    assert ex.check(NoKwargs).message == "keyword data was lost: pass on **kwargs as well as *args"
    assert ex.check(Fixed).outcome is Outcome.CORRECT
    assert ex.check("FixedEventDriver").message.startswith("set answer to your class itself")


def test_fix_trigger_solution_runs_and_passes() -> None:
    ex = ac.exercises.get("04.fix-trigger")
    namespace: dict[str, Any] = {}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["FixedEventDriver"]).outcome is Outcome.CORRECT
    assert ex.solution().rstrip().endswith("\n\nanswer = FixedEventDriver")  # what the notebook's cell checks
    assert namespace["answer"] is namespace["FixedEventDriver"]


def test_fix_trigger_a_trigger_event_that_refuses_keywords_is_told_to_pass_kwargs() -> None:
    class OneMessage:
        def __init__(self) -> None:
            self.events: list[Any] = []

        def register_listener(self, listener: Any) -> None:
            self.events.append(listener)

        def trigger_event(self, message: Any) -> None:
            for listener in list(self.events):
                listener(message)

        def remove_listener(self, listener: Any) -> None:
            self.events.remove(listener)

    assert ac.exercises.get("04.fix-trigger").check(OneMessage).message == (
        "keyword data was lost: pass on **kwargs as well as *args (trigger_event('Hello', sender='main') raised "
        "TypeError: test_fix_trigger_a_trigger_event_that_refuses_keywords_is_told_to_pass_kwargs.<locals>."
        "OneMessage.trigger_event() got an unexpected keyword argument 'sender')"
    )


def test_predict_crash_solution_opens_with_the_answer() -> None:
    ex = ac.exercises.get("04.predict-crash")
    namespace: dict[str, Any] = {}
    exec(ex.solution(), namespace)
    assert namespace["answer"] is TypeError


def test_the_chapter_registers_exactly_these_exercises():
    assert sorted(ex.id for ex in ac.exercises.all_exercises() if ex.id.startswith("04.")) == sorted(IDS)
