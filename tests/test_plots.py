"""The timing lab's plots: what each figure holds (panels, bars, lanes, titles, line data), not its pixels."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pytest

import asyncomm as ac
from asyncomm.labs import plots, timing


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bars(ax) -> list[tuple[float, float, float]]:
    """(left, width, lane) of each horizontal bar, lane being the bar's centre on the y axis."""
    return [
        (round(p.get_x(), 9), round(p.get_width(), 9), round(p.get_y() + p.get_height() / 2, 9))
        for p in ax.patches
        if isinstance(p, matplotlib.patches.Rectangle)
    ]


def heights(ax) -> list[float]:
    return [float(p.get_height()) for p in ax.patches]


def ydata(line) -> list[float]:
    return [float(y) for y in line.get_ydata()]


def test_views_is_not_imported_by_the_package():
    import subprocess
    import sys

    code = (
        "import sys, asyncomm, asyncomm.labs.timing, asyncomm.labs.bench; print('asyncomm.labs.plots' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )


# --- gantt ---------------------------------------------------------------------------------------------------------


def test_gantt_has_a_panel_per_run_a_bar_per_task_and_a_lane_per_task():
    runs = timing.compare(4, 1.0, processes=2)
    fig = plots.gantt(runs)
    assert fig.get_suptitle() == "4 tasks that each wait 1 s (virtual clock)"
    assert [ax.get_title() for ax in fig.axes] == [
        "sequential: 4 s",
        "asyncio: 1 s",
        "threads, 4 workers: 1 s",
        "processes, 2 workers: 2 s",
    ]
    sequential, concurrent, _, processes = fig.axes
    assert bars(sequential) == [(0.0, 1.0, 0.0), (1.0, 1.0, 1.0), (2.0, 1.0, 2.0), (3.0, 1.0, 3.0)]
    assert bars(concurrent) == [(0.0, 1.0, lane) for lane in (0.0, 1.0, 2.0, 3.0)]
    assert bars(processes) == [(0.0, 1.0, 0.0), (0.0, 1.0, 1.0), (1.0, 1.0, 2.0), (1.0, 1.0, 3.0)]
    for ax in fig.axes:
        assert ax.get_ylim() == (3.5, -0.5)  # four lanes, task 0 on top
        assert ax.get_ylabel() == "task"
        assert ax.get_xlim()[0] == 0
    assert fig.axes[-1].get_xlabel() == "time since the start of the run (s)"
    # One panel shares its time axis with the others, so the sequential run's length shows in every one.
    assert processes.get_xlim() == sequential.get_xlim()


def test_gantt_colours_tasks_by_worker():
    fig = plots.gantt(timing.run_tasks(4, 1.0, "processes", workers=2))
    colours = [mcolors.to_hex(p.get_facecolor()) for p in fig.axes[0].patches]
    assert colours[0] == colours[2] != colours[1] == colours[3]
    single = plots.gantt(timing.run_tasks(3, 1.0, "asyncio"))
    assert {mcolors.to_hex(p.get_facecolor()) for p in single.axes[0].patches} == {
        mcolors.to_hex(plots.COLORS["asyncio"])
    }


def test_gantt_with_a_lane_per_worker():
    fig = plots.gantt(timing.run_tasks(5, 1.0, "threads", workers=2), lanes="worker", title="pool")
    ax = fig.axes[0]
    assert fig.get_suptitle() == "pool"
    assert ax.get_ylabel() == "worker" and ax.get_ylim() == (1.5, -0.5)
    assert bars(ax) == [(0.0, 1.0, 0.0), (0.0, 1.0, 1.0), (1.0, 1.0, 0.0), (1.0, 1.0, 1.0), (2.0, 1.0, 0.0)]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1"]


def test_gantt_of_a_real_run_shades_the_startup_and_names_it_when_it_matters():
    records = (timing.TaskRecord(0, 0.5, 1.5, 0), timing.TaskRecord(1, 0.6, 1.6, 1))
    run = timing.TimingRun("processes", "cpu", 2, 1.0, False, records, 1.7, 2)
    fig = plots.gantt(run)
    ax = fig.axes[0]
    assert fig.get_suptitle() == "2 tasks that each compute 1 s (real clock)"
    assert ax.get_title() == "processes, 2 workers: 1.7 s (first task after 0.5 s)"
    shade, *task_bars = ax.patches
    assert shade.get_x() == 0 and shade.get_width() == 0.5  # the grey band: starting the processes
    assert len(task_bars) == 2
    quick = timing.TimingRun("threads", "wait", 2, 1.0, False, (records[0], timing.TaskRecord(1, 0.01, 1.0, 1)), 1.6, 2)
    assert plots.gantt(quick).axes[0].get_title() == "threads, 2 workers: 1.6 s"


def test_gantt_takes_a_table_as_well_as_runs():
    runs = timing.compare(3, 0.5, processes=3)
    from_table = plots.gantt(timing.to_frame(runs))
    from_runs = plots.gantt(runs)
    assert [bars(ax) for ax in from_table.axes] == [bars(ax) for ax in from_runs.axes]
    assert [ax.get_title() for ax in from_table.axes] == [ax.get_title() for ax in from_runs.axes]


def test_mixed_runs_get_a_plain_title():
    fig = plots.gantt([timing.run_tasks(2, 1.0, "asyncio"), timing.run_tasks(3, 1.0, "asyncio")])
    assert fig.get_suptitle() == "virtual clock"


def test_bad_data_and_lanes():
    with pytest.raises(ValueError, match=re.escape("lanes must be 'task' or 'worker', got 'thread'")):
        plots.gantt(timing.run_tasks(1, 1.0, "asyncio"), lanes="thread")
    with pytest.raises(ValueError, match=re.escape("there is nothing to plot: no runs")):
        plots.total_bars([])
    with pytest.raises(
        TypeError,
        match=re.escape(
            "pass timing runs (from asyncomm.labs.timing.run_tasks, compare or "
            "sweep) or the table asyncomm.labs.timing.to_frame(runs) makes"
        ),
    ):
        plots.gantt([1, 2])
    with pytest.raises(
        TypeError,
        match=re.escape("pass timing runs or a table made by asyncomm.labs.timing.to_frame(runs), got 'runs'"),
    ):
        plots.cpu_contrast("runs")


# --- total bars ----------------------------------------------------------------------------------------------------


def test_total_bars_show_each_total_and_the_model():
    runs = timing.compare(10, 1.0, processes=4)
    fig = plots.total_bars(runs)
    ax = fig.axes[0]
    assert ax.get_title() == "10 tasks that each wait 1 s (virtual clock)"
    assert heights(ax) == [10.0, 1.0, 1.0, 3.0]
    assert [t.get_text() for t in ax.texts] == ["10 s", "1 s", "1 s", "3 s"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "sequential",
        "asyncio",
        "threads\n10 workers",
        "processes\n4 workers",
    ]
    (model,) = ax.get_lines()
    assert model.get_label() == "model" and ydata(model) == [10.0, 1.0, 1.0, 3.0]
    assert ax.get_ylabel() == "total time (s)"


def test_total_bars_model_of_a_measured_run_and_without_it():
    measured = timing.TimingRun("asyncio", "wait", 10, 1.0, False, timing.run_tasks(10, 1.0, "asyncio").records, 1.25)
    fig = plots.total_bars([measured, timing.run_tasks(10, 1.0, "asyncio", work="cpu")], title="t")
    ax = fig.axes[0]
    assert heights(ax) == [1.25, 10.0] and ydata(ax.get_lines()[0]) == [1.0, 10.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["asyncio\n(wait)", "asyncio\n(cpu)"]
    assert ax.get_title() == "t"
    assert plots.total_bars([measured], model=False).axes[0].get_lines() == []


# --- speedup against n ---------------------------------------------------------------------------------------------


def test_speedup_vs_n_measured_points_and_model_lines():
    runs = timing.sweep([1, 2, 4, 8], 1.0, processes=2)
    fig = plots.speedup_vs_n(runs)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == [
        "asyncio",
        "asyncio model",
        "threads",
        "threads model",
        "processes",
        "processes model",
        "sequential (1x)",
    ]
    assert list(lines["asyncio"].get_xdata()) == [1, 2, 4, 8]
    assert ydata(lines["asyncio"]) == [1.0, 2.0, 4.0, 8.0]
    assert list(lines["processes model"].get_xdata()) == list(range(1, 9))
    assert ydata(lines["processes model"]) == [1.0, 2.0, 1.5, 2.0, 5 / 3, 2.0, 7 / 4, 2.0]
    assert ydata(lines["threads model"]) == [float(n) for n in range(1, 9)]  # one thread per task
    assert ydata(lines["sequential (1x)"]) == [1.0, 1.0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_title() == "tasks that each wait 1 s"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("number of tasks n", "speedup over sequential")


def test_speedup_vs_n_model_for_a_fixed_pool_and_for_computing_tasks():
    runs = [*timing.sweep([1, 6], 1.0, threads=3, processes=2), *timing.sweep([1, 4], 1.0, work="cpu", processes=4)]
    waiting = {line.get_label(): line for line in plots.speedup_vs_n(runs).axes[0].get_lines()}
    assert ydata(waiting["threads model"]) == [1.0, 2.0, 3.0, 2.0, 2.5, 3.0]
    computing = {line.get_label(): line for line in plots.speedup_vs_n(runs, work="cpu").axes[0].get_lines()}
    assert ydata(computing["threads"]) == [1.0, 1.0] and ydata(computing["threads model"]) == [1.0] * 4
    assert ydata(computing["processes model"]) == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match=re.escape("no runs with work='cpu' to plot")):
        plots.speedup_vs_n(timing.sweep([1], 1.0, processes=1), work="cpu")


def test_speedup_vs_n_plots_measured_speedups_from_the_reference_run():
    runs = timing.read_csv(ac.course.data_path("reference_timing.csv"))
    table = timing.speedups([run for run in runs if run.work == "wait"])
    lines = {line.get_label(): line for line in plots.speedup_vs_n(runs).axes[0].get_lines()}
    processes = table[table["strategy"] == "processes"]
    assert list(lines["processes"].get_xdata()) == processes["tasks"].tolist()
    assert ydata(lines["processes"]) == processes["speedup"].tolist()


# --- the CPU-bound contrast ----------------------------------------------------------------------------------------


def test_cpu_contrast_puts_waiting_and_computing_side_by_side():
    runs = [*timing.sweep([2, 8], 1.0, processes=4), *timing.compare(8, 1.0, work="cpu", processes=4)]
    fig = plots.cpu_contrast(runs)
    assert fig.get_suptitle() == "waiting overlaps on one thread; computing needs processes (the GIL)"
    waiting, computing = fig.axes
    assert (waiting.get_title(), computing.get_title()) == ("8 tasks that wait", "8 tasks that compute")
    assert heights(waiting) == [1.0, 8.0, 8.0, 4.0]  # the largest n of the sweep
    assert heights(computing) == [1.0, 1.0, 1.0, 4.0]
    assert [t.get_text() for t in computing.texts] == ["1x", "1x", "1x", "4x"]
    assert ydata(computing.get_lines()[0]) == [1.0, 1.0, 1.0, 4.0]
    assert [t.get_text() for t in computing.get_xticklabels()] == [
        "sequential",
        "asyncio",
        "threads\n8 workers",
        "processes\n4 workers",
    ]
    assert waiting.get_ylabel() == "speedup over sequential"


def test_cpu_contrast_with_one_kind_of_work_has_one_panel():
    fig = plots.cpu_contrast(timing.compare(3, 1.0, work="cpu", processes=3), title="only computing")
    assert len(fig.axes) == 1 and fig.get_suptitle() == "only computing"
    assert heights(fig.axes[0]) == [1.0, 1.0, 1.0, 3.0]
