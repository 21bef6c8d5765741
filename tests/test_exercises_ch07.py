"""Chapter 07 exercises beyond the generic checks."""

from __future__ import annotations

import asyncio
import re

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch07 import _pipeline_time, pipeline
from asyncomm.labs.pipeline import run_pipeline


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


def test_pipeline_time_a_too_high_guess_for_cpu_work_is_told_to_count_again():
    ex = ac.exercises.get("07.pipeline-time")
    assert ex.check((4, 2, 8)).message == (
        "(c): count again, that is too long: the CPU work runs one message after "
        "another, 1 s each, and nothing else adds time"
    )
    assert ex.check([4.0, 2.0, 7.0]).outcome is Outcome.CORRECT
    assert ex.check([5, 2, 7]).message == "(a): count the rounds: in each second every worker finishes one message"


def test_capstone_shows_the_error_inside_a_failed_trigger():
    async def keyword_trigger(messages, trace):
        queue = ac.AsyncMessageQueue(trace=trace)
        bus = ac.EventBus(trace=trace)
        results = ac.CallbackRegistry(trace=trace)
        out = []
        results.register(out.append)
        bus.register("done", results.trigger)
        for msg in messages:
            await queue.send(msg)
        queue.close()
        while True:
            try:
                msg = await queue.receive()
            except ac.QueueClosed:
                return out
            await asyncio.sleep(1)
            bus.trigger("done", msg=msg)  # the registry's trigger passes msg= on to list.append

    assert ac.exercises.get("07.capstone").check(keyword_trigger).message == (
        "your code raised TriggerFailed: 1 of 1 listener for event 'done' raised (1 sub-exception); the first "
        "inside it: TypeError: list.append() takes no keyword arguments"
    )


# -- 07.redelivery-order -----------------------------------------------------------------------------------------


def test_redelivery_order_comes_from_the_queue_itself():
    from asyncomm.course.exercises.ch07 import acked_order

    assert acked_order() == ["m2", "m3", "m4", "m1", "m5"]
    assert ac.exercises.get("07.redelivery-order").reference == acked_order()


def test_redelivery_order_hints_target_each_misconception():
    ex = ac.exercises.get("07.redelivery-order")
    assert ex.check(("M2", "m3", " m4", "'m1'", "m5")).outcome is Outcome.CORRECT
    assert ex.check(["m1", "m2", "m3", "m4", "m5"]).message.startswith("the queue hands messages out in order, but A")
    assert ex.check(["m2", "m3", "m4", "m5", "m1"]).message.startswith("m1 does come back, and a message that comes")
    assert (
        ex.check(["m2", "m3", "m4"]).message
        == "every message is acked exactly once in the end: list m1 .. m5, each once"
    )
    assert ex.check("m2 m3 m4 m1 m5").message.startswith("answer with a list of names")


# -- 07.stdlib-workers --------------------------------------------------------------------------------------------


def test_stdlib_workers_reference_uses_only_the_standard_library():
    solution = ac.exercises.get("07.stdlib-workers").solution()
    assert "ac." not in solution and "asyncio.Queue()" in solution and "asyncio.TaskGroup()" in solution
    namespace: dict = {}
    exec(solution, {"asyncio": __import__("asyncio")}, namespace)  # the solution runs as pasted in a cell
    assert ac.exercises.get("07.stdlib-workers").check(namespace["run_jobs"]).outcome is Outcome.CORRECT


def test_stdlib_workers_hints():
    from asyncomm.course.exercises.ch07 import _one_after_another, _stdlib_variant

    ex = ac.exercises.get("07.stdlib-workers")
    assert ex.check(_stdlib_variant(sentinels=1)).message.startswith(
        "with jobs ['a', 'b', 'c', 'd', 'e'] the program never ended: a worker still waits in queue.get()"
    )
    assert ex.check(_one_after_another).message.startswith("with 5 jobs it took 5 s: the jobs ran one after another")
    assert ex.check(_stdlib_variant(workers=3, sentinels=3)).message == "with 5 jobs 2 workers need 3 s, yours took 2 s"
    assert ex.check(lambda jobs: jobs).message == "run_jobs must be an `async def` function taking the list of jobs"

    async def run_jobs_todo(jobs):
        raise NotImplementedError

    assert ex.check(run_jobs_todo).outcome is Outcome.NOT_ATTEMPTED


# -- the Chinese edition ----------------------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
IDS = ["07.capstone", "07.pipeline-time", "07.redelivery-order", "07.stdlib-workers"]


def test_wrong_answers_get_chinese_feedback_in_the_chinese_edition():
    for exercise_id in IDS:
        ex = ac.exercises.get(exercise_id)
        for wrong in ex.wrong_answers:
            english = ex.check(wrong).message
            ac.set_language("zh")
            try:
                chinese = ex.check(wrong).message
            finally:
                ac.set_language("en")
            assert CJK.search(chinese) and chinese != english, (exercise_id, wrong, chinese)


def test_the_chinese_solutions_are_the_same_code_with_chinese_comments():
    for exercise_id, names in (("07.capstone", "pipeline"), ("07.stdlib-workers", "run_jobs")):
        ex = ac.exercises.get(exercise_id)
        english = ex.solution()
        ac.set_language("zh")
        try:
            chinese = ex.solution()
        finally:
            ac.set_language("en")
        assert chinese != english
        assert all(CJK.search(line.split("#", 1)[1]) for line in chinese.splitlines() if "  # " in line)
        namespace: dict = {}
        exec(chinese, {"ac": ac, "asyncio": asyncio}, namespace)  # it runs as pasted, and passes
        assert ex.check(namespace[names]).outcome is Outcome.CORRECT


def test_every_pipeline_problem_the_wrong_answers_meet_is_shown_in_chinese():
    from asyncomm.course.exercises.ch07 import zh_problem

    for wrong in ac.exercises.get("07.capstone").wrong_answers[:-1]:
        for messages in (["a", "b", "c", "d"], ["x", "y", "z"], []):
            for problem in run_pipeline(wrong, messages).problems:
                assert zh_problem(problem) != problem and CJK.search(zh_problem(problem)), problem
    assert zh_problem("something new") == "something new"  # a problem the course does not know stays English
