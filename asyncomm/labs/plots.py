"""Plots of the timing lab (matplotlib): Gantt charts, total times, speedup against the number of tasks, and
the contrast between tasks that wait and tasks that compute.

Each function takes runs (a list of :class:`~asyncomm.labs.timing.TimingRun`) or the
table :func:`~asyncomm.labs.timing.to_frame` makes of them (say, read back from a CSV
file), and returns the matplotlib ``Figure``. The figures are made with pyplot,
so in a notebook end the cell with ``plt.show()``; elsewhere save them with
``fig.savefig(...)`` and close them with ``plt.close(fig)``.

``import asyncomm`` does not import this module, so matplotlib loads only when
a plot is asked for.

>>> import matplotlib.pyplot as plt
>>> from asyncomm.labs import plots, timing
>>> fig = plots.gantt(timing.compare(4, 1.0, processes=2))
>>> [ax.get_title() for ax in fig.axes]
['sequential: 4 s', 'asyncio: 1 s', 'threads, 4 workers: 1 s', 'processes, 2 workers: 2 s']
>>> plt.close(fig)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from asyncomm.labs import fonts as _fonts
from asyncomm.labs.fonts import plot_tr as _t
from asyncomm.labs.timing import POOLS, STRATEGIES, TimingRun, from_frame, model_total, speedups

__all__ = ["cpu_contrast", "gantt", "speedup_vs_n", "total_bars"]

# One colour per strategy, the same in every plot.
COLORS = {"sequential": "tab:gray", "asyncio": "tab:blue", "threads": "tab:orange", "processes": "tab:green"}
_WORK = {"wait": "wait", "cpu": "compute"}
_WORK_ZH = {"wait": "等待", "cpu": "计算"}
_STRATEGY_ZH = {"sequential": "顺序执行", "asyncio": "asyncio", "threads": "线程池", "processes": "进程池"}
_WORKER_ZH = {"threads": "线程", "processes": "进程"}
_LANES = ("task", "worker")


def _runs(data: Any) -> list[TimingRun]:
    if isinstance(data, TimingRun):
        return [data]
    if hasattr(data, "columns"):
        runs = from_frame(data)
    elif isinstance(data, Iterable) and not isinstance(data, (str, bytes)):
        runs = list(data)
        if not all(isinstance(run, TimingRun) for run in runs):
            raise TypeError(
                "pass timing runs (from asyncomm.labs.timing.run_tasks, compare or sweep) or the table "
                "asyncomm.labs.timing.to_frame(runs) makes of them"
            )
    else:
        raise TypeError(f"pass timing runs or a table made by asyncomm.labs.timing.to_frame(runs), got {data!r}")
    if not runs:
        raise ValueError("there is nothing to plot: no runs")
    return runs


def _strategy(strategy: str) -> str:
    return _t(strategy, _STRATEGY_ZH.get(strategy, strategy))


def _workers(strategy: str, workers: int) -> str:
    return _t(f"{workers} worker{'s' if workers != 1 else ''}", f"{workers} 个{_WORKER_ZH.get(strategy, '工作者')}")


def _label(run: TimingRun) -> str:
    if run.strategy in POOLS:
        return f"{_strategy(run.strategy)}{_t(', ', '，')}{_workers(run.strategy, run.workers)}"
    return _strategy(run.strategy)


def _seconds(value: float) -> str:
    return _t(f"{value:.3g} s", f"{value:.3g} 秒")


def _describe(runs: list[TimingRun]) -> str:
    kinds = {(run.n, run.work, run.latency) for run in runs}
    virtual = all(run.virtual for run in runs)
    clock = _t("virtual clock", "虚拟时钟") if virtual else _t("real clock", "真实时钟")
    if len(kinds) == 1:
        n, work, latency = kinds.pop()
        return _t(
            f"{n} task{'s' if n != 1 else ''} that each {_WORK[work]} {latency:g} s ({clock})",
            f"{n} 个任务，每个{_WORK_ZH[work]} {latency:g} 秒（{clock}）",
        )
    return clock


def gantt(data: Any, *, lanes: str = "task", title: str | None = None) -> Figure:
    """One panel per run, on a shared time axis: a bar per task from its start
    to its end. ``lanes="task"`` gives each task a lane of its own (bars
    coloured by the worker that ran it), ``lanes="worker"`` one lane per
    thread or process. On the real clock, a grey band marks the time before
    the first task started (starting processes, mostly).

    >>> from asyncomm.labs import timing
    >>> fig = gantt(timing.run_tasks(5, 1.0, "threads", workers=2), lanes="worker")
    >>> ax = fig.axes[0]
    >>> ax.get_title(), len(ax.patches), ax.get_ylabel()
    ('threads, 2 workers: 3 s', 5, 'worker')
    >>> plt.close(fig)
    """
    runs = _runs(data)
    if lanes not in _LANES:
        raise ValueError(f"lanes must be 'task' or 'worker', got {lanes!r}")
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, axes = plt.subplots(len(runs), 1, figsize=(6.4, 0.8 + 1.15 * len(runs)), sharex=True, squeeze=False)
    palette = plt.get_cmap("tab10")
    for ax, run in zip(axes[:, 0], runs, strict=True):
        records = run.records
        count = run.n if lanes == "task" else run.workers_used
        y = [r.task if lanes == "task" else r.worker for r in records]
        if lanes == "task":
            colors = [palette(r.worker % 10) for r in records] if run.workers > 1 else COLORS[run.strategy]
        else:
            colors = COLORS[run.strategy]
        if not run.virtual and run.startup > 0:
            ax.axvspan(0, run.startup, color="0.88", zorder=0)
        ax.barh(
            y,
            [r.duration for r in records],
            left=[r.start for r in records],
            color=colors,
            height=0.8 if count <= 30 else 1.0,
            edgecolor="white" if lanes == "worker" else "none",
            linewidth=0.5,
        )
        ax.set_ylim(count - 0.5, -0.5)  # lane 0 on top
        if count <= 5:
            ax.set_yticks(range(count))
        else:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_ylabel(_t(lanes, {"task": "任务", "worker": "工作者"}[lanes]))
        started = (
            _t(f" (first task after {_seconds(run.startup)})", f"（首个任务在 {_seconds(run.startup)} 后开始）")
            if run.startup > 0.05 * run.total > 0
            else ""
        )
        ax.set_title(f"{_label(run)}{_t(': ', '：')}{_seconds(run.total)}{started}", fontsize="medium")
        ax.set_xlim(left=0)
    axes[-1, 0].set_xlabel(_t("time since the start of the run (s)", "自运行开始的时间（秒）"))
    fig.suptitle(title if title is not None else _describe(runs))
    fig.tight_layout()
    return fig


def total_bars(data: Any, *, title: str | None = None, model: bool = True) -> Figure:
    """One bar per run: its total time, written on the bar. With ``model=True``
    a black tick marks what :func:`~asyncomm.labs.timing.model_total` predicts.

    >>> from asyncomm.labs import timing
    >>> fig = total_bars(timing.compare(4, 1.0, processes=2))
    >>> ax = fig.axes[0]
    >>> [float(p.get_height()) for p in ax.patches], [float(y) for y in ax.get_lines()[0].get_ydata()]
    ([4.0, 1.0, 1.0, 2.0], [4.0, 1.0, 1.0, 2.0])
    >>> plt.close(fig)
    """
    runs = _runs(data)
    several_works = len({run.work for run in runs}) > 1
    labels = [
        _label(run).replace(", ", "\n").replace("，", "\n")
        + (f"\n({_t(run.work, _WORK_ZH[run.work])})" if several_works else "")
        for run in runs
    ]
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, ax = plt.subplots(figsize=(1.0 + 1.4 * len(runs), 3.2))
    x = list(range(len(runs)))
    bars = ax.bar(x, [run.total for run in runs], color=[COLORS[run.strategy] for run in runs], width=0.6)
    ax.bar_label(bars, labels=[_seconds(run.total) for run in runs], padding=2, fontsize="small")
    if model:
        ax.plot(
            x,
            [run.model for run in runs],
            linestyle="none",
            marker="_",
            markersize=28,
            markeredgewidth=2,
            color="black",
            label=_t("model", "模型"),
        )
        ax.legend(loc="upper right", fontsize="small")
    ax.set_xticks(x, labels, fontsize="small")
    ax.set_ylabel(_t("total time (s)", "总时间（秒）"))
    ax.margins(y=0.15)
    ax.set_title(title if title is not None else _describe(runs), fontsize="medium")
    fig.tight_layout()
    return fig


def _model_speedup(n: int, strategy: str, work: str, latency: float, largest_pool: int) -> float:
    # A pool never has more workers than tasks that keep them busy: min(n, largest) is one thread per task for
    # the threads' default, one per core for the processes' default, and the same model totals for a fixed size.
    workers = min(n, largest_pool) if strategy in POOLS else None
    ours = model_total(n, latency, strategy, work=work, workers=workers)
    sequential = model_total(n, latency, "sequential", work=work)
    return sequential / ours if ours > 0 else math.nan


def speedup_vs_n(data: Any, *, work: str = "wait", title: str | None = None) -> Figure:
    """Speedup over sequential code against the number of tasks ``n``, one
    colour per strategy: the measured runs as dots joined by a line, the model
    as a dashed line over every ``n`` in between. Log-log axes.

    >>> from asyncomm.labs import timing
    >>> fig = speedup_vs_n(timing.sweep([1, 2, 4], 1.0, processes=2))
    >>> [(line.get_label(), [float(y) for y in line.get_ydata()]) for line in fig.axes[0].get_lines()[:2]]
    [('asyncio', [1.0, 2.0, 4.0]), ('asyncio model', [1.0, 2.0, 3.0, 4.0])]
    >>> plt.close(fig)
    """
    runs = [run for run in _runs(data) if run.work == work]
    if not runs:
        raise ValueError(f"no runs with work={work!r} to plot")
    table = speedups(runs)
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, ax = plt.subplots(figsize=(6, 3.8))
    present = [s for s in STRATEGIES if s != "sequential" and s in set(table["strategy"])]
    for strategy in present:
        rows = table[table["strategy"] == strategy].sort_values("tasks")
        color = COLORS[strategy]
        name = _strategy(strategy)
        ax.plot(rows["tasks"].tolist(), rows["speedup"].tolist(), marker="o", color=color, label=name)
        largest = int(rows["workers"].max())
        ns = range(int(rows["tasks"].min()), int(rows["tasks"].max()) + 1)
        ax.plot(
            list(ns),
            [_model_speedup(n, strategy, work, runs[0].latency, largest) for n in ns],
            linestyle="--",
            color=color,
            # "asyncio 模型" keeps the space between Latin and Chinese; "线程池模型" needs none.
            label=_t(f"{strategy} model", f"{name}{' ' if name.isascii() else ''}模型"),
        )
    ax.axhline(1.0, color=COLORS["sequential"], linestyle=":", label=_t("sequential (1x)", "顺序执行（1x）"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(_t("number of tasks n", "任务数 n"))
    ax.set_ylabel(_t("speedup over sequential", "相对顺序执行的加速比"))
    ax.legend(fontsize="small", ncols=2)
    latency = runs[0].latency
    default = _t(f"tasks that each {_WORK[work]} {latency:g} s", f"每个任务{_WORK_ZH[work]} {latency:g} 秒")
    ax.set_title(title if title is not None else default, fontsize="medium")
    fig.tight_layout()
    return fig


def cpu_contrast(data: Any, *, title: str | None = None) -> Figure:
    """Two panels of speedup bars over sequential code, one per kind of work:
    tasks that wait and tasks that compute, with the model as black ticks.
    Where runs of several sizes are given, each panel shows the largest ``n``.

    >>> from asyncomm.labs import timing
    >>> runs = [*timing.compare(4, 1.0, processes=4), *timing.compare(4, 1.0, work="cpu", processes=4)]
    >>> fig = cpu_contrast(runs)
    >>> [(ax.get_title(), [float(p.get_height()) for p in ax.patches]) for ax in fig.axes]
    [('4 tasks that wait', [1.0, 4.0, 4.0, 4.0]), ('4 tasks that compute', [1.0, 1.0, 1.0, 4.0])]
    >>> plt.close(fig)
    """
    runs = _runs(data)
    works = [work for work in ("wait", "cpu") if any(run.work == work for run in runs)]
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig, axes = plt.subplots(1, len(works), figsize=(3.8 * len(works), 3.1), squeeze=False)
    for ax, work in zip(axes[0], works, strict=True):
        n = max(run.n for run in runs if run.work == work)
        table = speedups([run for run in runs if run.work == work and run.n == n])
        labels = [
            f"{_strategy(row.strategy)}\n{_workers(row.strategy, row.workers)}"
            if row.strategy in POOLS
            else _strategy(row.strategy)
            for row in table.itertuples()
        ]
        x = list(range(len(table)))
        bars = ax.bar(x, table["speedup"].tolist(), color=[COLORS[s] for s in table["strategy"]], width=0.6)
        ax.bar_label(bars, labels=[f"{value:.2g}x" for value in table["speedup"]], padding=2, fontsize="small")
        ax.plot(
            x,
            table["model_speedup"].tolist(),
            linestyle="none",
            marker="_",
            markersize=26,
            markeredgewidth=2,
            color="black",
            label=_t("model", "模型"),
        )
        ax.set_xticks(x, labels, fontsize="small")
        ax.set_title(
            _t(f"{n} task{'s' if n != 1 else ''} that {_WORK[work]}", f"{n} 个{_WORK_ZH[work]}的任务"),
            fontsize="medium",
        )
        ax.margins(y=0.15)
    axes[0, 0].set_ylabel(_t("speedup over sequential", "相对顺序执行的加速比"))
    axes[0, -1].legend(loc="upper left", fontsize="small")
    default = _t(
        "waiting overlaps on one thread; computing needs processes (the GIL)",
        "等待可以在一个线程上重叠；计算需要多进程（因为 GIL）",
    )
    fig.suptitle(title if title is not None else default, fontsize="medium")
    fig.tight_layout()
    return fig
