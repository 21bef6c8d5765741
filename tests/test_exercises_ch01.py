"""Chapter 01's exercises: the specific hints for typical mistakes, and the answer forms accepted."""

from __future__ import annotations

import re

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch01 import WORKLOADS

CHAPTER = ["01.predict-totals", "01.total-time", "01.which-benefit", "01.cpu-bound", "01.pool-total", "01.fetch-all"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def message(exercise_id: str, answer) -> str:
    result = ac.exercises.get(exercise_id).check(answer)
    assert result.outcome is Outcome.INCORRECT, result
    return result.message


def test_predict_totals_accepts_ints_and_floats():
    ex = ac.exercises.get("01.predict-totals")
    assert ex.check({"sequential": 4, "asyncio": 0.5})
    assert ex.check({"asyncio": 0.5, "sequential": 4.0})


@pytest.mark.parametrize(
    "answer, hint",
    [
        ({"sequential": 0.5, "asyncio": 4.0}, "you swapped the two"),
        ({"sequential": 4.0, "asyncio": 4.0}, "'asyncio' is off: one thread, yes, but while a task awaits"),
        ({"sequential": 4.0, "asyncio": 1.0}, "'asyncio' is off: all 8 tasks start at t=0"),
        ({"sequential": 8, "asyncio": 1}, "the totals are in seconds, not in numbers of tasks"),
        ({"sequential": 2.0, "asyncio": 0.5}, "'sequential' is off"),
        ({"sequential": 4.0}, "answer with a dict of two numbers of seconds"),
        ({"sequential": True, "asyncio": 0.5}, "both totals must be numbers of seconds"),
    ],
)
def test_predict_totals_says_what_is_wrong(answer, hint):
    text = message("01.predict-totals", answer)
    assert text.startswith(hint), text
    assert "4.0" not in text and "0.5" not in text


def test_total_time_accepts_any_correct_formulation():
    ex = ac.exercises.get("01.total-time")

    def with_a_loop(n, latency, strategy):
        total = 0.0
        for _ in range(n if strategy == "sequential" else 1):
            total += latency
        return total

    assert ex.check(with_a_loop)
    assert ex.check(lambda n, latency, strategy: {"sequential": n * latency, "asyncio": latency}[strategy])


def test_total_time_names_the_failing_call_and_the_learners_value_only():
    text = message("01.total-time", lambda n, latency, strategy: n * latency)
    assert text == (
        "total_time(3, 1.0, 'asyncio') returned 3.0, but the timing lab disagrees: with asyncio all "
        "tasks wait at the same time; does your answer still depend on n?"
    )
    assert message("01.total-time", "n * latency") == "pass the function itself, total_time, not a call of it"


def test_total_time_placeholder_function_is_not_attempted():
    def total_time(n, latency, strategy):
        raise NotImplementedError

    assert ac.exercises.get("01.total-time").check(total_time).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize(
    "answer", [{"a", "c", "e"}, ["e", "c", "a"], ("A", "C", "E"), "ace", "a, c, e", frozenset("ace")]
)
def test_which_benefit_accepts_letters_in_several_forms(answer):
    assert ac.exercises.get("01.which-benefit").check(answer)


@pytest.mark.parametrize(
    "answer, hint",
    [
        ({"a", "b", "c", "e"}, "one of your choices keeps the CPU busy"),
        (set(WORKLOADS), "3 of your choices keep the CPU busy"),
        ({"a"}, "you missed 2 workload(s) that spend most of their time waiting"),
        ({"a", "z"}, "there is no workload z"),
        ({1, 2}, "answer with a set of letters"),
    ],
)
def test_which_benefit_hints_do_not_name_the_right_letters(answer, hint):
    text = message("01.which-benefit", answer)
    assert text.startswith(hint), text
    if "CPU" in text or "missed" in text:
        assert not set("bcdef") & set(text.replace(",", " ").split())  # ("a" is also an English word)


def test_workloads_are_lettered_a_to_f():
    assert list(WORKLOADS) == ["a", "b", "c", "d", "e", "f"]


CPU_RIGHT = {"sequential": 3.0, "asyncio": 3.0, "threads": 3.0, "processes": 1.0}


def test_cpu_bound_accepts_ints_and_any_key_order():
    ex = ac.exercises.get("01.cpu-bound")
    assert ex.check({"processes": 1, "threads": 3, "asyncio": 3, "sequential": 3})


@pytest.mark.parametrize(
    "change, hint",
    [
        ({"asyncio": 0.5}, "'asyncio' is off: a coroutine that computes never reaches an await"),
        ({"threads": 0.5}, "'threads' is off: there is one thread per task, but in CPython (with its GIL)"),
        ({"processes": 0.5}, "'processes' is off: there are only 3 processes for 6 tasks"),
        ({"processes": 3.0}, "'processes' is off: each process has a core of its own"),
        ({"processes": 2.0}, "'processes' is off: 3 processes compute side by side"),
        ({"sequential": 0.5}, "'sequential' is off"),
        ({"threads": None}, "every total must be a number of seconds"),
        ({"threads": True}, "every total must be a number of seconds"),
    ],
)
def test_cpu_bound_names_the_first_wrong_strategy_without_its_value(change, hint):
    text = message("01.cpu-bound", {**CPU_RIGHT, **change})
    assert text.startswith(hint), text
    assert "1.0" not in text and "3.0" not in text


def test_cpu_bound_wants_all_four_strategies():
    text = message("01.cpu-bound", {"sequential": 3.0, "asyncio": 3.0, "threads": 3.0})
    assert text.startswith("answer with a dict of four numbers of seconds")
    assert message("01.cpu-bound", [3.0, 3.0, 3.0, 1.0]).startswith("answer with a dict")


def test_cpu_bound_solution_is_what_the_lab_computes():
    from asyncomm.labs.timing import run_tasks

    totals = {s: run_tasks(6, 0.5, s, work="cpu", workers=3 if s == "processes" else None).total for s in CPU_RIGHT}
    assert totals == CPU_RIGHT


def test_pool_total_accepts_a_loop_over_rounds():
    def pool_total(n, latency, workers):
        total, left = 0.0, n
        while left > 0:
            total += latency
            left -= workers
        return total

    assert ac.exercises.get("01.pool-total").check(pool_total)


@pytest.mark.parametrize(
    "pool_total, expected",
    [
        (
            lambda n, latency, workers: n * latency / workers,
            "pool_total(10, 1.0, 4) returned 2.5, but the timing lab disagrees: a worker runs whole tasks",
        ),
        (
            lambda n, latency, workers: (n // workers) * latency,
            "pool_total(10, 1.0, 4) returned 2.0, but the timing lab disagrees: a worker runs whole tasks",
        ),
        (
            lambda n, latency, workers: latency,
            "pool_total(10, 1.0, 4) returned 1.0, but the timing lab disagrees: with fewer workers than tasks",
        ),
        (
            lambda n, latency, workers: n * latency,
            "pool_total(10, 1.0, 4) returned 10.0, but the timing lab disagrees: the 4 workers wait at the same time",
        ),
        (
            lambda n, latency, workers: (n // workers + 1) * latency,
            "pool_total(8, 0.5, 4) returned 1.5, but the timing lab disagrees: the 4 workers wait at the same time",
        ),
        (lambda n, latency, workers: str(latency), "pool_total(10, 1.0, 4) returned '1.0': return a number of seconds"),
        (3.0, "pass the function itself, pool_total, not a call of it"),
    ],
)
def test_pool_total_names_the_failing_call_and_the_learners_value_only(pool_total, expected):
    assert message("01.pool-total", pool_total).startswith(expected)


def test_pool_total_placeholder_and_crash():
    def pool_total(n, latency, workers):
        raise NotImplementedError

    ex = ac.exercises.get("01.pool-total")
    assert ex.check(pool_total).outcome is Outcome.NOT_ATTEMPTED
    assert message("01.pool-total", lambda n, latency: n) == (
        "your code raised TypeError: test_pool_total_placeholder_and_crash.<locals>.<lambda>() takes 2 positional "
        "arguments but 3 were given"
    )


def test_fetch_all_accepts_submit_then_collect_and_a_tuple():
    from concurrent.futures import ThreadPoolExecutor

    def fetch_all(urls, fetch):
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            futures = [pool.submit(fetch, url) for url in urls]  # every call in flight first...
            return tuple(future.result() for future in futures)  # ...then the replies, in order

    assert ac.exercises.get("01.fetch-all").check(fetch_all)


def test_fetch_all_says_one_at_a_time_or_how_many_were_in_flight(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from asyncomm.course.exercises import ch01

    monkeypatch.setattr(ch01, "FETCH_PATIENCE", 0.3)  # wrong answers wait this long at the barrier
    assert message("01.fetch-all", lambda urls, fetch: [fetch(url) for url in urls]).startswith(
        "your fetches ran one at a time"
    )

    def three_threads(urls, fetch):
        with ThreadPoolExecutor(max_workers=3) as pool:
            return list(pool.map(fetch, urls))

    assert message("01.fetch-all", three_threads).startswith(
        "at most 3 of the 40 fetches were in flight at once: a pool runs only as many calls"
    )


@pytest.mark.parametrize(
    "fetch_all, hint",
    [
        (lambda urls, fetch: {url: None for url in urls}, "fetch was called 0 times for 40 urls"),
        (lambda urls, fetch: urls, "fetch was called 0 times for 40 urls"),
        ("fetch_all", "pass the function itself, fetch_all, not a call of it"),
    ],
)
def test_fetch_all_other_mistakes(fetch_all, hint, monkeypatch):
    from asyncomm.course.exercises import ch01

    monkeypatch.setattr(ch01, "FETCH_PATIENCE", 0.3)
    assert message("01.fetch-all", fetch_all).startswith(hint)


def test_fetch_all_wrong_order_and_iterator():
    from concurrent.futures import ThreadPoolExecutor

    def newest_first(urls, fetch):
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            return list(pool.map(fetch, urls))[::-1]

    assert message("01.fetch-all", newest_first).startswith("right replies, wrong order")

    def iterator(urls, fetch):
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            return pool.map(fetch, urls)

    assert message("01.fetch-all", iterator) == (
        "fetch_all returned generator, not a list: pool.map gives an iterator; list(...) collects the replies"
    )


def test_fetch_all_placeholder_is_not_attempted():
    def fetch_all(urls, fetch):
        raise NotImplementedError

    assert ac.exercises.get("01.fetch-all").check(fetch_all).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise_id", CHAPTER)
def test_the_chinese_edition_gets_chinese_feedback(exercise_id, monkeypatch):
    from asyncomm.course.exercises import ch01

    monkeypatch.setattr(ch01, "FETCH_PATIENCE", 0.3)  # 01.fetch-all's wrong answers wait this long
    ex = ac.exercises.get(exercise_id)
    english = [ex.check(wrong).message for wrong in ex.wrong_answers]
    try:
        ac.set_language("zh")
        chinese = [ex.check(wrong).message for wrong in ex.wrong_answers]
        shown = [ex.name(), ex.question(), *(ex.hint(n) for n in range(1, len(ex.hints) + 1)), ex.solution()]
    finally:
        ac.set_language("en")
    for zh, en in zip(chinese, english, strict=True):
        if en.startswith("your code raised "):  # the learner's own exception: its message stays as Python wrote it
            assert zh.startswith("你的代码抛出了 "), zh
            continue
        assert CHINESE.search(zh) and zh != en, (zh, en)
    assert all(CHINESE.search(text) for text in shown), shown


def test_the_chinese_prompts_keep_the_numbers_and_the_letters():
    try:
        ac.set_language("zh")
        benefit = ac.exercises.get("01.which-benefit").question()
        fetch = ac.exercises.get("01.fetch-all").question()
    finally:
        ac.set_language("en")
    assert all(f"  {letter}) " in benefit for letter in WORKLOADS)
    assert "40 个 url" in fetch and "1 秒后失败" in fetch
