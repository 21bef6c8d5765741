"""The timing lab: exact totals and per-task start/end/worker on the virtual clock (sequential and asyncio run,
thread and process pools follow the k-worker model), real runs behave like the model in what can be asserted
without timing the machine, tables and CSV round trips, bad arguments."""

from __future__ import annotations

import asyncio
import math
import re

import pytest

import asyncomm as ac
from asyncomm.labs import timing
from asyncomm.labs.timing import (
    POOLS,
    STRATEGIES,
    TaskRecord,
    TimingRun,
    compare,
    from_frame,
    model_total,
    read_csv,
    run_tasks,
    side_by_side,
    speedups,
    summary,
    sweep,
    to_frame,
    write_csv,
)


def spans(run: TimingRun) -> list[tuple[int, float, float, int]]:
    return [(r.task, r.start, r.end, r.worker) for r in run.records]


def exact(pattern: str) -> str:
    return f"^{re.escape(pattern)}$"


# --- virtual clock: sequential and asyncio really run ---------------------------------------------------------


@pytest.mark.parametrize("n, latency", [(1, 1.0), (3, 2.0), (5, 0.5), (4, 0.0)])
def test_sequential_waits_one_task_after_the_other(n, latency):
    run = run_tasks(n, latency, "sequential", ac.VirtualClock())
    assert run.total == n * latency
    assert spans(run) == [(i, i * latency, (i + 1) * latency, 0) for i in range(n)]
    assert (run.strategy, run.work, run.n, run.latency, run.virtual, run.workers, run.workers_used) == (
        "sequential",
        "wait",
        n,
        latency,
        True,
        1,
        1,
    )


def test_sequential_on_a_virtual_clock_drives_the_clock_itself():
    # A clock that never jumps by itself: waiting with clock.sleep() would block forever here.
    clock = ac.VirtualClock(autojump_threshold=None)
    run = run_tasks(2000, 0.25, "sequential", clock)
    assert run.total == 500.0 and clock.now() == 500.0
    assert run.records[-1] == TaskRecord(1999, 499.75, 500.0, 0)


def test_non_binary_latencies_add_up_to_the_model_within_float_rounding():
    run = run_tasks(100, 0.05, "sequential")
    assert run.total == pytest.approx(5.0, rel=1e-12)
    assert run.records[37].start == pytest.approx(37 * 0.05, rel=1e-12)


@pytest.mark.parametrize("n, latency", [(1, 1.0), (3, 2.0), (10, 0.5)])
def test_asyncio_overlaps_the_waits_on_one_thread(n, latency):
    run = run_tasks(n, latency, "asyncio", ac.VirtualClock())
    assert run.total == latency
    assert spans(run) == [(i, 0.0, latency, 0) for i in range(n)]
    assert run.workers == run.workers_used == 1


@pytest.mark.parametrize("strategy", ["sequential", "asyncio"])
def test_cpu_work_does_not_overlap_on_one_thread(strategy):
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
    pooled = run_tasks(3, 1.0, "threads", clock, workers=2)
    assert spans(pooled) == [(0, 0.0, 1.0, 0), (1, 0.0, 1.0, 1), (2, 1.0, 2.0, 0)]
    assert clock.now() == 105.0


def test_asyncio_strategy_works_inside_a_running_event_loop():
    # As in a notebook cell: clock.run() then drives its loop in a helper thread.
    async def cell():
        return run_tasks(3, 2.0, "asyncio")

    assert spans(asyncio.run(cell())) == [(0, 0.0, 2.0, 0), (1, 0.0, 2.0, 0), (2, 0.0, 2.0, 0)]


# --- virtual clock: pools follow the k-worker model -------------------------------------------------------------


def test_a_thread_per_task_overlaps_every_wait():
    run = run_tasks(4, 1.5, "threads")
    assert run.workers == 4 and run.total == 1.5
    assert spans(run) == [(i, 0.0, 1.5, i) for i in range(4)]


