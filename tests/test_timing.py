"""The timing lab: exact totals and per-task start/end on the virtual clock, real runs
behave like the model in what can be asserted without timing the machine, bad arguments."""

from __future__ import annotations

import asyncio
import re

import pytest

import asyncomm as ac
from asyncomm.timing import STRATEGIES, TaskRecord, TimingRun, run_tasks, summary, to_frame


def spans(run: TimingRun) -> list[tuple[int, float, float, int]]:
    return [(r.task, r.start, r.end, r.thread) for r in run.records]


@pytest.mark.parametrize("n, latency", [(1, 1.0), (3, 2.0), (5, 0.5), (4, 0.0)])
def test_sequential_waits_one_task_after_the_other(n, latency):
    run = run_tasks(n, latency, "sequential", ac.VirtualClock())
    assert run.total == n * latency
    assert spans(run) == [(i, i * latency, (i + 1) * latency, 0) for i in range(n)]
    assert (run.strategy, run.work, run.n, run.latency, run.virtual, run.threads) == (
        "sequential", "wait", n, latency, True, 1)


@pytest.mark.parametrize("n, latency", [(1, 1.0), (3, 2.0), (10, 0.5)])
def test_asyncio_overlaps_the_waits_on_one_thread(n, latency):
    run = run_tasks(n, latency, "asyncio", ac.VirtualClock())
    assert run.total == latency
    assert spans(run) == [(i, 0.0, latency, 0) for i in range(n)]
    assert run.threads == 1


@pytest.mark.parametrize("strategy", ["sequential", "asyncio"])
def test_cpu_work_does_not_overlap_whatever_the_strategy(strategy):
    run = run_tasks(4, 0.5, strategy, ac.VirtualClock(), work="cpu")
    assert run.total == 2.0
    assert spans(run) == [(0, 0.0, 0.5, 0), (1, 0.5, 1.0, 0), (2, 1.0, 1.5, 0), (3, 1.5, 2.0, 0)]


def test_default_clock_is_a_fresh_virtual_clock():
    first, second = run_tasks(2, 3.0, "sequential"), run_tasks(2, 3.0, "sequential")
    assert first.virtual and first.total == second.total == 6.0
    assert spans(second) == [(0, 0.0, 3.0, 0), (1, 3.0, 6.0, 0)]


def test_times_count_from_the_start_of_the_run_and_the_clock_moves_on():
    clock = ac.VirtualClock(start=100.0)
    run = run_tasks(2, 1.0, "asyncio", clock)
    assert spans(run) == [(0, 0.0, 1.0, 0), (1, 0.0, 1.0, 0)]
    assert clock.now() == 101.0
    again = run_tasks(2, 1.0, "sequential", clock)
    assert spans(again) == [(0, 0.0, 1.0, 0), (1, 1.0, 2.0, 0)]
    assert clock.now() == 103.0


def test_throughput_and_mean_response():
    sequential = run_tasks(4, 1.0, "sequential")
    concurrent = run_tasks(4, 1.0, "asyncio")
    assert (sequential.throughput, sequential.mean_response) == (1.0, 2.5)  # results at 1, 2, 3, 4 s
    assert (concurrent.throughput, concurrent.mean_response) == (4.0, 1.0)
    assert run_tasks(3, 0.0, "asyncio").throughput == float("inf")


def test_task_record_duration():
    assert TaskRecord(task=2, start=1.5, end=4.0, thread=0).duration == 2.5


def test_asyncio_strategy_works_inside_a_running_event_loop():
    # As in a notebook cell: clock.run() then drives its loop in a helper thread.
    async def cell():
        return run_tasks(3, 2.0, "asyncio")

    assert spans(asyncio.run(cell())) == [(0, 0.0, 2.0, 0), (1, 0.0, 2.0, 0), (2, 0.0, 2.0, 0)]


def test_threads_on_the_real_clock_use_one_thread_per_task():
    run = run_tasks(3, 0.01, "threads", ac.RealClock())
    assert not run.virtual
    assert [r.task for r in run.records] == [0, 1, 2]
    assert sorted(r.thread for r in run.records) == [0, 1, 2]
    assert run.threads == 3
    for record in run.records:
        assert 0 <= record.start <= record.end <= run.total
        assert record.duration >= 0.009  # sleeping lasts at least as long as asked (1 ms of float slack)


