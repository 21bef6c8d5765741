"""Chapter 03a exercises: references pass, typical mistakes get their hint, placeholders are 'not attempted'."""

from __future__ import annotations

import asyncio
import functools
import re
import time

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch02 import _run
from asyncomm.course.exercises.ch03 import LOOP_PROGRAM, WORKER_JOBS, Ring, register_loggers, run_workers
from asyncomm.labs.structures import ArrayQueue

IDS = [
    "03a.array-moves",
    "03a.ring-receive",
    "03a.closure-in-a-loop",
    "03a.loop-order",
    "03a.finish-order",
    "03a.worker",
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


@pytest.mark.parametrize("exercise_id", ["03a.ring-receive", "03a.closure-in-a-loop"])
def test_unwritten_body_is_not_attempted(exercise_id):
    def unwritten(*args):
        raise NotImplementedError

    assert ac.exercises.get(exercise_id).check(unwritten).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise_id", ["03a.ring-receive", "03a.closure-in-a-loop", "03a.worker"])
def test_solution_code_passes_its_own_check(exercise_id):
    ex = ac.exercises.get(exercise_id)
    namespace = {"ac": ac, "asyncio": asyncio}
    exec(ex.solution(), namespace)
    name = {"03a.ring-receive": "ring_receive", "03a.closure-in-a-loop": "register_loggers"}.get(exercise_id, "worker")
    assert ex.check(namespace[name]).outcome is Outcome.CORRECT
    ac.set_language("zh")
    try:
        chinese = ex.solution()
    finally:
        ac.set_language("en")
    assert chinese != ex.solution()
    namespace = {"ac": ac, "asyncio": asyncio}
    exec(chinese, namespace)  # the Chinese solution is the same code, commented in Chinese
    assert ex.check(namespace[name]).outcome is Outcome.CORRECT


def test_array_moves_reference_is_what_the_queue_counts():
    q = ArrayQueue()
    for i in range(6):
        q.send(i)
    for _ in range(6):
        q.receive()
    assert q.moves == ac.exercises.get("03a.array-moves").reference


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
    assert hint in ac.exercises.get("03a.array-moves").check(answer).message


def test_the_shipped_buggy_code_shows_the_bug():
    registry, log = ac.CallbackRegistry(), []
    register_loggers(registry, ["a", "b", "c"], log)
    registry.trigger()
    assert log == ["c", "c", "c"]


def test_closure_fix_with_partial_is_accepted():
    def fixed(registry, names, log):
        for name in names:
            registry.register(functools.partial(log.append, name))

    assert ac.exercises.get("03a.closure-in-a-loop").check(fixed)


def test_closure_hints():
    ex = ac.exercises.get("03a.closure-in-a-loop")
    assert "every callback logged the last name" in ex.check(register_loggers).message

    def with_a_nested_def(registry, names, log):
        for name in names:

            def callback():
                log.append(name)  # noqa: B023 - the bug this exercise is about

            registry.register(callback)

    assert "(a lambda or a nested def)" in ex.check(with_a_nested_def).message
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
    ex = ac.exercises.get("03a.ring-receive")

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
    assert _run(LOOP_PROGRAM, "log") == ac.exercises.get("03a.loop-order").reference


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
    assert hint in ac.exercises.get("03a.loop-order").check(answer).message


# -- answers in any reasonable form; hints that name the mistake -----------------------------------------------------


def message(exercise_id, answer):
    return ac.exercises.get(exercise_id).check(answer).message


def test_array_moves_accepts_a_float_that_is_a_whole_number():
    ex = ac.exercises.get("03a.array-moves")
    assert ex.check(6 * 5 / 2).outcome is Outcome.CORRECT
    assert ex.check(21.0).message == message("03a.array-moves", 21)
    assert ex.check(15.5).message == "answer with a whole number of element moves"


def test_ring_receive_names_the_standard_librarys_empty_and_a_head_reset():
    import queue

    ex = ac.exercises.get("03a.ring-receive")

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
    assert ac.exercises.get("03a.loop-order").check(answer).outcome is Outcome.CORRECT


def test_loop_order_names_the_strings_that_do_not_match():
    assert message("03a.loop-order", ["main", "A", "B", "C", "later 1", "later 2"]) == (
        "'later 1' is not a string the program appends"
    )
    assert message("03a.loop-order", ("main", "a", "b", "c", "D", "later 2s")) == (
        "'D' is not a string the program appends"
    )
    assert message("03a.loop-order", ("main", "c", "a", "b", "later 1s", "later 2s")).startswith(
        "the ready queue is FIFO"
    )


@pytest.mark.parametrize("answer", [("third", "first", "second", "main"), ["Third", "FIRST", " second", "'main'"]])
def test_finish_order_accepts_a_tuple_and_any_case(answer):
    assert ac.exercises.get("03a.finish-order").check(answer).outcome is Outcome.CORRECT


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
    assert message("03a.finish-order", answer) == expected


# -- 03a.worker --------------------------------------------------------------------------------------------------------


async def _async_for_worker(jobs, done):
    handled = 0
    async for job in jobs:
        await asyncio.sleep(job)
        done.append(job)
        handled += 1
    return handled


def test_worker_reference_shares_the_jobs_and_takes_the_time_the_model_says():
    ex = ac.exercises.get("03a.worker")
    counts, done, end = run_workers(ex.reference, WORKER_JOBS, workers=1)
    # alone: the jobs one after another; the first arrives at 1/8 s, and each later one is queued before
    # the worker is free (every job lasts at least 1/4 s)
    assert (counts, done, end) == ([6], WORKER_JOBS, 0.125 + sum(WORKER_JOBS))
    counts, done, end = run_workers(ex.reference, WORKER_JOBS, workers=2)
    assert sorted(counts) == [3, 3] and sorted(done) == sorted(WORKER_JOBS) and end == 2.25


def test_worker_shipped_unwritten_is_not_attempted():
    async def worker(jobs, done):
        raise NotImplementedError

    assert ac.exercises.get("03a.worker").check(worker).outcome is Outcome.NOT_ATTEMPTED


def test_worker_written_with_async_for_is_accepted():
    assert ac.exercises.get("03a.worker").check(_async_for_worker).outcome is Outcome.CORRECT


@pytest.mark.parametrize(
    ("index", "hint"),
    [
        (0, "the worker stopped too early"),
        (1, "your worker let ac.QueueClosed escape"),
        (2, "with 1 worker, 0 of the 6 jobs were done"),
        (3, "the jobs took no time at all"),
        (4, "the jobs overlapped"),
        (5, "append a job to `done` when its work is finished"),
        (6, "return how many jobs this worker handled"),
        (7, "worker must be an `async def` function"),
    ],
)
def test_worker_hints_name_the_mistake(index, hint):
    ex = ac.exercises.get("03a.worker")
    assert hint in ex.check(ex.wrong_answers[index]).message


def test_a_worker_that_blocks_the_loop_is_told_that_no_virtual_time_passed():
    async def blocking(jobs, done):
        handled = 0
        async for job in jobs:
            time.sleep(job / 100)  # the blocking call: real time passes, the loop's time does not
            done.append(job)
            handled += 1
        return handled

    assert "time.sleep would block the whole loop" in ac.exercises.get("03a.worker").check(blocking).message
