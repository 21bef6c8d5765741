"""Chapter 07 exercises beyond the generic checks."""

from __future__ import annotations

import asyncomm as ac
from asyncomm.exercises import Outcome
from asyncomm.exercises.ch07 import _pipeline_time, pipeline
from asyncomm.pipeline import run_pipeline


def test_the_reference_pipeline_passes_the_checker_on_more_inputs():
    for messages in (list(range(9)), ["only"], ["same", "same"]):
        run = run_pipeline(pipeline, messages)
        assert run.ok, run.problems


def test_the_solution_text_is_the_reference_code():
    solution = ac.exercises.get("07.capstone").solution()
    assert solution.startswith("async def pipeline(messages: list, trace: ac.Trace) -> list:\n")
    assert "queue.close()" in solution and 'bus.trigger("done", msg)' in solution


def test_pipeline_times_come_from_running_it():
    assert _pipeline_time(workers=2) == 4.0
    assert _pipeline_time(workers=4) == 2.0
    assert _pipeline_time(workers=2, cpu_bound=True) == 7.0


def test_capstone_reports_the_first_failing_case_and_caps_the_list():
    async def forgot_everything(messages, trace):
        q = ac.AsyncMessageQueue(trace=trace)
        for m in messages:
            await q.send(m)
        return []

    text = ac.exercises.get("07.capstone").check(forgot_everything).message
    assert text.startswith("with messages ['a', 'b', 'c', 'd']: messages received the wrong number of times")
    assert text.endswith("(and 3 more)")


def test_a_placeholder_body_is_not_attempted():
    async def pipeline_todo(messages, trace):
        raise NotImplementedError

    assert ac.exercises.get("07.capstone").check(pipeline_todo).outcome is Outcome.NOT_ATTEMPTED


def test_pipeline_time_hints():
    ex = ac.exercises.get("07.pipeline-time")
    assert ex.check((3.5, 2, 7)).message.startswith("(a): a worker takes whole messages")
    assert ex.check((4, 2, 4)).message.startswith("(c): work that never awaits")
    assert ex.check((4, 2, True)).message == "answer with three numbers: (a, b, c)"
