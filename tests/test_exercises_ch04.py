"""Chapter 04 exercises: reference passes, typical mistakes get their specific hint, the seed's own class fails."""

from __future__ import annotations

import queue
import re
from typing import Any

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch04 import SEED_BUG_MENU, SEED_BUGS

IDS = ["04.predict-crash", "04.find-bugs", "04.fix-clear", "04.fix-trigger"]


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


def _seed_with_the_crash_patched() -> dict[str, Any]:
    """The seed's program with only the crash removed: trigger_event hands each listener the message."""
    patched = ac.course.load_seed_example()

    class EventDriver(patched["EventDriver"]):  # type: ignore[name-defined, misc]
        def trigger_event(self) -> None:
            for listener in self.events:
                listener("Hello, World!")

    patched["EventDriver"] = EventDriver
    return patched


def test_never_received_the_message_is_sent_never_received_then_cleared() -> None:
    # bug "never-received": what chapter 04 section 3 reads off the recorded run
    patched = _seed_with_the_crash_patched()
    flow = ac.labs.diagrams.record_calls(patched["main"])
    names = [call.name for call in flow.calls]
    assert flow.error is None and "never-received" in SEED_BUGS
    assert "MessageQueue.receive_message" not in names and "Queue.get" not in names
    assert names.index("MessageQueue.send_message") < names.index("MessageQueue.clear_queue")
    assert names.count("callback_function") == 2  # in the trigger and on the thread, each handed the string
    assert flow.output.count("Received message: Hello, World!") == 2


def test_the_published_main_runs_on_one_thread_and_stops_before_the_clear() -> None:
    seed = ac.course.load_seed_example()
    flow = ac.labs.diagrams.record_calls(seed["main"])
    assert flow.threads == ("MainThread",)
    assert flow.error is not None and flow.error.startswith("TypeError")
    assert "MessageQueue.clear_queue" not in [call.name for call in flow.calls]


def test_the_patched_main_really_clears_a_message_that_was_in_the_queue() -> None:
    patched = _seed_with_the_crash_patched()
    sizes: list[int] = []
    base = patched["MessageQueue"]

    class Watched(base):  # type: ignore[valid-type, misc]
        def clear_queue(self) -> None:
            sizes.append(self.queue.qsize())
            super().clear_queue()
            sizes.append(self.queue.qsize())

    patched["MessageQueue"] = Watched
    ac.labs.diagrams.record_calls(patched["main"])
    assert sizes == [1, 0]


def test_fix_clear_reference_and_each_mistake() -> None:
    ex = ac.exercises.get("04.fix-clear")
    assert ex.check(ex.reference).outcome is Outcome.CORRECT
    seed = ac.course.load_seed_example()
    assert ex.check(seed["MessageQueue"]).message.startswith(
        "the race of section 5.4 still happens: the receiver raised IndexError: pop from an empty deque"
    )

    class LockOnly(seed["MessageQueue"]):  # type: ignore[misc]
        def clear_queue(self) -> None:
            with self.queue.mutex:
                self.queue.queue.clear()

    assert ex.check(LockOnly).message == (
        "queue.join() would wait for ever: the 3 dropped messages still count as unfinished tasks; "
        "call task_done() once for each message you drop"
    )

    class CountedNoWake(seed["MessageQueue"]):  # type: ignore[misc]
        def clear_queue(self) -> None:
            with self.queue.mutex:
                self.queue.unfinished_tasks -= len(self.queue.queue)
                self.queue.queue.clear()

    assert ex.check(CountedNoWake).message.startswith("a sender waiting for room on a full queue was not woken")

    class NotifyingClear(CountedNoWake):
        def clear_queue(self) -> None:
            with self.queue.mutex:
                self.queue.unfinished_tasks -= len(self.queue.queue)
                self.queue.queue.clear()
                self.queue.not_full.notify_all()

    assert ex.check(NotifyingClear).outcome is Outcome.CORRECT  # the lock-level fix is right too

    class Replaces(seed["MessageQueue"]):  # type: ignore[misc]
        def clear_queue(self) -> None:
            self.queue = queue.Queue()

    assert ex.check(Replaces).message.startswith("clear_queue() put a new Queue in self.queue")
    assert ex.check(ex.reference()).message.startswith("set answer to your class itself")

    class KeepsOne(seed["MessageQueue"]):  # type: ignore[misc]
        def clear_queue(self) -> None:
            if self.queue.qsize() > 1:
                self.queue.get_nowait()
                self.queue.task_done()

    assert ex.check(KeepsOne).message == "clear_queue() left 2 of 3 messages in the queue"


def test_fix_clear_solution_runs_and_passes() -> None:
    ex = ac.exercises.get("04.fix-clear")
    namespace: dict[str, Any] = {}
    exec(ex.solution(), namespace)
    assert namespace["answer"] is namespace["SafeMessageQueue"]
    assert ex.check(namespace["answer"]).outcome is Outcome.CORRECT


def test_fix_trigger_prompt_points_to_section_5_2_and_leaves_the_fix_to_the_last_hint() -> None:
    ex = ac.exercises.get("04.fix-trigger")
    assert "section 5.2" in ex.prompt and "4.3" not in ex.prompt
    assert "list(self.events)" not in ex.prompt
    assert "list(self.events)" in ex.hints[-1] and not any("list(self.events)" in h for h in ex.hints[:-1])


_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("exercise_id", IDS)
def test_in_chinese_every_wrong_answer_gets_chinese_feedback(exercise_id: str) -> None:
    ex = ac.exercises.get(exercise_id)
    english = [ex.check(wrong).message for wrong in ex.wrong_answers]
    ac.set_language("zh")
    try:
        chinese = [ex.check(wrong).message for wrong in ex.wrong_answers]
        for text in (ex.name(), ex.question(), ex.solution(), *(ex.hint(n + 1) for n in range(len(ex.hints)))):
            assert _CJK.search(text), text
        assert ex.check(ex.reference).outcome is Outcome.CORRECT
    finally:
        ac.set_language("en")
    for en, zh in zip(english, chinese, strict=True):
        assert _CJK.search(zh) and zh != en, (en, zh)


def test_the_chinese_menu_has_the_same_labels_and_the_chinese_solutions_still_run() -> None:
    from asyncomm.course.exercises.ch04 import SEED_BUG_MENU_ZH

    assert list(SEED_BUG_MENU_ZH) == list(SEED_BUG_MENU)
    ac.set_language("zh")
    try:
        for exercise_id in IDS:
            ex = ac.exercises.get(exercise_id)
            namespace: dict[str, Any] = {}
            exec(ex.solution(), namespace)
            assert ex.check(namespace["answer"]).outcome is Outcome.CORRECT
            if ex.kind == "predict":
                assert ex.solution().startswith("answer = ")
        assert all(label in ac.exercises.get("04.find-bugs").prompt for label in SEED_BUG_MENU)
    finally:
        ac.set_language("en")
