"""Chapter 02 exercises: references pass, typical mistakes get their hint, placeholders are 'not attempted'."""

from __future__ import annotations

import re

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch02 import FIFO_PROGRAM, LISTENER_PROGRAM, _run

IDS = ["02b.fifo-order", "02b.listener-order", "02b.count-listener", "02b.producer-consumer", "02b.five-clicks"]


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
    assert _run(FIFO_PROGRAM, "q.snapshot()") == ac.exercises.get("02b.fifo-order").reference
    assert _run(LISTENER_PROGRAM, "calls") == ac.exercises.get("02b.listener-order").reference


def test_prompts_show_the_programs():
    assert FIFO_PROGRAM in ac.exercises.get("02b.fifo-order").prompt
    assert LISTENER_PROGRAM in ac.exercises.get("02b.listener-order").prompt


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (["c", "d", "e", "f"], "the queue holds at most 3 messages"),
        (["f", "d", "c"], "right messages, wrong order"),
        (["a", "b", "f"], "receive takes the *oldest* message"),
        (["c", "d"], "count again"),
        ("c, d, f", "answer with a list"),
    ],
)
def test_fifo_hints(answer, hint):
    assert hint in ac.exercises.get("02b.fifo-order").check(answer).message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (["a1", "b1", "c1", "a2", "b2"], "registered with once()"),
        (["a1", "b1", "a2"], "a listener removed during a trigger still gets that trigger"),
        (["a1", "b1", "c1", "a2", "c2"], "does c still hear the second one?"),
        (["b1", "a1", "c1", "a2"], "in the order they were registered"),
    ],
)
def test_listener_order_hints(answer, hint):
    assert hint in ac.exercises.get("02b.listener-order").check(answer).message


def test_write_exercise_with_an_unwritten_body_is_not_attempted():
    def register_counter(bus, event):
        raise NotImplementedError

    assert ac.exercises.get("02b.count-listener").check(register_counter).outcome is Outcome.NOT_ATTEMPTED


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

    ex = ac.exercises.get("02b.count-listener")
    assert ex.check(with_a_list)
    assert ex.check(with_a_bound_method)


def test_count_listener_hints():
    ex = ac.exercises.get("02b.count-listener")

    def counts_twice(bus, event):
        n = [0]
        bus.register(event, lambda *a, **k: n.__setitem__(0, n[0] + 1))
        bus.register(event, lambda *a, **k: None)
        return lambda: n[0]

    assert "register exactly one listener for the event (found 2" in ex.check(counts_twice).message
    assert "pass your function itself to ac.check" in ex.check(42).message
    assert "accept whatever the trigger passes" in ex.check(ex.wrong_answers[0]).message


def test_solution_code_passes_its_own_check():
    ex = ac.exercises.get("02b.count-listener")
    namespace = {}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["register_counter"]).outcome is Outcome.CORRECT


# -- answers in any reasonable form; hints that name the mistake -----------------------------------------------------


def message(exercise_id, answer):
    return ac.exercises.get(exercise_id).check(answer).message


@pytest.mark.parametrize("answer", [("c", "d", "f"), ["C", "D", "F"], ["'c'", " d", "f "], ('"c"', "D", "f")])
def test_fifo_order_accepts_a_tuple_and_messages_written_loosely(answer):
    assert ac.exercises.get("02b.fifo-order").check(answer).outcome is Outcome.CORRECT


def test_fifo_order_names_an_item_that_is_not_a_message_and_keeps_hints_on_cleaned_items():
    from asyncomm.course.exercises.ch02 import FIFO_SENT

    assert FIFO_SENT == ("a", "b", "c", "d", "e", "f")
    assert message("02b.fifo-order", ["c", "d", "g"]) == "'g' is not a message the program sends"
    assert message("02b.fifo-order", ("C", "D", "x y")) == "'x y' is not a message the program sends"
    assert message("02b.fifo-order", ["c", "d", 6]) == (
        "answer with a list of the queued messages, oldest first, such as ['x', 'y']"
    )
    assert message("02b.fifo-order", ("C", "D", "E", "F")).startswith("the queue holds at most 3 messages")
    assert message("02b.fifo-order", ("F", "D", "C")).startswith("right messages, wrong order")


def test_five_clicks_reads_answers_like_fifo_order():
    from asyncomm.course.exercises.ch02 import FIVE_CLICKS_SENT

    ex = ac.exercises.get("02b.five-clicks")
    assert FIVE_CLICKS_SENT == ("a", "b", "c", "d")
    assert "on a full queue it refuses the message, as send_nowait does" in ex.prompt
    assert ex.check(("b", "d")) and ex.check(["B", " 'd' "])
    assert message("02b.five-clicks", ["b", "e"]) == "'e' is not a message the program sends"
    assert message("02b.five-clicks", ("D", "B")) == "right messages? check the order: the front (oldest) comes first"
    assert message("02b.five-clicks", "b d") == (
        "answer with a list of the messages the widget shows, front first, such as ['x']"
    )