@pytest.mark.parametrize("strategy, work", [("threads", "wait"), ("processes", "wait"), ("processes", "cpu")])
def test_waiting_pool_or_computing_processes_run_in_rounds_of_k(strategy, work):
    run = run_tasks(10, 1.0, strategy, work=work, workers=4)
    assert run.total == 3.0 and run.workers == run.workers_used == 4
    assert spans(run) == [
        (0, 0.0, 1.0, 0),
        (1, 0.0, 1.0, 1),
        (2, 0.0, 1.0, 2),
        (3, 0.0, 1.0, 3),
        (4, 1.0, 2.0, 0),
        (5, 1.0, 2.0, 1),
        (6, 1.0, 2.0, 2),
        (7, 1.0, 2.0, 3),
        (8, 2.0, 3.0, 0),
        (9, 2.0, 3.0, 1),
    ]


def test_threads_that_compute_share_one_core_and_finish_together_per_round():
    run = run_tasks(5, 0.5, "threads", work="cpu", workers=2)
    assert run.total == 2.5
    assert spans(run) == [(0, 0.0, 1.0, 0), (1, 0.0, 1.0, 1), (2, 1.0, 2.0, 0), (3, 1.0, 2.0, 1), (4, 2.0, 2.5, 0)]
    one_per_task = run_tasks(3, 1.0, "threads", work="cpu")
    assert spans(one_per_task) == [(0, 0.0, 3.0, 0), (1, 0.0, 3.0, 1), (2, 0.0, 3.0, 2)]


def test_a_pool_larger_than_the_work_uses_only_what_it_needs():
    run = run_tasks(2, 1.0, "processes", work="cpu", workers=8)
    assert (run.workers, run.workers_used, run.total) == (8, 2, 1.0)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 12])
@pytest.mark.parametrize("workers", [1, 2, 3, 5])
@pytest.mark.parametrize("work", ["wait", "cpu"])
def test_every_virtual_run_agrees_with_the_closed_form(n, workers, work):
    for strategy in STRATEGIES:
        size = workers if strategy in POOLS else None
        run = run_tasks(n, 0.5, strategy, work=work, workers=size)
        assert run.total == model_total(n, 0.5, strategy, work=work, workers=size) == run.model


@pytest.mark.parametrize(
    "strategy, work, workers, expected",
    [
        ("sequential", "wait", None, 10.0),
        ("sequential", "cpu", None, 10.0),
        ("asyncio", "wait", None, 1.0),
        ("asyncio", "cpu", None, 10.0),
        ("threads", "wait", None, 1.0),
        ("threads", "wait", 4, 3.0),
        ("threads", "wait", 5, 2.0),
        ("threads", "cpu", 4, 10.0),
        ("threads", "cpu", None, 10.0),
        ("processes", "wait", 4, 3.0),
        ("processes", "cpu", 4, 3.0),
        ("processes", "cpu", 10, 1.0),
        ("processes", "cpu", 1, 10.0),
    ],
)
def test_model_total_by_hand(strategy, work, workers, expected):
    assert model_total(10, 1.0, strategy, work=work, workers=workers) == expected


# --- the real clock ------------------------------------------------------------------------------------------------


def test_threads_on_the_real_clock_use_one_thread_per_task_by_default():
    run = run_tasks(3, 0.01, "threads", ac.RealClock())
    assert not run.virtual and run.workers == 3
    assert [r.task for r in run.records] == [0, 1, 2]
    assert 1 <= run.workers_used <= 3
    for record in run.records:
        assert 0 <= record.start <= record.end <= run.total
        assert record.duration >= 0.009  # sleeping lasts at least as long as asked (1 ms of float slack)


def test_workers_are_numbered_in_the_order_they_started_their_first_task():
    run = run_tasks(6, 0.005, "threads", ac.RealClock(), workers=3)
    firsts = {}
    for record in sorted(run.records, key=lambda r: (r.start, r.task)):
        firsts.setdefault(record.worker, record.start)
    assert list(firsts) == sorted(firsts) == list(range(run.workers_used))


