"""The capstone checker: a correct pipeline passes; each typical bug is reported, with the exact words."""

from __future__ import annotations

import asyncio
import re

import pytest

import asyncomm as ac
from asyncomm.labs.pipeline import check_pipeline_trace, expected_pipeline_time, run_pipeline

MESSAGES = ["a", "b", "c", "d", "e"]


def make_pipeline(
    *,
    workers=2,
    close=True,
    receive_timeout=None,
    drop=None,
    duplicate=None,
    listener=True,
    callback=True,
    extra_clear=False,
):
    """A pipeline built like the capstone, with one knob per bug."""

    async def pipeline(messages, trace):
        queue = ac.AsyncMessageQueue(trace=trace, name="jobs")
        bus = ac.EventBus(trace=trace, name="bus")
        results = ac.CallbackRegistry(trace=trace, name="results")
        collected = []
        if callback:
            results.register(collected.append)
        if listener:
            bus.register("done", results.trigger)

        async def producer():
            for msg in messages:
                await queue.send(msg)
                if msg == duplicate:
                    await queue.send(msg)
            if extra_clear:
                queue.clear()
            if close:
                queue.close()

        async def worker():
            while True:
                try:
                    msg = await queue.receive(timeout=receive_timeout)
                except (ac.QueueClosed, ac.QueueEmpty):
                    return
                await asyncio.sleep(1)
                if msg != drop:
                    bus.trigger("done", msg)

        await asyncio.gather(producer(), *(worker() for _ in range(workers)))
        return collected

    return pipeline


def test_expected_time_counts_whole_rounds():
    assert [expected_pipeline_time(n) for n in range(6)] == [0, 1, 1, 2, 2, 3]
    assert expected_pipeline_time(7, workers=4, work_time=0.5) == 1.0
    with pytest.raises(ValueError, match=re.escape("workers must be an int >= 1, got 0")):
        expected_pipeline_time(3, workers=0)
    with pytest.raises(ValueError, match=re.escape("n_messages must be an int >= 0, got -1")):
        expected_pipeline_time(-1)
    with pytest.raises(TypeError, match=re.escape("n_messages must be an int, got 2.5 (float)")):
        expected_pipeline_time(2.5)


@pytest.mark.parametrize("messages", [MESSAGES, ["x"], [], [1, 2, 2, 3]])
def test_a_correct_pipeline_passes(messages):
    run = run_pipeline(make_pipeline(), messages)
    assert run.problems == []
    assert run.ok
    assert sorted(run.results, key=str) == sorted(messages, key=str)
    assert run.end_time == expected_pipeline_time(len(messages))
    assert run.report() == f"pipeline OK: {len(run.trace)} trace rows, finished at t={run.end_time:g} s"


def test_the_correct_trace_has_the_rows_the_checker_counts():
    run = run_pipeline(make_pipeline(), ["a", "b", "c"])
    ops = [(r.pattern, r.operation) for r in run.trace]
    assert ops.count(("queue", "send")) == 3
    assert ops.count(("event", "trigger")) == 3
    assert ops.count(("callback", "trigger")) == 3
    assert ops.count(("queue", "close")) == 1


def test_a_lost_message_is_reported():
    run = run_pipeline(make_pipeline(drop="c"), MESSAGES)
    assert run.problems == [
        '"done" was triggered 4 times for 5 message(s): trigger it once per processed message',
        "messages passed to the callbacks the wrong number of times: 'c' never; the \"done\" listener should "
        "call the registry's trigger(msg) once per message, with the message alone",
        "the pipeline returned 4 result(s) for 5 message(s): return the list your callback filled, "
        "with each message once",
    ]


def test_a_double_receive_is_reported():
    run = run_pipeline(make_pipeline(duplicate="b"), MESSAGES)
    assert run.problems[:3] == [
        "messages sent the wrong number of times: 'b' twice; the producer should send each message once",
        "messages received the wrong number of times: 'b' twice; each message should be received once, by one worker",
        '"done" was triggered 6 times for 5 message(s): trigger it once per processed message',
    ]
    assert "'b' twice" in run.problems[3]  # passed to the callbacks twice as well


def test_a_missing_close_is_reported_when_workers_stop_on_a_timeout():
    run = run_pipeline(make_pipeline(close=False, receive_timeout=5), MESSAGES)
    assert run.problems == [
        "the queue was never closed: close it after the last send, so that the workers' receive() raises "
        "ac.QueueClosed and they stop",
        "the pipeline ended at t=8 s, later than 2 workers can process 5 messages of 1 s each (t=3 s): "
        "do the workers run at the same time, and does the work await (asyncio.sleep) rather than block?",
    ]