def test_listener_order_accepts_a_tuple_and_any_case():
    ex = ac.exercises.get("02b.listener-order")
    assert ex.check(("a1", "b1", "c1", "a2")) and ex.check(["A1", " b1", "'C1'", "a2"])


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            ["a(1)", "b(1)", "c(1)", "a(2)"],
            "'a(1)' is not a string the program appends: each listener appends its "
            "name and the trigger's number, such as 'a1'",
        ),
        (
            ["a1", "b1", "c3"],
            "'c3' is not a string the program appends: each listener appends its name and the "
            "trigger's number, such as 'a1'",
        ),
        (["a1", "c1", "a2"], "b is registered with once(): it does run one time, on the first trigger"),
        (("a1", "b1", "c1", "a2", "a2"), "'a2' appears more than once: a listener runs at most once per trigger"),
        (["b1", "c1"], "a is registered with register(), and never removed: it hears every trigger"),
        (["a1", 1], "answer with the list `calls` holds at the end, a list of strings such as ['a1', ...]"),
    ],
)
def test_listener_order_validates_items_first_then_names_the_mistake(answer, expected):
    assert message("02b.listener-order", answer) == expected


def test_count_listener_names_the_error_its_listener_raised():
    ex = ac.exercises.get("02b.count-listener")

    def forgot_nonlocal(bus, event):
        count = 0

        def listener(*args, **kwargs):
            count += 1  # noqa: F823, F841 - the mistake under test

        bus.register(event, listener)
        return lambda: count

    def no_keywords(bus, event):
        seen = []
        bus.register(event, lambda *args: seen.append(args))
        return lambda: len(seen)

    def fails_otherwise(bus, event):
        bus.register(event, lambda *args, **kwargs: {}["missing"])
        return lambda: 0

    assert ex.check(forgot_nonlocal).message == (
        "your listener raised UnboundLocalError (cannot access local variable 'count' where it is not associated "
        "with a value) on bus.trigger('saved'): assigning to register_counter's counter inside the listener "
        "(count += 1) makes it a new local variable of the listener; declare the counter `nonlocal` "
        "(nonlocal count), or keep it in a mutable, such as a list or a dict"
    )
    assert "*args" not in ex.check(forgot_nonlocal).message
    assert ex.check(no_keywords).message == (
        "your listener raised TypeError (test_count_listener_names_the_error_its_listener_raised.<locals>."
        "no_keywords.<locals>.<lambda>() got an unexpected keyword argument 'mode') on "
        "bus.trigger('saved', 'b.txt', 2, mode='w'): accept whatever the trigger passes, with "
        "def listener(*args, **kwargs)"
    )
    assert ex.check(fails_otherwise).message == "your listener raised KeyError ('missing') on bus.trigger('saved')"


def test_predict_solutions_open_with_a_pasteable_answer():
    for exercise_id in ("02b.fifo-order", "02b.listener-order", "02b.five-clicks"):
        ex = ac.exercises.get(exercise_id)
        namespace = {}
        exec(ex.solution(), namespace)
        assert namespace["answer"] == ex.reference


@pytest.mark.parametrize(
    ("consumer", "hint"),
    [
        ("_consumer_serving_the_sentinel", "None is the producer's sentinel"),
        ("_consumer_that_never_stops", "kept waiting after the sentinel"),
        ("_consumer_stopping_when_empty", "an empty queue only means the next order has not come yet"),
        ("_consumer_without_waiting", "get_nowait() raised QueueEmpty"),
        ("_consumer_not_awaiting", "queue.get() is a coroutine"),
        ("_plain_consumer", "define consumer with `async def`"),
    ],
)
def test_producer_consumer_names_the_mistake(consumer, hint):
    from asyncomm.course.exercises import ch02

    assert hint in ac.exercises.get("02b.producer-consumer").check(getattr(ch02, consumer)).message


def test_producer_consumer_accepts_the_worked_solution_and_an_async_for_free_form():
    import asyncio

    ex = ac.exercises.get("02b.producer-consumer")
    namespace = {"asyncio": asyncio}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["consumer"])

    async def with_a_break(queue, served):
        while True:
            order = await queue.get()
            if order is None:
                break
            served.append(order)

    assert ex.check(with_a_break)


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