@pytest.mark.parametrize("work", ["wait", "cpu"])
def test_real_clock_runs_on_one_thread_record_every_task(work):
    for strategy in ("sequential", "asyncio"):
        run = run_tasks(2, 0.005, strategy, ac.RealClock(), work=work)
        assert [r.task for r in run.records] == [0, 1]
        assert run.workers_used == 1
        assert all(r.duration >= 0.004 for r in run.records)
        assert run.total >= max(r.end for r in run.records)


def test_asyncio_tasks_that_compute_run_one_after_the_other_on_the_real_clock():
    run = run_tasks(3, 0.005, "asyncio", ac.RealClock(), work="cpu")
    for before, after in zip(run.records, run.records[1:], strict=False):
        assert after.start >= before.end


@pytest.mark.parametrize("work", ["wait", "cpu"])
def test_processes_on_the_real_clock(work):
    run = run_tasks(4, 0.01, "processes", ac.RealClock(), work=work, workers=2)
    assert (run.strategy, run.work, run.workers, run.virtual) == ("processes", work, 2, False)
    assert [r.task for r in run.records] == [0, 1, 2, 3]
    assert 1 <= run.workers_used <= 2 and {r.worker for r in run.records} == set(range(run.workers_used))
    # The workers' times are on the run's clock: after its start, before its end, as long as the task.
    assert run.startup == min(r.start for r in run.records) > 0  # a process had to be started first
    for record in run.records:
        assert record.start > 0 and record.end <= run.total
        assert record.duration >= 0.009


def test_processes_default_to_one_per_core_on_the_real_clock(monkeypatch):
    monkeypatch.setattr(timing.os, "cpu_count", lambda: 1)
    run = run_tasks(2, 0.0, "processes", ac.RealClock())
    assert run.workers == run.workers_used == 1


# --- runs, sweeps and tables ---------------------------------------------------------------------------------------


def test_throughput_mean_response_and_startup():
    sequential = run_tasks(4, 1.0, "sequential")
    concurrent = run_tasks(4, 1.0, "asyncio")
    assert (sequential.throughput, sequential.mean_response) == (1.0, 2.5)  # results at 1, 2, 3, 4 s
    assert (concurrent.throughput, concurrent.mean_response) == (4.0, 1.0)
    assert run_tasks(3, 0.0, "asyncio").throughput == float("inf")
    assert sequential.startup == 0.0
    staggered = TimingRun(
        "threads", "wait", 2, 1.0, False, (TaskRecord(0, 0.3, 1.3, 0), TaskRecord(1, 0.2, 1.2, 1)), 1.4, 2
    )
    assert staggered.startup == 0.2


def test_task_record_duration():
    assert TaskRecord(task=2, start=1.5, end=4.0, worker=0).duration == 2.5


def test_sweep_runs_every_size_with_every_strategy_in_order_and_reports_progress():
    seen = []
    runs = sweep([1, 3], 1.0, processes=2, progress=lambda done, count, run: seen.append((done, count, run)))
    assert [(r.n, r.strategy, r.total) for r in runs] == [
        (1, "sequential", 1.0),
        (1, "asyncio", 1.0),
        (1, "threads", 1.0),
        (1, "processes", 1.0),
        (3, "sequential", 3.0),
        (3, "asyncio", 1.0),
        (3, "threads", 1.0),
        (3, "processes", 2.0),
    ]
    assert [(done, count) for done, count, _ in seen] == [(i, 8) for i in range(1, 9)]
    assert [run for _, _, run in seen] == runs
    assert [r.workers for r in runs if r.strategy == "threads"] == [1, 3]  # one thread per task by default


