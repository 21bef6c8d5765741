"""Chapter 04 exercises: reference passes, typical mistakes get their specific hint, the seed's own class fails."""

from __future__ import annotations

from typing import Any

import pytest

import asyncomm as ac
from asyncomm.exercises import Outcome
from asyncomm.exercises.ch04 import SEED_BUG_MENU, SEED_BUGS

IDS = ["04.predict-crash", "04.find-bugs", "04.fix-trigger"]




def test_predict_crash_accepts_the_class_or_its_name() -> None:
    ex = ac.exercises.get("04.predict-crash")
    assert ex.check("TypeError")
    assert ex.check(TypeError)
    assert ex.check(AttributeError).message.startswith("every attribute main() uses exists")


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
        f"gets right")
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
    assert result.message == ("trigger_event() still takes no data: give it parameters and pass them on "
                              "to each listener")


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
    assert ex.check(DataDropped).message == ("a listener did not receive the event's data: pass trigger_event's "
                                             "arguments on to it")
    assert ex.check(NoKwargs).message == "keyword data was lost: pass on **kwargs as well as *args"
    assert ex.check(Fixed).outcome is Outcome.CORRECT
    assert ex.check("FixedEventDriver").message.startswith("set answer to your class itself")


def test_fix_trigger_solution_runs_and_passes() -> None:
    ex = ac.exercises.get("04.fix-trigger")
    namespace: dict[str, Any] = {}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["FixedEventDriver"]).outcome is Outcome.CORRECT


def test_the_chapter_registers_exactly_these_exercises():
    assert sorted(ex.id for ex in ac.exercises.all_exercises() if ex.id.startswith("04.")) == sorted(IDS)