def test_a_missing_close_without_timeout_deadlocks_and_is_reported_not_raised():
    run = run_pipeline(make_pipeline(close=False), ["a"], deadlock_after=0.05)
    assert run.results is None
    assert len(run.problems) == 1
    assert run.problems[0].startswith("the pipeline never finished (deadlock at t=1s: every task waits")
    assert run.problems[0].endswith(
        "close the queue after the last send, and let each worker stop when receive() raises ac.QueueClosed"
    )
    assert run.report() == f"- {run.problems[0]}"


def test_one_worker_is_too_slow_and_three_are_too_fast():
    slow = run_pipeline(make_pipeline(workers=1), ["a", "b", "c"])
    assert slow.problems == [
        "the pipeline ended at t=3 s, later than 2 workers can process 3 messages of 1 s each (t=2 s): "
        "do the workers run at the same time, and does the work await (asyncio.sleep) rather than block?"
    ]
    fast = run_pipeline(make_pipeline(workers=3), ["a", "b", "c"])
    assert fast.problems == [
        "the pipeline ended at t=1 s, earlier than 2 workers can process 3 messages of 1 s each (t=2 s): "
        "does each message really take 1 s of work (await asyncio.sleep), and are there exactly 2 workers?"
    ]
    assert run_pipeline(make_pipeline(workers=3), ["a", "b", "c"], workers=3).ok


def test_a_trigger_nobody_hears_is_reported():
    run = run_pipeline(make_pipeline(listener=False), ["a"])
    assert run.problems[0] == (
        '"done" was triggered once with no listener registered: register the listener before the workers start'
    )
    empty_registry = run_pipeline(make_pipeline(callback=False), ["a", "b"])
    assert empty_registry.problems == [
        "the CallbackRegistry was triggered twice with no callback registered: register the collecting "
        "callback before the workers start",
        "the pipeline returned 0 result(s) for 2 message(s): return the list your callback filled, "
        "with each message once",
    ]


def test_a_clear_that_drops_work_is_reported():
    run = run_pipeline(make_pipeline(extra_clear=True), ["a", "b"])
    assert "clear() dropped 2 queued message(s): a pipeline should not drop work" in run.problems
    assert (
        "messages received the wrong number of times: 'a' never, 'b' never; each message should be "
        "received once, by one worker" in run.problems
    )


def test_missing_patterns_are_each_named():
    async def queue_only(messages, trace):
        q = ac.AsyncMessageQueue(trace=trace)
        for m in messages:
            await q.send(m)
        q.close()
        return [await q.receive() for _ in messages]

    run = run_pipeline(queue_only, ["a", "b"])
    assert run.problems[:2] == [
        'no EventBus in the trace: create it with ac.EventBus(trace=trace) and trigger "done" once per '
        "processed message",
        "no CallbackRegistry in the trace: create it with ac.CallbackRegistry(trace=trace) and trigger it "
        'from the "done" listener',
    ]
    assert run.problems[2].startswith("the pipeline ended at t=0 s, earlier than")


def test_a_send_after_close_is_reported_from_a_hand_made_trace():
    trace = ac.Trace()
    trace.record(0.0, "queue", "close", "jobs", None, 0)
    trace.record(0.0, "queue", "send", "jobs", "a", 0, "QueueClosed")
    problems = check_pipeline_trace(trace, ["a"])
    assert "sending 'a' was refused because the queue was already closed: close it only after the last send" in problems


def test_results_that_are_not_a_list_are_reported():
    good = make_pipeline()

    async def returns_tuple(messages, trace):
        return tuple(await good(messages, trace))

    run = run_pipeline(returns_tuple, ["a"])
    assert run.problems == ["the pipeline returned tuple, not a list: return the list your callback filled"]


def test_run_pipeline_needs_an_async_function():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "pipeline must be an `async def` function taking (messages, trace), got <built-in function print>"
        ),
    ):
        run_pipeline(print, ["a"])


def test_the_checker_reads_a_plain_list_of_rows_too():
    run = run_pipeline(make_pipeline(), ["a", "b"])
    assert check_pipeline_trace(run.trace.rows, ["a", "b"]) == []
    assert check_pipeline_trace(run.trace.rows, ["a", "b", "c"])[0] == (
        "messages sent the wrong number of times: 'c' never; the producer should send each message once"
    )