def test_sweep_checks_everything_before_running_anything():
    seen = []
    with pytest.raises(ValueError, match=re.escape("the 'processes' model needs workers=")):
        sweep([1, 2], 1.0, progress=lambda *args: seen.append(args))
    with pytest.raises(ValueError, match=exact("n must be an int >= 1 (a number of tasks), got 0")):
        sweep([3, 0], 1.0, strategies=["sequential"], progress=lambda *args: seen.append(args))
    with pytest.raises(ValueError, match=re.escape("unknown strategy 'fibers'")):
        sweep([3], 1.0, strategies=["sequential", "fibers"], progress=lambda *args: seen.append(args))
    assert seen == []


def test_compare_and_pool_sizes():
    runs = compare(6, 1.0, strategies=["threads", "processes"], threads=2, processes=3)
    assert [(r.strategy, r.workers, r.total) for r in runs] == [("threads", 2, 3.0), ("processes", 3, 2.0)]


def test_to_frame_has_one_row_per_task_of_each_run():
    runs = [run_tasks(2, 1.0, "sequential"), run_tasks(2, 1.0, "threads", workers=2)]
    frame = to_frame(runs)
    assert list(frame.columns) == [
        "run",
        "strategy",
        "work",
        "tasks",
        "latency",
        "workers",
        "clock",
        "total",
        "task",
        "start",
        "end",
        "duration",
        "worker",
    ]
    common = {"work": "wait", "tasks": 2, "latency": 1.0, "clock": "virtual"}
    assert frame.to_dict("records") == [
        {
            "run": 0,
            "strategy": "sequential",
            **common,
            "workers": 1,
            "total": 2.0,
            "task": 0,
            "start": 0.0,
            "end": 1.0,
            "duration": 1.0,
            "worker": 0,
        },
        {
            "run": 0,
            "strategy": "sequential",
            **common,
            "workers": 1,
            "total": 2.0,
            "task": 1,
            "start": 1.0,
            "end": 2.0,
            "duration": 1.0,
            "worker": 0,
        },
        {
            "run": 1,
            "strategy": "threads",
            **common,
            "workers": 2,
            "total": 1.0,
            "task": 0,
            "start": 0.0,
            "end": 1.0,
            "duration": 1.0,
            "worker": 0,
        },
        {
            "run": 1,
            "strategy": "threads",
            **common,
            "workers": 2,
            "total": 1.0,
            "task": 1,
            "start": 0.0,
            "end": 1.0,
            "duration": 1.0,
            "worker": 1,
        },
    ]
    assert len(to_frame(runs[0])) == 2


def test_csv_round_trip_is_exact_and_rounding_is_optional(tmp_path):
    runs = [
        run_tasks(3, 0.1, "sequential"),
        run_tasks(2, 0.05, "asyncio", ac.RealClock(), work="cpu"),
        run_tasks(5, 1 / 3, "processes", workers=2, work="cpu"),
    ]
    assert write_csv(runs, tmp_path / "runs.csv") == tmp_path / "runs.csv"
    assert read_csv(tmp_path / "runs.csv") == runs
    assert from_frame(to_frame(runs)) == runs
    write_csv(runs, tmp_path / "rounded.csv", decimals=3)
    rounded = read_csv(tmp_path / "rounded.csv")
    assert [r.records[-1].end for r in rounded] == [0.3, round(runs[1].records[-1].end, 3), 1.0]
    assert not rounded[1].virtual and rounded[2].workers == 2


def test_from_frame_names_missing_columns():
    frame = to_frame(run_tasks(1, 1.0, "asyncio")).drop(columns=["worker", "clock"])
    with pytest.raises(
        ValueError,
        match=exact(
            "not a timing table: missing column(s) clock, worker; make one with asyncomm.labs.timing.to_frame(runs)"
        ),
    ):
        from_frame(frame)
    with pytest.raises(ValueError, match=re.escape("missing column(s) run, strategy")):
        from_frame([1, 2])