@pytest.mark.parametrize("work", ["wait", "cpu"])
def test_real_clock_runs_record_every_task_on_the_expected_threads(work):
    for strategy in ("sequential", "asyncio"):
        run = run_tasks(2, 0.005, strategy, ac.RealClock(), work=work)
        assert [r.task for r in run.records] == [0, 1]
        assert run.threads == 1
        assert all(r.duration >= 0.004 for r in run.records)
        assert run.total >= max(r.end for r in run.records)


def test_to_frame_has_one_row_per_task_of_each_run():
    runs = [run_tasks(2, 1.0, "sequential"), run_tasks(2, 1.0, "asyncio")]
    frame = to_frame(runs)
    assert list(frame.columns) == ["strategy", "work", "task", "start", "end", "duration", "thread"]
    assert frame.to_dict("records") == [
        {"strategy": "sequential", "work": "wait", "task": 0, "start": 0.0, "end": 1.0, "duration": 1.0, "thread": 0},
        {"strategy": "sequential", "work": "wait", "task": 1, "start": 1.0, "end": 2.0, "duration": 1.0, "thread": 0},
        {"strategy": "asyncio", "work": "wait", "task": 0, "start": 0.0, "end": 1.0, "duration": 1.0, "thread": 0},
        {"strategy": "asyncio", "work": "wait", "task": 1, "start": 0.0, "end": 1.0, "duration": 1.0, "thread": 0},
    ]
    assert len(to_frame(runs[0])) == 2


def test_summary_has_one_row_per_run():
    frame = summary([run_tasks(5, 2.0, "sequential"), run_tasks(5, 2.0, "asyncio", work="cpu")])
    assert list(frame.columns) == ["strategy", "work", "tasks", "latency", "total", "throughput", "mean_response",
                                   "threads"]
    assert frame.to_dict("records") == [
        {"strategy": "sequential", "work": "wait", "tasks": 5, "latency": 2.0, "total": 10.0, "throughput": 0.5,
         "mean_response": 6.0, "threads": 1},
        {"strategy": "asyncio", "work": "cpu", "tasks": 5, "latency": 2.0, "total": 10.0, "throughput": 0.5,
         "mean_response": 6.0, "threads": 1},
    ]
    assert summary(run_tasks(1, 1.0, "asyncio"))["total"].tolist() == [1.0]


def test_strategies_are_listed():
    assert STRATEGIES == ("sequential", "asyncio", "threads")


@pytest.mark.parametrize("n, error, message", [
    (2.0, TypeError, "n must be an int number of tasks, got 2.0 (float)"),
    (True, TypeError, "n must be an int number of tasks, got True (bool)"),
    ("3", TypeError, "n must be an int number of tasks, got '3' (str)"),
    (0, ValueError, "n must be at least 1 task, got 0"),
    (-2, ValueError, "n must be at least 1 task, got -2"),
])
def test_bad_n(n, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        run_tasks(n, 1.0, "sequential")


@pytest.mark.parametrize("latency, error, message", [
    ("1", TypeError, "latency must be a number of seconds, got '1' (str)"),
    (None, TypeError, "latency must be a number of seconds, got None (NoneType)"),
    (-1.0, ValueError, "latency must be >= 0 seconds, got -1.0"),
    (float("nan"), ValueError, "latency must be >= 0 seconds, got nan"),
])
def test_bad_latency(latency, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        run_tasks(2, latency, "asyncio")


def test_bad_strategy_and_work():
    with pytest.raises(ValueError, match="^" + re.escape(
            "unknown strategy 'parallel': choose one of 'sequential', 'asyncio', 'threads'") + "$"):
        run_tasks(2, 1.0, "parallel")
    with pytest.raises(TypeError, match="^" + re.escape(
            "strategy must be a str, one of 'sequential', 'asyncio', 'threads'; got None") + "$"):
        run_tasks(2, 1.0, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^" + re.escape("unknown work 'io': choose one of 'wait', 'cpu'") + "$"):
        run_tasks(2, 1.0, "asyncio", work="io")


def test_bad_clock():
    with pytest.raises(TypeError, match="^" + re.escape(
            "clock must be an asyncomm clock (ac.VirtualClock() or ac.RealClock()), got 'real'") + "$"):
        run_tasks(2, 1.0, "asyncio", "real")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^" + re.escape(
            "the 'threads' strategy runs real threads, whose start times depend on the operating system: "
            "pass clock=ac.RealClock()") + "$"):
        run_tasks(2, 1.0, "threads")