def test_summary_has_one_row_per_run():
    frame = summary(
        [
            run_tasks(5, 2.0, "sequential"),
            run_tasks(5, 2.0, "asyncio", work="cpu"),
            run_tasks(5, 2.0, "processes", workers=2),
        ]
    )
    assert list(frame.columns) == [
        "strategy",
        "work",
        "tasks",
        "latency",
        "workers",
        "total",
        "startup",
        "throughput",
        "mean_response",
    ]
    assert frame.to_dict("records") == [
        {
            "strategy": "sequential",
            "work": "wait",
            "tasks": 5,
            "latency": 2.0,
            "workers": 1,
            "total": 10.0,
            "startup": 0.0,
            "throughput": 0.5,
            "mean_response": 6.0,
        },
        {
            "strategy": "asyncio",
            "work": "cpu",
            "tasks": 5,
            "latency": 2.0,
            "workers": 1,
            "total": 10.0,
            "startup": 0.0,
            "throughput": 0.5,
            "mean_response": 6.0,
        },
        {
            "strategy": "processes",
            "work": "wait",
            "tasks": 5,
            "latency": 2.0,
            "workers": 2,
            "total": 6.0,
            "startup": 0.0,
            "throughput": 5 / 6,
            "mean_response": (2 + 2 + 4 + 4 + 6) / 5,
        },
    ]
    assert summary(run_tasks(1, 1.0, "asyncio"))["total"].tolist() == [1.0]


def test_speedups_compare_with_the_sequential_run_of_the_same_tasks():
    runs = [*compare(4, 1.0, processes=2), *compare(2, 1.0, strategies=["asyncio", "sequential"], work="cpu")]
    table = speedups(runs)
    assert table[["strategy", "work", "tasks", "speedup", "model_speedup"]].to_dict("records") == [
        {"strategy": "sequential", "work": "wait", "tasks": 4, "speedup": 1.0, "model_speedup": 1.0},
        {"strategy": "asyncio", "work": "wait", "tasks": 4, "speedup": 4.0, "model_speedup": 4.0},
        {"strategy": "threads", "work": "wait", "tasks": 4, "speedup": 4.0, "model_speedup": 4.0},
        {"strategy": "processes", "work": "wait", "tasks": 4, "speedup": 2.0, "model_speedup": 2.0},
        {"strategy": "asyncio", "work": "cpu", "tasks": 2, "speedup": 1.0, "model_speedup": 1.0},
        {"strategy": "sequential", "work": "cpu", "tasks": 2, "speedup": 1.0, "model_speedup": 1.0},
    ]
    measured = TimingRun("asyncio", "wait", 4, 1.0, False, run_tasks(4, 1.0, "asyncio").records, 1.25)
    row = speedups([run_tasks(4, 1.0, "sequential"), measured]).iloc[1]
    assert (row["speedup"], row["model_speedup"]) == (3.2, 4.0)
    assert math.isnan(speedups(compare(2, 0.0, strategies=["sequential"]))["speedup"][0])  # 0 s / 0 s


def test_speedups_need_a_sequential_run():
    with pytest.raises(
        ValueError,
        match=exact(
            "no 'sequential' run of 3 task(s) of 0.5 s (cpu) to compare the 'asyncio' run with: include "
            "'sequential' in the strategies"
        ),
    ):
        speedups([run_tasks(3, 0.5, "sequential"), run_tasks(3, 0.5, "asyncio", work="cpu")])


def test_side_by_side_joins_runs_of_the_same_tasks():
    ours = compare(4, 1.0, processes=2)
    theirs = [*compare(4, 1.0, strategies=["sequential", "processes"], processes=4), *compare(9, 1.0, processes=1)]
    table = side_by_side({"ours": ours, "theirs": theirs})
    assert table.to_dict("records") == [
        {
            "strategy": "sequential",
            "work": "wait",
            "tasks": 4,
            "latency": 1.0,
            "ours total": 4.0,
            "ours speedup": 1.0,
            "theirs total": 4.0,
            "theirs speedup": 1.0,
        },
        {
            "strategy": "processes",
            "work": "wait",
            "tasks": 4,
            "latency": 1.0,
            "ours total": 2.0,
            "ours speedup": 2.0,
            "theirs total": 1.0,
            "theirs speedup": 4.0,
        },
    ]
    with pytest.raises(
        ValueError, match=exact("the runs have no strategy, work, tasks and latency in common to compare")
    ):
        side_by_side({"a": compare(4, 1.0, processes=2), "b": compare(4, 2.0, processes=2)})
    with pytest.raises(ValueError, match=re.escape("in common")):
        side_by_side({})


def test_strategies_are_listed():
    assert STRATEGIES == ("sequential", "asyncio", "threads", "processes")
    assert POOLS == ("threads", "processes")


# --- bad arguments -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, error, message",
    [
        (2.0, TypeError, "n must be an int (a number of tasks), got 2.0 (float)"),
        (True, TypeError, "n must be an int (a number of tasks), got True (bool)"),
        ("3", TypeError, "n must be an int (a number of tasks), got '3' (str)"),
        (0, ValueError, "n must be an int >= 1 (a number of tasks), got 0"),
        (-2, ValueError, "n must be an int >= 1 (a number of tasks), got -2"),
    ],
)
def test_bad_n(n, error, message):
    with pytest.raises(error, match=exact(message)):
        run_tasks(n, 1.0, "sequential")
    with pytest.raises(error, match=exact(message)):
        model_total(n, 1.0, "sequential")


@pytest.mark.parametrize(
    "latency, error, message",
    [
        ("1", TypeError, "latency must be a number of seconds, got '1' (str)"),
        (None, TypeError, "latency must be a number of seconds, got None (NoneType)"),
        (-1.0, ValueError, "latency must be >= 0 seconds, got -1.0"),
        (float("nan"), ValueError, "latency must be >= 0 seconds, got nan"),
    ],
)
def test_bad_latency(latency, error, message):
    with pytest.raises(error, match=exact(message)):
        run_tasks(2, latency, "asyncio")


def test_bad_strategy_and_work():
    with pytest.raises(
        ValueError,
        match=exact("unknown strategy 'parallel': choose one of 'sequential', 'asyncio', 'threads', 'processes'"),
    ):
        run_tasks(2, 1.0, "parallel")
    with pytest.raises(
        TypeError,
        match=exact("strategy must be a str, one of 'sequential', 'asyncio', 'threads', 'processes'; got None"),
    ):
        run_tasks(2, 1.0, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=exact("unknown work 'io': choose one of 'wait', 'cpu'")):
        run_tasks(2, 1.0, "asyncio", work="io")


@pytest.mark.parametrize(
    "strategy, workers, error, message",
    [
        (
            "sequential",
            2,
            ValueError,
            "workers= is for the 'threads' and 'processes' strategies; 'sequential' runs every task on one thread",
        ),
        (
            "asyncio",
            1,
            ValueError,
            "workers= is for the 'threads' and 'processes' strategies; 'asyncio' runs every task on one thread",
        ),
        ("threads", 0, ValueError, "workers must be an int >= 1 (a number of workers), got 0"),
        ("processes", 2.0, TypeError, "workers must be an int (a number of workers), got 2.0 (float)"),
        (
            "processes",
            None,
            ValueError,
            "the 'processes' model needs workers=, the number of processes (each with a "
            "core of its own), e.g. workers=4; only on the real clock does it default to "
            "one per CPU core",
        ),
    ],
)
def test_bad_workers(strategy, workers, error, message):
    with pytest.raises(error, match=exact(message)):
        run_tasks(2, 1.0, strategy, workers=workers)
    with pytest.raises(error, match=exact(message)):
        model_total(2, 1.0, strategy, workers=workers)


def test_bad_clock():
    with pytest.raises(
        TypeError, match=exact("clock must be an asyncomm clock (ac.VirtualClock() or ac.RealClock()), got 'real'")
    ):
        run_tasks(2, 1.0, "asyncio", "real")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape("clock must be an asyncomm clock")):
        sweep([1], 1.0, strategies=["sequential"], clock=1.0)  # type: ignore[arg-type]
